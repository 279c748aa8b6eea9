"""Shared pieces of the converters: sentence records, number spans and units.

A converter maps a corpus's own labels onto the guideline (``data/GUIDELINE.md``) and yields
:class:`~conflict_events.training.records.Record` objects, one per sentence (or passage), or a
:class:`Skipped` saying why a document or annotation gave no record. Numbers are read by the
project's normaliser (:mod:`conflict_events.inference.numbers`), so converted values, bounds and
qualifiers agree with what ``data validate`` checks.

>>> [(n.text, n.value) for n in counts_in("Some 1.3 million fled on Dec. 22; twelve died")]
[('1.3 million', 1300000.0), ('twelve', 12.0)]
>>> unit_after("killed 30 civilian residents of Hit", 9)
'residents'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conflict_events.inference.numbers import NumberKind, ParsedNumber, find_numbers, parse_span
from conflict_events.training.records import Record
from conflict_events.training.sources import SourceDocument
from conflict_events.training.sources.sentences import document_sentences


@dataclass(frozen=True)
class Skipped:
    """A document (or one annotation of it) that produced no record, and why."""

    doc_id: str
    reason: str


@dataclass(frozen=True)
class Span:
    """A labelled number in document coordinates: where it is, its role and unit.

    Its figure is not kept: :func:`sentence_record` reads it again inside the sentence.
    """

    start: int
    end: int
    role: str | None
    unit: str | None


def counts_in(text: str) -> list[ParsedNumber]:
    """The number expressions of ``text`` that count something (no dates, years, money...)."""
    return [n for n in find_numbers(text) if n.kind is NumberKind.COUNT]


def parse_number(text: str) -> float | None:
    """The value of a cell that holds one number ("26000", "2,500.0"), else None.

    >>> parse_number("2,500"), parse_number("many")
    (2500.0, None)
    """
    stripped = text.strip()
    found = find_numbers(stripped) if stripped else []
    if len(found) == 1 and found[0].text == stripped:
        return found[0].value
    return None


def matches(number: ParsedNumber, figure: float) -> bool:
    """Whether ``figure`` is the number's value or one of its bounds."""
    return figure in (number.value, number.low, number.high)


_UNIT_NOUNS = frozenset(
    "people persons person individuals civilians residents villagers families households "
    "children child women men girls boys refugees idps migrants returnees lives soldiers troops "
    "fighters militants rebels policemen officers students workers patients inhabitants "
    "dead deaths fatalities casualties bodies victims protesters pilgrims passengers "
    "villages towns districts areas homes houses schools hospitals bridges".split()
)
# Words that end the noun phrase after a number: "70,000 have been", "17,000 to leave".
_STOP_WORDS = frozenset(
    "and or but were was is are be been being have has had to in on at from who which that by "
    "for with as after during since while than into across the a an".split()
)


def unit_after(text: str, end: int) -> str | None:
    """The counted noun after a number, as written, or None when it stands alone.

    Reads the words right after the number up to a verb or preposition ("nearly 70,000 have
    been..." has none): a known counting noun among them, else the first word when it looks
    like a plural noun ("Brus"), else None ("628,000 relocated").

    >>> unit_after("628,000 relocated and 9.96 million people", 7) is None
    True
    """
    run = []
    for match in re.finditer(r"\S+", text[end : end + 80]):
        word = match.group().strip(".,;:()\"'")
        if (
            not word
            or not re.fullmatch(r"[A-Za-z][A-Za-z'-]*", word)
            or word.lower() in _STOP_WORDS
        ):
            break
        run.append(word)
        if match.group() != word or len(run) == 4:
            break  # punctuation ends the phrase
    if not run or text[end : end + 1].strip() not in ("", "-"):
        return None
    for word in run:
        if word.lower() in _UNIT_NOUNS:
            return word
    first = run[0]
    return first if first.lower().endswith("s") and not first.lower().endswith("ss") else None


def sentence_of(doc: SourceDocument, start: int, end: int) -> tuple[int, int] | None:
    """The sentence span of ``doc`` that contains ``[start, end)``, or None when it straddles."""
    for s, e in document_sentences(doc):
        if s <= start and end <= e:
            return s, e
    return None


def sentence_record(
    doc: SourceDocument,
    span: tuple[int, int],
    events: Iterable[str],
    numbers: Sequence[Span] = (),
    known_labels: Iterable[str] | None = None,
) -> Record:
    """A record of the sentence ``doc.text[span]``, numbers given in document offsets."""
    from conflict_events.training.standoff import standoff_id

    start, end = span
    text = doc.text[start:end]
    # Numbers are read again inside the sentence: a qualifier left in the previous sentence
    # ("Some" on the line before "189,800 residents") does not apply to the record's text.
    mentions = tuple(
        parse_span(text, n.start - start, n.end - start).to_mention(n.role, n.unit)
        for n in sorted(numbers, key=lambda n: n.start)
    )
    return Record(
        id=standoff_id(doc.source, doc.doc_id, start, end),
        text=text,
        events=tuple(sorted(set(events))),
        numbers=mentions,
        doc_id=doc.doc_id,
        source=doc.source,
        known_labels=None if known_labels is None else tuple(sorted(set(known_labels))),
        licence=doc.licence,
    )


def passage_record(
    doc: SourceDocument, events: Iterable[str], known_labels: Iterable[str]
) -> Record | None:
    """A record of the whole document text (stripped), for sources labelled per passage."""
    text = doc.text
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if end <= start:
        return None
    return sentence_record(doc, (start, end), events, (), known_labels)


def span_of(
    doc: SourceDocument, parsed: ParsedNumber, role: str | None, unit: str | None = None
) -> Span:
    """A :class:`Span` for a parsed number."""
    return Span(parsed.start, parsed.end, role, unit if unit else unit_after(doc.text, parsed.end))


_ENGLISH = frozenset("the of and to in were was have has is are from by for with people".split())
_OTHER = frozenset("de la los las el del que en por con personas les des et une".split())


def looks_english(text: str) -> bool:
    """Whether English function words outnumber Spanish/French ones (some excerpts are not
    English).

    >>> looks_english("Some 300 people fled."), looks_english("Unas 300 personas de la zona")
    (True, False)
    """
    words = re.findall(r"[a-z]+", text.lower())
    english = sum(w in _ENGLISH for w in words)
    return english > 0 and english >= sum(w in _OTHER for w in words)
