"""``conflict-events data prepare``: ready-to-train real-text splits from annotations and corpora.

Joins the stand-off annotations (``data/annotations``) with the corpus text, runs the converters
and writes ``train.jsonl``, ``dev.jsonl``, ``test.jsonl`` and ``summary.json`` to ``--out``:

- real-text annotations go to the split of their document (``training/heldout.toml``: a SHA-256 of
  ``<source>/<doc_id>``, train 80 / dev 10 / test 10; held-out documents are test);
- converter records go to train or dev by the same rule; held-out documents are never converted,
  so converter output never reaches test (it is the source's own labels, not the guideline's);
- a converter record of the very sentence a person annotated (the same id) gives way to the
  annotation;
- ``--licence permissive`` keeps only text that may train the shipped model (re3d without the
  BBC part, WCEP, disaster-response messages, CrisisLexT26, GENEVA, PLOVER): the non-permissive
  converters do not run and annotations of non-permissive documents are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from conflict_events.training.records import (
    OutputExistsError,
    Record,
    add_overwrite_argument,
    records_jsonl,
    write_outputs,
)

SPLITS = ("train", "dev", "test")
LICENCES = ("permissive", "all")


@dataclass
class Prepared:
    """The split records and what happened on the way."""

    splits: dict[str, list[Record]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    converters: list[dict[str, object]] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, object]:
        counts: dict[str, dict[str, object]] = {}
        for split, records in self.splits.items():
            by_source: Counter[str] = Counter(r.source or "?" for r in records)
            events: Counter[str] = Counter(e for r in records for e in r.events)
            roles: Counter[str] = Counter(n.role for r in records for n in r.numbers if n.role)
            counts[split] = {
                "records": len(records),
                "by_source": dict(sorted(by_source.items())),
                "events": dict(sorted(events.items())),
                "roles": dict(sorted(roles.items())),
                "no_event": sum(1 for r in records if not r.events),
            }
        return {
            "splits": counts,
            "converters": self.converters,
            "left_out": dict(self.left_out.most_common()),
            "problems": len(self.problems),
        }


def prepare(
    data_dir: str | Path,
    *,
    licence: str = "permissive",
    annotations: str | Path | None = None,
    manifest: str | Path | None = None,
    converters: list[str] | None = None,
) -> Prepared:
    """Build the splits (see the module docstring); nothing is written."""
    from conflict_events.training.heldout import HeldOut
    from conflict_events.training.sources import SOURCES
    from conflict_events.training.sources.convert import CONVERTIBLE, convert
    from conflict_events.training.standoff import DocumentIndex, join, standoff_files

    if licence not in LICENCES:
        raise ValueError(f"licence must be one of {LICENCES}, got {licence!r}")
    permissive_only = licence == "permissive"
    held = HeldOut.load(manifest)
    index = DocumentIndex(data_dir)
    result = Prepared()

    annotated: dict[str, Record] = {}
    if annotations is not None and Path(annotations).exists():
        files = standoff_files(annotations)
        joined = join(files, index=index) if files else None
        if joined is not None:
            result.problems += joined.problems
            for record in joined.records:
                assert record.source is not None and record.doc_id is not None
                doc = index.get(record.source, record.doc_id)
                if permissive_only and (doc is None or not doc.permissive):
                    result.left_out["annotation: licence not permissive"] += 1
                    continue
                annotated[record.id] = record
                result.splits[held.split(record.source, record.doc_id, record.id)].append(record)
    elif annotations is not None:
        result.notes.append(f"{annotations}: not found; no real-text annotations joined")

    wanted = list(CONVERTIBLE) if converters is None else converters
    for source in wanted:
        if source not in CONVERTIBLE:
            raise ValueError(f"no converter for {source!r}; convertible: {list(CONVERTIBLE)}")
        if permissive_only and not SOURCES[source].permissive:
            result.left_out[f"converter {source}: licence not permissive"] += 1
            continue
        converted = convert(source, data_dir, heldout=held, permissive_only=permissive_only)
        result.converters.append(converted.summary())
        for record in converted.records:
            if record.id in annotated:
                result.left_out["converter record replaced by an annotation"] += 1
                continue
            assert record.source is not None and record.doc_id is not None
            split = held.split(record.source, record.doc_id, record.id)
            if split == "test":  # cannot happen: convert() skips held-out documents
                raise AssertionError(f"converter record {record.id} in a held-out document")
            result.splits[split].append(record)

    _remove_leaks(result, set(annotated))
    for records in result.splits.values():
        records.sort(key=lambda r: (r.source or "", r.id))
    return result


def _remove_leaks(result: Prepared, annotated: set[str]) -> None:
    """Keep every text once, and no near-duplicate across two splits (what ``data validate``
    checks): the copy in the more protected split stays (test over dev over train, an annotation
    over a converter record), the other is left out and counted."""
    from conflict_events.training.validate import NEAR_DUPLICATE_JACCARD, near_duplicate_pairs

    rank = {split: i for i, split in enumerate(("test", "dev", "train"))}
    ordered = sorted(
        ((split, r) for split, records in result.splits.items() for r in records),
        key=lambda item: (rank[item[0]], item[1].id not in annotated),
    )
    seen: set[str] = set()
    kept: list[tuple[str, Record]] = []
    for split, record in ordered:
        key = record.text.strip()
        if key in seen:
            result.left_out["repeated text (kept once)"] += 1
            continue
        seen.add(key)
        kept.append((split, record))
    texts = [r.text for _, r in kept]
    groups = [split for split, _ in kept]
    dropped: set[int] = set()
    for i, j, _ in near_duplicate_pairs(texts, groups, NEAR_DUPLICATE_JACCARD):
        loser = max(i, j, key=lambda k: (rank[groups[k]], k))  # the less protected copy
        if loser not in dropped and min(i, j, key=lambda k: (rank[groups[k]], k)) not in dropped:
            dropped.add(loser)
            other = groups[i] if loser == j else groups[j]
            result.left_out[f"near-duplicate of a {other} record"] += 1
    result.splits = {s: [] for s in SPLITS}
    for index, (split, record) in enumerate(kept):
        if index not in dropped:
            result.splits[split].append(record)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``data prepare --data-dir DIR --out DIR [--licence permissive|all] [--annotations DIR]``."""
    parser.add_argument("--data-dir", required=True, help="folder holding the public corpora")
    parser.add_argument("--out", required=True, help="folder for train/dev/test.jsonl")
    parser.add_argument(
        "--licence",
        choices=LICENCES,
        default="permissive",
        help="permissive (default): only text that may train the shipped model; all: research use",
    )
    from conflict_events.training.standoff import checkout_annotations

    parser.add_argument(
        "--annotations",
        default=checkout_annotations(),
        help=f"stand-off annotations folder or file (default: the checkout's {checkout_annotations()})",
    )
    parser.add_argument("--manifest", help="held-out manifest (default: training/heldout.toml)")
    parser.add_argument(
        "--converter",
        action="append",
        dest="converters",
        help="run only this converter (repeatable; default: all allowed by --licence)",
    )
    add_overwrite_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Write the splits and ``summary.json``; exit 1 when any annotation could not be joined."""
    from conflict_events.training.heldout import HeldOutError
    from conflict_events.training.sources import SourceError

    try:
        prepared = prepare(
            args.data_dir,
            licence=args.licence,
            annotations=args.annotations,
            manifest=args.manifest,
            converters=args.converters,
        )
    except (SourceError, HeldOutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    files = {out / f"{split}.jsonl": records_jsonl(prepared.splits[split]) for split in SPLITS}
    summary = {"licence": args.licence, **prepared.summary()}
    files[out / "summary.json"] = json.dumps(summary, indent=2) + "\n"
    try:
        status = write_outputs(files, overwrite=args.overwrite)
    except OutputExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in prepared.notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in prepared.problems:
        print(f"error: {problem}", file=sys.stderr)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for split in SPLITS:
        for record in prepared.splits[split]:
            table[record.source or "?"][split] += 1
    print(f"{'source':<28} {'train':>7} {'dev':>7} {'test':>7}")
    for source in sorted(table):
        print(f"{source:<28} " + " ".join(f"{table[source][s]:>7}" for s in SPLITS))
    print(f"{'total':<28} " + " ".join(f"{len(prepared.splits[s]):>7}" for s in SPLITS))
    print(f"{out}: " + ", ".join(f"{path.name} {how}" for path, how in status.items()))
    return 1 if prepared.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conflict_events.training.prepare", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
