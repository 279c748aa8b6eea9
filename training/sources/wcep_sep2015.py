"""Wikipedia Current Events Portal, September 2015: 428 one-sentence news summaries.

Layout: ``wcep_sep2015/wikipedia/wikitimes_CEP.json`` (a JSON list). doc_id: the entry ``id``.
``meta`` keeps the date, category (e.g. ``War_Conflict``) and story name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.sources import (
    SOURCES,
    SourceDocument,
    SourceError,
    require_file,
    source_folder,
    unique_ids,
)

NAME = "wcep_sep2015"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every summary, in file order."""
    path = require_file(source_folder(data_dir, NAME) / "wikipedia" / "wikitimes_CEP.json")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}") from None
    return unique_ids(_read(path, entries))


def _read(path: Path, entries: list) -> Iterator[SourceDocument]:
    info = SOURCES[NAME]
    for index, entry in enumerate(entries):
        text = entry.get("description")
        if not isinstance(text, str) or "id" not in entry:
            raise SourceError(f"{path}: entry {index} has no id or description")
        yield SourceDocument(
            source=NAME,
            doc_id=str(entry["id"]),
            text=text,
            licence=info.licence,
            permissive=info.permissive,
            meta={
                "date": entry.get("date"),
                "category": (entry.get("category") or {}).get("name"),
                "story": (entry.get("belongsToStory") or {}).get("name"),
            },
        )
