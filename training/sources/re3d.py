"""re3d (Dstl): 98 Syria/Iraq conflict documents from seven publishers, with entity spans.

Layout: ``re3d/<publisher>/documents.json`` (one JSON object per line) and ``entities.json``.
doc_id: ``<publisher folder>/<document _id>``. The licence depends on the publisher; the BBC
Online part is CC BY-NC and therefore not permissive. ``meta["quantities"]`` lists the
``[start, end]`` of the corpus's Quantity entities (offsets into ``text``), a hint for annotators.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json_lines,
    source_folder,
    unique_ids,
)

NAME = "re3d"

# Publisher folder -> (licence, permissive), read from each folder's LICENSE file.
PUBLISHER_LICENCES: dict[str, tuple[str, bool]] = {
    "Australian Department of Foreign Affairs": ("CC BY 3.0 AU", True),
    "BBC Online": ("CC BY-NC 3.0", False),
    "CENTCOM": ("public domain (US government)", True),
    "Delegation of the European Union to Syria": (
        "EU legal notice: reuse authorised, source acknowledged",
        True,
    ),
    "UK Government": ("OGL-UK-3.0", True),
    "US State Department": ("public domain (US government)", True),
    "Wikipedia": ("CC BY-SA 3.0", True),
}


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every re3d document, publisher folders in name order."""
    return unique_ids(_read(source_folder(data_dir, NAME)))


def _read(root: Path) -> Iterator[SourceDocument]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in PUBLISHER_LICENCES:
            raise SourceError(f"{folder}: unknown re3d publisher; its licence is not recorded")
        licence, permissive = PUBLISHER_LICENCES[folder.name]
        quantities: dict[str, list[list[int]]] = {}
        entities = folder / "entities.json"
        if entities.is_file():
            for _, ent in read_json_lines(entities):
                if ent.get("type") == "Quantity":
                    quantities.setdefault(ent["documentId"], []).append(
                        [int(ent["begin"]), int(ent["end"])]
                    )
        for number, doc in read_json_lines(folder / "documents.json"):
            if not isinstance(doc.get("text"), str) or "_id" not in doc:
                raise SourceError(f"{folder / 'documents.json'}:{number}: no _id or text")
            yield document(
                NAME,
                doc_id=f"{folder.name}/{doc['_id']}",
                text=doc["text"],
                licence=licence,
                permissive=permissive,
                meta={
                    "publisher": folder.name,
                    "title": doc.get("title"),
                    "url": doc.get("sourceUrl"),
                    "quantities": sorted(quantities.get(doc["_id"], [])),
                },
            )
