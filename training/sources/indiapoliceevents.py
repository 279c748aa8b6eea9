"""IndiaPoliceEvents (slanglab): Times of India articles split into 21,391 labelled sentences.

Layout: ``indiapoliceevents/data/final/sents.csv`` (doc_id, sent_id, sent_text and the binary
labels KILL, ARREST, FAIL, FORCE, ANY_ACTION). The sentences of one ``doc_id`` are joined in
``sent_id`` order into the document text (a space between two sentences when the first does not
end in whitespace). doc_id: the corpus ``doc_id``. ``meta["sentences"]`` lists each sentence's
``start``/``end`` in the text (surrounding whitespace excluded), ``sent_id`` and ``labels``.
The text is lower-cased by the corpus and has encoding artefacts ("â€˜").
"""

from __future__ import annotations

import re
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
from conflict_events.training.sources.mapping import Skipped, sentence_record
from conflict_events.training.sources.tables import read_csv_rows

NAME = "indiapoliceevents"
FILE = "data/final/sents.csv"
LABELS = ("KILL", "ARREST", "FAIL", "FORCE", "ANY_ACTION")


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every document, in order of first appearance in the file."""
    return unique_ids(_read(source_folder(data_dir, NAME) / FILE))


def _read(path: Path) -> Iterator[SourceDocument]:
    docs: dict[str, list[tuple[int, int, dict[str, str]]]] = {}
    for line, row in read_csv_rows(path):
        assert isinstance(row, dict)
        try:
            sent_id = int(row["sent_id"])
        except ValueError:
            raise SourceError(
                f"{path}:{line}: sent_id {row['sent_id']!r} is not an integer"
            ) from None
        docs.setdefault(row["doc_id"].strip(), []).append((sent_id, line, row))
    for doc_id, rows in docs.items():
        rows.sort(key=lambda item: item[0])
        text = ""
        sentences = []
        for sent_id, line, row in rows:
            if text and not text[-1].isspace():
                text += " "
            sent = row["sent_text"]
            start = len(text) + len(sent) - len(sent.lstrip())
            text += sent
            end = len(text.rstrip())
            if end <= start:
                continue  # a whitespace-only sentence holds nothing to label
            labels = [name for name in LABELS if row[name].strip() == "1"]
            sentences.append(
                {"start": start, "end": end, "sent_id": sent_id, "line": line, "labels": labels}
            )
        yield document(
            NAME,
            doc_id=doc_id,
            text=text,
            meta={"sentences": sentences},
        )


# --- conversion ------------------------------------------------------------------------------

KNOWN_LABELS = ("casualty",)
MIN_WORDS = 4  # shorter negatives are datelines and headings ("lucknow:")
# KILL marks killings by police only, so a KILL=0 sentence may still report a death or injury:
# such sentences are left out rather than taken as casualty negatives.
CASUALTY_CUE = re.compile(
    r"\b(kill\w*|dead|deaths?|died|dies|dying|murder\w*|injur\w*|wound\w*|bodies|body|"
    r"shot|lynch\w*|succumb\w*|fatal\w*|casualt\w*|toll|lives)\b"
)


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """One record per corpus sentence: KILL=1 → casualty; KILL=0 without any death or injury
    word → casualty negative; KILL=0 with one → left out. Only casualty is known."""
    for sentence in doc.meta.get("sentences", []):
        span = (sentence["start"], sentence["end"])
        if "KILL" in sentence["labels"]:
            yield sentence_record(doc, span, ["casualty"], (), KNOWN_LABELS)
        elif CASUALTY_CUE.search(doc.text[span[0] : span[1]].lower()):
            yield Skipped(doc.doc_id, "KILL=0 sentence mentions a death or injury")
        elif len(doc.text[span[0] : span[1]].split()) < MIN_WORDS:
            yield Skipped(doc.doc_id, f"fragment of fewer than {MIN_WORDS} words")
        else:
            yield sentence_record(doc, span, [], (), KNOWN_LABELS)
