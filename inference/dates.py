"""Dates: when a figure happened, as a period (start, end), resolved against the publication date.

A regular expression finds the date phrases of a sentence (month and day, weekday, year, "the past
two days", "yesterday", "last week", with "early"/"mid"/"late" and "since"); dateparser
(``DateDataParser.get_date_data`` with ``RELATIVE_BASE``) turns each phrase into a date and its
granularity (day, week, month, year), which becomes a period. Only the span arithmetic dateparser
does not do is written here: "early November" (1-10), "mid" (11-20), "late" (21-end), "the past
N days" (N days back to the anchor), and "since X" (from X to the anchor, marked cumulative).

Two reference dates: *deictic* phrases ("yesterday", "on Tuesday", "last week", a month without a
year) resolve against the publication date; *spans back from now* ("in the past two days") resolve
against the document's anchor: the latest day the document itself names within the week before
publication ("reported on Dec. 22" in an article published on the 23rd), else the publication date.

Without a publication date, only phrases that carry their own year resolve; the others keep their
text and ``period`` None.

>>> from datetime import date
>>> [(m.text, str(m.period), m.since) for m in find_dates("Some 205,000 fled since early November.", date(2019, 12, 23))]
[('since early November', '2019-11-01/2019-12-23', True)]
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from conflict_events.inference.places import require_extra

MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
WEEKDAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
PART = r"(?:(?P<part>early|mid|late|end of|the end of|beginning of|the beginning of|start of|the start of)[\s-]+)?"
NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3, "couple": 2, "24": 1, "48": 2, "72": 3,
}  # fmt: skip
PATTERNS = (
    # "in the past two days", "over the last 24 hours", "the previous week"
    (
        "span",
        # "last week" alone is the calendar week (deictic, below); a span needs "the" or a count.
        r"\b(?:the\s+(?:past|last|previous)\s+(?:(?P<n>\d+|[a-z]+)\s+)?|"
        r"(?:past|last|previous)\s+(?P<n2>\d+|[a-z]+)\s+)"
        r"(?P<unit>hours?|days?|weeks?|months?|years?)\b",
    ),
    (
        "absolute",
        PART + r"\b(?P<day1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month1>" + MONTHS + r")"
        r"(?:,?\s+(?P<year1>(?:19|20)\d{2}))?\b",
    ),
    (
        "absolute",
        PART + r"\b(?P<month>" + MONTHS + r")(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b)?"
        r"(?:,?\s+(?P<year>(?:19|20)\d{2})\b)?",
    ),
    ("iso", r"\b(?P<iso>(?:19|20)\d{2}-\d{2}-\d{2})\b"),
    ("deictic", r"\b(?:(?:last|this|on)\s+)?" + WEEKDAYS + r"\b"),
    ("deictic", r"\b(?:yesterday|today|last night|this morning|last week|this week|next week|last month|this month|next month|last year|this year|next year)\b"),
    ("year", PART + r"\b(?:in|since|of|during|from|by)\s+(?P<y>(?:19|20)\d{2})\b"),
)  # fmt: skip
COMPILED = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in PATTERNS)
# A sentence about what is to come: its weekdays and year-less dates lie ahead.
FUTURE = re.compile(
    r"\b(?:will|shall|scheduled|to be held|is to|are to|plans? to|planned|expected to|upcoming|"
    r"next|due to|anticipated|schedul\w*)\b",
    re.IGNORECASE,
)
SINCE = re.compile(r"\bsince\b[^.;:]{0,60}$", re.IGNORECASE)
ANCHOR_DAYS = 7  # a named day this close before publication anchors "the past N days"


@dataclass(frozen=True)
class Period:
    """Inclusive dates ``start`` .. ``end``; ``str`` gives ``start/end`` (ISO 8601 interval)."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def union(self, other: Period) -> Period:
        return Period(min(self.start, other.start), max(self.end, other.end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Period:
        return cls(date.fromisoformat(data["start"]), date.fromisoformat(data["end"]))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2019-12-20/2019-12-22`` or a single ISO date."""
        start, _, end = text.partition("/")
        return cls(date.fromisoformat(start), date.fromisoformat(end or start))


@dataclass(frozen=True)
class DateMention:
    """A date phrase in a sentence (offsets into it) and the period it means (None: unresolved)."""

    text: str
    start: int
    end: int
    period: Period | None
    since: bool = False  # "since X": from X up to the anchor, the figure is cumulative
    day_level: bool = False  # names one day explicitly ("Dec. 22"), so it can anchor the document

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "period": self.period.to_dict() if self.period else None,
            "since": self.since,
        }


def parse_publication_date(value: Any) -> date | None:
    """A publication date from a record field: ISO 8601 (with or without time) or any date
    dateparser reads ("23 December 2019"); None when empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    parsed = _parser(None).get_date_data(text)
    return parsed.date_obj.date() if parsed and parsed.date_obj else None


@functools.lru_cache(maxsize=64)
def _parser(base: date | None, prefer: str = "past", day: str = "first") -> Any:
    """A dateparser parser: relative to ``base``, preferring past or future dates, and the
    first day of a month named without one ("current" keeps the base's day: "2 months ago")."""
    dateparser_date = require_extra("dateparser.date")
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": day,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    return dateparser_date.DateDataParser(languages=["en"], settings=settings)


def find_dates(
    sentence: str, published: date | None, anchor: date | None = None
) -> list[DateMention]:
    """The date phrases of ``sentence`` with their periods (see the module doc for the references)."""
    anchor = anchor or published
    taken: list[tuple[int, int]] = []
    mentions = []
    for kind, pattern in COMPILED:
        for m in pattern.finditer(sentence):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken) or not m.group().strip():
                continue
            if kind == "absolute" and not _real_month(m, sentence):
                continue
            taken.append((start, end))
            since = bool(SINCE.search(sentence[:start])) or m.group().lower().startswith("since")
            prefer = "future" if FUTURE.search(_clause(sentence, start, end)) else "past"
            period, day_level = _resolve(kind, m, published, anchor, prefer)
            if since and period is not None and anchor is not None:
                period = Period(period.start, max(anchor, period.start))
            text = sentence[start:end]
            if since and sentence[max(0, start - 6) : start].lower().strip() == "since":
                start = sentence.lower().rfind("since", 0, start)
                text = sentence[start:end]
            mentions.append(DateMention(text, start, end, period, since, day_level))
    return sorted(mentions, key=lambda d: d.start)


def _clause(sentence: str, start: int, end: int) -> str:
    """The clause around a phrase: from the previous to the next comma, semicolon or full stop."""
    before = max(sentence.rfind(c, 0, start) for c in ",;.")
    after = [i for i in (sentence.find(c, end) for c in ",;") if i >= 0]
    return sentence[before + 1 : min(after) if after else len(sentence)]


def document_anchor(sentences: Sequence[str], published: date | None) -> date | None:
    """The latest day the document names within :data:`ANCHOR_DAYS` before publication, else
    the publication date (what "the past two days" counts back from)."""
    if published is None:
        return None
    days = [
        d.period.end
        for s in sentences
        for d in find_dates(s, published)
        if d.day_level and d.period and not d.since
    ]
    near = [d for d in days if published - timedelta(days=ANCHOR_DAYS) <= d <= published]
    return max(near) if near else published


def _real_month(m: re.Match, sentence: str) -> bool:
    """'May' is a month only with a day or year beside it, or after in/on/since/early ..."""
    month = (m.group("month") if "month" in m.re.groupindex and m.group("month") else "") or (
        m.group("month1") if "month1" in m.re.groupindex else ""
    )
    if month.lower() != "may":
        return True
    has_number = any(m.group(g) for g in ("day", "year", "day1", "year1") if g in m.re.groupindex)
    before = sentence[: m.start()].lower().rstrip()
    return (
        has_number or bool(m.group("part")) or before.endswith(("in", "on", "since", "of", "until"))
    )


def _resolve(
    kind: str, m: re.Match, published: date | None, anchor: date | None, prefer: str = "past"
) -> tuple[Period | None, bool]:
    groups = m.groupdict()
    if kind == "iso":
        day = date.fromisoformat(groups["iso"])
        return Period(day, day), True
    if kind == "span":
        if anchor is None:
            return None, False
        n_text = (groups.get("n") or groups.get("n2") or "1").lower()
        n = int(n_text) if n_text.isdigit() else NUMBER_WORDS.get(n_text)
        if n is None:
            return None, False
        unit = groups["unit"].lower().rstrip("s")
        if unit == "hour":
            n, unit = max(1, -(-n // 24)), "day"
        phrase = f"{n} {unit}{'s' if n > 1 else ''} ago"
        data = _parser(anchor, "past", "current").get_date_data(phrase)
        if not data or not data.date_obj:
            return None, False
        return Period(data.date_obj.date(), anchor), False
    if kind == "year":
        year = int(groups["y"])
        return _part(Period(date(year, 1, 1), date(year, 12, 31)), groups.get("part")), False
    if kind == "absolute":
        month = groups.get("month") or groups.get("month1")
        day = groups.get("day") or groups.get("day1")
        year = groups.get("year") or groups.get("year1")
        if published is None and not year:
            return None, False
        phrase = " ".join(x for x in (month, day, year) if x)
        data = _parser(published, prefer).get_date_data(phrase)
        if not data or not data.date_obj:
            return None, False
        resolved = data.date_obj.date()
        if day and not year and prefer == "past" and published is not None:
            # "September 16" in a piece of September 11: the nearest such day, not last year's.
            ahead = _same_day(resolved, resolved.year + 1)
            if ahead is not None and (ahead - published).days <= ANCHOR_DAYS:
                resolved = ahead
        if day:
            return Period(resolved, resolved), True
        first = resolved.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return _part(Period(first, last), groups.get("part")), False
    # deictic: weekday, yesterday, last week ...
    if published is None:
        return None, False
    phrase = re.sub(r"^on\s+", "", m.group(), flags=re.IGNORECASE)
    data = _parser(published, prefer).get_date_data(phrase)
    if not data or not data.date_obj:
        return None, False
    resolved = data.date_obj.date()
    if data.period == "week":
        monday = resolved - timedelta(days=resolved.weekday())
        end = monday + timedelta(days=6)
        return Period(monday, end if monday > published else min(end, published)), False
    if data.period == "month":
        first = resolved.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return Period(first, last if first > published else min(last, published)), False
    if data.period == "year":
        first, last = date(resolved.year, 1, 1), date(resolved.year, 12, 31)
        return Period(first, last if first > published else min(last, published)), False
    return Period(resolved, resolved), True


def _same_day(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None


def _part(period: Period, part: str | None) -> Period:
    """'early' / 'mid' / 'late' narrow a month (or a year) to its first, middle or last third."""
    if not part:
        return period
    part = part.lower()
    days = period.days
    third = days // 3
    if part.startswith(("early", "beginning", "the beginning", "start", "the start")):
        return Period(period.start, period.start + timedelta(days=third - 1))
    if part.startswith("mid"):
        return Period(
            period.start + timedelta(days=third), period.start + timedelta(days=2 * third - 1)
        )
    return Period(period.start + timedelta(days=2 * third), period.end)
