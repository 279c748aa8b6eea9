"""The labelled-record format every corpus, converter, trainer and evaluator reads.

One definition in code (:class:`Record`); :func:`json_schema` derives the JSON Schema from it.
A record is one sentence or short passage::

    {"id": "w-0001", "text": "At least 40 people were killed.", "events": ["casualty"],
     "numbers": [{"start": 9, "end": 11, "text": "40", "value": 40.0, "low": 40.0, "high": 40.0,
                  "qualifier": "at_least", "role": "killed", "unit": "people"}],
     "doc_id": "w-doc-0001", "source": "written", "known_labels": null, "licence": "Apache-2.0"}

Number offsets are relative to ``text``. ``known_labels`` lists the event labels (and number
roles) the record's source actually annotated, so training masks the rest instead of treating
them as negatives. Absent means the schema the record was annotated under: the guideline's four
labels and five roles, plus the labels its file uses (see
:func:`~conflict_events.training.inputs.annotated_schema`): a label added later is not one
of its negatives.

>>> r = Record.from_dict({"id": "a", "text": "Five died.", "events": ["casualty"], "numbers": []})
>>> Record.from_dict(r.to_dict()) == r
True
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from conflict_events.inference.jsonl import JsonLines, ReadProblem
from conflict_events.inference.results import NumberMention, Qualifier

NUMBER_FIELDS = ("start", "end", "text", "value", "low", "high", "qualifier", "role", "unit")


class RecordError(ValueError):
    """A record that does not follow the format; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class Record:
    """One labelled sentence or passage."""

    id: str
    text: str
    events: tuple[str, ...] = ()
    numbers: tuple[NumberMention, ...] = ()
    doc_id: str | None = None
    source: str | None = None
    known_labels: tuple[str, ...] | None = None
    licence: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "numbers", tuple(self.numbers))
        if self.known_labels is not None:
            object.__setattr__(self, "known_labels", tuple(self.known_labels))

    def knows(self, label: str) -> bool:
        """Whether this record's source annotated ``label`` (an event label or number role)."""
        return self.known_labels is None or label in self.known_labels

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "events": list(self.events),
            "numbers": [_number_to_dict(n) for n in self.numbers],
        }
        for name in ("doc_id", "source", "licence"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.known_labels is not None:
            data["known_labels"] = list(self.known_labels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        if not isinstance(data, dict):
            raise RecordError(f"a record must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise RecordError(f"unknown field(s) {sorted(unknown)}")
        for name in ("id", "text"):
            if not isinstance(data.get(name), str) or not data.get(name):
                raise RecordError(f"field {name!r} must be a non-empty string")
        events = data.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise RecordError("field 'events' must be a list of label names")
        numbers = data.get("numbers", [])
        if not isinstance(numbers, list):
            raise RecordError("field 'numbers' must be a list")
        parsed = []
        for i, n in enumerate(numbers):
            if not isinstance(n, dict):
                raise RecordError(f"numbers[{i}] must be an object")
            extra = set(n) - set(NUMBER_FIELDS) - {"score"}
            if extra:
                raise RecordError(f"numbers[{i}] has unknown field(s) {sorted(extra)}")
            try:
                parsed.append(NumberMention.from_dict(n))
            except (KeyError, TypeError, ValueError) as exc:
                raise RecordError(f"numbers[{i}]: {exc}") from None
        known = data.get("known_labels")
        if known is not None and (
            not isinstance(known, list) or not all(isinstance(x, str) for x in known)
        ):
            raise RecordError("field 'known_labels' must be a list of label names or null")
        return cls(
            id=data["id"],
            text=data["text"],
            events=tuple(events),
            numbers=tuple(parsed),
            doc_id=data.get("doc_id"),
            source=data.get("source"),
            known_labels=None if known is None else tuple(known),
            licence=data.get("licence"),
        )


def _number_to_dict(n: NumberMention) -> dict[str, Any]:
    data = n.to_dict()
    data.pop("score")
    return data


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a record, derived from :class:`Record` and :data:`NUMBER_FIELDS`."""
    nullable_num = {"type": ["number", "null"]}
    nullable_str = {"type": ["string", "null"]}
    number_props = {
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "text": {"type": "string", "minLength": 1},
        "value": nullable_num,
        "low": nullable_num,
        "high": nullable_num,
        "qualifier": {"enum": [q.value for q in Qualifier]},
        "role": nullable_str,
        "unit": nullable_str,
    }
    assert set(number_props) == set(NUMBER_FIELDS)
    props: dict[str, Any] = {
        "id": {"type": "string", "minLength": 1},
        "text": {"type": "string", "minLength": 1},
        "events": {"type": "array", "items": {"type": "string"}},
        "numbers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": number_props,
                "required": ["start", "end", "text"],
                "additionalProperties": False,
            },
        },
        "doc_id": nullable_str,
        "source": nullable_str,
        "known_labels": {"type": ["array", "null"], "items": {"type": "string"}},
        "licence": nullable_str,
    }
    assert set(props) == {f.name for f in fields(Record)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "conflict-events labelled record",
        "type": "object",
        "properties": props,
        "required": ["id", "text"],
        "additionalProperties": False,
    }


@dataclass
class JsonlReader(JsonLines):
    """Reads records from a JSONL file: ``(line_number, Record)`` pairs; bad lines land in
    :attr:`problems` as ``file:line`` messages and reading carries on.
    """

    def __iter__(self) -> Iterator[tuple[int, Record]]:  # type: ignore[override]
        for lineno, data in super().__iter__():
            try:
                yield lineno, Record.from_dict(data)
            except RecordError as exc:
                self.problems.append(ReadProblem(str(self.path), lineno, str(exc)))


def read_records(path: str | Path) -> list[Record]:
    """Read every record of a JSONL file; raise :class:`RecordError` on the first bad line."""
    reader = JsonlReader(Path(path))
    records = [r for _, r in reader]
    if reader.problems:
        raise RecordError(str(reader.problems[0]))
    return records


def write_records(path: str | Path, records: list[Record] | Iterator[Record]) -> int:
    """Write records as JSONL (UTF-8, one object per line); return how many were written."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for record in records:
            out.write(records_jsonl([record]))
            count += 1
    return count


def records_jsonl(records: list[Record]) -> str:
    """The JSONL text :func:`write_records` writes."""
    return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``, for the commands that write with :func:`write_outputs`."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that hold something else (identical ones are left as they are)",
    )


class OutputExistsError(FileExistsError):
    """A command's output file exists and holds something else; nothing was written."""


def write_outputs(files: dict[Path, str], *, overwrite: bool = False) -> dict[Path, str]:
    """Write a command's output files, all or none; return what became of each path:
    ``"written"``, ``"replaced"`` or ``"unchanged"``.

    A file already holding exactly the new text is left untouched, so a recipe can rerun a
    command. One holding anything else is kept unless ``overwrite``: the whole set is refused
    before any file is touched (an ``--out`` pointing at the project's own corpus, or at another
    run's splits, must not replace them by accident). Each file is written beside its target and
    renamed over it, so an interrupted write leaves the old file whole.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> write_outputs({out: "1\\n"})[out], write_outputs({out: "1\\n"})[out]
    ('written', 'unchanged')
    """
    status: dict[Path, str] = {}
    for path, text in files.items():
        if not path.exists():
            status[path] = "written"
        elif path.is_file() and path.read_bytes() == text.encode("utf-8"):
            status[path] = "unchanged"
        elif overwrite and path.is_file():
            status[path] = "replaced"
        elif path.is_file():
            raise OutputExistsError(
                f"{path} exists and holds other content; nothing was written. Pass --overwrite "
                "to replace it, or choose another --out"
            )
        else:
            raise OutputExistsError(f"{path} exists and is not a file; nothing was written")
    for path, text in files.items():
        if status[path] == "unchanged":
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    return status


# --- `conflict-events data schema` ---------------------------------------------------------


def add_schema_arguments(parser: argparse.ArgumentParser) -> None:
    """``data schema [--out FILE]``."""
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    add_overwrite_argument(parser)


def run_schema(args: argparse.Namespace) -> int:
    """Print (or write) the record format's JSON Schema, from ``records.json_schema()``."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        try:
            write_outputs({Path(args.out): text}, overwrite=args.overwrite)
        except OutputExistsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0
