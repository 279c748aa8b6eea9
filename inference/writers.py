"""Result writers: JSONL, CSV and Parquet behind one interface, results and error rows alike.

Every writer takes :class:`~conflict_events.inference.runner.Tagged` items in order
(:meth:`ResultWriter.write`) and is closed once (:meth:`ResultWriter.close`, or ``with``).
A failed item becomes an *error row* when the writer keeps errors (``errors=True``, as Ray shards
do); otherwise the caller reports it elsewhere (the ``tag`` command's ``--errors`` file).

- ``jsonl``: one object per document, as ``tag`` writes it (``batch.jsonl_line``):
  ``DocumentResult.to_dict()`` with the publication ``date`` after ``id`` when the source gave
  one, and ``meta`` last when it said more (a page's URL, a PDF's page offsets). Error row:
  ``{"id", "error": {"file", "line", "reason"}}``.
- ``csv``: the flat rows of :data:`~conflict_events.inference.batch.CSV_COLUMNS` (event, number
  and closing ``document`` rows). Error row: kind ``error``, the reason in ``text``.
- ``parquet`` (pyarrow; the ``[formats]`` extra), two layouts: ``documents`` (default): one row
  per document with nested sentences, events, numbers and summary (:func:`document_schema`), the
  same rows the Ray job returns; ``rows``: the flat CSV table, typed. Rows are buffered and
  written a row group at a time, so memory stays bounded.

>>> import io
>>> from conflict_events.inference.archive import BadRecord
>>> from conflict_events.inference.runner import Tagged
>>> out = io.StringIO()
>>> with JsonlWriter(out, errors=True) as w:
...     w.write(Tagged(None, error=BadRecord("a.warc", 3, "truncated")))
>>> out.getvalue()
'{"id": "a.warc:3", "error": {"file": "a.warc", "line": 3, "reason": "truncated"}}\\n'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from conflict_events.inference.batch import CSV_COLUMNS, csv_rows, csv_text, jsonl_line
from conflict_events.inference.runner import Tagged

WRITER_FORMATS = ("jsonl", "csv", "parquet")
PARQUET_LAYOUTS = ("documents", "rows")
ROW_GROUP_DOCUMENTS = 2000


def error_id(tagged: Tagged) -> str:
    """The id of a failed item: its document's id, else ``file:line`` of the bad record."""
    if tagged.document is not None:
        return tagged.document.id
    assert tagged.error is not None
    return tagged.error.location


def document_row(tagged: Tagged, include_text: bool = False) -> dict[str, Any]:
    """A result or error as one JSON-able row (the ``documents`` layout of Parquet and Ray)."""
    doc = tagged.document
    error = tagged.error
    row: dict[str, Any] = {
        "id": error_id(tagged) if tagged.result is None else tagged.result.id,
        "date": doc.date if doc is not None else None,
        "file": doc.file if doc is not None else error.file if error else None,
        "line": doc.line if doc is not None else error.line if error else None,
        "error": None if error is None else error.reason,
        "text": doc.text if include_text and doc is not None else None,
        "sentences": [],
        "summary": None,
        "meta": json.dumps(doc.meta, ensure_ascii=False) if doc is not None and doc.meta else None,
    }
    if tagged.result is not None:
        data = tagged.result.to_dict(include_text=False)
        row["sentences"] = data["sentences"]
        row["summary"] = data["summary"]
    return row


def document_schema() -> Any:
    """The pyarrow schema of :func:`document_row` (nested: sentences → events, numbers)."""
    import pyarrow as pa

    number = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("value", pa.float64()),
            ("low", pa.float64()),
            ("high", pa.float64()),
            ("qualifier", pa.string()),
            ("role", pa.string()),
            ("unit", pa.string()),
            ("score", pa.float64()),
        ]
    )
    event = pa.struct([("label", pa.string()), ("score", pa.float64())])
    sentence = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("events", pa.list_(event)),
            ("numbers", pa.list_(number)),
        ]
    )
    citation = pa.struct([("sentence", pa.int64()), ("start", pa.int64()), ("end", pa.int64())])
    figure = pa.struct(
        [
            ("role", pa.string()),
            ("value", pa.float64()),
            ("low", pa.float64()),
            ("high", pa.float64()),
            ("qualifier", pa.string()),
            ("unit", pa.string()),
            ("citations", pa.list_(citation)),
        ]
    )
    summary = pa.struct([("events", pa.list_(pa.string())), ("figures", pa.list_(figure))])
    return pa.schema(
        [
            ("id", pa.string()),
            ("date", pa.string()),
            ("file", pa.string()),
            ("line", pa.int64()),
            ("error", pa.string()),
            ("text", pa.string()),
            ("sentences", pa.list_(sentence)),
            ("summary", summary),
            ("meta", pa.string()),
        ]
    )


def rows_schema() -> Any:
    """The pyarrow schema of the flat ``rows`` layout (:data:`CSV_COLUMNS`, typed)."""
    import pyarrow as pa

    types = {
        "sentence": pa.int64(),
        "sentence_start": pa.int64(),
        "sentence_end": pa.int64(),
        "score": pa.float64(),
        "start": pa.int64(),
        "end": pa.int64(),
        "value": pa.float64(),
        "low": pa.float64(),
        "high": pa.float64(),
    }
    return pa.schema([(c, types.get(c, pa.string())) for c in CSV_COLUMNS])


def flat_rows(tagged: Tagged) -> list[list[Any]]:
    """The CSV/``rows`` layout rows of one item (an error: one ``error`` row)."""
    if tagged.result is not None:
        return csv_rows(tagged.result, tagged.document.date if tagged.document else None)
    assert tagged.error is not None
    blank: list[Any] = [None] * len(CSV_COLUMNS)
    row = [error_id(tagged), "error", *blank[2:]]
    row[CSV_COLUMNS.index("text")] = f"{tagged.error.location}: {tagged.error.reason}"
    return [row]


class ResultWriter:
    """Writes :class:`Tagged` items; subclasses say how. ``errors``: write failures as rows."""

    def __init__(self, errors: bool = False) -> None:
        self.errors = errors
        self.written = 0
        self.owned: IO[str] | None = None  # a file the writer opened, closed with it

    def write(self, tagged: Tagged) -> None:
        if tagged.result is None and not self.errors:
            return
        self._write(tagged)
        self.written += 1

    def _write(self, tagged: Tagged) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self.owned is not None:
            self.owned.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlWriter(ResultWriter):
    def __init__(self, stream: IO[str], include_text: bool = False, errors: bool = False) -> None:
        super().__init__(errors)
        self.stream = stream
        self.include_text = include_text

    def _write(self, tagged: Tagged) -> None:
        if tagged.result is None:
            assert tagged.error is not None
            data: dict[str, Any] = {"id": error_id(tagged), "error": tagged.error.to_dict()}
            self.stream.write(json.dumps(data, ensure_ascii=False) + "\n")
            return
        doc = tagged.document
        date, meta = (doc.date, doc.meta) if doc is not None else (None, None)
        self.stream.write(jsonl_line(tagged.result, self.include_text, date, meta))


class CsvWriter(ResultWriter):
    def __init__(self, stream: IO[str], errors: bool = False, header: bool = True) -> None:
        super().__init__(errors)
        self.stream = stream
        if header:
            stream.write(csv_text([CSV_COLUMNS]))

    def _write(self, tagged: Tagged) -> None:
        self.stream.write(csv_text(flat_rows(tagged)))


class ParquetWriter(ResultWriter):
    """Parquet, one row group per :data:`ROW_GROUP_DOCUMENTS` documents."""

    def __init__(
        self,
        path: str | Path,
        layout: str = "documents",
        include_text: bool = False,
        errors: bool = False,
        row_group: int = ROW_GROUP_DOCUMENTS,
    ) -> None:
        import pyarrow.parquet as pq

        if layout not in PARQUET_LAYOUTS:
            raise ValueError(f"Parquet layout must be one of {PARQUET_LAYOUTS}, not {layout!r}")
        super().__init__(errors)
        self.layout = layout
        self.include_text = include_text
        self.schema = document_schema() if layout == "documents" else rows_schema()
        self.row_group = row_group
        self.pending: list[dict[str, Any]] = []
        self.documents = 0
        self.out = pq.ParquetWriter(str(path), self.schema)

    def _write(self, tagged: Tagged) -> None:
        if self.layout == "documents":
            self.pending.append(document_row(tagged, self.include_text))
        else:
            self.pending.extend(dict(zip(CSV_COLUMNS, r)) for r in flat_rows(tagged))
        self.documents += 1
        if self.documents >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.pending:
            self.out.write_table(pa.Table.from_pylist(self.pending, schema=self.schema))
        self.pending, self.documents = [], 0

    def close(self) -> None:
        self._flush()
        self.out.close()


def open_writer(
    path: str | Path,
    fmt: str | None = None,
    layout: str = "documents",
    include_text: bool = False,
    errors: bool = False,
) -> ResultWriter:
    """A writer for ``path``; ``fmt`` defaults from the suffix (``.parquet``, ``.csv``, else JSONL)."""
    fmt = fmt or format_for_path(path)
    if fmt == "parquet":
        return ParquetWriter(path, layout, include_text, errors)
    stream = open(path, "w", encoding="utf-8", newline="")
    writer: ResultWriter = (
        CsvWriter(stream, errors) if fmt == "csv" else JsonlWriter(stream, include_text, errors)
    )
    writer.owned = stream
    return writer


def format_for_path(path: str | Path) -> str:
    """``"parquet"``, ``"csv"`` or ``"jsonl"`` from a file name.

    >>> [format_for_path(p) for p in ("a.parquet", "b.CSV", "c.jsonl", "d")]
    ['parquet', 'csv', 'jsonl', 'jsonl']
    """
    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv" if name.endswith(".csv") else "jsonl"


def read_parquet_results(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``documents``-layout Parquet file as dicts (``DocumentResult.from_dict``-able)."""
    import pyarrow.parquet as pq

    return pq.read_table(str(path)).to_pylist()
