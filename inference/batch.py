"""``conflict-events tag``: tag archives of documents in constant memory, resumable, in order.

Inputs are read by :mod:`conflict_events.inference.archive` one record at a time, tagged in
chunks (in this process, or by ``--workers N`` processes that each load the model once), and
written back in input order, one document per write, flushed: a killed job leaves only whole
records behind, except perhaps a cut-off last one, which ``--resume`` removes before carrying on.
A document longer than :data:`STREAM_CHARS` characters is tagged a chunk of sentences at a time
and written through a spool file, so memory does not grow with it.

Nothing is overwritten or destroyed silently: an existing ``--out`` or ``--errors`` file is
refused unless ``--overwrite`` (start again) or ``--resume`` (continue) is given; an input that is
the output under any name (a hard link, stdin redirected from it) is refused. ``--out FILE`` also
writes ``FILE.manifest.json`` (:mod:`conflict_events.inference.manifest`): ``--resume`` continues
only the job described there (same inputs, same output-shaping options), and says what differs.

Output formats:

- ``jsonl`` (default): one JSON object per document, ``DocumentResult.to_dict()``: ``id``,
  ``text`` (with ``--include-text``), ``sentences`` (``start``, ``end``, ``text``, ``events``
  [``label``, ``score``], ``numbers`` [``start``, ``end``, ``text``, ``value``, ``low``, ``high``,
  ``qualifier``, ``role``, ``unit``, ``score``]), ``summary`` and, when the tagger had to cut an
  over-long sentence, ``warnings``. Offsets index the document text.
- ``csv`` (:data:`CSV_COLUMNS`): one row per event and per number, then one ``figure`` row per
  distinct figure of the document summary, then one ``document`` row closing each document (also
  written when nothing was found, so every document is accounted for). ``sentence`` is the
  sentence's index, ``sentence_start``/``sentence_end`` its offsets in the document and
  ``sentence_text`` its text (for reviewing hits in a spreadsheet); number rows fill ``start``,
  ``end``, ``text`` … ``unit`` (document offsets) and ``score`` (the number's), event rows
  ``label`` and ``score``; figure rows fill the figure's ``value`` … ``unit``, the offsets and text
  of its first citation and ``citations`` (the citing sentences' indexes joined by ``;``); the
  ``document`` row has ``sentence`` = the number of sentences, ``sentence_end`` = the text length
  and ``label`` = the document's event labels joined by ``;``. ``date`` is the publication date
  read with ``--date-field``, on every row of the document (empty without one). A cell that a
  spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage return) or
  starting with ``'`` is written with a leading ``'``.

Exit status: 0 when every record was tagged (or skipped by ``--resume``), 1 when some failed
(listed in ``--errors`` or on stderr) or the output could not be written (disk full, closed
stdout: one line says so), 2 for a usage error (bad flags, missing input, no model, an existing
``--out``, a resume of another job), 130 when interrupted.

>>> from conflict_events.inference.results import SentenceResult
>>> rows = csv_rows(DocumentResult("d1", "Two died.", (SentenceResult("Two died.", 0, 9),)))
>>> [(r[0], r[1], r[2], r[4]) for r in rows]
[('d1', 'document', 1, 9)]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from conflict_events.inference.archive import (
    DEFAULT_GLOB,
    STDIN_FORMATS,
    BadRecord,
    Document,
    InputError,
    ReadOptions,
    check_inputs,
    parse_glob,
    read_archive,
    same_file,
)
from conflict_events.inference.manifest import (
    JobManifest,
    ManifestError,
    identify,
    manifest_path,
    model_identity,
)
from conflict_events.inference.manifest import build as build_manifest
from conflict_events.inference.model_folder import (
    CONFIG_NAME,
    ModelConfig,
    ModelFolderError,
    default_model_dir,
)
from conflict_events.inference.progress import JobProgress
from conflict_events.inference.results import DocumentResult, DocumentSummary, SentenceResult

CSV_COLUMNS = (
    "id",
    "kind",
    "sentence",
    "sentence_start",
    "sentence_end",
    "label",
    "score",
    "start",
    "end",
    "text",
    "value",
    "low",
    "high",
    "qualifier",
    "role",
    "unit",
    "citations",
    "sentence_text",
    "date",
)
FORMATS = ("jsonl", "csv", "view", "parquet")  # parquet: shards in a folder (tag_shards)
VIEW_COLOR = "view-color"  # the view with colours, when stdout is a terminal
CHUNK_DOCUMENTS = 64  # a chunk of work: at most this many documents ...
CHUNK_CHARS = 50_000  # ... or this many characters (one longer document is a chunk by itself)
STREAM_CHARS = 1_000_000  # a longer document is tagged and written in pieces (flat memory)
MAX_DUPLICATE_WARNINGS = 10
MAX_WARNINGS = 10
PROG = "conflict-events tag"
# A spreadsheet runs a cell starting with these as a formula (CSV injection); such a cell is
# written with a leading "'" (as is one starting with "'", so reading it back is unambiguous).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


class ResumeError(ValueError):
    """An output file that ``--resume`` cannot continue (not written by this command, other format)."""


# -- output formats -------------------------------------------------------------------------------


def jsonl_line(
    doc: DocumentResult,
    include_text: bool = False,
    date: str | None = None,
    meta: dict[str, Any] | None = None,
) -> str:
    """One JSON line (``\\n`` included): the output contract for a document. ``date``: the
    publication date read with ``--date-field``, written after ``id`` when there is one;
    ``meta``: what the source said about the document (a page's URL, a PDF's pages), last."""
    data = doc.to_dict(include_text=include_text)
    if date is not None:
        data = {"id": data.pop("id"), "date": date, **data}
    if meta:
        data["meta"] = meta
    return json.dumps(data, ensure_ascii=False) + "\n"


def sentence_rows(doc_id: str | None, index: int, s: SentenceResult) -> list[list[Any]]:
    """The ``event`` and ``number`` rows of one sentence (document offsets)."""
    rows: list[list[Any]] = []
    where = [doc_id, None, index, s.start, s.end]
    for e in s.events:
        rows.append([doc_id, "event", *where[2:], e.label, e.score, *[None] * 10, s.text])
    for n in s.numbers:
        number = [n.start, n.end, n.text, n.value, n.low, n.high, n.qualifier.value, n.role]
        rows.append([doc_id, "number", *where[2:], None, n.score, *number, n.unit, None, s.text])
    return rows


def closing_rows(
    doc_id: str | None,
    text: str,
    sentences: Sequence[SentenceResult],
    indexes: Sequence[int],
    count: int,
    summary: DocumentSummary | None,
) -> list[list[Any]]:
    """A document's ``figure`` rows (its summary) and its ``document`` row, which comes last.

    ``sentences``/``indexes``: the sentences the figures cite, and their indexes in the document.
    """
    rows: list[list[Any]] = []
    by_index = dict(zip(indexes, sentences, strict=True))
    for f in summary.figures if summary is not None else ():
        first = f.citations[0]
        cited = by_index.get(first.sentence)
        rows.append(
            [
                doc_id,
                "figure",
                first.sentence,
                None if cited is None else cited.start,
                None if cited is None else cited.end,
                None,
                None,
                first.start,
                first.end,
                text[first.start : first.end],
                f.value,
                f.low,
                f.high,
                f.qualifier.value,
                f.role,
                f.unit,
                ";".join(str(c.sentence) for c in f.citations),
                None if cited is None else text[cited.start : cited.end],
            ]
        )
    labels = ";".join(summary.events) if summary is not None else ""
    rows.append([doc_id, "document", count, 0, len(text), labels, *[None] * 12])
    return rows


def csv_rows(doc: DocumentResult, date: str | None = None) -> list[list[Any]]:
    """The CSV rows of a document (:data:`CSV_COLUMNS`), its ``document`` row last."""
    rows = [r for i, s in enumerate(doc.sentences) for r in sentence_rows(doc.id, i, s)]
    indexes = range(len(doc.sentences))
    rows += closing_rows(doc.id, doc.text, doc.sentences, indexes, len(doc.sentences), doc.summary)
    return with_date(rows, date)


def with_date(rows: list[list[Any]], date: str | None) -> list[list[Any]]:
    """Rows with the document's publication date as their last cell (the ``date`` column)."""
    return [[*row, date] for row in rows]


def csv_cell(value: Any) -> Any:
    """A value as written to CSV: None empty, a string a spreadsheet would run escaped with "'".

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("-5"), csv_cell(-5.0), csv_cell("Homs")
    ("'=HYPERLINK(1)", "'-5", -5.0, 'Homs')
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_uncell(value: str) -> str:
    """The string :func:`csv_cell` escaped (for reading ids back on ``--resume``)."""
    return value[1:] if value.startswith("'") else value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[csv_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def format_document(
    doc: DocumentResult,
    fmt: str,
    include_text: bool = False,
    date: str | None = None,
    meta: dict[str, Any] | None = None,
) -> bytes:
    if fmt == "csv":
        return csv_text(csv_rows(doc, date)).encode("utf-8")
    if fmt.startswith("view"):
        from conflict_events.inference.view import document_text

        return document_text(doc, _width(), colors=fmt == VIEW_COLOR).encode("utf-8")
    return jsonl_line(doc, include_text, date, meta).encode("utf-8")


def _width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def _view_pieces(
    tagger: Any, doc: Document, spans: Sequence[Any], warnings: Sequence[str], colors: bool
) -> Iterator[bytes]:
    """The readable view of a long document, a sentence at a time (see :func:`document_pieces`)."""
    from conflict_events.inference import view
    from conflict_events.inference.summary import summarize

    kept: list[SentenceResult] = []
    indexes: list[int] = []
    width = _width()
    yield view.render_pieces([view.header_view(doc.id)], width, colors).encode("utf-8")
    for index, s in enumerate(tagger.iter_sentences(doc.text, spans)):
        if view.shown(s):
            yield view.render_pieces([view.sentence_view(index, s)], width, colors).encode("utf-8")
            kept.append(_lean(s))
            indexes.append(index)
    summary = summarize(kept, indexes)
    tail = view.summary_view(summary, len(spans), len(spans) - len(kept), warnings)
    yield view.render_pieces(tail, width, colors).encode("utf-8")


def _lean(s: SentenceResult) -> SentenceResult:
    """What the summary and the figure rows need of a sentence: offsets, events, counted numbers."""
    return SentenceResult("", s.start, s.end, s.events, tuple(n for n in s.numbers if n.role))


def document_pieces(
    tagger: Any, doc: Document, fmt: str, include_text: bool, stats: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """A long document's output in pieces, tagged as written: the bytes of :func:`format_document`.

    Only sentences with events or counted numbers are kept (for the summary), so memory holds the
    text and a chunk of sentences, not every sentence's result. ``stats`` (when given) receives
    ``sentences`` and ``warnings``.
    """
    from conflict_events.inference.summary import summarize

    spans, warnings = tagger.split_document(doc.text)
    if stats is not None:
        stats.update(sentences=len(spans), warnings=warnings)
    if fmt.startswith("view"):
        yield from _view_pieces(tagger, doc, spans, warnings, fmt == VIEW_COLOR)
        return
    kept: list[SentenceResult] = []
    indexes: list[int] = []
    sentences = tagger.iter_sentences(doc.text, spans)
    if fmt == "jsonl":
        head: dict[str, Any] = {"id": doc.id}
        if doc.date is not None:
            head["date"] = doc.date  # as jsonl_line writes it: after id
        if include_text:
            head["text"] = doc.text
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "sentences": [').encode("utf-8")
    for index, s in enumerate(sentences):
        if fmt == "csv":
            yield csv_text(with_date(sentence_rows(doc.id, index, s), doc.date)).encode("utf-8")
        else:
            piece = json.dumps(s.to_dict(), ensure_ascii=False)
            yield ((", " if index else "") + piece).encode("utf-8")
        if s.events or any(n.role for n in s.numbers):
            kept.append(_lean(s))
            indexes.append(index)
    summary = summarize(kept, indexes)
    if fmt == "csv":
        rows = closing_rows(doc.id, doc.text, kept, indexes, len(spans), summary)
        yield csv_text(with_date(rows, doc.date)).encode("utf-8")
        return
    tail: dict[str, Any] = {"summary": summary.to_dict()}
    if warnings:
        tail["warnings"] = list(warnings)
    if doc.meta:
        tail["meta"] = doc.meta  # as jsonl_line writes it: last
    yield ("], " + json.dumps(tail, ensure_ascii=False)[1:] + "\n").encode("utf-8")


# -- resume ---------------------------------------------------------------------------------------


@dataclass
class ResumeState:
    """What an interrupted output holds: ids written (with counts) and the bytes worth keeping."""

    done: Counter = field(default_factory=Counter)
    keep: int = 0  # bytes of whole records (and the CSV header) at the start of the file
    size: int = 0


def scan_output(path: str | Path, fmt: str) -> ResumeState:
    """Read an earlier run's output: whole records count as done, a cut-off tail is not kept."""
    state = ResumeState(size=os.path.getsize(path))
    with open(path, "rb") as stream:
        if fmt == "csv":
            _scan_csv(path, stream, state)
        else:
            _scan_jsonl(path, stream, state)
    return state


def _scan_jsonl(path: str | Path, stream: BinaryIO, state: ResumeState) -> None:
    position = 0
    for number, raw in enumerate(stream, 1):
        position += len(raw)
        if not raw.endswith(b"\n"):
            return  # cut off by the interruption: tagged again
        try:
            doc_id = json.loads(raw)["id"]
        except (ValueError, KeyError, TypeError):
            doc_id = None
        if not isinstance(doc_id, str):
            raise ResumeError(
                f"{path}:{number}: not a JSONL record of `{PROG}`; cannot resume this file"
            )
        state.done[doc_id] += 1
        state.keep = position


def _scan_csv(path: str | Path, stream: BinaryIO, state: ResumeState) -> None:
    position = 0
    last = b""

    def lines() -> Iterator[str]:
        nonlocal position, last
        for raw in stream:
            position += len(raw)
            last = raw
            yield raw.decode("utf-8", "replace")

    reader = csv.reader(lines())
    try:
        header = next(reader, None)
        if header is None or not last.endswith(b"\n"):
            return  # empty, or a cut-off header: written again
        if tuple(header) != CSV_COLUMNS:
            raise ResumeError(f"{path}:1: not a CSV output of `{PROG}` (header {header[:4]}...)")
        state.keep = position
        for row in reader:
            if len(row) > 1 and row[1] == "document" and last.endswith(b"\n"):
                state.done[csv_uncell(row[0])] += 1
                state.keep = position
    except csv.Error as exc:
        if position < state.size:
            raise ResumeError(
                f"{path}:{reader.line_num}: malformed CSV ({exc}); cannot resume"
            ) from None


def prepare_resume(path: str | Path, fmt: str) -> tuple[ResumeState, str | None]:
    """Scan ``path`` and cut off an incomplete last record; the state and a note for the user."""
    state = scan_output(path, fmt)
    note = None
    if state.keep < state.size:
        with open(path, "r+b") as stream:
            stream.truncate(state.keep)
        note = (
            f"resume: removed a cut-off last record ({state.size - state.keep} bytes) from {path}"
        )
    return state, note


# -- tagging --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tagged:
    """One document's output (bytes, or a spool file holding a long one), or why it failed."""

    data: bytes = b""
    sentences: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    spool: str | None = None  # a temporary file to copy to the output, then delete


def tag_chunk(
    tagger: Any, docs: Sequence[Document], fmt: str, include_text: bool = False
) -> list[Tagged]:
    """Tag documents together; when that fails, one by one, so one bad document fails alone."""
    if len(docs) == 1 and len(docs[0].text) > STREAM_CHARS:  # chunks() puts it alone
        return [_tag_long(tagger, docs[0], fmt, include_text)]
    try:
        results = tagger.iter_tag_documents(d.to_pair() for d in docs)
        return [
            Tagged(
                format_document(r, fmt, include_text, d.date, d.meta),
                len(r.sentences),
                warnings=r.warnings,
            )
            for d, r in zip(docs, results, strict=True)
        ]
    except Exception as exc:  # noqa: BLE001 - reported as a failed record; the job goes on
        if len(docs) > 1:
            return [t for doc in docs for t in tag_chunk(tagger, [doc], fmt, include_text)]
        return [Tagged(error=f"tagging failed: {type(exc).__name__}: {exc}")]


def _tag_long(tagger: Any, doc: Document, fmt: str, include_text: bool) -> Tagged:
    """A long document, written piece by piece to a spool file (kept whole or not at all)."""
    import tempfile

    spool = tempfile.NamedTemporaryFile(
        "wb", prefix="conflict-events-", suffix=".part", delete=False
    )
    stats: dict[str, Any] = {}
    try:
        with spool:
            for piece in document_pieces(tagger, doc, fmt, include_text, stats):
                spool.write(piece)
    except Exception as exc:  # noqa: BLE001 - reported as a failed record; the job goes on
        os.unlink(spool.name)
        return Tagged(error=f"tagging failed: {type(exc).__name__}: {exc}")
    return Tagged(sentences=stats["sentences"], warnings=stats["warnings"], spool=spool.name)


def load_tagger(
    model: str | None,
    backend: str = "auto",
    quantized: bool = True,
    threads: int | None = None,
    batch_size: int = 32,
) -> Any:
    """``EventTagger.from_pretrained``, with a clear error when no default model is installed."""
    from conflict_events.inference.tagger import TaggerSpec

    if model is None:
        check_model_folder(None)
    return TaggerSpec(model, backend, quantized, threads, batch_size).load()


def tagger_spec(args: argparse.Namespace) -> Any:
    """The :class:`TaggerSpec` the flags describe: with ``--workers N`` and no ``--threads``,
    each worker gets an equal share of the cores (the file output, shards and Ray alike)."""
    from conflict_events.inference.tagger import TaggerSpec, available_cpus

    threads = args.threads or (
        max(1, available_cpus() // args.workers) if args.workers > 1 else None
    )
    return TaggerSpec(args.model, args.backend, not args.fp32, threads, args.batch_size)


def check_model_folder(model: str | None) -> None:
    """Read the folder's config (fast): ModelFolderError when it is no model folder."""
    if model is not None:
        ModelConfig.load(model)
        return
    folder = default_model_dir()
    if not (folder / CONFIG_NAME).is_file():
        raise ModelFolderError(
            f"no default model is installed yet ({folder} has no {CONFIG_NAME}); pass --model DIR, "
            "a model folder made by `conflict-events train` (and `conflict-events export`)"
        )
    ModelConfig.load(folder)


def tag_stream(
    docs: Iterable[Document],
    spec: Any,
    fmt: str,
    include_text: bool,
    workers: int,
    tagger: Any = None,
) -> Iterator[tuple[Document, Tagged]]:
    """Each document with its output, in input order: the library's runner
    (:func:`~conflict_events.inference.runner.run_chunks`) with :func:`tag_chunk` as the work,
    in this process or in ``workers`` processes (which then format the output bytes too)."""
    from conflict_events.inference.runner import process_pool, run_chunks

    work = partial(tag_chunk, fmt=fmt, include_text=include_text)
    if workers <= 1:
        yield from run_chunks(docs, tagger or spec, work)
        return
    pool = process_pool(workers)
    try:
        yield from run_chunks(docs, spec, work, pool)
    finally:
        # On an early stop (Ctrl-C, a closed pipe) do not wait for queued chunks.
        pool.shutdown(wait=False, cancel_futures=True)


# -- the command ----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Tag documents with conflict events and the numbers that count them. INPUT: .txt files "
        "(one document each), folders (walked recursively, --glob), .jsonl and .csv files (one "
        "document per line/row), any of them .gz, or - for stdin; with the [formats] extra also "
        ".html pages, .warc/.warc.gz/.arc web archives and .pdf reports. Writes one JSON line per "
        "document (or CSV rows) in input order; bad records are reported and skipped. "
        "--format parquet (or --engine ray): Parquet shards in --out DIR, bad records as error "
        "rows, a re-run completes them."
    )
    parser.epilog = (
        "Exit status: 0 all tagged, 1 some records failed, 2 usage error, 130 interrupted. "
        "Example: conflict-events tag reports/ news.jsonl.gz --out tagged.jsonl --errors bad.jsonl"
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders, or - for stdin")
    parser.add_argument(
        "--model", metavar="DIR", help="model folder (default: the shipped default model)"
    )
    parser.add_argument(
        "-o", "--out", metavar="FILE", help="output file (default: stdout); a folder for shards"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: a readable view on a terminal; csv when --out ends in "
        ".csv; else jsonl, as when stdout is piped)",
    )
    parser.add_argument(
        "--include-text", action="store_true", help="put each document's text in its JSON record"
    )
    parser.add_argument(
        "--date-field",
        metavar="NAME",
        help="JSONL field / CSV column of the publication date, copied into each JSON record as "
        "'date' (for conflict-events events)",
    )
    parser.add_argument(
        "--text-field",
        default="text",
        metavar="NAME",
        help="JSONL field / CSV column of the text (default: text)",
    )
    parser.add_argument(
        "--id-field",
        metavar="NAME",
        help="JSONL field / CSV column of the id (default: path:line; the path for .txt)",
    )
    parser.add_argument(
        "--glob",
        default=",".join(DEFAULT_GLOB),
        metavar="PATTERNS",
        help="comma-separated file name patterns for folders (default: %(default)s)",
    )
    parser.add_argument(
        "--stdin-format",
        choices=STDIN_FORMATS,
        default="lines",
        help="how to read - : lines (one document per line, the default), text (one document), jsonl, csv",
    )
    parser.add_argument(
        "--errors",
        metavar="FILE",
        help="write bad records here as JSONL {file, line, reason} (default: stderr)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted job: keep the records already in --out, tag the rest "
        "(refused unless the inputs and options are those of the first run)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --out (and --errors) file; without it, an existing file is refused",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes, each loading the model once (default: 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="runtime threads per process (default: the runtime's; cores / N with --workers N)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=32,
        metavar="N",
        help="sentences per model call (default: 32)",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "onnx", "torch"),
        default="auto",
        help="runtime (default: ONNX when exported)",
    )
    parser.add_argument(
        "--fp32", action="store_true", help="use model.onnx rather than the int8 model.int8.onnx"
    )
    engines = parser.add_argument_group(
        "engines",
        "shard folders (--format parquet, --engine ray): see conflict_events.inference.tag_shards",
    )
    engines.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this machine, --workers processes (default); ray: Ray actors, shards in --out DIR",
    )
    engines.add_argument(
        "--actors", type=int, default=1, metavar="N", help="ray: actors (default: 1)"
    )
    engines.add_argument(
        "--cpus-per-actor",
        type=int,
        default=1,
        metavar="N",
        help="ray: CPUs (and runtime threads) per actor (default: 1)",
    )
    engines.add_argument(
        "--shard-size",
        type=int,
        default=10_000,
        metavar="N",
        help="input records per shard file, with --format parquet or --engine ray (default: 10000)",
    )
    engines.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="ray: a running cluster (auto, ray://host:10001); default: start Ray here",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar (it is off anyway when stderr is no terminal)",
    )


@dataclass
class _Counts:
    tagged: int = 0
    sentences: int = 0
    skipped: int = 0
    failed: int = 0
    duplicates: int = 0
    warnings: int = 0
    first_duplicates: list[str] = field(default_factory=list)


class _Reporter:
    """Messages to stderr (through the progress bar when there is one) and bad records to --errors."""

    def __init__(self, errors: str | None, append: bool = False) -> None:
        self.progress = JobProgress(None, enabled=False)
        self.errors = open(errors, "a" if append else "w", encoding="utf-8") if errors else None

    def say(self, message: str) -> None:
        self.progress.say(message)

    def counts(self, counts: _Counts, phase: str = "tagging") -> None:
        self.progress.counts(counts.tagged, counts.sentences, counts.failed, counts.skipped, phase)

    def bad(self, record: BadRecord) -> None:
        if self.errors is None:
            self.say(f"{PROG}: {record}")
        else:
            self.errors.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            self.errors.flush()

    def close(self) -> None:
        if self.errors is not None:
            self.errors.close()


class _Stop(BaseException):
    """SIGTERM, turned into an orderly stop (output closed, summary printed)."""


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _settings(args: argparse.Namespace) -> tuple[ReadOptions, str]:
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    if args.batch_size < 1:
        raise InputError("--batch-size must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise InputError("--threads must be at least 1")
    if args.resume and not args.out:
        raise InputError("--resume needs --out FILE (the output to continue)")
    if args.resume and args.overwrite:
        raise InputError("--resume and --overwrite contradict each other: choose one")
    if args.out and args.out.lower().endswith((".gz", ".bz2", ".xz", ".zst")):
        raise InputError(
            "--out is written uncompressed (so --resume can read it); compress it afterwards"
        )
    if not args.out and sys.stdout is None:
        raise InputError("stdout is closed; pass --out FILE")
    if args.out and args.errors and same_file(args.out, args.errors):
        raise InputError("--out and --errors name the same file")
    for flag, path in (("--out", args.out), ("--errors", args.errors)):
        if path and os.path.isfile(path) and not (args.resume or args.overwrite):
            raise InputError(
                f"{flag} {path} exists; pass --overwrite to replace it"
                + (" or --resume to continue it" if flag == "--out" else "")
            )
    if args.resume and os.path.exists(args.out) and not os.path.isfile(args.out):
        raise InputError(f"--resume needs --out to be a regular file; {args.out} is not")
    fmt = args.format or ("csv" if args.out and args.out.lower().endswith(".csv") else "jsonl")
    terminal = not args.out and sys.stdout is not None and sys.stdout.isatty()
    if args.format is None and terminal:
        fmt = "view"  # people look first: JSONL when piped or given --out
    if fmt == "view" and args.resume:
        raise InputError("--resume continues jsonl or csv output, not the view")
    if fmt == "view" and terminal:
        fmt = VIEW_COLOR
    exclude = tuple(p for p in (args.out, args.errors) if p)
    if _regular_out(args.out):
        exclude += (manifest_path(args.out),)
    return read_options(args, exclude), fmt


def read_options(args: argparse.Namespace, exclude: tuple[str, ...]) -> ReadOptions:
    """How to read the inputs, from the flags; InputError when an input cannot be read."""
    options = ReadOptions(
        args.text_field,
        args.id_field,
        parse_glob(args.glob),
        args.stdin_format,
        exclude,
        args.date_field,
    )
    check_inputs(args.inputs, options)
    return options


def _regular_out(out: str | None) -> bool:
    """An output file --resume can continue: a regular file, or one not there yet (not /dev/null)."""
    return bool(out) and (not os.path.exists(out) or os.path.isfile(out))


def output_settings(args: argparse.Namespace, fmt: str, options: ReadOptions) -> dict[str, Any]:
    """The options that shape the output, as the resume manifest records them."""
    return {
        "format": fmt,
        "include_text": bool(args.include_text),
        "text_field": options.text_field,
        "id_field": options.id_field,
        "glob": list(options.glob),
        "stdin_format": options.stdin_format,
        **model_identity(args.model),
        "fp32": bool(args.fp32),
    }


def _check_resume(
    args: argparse.Namespace, fmt: str, job: JobManifest
) -> tuple[ResumeState, list[str], list[str]]:
    """For ``--resume`` on an existing output: the state, the inputs' first names, notes.

    ResumeError when the output has no manifest or another job's inputs or options.
    """
    try:
        first = JobManifest.load(manifest_path(args.out))
    except ManifestError as exc:
        raise ResumeError(
            f"cannot resume {args.out}: its manifest {exc}, so there is no telling what it was "
            "made from; pass --overwrite to start again"
        ) from None
    differences = first.differences(job)
    if differences:
        raise ResumeError(
            f"cannot resume {args.out}: it was made from other inputs or options ("
            + "; ".join(differences)
            + "); run the first command again with --resume, or pass --overwrite to start again"
        )
    names = [i.name for i in first.inputs]
    notes = [
        f"resume: reading {now} as {then} (its name in the first run), so ids match"
        for now, then in zip(args.inputs, names)
        if now != then
    ]
    state, note = prepare_resume(args.out, fmt)
    return state, names, notes + ([note] if note else [])


class _WriteError(Exception):
    """The output cannot be written (disk full, closed stdout): the job stops with one line."""


def run(args: argparse.Namespace) -> int:
    if args.engine == "ray" or args.format == "parquet":
        return _run_sharded(args)
    try:
        options, fmt = _settings(args)
    except InputError as exc:
        return _usage_error(str(exc))
    spec = tagger_spec(args)
    threads = spec.threads
    try:
        # With --workers, the parent loads the model once too (then drops it), so a corrupt
        # model file is one clear error here rather than a failure in every worker.
        tagger = load_tagger(
            model=args.model,
            backend=args.backend,
            quantized=not args.fp32,
            threads=threads if args.workers == 1 else 1,
            batch_size=args.batch_size,
        )
        if args.workers > 1:
            tagger = None
    except ModelFolderError as exc:
        return _usage_error(str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken model file: say so plainly, no traceback
        return _usage_error(
            f"cannot load the model {args.model or '(default)'}: {type(exc).__name__}: {exc}"
        )

    state = ResumeState()
    names: list[str] | None = None
    notes: list[str] = []
    job = None
    if _regular_out(args.out):
        job = build_manifest(args.inputs, options, output_settings(args, fmt, options))
    try:
        if args.resume and os.path.exists(args.out):
            assert job is not None
            state, names, notes = _check_resume(args, fmt, job)
        elif job is not None:
            job.save(manifest_path(args.out))
    except ResumeError as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot write {exc.filename or args.out}: {exc.strerror or exc}")
    try:
        out: BinaryIO = (
            open(args.out, "ab" if args.resume else "wb") if args.out else sys.stdout.buffer
        )
        report = _Reporter(args.errors, append=args.resume)
        if fmt == "csv" and (not args.out or os.path.getsize(args.out) == 0):
            out.write(csv_text([CSV_COLUMNS]).encode("utf-8"))
            out.flush()
    except OSError as exc:
        return _write_failed(args, exc)

    progress = JobProgress(_total_bytes(args.inputs, options, job), enabled=not args.quiet)
    report.progress = progress
    if fmt == VIEW_COLOR and progress.enabled:
        out = _AboveTheBar(progress)  # the view and the bar share the terminal
    for note in notes:
        report.say(f"{PROG}: {note}")
    counts = _Counts()
    started = time.perf_counter()
    status = 0
    previous_term = _on_sigterm(_raise_stop)
    try:
        reading = read_archive(args.inputs, options, names=names, progress=progress.read)
        stream = _new_documents(reading, state, counts, report)
        results = tag_stream(stream, spec, fmt, args.include_text, args.workers, tagger)
        with closing(results):  # on any exit, stop the worker pool now
            for doc, tagged in results:
                _write_one(doc, tagged, out, counts, report)
    except (KeyboardInterrupt, _Stop):
        status = 130
    except BrokenPipeError:
        status = 1  # stdout closed by its reader (e.g. | head): stop quietly
        _silence_stdout()
    except _WriteError as exc:
        status = _write_failed(args, exc.__cause__ or exc)
    except ModelFolderError as exc:  # raised in a worker loading the model
        status = _usage_error(str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker that died (a corrupt model file, ...)
        status = _usage_error(f"tagging stopped: {type(exc).__name__}: {exc}")
    finally:
        _on_sigterm(previous_term)
        progress.close()
        report.close()
        if args.out:
            try:
                out.close()
            except OSError as exc:
                status = _write_failed(args, exc)
    if status == 0 and counts.failed:
        status = 1
    print(_summary(counts, time.perf_counter() - started, args, status), file=sys.stderr)
    return status


def _run_sharded(args: argparse.Namespace) -> int:
    """``--engine ray``, or ``--format parquet``: shards in ``--out DIR`` (:mod:`.tag_shards`)."""
    ray = args.engine == "ray"
    for flag in ("actors", "cpus_per_actor", "shard_size", "workers", "batch_size"):
        if getattr(args, flag) < 1:
            return _usage_error(f"--{flag.replace('_', '-')} must be at least 1")
    if ray and args.workers != 1:
        return _usage_error("--engine ray takes --actors, not --workers")
    if args.resume or args.errors:
        return _usage_error(
            "shards resume by themselves (run the same command again; no --resume) and hold bad "
            "records as error rows (no --errors)"
        )
    from conflict_events.inference.extras import missing_modules

    needed = ("ray", "pyarrow") if ray else ("pyarrow",) if args.format != "jsonl" else ()
    missing = missing_modules(needed)
    if missing:
        extra = "ray" if ray else "formats"
        what = "--engine ray" if ray else "--format parquet"
        return _usage_error(
            f"{what} needs {', '.join(missing)}: pip install 'conflict-events[{extra}]'"
        )
    try:
        options = read_options(args, (args.out,) if args.out else ())
    except InputError as exc:
        return _usage_error(str(exc))
    from conflict_events.inference.tag_shards import run_sharded

    return run_sharded(args, options)


class _AboveTheBar:
    """The terminal as an output, written above the progress bar."""

    def __init__(self, progress: JobProgress) -> None:
        self.progress = progress

    def write(self, data: bytes) -> None:
        self.progress.write_ansi(data)

    def flush(self) -> None:
        sys.stdout.flush()

    def close(self) -> None:
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit does not fail a second time."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write_failed(args: argparse.Namespace, exc: BaseException) -> int:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    print(f"{PROG}: error: cannot write {args.out or 'stdout'}: {reason}", file=sys.stderr)
    if not args.out and sys.stdout is not None:
        _silence_stdout()
    return 1


def _total_bytes(
    inputs: Sequence[str], options: ReadOptions, job: JobManifest | None
) -> int | None:
    """The inputs' size in bytes, for the progress bar; None when one is a pipe."""
    identities = job.inputs if job is not None else [identify(p, options) for p in inputs]
    sizes = [i.size for i in identities]
    return None if any(size is None for size in sizes) else sum(sizes)  # type: ignore[misc]


def _write_one(
    doc: Document, tagged: Tagged, out: BinaryIO, counts: _Counts, report: _Reporter
) -> None:
    if tagged.error is not None:
        counts.failed += 1
        report.bad(BadRecord(doc.file, doc.line, tagged.error))
        report.counts(counts)
        return
    try:
        if tagged.spool is not None:
            with open(tagged.spool, "rb") as spool:
                shutil.copyfileobj(spool, out, 1 << 20)
        else:
            out.write(tagged.data)  # the whole record in one write, then flushed
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _WriteError(str(exc)) from exc
    finally:
        if tagged.spool is not None:
            os.unlink(tagged.spool)
    counts.tagged += 1
    counts.sentences += tagged.sentences
    for warning in tagged.warnings:
        counts.warnings += 1
        if counts.warnings <= MAX_WARNINGS:
            report.say(f"{PROG}: warning: {doc.id}: {warning}")
    report.counts(counts)


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop


def _on_sigterm(handler: Any) -> Any:
    """Install a SIGTERM handler (main thread only); the previous one, to put back."""
    if handler is None:
        return None
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _new_documents(
    items: Iterable[Document | BadRecord], state: ResumeState, counts: _Counts, report: _Reporter
) -> Iterator[Document]:
    """The documents still to tag: bad records reported, duplicate ids warned about, done ones skipped."""
    seen: set[str] = set()
    for item in items:
        if isinstance(item, BadRecord):
            counts.failed += 1
            report.bad(item)
            report.counts(counts)
            continue
        if item.id in seen:
            counts.duplicates += 1
            if len(counts.first_duplicates) < 3:
                counts.first_duplicates.append(item.id)
            if counts.duplicates <= MAX_DUPLICATE_WARNINGS:
                report.say(
                    f"{PROG}: warning: duplicate id {item.id!r} at {item.file}:{item.line or 1}; both records are tagged"
                )
            if counts.duplicates == MAX_DUPLICATE_WARNINGS:
                report.say(
                    f"{PROG}: warning: further duplicate ids are counted in the summary only"
                )
        else:
            seen.add(item.id)
        if state.done.get(item.id):
            # The output holds this id's first k occurrences (it is written in input order).
            state.done[item.id] -= 1
            counts.skipped += 1
            report.counts(counts, "skipping finished documents")
            continue
        report.counts(counts)
        yield item


def _summary(counts: _Counts, seconds: float, args: argparse.Namespace, status: int) -> str:
    rate = (
        f"{counts.tagged / seconds:.1f} documents/s, {counts.sentences / seconds:.1f} sentences/s"
        if seconds > 0
        else ""
    )
    parts = [
        f"tagged {counts.tagged} documents ({counts.sentences} sentences) in {seconds:.1f} s ({rate})"
    ]
    if args.resume:
        parts.append(f"skipped {counts.skipped} already in {args.out}")
    parts.append(
        f"failed {counts.failed}"
        + (f" (see {args.errors})" if args.errors and counts.failed else "")
    )
    if counts.warnings:
        parts.append(f"{counts.warnings} warnings")
    if counts.duplicates:
        examples = ", ".join(repr(i) for i in counts.first_duplicates)
        parts.append(f"{counts.duplicates} duplicate ids (e.g. {examples})")
    text = f"{PROG}: " + "; ".join(parts)
    if status == 130:
        text += f"\n{PROG}: interrupted; run again with --resume to carry on" + (
            f" (--out {args.out})" if args.out else ""
        )
    return text
