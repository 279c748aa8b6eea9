"""Wikipedia Current Events Portal, September 2015: 428 one-sentence news summaries.

Layout: ``wcep_sep2015/wikipedia/wikitimes_CEP.json`` (a JSON list). doc_id: the entry ``id``.
``meta`` keeps the date, category (e.g. ``War_Conflict``) and story name.
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

NAME = "wcep_sep2015"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every summary, in file order."""
    path = source_folder(data_dir, NAME) / "wikipedia" / "wikitimes_CEP.json"
    entries = read_json(path)
    return unique_ids(_read(path, entries))


def _read(path: Path, entries: list) -> Iterator[SourceDocument]:
    for index, entry in enumerate(entries):
        text = entry.get("description")
        if not isinstance(text, str) or "id" not in entry:
            raise SourceError(f"{path}: entry {index} has no id or description")
        yield document(
            NAME,
            doc_id=str(entry["id"]),
            text=text,
            meta={
                "date": entry.get("date"),
                "category": (entry.get("category") or {}).get("name"),
                "story": (entry.get("belongsToStory") or {}).get("name"),
            },
        )
