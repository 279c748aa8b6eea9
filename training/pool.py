"""``conflict-events data pool``: unlabelled sentences for distillation, from permissive corpora.

A teacher can label far more text than people annotate. The pool is every sentence of the
public corpora whose terms allow training the shipped model (``--licence permissive``), as
records with ``known_labels: []``: no gold label at all, so the hard losses ignore them and only
the teacher's soft targets teach the student (``conflict-events train --teacher DIR``).

Documents the held-out manifest keeps for evaluation are left out, and so are real-text dev
documents (dev chooses checkpoints and thresholds; its text must not be trained on, even
unlabelled). ``--cap-per-source`` keeps a seeded sample of a large source (tweets would swamp
the news sentences); the summary says how many sentences each source gave and how many were cut.

    conflict-events data pool --data-dir ../shared/data --out runs/pool.jsonl --cap-per-source 4000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conflict_events.training.corpus import split_for
from conflict_events.training.heldout import HeldOut, document_group
from conflict_events.training.records import (
    OutputExistsError,
    Record,
    add_overwrite_argument,
    records_jsonl,
    write_outputs,
)
from conflict_events.training.sources import SOURCES, SourceError, iter_documents
from conflict_events.training.sources.sentences import document_sentences

MIN_CHARS = 20  # shorter strings are headings, handles and table debris, not sentences


@dataclass
class PoolReport:
    """Sentences kept per source, and why the others were left out."""

    kept: dict[str, int] = field(default_factory=dict)
    heldout: dict[str, int] = field(default_factory=dict)
    capped: dict[str, int] = field(default_factory=dict)
    not_permissive: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "kept": self.kept,
            "heldout_or_dev": self.heldout,
            "capped": self.capped,
            "not_permissive": self.not_permissive,
        }


def source_sentences(
    name: str, data_dir: str | Path, heldout: HeldOut, report: PoolReport
) -> Iterator[Record]:
    """The unlabelled sentence records of one corpus, in reading order, held-out and dev left out."""
    seen: set[str] = set()
    for doc in iter_documents(name, data_dir):
        if not doc.permissive:
            report.not_permissive[name] = report.not_permissive.get(name, 0) + 1
            continue
        spans = document_sentences(doc)
        group = document_group(name, doc.doc_id)
        if (
            heldout.is_heldout(name, doc.doc_id)
            or split_for(group, heldout.realtext_shares) != "train"
        ):
            report.heldout[name] = report.heldout.get(name, 0) + len(spans)
            continue
        for start, end in spans:
            text = doc.text[start:end]
            if len(text) < MIN_CHARS or text in seen:
                continue
            seen.add(text)
            yield Record(
                id=f"pool:{name}:{doc.doc_id}:{start}-{end}",
                text=text,
                doc_id=doc.doc_id,
                source=name,
                known_labels=(),
                licence=doc.licence,
            )


def build_pool(
    data_dir: str | Path,
    sources: list[str] | None = None,
    cap_per_source: int | None = None,
    seed: int = 13,
) -> tuple[list[Record], PoolReport]:
    """Every permissive sentence of ``sources`` (default: all permissive ones), capped per source."""
    heldout = HeldOut.load()
    names = sources or [n for n, info in SOURCES.items() if info.permissive]
    report = PoolReport()
    pool: list[Record] = []
    for name in names:
        if not SOURCES[name].permissive:
            raise SourceError(f"{name}: not permissively licensed; the pool trains shipped models")
        records = list(source_sentences(name, data_dir, heldout, report))
        if cap_per_source is not None and len(records) > cap_per_source:
            report.capped[name] = len(records) - cap_per_source
            keep = sorted(random.Random(seed).sample(range(len(records)), cap_per_source))
            records = [records[i] for i in keep]
        report.kept[name] = len(records)
        pool += records
    return pool, report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True, help="folder of the public corpora")
    parser.add_argument("--out", required=True, help="JSONL file of unlabelled records")
    parser.add_argument(
        "--source", action="append", help="only this corpus (repeatable; default: all permissive)"
    )
    parser.add_argument(
        "--cap-per-source", type=int, help="keep at most N sentences of each corpus (seeded)"
    )
    parser.add_argument("--seed", type=int, default=13)
    add_overwrite_argument(parser)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        pool, report = build_pool(args.data_dir, args.source, args.cap_per_source, args.seed)
        write_outputs({out: records_jsonl(pool)}, overwrite=args.overwrite)
    except (SourceError, OutputExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2))
    print(f"wrote {len(pool)} unlabelled sentences to {out}")
    return 0
