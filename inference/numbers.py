"""Read the numbers in a text: value, bounds, qualifier and kind of each number expression.

The model predicts number spans; this module says what they mean. :func:`find_numbers` scans a
whole text, :func:`parse_span` normalises one span in its context. Both return
:class:`ParsedNumber`: the span of the expression, its ``value``, ``low`` and ``high`` bounds, a
:class:`~conflict_events.inference.results.Qualifier` and a :class:`NumberKind` that tells a count
("25,000 people") from money, a percentage, a date, a year, an age, a duration, a measure ...

>>> [(n.text, n.value, n.qualifier.value, n.kind.value)
...  for n in find_numbers("At least 25,000 civilians fled on Dec. 22, a $1bn blow.")]
[('25,000', 25000.0, 'at_least', 'count'), ('22', 22.0, 'exact', 'date'), ('1bn', 1000000000.0, 'exact', 'money')]

Conventions (they match data/GUIDELINE.md):

* The span covers the number and its scale words ("2.4 million", "hundreds of thousands",
  "half a million", "a dozen", "three hundred and forty", "1.3m", "5,000 and 7,000" for a range).
  It excludes qualifier words ("at least"), currency signs ("$"), and units ("%", "km", "people").
* Bounds: exact and approximate: value = low = high. ``at_least``: value = low, high None.
  ``at_most``: value = high, low None. ``range``: value None, low and high the two ends.
  ``vague``: value None, high None, low the conservative bound of :data:`VAGUE_LOW_BOUNDS`: the unit
  the word counts in (dozens → 12, scores → 20, hundreds → 100, thousands → 1,000, tens of
  thousands → 10,000, hundreds of thousands → 100,000), several → 3, a few → 2, multiplied out
  for "several hundred" (300) or "a few dozen" (24). This is ACLED's style (dozens → 12,
  hundreds → 100), except "several", which ACLED codes as 10 and we read literally as 3.
  "Scores" is a quantity only where it cannot be a verb or a noun: before "of", "more" or a
  verb ("scores were injured"), or after a casualty verb ("killing scores"). "A pair of" is 2.
* Qualifiers directly before the number (:data:`QUALIFIER_PHRASES`): "at least", "more than",
  "over", "upwards of", "in excess of" → at_least; "some", "about", "around", "roughly",
  "nearly", "almost", "an estimated", "approximately", "close to", "~" → approximate; "up to",
  "as many as", "as high as", "fewer/less than", "no more than", "under" → at_most. "As many
  as" and "as high as" are at_most: they quote the top of the sources' estimates, like "up to".
  A verb saying a figure reached a threshold reads like "over": "(the toll) passes, passed,
  crosses, tops, exceeds, surpassed, soars past 500" → at_least, but not before what was
  passed ("crossed 3 borders": a noun other than people follows) nor "the past 24 hours".
  "Over" before a duration means "during" ("over five years"), and after "hand", "turn" or
  "take" it is a particle ("handed over 7 bases", "took over 4 villages"; but "took over 60
  posts", a round figure, is at_least): no qualifier. After the number, "or more" and "+" give
  at_least, "or so" approximate. A qualifier only applies to the number it directly precedes;
  a line break may come between them ("Some\n189,800", not after a preposition such as
  "over"), a comma after "approximately" or "roughly", and "the" before a "mark" ("close to
  the 800 mark").
* Separators: "25,000", "25 000" (space, no-break or thin space between 3-digit groups) and
  "1.300.000" group thousands. A single dot group, "1.300", is read as 1,300 (thousands, as in
  European-style sources): English reports do not write counts with three decimals. Before a
  scale word the dot and the comma are decimal points: "1.250 million" = 1,250,000 and
  "1,5 million" = 1,500,000. A leading zero ("0.750") is always decimal. Comma groups of two
  and three digits mixed are Indian lakh grouping ("5,84,888" = 584,888; "1,00,000") or a slip
  ("4,000,00"): the digits without the commas.
* "m" written onto a number is million ("1.3m", "£40m"); a spaced "m" ("300 m") is metres.
* A four-digit number from 1800 to 2100 with no separator and no qualifier before it is a year
  ("in 2011", "2011 people" too: write "2,011 people" for a count), unless a lowercase word
  that no year follows comes before it and people after it ("killed 2000 people", "in
  exchange 2000 Sunni residents"; but "in 2014 civilians fled" is a year).
* A word before a number makes it an identifier ("Resolution 2254", "Route 60", "Round 24",
  "No. 5", "MH17", "Su-24"), except where people are counted after it ("control room 135
  people") or the number after a hyphenated name is in words ("SANA-One civilian").
* A number from 1 to 31 next to a capitalised month name is a day of the month (kind date,
  value the day): "Dec. 22", "3 March", "the 15th of May". Clock times have the value in hours on
  a 24-hour clock ("9 p.m." → 21, "14:30" → 14.5). Fractions have their value ("two-thirds").
* Ranges: "between X and Y", "X to Y", "X-Y", "X or Y". A scale word after the second end
  applies to the first ("2-3 million"). "From X to Y" is a change, two numbers ("rose from 20
  to 30"), unless "ranging", "ranged", "vary" or "anywhere" comes before "from". The second
  end may carry its own qualifier, inside the span ("10000 to more than 30000"). No range
  starts at an identifier ("Round 24 to 373,709 IDPs") or ends at more than a thousand times
  its first end, unless "between" opens it.

Bad input: a non-``str`` text raises ``TypeError`` (bytes: decode them first). Empty or
blank texts have no numbers. Control characters and lone surrogates are ordinary non-word
characters: offsets stay exact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from conflict_events.inference.number_words import (
    COMMA_QUALIFIERS,
    CURRENCY_CODES,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    DENOMINATORS,
    HALF_FOLLOWERS,
    IDENTIFIER_WORDS,
    LITERAL_OBJECT_VERBS,
    MARK_WORDS,
    MEASURE_UNITS,
    MONTHS,
    NOT_IDENTIFIER_PREFIXES,
    ORD_SCALES,
    ORD_TEENS,
    ORD_TENS,
    ORD_UNITS,
    OVER_PARTICLE_VERBS,
    PAIR_WORDS,
    PAST_DETERMINERS,
    PREPOSITION_QUALIFIERS,
    QUALIFIER_PHRASES,
    QUALIFIER_WORDS,
    QUALIFIERS_BY_LAST_WORD,
    RANGE_FROM_CUES,
    SCALE_ABBREVIATIONS,
    SCALE_SUFFIXES,
    SCALES,
    SCORES_AFTER,
    SCORES_CONJUNCTIONS,
    SCORES_FOLLOWERS,
    TAKE_OVER_VERBS,
    TEENS_AND_TENS,
    TENS,
    THRESHOLD_VERBS,
    TIME_UNITS,
    UNITS,
    VAGUE_LOW_BOUNDS,
    WORD_STARTS,
    YEAR_LEFT_WORDS,
)
from conflict_events.inference.results import NumberMention, Qualifier, QuantitySpan
from conflict_events.inference.splitter import check_span, check_text
from conflict_events.inference.units import NOMINAL_ADJECTIVES, PEOPLE_NOUNS, find_unit

__all__ = [
    "QUALIFIER_PHRASES",
    "VAGUE_LOW_BOUNDS",
    "NumberKind",
    "ParsedNumber",
    "find_numbers",
    "parse_span",
]


class NumberKind(str, Enum):
    """What a number measures; only ``count`` can be an event count."""

    COUNT = "count"  # 25,000 people, 15 villages, the toll rose to 52
    MONEY = "money"  # $1bn, 5 million dollars
    PERCENTAGE = "percentage"  # 45%, 12 per cent
    FRACTION = "fraction"  # two-thirds, half of
    ORDINAL = "ordinal"  # the 5th brigade, the third attack
    DATE = "date"  # the day in Dec. 22, 3 March
    YEAR = "year"  # 2011, the 1990s
    TIME = "time"  # 10 a.m., 14:30
    AGE = "age"  # a 12-year-old, aged 35
    DURATION = "duration"  # three days, a 72-hour truce
    MEASURE = "measure"  # 5 km, 1,500 hectares, 400 tonnes
    IDENTIFIER = "identifier"  # Resolution 2254, Route 60, Su-24, No. 5
    UNKNOWN = "unknown"  # parse_span found no number in the span

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ParsedNumber(QuantitySpan):
    """A number expression of a text, normalised; ``text == source[start:end]``.

    >>> n = ParsedNumber("25,000", 9, 15, 25000.0, 25000.0, None, Qualifier.AT_LEAST, NumberKind.COUNT)
    >>> ParsedNumber.from_dict(n.to_dict()) == n
    True
    >>> n.to_dict()["kind"], n.to_mention(role="displaced").role
    ('count', 'displaced')
    """

    kind: NumberKind = NumberKind.COUNT

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.kind, NumberKind):
            object.__setattr__(self, "kind", NumberKind(self.kind))

    def to_dict(self) -> dict[str, Any]:
        return {**self._span_dict(), "kind": self.kind.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedNumber:
        return cls(**cls._span_fields(data), kind=NumberKind(data.get("kind") or "count"))

    def to_mention(
        self, role: str | None = None, unit: str | None = None, score: float | None = None
    ) -> NumberMention:
        """This number as the :class:`NumberMention` of a tagged sentence."""
        return NumberMention(
            self.text, self.start, self.end, self.value, self.low, self.high, self.qualifier,
            role, unit, score,
        )  # fmt: skip


# --- Tokens -------------------------------------------------------------------------------------

# Runs of digits, runs of letters, and single other characters; whitespace separates tokens.
_TOKEN = re.compile(r"\d+|[^\W\d_]+|\S")
_SPACE_GROUP_GAPS = {" ", "\u00a0", "\u202f", "\u2009"}


# Arabic thousands and decimal separators (written with Arabic-Indic digits) read as "," and ".".
_SEPARATORS = {"\u066c": ",", "\u066b": "."}


class _Tokens:
    """The tokens of ``text[lo:hi]`` with absolute offsets; out-of-range lookups give ``""``."""

    def __init__(self, text: str, lo: int = 0, hi: int | None = None) -> None:
        found = list(_TOKEN.finditer(text, lo, len(text) if hi is None else hi))
        self.text = text
        self.starts = [m.start() for m in found]
        self.ends = [m.end() for m in found]
        self.toks = [_SEPARATORS.get(m.group(), m.group()) for m in found]
        self.low = [t.lower() for t in self.toks]
        self.n = len(found)

    def tok(self, k: int) -> str:
        return self.toks[k] if 0 <= k < self.n else ""

    def lw(self, k: int) -> str:
        return self.low[k] if 0 <= k < self.n else ""

    def adj(self, k: int) -> bool:
        """Token ``k`` touches token ``k - 1``."""
        return 0 < k < self.n and self.starts[k] == self.ends[k - 1]

    def near(self, k: int) -> bool:
        """Token ``k`` follows token ``k - 1`` on the same line."""
        return 0 < k < self.n and "\n" not in self.text[self.ends[k - 1] : self.starts[k]]

    def soft(self, k: int) -> bool:
        """Token ``k`` follows token ``k - 1`` across at most one line break (no blank line)."""
        return 0 < k < self.n and self.text.count("\n", self.ends[k - 1], self.starts[k]) <= 1

    def gap(self, k: int) -> str:
        return self.text[self.ends[k - 1] : self.starts[k]] if 0 < k < self.n else ""

    def digits(self, k: int) -> bool:
        return 0 <= k < self.n and self.toks[k][0].isdecimal()


@dataclass
class _Core:
    """A number without its context: tokens [i, j), value, and how it was written."""

    i: int
    j: int
    value: float | None
    form: str = "number"  # number | vague | ordinal | fraction | decade | time | date
    scale: float = 1.0  # the scale word that ends it, shared with a range's first end
    plain: bool = False  # one bare run of digits: could be a year or a day
    low: float | None = None  # the bound of a vague quantity


@dataclass
class _Expression:
    first: _Core
    last: _Core  # the second end of a range, else ``first``

    @property
    def is_range(self) -> bool:
        return self.last is not self.first


# --- Reading numbers ----------------------------------------------------------------------------


class _Reader:
    """Finds number expressions in the tokens and reads their value, qualifier and kind."""

    def __init__(self, tokens: _Tokens) -> None:
        self.t = tokens

    def expressions(self) -> list[_Expression]:
        t, found, k = self.t, [], 0
        while k < t.n:
            if not (t.digits(k) or t.low[k] in WORD_STARTS) or self._skip(k):
                k += 1
                continue
            expr = self.expression(k)
            if expr is None:
                k += 1
                continue
            found.append(expr)
            k = expr.last.j
        return found

    def _skip(self, k: int) -> bool:
        """Words that look like numbers but are not: "no one", "30-second"."""
        t = self.t
        if t.low[k] == "one" and (t.lw(k - 1) == "no" or t.lw(k + 1) == "another"):
            return True
        if t.low[k] == "second":
            before = k - 2 if t.tok(k - 1) == "-" else k - 1
            return t.digits(before) or t.lw(before) in UNITS or t.lw(before) in TENS
        return False

    def expression(self, k: int, force_range: bool = False) -> _Expression | None:
        a = self.core(k)
        if a is None:
            return None
        b = self._range_end(a, force_range) if a.form == "number" else None
        return _Expression(a, b or a)

    # Cores: one number, in digits or words.

    def core(self, k: int) -> _Core | None:
        if self.t.digits(k):
            return self._digit_core(k)
        return self._word_core(k)

    def _digit_core(self, i: int) -> _Core | None:
        t = self.t
        first = t.toks[i]
        date = self._numeric_date(i)
        if date is not None:
            return date
        # 14:30
        if (
            len(first) <= 2 and t.tok(i + 1) == ":" and t.adj(i + 1) and t.adj(i + 2)
            and t.digits(i + 2) and len(t.toks[i + 2]) == 2
        ):  # fmt: skip
            hours, minutes = int(first), int(t.toks[i + 2])
            if hours <= 24 and minutes < 60:
                return _Core(i, i + 3, hours + minutes / 60, form="time")
        digits, j = first, i + 1
        grouped = False
        if len(first) <= 3:
            groups, j = self._groups(i)
            grouped = bool(groups)
            digits += "".join(groups)
        decimals = ""
        if t.tok(j) in ".," and t.adj(j) and t.adj(j + 1) and t.digits(j + 1):
            sep, after = t.toks[j], t.toks[j + 1]
            if sep == "." or (not grouped and len(after) <= 2 and self._scale_at(j + 2)):
                decimals, j = after, j + 2
        exponent, j = self._exponent(i, j)
        value = float(f"{digits}.{decimals}" if decimals else digits) * 10.0**exponent
        plain = j == i + 1
        suffix = t.lw(j) if t.adj(j) else ""
        if plain and suffix in ("st", "nd", "rd", "th"):
            return _Core(i, j + 1, value, form="ordinal")
        if plain and len(first) == 4 and first.endswith("0"):
            if suffix == "s":
                return _Core(i, j + 1, None, form="decade", low=value)
            if t.tok(j) in "'’" and t.adj(j) and t.lw(j + 1) == "s" and t.adj(j + 1):
                return _Core(i, j + 2, None, form="decade", low=value)
        scale = 1.0
        if suffix in SCALE_SUFFIXES or (suffix in SCALES and suffix != "dozen"):
            scale, j = SCALE_SUFFIXES.get(suffix) or SCALES[suffix], j + 1
        else:
            scale, j = self._scale_words(j)
        return _Core(i, j, value * scale, scale=scale, plain=plain and scale == 1.0)

    def _exponent(self, i: int, j: int) -> tuple[int, int]:
        """Powers of ten written onto the digits ending at ``j``: "1e9", "2.5E6", "10^6",
        "3x10^6" (the exponent, and where the number ends); ``(0, j)`` when there is none."""
        t = self.t

        def power(k: int) -> int | None:  # the exponent's digits at k, not followed by more
            if t.adj(k) and t.digits(k) and len(t.toks[k]) <= 2 and not t.adj(k + 1):
                return int(t.toks[k])
            return None

        if t.lw(j) == "e" and t.adj(j):
            sign = -1 if t.tok(j + 1) == "-" and t.adj(j + 1) else 1
            k = j + 2 if t.tok(j + 1) in ("+", "-") and t.adj(j + 1) else j + 1
            found = power(k)
            if found is not None:
                return sign * found, k + 1
        if t.toks[i] == "10" and j == i + 1 and t.tok(j) == "^" and t.adj(j):
            found = power(j + 1)
            if found is not None:
                return found - 1, j + 2  # 10^6 is 10 times 10^5
        if t.tok(j) in ("x", "×", "*") and t.adj(j) and t.tok(j + 1) == "10" and t.adj(j + 1):
            if t.tok(j + 2) == "^" and t.adj(j + 2):
                found = power(j + 3)
                if found is not None:
                    return found, j + 4
        return 0, j

    def _groups(self, i: int) -> tuple[list[str], int]:
        """Thousands groups after the digits at ``i``: ",000", ".000" or " 000" repeated."""
        t = self.t
        irregular = self._irregular_groups(i)
        if irregular is not None:
            return irregular
        for sep in (",", "."):
            groups, j = [], i + 1
            while (
                t.tok(j) == sep and t.adj(j) and t.adj(j + 1) and t.digits(j + 1)
                and len(t.toks[j + 1]) == 3
            ):  # fmt: skip
                groups.append(t.toks[j + 1])
                j += 2
            if sep == "," and groups:
                return groups, j
            # One dot group is a decimal point before a scale word or after a leading zero.
            if sep == "." and (
                len(groups) >= 2
                or (groups and not self._scale_at(j) and not t.toks[i].startswith("0"))
            ):
                return groups, j
        groups, j = [], i + 1
        month_before = t.tok(i - 1) in MONTHS or (t.tok(i - 1) == "." and t.tok(i - 2) in MONTHS)
        if not month_before and not t.digits(i - 1):
            while (
                t.gap(j) in _SPACE_GROUP_GAPS and t.digits(j) and len(t.toks[j]) == 3
                and not (t.tok(j + 1) in ".,:" and t.adj(j + 1) and t.digits(j + 2))
            ):  # fmt: skip
                groups.append(t.toks[j])
                j += 1
        return groups, j

    def _irregular_groups(self, i: int) -> tuple[list[str], int] | None:
        """Comma groups of two and three digits, mixed: Indian lakh grouping ("5,84,888") or a
        slip ("4,000,00"). Either way the digits without the commas are the number."""
        t = self.t
        groups, j = [], i + 1
        while (
            t.tok(j) == "," and t.adj(j) and t.adj(j + 1) and t.digits(j + 1)
            and len(t.toks[j + 1]) in (2, 3)
        ):  # fmt: skip
            groups.append(t.toks[j + 1])
            j += 2
        sizes = {len(g) for g in groups}
        return (groups, j) if len(groups) >= 2 and sizes == {2, 3} else None

    def _scale_at(self, j: int) -> bool:
        t = self.t
        word = t.lw(j)
        if t.adj(j) and word in SCALE_SUFFIXES:
            return True
        return t.near(j) and (word in SCALES or word in SCALE_ABBREVIATIONS)

    def _scale_words(self, j: int) -> tuple[float, int]:
        """Spaced scale words after digits: "2.4 million", "3.7 mln", "5 hundred thousand"."""
        t, scale, last = self.t, 1.0, 0.0
        while t.near(j):
            word = t.lw(j)
            step = SCALES.get(word) or SCALE_ABBREVIATIONS.get(word)
            if step is None or step <= last or (word == "dozen" and last):
                break
            scale, last, j = scale * step, step, j + 1
        return scale, j

    def _numeric_date(self, i: int) -> _Core | None:
        """2019-12-22, 22/12/2019, 22.12.2019: a date without a single value."""
        t = self.t
        parts, j = [t.toks[i]], i + 1
        sep = t.tok(j)
        if sep not in ("-", "/", "."):
            return None
        while len(parts) < 3 and t.tok(j) == sep and t.adj(j) and t.adj(j + 1) and t.digits(j + 1):
            parts.append(t.toks[j + 1])
            j += 2
        if len(parts) != 3:
            return None
        year, first, second = (len(p) for p in parts)
        if year == 4 and first <= 2 and second <= 2:  # 2019-12-22
            month, day = int(parts[1]), int(parts[2])
        elif year <= 2 and first <= 2 and (second == 4 or (second == 2 and sep != ".")):
            # 22/12/2019, 12/22/19: day and month in either order
            month, day = sorted((int(parts[0]), int(parts[1])))
        else:
            return None
        if 1 <= month <= 12 and 1 <= day <= 31:
            return _Core(i, j, None, form="date")
        return None

    def _word_core(self, i: int) -> _Core | None:
        t = self.t
        word = t.low[i]
        if word in VAGUE_LOW_BOUNDS:
            if word == "several":
                return self._vague_times_scales(i, i + 1, 3.0)
            return self._vague_plural(i)
        if word in ("a", "an"):
            after = t.lw(i + 1)
            if not t.near(i + 1):
                return None
            if after == "few":
                return self._vague_times_scales(i, i + 2, 2.0)
            if after in PAIR_WORDS and t.lw(i + 2) == "of":
                return _Core(i, i + 2, PAIR_WORDS[after])
            if after == "quarter" and self._a_scale(i + 3):
                scale = SCALES[t.low[i + 4]]
                return _Core(i, i + 5, 0.25 * scale, scale=scale)
            if after in SCALES:
                return self._cardinal(i, i + 1, lead=1)
            if after in DENOMINATORS and t.lw(i + 2) == "of" and not self._a_scale(i + 3):
                return _Core(i, i + 2, 1 / DENOMINATORS[after], form="fraction")
            return None
        if word == "half":
            if t.lw(i + 1) in ("a", "an") and t.lw(i + 2) in SCALES and t.near(i + 2):
                scale = SCALES[t.low[i + 2]]
                return _Core(i, i + 3, 0.5 * scale, scale=scale)
            if t.lw(i + 1) in HALF_FOLLOWERS:
                return _Core(i, i + 1, 0.5, form="fraction")
            return None
        core = self._cardinal(i, i)
        if core is None or core.form != "number":
            return core
        k = core.j
        small = core.value is not None and core.value <= 10
        # two-thirds, one-fifth, three quarters, one third of
        if small and t.tok(k) == "-" and t.adj(k) and t.adj(k + 1) and t.lw(k + 1) in DENOMINATORS:
            return _Core(i, k + 2, core.value / DENOMINATORS[t.low[k + 1]], form="fraction")
        if small and t.near(k) and t.lw(k) in DENOMINATORS:
            if t.lw(k).endswith("s") or (core.value == 1 and t.lw(k + 1) == "of"):
                return _Core(i, k + 1, core.value / DENOMINATORS[t.low[k]], form="fraction")
        # one and a half million
        if [t.lw(k), t.lw(k + 1), t.lw(k + 2)] == ["and", "a", "half"] and t.lw(k + 3) in SCALES:
            scale = SCALES[t.low[k + 3]]
            return _Core(i, k + 4, (core.value + 0.5) * scale, scale=scale)
        return core

    def _a_scale(self, k: int) -> bool:
        """Tokens k-1.. read "of a million" (after "a quarter")."""
        t = self.t
        return t.lw(k - 1) == "of" and t.lw(k) in ("a", "an") and t.lw(k + 1) in SCALES

    def _vague_plural(self, i: int) -> _Core | None:
        """dozens, hundreds, tens of thousands, hundreds of millions ..."""
        t = self.t
        word = t.low[i]
        if word == "tens" and t.lw(i + 1) not in ("of", "more"):
            return None
        if word == "scores" and not self._scores_counts(i):
            return None
        low, step, j = VAGUE_LOW_BOUNDS[word], VAGUE_LOW_BOUNDS[word], i + 1
        while t.lw(j) == "of" and t.lw(j + 1) in ("thousands", "millions", "billions"):
            bigger = VAGUE_LOW_BOUNDS[t.low[j + 1]]
            if bigger <= step:
                break
            low, step, j = low * bigger, bigger, j + 2
        return _Core(i, j, None, form="vague", low=low)

    def _scores_counts(self, i: int) -> bool:
        """Whether "scores" at token ``i`` is a quantity: after a casualty verb ("killing
        scores"), before "of" or "more", or before a verb at the start of a clause ("and scores
        were injured"); not "their scores were", "the team scores"."""
        t = self.t
        before = t.lw(i - 1)
        if before in SCORES_AFTER:
            return True
        follower = t.lw(i + 1) if t.near(i + 1) else ""
        if follower in ("of", "more"):
            return True
        opens = not before[:1].isalpha() or before in SCORES_CONJUNCTIONS
        return follower in SCORES_FOLLOWERS and opens

    def _vague_times_scales(self, i: int, j: int, low: float) -> _Core:
        """several, a few, several hundred, a few dozen: the low bound times the scales."""
        t = self.t
        while t.near(j) and t.lw(j) in SCALES and t.lw(j) not in ("lakh", "lakhs", "crores"):
            low, j = low * SCALES[t.low[j]], j + 1
        return _Core(i, j, None, form="vague", low=low)

    def _cardinal(self, i: int, k: int, lead: int = 0) -> _Core | None:
        """Number words from token ``k`` ("three hundred and forty", "twenty-first").

        ``lead`` is 1 after "a" ("a hundred and twenty"). The grammar refuses sequences that
        are two numbers ("two three") and stops before an "and" that joins clauses.
        """
        t = self.t
        total, group, state = 0.0, float(lead), "unit" if lead else "start"
        last_big, end, scale, ordinal = math.inf, None, 1.0, False
        while k < t.n and (k == i or t.near(k)):
            word = t.low[k]
            if word in UNITS or word in ORD_UNITS:
                if state not in ("start", "tens", "hundred", "big", "and", "hyphen"):
                    break
                if word == "zero" and state != "start":
                    break
                group += UNITS.get(word, ORD_UNITS.get(word, 0))
                state, ordinal = "unit", word in ORD_UNITS
            elif word in TEENS_AND_TENS:
                if state not in ("start", "hundred", "big", "and"):
                    break
                group += TEENS_AND_TENS[word]
                state = "tens" if word in TENS else "unit"
                ordinal = word in ORD_TEENS or word in ORD_TENS
            elif word in ("hundred", "hundredth", "dozen"):
                if state not in ("unit", "tens") or not 1 <= group < 100:
                    break
                step = 100.0 if word != "dozen" else 12.0
                group, state, scale, ordinal = group * step, "hundred", step, word == "hundredth"
                if word == "dozen":
                    end = k + 1
                    break
            elif word in SCALES or word in ORD_SCALES:
                step = SCALES.get(word) or ORD_SCALES[word]
                if state not in ("unit", "tens", "hundred") or step >= last_big or not group:
                    break
                total, group, last_big = total + group * step, 0.0, step
                state, scale, ordinal = "big", step, word in ORD_SCALES
            elif word == "and" and state in ("hundred", "big"):
                state = "and"
                k += 1
                continue
            elif word == "-" and state == "tens" and t.adj(k) and t.adj(k + 1):
                state = "hyphen"
                k += 1
                continue
            else:
                break
            if state in ("unit", "tens"):
                scale = 1.0
            k += 1
            end = k
            if ordinal:
                break
        if end is None:
            return None
        return _Core(i, end, total + group, form="ordinal" if ordinal else "number", scale=scale)

    def _range_end(self, a: _Core, force: bool = False) -> _Core | None:
        """The second end of a range that starts with ``a``, or None.

        The second end may have a qualifier of its own ("10000 to more than 30000"). An
        identifier ("Round 24 to 373,709 IDPs") or an end a thousand times the first is no
        range (unless ``force``, or "between" opens it).
        """
        t = self.t
        k = a.j
        joiner = t.lw(k)
        if not t.near(k) and not t.adj(k):
            return None
        between = t.lw(a.i - 1) == "between" or (
            t.tok(a.i - 1) in CURRENCY_SIGNS and t.lw(a.i - 2) == "between"
        )
        if not (
            joiner in ("to", "-", "–", "—", "or", "/") or (joiner == "and" and (between or force))
        ):
            return None
        if joiner == "/" and not (a.plain and len(t.toks[a.i]) == 4):
            return None
        if self._identifier_before(a.i, a.j) and not force:
            return None
        start_b = self._qualifier_ahead(k + 1)
        if t.tok(start_b) in CURRENCY_SIGNS:
            start_b += 1
        if not t.near(start_b) and not t.adj(start_b):
            return None
        b = self.core(start_b)
        if b is None or b.form != "number" or b.value is None or a.value is None:
            return None
        if joiner == "to" and t.lw(a.i - 1) == "from" and not force:
            if t.lw(a.i - 2) not in RANGE_FROM_CUES:
                return None
        low, high = a.value, b.value
        if b.scale > 1 and a.scale == 1 and low <= high / b.scale:
            low = low * b.scale
        if joiner in ("-", "–", "/") and a.plain and b.plain:
            first, second = t.toks[a.i], t.toks[b.i]
            if len(first) == 4 and len(second) == 2:  # 2015-16
                high = float(int(first[:2] + second))
        if high <= low or (0 < low and high > 1000 * low and not (between or force)):
            return None
        a.value = low
        b.value = high
        return b

    def _qualifier_ahead(self, k: int) -> int:
        """Past a qualifier phrase starting at token ``k`` ("more than"), but no verb."""
        t = self.t
        for size in (3, 2, 1):
            phrase = tuple(t.low[k : k + size])
            if (
                len(phrase) == size and phrase in QUALIFIER_PHRASES
                and phrase[0] not in THRESHOLD_VERBS
                and all(t.near(m) for m in range(k + 1, k + size + 1))
            ):  # fmt: skip
                return k + size
        return k

    # Context: qualifier and kind.

    def qualifier_before(self, i: int) -> tuple[tuple[str, ...], int] | None:
        """The qualifier phrase that ends right before token ``i``, and its first token.

        A currency sign may come between ("some $5m"); a comma may follow a qualifier that no
        clause ends with ("approximately, 10,885"); a line break may come inside or after the
        phrase, but not after a one-word preposition ("Some\n189,800", not "over\n12").
        """
        t = self.t
        k = i
        for _ in range(2):
            if t.tok(k - 1) in CURRENCY_SIGNS or t.lw(k - 1) in CURRENCY_CODES:
                k -= 1
        if t.tok(k - 1) == "," and t.lw(k - 2) in COMMA_QUALIFIERS:
            k -= 1
        for phrase in QUALIFIERS_BY_LAST_WORD.get(t.lw(k - 1), ()):
            first = k - len(phrase)
            if first < 0 or tuple(t.low[first:k]) != phrase:
                continue
            if not all(t.soft(m) for m in range(first + 1, i + 1)):
                continue
            if len(phrase) == 1 and phrase[0] in PREPOSITION_QUALIFIERS and not t.near(k):
                continue
            return phrase, first
        return None

    def _qualifies(self, phrase: tuple[str, ...], first: int, a: _Core, j: int) -> bool:
        """Whether the qualifier words before a number (``a``, its expression ending at ``j``)
        qualify it: not in "took over 4 villages" (a particle), "the past 24 hours", "crossed
        3 borders"."""
        t = self.t
        if phrase == ("over",):
            verb = t.lw(first - 1)
            round_figure = a.value is not None and a.value >= 10 and a.value % 10 == 0
            return not (
                verb in OVER_PARTICLE_VERBS or (verb in TAKE_OVER_VERBS and not round_figure)
            )
        if phrase == ("past",) and t.lw(first - 1) in PAST_DETERMINERS:
            return False
        if phrase[0] in LITERAL_OBJECT_VERBS and t.lw(j) not in MARK_WORDS:
            unit = find_unit(t.text, t.starts[j - 1], t.ends[j - 1])
            word = unit.text.lower() if unit else ""
            return not word or word in PEOPLE_NOUNS or word in NOMINAL_ADJECTIVES
        return True

    def qualifier_after(self, j: int) -> Qualifier | None:
        t = self.t
        if t.tok(j) == "+" and t.adj(j):
            return Qualifier.AT_LEAST
        if t.tok(j) == "-" and t.adj(j) and t.lw(j + 1) == "plus":
            return Qualifier.AT_LEAST
        if t.lw(j) == "or" and t.near(j) and t.near(j + 1):
            follower = t.lw(j + 1)
            if follower in ("more", "above", "over", "higher"):
                return Qualifier.AT_LEAST
            if follower == "so":
                return Qualifier.APPROXIMATE
            if follower in ("less", "fewer", "below"):
                return Qualifier.AT_MOST
        return None

    def kind(self, expr: _Expression, qualified: bool) -> NumberKind:
        t = self.t
        a, b = expr.first, expr.last
        i, j = a.i, b.j
        fixed = {
            "decade": NumberKind.YEAR,
            "date": NumberKind.DATE,
            "fraction": NumberKind.FRACTION,
            "time": NumberKind.TIME,
        }
        if a.form in fixed:
            return fixed[a.form]
        if self._money_before(i):
            return NumberKind.MONEY
        if self._identifier_before(i, j):
            return NumberKind.IDENTIFIER
        if a.form == "ordinal":
            return NumberKind.DATE if self._month_next_to(i, j) else NumberKind.ORDINAL
        if self._clock_after(j):
            return NumberKind.TIME
        if self._percent_after(j):
            return NumberKind.PERCENTAGE
        if self._money_after(j):
            return NumberKind.MONEY
        if self._age(i, j):
            return NumberKind.AGE
        unit = self._unit_after(j)
        if unit in TIME_UNITS:
            return NumberKind.DURATION
        if unit in MEASURE_UNITS or t.tok(j) == "°":
            return NumberKind.MEASURE
        if a.plain and len(t.toks[a.i]) <= 2 and 1 <= (a.value or 0) <= 31:
            if not expr.is_range and self._month_next_to(i, j):
                return NumberKind.DATE
        if not qualified and len(t.toks[a.i]) == 4 and _year_like(a) and _year_like(b):
            if expr.is_range or not self._counts_people(i, j):
                return NumberKind.YEAR
        return NumberKind.COUNT

    def _month_next_to(self, i: int, j: int) -> bool:
        t = self.t
        if t.tok(i - 1) in MONTHS or (
            t.tok(i - 1) == "." and t.adj(i - 1) and t.tok(i - 2) in MONTHS
        ):
            return True
        return t.tok(j) in MONTHS or (t.lw(j) == "of" and t.tok(j + 1) in MONTHS)

    def _money_before(self, i: int) -> bool:
        t = self.t
        before = t.tok(i - 1)
        if before in CURRENCY_SIGNS:
            return True
        if before == "." and t.lw(i - 2) == "rs":
            return True
        return t.lw(i - 1) in CURRENCY_CODES and (before.isupper() or before == "Rs")

    def _money_after(self, j: int) -> bool:
        t = self.t
        k = j + 1 if t.lw(j) == "of" else j
        if t.tok(k)[:1].isupper() and t.lw(k) not in CURRENCY_WORDS:
            k += 1  # US dollars, Syrian pounds
        word = t.lw(k)
        if word in ("pound", "pounds") and t.lw(k + 1) == "of":
            return False  # 50 pounds of flour
        return word in CURRENCY_WORDS and (k == j or t.tok(j)[:1].isupper() or t.lw(j) == "of")

    def _identifier_before(self, i: int, j: int) -> bool:
        """A name or a word before the number makes it an identifier: "G20", "Su-24", "No. 5",
        "Route 60"; but "room 135 people" counts people, and a number in words after a
        hyphenated name is a count ("SANA-One civilian")."""
        t = self.t
        before = t.tok(i - 1)
        if t.adj(i) and before.isalpha():
            return True  # G20, M4
        if before == "-" and t.adj(i) and t.adj(i - 1) and t.tok(i - 2).isalpha() and t.digits(i):
            prefix = t.tok(i - 2)
            return prefix.lower() not in NOT_IDENTIFIER_PREFIXES and not prefix.islower()
        if before == "#":
            return True
        if before == "." and t.lw(i - 2) in ("no", "nos"):
            return True
        return t.lw(i - 1) in IDENTIFIER_WORDS and not self._people_after(j)

    def _people_after(self, j: int) -> bool:
        """People are counted right after token ``j``, maybe past a capitalised word: "135
        people", "2000 Sunni residents"."""
        t = self.t
        k = j + 1 if t.tok(j)[:1].isupper() and t.near(j) else j
        return t.near(k) and t.lw(k) in PEOPLE_NOUNS

    def _counts_people(self, i: int, j: int) -> bool:
        """A year-like number counts people after a word that no year follows: "killed 2000
        people", "in exchange 2000 Sunni residents"; but "in 2014 civilians fled"."""
        before = self.t.tok(i - 1)
        if not (before.isalpha() and before.islower()) or before in YEAR_LEFT_WORDS:
            return False
        return self._people_after(j)

    def _clock_after(self, j: int) -> str | None:
        t = self.t
        word = t.lw(j)
        if word in ("am", "pm") and (t.adj(j) or t.near(j)):
            return word
        if word in ("a", "p") and t.tok(j + 1) == "." and t.lw(j + 2) == "m" and t.adj(j + 2):
            return word + "m"
        if word == "o" and t.tok(j + 1) in "'’" and t.lw(j + 2) == "clock":
            return "o'clock"
        return None

    def _percent_after(self, j: int) -> bool:
        t = self.t
        word = t.lw(j)
        return (
            word in ("%", "percent", "pct", "percentage")
            or (word == "per" and t.lw(j + 1) == "cent")
            or (word == "-" and t.adj(j) and t.lw(j + 1) == "percent")
        )

    def _age(self, i: int, j: int) -> bool:
        t = self.t
        k = j + 1 if t.tok(j) == "-" else j
        if t.lw(k) in ("year", "years", "month", "months", "week", "weeks", "day", "days"):
            k += 1
            if t.tok(k) == "-":
                k += 1
            if t.lw(k) == "old" or (t.lw(k) == "of" and t.lw(k + 1) == "age"):
                return True
        k = i - 1
        while k >= 0 and (t.low[k] in QUALIFIER_WORDS or t.low[k] == "between"):
            k -= 1
        return t.lw(k) in ("aged", "ages") or (t.lw(k) == "of" and t.lw(k - 1) == "age")

    def _unit_after(self, j: int) -> str:
        """The word right after a number, past a hyphen or "square": "km", "day", "hectares"."""
        t = self.t
        k = j + 1 if t.tok(j) == "-" and t.adj(j) else j
        if t.lw(k) in ("sq", "square", "cubic"):
            return "square"
        return t.lw(k) if (t.adj(k) or t.near(k)) else ""

    # The result.

    def parsed(self, expr: _Expression) -> ParsedNumber:
        t = self.t
        a, b = expr.first, expr.last
        found = self.qualifier_before(a.i)
        if found is None and t.lw(a.i - 1) == "the" and t.lw(b.j) in MARK_WORDS:
            found = self.qualifier_before(a.i - 1)  # close to the 800 mark
        phrase = found[0] if found and self._qualifies(*found, a, b.j) else None
        kind = self.kind(expr, qualified=phrase is not None)
        if expr.is_range or a.form == "decade":
            qualifier = Qualifier.RANGE
            value, low, high = (
                (None, a.value, b.value) if expr.is_range else (None, a.low, a.low + 9)
            )
        elif a.form == "vague":
            qualifier, value, low, high = Qualifier.VAGUE, None, a.low, None
        else:
            value = a.value
            if phrase == ("over",) and kind is NumberKind.DURATION:
                phrase = None  # "over five years" is a period, not a bound
            if phrase and phrase[0] in THRESHOLD_VERBS and kind in _NOT_THRESHOLDS:
                phrase = None  # "passed 3 March": a verb, not a bound
            if phrase and phrase[0] in LITERAL_OBJECT_VERBS and kind is NumberKind.MEASURE:
                phrase = None  # "passing 7,000 litres": what passes
            qualifier = QUALIFIER_PHRASES[phrase] if phrase else None
            qualifier = qualifier or self.qualifier_after(a.j) or Qualifier.EXACT
            if kind is NumberKind.TIME and value is not None:
                value = self._clock_value(a, value)
            low = None if qualifier is Qualifier.AT_MOST else value
            high = None if qualifier is Qualifier.AT_LEAST else value
        start, end = t.starts[a.i], t.ends[b.j - 1]
        return ParsedNumber(t.text[start:end], start, end, value, low, high, qualifier, kind)

    def _clock_value(self, a: _Core, value: float) -> float:
        t = self.t
        written = re.fullmatch(r"(\d{1,2})[.:](\d{2})", t.text[t.starts[a.i] : t.ends[a.j - 1]])
        if written:
            value = int(written.group(1)) + int(written.group(2)) / 60
        clock = self._clock_after(a.j)
        if clock == "pm" and value < 12:
            value += 12
        elif clock == "am" and value >= 12:
            value -= 12
        return value


# --- Public functions ---------------------------------------------------------------------------


def find_numbers(text: str) -> list[ParsedNumber]:
    """Every number expression of ``text``, in order, normalised.

    >>> [(n.text, n.low, n.qualifier.value) for n in find_numbers("Dozens fled; 20-30 returned.")]
    [('Dozens', 12.0, 'vague'), ('20-30', 20.0, 'range')]
    >>> find_numbers("  ")
    []
    >>> find_numbers(b"12 killed")
    Traceback (most recent call last):
    TypeError: expected str, got bytes: decode it first, e.g. data.decode('utf-8')
    """
    check_text(text)
    reader = _Reader(_Tokens(text))
    return [reader.parsed(expr) for expr in reader.expressions()]


# How far around a span parse_span reads: enough for qualifiers, scale words and units.
_CONTEXT_CHARS = 160


def parse_span(text: str, start: int, end: int) -> ParsedNumber:
    """Normalise the number at ``text[start:end]``, reading the words around it.

    The model's span may be slightly off: the result's span is the whole number expression the
    given span overlaps (most), so a span on "2.4" of "2.4 million" reads 2,400,000 with the span
    "2.4 million", and a span "at least 25,000" reads 25,000 at_least with the span "25,000".
    A span that covers two numbers joined by "to", "and", "or" or "-" reads as their range even
    where :func:`find_numbers` would see a change ("from 20 to 30"). A span with no number in it
    gives kind ``unknown`` with value, low and high None and the span stripped of whitespace.

    Raises ``TypeError`` for a non-``str`` text and ``ValueError`` for a span outside the text,
    empty, or only whitespace.

    >>> s = "Some 2.4 million people fled."
    >>> n = parse_span(s, 5, 8)
    >>> n.text, n.value, n.qualifier.value
    ('2.4 million', 2400000.0, 'approximate')
    >>> parse_span("They fled.", 0, 4).kind.value
    'unknown'
    """
    check_span(text, start, end)
    if not text[start:end].strip():
        raise ValueError(f"span [{start}, {end}) holds only whitespace")
    lo = max(0, start - _CONTEXT_CHARS)
    hi = min(len(text), end + _CONTEXT_CHARS)
    reader = _Reader(_Tokens(text, _word_boundary(text, lo, -1), _word_boundary(text, hi, 1)))
    exprs = reader.expressions()
    t = reader.t

    def overlap(e: _Expression) -> int:
        return min(end, t.ends[e.last.j - 1]) - max(start, t.starts[e.first.i])

    hits = [e for e in exprs if overlap(e) > 0]
    if not hits:
        stripped = text[start:end].strip()
        first = text.index(stripped, start)
        return ParsedNumber(stripped, first, first + len(stripped), None, None, None,
                            Qualifier.EXACT, NumberKind.UNKNOWN)  # fmt: skip
    if len(hits) > 1 and not hits[0].is_range:
        joined = reader.expression(hits[0].first.i, force_range=True)
        if joined is not None and joined.is_range and t.starts[joined.last.i] < end:
            return reader.parsed(joined)
    return reader.parsed(max(hits, key=overlap))


def _word_boundary(text: str, pos: int, step: int) -> int:
    """Move ``pos`` (a window edge) out to the nearest whitespace, at most 40 characters."""
    for _ in range(40):
        if pos <= 0 or pos >= len(text) or text[pos - 1].isspace() or text[pos].isspace():
            return pos
        pos += step
    return pos


_NOT_THRESHOLDS = {NumberKind.DURATION, NumberKind.TIME, NumberKind.DATE, NumberKind.YEAR}


def _year_like(core: _Core) -> bool:
    return core.plain and core.value is not None and 1800 <= core.value <= 2100
