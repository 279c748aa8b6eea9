"""Event records: tagged figures with a place and a period, merged across documents.

:func:`document_rows` turns one tagged document (a record written by ``conflict-events tag``)
into one row per figure: its role, value, bounds, qualifier and unit; the place it concerns
(:mod:`~conflict_events.inference.places`), the period it covers and whether it is cumulative
(:mod:`~conflict_events.inference.dates`), and where it was read (document, sentence, offsets).

:func:`merge_rows` merges rows, from one document or many: rows with the same role, the same
figure (value, or bounds when there is no value), the same place and the same cumulative flag
whose periods overlap become one record citing every sentence, with the number of distinct
documents (``sources``; "since ..." and a plain report of the same figure merge, and the record
is cumulative when any of its rows is). Records of the same role and place whose periods overlap but whose
figures differ are kept side by side and flagged ``conflicting`` (``conflicts_with`` names the
others). Rows are plain dicts (:data:`ROW_FIELDS`); :func:`merge_table` runs the same function
over a pyarrow Table or a pandas DataFrame, so the output of a Ray or Spark job
(``dataset.to_arrow()``, ``spark_df.toArrow()`` / ``toPandas()``) merges with no second
implementation.

Place of a figure: the toponym in its sentence nearest after it (else before it), the most
specific one when the sentence also names the country; with no toponym in the sentence, the
latest place of the same paragraph, else the document's dominant place (named most often). A
toponym the gazetteer lacks keeps its text and is placed at its document's dominant admin1
division (else country), which ``place_note`` says.

Period of a figure: the date phrase of its sentence nearest to it ("since ..." makes it
cumulative); with none, the :data:`UNDATED_DAYS` days up to the document's anchor date
(``date_source`` "document"). A merged record's period is the union of its sentence-dated rows'
periods (of all its rows when none is dated in the sentence).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from conflict_events.inference.dates import (
    DateMention,
    Period,
    document_anchor,
    find_dates,
    parse_publication_date,
)
from conflict_events.inference.places import Gazetteer, Place, PlaceMention, name_key

UNDATED_DAYS = 3  # an undated figure in a report covers the few days before it
PLACE_FIELDS = (
    "place_text",
    "place_name",
    "place_level",
    "country",
    "admin1",
    "admin1_name",
    "latitude",
    "longitude",
    "geonameid",
    "place_key",
    "place_note",
)
# The fields rows and merged records share, then each one's own.
FIGURE_FIELDS = (
    "record_id",
    "role",
    "value",
    "low",
    "high",
    "qualifier",
    "unit",
    "cumulative",
    *PLACE_FIELDS,
    "period_start",
    "period_end",
)
ROW_FIELDS = (
    *FIGURE_FIELDS,
    "date_text",
    "date_source",
    "doc_id",
    "published",
    "sentence",
    "sentence_start",
    "sentence_end",
    "number_start",
    "number_end",
    "number_text",
    "sentence_text",
)
RECORD_FIELDS = (
    *FIGURE_FIELDS,
    "date_source",
    "sources",
    "mentions",
    "conflicting",
    "conflicts_with",
    "citations",
)


class RecordError(ValueError):
    """A tagged record that cannot be read (no sentences, a bad date ...)."""


def document_rows(
    tagged: dict[str, Any],
    gazetteer: Gazetteer,
    published: date | None = None,
    date_field: str = "date",
    undated_days: int = UNDATED_DAYS,
) -> list[dict[str, Any]]:
    """One row per figure of a tagged document (see the module doc).

    ``published``: the publication date when the record carries none in ``date_field``.
    """
    doc_id = str(tagged.get("id"))
    sentences = tagged.get("sentences")
    if not isinstance(sentences, list):
        raise RecordError(f"document {doc_id!r} has no 'sentences' list (not a tag output?)")
    raw_date = tagged.get(date_field)
    if raw_date not in (None, ""):
        published = parse_publication_date(raw_date)
        if published is None:
            raise RecordError(
                f"document {doc_id!r}: unreadable date {raw_date!r} in {date_field!r}"
            )
    texts = [s.get("text") or "" for s in sentences]
    places = gazetteer.resolve_document(texts)
    anchor = document_anchor(texts, published)
    dominant = _dominant(places)
    rows = []
    latest: Place | PlaceMention | None = None
    for index, (sentence, mentions) in enumerate(zip(sentences, places, strict=True)):
        if index and sentence["start"] - sentences[index - 1]["end"] > 1:
            latest = None  # a new paragraph
        dates = find_dates(texts[index], published, anchor)
        for number in sentence.get("numbers", ()):
            if not number.get("role"):
                continue
            local = (number["start"] - sentence["start"], number["end"] - sentence["start"])
            mention = _nearest_place(mentions, local, texts[index])
            where = _place_fields(mention or latest or dominant, gazetteer, dominant)
            when = _nearest_date(dates, local)
            period, source = (when.period, "sentence") if when and when.period else (None, None)
            if period is None and anchor is not None:
                period = Period(anchor - timedelta(days=undated_days - 1), anchor)
                source = "document"
            row = {
                "role": number["role"],
                "value": number.get("value"),
                "low": number.get("low"),
                "high": number.get("high"),
                "qualifier": number.get("qualifier"),
                "unit": number.get("unit"),
                "cumulative": bool(when and when.since),
                **where,
                "period_start": period.start.isoformat() if period else None,
                "period_end": period.end.isoformat() if period else None,
                "date_text": when.text if when else None,
                "date_source": source,
                "doc_id": doc_id,
                "published": published.isoformat() if published else None,
                "sentence": index,
                "sentence_start": sentence["start"],
                "sentence_end": sentence["end"],
                "number_start": number["start"],
                "number_end": number["end"],
                "number_text": number.get("text"),
                "sentence_text": texts[index],
            }
            row["record_id"] = _row_id(row)
            rows.append({k: row[k] for k in ROW_FIELDS})
        resolved = [m for m in mentions if m.place is not None or m.candidates == 0]
        if resolved:
            latest = resolved[-1]
    return rows


def _dominant(places: Sequence[Sequence[PlaceMention]]) -> Place | None:
    """The place a document names most often (specific places before countries; first wins ties)."""
    counts: Counter[str] = Counter()
    first: dict[str, Place] = {}
    for mentions in places:
        for m in mentions:
            if m.place is not None:
                counts[m.place.key] += 1
                first.setdefault(m.place.key, m.place)
    if not counts:
        return None
    order = list(first)

    def rank(key: str) -> tuple[int, int, int]:
        return (first[key].level != "country", counts[key], -order.index(key))

    return first[max(counts, key=rank)]


def _actor(m: PlaceMention, sentence: str) -> bool:
    """A country named without a locative word before it or a possessive after it."""
    if m.place is None or m.place.level != "country":
        return False
    before = sentence[max(0, m.start - 25) : m.start].lower()
    return not re.search(
        r"\b(?:in|at|near|from|of|into|across|to|inside|throughout)\s+(?:the\s+)?$", before
    ) and not re.match(r"['’]s\b", sentence[m.end : m.end + 3])


def _nearest_place(
    mentions: Sequence[PlaceMention], span: tuple[int, int], sentence: str
) -> PlaceMention | None:
    if not mentions:
        return None
    after = [m for m in mentions if m.start >= span[1]]
    # Before the figure, a country counts only as a place ("in Syria", "Syria's"), not as an
    # actor ("the regime, Russia, and ... leaving 25,000 displaced").
    before = [m for m in mentions if m.end <= span[0] and not _actor(m, sentence)]
    if not after and not before:
        return None
    chosen = after[0] if after else before[-1]
    if chosen.place is not None and chosen.place.level == "country":
        inside = [
            m
            for m in mentions
            if (m.place is None and m.candidates == 0)
            or (
                m.place is not None
                and m.place.level != "country"
                and m.place.country == chosen.place.country
            )
        ]
        if inside:
            chosen = min(inside, key=lambda m: min(abs(m.start - span[1]), abs(span[0] - m.end)))
    return chosen


def _place_fields(
    where: Place | PlaceMention | None, gazetteer: Gazetteer, dominant: Place | None
) -> dict[str, Any]:
    text = note = None
    place: Place | None
    if isinstance(where, PlaceMention):
        text, place, note = where.text, where.place, where.note
        if place is None:
            # A toponym the gazetteer lacks: keep it, place it at the nearest resolvable level.
            fallback = (gazetteer.division_of(dominant) if dominant else None) or (
                gazetteer.countries.get(dominant.country) if dominant else None
            )
            if fallback is None:
                return _empty_place(
                    text,
                    f"{text!r} is not in the gazetteer; no place to fall back on",
                    f"toponym:{name_key(text)}",
                )
            fields = _place_dict(fallback)
            fields.update(
                place_text=text,
                place_key=f"toponym:{fallback.key}:{name_key(text)}",
                place_note=(
                    f"{text!r} is not in the gazetteer; placed at {fallback.name} "
                    f"({fallback.level}), the document's dominant {fallback.level}"
                ),
            )
            return fields
    else:
        place = where
        note = "no toponym in the sentence: the paragraph's or document's place" if place else None
    if place is None:
        return _empty_place(text, note or "no place in the document", None)
    fields = _place_dict(place)
    fields.update(place_text=text, place_note=note)
    division = gazetteer.division_of(place)
    if place.level == "place" and division and name_key(division.name) == name_key(place.name):
        # "Idlib" the town and "Idlib" the governorate: reports use the name for either, so
        # they merge as one place (the division).
        fields["place_key"] = division.key
    return fields


def _place_dict(place: Place) -> dict[str, Any]:
    return {
        "place_text": None,
        "place_name": place.name,
        "place_level": place.level,
        "country": place.country,
        "admin1": place.admin1,
        "admin1_name": place.admin1_name,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "geonameid": place.geonameid,
        "place_key": place.key,
        "place_note": None,
    }


def _empty_place(text: str | None, note: str, key: str | None) -> dict[str, Any]:
    fields = dict.fromkeys(PLACE_FIELDS)
    fields.update(place_text=text, place_note=note, place_key=key)
    return fields


def _nearest_date(dates: Sequence[DateMention], span: tuple[int, int]) -> DateMention | None:
    if not dates:
        return None
    resolved = [d for d in dates if d.period is not None] or list(dates)
    return min(resolved, key=lambda d: min(abs(d.start - span[1]), abs(span[0] - d.end)))


def _row_id(row: dict[str, Any]) -> str:
    key = f"{row['doc_id']}|{row['sentence']}|{row['number_start']}|{row['role']}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


# -- merging --------------------------------------------------------------------------------------


def figure_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two rows the same figure: the value, else the bounds."""
    if row.get("value") is not None:
        return ("value", float(row["value"]))
    return ("bounds", row.get("low"), row.get("high"))


def _period(row: dict[str, Any]) -> Period | None:
    if row.get("period_start") and row.get("period_end"):
        return Period(
            date.fromisoformat(str(row["period_start"])[:10]),
            date.fromisoformat(str(row["period_end"])[:10]),
        )
    return None


def _overlap(a: Period | None, b: Period | None) -> bool:
    return a is None or b is None or a.overlaps(b)


def merge_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge figure rows into records (see the module doc). Order: first citation's order."""
    rows = list(rows)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        place = row.get("place_key") or f"none:{row.get('doc_id')}"
        groups[(row["role"], figure_key(row), place)].append(i)
    records = []
    for members in groups.values():
        for cluster in _clusters(members, [_period(r) for r in rows], rows):
            records.append(_record([rows[i] for i in cluster], min(cluster)))
    records.sort(key=lambda r: r.pop("_order"))
    _flag_conflicts(records)
    return records


def _clusters(members: list[int], periods: list[Period | None], rows: list) -> list[list[int]]:
    """Connected groups of rows whose periods overlap (single linkage)."""
    parent = {i: i for i in members}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a_index, a in enumerate(members):
        for b in members[a_index + 1 :]:
            if _overlap(periods[a], periods[b]):
                parent[find(a)] = find(b)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in members:
        clusters[find(i)].append(i)
    return list(clusters.values())


def _record(rows: list[dict[str, Any]], order: int) -> dict[str, Any]:
    dated = [r for r in rows if r.get("date_source") == "sentence"] or rows
    periods = [p for p in (_period(r) for r in dated) if p is not None]
    period = None
    for p in periods:
        period = p if period is None else period.union(p)
    head = rows[0]
    qualifier = Counter(r.get("qualifier") for r in rows).most_common(1)[0][0]
    unit = Counter(r.get("unit") for r in rows if r.get("unit")).most_common(1)
    citations = [
        {
            "doc_id": r["doc_id"],
            "sentence": r["sentence"],
            "start": r["number_start"],
            "end": r["number_end"],
            "text": r.get("number_text"),
            "sentence_start": r["sentence_start"],
            "place_text": r.get("place_text"),
            "date_text": r.get("date_text"),
            "sentence_text": r.get("sentence_text"),
        }
        for r in rows
    ]
    place_texts = [r.get("place_text") for r in rows if r.get("place_text")]
    key = "|".join(
        str(x)
        for x in (
            head["role"],
            figure_key(head),
            head.get("place_key"),
            period,
        )
    )
    record = {
        "record_id": hashlib.sha256(key.encode()).hexdigest()[:12],
        "role": head["role"],
        "value": head.get("value"),
        "low": min((r["low"] for r in rows if r.get("low") is not None), default=None),
        "high": max((r["high"] for r in rows if r.get("high") is not None), default=None),
        "qualifier": qualifier,
        "unit": unit[0][0] if unit else None,
        "cumulative": any(bool(r.get("cumulative")) for r in rows),
        **{f: head.get(f) for f in PLACE_FIELDS},
        "place_text": Counter(place_texts).most_common(1)[0][0] if place_texts else None,
        "period_start": period.start.isoformat() if period else None,
        "period_end": period.end.isoformat() if period else None,
        "date_source": dated[0].get("date_source"),
        "sources": len({r["doc_id"] for r in rows}),
        "mentions": len(rows),
        "conflicting": False,
        "conflicts_with": [],
        "citations": citations,
        "_order": order,
    }
    return record


def _flag_conflicts(records: list[dict[str, Any]]) -> None:
    """Same role, place and cumulative flag, overlapping periods, different figures: conflicting."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("place_key"):
            groups[(r["role"], r["place_key"], r["cumulative"])].append(r)
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if figure_key(a) != figure_key(b) and _overlap(_period(a), _period(b)):
                    for x, y in ((a, b), (b, a)):
                        x["conflicting"] = True
                        x["conflicts_with"].append(y["record_id"])


def merge_table(table: Any) -> Any:
    """:func:`merge_rows` over a pyarrow Table or a pandas DataFrame; returns the same kind.

    This is how Ray or Spark output merges: ``merge_table(ray_dataset.to_arrow())`` ...
    """
    if hasattr(table, "to_pylist"):
        import pyarrow as pa

        return pa.Table.from_pylist(merge_rows(table.to_pylist()))
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        import pandas as pd

        rows = [
            {k: (None if _is_missing(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")
        ]
        return pd.DataFrame(merge_rows(rows))
    raise TypeError(
        f"merge_table takes a pyarrow Table or pandas DataFrame, not {type(table).__name__}"
    )


def _is_missing(value: Any) -> bool:
    return isinstance(value, float) and value != value


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record for CSV: lists as JSON strings."""
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
        for k, v in record.items()
    }
