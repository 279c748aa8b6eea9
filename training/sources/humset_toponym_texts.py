"""HumSet geolocation annotations (embelliardo): 467 humanitarian report documents.

Layout: ``humset_toponym_texts/toponym_annotations.json`` (a list of ``lead_id``, ``source`` URL,
``text``, ``annotations``). doc_id: ``lead_id``. ``meta`` keeps the source URL; the place-name
annotations are not kept (the project does not use them).
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

NAME = "humset_toponym_texts"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every document, in file order."""
    path = source_folder(data_dir, NAME) / "toponym_annotations.json"
    entries = read_json(path)
    return unique_ids(_read(path, entries))


def _read(path: Path, entries: list) -> Iterator[SourceDocument]:
    for index, entry in enumerate(entries):
        if not isinstance(entry.get("text"), str) or "lead_id" not in entry:
            raise SourceError(f"{path}: entry {index} has no lead_id or text")
        yield document(
            NAME,
            doc_id=str(entry["lead_id"]),
            text=entry["text"],
            meta={"url": entry.get("source")},
        )
