"""Sentence spans of a source document, for annotation candidates and sentence-level records.

The project splitter (:func:`conflict_events.inference.splitter.split_sentences`) decides, as it
does for the tagger; documents whose reader already gives sentence spans (``meta["sentences"]``,
IndiaPoliceEvents) keep those.

>>> text = "Gen. Smith said 40 people fled. U.S. forces left Hit.\\n\\nNo one was hurt"
>>> [text[s:e] for s, e in sentence_spans(text)]
['Gen. Smith said 40 people fled.', 'U.S. forces left Hit.', 'No one was hurt']
"""

from __future__ import annotations

from conflict_events.inference.splitter import split_sentences
from conflict_events.training.sources import SourceDocument


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, without surrounding whitespace."""
    return [(s.start, s.end) for s in split_sentences(text)]


def document_sentences(doc: SourceDocument) -> list[tuple[int, int]]:
    """The sentence spans of ``doc``: the reader's own when it has them, else split."""
    given = doc.meta.get("sentences")
    if given:
        return [(int(s["start"]), int(s["end"])) for s in given]
    return sentence_spans(doc.text)
