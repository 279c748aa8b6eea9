"""Draft annotations → records: the one place a hand-written draft line becomes a :class:`Record`.

Writers and annotators do not count characters: a draft names each number by its text and by
which occurrence of that text in the sentence it is (1-based, default 1)::

    {"source": "written", "doc_id": "C1-d001", "text": "At least 25,000 civilians have fled.",
     "events": ["displacement"],
     "numbers": [{"text": "25,000", "occurrence": 1, "role": "displaced", "qualifier": "at_least",
                  "value": 25000, "low": 25000, "high": null, "unit": "civilians"}]}

:func:`resolve_draft` finds the spans. An occurrence is counted as plain substring matches (what
``str.count`` sees) or as whole-token matches (ignoring "15" inside "2015"); when both readings
point at a valid span and they differ, the draft is ambiguous and must give ``start`` (the
character offset) instead. Absent ``value``/``low``/``high``/``qualifier`` keys are filled in
from the number normaliser; keys present (even ``null``) are kept as written, for the validator
to check.

>>> draft = {"text": "In 2015, 15 people died and 15 were hurt.", "events": ["casualty"],
...          "numbers": [{"text": "15", "occurrence": 2, "role": "injured", "qualifier": "exact",
...                       "value": 15, "low": 15, "high": 15}]}
>>> try:
...     resolve_draft(draft, "d.jsonl:1")
... except DraftError as exc:
...     print(exc)  # doctest: +ELLIPSIS
d.jsonl:1: numbers[0] '15' occurrence 2 is ambiguous: ... give 'start' (one of [9, 28]) instead
>>> draft["numbers"][0]["occurrence"] = 3
>>> n = resolve_draft(draft, "d.jsonl:1").numbers[0]
>>> (n.start, n.end, n.role)
(28, 30, 'injured')
"""

from __future__ import annotations

from typing import Any

from conflict_events.inference.results import NumberMention, Qualifier
from conflict_events.training.records import JsonLines, Record, RecordError

# Keys a draft line may carry. ``annotator`` and ``note`` are metadata for the people who review
# drafts; they do not become record fields (the stand-off importer reads ``annotator`` itself).
DRAFT_FIELDS = frozenset(
    {"id", "source", "doc_id", "text", "events", "numbers", "known_labels", "licence"}
)
DRAFT_METADATA = frozenset({"annotator", "note"})
DRAFT_NUMBER_FIELDS = frozenset(
    {"text", "occurrence", "start", "role", "qualifier", "value", "low", "high", "unit"}
)
NORMALISED_FIELDS = ("value", "low", "high", "qualifier")


class DraftError(RecordError):
    """A draft line that cannot become a record; the message starts with ``file:line:``."""


def resolve_draft(data: Any, where: str, record_id: str | None = None) -> Record:
    """Turn one parsed draft line into a :class:`Record` with number offsets into its text.

    ``where`` (``file:line``) prefixes every error. The record's id is ``record_id``, else the
    draft's ``id``, else ``where``: callers that own an id scheme pass their own.

    >>> r = resolve_draft({"text": "Two aid workers were shot dead.", "events": ["casualty"],
    ...                    "numbers": [{"text": "Two", "role": "killed", "qualifier": "exact",
    ...                                 "value": 2, "low": 2, "high": 2, "unit": "aid workers"}]},
    ...                   "d.jsonl:3", record_id="w-1")
    >>> r.numbers[0].start, r.numbers[0].end, r.numbers[0].value
    (0, 3, 2.0)
    """
    if not isinstance(data, dict):
        raise DraftError(f"{where}: a draft must be a JSON object, got {type(data).__name__}")
    unknown = set(data) - DRAFT_FIELDS - DRAFT_METADATA
    if unknown:
        raise DraftError(
            f"{where}: unknown field(s) {sorted(unknown)}; a draft has "
            f"{sorted(DRAFT_FIELDS | DRAFT_METADATA)}"
        )
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DraftError(f"{where}: field 'text' must be a non-empty string")
    numbers = data.get("numbers", [])
    if not isinstance(numbers, list):
        raise DraftError(f"{where}: field 'numbers' must be a list")
    mentions = [_resolve_number(text, n, i, where) for i, n in enumerate(numbers)]
    mentions.sort(key=lambda m: (m.start, m.end))
    record = {
        key: data[key] for key in ("source", "doc_id", "known_labels", "licence") if key in data
    }
    record.update(
        id=record_id or data.get("id") or where,
        text=text,
        events=data.get("events", []),
        numbers=[],
    )
    try:
        parsed = Record.from_dict(record)
    except RecordError as exc:
        raise DraftError(f"{where}: {exc}") from None
    for key in ("source", "doc_id", "licence"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise DraftError(f"{where}: field {key!r} must be a string or null")
    return Record(
        id=parsed.id,
        text=parsed.text,
        events=parsed.events,
        numbers=tuple(mentions),
        doc_id=parsed.doc_id,
        source=parsed.source,
        known_labels=parsed.known_labels,
        licence=parsed.licence,
    )


def _resolve_number(text: str, number: Any, index: int, where: str) -> NumberMention:
    label = f"numbers[{index}]"
    if not isinstance(number, dict):
        raise DraftError(f"{where}: {label} must be an object")
    unknown = set(number) - DRAFT_NUMBER_FIELDS
    if unknown:
        raise DraftError(
            f"{where}: {label} has unknown field(s) {sorted(unknown)}; a draft number has "
            f"{sorted(DRAFT_NUMBER_FIELDS)}"
        )
    span = number.get("text")
    if not isinstance(span, str) or not span:
        raise DraftError(f"{where}: {label} field 'text' must be a non-empty string")
    label = f"{label} {span!r}"
    if "role" not in number:
        raise DraftError(f"{where}: {label} has no 'role'")
    for key in ("role", "unit"):
        if number.get(key) is not None and not isinstance(number[key], str):
            raise DraftError(f"{where}: {label} field {key!r} must be a string or null")
    start = _locate(text, span, number, where, label)
    values = {key: number[key] for key in NORMALISED_FIELDS if key in number}
    if len(values) < len(NORMALISED_FIELDS):
        values = {**_normalised(text, start, start + len(span), where, label), **values}
    for key in ("value", "low", "high"):
        value = values.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DraftError(f"{where}: {label} field {key!r} must be a number or null")
    try:
        qualifier = Qualifier(values.get("qualifier") or "exact")
    except ValueError:
        raise DraftError(
            f"{where}: {label} unknown qualifier {values.get('qualifier')!r}; expected one of "
            f"{[q.value for q in Qualifier]}"
        ) from None
    return NumberMention(
        text=span,
        start=start,
        end=start + len(span),
        value=_opt_float(values.get("value")),
        low=_opt_float(values.get("low")),
        high=_opt_float(values.get("high")),
        qualifier=qualifier,
        role=number.get("role"),
        unit=number.get("unit"),
    )


def _locate(text: str, span: str, number: dict[str, Any], where: str, label: str) -> int:
    """The start offset of the number named by ``start`` or ``occurrence``."""
    if "start" in number:
        start = number["start"]
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise DraftError(f"{where}: {label} field 'start' must be a non-negative integer")
        found = text[start : start + len(span)]
        if found != span:
            raise DraftError(f"{where}: {label} start {start} points at {found!r}, not {span!r}")
        return start
    occurrence = number.get("occurrence", 1)
    if isinstance(occurrence, bool) or not isinstance(occurrence, int) or occurrence < 1:
        raise DraftError(f"{where}: {label} field 'occurrence' must be an integer >= 1")
    plain = substring_starts(text, span)
    tokens = [s for s in plain if at_token_boundary(text, s, s + len(span))]
    candidates = []
    if len(plain) >= occurrence and plain[occurrence - 1] in tokens:
        candidates.append(plain[occurrence - 1])
    if len(tokens) >= occurrence and tokens[occurrence - 1] not in candidates:
        candidates.append(tokens[occurrence - 1])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise DraftError(
            f"{where}: {label} occurrence {occurrence} is ambiguous: {span!r} also occurs inside "
            f"a longer word or number; give 'start' (one of {tokens}) instead"
        )
    if not plain:
        hint = ""
        lowered = substring_starts(text.lower(), span.lower())
        if lowered:
            hint = f" (it occurs with different case at offset {lowered[0]})"
        raise DraftError(f"{where}: {label} does not occur in the text{hint}")
    raise DraftError(
        f"{where}: {label} occurrence {occurrence} does not exist: the text has {len(plain)} "
        f"occurrence(s), {len(tokens)} of them as a whole token"
    )


def substring_starts(text: str, span: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``span`` (as ``str.count`` sees them).

    >>> substring_starts("15 of 2015", "15")
    [0, 8]
    """
    starts, at = [], text.find(span)
    while at >= 0:
        starts.append(at)
        at = text.find(span, at + len(span))
    return starts


def at_token_boundary(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is not glued to a longer word or number.

    "15" in "2015", "two" in "twenty-two", "5" in "5,000" and "20" in "20-30" are glued.

    >>> at_token_boundary("twenty-two", 7, 10), at_token_boundary("killed 5, wounded", 7, 8)
    (False, True)
    """
    before = text[start - 1] if start > 0 else ""
    before2 = text[start - 2] if start > 1 else ""
    after = text[end] if end < len(text) else ""
    after2 = text[end + 1] if end + 1 < len(text) else ""
    if before.isalnum() or after.isalnum():
        return False
    first, last = text[start], text[end - 1]
    if before in "-\u2013" and before and before2.isalnum() and first.isalnum():
        return False
    if after in "-\u2013" and after and after2.isalnum() and last.isalnum():
        return False
    if before in ",." and before and before2.isdigit() and first.isdigit():
        return False
    return not (after in ",." and after and after2.isdigit() and last.isdigit())


def _normalised(text: str, start: int, end: int, where: str, label: str) -> dict[str, Any]:
    """value/low/high/qualifier of a span as the normaliser reads it (for drafts that omit them)."""
    from conflict_events.inference.numbers import parse_span

    try:
        parsed = parse_span(text, start, end)
    except ValueError as exc:
        raise DraftError(
            f"{where}: {label} gives no value/low/high/qualifier and the normaliser cannot "
            f"read it: {exc}"
        ) from None
    if parsed is None or str(parsed.kind) == "unknown":
        raise DraftError(
            f"{where}: {label} gives no value/low/high/qualifier and the normaliser cannot read it"
        )
    return {
        "value": parsed.value,
        "low": parsed.low,
        "high": parsed.high,
        "qualifier": str(parsed.qualifier),
    }


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


# Draft files are read like any JSONL file: (line, object) pairs and file:line problems.
DraftReader = JsonLines
