"""Typed, JSON-round-trippable results: what the tagger returns for sentences and documents.

Offsets are always relative to the text the caller passed in: the document for
:class:`DocumentResult`, the sentence when a bare sentence is tagged. A number's span excludes
its qualifier words ("at least 25,000": the span is "25,000").

>>> n = NumberMention("25,000", 9, 15, 25000.0, 25000.0, 25000.0, Qualifier.AT_LEAST, "displaced", "civilians", 0.98)
>>> NumberMention.from_dict(n.to_dict()) == n
True
>>> n.to_dict()["qualifier"]
'at_least'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Qualifier(str, Enum):
    """How a figure relates to the true count, read from the words around it."""

    EXACT = "exact"
    APPROXIMATE = "approximate"  # some, about, around, roughly, nearly, almost, an estimated
    AT_LEAST = "at_least"  # at least, more than, over, upwards of
    AT_MOST = "at_most"  # up to, fewer/less than, no more than
    RANGE = "range"  # between X and Y, X to Y, X-Y
    VAGUE = "vague"  # dozens, hundreds, thousands, tens of thousands, several

    def __str__(self) -> str:
        return self.value


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


QUANTITY_FIELDS = ("value", "low", "high", "qualifier")


@dataclass(frozen=True)
class Quantity:
    """A figure as the normaliser reads it: the one shape of value, bounds and qualifier.

    ``value`` is None for vague and range figures; ``low``/``high`` bound them (a vague
    "dozens" has the documented conservative low bound and no high bound). Number mentions,
    parsed numbers, document figures and stand-off annotations all carry their figure as these
    four fields, declared and serialised here.

    >>> q = Quantity.from_dict({"value": 25000, "low": 25000, "qualifier": "at_least"})
    >>> q, q.to_dict()["qualifier"]
    (Quantity(value=25000.0, low=25000.0, high=None, qualifier=<Qualifier.AT_LEAST: 'at_least'>), 'at_least')
    >>> Quantity.from_dict({"value": "many"}, strict=True)
    Traceback (most recent call last):
    ...
    ValueError: field 'value' must be a number or null
    """

    value: float | None = None
    low: float | None = None
    high: float | None = None
    qualifier: Qualifier = Qualifier.EXACT

    def __post_init__(self) -> None:
        _coerce_quantity(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "qualifier": self.qualifier.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], strict: bool = False) -> Quantity:
        """The four fields of ``data`` (missing: None and ``exact``); ``strict`` refuses strings
        and booleans where numbers belong, instead of converting them.
        """
        numbers = []
        for key in ("value", "low", "high"):
            raw = data.get(key)
            if (
                strict
                and raw is not None
                and (isinstance(raw, bool) or not isinstance(raw, int | float))
            ):
                raise ValueError(f"field {key!r} must be a number or null")
            numbers.append(_opt_float(raw))
        try:
            qualifier = Qualifier(data.get("qualifier") or "exact")
        except ValueError:
            raise ValueError(f"unknown qualifier {data.get('qualifier')!r}") from None
        return cls(*numbers, qualifier)


def _coerce_quantity(obj: Any) -> None:
    """Floats and a :class:`Qualifier` in the quartet of a frozen dataclass, whatever was passed."""
    if not isinstance(obj.qualifier, Qualifier):
        object.__setattr__(obj, "qualifier", Qualifier(obj.qualifier))
    for name in ("value", "low", "high"):
        number = getattr(obj, name)
        if number is not None and type(number) is not float:
            object.__setattr__(obj, name, float(number))


@dataclass(frozen=True)
class _TextSpan:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class QuantitySpan(Quantity, _TextSpan):
    """A span of text that states a :class:`Quantity`: the fields every number type starts with.

    The quartet is :class:`Quantity`'s own (inherited, not declared again); :class:`NumberMention`
    and :class:`~conflict_events.inference.numbers.ParsedNumber` extend it (positional order
    ``text, start, end, value, low, high, qualifier``). :attr:`quantity` is the figure alone.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span [{self.start}, {self.end}) for {self.text!r}")

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.value, self.low, self.high, self.qualifier)

    def _span_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, **self.quantity.to_dict()}

    @staticmethod
    def _span_fields(data: dict[str, Any]) -> dict[str, Any]:
        q = Quantity.from_dict(data)
        return {"text": data["text"], "start": int(data["start"]), "end": int(data["end"]),
                "value": q.value, "low": q.low, "high": q.high, "qualifier": q.qualifier}  # fmt: skip


@dataclass(frozen=True)
class NumberMention(QuantitySpan):
    """A number in the text, normalised, with the event role it counts (None: no event count).

    Its figure is :attr:`quantity` (value, bounds, qualifier; see :class:`Quantity`).
    """

    role: str | None = None
    unit: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self._span_dict(), "role": self.role, "unit": self.unit, "score": self.score}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumberMention:
        return cls(
            **cls._span_fields(data),
            role=data.get("role"),
            unit=data.get("unit"),
            score=_opt_float(data.get("score")),
        )

    def shifted(self, offset: int) -> NumberMention:
        """The same mention with offsets moved by ``offset`` (sentence → document)."""
        from dataclasses import replace

        return replace(self, start=self.start + offset, end=self.end + offset)


@dataclass(frozen=True)
class EventScore:
    """One event label the model assigns to a sentence, with its probability."""

    label: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventScore:
        return cls(data["label"], float(data["score"]))


@dataclass(frozen=True)
class SentenceResult:
    """The events a sentence reports and the numbers it gives, with offsets into the input text."""

    text: str
    start: int
    end: int
    events: tuple[EventScore, ...] = ()
    numbers: tuple[NumberMention, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "numbers", tuple(self.numbers))

    @property
    def labels(self) -> tuple[str, ...]:
        """The event labels above threshold, in schema order."""
        return tuple(e.label for e in self.events)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "events": [e.to_dict() for e in self.events],
            "numbers": [n.to_dict() for n in self.numbers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentenceResult:
        return cls(
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            events=tuple(EventScore.from_dict(e) for e in data.get("events", ())),
            numbers=tuple(NumberMention.from_dict(n) for n in data.get("numbers", ())),
        )


@dataclass(frozen=True)
class Citation:
    """Where a document figure is cited: the sentence index and the number's document offsets."""

    sentence: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(int(data["sentence"]), int(data["start"]), int(data["end"]))


@dataclass(frozen=True)
class Figure:
    """One distinct figure of a document for one role, with every sentence that cites it."""

    role: str
    quantity: Quantity
    unit: str | None
    citations: tuple[Citation, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "citations", tuple(self.citations))

    # The figure's quartet, read as on a NumberMention.
    value = property(lambda self: self.quantity.value)
    low = property(lambda self: self.quantity.low)
    high = property(lambda self: self.quantity.high)
    qualifier = property(lambda self: self.quantity.qualifier)

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            **self.quantity.to_dict(),
            "unit": self.unit,
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(
            role=data["role"],
            quantity=Quantity.from_dict(data),
            unit=data.get("unit"),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations", ())),
        )


@dataclass(frozen=True)
class DocumentSummary:
    """A document's event labels and its distinct figures per role (repeats counted once)."""

    events: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "figures", tuple(self.figures))

    def to_dict(self) -> dict[str, Any]:
        return {"events": list(self.events), "figures": [f.to_dict() for f in self.figures]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentSummary:
        return cls(
            events=tuple(data.get("events", ())),
            figures=tuple(Figure.from_dict(f) for f in data.get("figures", ())),
        )


@dataclass(frozen=True)
class DocumentResult:
    """A tagged document: its sentences (offsets into ``text``), a summary, and warnings.

    ``warnings`` says what the tagger had to do to the text (an over-long sentence cut into
    pieces); it is left out of :meth:`to_dict` when empty.
    """

    id: str | None
    text: str
    sentences: tuple[SentenceResult, ...] = ()
    summary: DocumentSummary | None = field(default=None)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentences", tuple(self.sentences))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    def to_dict(self, include_text: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if include_text:
            data["text"] = self.text
        data["sentences"] = [s.to_dict() for s in self.sentences]
        data["summary"] = None if self.summary is None else self.summary.to_dict()
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentResult:
        summary = data.get("summary")
        return cls(
            id=data.get("id"),
            text=data.get("text", ""),
            sentences=tuple(SentenceResult.from_dict(s) for s in data.get("sentences", ())),
            summary=None if summary is None else DocumentSummary.from_dict(summary),
            warnings=tuple(data.get("warnings", ())),
        )
