"""ConfliBERT evaluation data: SATP incident summaries and MUC-4 documents.

- ``data/satp_relevant/{train,dev,test}.tsv``: one summary a row, then four unnamed 0/1 label
  columns (apparently armed assault, bombing, abduction, other). doc_id
  ``satp_relevant/<split>.tsv#<row>`` (row 1 is the first line; the files have no header).
- ``data/muc4/{train,dev,test}.json``: ``{id: {"doc", "roles"}}`` with template role fillers
  (physical targets, perpetrators...). doc_id ``muc4/<id>`` (e.g. ``muc4/DEV-MUC3-0001``).

``meta["part"]`` is ``satp_relevant`` or ``muc4``, ``meta["split"]`` the split, and
``meta["labels"]`` (SATP, the four columns as ints) or ``meta["roles"]`` (MUC-4) the annotation.
MUC-4 text is upper-case with hard line wraps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json,
    source_folder,
    unique_ids,
)
from conflict_events.training.sources.tables import read_csv_rows

NAME = "conflibert"
SPLITS = ("train", "dev", "test")


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """SATP rows (train, dev, test), then MUC-4 documents (train, dev, test)."""
    return unique_ids(_read(source_folder(data_dir, NAME) / "data"))


def _read(root: Path) -> Iterator[SourceDocument]:
    for split in SPLITS:
        path = root / "satp_relevant" / f"{split}.tsv"
        for line, row in read_csv_rows(path, delimiter="\t", header=False):
            assert isinstance(row, list)
            if len(row) != 5 or any(x not in ("0", "1") for x in row[1:]):
                raise SourceError(f"{path}:{line}: expected text and four 0/1 label columns")
            yield document(
                NAME,
                f"satp_relevant/{split}.tsv#{line}",
                row[0],
                {"part": "satp_relevant", "split": split, "labels": [int(x) for x in row[1:]]},
            )
    for split in SPLITS:
        entries = read_json(root / "muc4" / f"{split}.json")
        for key, entry in entries.items():
            yield document(
                NAME,
                f"muc4/{key}",
                entry["doc"],
                {"part": "muc4", "split": split, "roles": entry.get("roles", {})},
            )
