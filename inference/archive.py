"""Archive readers: text files, folders, JSONL, CSV, their gzip'd versions and stdin, as one stream.

:func:`read_archive` walks the inputs in order and yields, one at a time, either a
:class:`Document` to tag or a :class:`BadRecord` saying what is wrong where (``file:line``), so a
batch job reports bad input and carries on. Nothing is read ahead: memory stays flat whatever the
archive's size (one document, or one line, at a time).

Formats, chosen by the file name (``.gz`` stripped first, then decompressed on the fly), from the
registry :data:`INPUT_FORMATS` (:func:`register_format` adds one; each format owns its detection,
by name, and its reading):

- ``.jsonl`` / ``.ndjson``: one JSON object per line; the text is ``options.text_field``. Blank
  lines are skipped.
- ``.csv``: a header row, then one document per row; the text is the ``options.text_field``
  column. Quoted fields may span lines; a row's line is the line it starts on. The parser is
  strict and each row is checked: a row with another number of fields than the header (ragged),
  a stray quote (a quoted field that runs into a later line and breaks there, or runs to the end
  of the file or past :data:`MAX_CSV_RECORD_LINES` lines) is a bad record at the line it starts
  on, and reading goes on at the next line, so the rows after it still come out, once each.
  One case no parser can tell from a good multi-line field: a stray quote closed by a later
  opening quote that a line end or a comma follows (a field whose text starts with a line
  break or a comma); the rows between are then read as that field's text.
- ``.html``/``.htm``, ``.warc``/``.arc`` (and ``.warc.gz``), ``.pdf``: the readers of the
  ``[formats]`` extra (:mod:`~conflict_events.inference.html_reader`,
  :mod:`~conflict_events.inference.warc_reader`, :mod:`~conflict_events.inference.pdf_reader`);
  give folders a ``--glob`` that names them (``*.html,*.warc.gz,*.pdf``).
- anything else (``.txt``, or any file named explicitly): the whole file is one document.
- ``-``: stdin, read as ``options.stdin_format``: ``lines`` (one document per line, blank lines
  skipped; the default), ``text`` (all of stdin is one document), ``jsonl`` or ``csv``.

Folders are walked recursively in sorted order, keeping files whose name matches one of
``options.glob`` (default ``*.txt,*.jsonl,*.csv`` and their ``.gz``); symbolic links to folders are
not followed. Files that are the job's own output (``options.exclude``) are left out by path and
by device and inode, so a hard link to the output is recognised too.

Ids: the ``options.id_field`` value when it is set and present (a string or an integer);
otherwise ``path:line`` for a JSONL/CSV row or stdin line and the path (as given, or the folder
as given joined with the file's relative path) for a whole-file document; ``-`` for stdin read as
one document. A leading UTF-8 byte-order mark is dropped; line ends are kept inside whole-file
documents (offsets count them) and dropped from line documents.

Bad records: a binary file (a UTF-16/32 byte-order mark; for a whole-file document, a NUL byte
anywhere), a JSONL/CSV row or stdin line holding a NUL byte (the same wherever it is in the file:
the other rows are read), bytes that are not
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

import codecs
import csv
import dataclasses
import fnmatch
import gzip
import json
import os
import sys
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

STDIN = "-"
DEFAULT_GLOB = ("*.txt", "*.jsonl", "*.csv", "*.txt.gz", "*.jsonl.gz", "*.csv.gz")
STDIN_FORMATS = ("lines", "text", "jsonl", "csv")
SNIFF_BYTES = 8192
MAX_CSV_RECORD_LINES = 10_000  # a quoted field spanning more lines is taken for a stray quote
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
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
    # The publication date as the record gives it (``ReadOptions.date_field``); left out of the
    # repr so documents read without a date field print as before.
    date: str | None = dataclasses.field(default=None, repr=False)

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
    so ``tag DIR --out DIR/out.jsonl`` does not read its own output; they are compared by real
    path and, when they exist, by device and inode (a hard link is the same file).
    """

    text_field: str = "text"
    id_field: str | None = None
    glob: tuple[str, ...] = DEFAULT_GLOB
    stdin_format: str = "lines"
    exclude: tuple[str, ...] = ()
    date_field: str | None = None  # JSONL field / CSV column of the publication date
    exclude_ids: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.stdin_format not in STDIN_FORMATS:
            raise ValueError(
                f"stdin format must be one of {', '.join(STDIN_FORMATS)}, not {self.stdin_format!r}"
            )
        object.__setattr__(self, "glob", tuple(self.glob))
        ids = {file_identity(p) for p in self.exclude} - {None}
        object.__setattr__(self, "exclude_ids", frozenset(ids))
        object.__setattr__(self, "exclude", tuple(os.path.realpath(p) for p in self.exclude))

    def excludes(self, path: str) -> bool:
        """Is ``path`` one of the excluded files (same real path, or same device and inode)?"""
        if os.path.realpath(path) in self.exclude:
            return True
        return bool(self.exclude_ids) and file_identity(path) in self.exclude_ids


def file_identity(path: str | int) -> tuple[int, int] | None:
    """``(device, inode)`` of a path or open file descriptor; None when it cannot be read.

    Two names for one file (``a.jsonl``, ``./a.jsonl``, a hard link) have one identity.
    """
    try:
        info = os.fstat(path) if isinstance(path, int) else os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_file(a: str, b: str) -> bool:
    """Do two paths name one file (same real path, or the same device and inode)?"""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    identity = file_identity(a)
    return identity is not None and identity == file_identity(b)


def parse_glob(text: str) -> tuple[str, ...]:
    """``"*.txt, *.md"`` → ``("*.txt", "*.md")``.

    >>> parse_glob("*.txt, *.md,")
    ('*.txt', '*.md')
    """
    patterns = tuple(p.strip() for p in text.split(",") if p.strip())
    if not patterns:
        raise InputError(f"--glob {text!r} names no pattern")
    return patterns


def matches_glob(name: str, relative: str, glob: Sequence[str]) -> bool:
    """Does a file in a folder (its name, its path relative to the folder) match a pattern?"""
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in glob)


@dataclass(frozen=True)
class InputFormat:
    """An input format: the file names it claims and the function that reads one such file.

    ``reader`` (``"module:function"``, imported on first use) takes ``(name, stream, options)``,
    a binary stream, and yields documents and bad records; None marks the text formats read in
    this module (jsonl, csv, text), which share the UTF-8 line machinery. ``requires``/``extra``:
    the import names the reader needs and the pip extra that installs them. ``own_compression``:
    the reader handles gzip itself (a ``.warc.gz`` is gzip'd record by record), so the file is
    not decompressed on the way in.
    """

    name: str
    suffixes: tuple[str, ...]
    reader: str | None = None
    requires: tuple[str, ...] = ()
    extra: str | None = None
    own_compression: bool = False

    def claims(self, path: str) -> bool:
        name = path.lower()
        if self.own_compression and name.endswith(tuple(s + ".gz" for s in self.suffixes)):
            return True
        return name.removesuffix(".gz").endswith(self.suffixes)

    def missing(self) -> list[str]:
        """The import names this format needs that are not installed."""
        from conflict_events.inference.extras import missing_modules

        return missing_modules(self.requires)

    def read(self, name: str, stream: BinaryIO, options: ReadOptions) -> Iterator[Any]:
        import importlib

        module, function = (self.reader or "").split(":")
        return getattr(importlib.import_module(module), function)(name, stream, options)


# Detection order: the first format that claims a name reads it; "text" takes the rest.
INPUT_FORMATS: list[InputFormat] = [
    InputFormat("jsonl", (".jsonl", ".ndjson")),
    InputFormat("csv", (".csv",)),
    InputFormat(
        "html",
        (".html", ".htm", ".xhtml"),
        "conflict_events.inference.html_reader:read_html",
        ("trafilatura", "htmldate"),
        "formats",
    ),
    InputFormat(
        "warc",
        (".warc", ".arc"),
        "conflict_events.inference.warc_reader:read_warc",
        ("warcio",),
        "formats",
        own_compression=True,
    ),
    InputFormat(
        "pdf", (".pdf",), "conflict_events.inference.pdf_reader:read_pdf", ("pypdf",), "formats"
    ),
]
TEXT_FORMAT = InputFormat("text", (".txt",))


def register_format(fmt: InputFormat) -> None:
    """Add (or replace, by name) an input format; it is tried before the ones already there."""
    INPUT_FORMATS[:] = [fmt] + [f for f in INPUT_FORMATS if f.name != fmt.name]


def input_format(path: str) -> InputFormat:
    """The format that reads ``path``, by its name: the first that claims it, else plain text."""
    return next((f for f in INPUT_FORMATS if f.claims(path)), TEXT_FORMAT)


def file_kind(path: str) -> str:
    """The name of the format that reads ``path`` (``"text"``: the file is one document).

    >>> [file_kind(p) for p in ("a.jsonl.gz", "b.CSV", "c.txt", "d.md", "e.ndjson")]
    ['jsonl', 'csv', 'text', 'text', 'jsonl']
    >>> [file_kind(p) for p in ("f.html", "g.warc.gz", "h.arc", "i.pdf")]
    ['html', 'warc', 'warc', 'pdf']
    """
    return input_format(path).name


def _missing_extra(path: str, fmt: InputFormat) -> str | None:
    missing = fmt.missing()
    if not missing:
        return None
    return (
        f"reading {fmt.name.upper()} needs {', '.join(missing)}: "
        f"pip install 'conflict-events[{fmt.extra}]'"
    )


def check_inputs(
    inputs: Sequence[str], options: ReadOptions = ReadOptions(), stdin_fd: int | None = 0
) -> None:
    """Fail fast, before any work, on inputs that are not there or not allowed.

    An input that is the job's own output or errors file under any name (a hard link, stdin
    redirected from it: ``stdin_fd``) is refused: writing would destroy it.
    """
    if not inputs:
        raise InputError("no input: name files, folders, or - for stdin")
    if list(inputs).count(STDIN) > 1:
        raise InputError("stdin (-) is named more than once")
    for path in inputs:
        if path == STDIN:
            if sys.stdin is None:  # fd 0 was closed when Python started
                raise InputError("stdin (-) is closed; redirect it from a file or a pipe")
            if stdin_fd is not None and file_identity(stdin_fd) in options.exclude_ids:
                raise InputError("stdin is read from this job's own output or errors file")
            continue
        if not os.path.lexists(path):
            raise InputError(f"{path}: no such file or folder")
        if not os.path.isdir(path):
            problem = _missing_extra(path, input_format(path))
            if problem:
                raise InputError(f"{path}: {problem}")
        if options.excludes(path):
            raise InputError(f"{path}: is this job's own output or errors file (the same file)")
        if options.exclude_ids and os.path.isdir(path):
            _check_folder_links(path, options)


def _check_folder_links(top: str, options: ReadOptions) -> None:
    """A file in an input folder that is the output under another name (a hard link) is refused.

    The walk would skip it, and writing the output would then destroy it.
    """
    for folder, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.realpath(path) in options.exclude:
                continue  # the output itself, by its own name: skipped by the walk
            if file_identity(path) in options.exclude_ids:
                raise InputError(
                    f"{path}: is this job's own output or errors file under another name (a hard link)"
                )


def read_archive(
    inputs: Iterable[str],
    options: ReadOptions = ReadOptions(),
    stdin: BinaryIO | None = None,
    names: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Document | BadRecord]:
    """Every document of every input, in order, with a :class:`BadRecord` for each bad one.

    ``names`` (one per input) replaces each input's path in ids and reports: a resumed job reads
    ``./a.jsonl`` under the name ``a.jsonl`` it had the first time, so its ids do not change.
    ``progress`` is called with the number of bytes read from disk (compressed bytes for
    ``.gz``) as reading goes, for a progress bar over the inputs' sizes.
    """
    inputs = list(inputs)
    for path, name in zip(inputs, inputs if names is None else names, strict=True):
        if path == STDIN:
            if stdin is None and sys.stdin is None:  # fd 0 closed: Python has no sys.stdin
                yield BadRecord(STDIN, None, "unreadable: stdin is closed")
                continue
            stream = stdin if stdin is not None else sys.stdin.buffer
            if progress is not None:
                stream = _Counted(stream, progress)
            yield from _read_stream(STDIN, stream, options.stdin_format, options)
        elif os.path.isdir(path):
            yield from _read_folder(path, options, name, progress)
        else:
            yield from _read_file(path, file_kind(path), options, name, progress)


class _Counted:
    """A binary stream that reports how many bytes are read from it."""

    def __init__(self, stream: Any, report: Callable[[int], None]) -> None:
        self.stream = stream
        self.report = report
        self.mode = "rb"

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.report(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.report(len(data))
        return data

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- files and folders ----------------------------------------------------------------------------


def _read_folder(
    top: str, options: ReadOptions, label: str, progress: Callable[[int], None] | None = None
) -> Iterator[Document | BadRecord]:
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
            if not matches_glob(name, relative, options.glob):
                continue
            if options.excludes(path):
                continue
            found += 1
            yield from _read_file(
                path, file_kind(path), options, os.path.join(label, relative), progress
            )
    while errors:
        exc = errors.pop()
        yield BadRecord(exc.filename or top, None, f"unreadable folder: {exc.strerror or exc}")
    if not found:
        yield BadRecord(label, None, f"no file matches --glob {','.join(options.glob)}")


def _read_file(
    path: str,
    kind: str,
    options: ReadOptions,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Document | BadRecord]:
    name = path if name is None else name
    fmt = input_format(path)
    if fmt.reader is not None:
        problem = _missing_extra(path, fmt)
        if problem:
            yield BadRecord(name, None, problem)
            return
    gunzip = path.lower().endswith(".gz") and not fmt.own_compression
    try:
        raw: Any = open(path, "rb")
        if progress is not None:
            raw = _Counted(raw, progress)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gunzip else raw
    except OSError as exc:
        yield BadRecord(name, None, f"unreadable file: {exc.strerror or exc}")
        return
    with raw, stream:
        if fmt.reader is None:
            yield from _read_stream(name, stream, kind, options)
        else:
            yield from _read_with(fmt, name, stream, options)


def _read_with(
    fmt: InputFormat, name: str, stream: BinaryIO, options: ReadOptions
) -> Iterator[Document | BadRecord]:
    """A registered format's reader; a read error ends the file with one bad record."""
    produced = 0
    try:
        for record in fmt.read(name, stream, options):
            produced += 1
            yield record
    except _READ_ERRORS as exc:
        produced += 1
        yield BadRecord(name, None, f"unreadable: {exc}")
    if not produced:
        yield BadRecord(name, None, "empty file (no record)")


def _read_stream(
    name: str, stream: BinaryIO, kind: str, options: ReadOptions
) -> Iterator[Document | BadRecord]:
    """Sniff for binary data, then read by kind; a read error ends the file with one bad record."""
    cursor = _Cursor()
    produced = 0
    try:
        head = stream.read(SNIFF_BYTES)
        if head.startswith(_WIDE_BOMS):
            yield BadRecord(
                name, None, "UTF-16 or UTF-32 text (byte-order mark): re-encode it as UTF-8"
            )
            return
        if kind == "text" and b"\0" in head:
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


NUL_REASON = "NUL byte in the line (binary data?)"


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
        line, pending = pending[: cut + 1], pending[cut + 1 :]  # a long line is not held twice
        yield line


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
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        yield BadRecord(name, None, f"binary file (NUL byte at line {line}; not UTF-8 text)")
        return
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
        if "\0" in text:
            yield BadRecord(name, number, NUL_REASON)
        elif text.strip():
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
        if "\0" in line:
            yield BadRecord(name, number, NUL_REASON)
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(name, number, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield BadRecord(name, number, f"not a JSON object but {type(data).__name__}")
            continue
        record = _field_document(name, number, data, options)
        del raw, line, data  # while the record is tagged, hold its text once, not three times
        yield record


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
    checked = _check_text(name, number, doc_id, text)
    published = data.get(options.date_field) if options.date_field else None
    if isinstance(checked, Document) and published not in (None, ""):
        # Kept as written; `conflict-events events` parses it (a bad date is reported there).
        checked = dataclasses.replace(checked, date=str(published))
    return checked


def _csv_records(
    name: str, lines: Iterator[bytes], options: ReadOptions
) -> Iterator[Document | BadRecord]:
    # Bad bytes become lone surrogates (surrogateescape) so the CSV parser keeps its place; a row
    # holding one is then reported as invalid UTF-8 by _check_text's encodability test.
    source = _CsvLines(raw.decode("utf-8", "surrogateescape") for raw in lines)
    _raise_csv_field_limit()
    reader = csv.reader(source, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, _StrayQuote) as exc:
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
    while True:
        source.taken.clear()
        try:
            row = next(reader)
            problem = _row_problem(row, len(header))
        except StopIteration:
            return
        except (csv.Error, _StrayQuote) as exc:
            row, problem = [], f"malformed CSV row: {exc} (a stray quote?)"
        if not source.taken:
            return
        start = source.taken[0][0]
        if problem is not None:
            yield BadRecord(name, start, problem)
            # Read again from the line after the bad row's first: a stray quote swallowed them.
            source.back.extendleft(reversed(source.taken[1:]))
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        record = _field_document(name, start, dict(zip(header, row, strict=True)), options)
        if isinstance(record, BadRecord) and "surrogate" in record.reason:
            record = BadRecord(name, start, "invalid UTF-8 bytes in the row")
        yield record


class _StrayQuote(Exception):
    """A quoted CSV field ran past MAX_CSV_RECORD_LINES lines."""


class _CsvLines:
    """The lines the CSV parser reads, numbered; lines of a bad row are pushed back to re-read.

    ``taken`` holds ``(line number, text)`` of the lines the current row was parsed from.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = enumerate(lines, 1)
        self.back: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_CSV_RECORD_LINES:
            raise _StrayQuote(f"a quoted field runs over {MAX_CSV_RECORD_LINES} lines")
        item = self.back.popleft() if self.back else next(self.lines)
        self.taken.append(item)
        return item[1]


def _row_problem(row: list[str], width: int) -> str | None:
    """Why a parsed CSV row is bad (ragged, NUL bytes), or None."""
    if not row or not any(cell.strip() for cell in row):
        return None  # a blank line
    if len(row) != width:
        return f"ragged row: {len(row)} fields where the header has {width}"
    if any("\0" in cell for cell in row):
        return NUL_REASON
    return None


def _raise_csv_field_limit() -> None:
    """Let a CSV field hold a whole long document (the stdlib stops at 128 KiB)."""
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
