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
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from conflict_events.inference.labels import LabelError, LabelSchema
from conflict_events.training.records import JsonlReader, ReadProblem, Record, RecordError


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


def _csv_rows(
    path: Path, labels: LabelSchema, label_map: dict[str, str], problems: list[ReadProblem]
) -> Iterator[tuple[int, Record]]:
    """``(line, Record)`` per CSV row; bad rows become problems and reading carries on."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "text" not in columns:
            problems.append(ReadProblem(str(path), 1, f"no 'text' column (columns: {columns})"))
            return
        label_columns = [c for c in columns if label_map.get(c, c) in labels.event_labels]
        if not label_columns:
            problems.append(
                ReadProblem(
                    str(path), 1,
                    f"no column named after an event label {list(labels.event_labels)} "
                    f"(columns: {columns}; --label-map renames them)",
                )
            )  # fmt: skip
            return
        for lineno, row in enumerate(reader, start=2):
            text = (row.get("text") or "").strip()
            if not text:
                problems.append(ReadProblem(str(path), lineno, "empty text"))
                continue
            values = {c: (row.get(c) or "").strip() for c in label_columns}
            bad = [c for c, v in values.items() if v not in ("0", "1")]
            if bad:
                problems.append(
                    ReadProblem(
                        str(path), lineno,
                        f"column {bad[0]!r} must be 0 or 1, got {values[bad[0]]!r}",
                    )
                )  # fmt: skip
                continue
            yield (
                lineno,
                Record(
                    id=f"{path.name}:{lineno}",
                    text=row["text"],
                    events=tuple(c for c in label_columns if values[c] == "1"),
                    source=path.stem,
                    # A CSV says nothing about number roles: mask the token loss.
                    known_labels=tuple(label_columns),
                ),
            )


def _dataset_rows(path: Path, problems: list[ReadProblem]) -> Iterator[tuple[int, Record]]:
    """``(row, Record)`` per row of a ``datasets`` folder whose rows use our record fields."""
    from datasets import load_from_disk

    for i, row in enumerate(load_from_disk(str(path))):
        row = {k: v for k, v in row.items() if v is not None}
        row.setdefault("id", f"{path.name}:{i}")
        try:
            yield i, Record.from_dict(row)
        except RecordError as exc:
            problems.append(ReadProblem(str(path), i, str(exc)))


@dataclass
class RecordReader:
    """Reads records from any input ``train`` reads: JSONL, CSV (``text`` + one 0/1 column per
    event label) or a ``datasets`` folder saved with ``save_to_disk``.

    Yields ``(line, Record)`` pairs (the row index for a ``datasets`` folder); bad lines land in
    :attr:`problems` as ``file:line`` messages and reading carries on. CSV label columns are
    recognised after ``label_map``; labels are not renamed here (see :func:`apply_label_map`).
    """

    path: Path
    labels: LabelSchema = field(default_factory=LabelSchema.default)
    label_map: dict[str, str] | None = None
    problems: list[ReadProblem] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        path = Path(self.path)
        if path.is_dir():
            yield from _dataset_rows(path, self.problems)
        elif not path.is_file():
            self.problems.append(ReadProblem(str(path), 0, "no such file or folder"))
        elif path.suffix.lower() == ".csv":
            yield from _csv_rows(path, self.labels, self.label_map or {}, self.problems)
        else:
            reader = JsonlReader(path, self.problems)
            yield from reader


def read_csv(
    path: Path, labels: LabelSchema, label_map: dict[str, str] | None = None
) -> list[Record]:
    """Every record of a CSV (see :class:`RecordReader`); the first bad row is an error."""
    return read_input(Path(path), labels, label_map)


def read_input(
    path: Path, labels: LabelSchema, label_map: dict[str, str] | None = None
) -> list[Record]:
    """Every record of one input (JSONL, CSV or a ``datasets`` folder), labels not yet renamed.

    Raises :class:`RecordError` listing the bad lines (``file:line: why``), if any.
    """
    return [record for _, record in read_located(path, labels, label_map)]


def read_located(
    path: Path, labels: LabelSchema, label_map: dict[str, str] | None = None
) -> list[tuple[str, Record]]:
    """:func:`read_input` with where each record was read (``file:line``, or the record id of a
    ``datasets`` folder row); raises :class:`RecordError` listing the bad lines, if any."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    reader = RecordReader(path, labels, label_map)
    if path.is_dir():
        records = [(f"{path} record {r.id}", r) for _, r in reader]
    else:
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


def annotated_schema(records: list[Record], labels: LabelSchema) -> tuple[str, ...]:
    """The labels and roles a file's records were annotated under, when they do not say.

    A record without ``known_labels`` was annotated under the guideline's schema (the default
    four labels and five roles) plus whatever labels its file uses. So a label added with
    ``--extra-labels`` is learnt from the files that annotate it and masked elsewhere: adding a
    fifth label does not make every existing sentence one of its negatives.

    >>> schema = LabelSchema.with_extra(["arrest"])
    >>> "arrest" in annotated_schema([Record("a", "Calm.")], schema)
    False
    >>> "arrest" in annotated_schema([Record("a", "Two held.", ("arrest",))], schema)
    True
    """
    default = LabelSchema.default()
    used = {x for r in records for x in r.events} | {
        n.role for r in records for n in r.numbers if n.role
    }
    known = set(default.event_labels) | set(default.number_roles) | used
    return tuple(x for x in (*labels.event_labels, *labels.number_roles) if x in known)


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
            for where, r in read_located(spec.path, labels, label_map)
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
        if any(r.known_labels is None for r in records):
            schema = annotated_schema(records, labels)
            records = [
                r if r.known_labels is not None else replace(r, known_labels=schema)
                for r in records
            ]
        if spec.cap is not None and len(records) > spec.cap:
            records = random.Random(seed).sample(records, spec.cap)
        examples += [Example(r, spec.weight) for r in records]
    return examples
