"""WikiEvents (KAIROS ontology) dev and test documents: news text, evaluation only.

Layout: ``wikievents/data/wikievents/{dev,test}.jsonl``, one document a line: ``doc_id``,
``text``, ``sentences`` (``[tokens, sentence text]``), ``event_mentions`` (``event_type``,
``trigger`` with ``sent_idx``, ``arguments`` with ``role`` and ``text``), ``entity_mentions``
(``entity_type``: FAC, LOC, PER, ...). doc_id: ``data/wikievents/<file>#<doc_id>``, so the
held-out manifest can name whole files (all of WikiEvents is held out: the documents' copyright
stays with their publishers).

The token offsets in the files do not match ``text`` (they drift after the headline), so each
sentence is found in ``text`` by its own text, in order, from the end of the previous one:
``meta["sentences"]`` holds those spans, and the sentence splitter is not used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conflict_events.training.records import Record
from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json_lines,
    source_folder,
    unique_ids,
)
from conflict_events.training.sources.mapping import Skipped, sentence_record

NAME = "wikievents"
FILES = ("data/wikievents/dev.jsonl", "data/wikievents/test.jsonl")


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every document of the dev file, then of the test file (a missing file is an error)."""
    root = source_folder(data_dir, NAME)
    for name in FILES:
        if not (root / name).is_file():
            raise SourceError(f"{root / name}: expected file not found")
    return unique_ids(doc for name in FILES for doc in _read(root / name, name))


def _read(path: Path, name: str) -> Iterator[SourceDocument]:
    for number, doc in read_json_lines(path):
        where = f"{path}:{number}"
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("doc_id"), str)
            or not isinstance(doc.get("text"), str)
        ):
            raise SourceError(f"{where}: no doc_id or text")
        text = doc["text"]
        spans = _sentence_spans(text, doc.get("sentences") or [], where)
        entities = {e.get("id"): e for e in doc.get("entity_mentions") or []}
        yield document(
            NAME,
            f"{name}#{doc['doc_id']}",
            text,
            {
                "file": name,
                "sentences": [{"start": s, "end": e} for s, e in spans],
                "events": [_event(m, entities) for m in doc.get("event_mentions") or []],
            },
        )


def _sentence_spans(text: str, sentences: list, where: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for index, item in enumerate(sentences):
        sentence = item[1] if isinstance(item, list) and len(item) == 2 else None
        if not isinstance(sentence, str):
            raise SourceError(f"{where}: sentence {index} is not [tokens, text]")
        start = text.find(sentence, position)
        if start < 0:
            raise SourceError(f"{where}: sentence {index} does not occur in the document text")
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return spans


def _event(mention: dict[str, Any], entities: dict[str, Any]) -> dict[str, Any]:
    trigger = mention.get("trigger") or {}
    return {
        "type": mention.get("event_type"),
        "sentence": trigger.get("sent_idx"),
        "trigger": trigger.get("text"),
        "arguments": [
            {
                "role": a.get("role"),
                "text": a.get("text"),
                "entity_type": (entities.get(a.get("entity_id")) or {}).get("entity_type"),
            }
            for a in mention.get("arguments") or []
        ],
    }


# --- conversion: candidates for annotators (evaluation only) ------------------------------------


def candidate_events(event: dict[str, Any]) -> list[str]:
    """Our labels suggested by one KAIROS event mention: candidates, not gold.

    >>> candidate_events({"type": "Life.Injure.Unspecified", "arguments": []})
    ['casualty']
    >>> candidate_events({"type": "Conflict.Attack.Unspecified",
    ...                   "arguments": [{"role": "Target", "entity_type": "FAC"}]})
    ['attack-on-infrastructure']
    """
    kind = event.get("type") or ""
    if kind.startswith(("Life.Die", "Life.Injure")):
        return ["casualty"]
    if kind.startswith("Conflict.Attack") and any(
        a.get("role") == "Target" and a.get("entity_type") == "FAC"
        for a in event.get("arguments") or []
    ):
        return ["attack-on-infrastructure"]
    if kind == "Movement.Transportation.Evacuation":
        return ["displacement"]
    return []


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """One record per sentence holding a mapped event mention, labelled with the suggested
    labels, which are the only ones known. All of WikiEvents is held out: ``data convert``
    reaches it only with ``--include-heldout`` or ``--heldout-only`` (evaluation)."""
    by_sentence: dict[int, set[str]] = {}
    for event in doc.meta.get("events") or []:
        labels = candidate_events(event)
        if labels and isinstance(event.get("sentence"), int):
            by_sentence.setdefault(event["sentence"], set()).update(labels)
    if not by_sentence:
        yield Skipped(doc.doc_id, "no event mention mapped")
        return
    spans = doc.meta["sentences"]
    for index in sorted(by_sentence):
        if not 0 <= index < len(spans):
            yield Skipped(doc.doc_id, "event mention in a sentence the document lacks")
            continue
        span = (spans[index]["start"], spans[index]["end"])
        labels = sorted(by_sentence[index])
        yield sentence_record(doc, span, labels, (), labels)
