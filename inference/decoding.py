"""From network outputs to results: BIO token tags → character spans → normalised numbers.

The network only finds number spans and their roles. Values, qualifiers and kinds come from the
normaliser (:mod:`conflict_events.inference.numbers`), the counted noun from the unit rule
(:mod:`conflict_events.inference.units`).

Rules, in order:

1. **Spans.** Consecutive content tokens tagged ``B-r``/``I-r`` form one span of role ``r``; a
   ``B-r`` token that touches the previous token of the same role (a word piece, "25" "," "000")
   continues it. Spans are widened to whole words, since word pieces can split a number.
2. **Normalisation.** The normaliser reads each span in context (it may widen it to a scale word,
   "2.4" → "2.4 million", and never includes qualifier words). A span the normaliser reads as a
   non-count (a date, year, age, money, percentage, duration or measure) is dropped: the role
   head says *which* count a number is, the normaliser says *whether* it is a count.
3. **Windows.** A long sentence is tagged in overlapping windows; spans found twice keep the
   higher score (overlaps are found by bisection: linear in the number of spans, up to the
   cost of inserting into a sorted list), event probabilities take the maximum over windows.
4. **Reconciliation** (``reconcile=True``): a number with a role is evidence for that role's event
   (``LabelSchema.role_events``): when the event head is below its threshold, the event is still
   reported, with the number's score. Evaluation reports metrics with and without this rule.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.numbers import parse_span
from conflict_events.inference.results import EventScore, NumberMention
from conflict_events.inference.units import find_unit

# Kinds of number that never count event participants, whatever the role head says.
NON_COUNT_KINDS = frozenset(
    {
        "money",
        "percentage",
        "fraction",
        "ordinal",
        "date",
        "year",
        "time",
        "age",
        "duration",
        "measure",
        "identifier",
        "unknown",
    }
)


@dataclass(frozen=True)
class TaggedSpan:
    """A character span the token head tagged with a role, and the mean tag probability."""

    start: int
    end: int
    role: str
    score: float


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def bio_spans(
    offsets: Sequence[tuple[int, int] | None],
    tag_probs: np.ndarray,
    bio_tags: Sequence[str],
) -> list[TaggedSpan]:
    """Read role spans off per-token tag probabilities ``(tokens, tags)``.

    >>> tags = ("O", "B-killed", "I-killed")
    >>> probs = np.array([[1, 0, 0], [0, .9, .1], [0, .2, .8], [.9, .1, 0]])
    >>> bio_spans([None, (0, 2), (2, 5), (6, 10)], probs, tags)
    [TaggedSpan(start=0, end=5, role='killed', score=0.85)]
    """
    best = tag_probs.argmax(axis=-1)
    spans: list[TaggedSpan] = []
    current: list = []  # [start, end, role, scores]

    def close() -> None:
        if current:
            start, end, role, scores = current
            spans.append(TaggedSpan(start, end, role, round(float(np.mean(scores)), 6)))
            current.clear()

    for offset, tag_id, probs in zip(offsets, best, tag_probs):
        tag = bio_tags[tag_id]
        if offset is None or tag == "O" or offset[0] == offset[1]:
            close()
            continue
        prefix, role = tag.split("-", 1)
        continues = current and current[2] == role and (prefix == "I" or offset[0] == current[1])
        if continues:
            current[1] = offset[1]
            current[3].append(probs[tag_id])
        else:
            close()
            current.extend([offset[0], offset[1], role, [probs[tag_id]]])
    close()
    return spans


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def spans_to_numbers(text: str, spans: Sequence[TaggedSpan]) -> list[NumberMention]:
    """Normalise tagged spans into :class:`NumberMention` objects (rules 1-3 of the module doc)."""
    mentions: list[NumberMention] = []
    # The kept spans never overlap, so sorted by start their ends are sorted too: a new span can
    # only overlap its neighbours there (a bisect, not a scan of every kept span).
    starts: list[int] = []
    ends: list[int] = []
    for span in sorted(spans, key=lambda s: -s.score):
        start, end = _widen_to_words(text, span.start, span.end)
        parsed = parse_span(text, start, end)
        if parsed.kind.value in NON_COUNT_KINDS:
            continue
        at = bisect.bisect_left(starts, parsed.end)  # kept spans starting before this one ends
        if at and ends[at - 1] > parsed.start:
            continue  # overlaps a higher-scoring span (e.g. the same number from two windows)
        unit = find_unit(text, parsed.start, parsed.end)
        mentions.append(
            parsed.to_mention(span.role, None if unit is None else unit.text, span.score)
        )
        where = bisect.bisect_left(starts, parsed.start)
        starts.insert(where, parsed.start)
        ends.insert(where, parsed.end)
    return sorted(mentions, key=lambda m: m.start)


def decide_events(
    probs: np.ndarray,
    numbers: Sequence[NumberMention],
    schema: LabelSchema,
    thresholds: dict[str, float],
    reconcile: bool = True,
) -> list[EventScore]:
    """Event labels above threshold, plus (``reconcile``) the events their numbers evidence.

    >>> schema = LabelSchema.default()
    >>> killed = NumberMention("five", 0, 4, 5.0, 5.0, 5.0, role="killed", score=0.9)
    >>> [e.label for e in decide_events(np.array([.1, .3, .0, .0]), [killed], schema, {})]
    ['casualty']
    >>> decide_events(np.array([.1, .3, .0, .0]), [killed], schema, {}, reconcile=False)
    []
    """
    scores = {label: float(p) for label, p in zip(schema.event_labels, probs)}
    chosen = {label for label, p in scores.items() if p >= thresholds.get(label, 0.5)}
    if reconcile:
        for number in numbers:
            event = schema.role_events.get(number.role or "")
            if event is not None and event not in chosen:
                chosen.add(event)
                scores[event] = max(scores[event], float(number.score or 0.0))
    return [
        EventScore(label, round(scores[label], 6))
        for label in schema.event_labels
        if label in chosen
    ]
