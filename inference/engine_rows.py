"""What the cluster engines (Ray, Spark) share: input rows to documents, results to output rows.

An input row has a text column and, optionally, ``id``, ``date`` (the publication date, as the
source gives it), ``file``, ``line``, ``meta`` (JSON) and ``error`` columns; the ``tag`` command's
shard engines fill them all, so a bad record read on the driver travels as an ``error`` row and
comes back as one, never lost. A row without an id gets
``row:N``, its position in the batch, which is unique only within the batch: give datasets an id
column. Output rows are :func:`~conflict_events.inference.writers.document_row` (the Parquet
``documents`` layout).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from conflict_events.inference.archive import BadRecord, Document
from conflict_events.inference.runner import tag_records
from conflict_events.inference.writers import document_row


@dataclass(frozen=True)
class Columns:
    """Which input columns hold the text, the id and (when there is one) the publication date."""

    text: str = "text"
    id: str = "id"
    date: str | None = None


def row_items(rows: Sequence[dict[str, Any]], columns: Columns) -> Iterator[Document | BadRecord]:
    """Input rows as the runner's items (a row with an ``error`` stays a bad record)."""
    for number, row in enumerate(rows):
        file = _value(row, "file") or "<dataset>"
        line = _value(row, "line")
        line = None if line is None else int(line)
        if _value(row, "error"):
            yield BadRecord(file, line, str(row["error"]))
            continue
        doc_id = _value(row, columns.id)
        doc_id = f"row:{number}" if doc_id is None else str(doc_id)
        text = _value(row, columns.text)
        if not isinstance(text, str) or not text.strip():
            yield BadRecord(file, line, f"row {doc_id}: no text in column {columns.text!r}")
            continue
        meta = _value(row, "meta")
        date = _value(row, columns.date) if columns.date else None
        yield Document(
            doc_id,
            text,
            file,
            line,
            json.loads(meta) if meta else None,
            None if date is None else str(date),
        )


def tag_rows(
    rows: Sequence[dict[str, Any]],
    tagger: Any,
    columns: Columns,
    include_text: bool = False,
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """Output rows for input rows, one each, in order; a failed document is an error row.

    ``executor``: where the runner tags (:func:`~conflict_events.inference.runner.tag_records`;
    ``tagger`` is then a :class:`~conflict_events.inference.tagger.TaggerSpec`).
    """
    out = []
    tagged_items = tag_records(row_items(rows, columns), tagger, executor)
    for row, tagged in zip(rows, tagged_items, strict=True):
        result = document_row(tagged, include_text)
        if tagged.document is None and _value(row, columns.id) is not None:
            result["id"] = str(row[columns.id])  # a bad row keeps the id it was given
        out.append(result)
    return out


def _value(row: dict[str, Any], column: str) -> Any:
    """A cell, None when absent or missing (pandas gives NaN for a missing number)."""
    value = row.get(column)
    if isinstance(value, float) and value != value:
        return None
    return value
