"""Archive readers: text files, folders, JSONL, CSV, their gzip'd versions and stdin, as one stream.

:func:`read_archive` walks the inputs in order and yields, one at a time, either a
:class:`Document` to tag or a :class:`BadRecord` saying what is wrong where (``file:line``), so a
batch job reports bad input and carries on. Nothing is read ahead: memory stays flat whatever the
archive's size (one document, or one line, at a time).

Kinds, chosen by the file name (``.gz`` stripped first, then decompressed on the fly):

- ``.jsonl`` / ``.ndjson``: one JSON object per line; the text is ``options.text_field``. Blank
  lines are skipped.
- ``.csv``: a header row, then one document per row; the text is the ``options.text_field``
  column. Quoted fields may span lines; a row's line is the line it starts on.
- anything else (``.txt``, or any file named explicitly): the whole file is one document.
- ``-``: stdin, read as ``options.stdin_format``: ``lines`` (one document per line, blank lines
  skipped; the default), ``text`` (all of stdin is one document), ``jsonl`` or ``csv``.

Folders are walked recursively in sorted order, keeping files whose name matches one of
``options.glob`` (default ``*.txt,*.jsonl,*.csv`` and their ``.gz``); symbolic links to folders are
not followed.

Ids: the ``options.id_field`` value when it is set and present (a string or an integer);
otherwise ``path:line`` for a JSONL/CSV row or stdin line and the path (as given, or the folder
as given joined with the file's relative path) for a whole-file document; ``-`` for stdin read as
one document. A leading UTF-8 byte-order mark is dropped; line ends are kept inside whole-file
documents (offsets count them) and dropped from line documents.

Bad records: a file with NUL bytes in its first 8 KiB (binary, or UTF-16), bytes that are not
UTF-8 (or JSON escapes that make unpaired surrogates), a malformed JSON line, a row without the
text field, empty or whitespace-only text, an unreadable file or folder, a corrupt gzip stream
(reported at the line where it broke; the rest of that file is lost), and a file or folder that
yields no record at all. Long lines are not bad: a 1 MB line is one document.

>>> import io
>>> stdin = io.BytesIO(b'{"text": "Two were killed."}\\n{"txt": "x"}\\n')
>>> for item in read_archive(["-"], ReadOptions(stdin_format="jsonl"), stdin=stdin):
...     print(item)
Document(id='-:1', text='Two were killed.', file='-', line=1)
-:2: missing text field 'text' (fields: txt)
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

STDIN = "-"
DEFAULT_GLOB = ("*.txt", "*.jsonl", "*.csv", "*.txt.gz", "*.jsonl.gz", "*.csv.gz")
STDIN_FORMATS = ("lines", "text", "jsonl", "csv")
SNIFF_BYTES = 8192
_READ_ERRORS = (OSError, EOFError, zlib.error)  # EOFError, zlib.error: truncated or corrupt gzip


class InputError(ValueError):
    """Inputs that cannot be read at all (a path that does not exist, stdin named twice)."""


@dataclass(frozen=True)
class Document:
    """One document to tag: its id, its text, and where it was read (``line`` is 1-based).

    ``meta``: what the source says about the document beyond its text (a web page's URL and
    declared date, a PDF's page offsets), written next to the results.
    """

    id: str
    text: str
    file: str
    line: int | None = None
    meta: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_pair(self) -> tuple[str, str]:
        """``(id, text)``, what :meth:`EventTagger.iter_tag_documents` takes."""
        return self.id, self.text


@dataclass(frozen=True)
class BadRecord:
    """A record that was not tagged: where it is (``line`` None: the whole file) and why."""

    file: str
    line: int | None
    reason: str

    @property
    def location(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BadRecord:
        line = data.get("line")
        return cls(data["file"], None if line is None else int(line), data["reason"])

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(frozen=True)
class ReadOptions:
    """How to read records: field names, folder filter, stdin format, files to leave out.

    ``exclude`` holds paths (the job's own output and errors files) that a folder walk skips,
    so ``tag DIR --out DIR/out.jsonl`` does not read its own output.
    """

    text_field: str = "text"
    id_field: str | None = None
    glob: tuple[str, ...] = DEFAULT_GLOB
    stdin_format: str = "lines"
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.stdin_format not in STDIN_FORMATS:
            raise ValueError(
                f"stdin format must be one of {', '.join(STDIN_FORMATS)}, not {self.stdin_format!r}"
            )
        object.__setattr__(self, "glob", tuple(self.glob))
        object.__setattr__(self, "exclude", tuple(os.path.realpath(p) for p in self.exclude))


def parse_glob(text: str) -> tuple[str, ...]:
    """``"*.txt, *.md"`` → ``("*.txt", "*.md")``.

    >>> parse_glob("*.txt, *.md,")
    ('*.txt', '*.md')
    """
    patterns = tuple(p.strip() for p in text.split(",") if p.strip())
    if not patterns:
        raise InputError(f"--glob {text!r} names no pattern")
    return patterns


def file_kind(path: str) -> str:
    """``"jsonl"``, ``"csv"`` or ``"text"`` (one document per file), from the name.

    >>> [file_kind(p) for p in ("a.jsonl.gz", "b.CSV", "c.txt", "d.md", "e.ndjson")]
    ['jsonl', 'csv', 'text', 'text', 'jsonl']
    """
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    return "text"


def check_inputs(inputs: Sequence[str], options: ReadOptions = ReadOptions()) -> None:
    """Fail fast, before any work, on inputs that are not there or not allowed."""
    if not inputs:
        raise InputError("no input: name files, folders, or - for stdin")
    if list(inputs).count(STDIN) > 1:
        raise InputError("stdin (-) is named more than once")
    for path in inputs:
        if path == STDIN:
            continue
        if not os.path.lexists(path):
            raise InputError(f"{path}: no such file or folder")
        if os.path.realpath(path) in options.exclude:
            raise InputError(f"{path}: is this job's own output or errors file")


def read_archive(
    inputs: Iterable[str], options: ReadOptions = ReadOptions(), stdin: BinaryIO | None = None
) -> Iterator[Document | BadRecord]:
    """Every document of every input, in order, with a :class:`BadRecord` for each bad one."""
    for path in inputs:
        if path == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(STDIN, stream, options.stdin_format, options)
        elif os.path.isdir(path):
            yield from _read_folder(path, options)
        else:
            yield from _read_file(path, file_kind(path), options)


# -- files and folders ----------------------------------------------------------------------------


def _read_folder(top: str, options: ReadOptions) -> Iterator[Document | BadRecord]:
    errors: list[OSError] = []
    found = 0
    for folder, dirs, files in os.walk(top, onerror=errors.append):
        while errors:
            exc = errors.pop()
            yield BadRecord(
                exc.filename or folder, None, f"unreadable folder: {exc.strerror or exc}"
            )
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, top)
            if not any(
                fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in options.glob
            ):
                continue
            if os.path.realpath(path) in options.exclude:
                continue
            found += 1
            yield from _read_file(path, file_kind(path), options)
    while errors:
        exc = errors.pop()
        yield BadRecord(exc.filename or top, None, f"unreadable folder: {exc.strerror or exc}")
    if not found:
        yield BadRecord(top, None, f"no file matches --glob {','.join(options.glob)}")


def _read_file(path: str, kind: str, options: ReadOptions) -> Iterator[Document | BadRecord]:
    try:
        stream: BinaryIO = (
            gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")
        )
    except OSError as exc:
        yield BadRecord(path, None, f"unreadable file: {exc.strerror or exc}")
        return
    with stream:
        yield from _read_stream(path, stream, kind, options)


def _read_stream(
    name: str, stream: BinaryIO, kind: str, options: ReadOptions
) -> Iterator[Document | BadRecord]:
    """Sniff for binary data, then read by kind; a read error ends the file with one bad record."""
    cursor = _Cursor()
    produced = 0
    try:
        head = stream.read(SNIFF_BYTES)
        if b"\0" in head:
            yield BadRecord(name, None, "binary file (NUL bytes; not UTF-8 text)")
            return
        if kind == "text":
            records: Iterator[Document | BadRecord] = _whole_document(name, head + stream.read())
        else:
            lines = _lines(stream, head, cursor)
            if kind == "jsonl":
                records = _jsonl_records(name, lines, options)
            elif kind == "csv":
                records = _csv_records(name, lines, options)
            else:  # stdin, one document per line
                records = _line_documents(name, lines)
        for record in records:
            produced += 1
            yield record
    except _READ_ERRORS as exc:
        produced += 1
        reason = str(exc) if isinstance(exc, (EOFError, zlib.error)) else (exc.strerror or str(exc))
        line = None if kind == "text" else cursor.line + 1  # the line being read when it broke
        yield BadRecord(name, line, f"unreadable: {reason}")
    if not produced:
        yield BadRecord(name, None, "empty file (no record)")


class _Cursor:
    """The number of the last line read from a stream, shared by a reader and its error report."""

    line = 0


def _lines(stream: BinaryIO, head: bytes, cursor: _Cursor) -> Iterator[bytes]:
    """The stream's lines (bytes, ``\\n`` kept), ``head`` first; ``cursor.line`` counts them."""
    pending = head
    while True:
        cut = pending.find(b"\n")
        if cut < 0:
            more = stream.readline()
            if more:
                pending += more
                continue
            if pending:
                cursor.line += 1
                yield pending
            return
        cursor.line += 1
        yield pending[: cut + 1]
        pending = pending[cut + 1 :]


def _decode_line(raw: bytes, first: bool) -> str:
    text = raw.decode("utf-8")
    if first and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _bad_utf8(exc: UnicodeDecodeError, what: str = "") -> str:
    return f"invalid UTF-8{what}: byte 0x{exc.object[exc.start]:02x} at byte offset {exc.start}"


def _unencodable(text: str) -> str | None:
    """Why ``text`` cannot be written as UTF-8 (an unpaired surrogate), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"unpaired surrogate U+{ord(text[exc.start]):04X} at character {exc.start} (not valid Unicode)"
    return None


def _check_text(name: str, line: int | None, doc_id: str, text: str) -> Document | BadRecord:
    if not text.strip():
        return BadRecord(name, line, "empty text" if not text else "empty text (only whitespace)")
    problem = _unencodable(text) or _unencodable(doc_id)
    if problem:
        return BadRecord(name, line, problem)
    return Document(doc_id, text, name, line)


def _whole_document(name: str, data: bytes) -> Iterator[Document | BadRecord]:
    if not data:
        return  # reported as an empty file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield BadRecord(name, data.count(b"\n", 0, exc.start) + 1, _bad_utf8(exc))
        return
    if text.startswith("\ufeff"):
        text = text[1:]
    yield _check_text(name, None, name, text)


def _line_documents(name: str, lines: Iterator[bytes]) -> Iterator[Document | BadRecord]:
    for number, raw in enumerate(lines, 1):
        try:
            text = _decode_line(raw, number == 1).rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield BadRecord(name, number, _bad_utf8(exc))
            continue
        if text.strip():
            yield _check_text(name, number, f"{name}:{number}", text)


def _record_id(value: Any, default: str, id_field: str | None) -> str:
    """The id a record names, or ``default`` when it names none; ValueError when it is no id."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(
            f"id field {id_field!r} is {type(value).__name__}, not a string or integer"
        )
    return str(value)


def _jsonl_records(
    name: str, lines: Iterator[bytes], options: ReadOptions
) -> Iterator[Document | BadRecord]:
    for number, raw in enumerate(lines, 1):
        try:
            line = _decode_line(raw, number == 1)
        except UnicodeDecodeError as exc:
            yield BadRecord(name, number, _bad_utf8(exc))
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(name, number, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield BadRecord(name, number, f"not a JSON object but {type(data).__name__}")
            continue
        yield _field_document(name, number, data, options)


def _field_document(
    name: str, number: int, data: dict[str, Any], options: ReadOptions
) -> Document | BadRecord:
    """A document from a JSON object or CSV row (``data``: field → value)."""
    field = options.text_field
    if field not in data or data[field] is None:
        fields = ", ".join(str(k) for k in data if k is not None) or "none"
        return BadRecord(name, number, f"missing text field {field!r} (fields: {fields})")
    text = data[field]
    if not isinstance(text, str):
        return BadRecord(
            name, number, f"text field {field!r} is {type(text).__name__}, not a string"
        )
    default = f"{name}:{number}"
    try:
        doc_id = _record_id(
            data.get(options.id_field) if options.id_field else None, default, options.id_field
        )
    except ValueError as exc:
        return BadRecord(name, number, str(exc))
    return _check_text(name, number, doc_id, text)


def _csv_records(
    name: str, lines: Iterator[bytes], options: ReadOptions
) -> Iterator[Document | BadRecord]:
    # Bad bytes become lone surrogates (surrogateescape) so the CSV parser keeps its place; a row
    # holding one is then reported as invalid UTF-8 by _check_text's encodability test.
    text_lines = (raw.decode("utf-8", "surrogateescape") for raw in lines)
    _raise_csv_field_limit()
    reader = csv.reader(text_lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield BadRecord(name, 1, f"malformed CSV header: {exc}")
        return
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if options.text_field not in header:
        yield BadRecord(
            name,
            1,
            f"no column {options.text_field!r} in the CSV header (columns: {', '.join(header)})",
        )
        return
    if options.id_field and options.id_field not in header:
        yield BadRecord(name, 1, f"no column {options.id_field!r} (--id-field) in the CSV header")
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield BadRecord(name, start, f"malformed CSV row: {exc}")
            continue
        end = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        record = _field_document(name, start, dict(zip(header, row, strict=False)), options)
        if isinstance(record, BadRecord) and "surrogate" in record.reason:
            record = BadRecord(name, start, "invalid UTF-8 bytes in the row")
        yield record


def _raise_csv_field_limit() -> None:
    """Let a CSV field hold a whole long document (the stdlib stops at 128 KiB)."""
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
