"""PLOVER gold-standard records: edited real news sentences coded in PLOVER (CC BY-SA 4.0).

Layout: ``plover_gsr/gold_standard_records/PLOVER_GSR_CAMEO.txt``, one JSON array of records:
``id``, ``event`` (ASSAULT, FIGHT, COERCE, RETREAT, ...), ``mode`` (explosives, destroy, ...),
``text``, ``textInfo.markup`` and, on some, ``dead`` / ``injured`` / ``size``. doc_id: the record
``id`` (one repeated id gets ``~2``). The file's first record, event ``DOCUMENT``, documents the
file and holds no sentence, so it is not read as a document; any other record without ``text``
is an error naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.records import Record
from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json,
    source_folder,
    unique_ids,
    whole_text,
)
from conflict_events.training.sources.mapping import Skipped, passage_record

NAME = "plover_gsr"
FILE = "gold_standard_records/PLOVER_GSR_CAMEO.txt"
META_FIELDS = ("event", "mode", "context", "eventText", "dead", "injured", "size", "date")


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every record with a sentence, in file order."""
    path = source_folder(data_dir, NAME) / FILE
    entries = read_json(path)
    if not isinstance(entries, list):
        raise SourceError(f"{path}: expected one JSON array of records")
    return unique_ids(_read(path, entries))


def _read(path: Path, entries: list) -> Iterator[SourceDocument]:
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "id" not in entry:
            raise SourceError(f"{path}: record {index} is not an object with an id")
        if entry.get("event") == "DOCUMENT":
            continue  # the file's own documentation (see the module docstring)
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            raise SourceError(f"{path}: record {index} ({entry['id']}) has no text")
        yield document(
            NAME,
            str(entry["id"]),
            text,
            {**{k: entry[k] for k in META_FIELDS if k in entry}, "sentences": [whole_text(text)]},
        )


# --- conversion: candidates for annotators -----------------------------------------------------

FACILITY_MODES = frozenset({"destroy"})


def candidate_events(meta: dict) -> list[str]:
    """Our labels suggested by a PLOVER event and mode: candidates, not gold.

    ASSAULT and FIGHT may kill or injure (casualty) and, with explosives or heavy weapons, hit
    facilities; COERCE with mode ``destroy`` is destruction of property (infrastructure
    candidate); RETREAT is a withdrawal (territorial-change candidate).

    >>> candidate_events({"event": "RETREAT"}), candidate_events({"event": "AGREE"})
    (['territorial-change'], [])
    """
    event, mode = meta.get("event"), meta.get("mode") or ""
    found = set()
    if event in ("ASSAULT", "FIGHT"):
        found.add("casualty")
        if mode in ("explosives", "heavy-weapons", "suicide-attack"):
            found.add("attack-on-infrastructure")
    elif event == "COERCE" and mode in FACILITY_MODES:
        found.add("attack-on-infrastructure")
    elif event == "RETREAT":
        found.add("territorial-change")
    if meta.get("dead") or meta.get("injured"):
        found.add("casualty")
    return sorted(found)


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """The sentence with the labels its PLOVER event suggests (:func:`candidate_events`); only
    those labels are known; a record with none is skipped."""
    events = candidate_events(doc.meta)
    if not events:
        yield Skipped(doc.doc_id, f"PLOVER event {doc.meta.get('event')} not mapped")
        return
    record = passage_record(doc, events, events)
    yield record if record is not None else Skipped(doc.doc_id, "empty sentence")
