"""GENEVA: FrameNet full-text sentences with FrameNet-frame events and arguments (CC BY 3.0).

Layout: ``geneva/recovered_union.jsonl`` (one record a line, the de-duplicated union of the
repository's data files), or, when it is absent, every ``geneva/data/*.json`` (a user's own
download, ``all_data.json`` included: one record a line, or one JSON array). Records share the
OneIE-style format: ``doc_id`` (the FrameNet document), ``wnd_id`` (the sentence), ``sentence``
(tokenised, PTB style), ``entity_mentions`` and ``event_mentions``. A sentence that several files
hold under one ``wnd_id`` with the same text is read once (that is how the union was made).

One :class:`SourceDocument` per sentence: doc_id is the ``wnd_id``, which names the sentence in
every file it appears in, so stand-off offsets do not depend on which file was read. ``meta``
keeps the FrameNet document id and the events (frame, trigger text, arguments with their text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conflict_events.training.records import Record
from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json,
    read_json_lines,
    require_file,
    source_folder,
    unique_ids,
    whole_text,
)
from conflict_events.training.sources.mapping import Skipped, passage_record

NAME = "geneva"
UNION = "recovered_union.jsonl"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every sentence: the union file's, else those of ``data/*.json``, in file order."""
    root = source_folder(data_dir, NAME)
    union = root / UNION
    files = [union] if union.is_file() else sorted((root / "data").glob("*.json"))
    if not files:
        raise SourceError(f"{root}: neither {UNION} nor data/*.json found")
    return unique_ids(_read(files))


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, record)`` for a JSON-lines file or a file holding one JSON array."""
    if require_file(path).read_text(encoding="utf-8").lstrip().startswith("["):
        for index, item in enumerate(read_json(path)):
            yield f"{path}: item {index}", item
        return
    for number, item in read_json_lines(path):
        yield f"{path}:{number}", item


def _read(files: list[Path]) -> Iterator[SourceDocument]:
    seen: dict[str, str] = {}
    for path in files:
        for where, record in _records(path):
            if not isinstance(record, dict):
                raise SourceError(f"{where}: not a JSON object")
            wnd_id, sentence = record.get("wnd_id"), record.get("sentence")
            if not isinstance(wnd_id, str) or not isinstance(sentence, str) or not sentence:
                raise SourceError(f"{where}: no wnd_id or sentence")
            if seen.get(wnd_id) == sentence:
                continue  # the same sentence in a second file (see the module docstring)
            seen[wnd_id] = sentence
            yield document(
                NAME,
                wnd_id,
                sentence,
                {
                    "document": record.get("doc_id"),
                    "sentences": [whole_text(sentence)],
                    "events": _events(record),
                },
            )


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The frames of a record with trigger text and ``{role, text}`` arguments."""
    events = []
    for mention in record.get("event_mentions") or []:
        events.append(
            {
                "type": mention.get("event_type"),
                "trigger": (mention.get("trigger") or {}).get("text"),
                "arguments": [
                    {"role": a.get("role"), "text": a.get("text")}
                    for a in mention.get("arguments") or []
                ],
            }
        )
    return events


# --- conversion: candidates for annotators -----------------------------------------------------

# A facility named in an argument makes an attack, destruction or damage an infrastructure
# candidate (guideline §1: public or critical facilities; homes alone are not). Whole words only:
# "camp" must not match "Campbell".
FACILITY = re.compile(
    r"\b(hospital|clinic|school|universit(y|ies)|mosque|church|market|bakery|bakeries|"
    r"power|plant|station|substation|grid|dam|bridge|airport|port|road|railway|telecom|mast|"
    r"tower|depot|warehouse|camp|infrastructure|facility|facilities|pipeline|refinery|"
    r"refineries)s?\b",
    re.IGNORECASE,
)
ATTACK_FRAMES = frozenset({"Attack", "Destroying", "Damaging"})
DISPLACEMENT_FRAMES = frozenset({"Escaping", "Removing"})
DISPLACEMENT_TRIGGERS = ("evacuat", "fled", "flee")


def has_facility(texts: list[str]) -> bool:
    """Whether any argument text names a facility.

    >>> has_facility(["the power station"]), has_facility(["their homes", "Mike Campbell"])
    (True, False)
    """
    return any(FACILITY.search(text) for text in texts)


def candidate_events(events: list[dict[str, Any]]) -> list[str]:
    """Our labels suggested by GENEVA frames (module ``to_records``): candidates, not gold."""
    found = set()
    for event in events:
        kind, trigger = event.get("type"), (event.get("trigger") or "").lower()
        arguments = [a.get("text") or "" for a in event.get("arguments") or []]
        if kind == "Killing":
            found.add("casualty")
        elif kind == "Conquering":
            found.add("territorial-change")
        elif kind in ATTACK_FRAMES and has_facility(arguments):
            found.add("attack-on-infrastructure")
        elif kind in DISPLACEMENT_FRAMES and trigger.startswith(DISPLACEMENT_TRIGGERS):
            found.add("displacement")
    return sorted(found)


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """The sentence with the labels its frames suggest (Killing -> casualty, Conquering ->
    territorial-change, Attack/Destroying/Damaging with a facility argument -> infrastructure,
    Escaping/Removing triggered by evacuat*/fled/flee -> displacement). Only the suggested
    labels are known; a sentence with none is skipped. Candidates for annotation, not gold:
    a Killing frame can be planned or figurative, a Conquering frame historical."""
    events = candidate_events(doc.meta.get("events") or [])
    if not events:
        yield Skipped(doc.doc_id, "no frame mapped to an event")
        return
    record = passage_record(doc, events, events)
    yield record if record is not None else Skipped(doc.doc_id, "empty sentence")
