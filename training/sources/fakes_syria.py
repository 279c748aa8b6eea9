"""FA-KES (fakenewssyria): 804 Syrian-war news articles with crowd-coded casualty counts.

Layout: ``fakes_syria/input/fakes.csv`` (UTF-8 with a few stray Windows-1252 bytes). doc_id: the
``unit_id`` column; 12 unit ids repeat (the same article coded more than once), later rows get
``~2``... ``meta`` keeps the title, date, location, actor, cause of death, the counts
(``nb_civilians``, ``nb_noncivilians``, ``nb_children``, ``nb_women``, as text) and ``label``
(1 credible, 0 fake, per the corpus).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.records import Record
from conflict_events.training.sources import SourceDocument, document, source_folder, unique_ids
from conflict_events.training.sources.mapping import (
    Skipped,
    Span,
    counts_in,
    matches,
    parse_number,
    sentence_of,
    sentence_record,
    span_of,
)
from conflict_events.training.sources.tables import read_csv_rows

NAME = "fakes_syria"
FILE = "input/fakes.csv"
META_COLUMNS = (
    "article_title",
    "source",
    "date",
    "location",
    "actor",
    "cause_of_death",
    "nb_children",
    "nb_civilians",
    "nb_noncivilians",
    "nb_women",
    "label",
)


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every article with text, in file order."""
    return unique_ids(_read(source_folder(data_dir, NAME) / FILE))


def _read(path: Path) -> Iterator[SourceDocument]:
    for line, row in read_csv_rows(path):
        assert isinstance(row, dict)
        if not row["article_content"].strip():
            continue
        yield document(
            NAME,
            doc_id=row["unit_id"].strip(),
            text=row["article_content"],
            meta={"line": line, **{c: row[c] for c in META_COLUMNS}},
        )


# --- conversion ------------------------------------------------------------------------------

COUNT_COLUMNS = ("nb_civilians", "nb_noncivilians", "nb_children", "nb_women")
KNOWN_LABELS = ("casualty", "killed")
_CUE = re.compile(
    r"\b(?:(?P<death>kill\w*|dead|died|deaths?|lives|slain|massacred|toll)|"
    r"(?P<injury>injur\w*|wound\w*|hurt))\b",
    re.IGNORECASE,
)


def _near_death_word(text: str, start: int, end: int) -> bool:
    """Whether the casualty word nearest to the number on either side is a death word: the
    first within 50 characters after it ("six people were killed"), or the last within 40
    before it ("killed at least six")."""
    after = next(_CUE.finditer(text[end : end + 50]), None)
    before = list(_CUE.finditer(text[max(0, start - 40) : start]))
    return (after is not None and after.group("death") is not None) or (
        bool(before) and before[-1].group("death") is not None
    )


def to_records(doc: SourceDocument) -> Iterator[Record | Skipped]:
    """Each sentence where one of the article's crowd-coded death counts (civilians,
    non-civilians, children, women) is written next to a death word: casualty, the count as
    killed. Other sentences are not labelled by the source and give no record."""
    counts = set()
    for column in COUNT_COLUMNS:
        value = parse_number(doc.meta.get(column, "") or "")
        if value:
            counts.add(value)
    if not counts:
        yield Skipped(doc.doc_id, "no casualty count")
        return
    by_sentence: dict[tuple[int, int], list[Span]] = {}
    located: set[float] = set()
    for number in counts_in(doc.text):
        hits = [c for c in counts if matches(number, c)]
        if not hits or not _near_death_word(doc.text, number.start, number.end):
            continue
        sentence = sentence_of(doc, number.start, number.end)
        if sentence is None:
            continue
        located.update(hits)
        by_sentence.setdefault(sentence, []).append(span_of(doc, number, "killed"))
    for _ in counts - located:
        yield Skipped(doc.doc_id, "count not found next to a death word")
    for sentence, numbers in sorted(by_sentence.items()):
        yield sentence_record(doc, sentence, ["casualty"], numbers, KNOWN_LABELS)
