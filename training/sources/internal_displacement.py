"""Internal displacement excerpts (Data4Democracy / IDMC, UN Unite Ideas challenge data).

Two spreadsheets, one excerpt a document, each with a gold displacement figure, reporting term
and unit:

- ``data/IDETECT_test_dataset-NLP.xlsx`` (312 excerpts; held out, see ``training/heldout.toml``),
  doc_id ``data/IDETECT_test_dataset-NLP.xlsx#<excerpt_id>``;
- ``data/IDMC_fully_labelled.csv.xlsx`` (133 excerpts), doc_id
  ``data/IDMC_fully_labelled.csv.xlsx#<sheet row>`` (row 2 is the first excerpt).

``meta`` keeps ``file`` (relative to the corpus folder), ``quantity``, ``term``, ``unit``,
``location`` and ``country`` as the spreadsheet gives them (text).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.records import Record
from conflict_events.training.sources import SourceDocument, document, source_folder, unique_ids
from conflict_events.training.sources.mapping import (
    Skipped,
    counts_in,
    looks_english,
    matches,
    parse_number,
    sentence_of,
    sentence_record,
    span_of,
)
from conflict_events.training.sources.tables import read_xlsx_rows

NAME = "internal-displacement"
IDETECT_FILE = "data/IDETECT_test_dataset-NLP.xlsx"
IDMC_FILE = "data/IDMC_fully_labelled.csv.xlsx"

# spreadsheet -> (id column or None for the sheet row, column of each meta field)
_COLUMNS = {
    IDETECT_FILE: (
        "excerpt_id",
        {
            "text": "excerpt",
            "quantity": "Quantity",
            "term": "Term",
            "unit": "Unit",
            "location": "Location",
            "country": "Country",
        },
    ),
    IDMC_FILE: (
        None,
        {
            "text": "Excerpt",
            "quantity": "Displacement figure",
            "term": "Reporting term",
            "unit": "Reporting unit",
            "location": "Specific location",
            "country": "Location (Country)",
            "tag": "Tag",
            "url": "URL",
        },
    ),
}


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """IDETECT excerpts, then IDMC excerpts; rows without text are skipped (none in the release)."""
    return unique_ids(_read(source_folder(data_dir, NAME)))


def _read(root: Path) -> Iterator[SourceDocument]:
    for name, (id_column, columns) in _COLUMNS.items():
        for row_number, row in read_xlsx_rows(root / name):
            fields = {key: row.get(column, "") for key, column in columns.items()}
            text = fields.pop("text")
            if not text:
                continue
            row_id = row[id_column] if id_column else str(row_number)
            yield document(
                NAME,
                doc_id=f"{name}#{row_id}",
                text=text,
                meta={"file": name, "row": row_number, **fields},
            )


# --- conversion ------------------------------------------------------------------------------

# IDMC reporting terms that are displacement under the guideline. The housing terms (Destroyed,
# Partially Destroyed, Uninhabitable Housing) count houses, which the guideline does not annotate.
DISPLACEMENT_TERMS = frozenset(
    {
        "Displaced",
        "Evacuated",
        "Forced to Flee",
        "Relocated",
        "Sheltered",
        "In Relief Camp",
        "Homeless",
    }
)
KNOWN_LABELS = ("displacement", "displaced")


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """The sentence holding the excerpt's gold figure: displacement, the figure as displaced.

    Skipped: housing terms, non-English excerpts, figures that do not occur in the text (the
    corpus has typos such as 26000 for "260,000") and figures that straddle a sentence break.
    """
    term = doc.meta.get("term", "")
    if term not in DISPLACEMENT_TERMS:
        yield Skipped(doc.doc_id, f"reporting term {term!r} is not displacement")
        return
    if not looks_english(doc.text):
        yield Skipped(doc.doc_id, "excerpt is not in English")
        return
    figure = parse_number(doc.meta.get("quantity", ""))
    if figure is None:
        yield Skipped(doc.doc_id, "no numeric figure")
        return
    # The figure's own value first ("82,000"), else a bound ("up to 82,000", "80,000-82,000").
    found = sorted(
        (n for n in counts_in(doc.text) if matches(n, figure)), key=lambda n: n.value != figure
    )
    if not found:
        yield Skipped(doc.doc_id, "figure not found in the text")
        return
    number = found[0]
    sentence = sentence_of(doc, number.start, number.end)
    if sentence is None:
        yield Skipped(doc.doc_id, "figure straddles a sentence break")
        return
    span = span_of(doc, number, "displaced")
    yield sentence_record(doc, sentence, ["displacement"], [span], KNOWN_LABELS)
