"""Stand-off annotations of public text: offsets and a hash in the repository, the text elsewhere.

Annotators write drafts outside the repository, one sentence a line, copying the sentence from
the document (see :mod:`conflict_events.training.drafts` for the number fields)::

    {"source": "re3d", "doc_id": "CENTCOM/0A1B", "text": "<the sentence as in the document>",
     "events": ["displacement"], "numbers": [{"text": "25,000", "occurrence": 1,
     "role": "displaced", "qualifier": "at_least", "value": 25000, "low": 25000,
     "high": null, "unit": "civilians"}], "annotator": "E1"}

:func:`import_drafts` finds each sentence in its document (exact match; the first occurrence when
it repeats, with a note) and keeps only where it is: ``data/annotations/<source>.jsonl`` holds::

    {"id": "re3d:CENTCOM/0A1B:120-181", "source": "re3d", "doc_id": "CENTCOM/0A1B",
     "start": 120, "end": 181, "sha256": "<of the sentence>", "events": ["displacement"],
     "numbers": [{"start": 9, "end": 15, "value": 25000.0, "low": 25000.0, "high": null,
                  "qualifier": "at_least", "role": "displaced", "unit": "civilians"}],
     "licence": "public domain (US government)", "annotator": "E1"}

Number offsets are relative to the sentence. :func:`join` reads the text back from the corpus
(``--data-dir``) and returns :class:`~conflict_events.training.records.Record` objects, checking
each sentence's hash so that a changed corpus is reported, never silently mislabelled.

>>> n = StandoffNumber(9, 15, Quantity(25000.0, 25000.0, None, "at_least"), "displaced", "civilians")
>>> StandoffNumber.from_dict(n.to_dict()) == n
True
>>> sentence_sha256("Five died.")[:12]
'8529dd8d17ee'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conflict_events.inference.labels import LabelError, LabelSchema
from conflict_events.inference.results import NumberMention, Quantity
from conflict_events.training.records import JsonLines, ReadProblem, Record
from conflict_events.training.sources import SourceDocument, SourceError, iter_documents

STANDOFF_FIELDS = (
    "id",
    "source",
    "doc_id",
    "start",
    "end",
    "sha256",
    "events",
    "numbers",
    "licence",
    "annotator",
)
STANDOFF_NUMBER_FIELDS = ("start", "end", "value", "low", "high", "qualifier", "role", "unit")


class StandoffError(ValueError):
    """A stand-off line that does not follow the format."""


def sentence_sha256(text: str) -> str:
    """The hex SHA-256 of ``text`` encoded as UTF-8: what a stand-off record stores."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def standoff_id(source: str, doc_id: str, start: int, end: int) -> str:
    """The record id of a sentence: stable for the same span of the same document.

    >>> standoff_id("re3d", "CENTCOM/0A1B", 120, 181)
    're3d:CENTCOM/0A1B:120-181'
    """
    return f"{source}:{doc_id}:{start}-{end}"


@dataclass(frozen=True)
class StandoffNumber:
    """A labelled number, its span relative to the sentence, without the text."""

    start: int
    end: int
    quantity: Quantity
    role: str | None
    unit: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, **self.quantity.to_dict(),
                "role": self.role, "unit": self.unit}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any) -> StandoffNumber:
        if not isinstance(data, dict):
            raise StandoffError("a number must be an object")
        missing = [k for k in ("start", "end") if k not in data]
        extra = set(data) - set(STANDOFF_NUMBER_FIELDS)
        if missing or extra:
            raise StandoffError(f"number fields: missing {missing}, unknown {sorted(extra)}")
        start, end = data["start"], data["end"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)) or not (
            0 <= start < end
        ):
            raise StandoffError(f"number span [{start}, {end}) is not a non-empty integer span")
        try:
            quantity = Quantity.from_dict(data, strict=True)
        except ValueError as exc:
            raise StandoffError(str(exc).replace("field", "number field", 1)) from None
        for key in ("role", "unit"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise StandoffError(f"number field {key!r} must be a string or null")
        return cls(start, end, quantity, data.get("role"), data.get("unit"))

    @classmethod
    def from_mention(cls, mention: NumberMention) -> StandoffNumber:
        return cls(mention.start, mention.end, mention.quantity, mention.role, mention.unit)

    def to_mention(self, sentence: str) -> NumberMention:
        return NumberMention(
            text=sentence[self.start : self.end],
            start=self.start,
            end=self.end,
            **{k: getattr(self.quantity, k) for k in ("value", "low", "high", "qualifier")},
            role=self.role,
            unit=self.unit,
        )


@dataclass(frozen=True)
class StandoffRecord:
    """One annotated sentence of a public document, by position and hash only."""

    id: str
    source: str
    doc_id: str
    start: int
    end: int
    sha256: str
    events: tuple[str, ...] = ()
    numbers: tuple[StandoffNumber, ...] = ()
    licence: str | None = None
    annotator: str | None = None

    @property
    def key(self) -> tuple[str, str, int, int]:
        """What makes two records the same sentence: ``(source, doc_id, start, end)``."""
        return (self.source, self.doc_id, self.start, self.end)

    def same_labels(self, other: StandoffRecord) -> bool:
        """Whether ``other`` says the same about the same text (the annotator may differ)."""
        return (self.sha256, sorted(self.events), self.numbers) == (
            other.sha256,
            sorted(other.events),
            other.numbers,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in STANDOFF_FIELDS}
        data["events"] = list(self.events)
        data["numbers"] = [n.to_dict() for n in self.numbers]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> StandoffRecord:
        if not isinstance(data, dict):
            raise StandoffError("a stand-off record must be a JSON object")
        extra = set(data) - set(STANDOFF_FIELDS)
        missing = [k for k in ("source", "doc_id", "start", "end", "sha256") if k not in data]
        if extra or missing:
            raise StandoffError(f"fields: missing {missing}, unknown {sorted(extra)}")
        for key in ("source", "doc_id", "sha256"):
            if not isinstance(data[key], str) or not data[key]:
                raise StandoffError(f"field {key!r} must be a non-empty string")
        start, end = data["start"], data["end"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)) or not (
            0 <= start < end
        ):
            raise StandoffError(f"span [{start}, {end}) is not a non-empty integer span")
        events = data.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise StandoffError("field 'events' must be a list of label names")
        numbers = data.get("numbers", [])
        if not isinstance(numbers, list):
            raise StandoffError("field 'numbers' must be a list")
        parsed = []
        for i, number in enumerate(numbers):
            try:
                parsed.append(StandoffNumber.from_dict(number))
            except StandoffError as exc:
                raise StandoffError(f"numbers[{i}]: {exc}") from None
            if parsed[-1].end > end - start:
                raise StandoffError(f"numbers[{i}] ends past the sentence ({end - start} chars)")
        for key in ("licence", "annotator", "id"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise StandoffError(f"field {key!r} must be a string or null")
        return cls(
            id=data.get("id") or standoff_id(data["source"], data["doc_id"], start, end),
            source=data["source"],
            doc_id=data["doc_id"],
            start=start,
            end=end,
            sha256=data["sha256"],
            events=tuple(events),
            numbers=tuple(parsed),
            licence=data.get("licence"),
            annotator=data.get("annotator"),
        )

    def to_record(self, sentence: str) -> Record:
        """The labelled record, given the sentence text (checked by the caller)."""
        return Record(
            id=self.id,
            text=sentence,
            events=self.events,
            numbers=tuple(n.to_mention(sentence) for n in self.numbers),
            doc_id=self.doc_id,
            source=self.source,
            known_labels=None,  # a stand-off annotation labels everything the guideline has
            licence=self.licence,
        )


class DocumentIndex:
    """The documents of each source under ``data_dir``, read once on first use."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self._docs: dict[str, dict[str, SourceDocument]] = {}

    def get(self, source: str, doc_id: str) -> SourceDocument | None:
        """The document, or None when the source has no such doc_id.

        Raises :class:`~conflict_events.training.sources.SourceError` for an unknown or missing
        source.
        """
        if source not in self._docs:
            self._docs[source] = {d.doc_id: d for d in iter_documents(source, self.data_dir)}
        return self._docs[source].get(doc_id)


def locate_sentence(document: str, sentence: str) -> tuple[int, int]:
    """``(start, count)``: where ``sentence`` first occurs in ``document``, and how many times.

    ``start`` is -1 when it does not occur.

    >>> locate_sentence("A fled. B died. A fled.", "A fled.")
    (0, 2)
    """
    first = document.find(sentence)
    if first < 0:
        return -1, 0
    count, at = 0, first
    while at >= 0:
        count += 1
        at = document.find(sentence, at + 1)
    return first, count


def _whitespace_hint(document: str, sentence: str) -> str:
    import re

    words = sentence.split()
    if not words:
        return ""
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, document)
    if match:
        return (
            f" (it occurs with different whitespace at offset {match.start()}: copy the text "
            f"exactly as dumped)"
        )
    return ""


@dataclass
class ImportReport:
    """What :func:`import_drafts` produced: records, ``file:line`` errors and notes."""

    records: list[tuple[str, StandoffRecord]] = field(default_factory=list)  # (where, record)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_drafts(
    paths: Iterable[str | Path],
    data_dir: str | Path | None = None,
    *,
    index: DocumentIndex | None = None,
    schema: LabelSchema | None = None,
) -> ImportReport:
    """Read draft files and locate every sentence in its document; problems as ``file:line``.

    A draft line becomes a record only when it parses, its labels are in ``schema`` (the default
    guideline's), every number with a role comes with that role's event, and its sentence is
    found verbatim in the named document. Bad lines are reported and skipped; the rest go on.
    """
    from conflict_events.training.drafts import DraftError, DraftReader, resolve_draft

    if index is None:
        if data_dir is None:
            raise ValueError("import_drafts needs data_dir or index")
        index = DocumentIndex(data_dir)
    schema = schema or LabelSchema.default()
    report = ImportReport()
    for path in paths:
        reader = DraftReader(Path(path))
        for line, data in reader:
            where = f"{path}:{line}"
            try:
                record = resolve_draft(data, where)
                _check_labels(record, schema, where)
                source, doc_id = record.source, record.doc_id
                if not source or not doc_id:
                    raise DraftError(f"{where}: a real-text draft needs 'source' and 'doc_id'")
                annotator = data.get("annotator")
                if annotator is not None and not isinstance(annotator, str):
                    raise DraftError(f"{where}: field 'annotator' must be a string")
                try:
                    doc = index.get(source, doc_id)
                except SourceError as exc:
                    raise DraftError(f"{where}: {exc}") from None
                if doc is None:
                    raise DraftError(f"{where}: source {source!r} has no document {doc_id!r}")
                start, count = locate_sentence(doc.text, record.text)
                if start < 0:
                    raise DraftError(
                        f"{where}: the sentence does not occur in {source} {doc_id!r}"
                        + _whitespace_hint(doc.text, record.text)
                    )
                if count > 1:
                    report.notes.append(
                        f"{where}: the sentence occurs {count} times in {source} {doc_id!r}; "
                        f"using the first, at offset {start}"
                    )
            except DraftError as exc:
                report.errors.append(str(exc))
                continue
            end = start + len(record.text)
            report.records.append(
                (
                    where,
                    StandoffRecord(
                        id=standoff_id(source, doc_id, start, end),
                        source=source,
                        doc_id=doc_id,
                        start=start,
                        end=end,
                        sha256=sentence_sha256(record.text),
                        events=record.events,
                        numbers=tuple(StandoffNumber.from_mention(n) for n in record.numbers),
                        licence=doc.licence,
                        annotator=annotator,
                    ),
                )
            )
        report.errors.extend(str(p) for p in reader.problems)
    return report


def _check_labels(record: Record, schema: LabelSchema, where: str) -> None:
    from conflict_events.training.drafts import DraftError

    try:
        schema.check_events(record.events, where)
        for number in record.numbers:
            schema.check_role(number.role, where)
    except LabelError as exc:
        raise DraftError(str(exc)) from None
    for number in record.numbers:
        event = schema.role_events.get(number.role) if number.role else None
        if event is not None and event not in record.events:
            raise DraftError(
                f"{where}: number {number.text!r} has role {number.role!r} but the sentence "
                f"lacks its event {event!r}"
            )


def read_standoff(path: str | Path) -> tuple[list[tuple[int, StandoffRecord]], list[ReadProblem]]:
    """The records of a stand-off JSONL file with their line numbers, and the bad lines."""
    lines = JsonLines(Path(path))
    records: list[tuple[int, StandoffRecord]] = []
    for number, data in lines:
        try:
            records.append((number, StandoffRecord.from_dict(data)))
        except StandoffError as exc:
            lines.problems.append(ReadProblem(str(path), number, str(exc)))
    return records, sorted(lines.problems, key=lambda p: p.line)


def standoff_files(location: str | Path) -> list[Path]:
    """The stand-off files at ``location``: the file itself, or a folder's ``*.jsonl``."""
    location = Path(location)
    return sorted(location.glob("*.jsonl")) if location.is_dir() else [location]


@dataclass
class MergeResult:
    """Records merged by sentence: kept (sorted), conflicts reported, identical repeats counted."""

    records: list[StandoffRecord]
    conflicts: list[str]
    identical: int


def merge(items: Iterable[tuple[str, StandoffRecord]], *, replace: bool = False) -> MergeResult:
    """Deduplicate ``(where, record)`` pairs by :attr:`StandoffRecord.key`, in order.

    An identical repeat (same hash and labels) is merged. A conflicting one (same sentence,
    different labels) is reported with both places; the first is kept, or the last with
    ``replace=True`` (re-importing a corrected draft).
    """
    kept: dict[tuple[str, str, int, int], tuple[str, StandoffRecord]] = {}
    conflicts: list[str] = []
    identical = 0
    for where, record in items:
        previous = kept.get(record.key)
        if previous is None:
            kept[record.key] = (where, record)
        elif previous[1].same_labels(record):
            identical += 1
        else:
            action = "replaced it" if replace else "kept the first"
            conflicts.append(
                f"{where}: conflicts with {previous[0]} on {record.id} "
                f"(events {list(previous[1].events)} vs {list(record.events)}, "
                f"{len(previous[1].numbers)} vs {len(record.numbers)} numbers); {action}"
            )
            if replace:
                kept[record.key] = (where, record)
    records = sorted(
        (r for _, r in kept.values()), key=lambda r: (r.source, r.doc_id, r.start, r.end)
    )
    return MergeResult(records, conflicts, identical)


def write_annotations(
    out_dir: str | Path,
    new: Iterable[tuple[str, StandoffRecord]],
    *,
    replace: bool = False,
) -> tuple[dict[str, int], MergeResult, list[str]]:
    """Merge ``new`` records into ``out_dir/<source>.jsonl`` (existing lines first).

    Returns the record count per written source, the merge result and the problems of existing
    files (a file with unreadable lines is not rewritten, so nothing in it is lost).
    """
    out_dir = Path(out_dir)
    new = list(new)
    sources = sorted({r.source for _, r in new})
    items: list[tuple[str, StandoffRecord]] = []
    problems: list[str] = []
    blocked: set[str] = set()
    for source in sources:
        path = out_dir / f"{source}.jsonl"
        if path.exists():
            existing, bad = read_standoff(path)
            if bad:
                problems += [f"{p} (file left unchanged)" for p in bad]
                blocked.add(source)
            items += [(f"{path}:{line}", r) for line, r in existing]
    items += [(w, r) for w, r in new if r.source not in blocked]
    result = merge(items, replace=replace)
    counts: dict[str, int] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if source in blocked:
            continue
        rows = [r for r in result.records if r.source == source]
        path = out_dir / f"{source}.jsonl"
        tmp = path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for r in rows:
                out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
        tmp.replace(path)
        counts[source] = len(rows)
    return counts, result, problems


@dataclass
class JoinResult:
    """Records rebuilt from stand-off annotations, and every ``file:line`` problem."""

    records: list[Record]
    problems: list[str]


def join(
    location: str | Path | Sequence[str | Path],
    data_dir: str | Path | None = None,
    *,
    index: DocumentIndex | None = None,
) -> JoinResult:
    """Stand-off annotations (a file, a folder or a list of them) + the corpora → records.

    A record whose document is missing, whose span lies outside it or whose text no longer
    hashes to ``sha256`` is reported as ``file:line`` and left out; the others are returned.
    """
    if index is None:
        if data_dir is None:
            raise ValueError("join needs data_dir or index")
        index = DocumentIndex(data_dir)
    locations = [location] if isinstance(location, str | Path) else list(location)
    paths = [p for loc in locations for p in standoff_files(loc)]
    records: list[Record] = []
    problems: list[str] = []
    for path in paths:
        items, bad = read_standoff(path)
        problems += [str(p) for p in bad]
        for line, item in items:
            where = f"{path}:{line}"
            try:
                doc = index.get(item.source, item.doc_id)
            except SourceError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if doc is None:
                problems.append(f"{where}: source {item.source!r} has no document {item.doc_id!r}")
                continue
            if item.end > len(doc.text):
                problems.append(
                    f"{where}: span [{item.start}, {item.end}) lies past the end of "
                    f"{item.source} {item.doc_id!r} ({len(doc.text)} chars)"
                )
                continue
            sentence = doc.text[item.start : item.end]
            if sentence_sha256(sentence) != item.sha256:
                problems.append(
                    f"{where}: sha256 mismatch for {item.id}: the corpus text at "
                    f"[{item.start}, {item.end}) is not the annotated sentence (corpus changed?)"
                )
                continue
            records.append(item.to_record(sentence))
    return JoinResult(records, problems)


# --- command line -------------------------------------------------------------------------


def checkout_annotations() -> Path:
    """``data/annotations`` of the checkout this code runs from (found from this file, not from
    the working directory); an installed copy has none, and its commands then need the flag.
    """
    return Path(__file__).resolve().parents[1] / "data" / "annotations"


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    """``data import-drafts DRAFT... --data-dir DIR --out DIR [--replace]``."""
    parser.add_argument("drafts", nargs="+", metavar="DRAFT", help="draft JSONL files")
    parser.add_argument("--data-dir", required=True, help="folder holding the public corpora")
    default = checkout_annotations()
    parser.add_argument(
        "--out",
        default=default if default.parent.is_dir() else None,
        required=not default.parent.is_dir(),
        help=f"stand-off folder (default: the checkout's {default})",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="a draft that conflicts with an existing annotation replaces it (default: kept)",
    )


def run_import(args: argparse.Namespace) -> int:
    """Import drafts; exit 1 when any line had an error (the good lines are still written)."""
    report = import_drafts(args.drafts, args.data_dir)
    counts, result, problems = write_annotations(args.out, report.records, replace=args.replace)
    for message in report.notes:
        print(f"note: {message}", file=sys.stderr)
    for message in report.errors + problems:
        print(f"error: {message}", file=sys.stderr)
    for message in result.conflicts:
        print(f"conflict: {message}", file=sys.stderr)
    for source, count in counts.items():
        print(f"{Path(args.out) / (source + '.jsonl')}: {count} records")
    print(
        f"imported {len(report.records)} draft lines, {len(report.errors)} errors, "
        f"{result.identical} identical repeats merged, {len(result.conflicts)} conflicts"
    )
    return 1 if report.errors or problems or result.conflicts else 0


def add_join_arguments(parser: argparse.ArgumentParser) -> None:
    """``data join ANNOTATIONS... --data-dir DIR --out FILE.jsonl``."""
    parser.add_argument(
        "annotations", nargs="+", help="stand-off JSONL files or folders (data/annotations)"
    )
    parser.add_argument("--data-dir", required=True, help="folder holding the public corpora")
    parser.add_argument("--out", required=True, help="records JSONL to write")
    from conflict_events.training.records import add_overwrite_argument

    add_overwrite_argument(parser)


def run_join(args: argparse.Namespace) -> int:
    """Join; exit 1 when any record was left out (the others are still written)."""
    from conflict_events.training.records import OutputExistsError, records_jsonl, write_outputs

    result = join(args.annotations, args.data_dir)
    for message in result.problems:
        print(f"error: {message}", file=sys.stderr)
    try:
        write_outputs({Path(args.out): records_jsonl(result.records)}, overwrite=args.overwrite)
    except OutputExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: {len(result.records)} records, {len(result.problems)} problems")
    return 1 if result.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conflict_events.training.standoff",
        description="import annotation drafts as stand-off records; join them with the text",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    add_import_arguments(sub.add_parser("import-drafts", help="drafts → data/annotations"))
    add_join_arguments(sub.add_parser("join", help="stand-off + corpora → records JSONL"))
    args = parser.parse_args(argv)
    return run_import(args) if args.action == "import-drafts" else run_join(args)


if __name__ == "__main__":
    sys.exit(main())
