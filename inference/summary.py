"""A document's summary: its event labels and its distinct figures per role, repeats counted once.

News repeats its key figure in the headline, the lead and the body ("25,000 flee", "at least
25,000 civilians have fled", "the 25,000 who fled"); a reader wants one figure with three
citations. :func:`summarize` merges the role-tagged numbers of a document's sentences by these
rules:

* **Events**: the union of the sentences' labels, in order of first appearance in the document
  (labels first seen in the same sentence keep that sentence's order, the schema order).
* **Which numbers**: only numbers with a role; a number without one is not an event count.
* **Repeats**: mentions with the same role and the same ``value`` are one figure, whatever
  their qualifiers. The figure takes the most specific qualifier among them: a bound
  (``at_least``/``at_most``: the writer's explicit claim about the count) over ``approximate``
  over ``exact`` (a headline drops hedges: "25,000 flee" next to "at least 25,000 have fled"
  reports the same bound); ties go to the first mention. The figure's ``low``/``high`` are those
  of the mention whose qualifier it takes, so they stay consistent with that qualifier.
* **Ranges and vague figures** (``value`` None) merge only with mentions of the same role and
  the same ``low``, ``high`` and qualifier ("thousands" twice is one figure).
* **A range and an exact figure inside it** ("between 3,000 and 5,000 fled", later "4,000 fled")
  stay separate figures: they are different claims, and which is right is for the reader to judge.
* **Cumulative totals and increments** ("205,000 since November", "25,000 in the past two
  days") have different values, so they are separate figures; nothing is added up.
* **Units** split figures when both mentions name different units ("3 hospitals" and
  "3 schools" are two facilities figures); generic words for people ("people", "civilians",
  "residents", ...) count as one unit, plurals as their singular. A mention without a unit
  joins the first figure of its role and value. The figure's unit is the first unit named.
* **Order**: figures in order of their first citation in the document; citations in document order.

>>> from conflict_events.inference.results import EventScore, NumberMention, SentenceResult
>>> def said(start, text, role, qualifier="exact"):
...     n = NumberMention(text, start, start + len(text), 25000.0, 25000.0,
...                       None if qualifier == "at_least" else 25000.0, qualifier, role)
...     return SentenceResult("...", start, start + 40, (EventScore("displacement", 0.9),), (n,))
>>> summary = summarize([said(0, "25,000", "displaced"), said(50, "25,000", "displaced", "at_least")])
>>> summary.events, len(summary.figures), summary.figures[0].qualifier.value
(('displacement',), 1, 'at_least')
>>> [c.sentence for c in summary.figures[0].citations]
[0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence

from conflict_events.inference.results import (
    Citation,
    DocumentSummary,
    Figure,
    NumberMention,
    Qualifier,
    SentenceResult,
)

__all__ = ["summarize"]

# Higher is more specific; see the module docstring.
QUALIFIER_RANK = {
    Qualifier.AT_LEAST: 3,
    Qualifier.AT_MOST: 3,
    Qualifier.APPROXIMATE: 2,
    Qualifier.EXACT: 1,
    Qualifier.RANGE: 0,
    Qualifier.VAGUE: 0,
}
PEOPLE = "people"
GENERIC_PEOPLE = frozenset(
    {
        "people",
        "person",
        "persons",
        "civilian",
        "civilians",
        "individual",
        "individuals",
        "resident",
        "residents",
        "inhabitant",
        "inhabitants",
    }
)


def unit_key(unit: str | None) -> str | None:
    """The unit as figures compare it: lower case, singular, generic people words as one.

    >>> unit_key("Civilians"), unit_key("villages"), unit_key("families"), unit_key(None)
    ('people', 'village', 'family', None)
    """
    if not unit:
        return None
    word = " ".join(unit.lower().split())
    if word in GENERIC_PEOPLE:
        return PEOPLE
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _identity(m: NumberMention) -> tuple:
    """What makes two mentions of a role the same figure, units aside."""
    if m.value is not None:
        return (m.role, m.value)
    return (m.role, None, m.low, m.high, m.qualifier)


def _figure(cited: list[tuple[int, NumberMention]]) -> Figure:
    """One figure from its mentions, given in document order."""
    # max() keeps the first of equally ranked mentions: ties go to document order.
    best = max((m for _, m in cited), key=lambda m: QUALIFIER_RANK[m.qualifier])
    unit = next((m.unit for _, m in cited if m.unit), None)
    citations = tuple(Citation(i, m.start, m.end) for i, m in cited)
    return Figure(best.role or "", best.quantity, unit, citations)


def summarize(
    sentences: Sequence[SentenceResult], indexes: Sequence[int] | None = None
) -> DocumentSummary:
    """The document's event labels and distinct figures (rules in the module docstring).

    ``sentences`` carry document offsets, as :meth:`EventTagger.tag_documents` builds them; a
    citation's ``sentence`` is the index into ``sentences``, or ``indexes[i]`` when given (a
    long document's writer keeps only the sentences with events or numbers, and their indexes).
    """
    where = range(len(sentences)) if indexes is None else indexes
    events = dict.fromkeys(e.label for s in sentences for e in s.events)
    mentions = sorted(
        ((i, m) for i, s in zip(where, sentences, strict=True) for m in s.numbers if m.role),
        key=lambda item: (item[1].start, item[1].end, item[0]),
    )
    groups: dict[tuple, list[tuple[int, NumberMention]]] = {}
    for item in mentions:
        groups.setdefault(_identity(item[1]), []).append(item)
    figures = []
    for group in groups.values():
        by_unit: dict[str | None, list[tuple[int, NumberMention]]] = {}
        for item in group:
            if unit_key(item[1].unit) is not None:
                by_unit.setdefault(unit_key(item[1].unit), []).append(item)
        unitless = [item for item in group if unit_key(item[1].unit) is None]
        if by_unit:
            first = next(iter(by_unit.values()))
            first.extend(unitless)
            first.sort(key=lambda item: (item[1].start, item[1].end, item[0]))
        else:
            by_unit[None] = unitless
        figures.extend(_figure(cited) for cited in by_unit.values())
    figures.sort(key=lambda f: (f.citations[0].start, f.citations[0].end))
    return DocumentSummary(tuple(events), tuple(figures))
