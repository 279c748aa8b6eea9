"""CASE 2021 shared task 2: 1,019 event snippets, each with one of 30 ACLED-style subtypes.

Layout: ``case2021_task2/task2/test_dataset/test_set_final_release_with_labels.tsv``
(id, EventSnippet, SubType). doc_id: the ``id`` column. ``meta["subtype"]`` is the label.
Odd ids are held out for evaluation (``training/heldout.toml``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.records import Record
from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    source_folder,
    unique_ids,
)
from conflict_events.training.sources.mapping import Skipped, passage_record
from conflict_events.training.sources.tables import read_csv_rows

NAME = "case2021_task2"
FILE = "task2/test_dataset/test_set_final_release_with_labels.tsv"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every snippet, in file order."""
    return unique_ids(_read(source_folder(data_dir, NAME) / FILE))


def _read(path: Path) -> Iterator[SourceDocument]:
    for line, row in read_csv_rows(path, delimiter="\t"):
        assert isinstance(row, dict)
        if not row["id"].strip() or not row["EventSnippet"].strip():
            raise SourceError(f"{path}:{line}: empty id or snippet")
        yield document(
            NAME,
            doc_id=row["id"].strip(),
            text=row["EventSnippet"],
            meta={"subtype": row["SubType"].strip(), "line": line},
        )


# --- conversion ------------------------------------------------------------------------------

TERRITORIAL_SUBTYPES = frozenset(
    {"GOV_REGAINS_TERIT", "NON_STATE_ACTOR_OVERTAKES_TER", "NON_VIOL_TERRIT_TRANSFER"}
)
KNOWN_LABELS = ("territorial-change",)


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """The snippet as one passage: territorial-change for the three territorial subtypes, a
    territorial-change negative for every other subtype; nothing else is known (casualty and
    infrastructure subtypes need reading, so they are not mapped)."""
    territorial = doc.meta.get("subtype") in TERRITORIAL_SUBTYPES
    record = passage_record(doc, ["territorial-change"] if territorial else [], KNOWN_LABELS)
    yield record if record is not None else Skipped(doc.doc_id, "empty snippet")
