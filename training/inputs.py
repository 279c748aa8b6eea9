"""Training inputs: our JSONL, CSV (``text`` + one 0/1 column per label) or a ``datasets`` folder.

A file spec may carry a weight or a cap: ``data/corpus/train.jsonl,weight=2`` or
``realtext.jsonl,cap=1500``. ``--label-map`` renames labels and roles (mapping to an empty name
drops them). Held-out files and records (training/heldout.toml) are refused, and so is an input
with any record that fails the checks of ``conflict-events data validate``
(:func:`conflict_events.training.validate.check_record`: offsets out of range or not matching
the text, overlapping numbers, values that are not finite or disagree with the normaliser, ...),
listed as ``file:line: problem``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from pathlib import Path

from conflict_events.inference.labels import LabelError, LabelSchema
from conflict_events.training.records import JsonlReader, Record, RecordError


@dataclass(frozen=True)
class InputSpec:
    path: Path
    weight: float = 1.0
    cap: int | None = None

    @classmethod
    def parse(cls, spec: str) -> InputSpec:
        """``PATH[,weight=W][,cap=N]``

        >>> InputSpec.parse("a.jsonl,cap=10,weight=2")
        InputSpec(path=PosixPath('a.jsonl'), weight=2.0, cap=10)
        """
        path, *options = spec.split(",")
        weight, cap = 1.0, None
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "weight":
                weight = float(value)
            elif key.strip() == "cap":
                cap = int(value)
            else:
                raise ValueError(f"{spec}: unknown option {option!r} (use weight=W or cap=N)")
        return cls(Path(path), weight, cap)


@dataclass(frozen=True)
class Example:
    """A record with the weight of the file it came from."""

    record: Record
    weight: float = 1.0


def read_csv(path: Path, labels: LabelSchema) -> list[Record]:
    """CSV with a ``text`` column and one 0/1 column per event label (other columns ignored)."""
    records = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "text" not in columns:
            raise RecordError(f"{path}:1: no 'text' column (columns: {columns})")
        label_columns = [c for c in columns if c in labels.event_labels]
        if not label_columns:
            raise RecordError(
                f"{path}:1: no column named after an event label {list(labels.event_labels)}"
            )
        for lineno, row in enumerate(reader, start=2):
            text = (row.get("text") or "").strip()
            if not text:
                raise RecordError(f"{path}:{lineno}: empty text")
            events = []
            for column in label_columns:
                value = (row.get(column) or "").strip()
                if value not in ("0", "1"):
                    raise RecordError(
                        f"{path}:{lineno}: column {column!r} must be 0 or 1, got {value!r}"
                    )
                if value == "1":
                    events.append(column)
            records.append(
                Record(
                    id=f"{path.name}:{lineno}",
                    text=row["text"],
                    events=tuple(events),
                    source=path.stem,
                    # A CSV says nothing about number roles: mask the token loss.
                    known_labels=tuple(label_columns),
                )
            )
    return records


def read_dataset_folder(path: Path) -> list[Record]:
    """A ``datasets`` folder saved with ``save_to_disk`` whose rows use our record fields."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(path))
    records = []
    for i, row in enumerate(dataset):
        row = {k: v for k, v in row.items() if v is not None}
        row.setdefault("id", f"{path.name}:{i}")
        try:
            records.append(Record.from_dict(row))
        except RecordError as exc:
            raise RecordError(f"{path}:{i}: {exc}") from None
    return records


def read_input(path: Path, labels: LabelSchema) -> list[Record]:
    return [record for _, record in read_located(path, labels)]


def read_located(path: Path, labels: LabelSchema) -> list[tuple[str, Record]]:
    """Every record of one input with where it was read (``file:line``, or the record id)."""
    if path.is_dir():
        return [(f"{path} record {r.id}", r) for r in read_dataset_folder(path)]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        return [(f"{path}:{r.id.rsplit(':', 1)[1]}", r) for r in read_csv(path, labels)]
    reader = JsonlReader(path)
    records = [(f"{path}:{line}", r) for line, r in reader]
    if reader.problems:
        listing = "\n".join(str(p) for p in reader.problems[:20])
        raise RecordError(f"{len(reader.problems)} bad line(s):\n{listing}")
    return records


MAX_LISTED = 20


def check_records(located: list[tuple[str, Record]], labels: LabelSchema) -> None:
    """Run the checks of ``conflict-events data validate`` on each record (offsets in range and
    matching the text, no overlapping numbers, finite values agreeing with the normaliser, ...);
    RecordError listing ``file:line: problem`` when any record fails."""
    from conflict_events.training.validate import check_record, default_normaliser

    normaliser = default_normaliser()
    problems = [
        f"{where}: {message}"
        for where, record in located
        for message in check_record(record, labels, normaliser)
    ]
    if problems:
        listing = "\n".join(problems[:MAX_LISTED])
        more = f"\n... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise RecordError(
            f"{len(problems)} problem(s) in the training input (the checks of "
            f"`conflict-events data validate`); nothing was trained:\n{listing}{more}"
        )


def apply_label_map(record: Record, mapping: dict[str, str]) -> Record:
    """Rename event labels, roles and known labels; a label mapped to '' is dropped."""
    if not mapping:
        return record

    def rename(name: str) -> str:
        return mapping.get(name, name)

    numbers = tuple(
        replace(n, role=rename(n.role) or None) if n.role is not None else n for n in record.numbers
    )
    known = (
        None
        if record.known_labels is None
        else tuple(x for x in map(rename, record.known_labels) if x)
    )
    return replace(
        record,
        events=tuple(dict.fromkeys(x for x in map(rename, record.events) if x)),
        numbers=numbers,
        known_labels=known,
    )


def check_labels(record: Record, labels: LabelSchema, where: str) -> None:
    labels.check_events(record.events, where)
    for number in record.numbers:
        labels.check_role(number.role, where)


def load_inputs(
    specs: list[str],
    labels: LabelSchema,
    label_map: dict[str, str] | None = None,
    seed: int = 13,
    allow_heldout: bool = False,
) -> list[Example]:
    """Read every input, rename labels, refuse held-out data, apply caps; fail on the first bad record."""
    from conflict_events.training.heldout import HeldOut

    heldout = None if allow_heldout else HeldOut.load()
    examples: list[Example] = []
    for raw in specs:
        spec = InputSpec.parse(raw)
        if heldout is not None:
            heldout.check_file(spec.path)
        located = [
            (where, apply_label_map(r, label_map or {}))
            for where, r in read_located(spec.path, labels)
        ]
        for where, record in located:
            try:
                check_labels(record, labels, where)
            except LabelError as exc:
                raise LabelError(
                    f"{exc} (use --label-map or --extra-labels/--extra-roles)"
                ) from None
        check_records(located, labels)
        records = [record for _, record in located]
        if heldout is not None:
            heldout.refuse(records, where=str(spec.path))
        if spec.cap is not None and len(records) > spec.cap:
            records = random.Random(seed).sample(records, spec.cap)
        examples += [Example(r, spec.weight) for r in records]
    return examples
