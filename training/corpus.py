"""``conflict-events data build-written``: the project's written corpus from its draft files.

Each draft line is resolved (:func:`~conflict_events.training.drafts.resolve_draft`) and checked
like ``data validate`` checks a record; a draft with a problem is listed as ``file:line`` and the
build fails unless ``--skip-bad`` (which writes the rest and still lists them). Records get a
stable id (``w-`` + a short hash of the text), so re-running the build on grown draft files keeps
every earlier id. Splits (~80/10/10) are drawn per document (``doc_id``) from a hash of the
doc_id, so they do not move when drafts are added; document groups holding near-duplicate
sentences are merged and go to one split together, so no near-duplicate crosses splits.

>>> split_for("C1-d0001") == split_for("C1-d0001"), split_for("C1-d0001") in SPLITS
(True, True)
>>> written_id("Two aid workers were shot dead.")
'w-0a88fb82ad81'
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from conflict_events.inference.labels import LabelSchema
from conflict_events.training.drafts import DraftError, DraftReader, resolve_draft
from conflict_events.training.records import (
    OutputExistsError,
    ReadProblem,
    Record,
    add_overwrite_argument,
    records_jsonl,
    write_outputs,
)
from conflict_events.training.validate import (
    NEAR_DUPLICATE_JACCARD,
    CorpusStats,
    Located,
    Normaliser,
    add_check_arguments,
    check_record,
    default_normaliser,
    load_schema,
    near_duplicate_pairs,
    validate_files,
)

WRITTEN_SOURCE = "written"
WRITTEN_LICENCE = "Apache-2.0"
SPLITS = ("train", "dev", "test")
SPLIT_SHARES = (0.8, 0.1, 0.1)


def written_id(text: str) -> str:
    """The stable id of a written record: ``w-`` and 12 hex digits of the text's SHA-256."""
    return "w-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def split_for(group: str, shares: Sequence[float] = SPLIT_SHARES) -> str:
    """The split of a document group, from a hash of its key (the same on every machine)."""
    digest = hashlib.sha256(group.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    total, cumulative = sum(shares), 0.0
    for name, share in zip(SPLITS, shares, strict=True):
        cumulative += share / total
        if point < cumulative:
            return name
    return SPLITS[-1]


def group_of(record: Record) -> str:
    """The key records are split by: the document, or the record itself when it has none."""
    return record.doc_id or record.id


@dataclass
class WrittenCorpus:
    """The outcome of a build: records per split, the drafts left out and why."""

    splits: dict[str, list[Record]] = field(default_factory=dict)
    bad: list[ReadProblem] = field(default_factory=list)
    moved_groups: int = 0  # doc groups moved from their hashed split to join a near-duplicate
    largest_cluster: int = 1  # doc groups in the biggest set kept together

    @property
    def records(self) -> list[Record]:
        return [r for name in SPLITS for r in self.splits.get(name, [])]


def resolve_drafts(
    paths: Sequence[str | Path], schema: LabelSchema, normaliser: Normaliser | None
) -> tuple[list[Located], list[ReadProblem]]:
    """Written records from draft files, and every draft that could not become one."""
    good: list[Located] = []
    bad: list[ReadProblem] = []
    first: dict[str, Located] = {}
    for path in paths:
        reader = DraftReader(Path(path))
        for line, data in reader:
            where = f"{path}:{line}"
            text = data.get("text") if isinstance(data, dict) else None
            try:
                record = resolve_draft(
                    data, where, record_id=written_id(text) if isinstance(text, str) else None
                )
            except DraftError as exc:
                bad.append(ReadProblem(str(path), line, str(exc).removeprefix(f"{where}: ")))
                continue
            problems = []
            if record.source not in (None, WRITTEN_SOURCE):
                problems.append(f"source is {record.source!r}; written drafts have 'written'")
            if record.licence not in (None, WRITTEN_LICENCE):
                problems.append(f"licence is {record.licence!r}; written drafts are Apache-2.0")
            problems += check_record(record, schema, normaliser)
            if record.id in first:
                earlier = first[record.id]
                same = (earlier.record.events, earlier.record.numbers) == (
                    record.events,
                    record.numbers,
                )
                kind = "same annotation" if same else "different annotation"
                problems.append(f"duplicate text of {earlier.where} ({kind})")
            if problems:
                bad += [ReadProblem(str(path), line, message) for message in problems]
                continue
            record = replace(record, source=WRITTEN_SOURCE, licence=WRITTEN_LICENCE)
            located = Located(str(path), line, record)
            first[record.id] = located
            good.append(located)
        bad += reader.problems
    return good, bad


def assign_splits(
    records: Sequence[Record], threshold: float = NEAR_DUPLICATE_JACCARD
) -> tuple[dict[str, list[Record]], int, int]:
    """Records per split, doc groups moved, and the size of the biggest merged cluster.

    Groups joined by a near-duplicate pair (transitively) form one cluster, which goes to the
    hashed split of its smallest group key; every other group keeps its own hashed split.
    """
    groups = [group_of(r) for r in records]
    parent = {g: g for g in groups}

    def root(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for i, j, _ in near_duplicate_pairs([r.text for r in records], groups, threshold):
        a, b = root(groups[i]), root(groups[j])
        if a != b:
            parent[max(a, b)] = min(a, b)  # the root stays the smallest key of its cluster
    clusters: dict[str, set[str]] = {}
    for g in parent:
        clusters.setdefault(root(g), set()).add(g)
    moved = sum(split_for(g) != split_for(root(g)) for g in parent)
    splits: dict[str, list[Record]] = {name: [] for name in SPLITS}
    for record, group in zip(records, groups, strict=True):
        splits[split_for(root(group))].append(record)
    largest = max((len(c) for c in clusters.values()), default=0)
    return splits, moved, largest


def build_written(
    paths: Sequence[str | Path],
    schema: LabelSchema | None = None,
    normaliser: Normaliser | None = None,
) -> WrittenCorpus:
    """Resolve, check and split the drafts of ``paths`` (nothing is written to disk)."""
    good, bad = resolve_drafts(paths, schema or LabelSchema.default(), normaliser)
    rank = {str(p): i for i, p in enumerate(paths)}
    good.sort(key=lambda item: (group_of(item.record), rank[item.path], item.line))
    splits, moved, largest = assign_splits([item.record for item in good])
    bad.sort(key=lambda p: (rank.get(p.path, len(rank)), p.line))
    return WrittenCorpus(splits, bad, moved, largest)


def draft_files(inputs: Sequence[str | Path]) -> list[Path]:
    """The draft files named: files as given, folders as their ``*.jsonl`` files (sorted)."""
    paths = []
    for item in map(Path, inputs):
        paths += sorted(item.glob("*.jsonl")) if item.is_dir() else [item]
    return paths


# --- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "drafts", nargs="+", metavar="DRAFT", help="draft JSONL files or folders of them"
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="writes DIR/train.jsonl, dev.jsonl, test.jsonl"
    )
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="write the good records even when some drafts are bad (they are still listed)",
    )
    add_overwrite_argument(parser)
    add_check_arguments(parser)


def run(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    normaliser = None if args.no_normaliser else default_normaliser()
    paths = draft_files(args.drafts)
    corpus = build_written(paths, schema, normaliser)
    for problem in corpus.bad:
        print(problem)
    if corpus.bad and not args.skip_bad:
        lines = len({(p.path, p.line) for p in corpus.bad})
        print(
            f"{lines} bad draft line(s); nothing written (fix them, or --skip-bad to write the rest)",
            file=sys.stderr,
        )
        return 1
    out = Path(args.out)
    written = [out / f"{name}.jsonl" for name in SPLITS]
    texts = [records_jsonl(corpus.splits[name]) for name in SPLITS]
    try:
        write_outputs(dict(zip(written, texts, strict=True)), overwrite=args.overwrite)
    except OutputExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(
        f"{name} {len(corpus.splits[name])} ({len({group_of(r) for r in corpus.splits[name]})} docs)"
        for name in SPLITS
    )
    print(
        f"wrote {len(corpus.records)} records to {out}: {counts}; {corpus.moved_groups} doc "
        f"group(s) moved to keep near-duplicates in one split (largest cluster "
        f"{corpus.largest_cluster} groups); {len(corpus.bad)} bad draft problem(s) skipped",
        file=sys.stderr,
    )
    print(CorpusStats.from_records(corpus.records, schema).format())
    for name in SPLITS:
        if not corpus.splits[name]:
            print(f"warning: split {name} is empty (too few documents)", file=sys.stderr)
    # The output must pass the validator as it stands; anything it finds is a bug here.
    check = validate_files(
        [p for name, p in zip(SPLITS, written, strict=True) if corpus.splits[name]],
        schema,
        normaliser,
    )
    for problem in check.problems:
        print(problem)
    return 1 if check.problems else 0
