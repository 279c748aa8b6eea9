"""Row readers for the CSV, TSV and XLSX files of the public corpora.

They yield ``(row_number, row)`` so that every problem can be reported as ``file:row``.
Cells come back as stripped strings ("" for empty); float-typed integer ids ("12.0") as "12".

>>> cell_text(12.0), cell_text(None), cell_text(" a ")
('12', '', 'a')
>>> decode_mixed("caf\\u00e9 \\u2022".encode("utf-8") + b" \\x95")
'café • •'
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conflict_events.training.sources import SourceError, require_file


def cell_text(value: Any) -> str:
    """A spreadsheet cell as a stripped string; integral floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # Some corpora are UTF-8 with stray Windows-1252 bytes (e.g. 0x95, a bullet): keep them as
    # the character they were typed as instead of replacing or dropping them.
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("conflict_events_cp1252", _cp1252_fallback)


def decode_mixed(raw: bytes) -> str:
    """Decode UTF-8, reading any invalid byte as Windows-1252."""
    return raw.decode("utf-8", errors="conflict_events_cp1252")


def read_csv_rows(
    path: Path, *, delimiter: str = ",", header: bool = True
) -> Iterator[tuple[int, dict[str, str] | list[str]]]:
    """Rows of a CSV/TSV file: dicts keyed by the stripped header, or lists when ``header=False``.

    The number is the file line where the row starts (multi-line quoted cells count as one row).
    """
    text = decode_mixed(require_file(path).read_bytes()).lstrip("\ufeff")
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names: list[str] | None = None
    line = 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not row:
            continue
        if header and names is None:
            names = [h.strip() for h in row]
            continue
        if names is None:
            yield start, row
            continue
        if len(row) != len(names):
            raise SourceError(f"{path}:{start}: expected {len(names)} columns, found {len(row)}")
        yield start, dict(zip(names, row, strict=True))


def read_xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the first sheet of an XLSX file as dicts keyed by the first row (cells as text)."""
    import warnings

    import openpyxl

    # openpyxl warns about spreadsheet extensions it ignores (they hold no data we read); the
    # rows are read eagerly so that the warning filter is not left in place between yields.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(require_file(path), read_only=True, data_only=True)
        try:
            rows = list(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    names: list[str] | None = None
    for number, values in enumerate(rows, start=1):
        cells = [cell_text(v) for v in values]
        if names is None:
            names = cells
            continue
        if not any(cells):
            continue
        if any(cells[len(names) :]):
            raise SourceError(f"{path}:{number}: a value lies beyond the last named column")
        cells = (cells + [""] * len(names))[: len(names)]
        yield number, dict(zip(names, cells, strict=True))
