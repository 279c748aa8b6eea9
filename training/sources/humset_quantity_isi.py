"""HumSet quantity annotations (castaisa/humSet_annotation_gen): 780 HumSet text chunks.

Layout: ``Data/text_sources/<chunk>.txt`` and, for 775 of them, the human annotations
``Data/GroundTruthISI/<chunk>.txt.json`` (quantity, unit, modifier, event description and type,
with character offsets into the chunk). doc_id: the chunk file stem (e.g. ``a1_100228``; the
prefix names the annotator(s)). ``meta["annotations"]`` holds the ground-truth list unchanged
(empty when the chunk has no ground-truth file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from conflict_events.inference.numbers import NumberKind, parse_span
from conflict_events.training.records import Record
from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    read_json,
    source_folder,
    unique_ids,
)
from conflict_events.training.sources.mapping import (
    Skipped,
    Span,
    sentence_of,
    sentence_record,
    span_of,
)

NAME = "humset_quantity_isi"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every chunk, in file-name order."""
    root = source_folder(data_dir, NAME) / "Data"
    texts = root / "text_sources"
    if not texts.is_dir():
        raise SourceError(f"{texts}: not found (expected the HumSet text chunks)")
    return unique_ids(_read(texts, root / "GroundTruthISI"))


def _read(texts: Path, truth: Path) -> Iterator[SourceDocument]:
    for path in sorted(texts.glob("*.txt")):
        annotations = []
        gold = truth / f"{path.name}.json"
        if gold.is_file():
            annotations = read_json(gold)
        yield document(
            NAME,
            doc_id=path.stem,
            text=path.read_text(encoding="utf-8"),
            meta={"has_ground_truth": gold.is_file(), "annotations": annotations},
        )


# --- conversion ------------------------------------------------------------------------------

KNOWN_ROLES = ("displaced", "killed", "injured")
ROLE_EVENTS = {"displaced": "displacement", "killed": "casualty", "injured": "casualty"}
# What the quantity counts, read from the annotated event description and unit.
_KILLED = re.compile(r"\b(kill\w*|dead|deaths?|died|die|fatalit\w*|lives lost|bodies|death toll)\b")
_INJURED = re.compile(r"\b(injur\w*|wounded|wounds?)\b")
_DISPLACED_EVENT = re.compile(
    r"\b(displac\w*|fled|flee\w*|evacuat\w*|uproot\w*|forced from|crossed|refuge)\b"
)
# Words just before a figure that make it an aid or return figure ("assisted the return of 121
# refugees"), whatever the annotated event description says.
_NOT_EVENT_BEFORE = re.compile(r"\b(return\w*|repatriat\w*|assist\w*|receiv\w*|support\w*)\b")
_DISPLACED_UNIT = re.compile(r"\b(idps?|internally displaced|displaced|refugees?|asylum seekers)\b")
# Event descriptions that make a people count an aid, survey or needs figure, not an event's.
_NOT_EVENT = re.compile(
    r"\b(receiv\w*|assist\w*|distribut\w*|reach\w*|provid\w*|benefit\w*|serv\w*|support\w*|"
    r"vaccinat\w*|enrol\w*|attend\w*|need\w*|interview\w*|surveyed|assessed|trained|"
    r"targeted|plan\w*|expected|projected|at risk|return\w*|cases?|tested|positive|rescued|"
    r"intercepted|accommodat\w*|departed|resettle\w*)\b"
)
# A figure with a role must count people (or deaths): "18 months", "five incidents", "two times"
# are not event counts even when the event description says "killed" or "displaced".
_PEOPLE = re.compile(
    r"\b(people|persons?|civilians?|child\w*|women|men|girls|boys|individuals|famil\w*|"
    r"households?|residents|villagers|deaths?|dead|fatalit\w*|casualt\w*|victims|bodies|idps?|"
    r"refugees?|migrants|asylum|displaced|workers|personnel|doctors|nurses|humanitarians|"
    r"soldiers|fighters|troops|militants|students|patients|pharmacists?|lives|population)\b"
)
_NOT_PEOPLE = re.compile(
    r"\b(cattle|livestock|animals|goats|sheep|camels|heads|hectares|houses|homes|shelters|tents|"
    r"cases|%|percent|kg|usd|us\$|syp|afn|ssp)\b"
)


def quantity_role(annotation: dict) -> str | None:
    """The guideline role of one HumSet quantity annotation, or None (not an event count)."""
    event = ((annotation.get("eventDescription") or {}).get("text") or "").lower()
    unit = ((annotation.get("unit") or {}).get("text") or "").lower()
    both = f"{event} {unit}"
    if _NOT_PEOPLE.search(unit) or _NOT_EVENT.search(event) or (unit and not _PEOPLE.search(unit)):
        return None
    if _KILLED.search(both):
        return "killed"
    if _INJURED.search(both):
        return "injured"
    if _DISPLACED_EVENT.search(both) or _DISPLACED_UNIT.search(unit):
        return "displaced"
    return None


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """One record per sentence holding at least one ground-truth quantity.

    HumSet annotates every quantity, so a quantity that does not count killed, injured or
    displaced people is a negative for those roles (``known_labels`` lists them). A role implies
    its event (positive, and then known); a sentence without one says nothing about events.
    """
    by_sentence: dict[tuple[int, int], list[Span]] = {}
    bad: set[tuple[int, int]] = set()
    for annotation in doc.meta.get("annotations", []):
        quantity = annotation.get("quantity") or {}
        start, end = quantity.get("begin"), quantity.get("end")
        if (
            not isinstance(start, int)
            or not isinstance(end, int)
            or doc.text[start:end] != quantity.get("text")
        ):
            yield Skipped(doc.doc_id, "annotation offsets do not match the text")
            continue
        sentence = sentence_of(doc, start, end)
        if sentence is None:
            yield Skipped(doc.doc_id, "quantity straddles a sentence break")
            continue
        role = quantity_role(annotation)
        if _NOT_EVENT_BEFORE.search(doc.text[max(0, start - 40) : start].lower()):
            role = None
        by_sentence.setdefault(sentence, [])
        if role is None:
            continue
        unit = (annotation.get("unit") or {}).get("text")
        if (annotation.get("unit") or {}).get("begin", -1) < end:
            unit = None  # a unit written before the figure is not "the noun after it"
        parsed = parse_span(doc.text, start, end)
        if parsed.kind is NumberKind.UNKNOWN or not (
            sentence[0] <= parsed.start and parsed.end <= sentence[1]
        ):
            # An event figure the normaliser cannot read: the sentence's labels would be
            # incomplete, so it is left out whole.
            bad.add(sentence)
            yield Skipped(doc.doc_id, "event quantity not normalisable (sentence left out)")
            continue
        if parsed.kind is not NumberKind.COUNT:
            continue  # a percentage, fraction, date...: never an event count
        if not any(n.start < parsed.end and parsed.start < n.end for n in by_sentence[sentence]):
            by_sentence[sentence].append(span_of(doc, parsed, role, unit))
    for sentence, numbers in sorted(by_sentence.items()):
        if sentence in bad:
            continue
        events = {ROLE_EVENTS[n.role] for n in numbers if n.role}
        yield sentence_record(doc, sentence, events, numbers, (*KNOWN_ROLES, *events))
