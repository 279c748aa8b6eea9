"""Readers for the public corpora the project converts, annotates or evaluates on.

Each corpus has one module here exposing ``iter_documents(data_dir)``, which yields
:class:`SourceDocument` objects read from the corpus folder under ``data_dir`` (the user's
download, e.g. ``../shared/data``). Nothing third-party is stored in the repository: the readers
only know the file layout. :data:`SOURCES` registers each reader with its licence and whether it
may train the shipped default model (``permissive``).

``doc_id`` is stable and unique within a source: a path relative to the corpus folder, a row id, a
tweet id. Where a corpus repeats an id, later occurrences get ``~2``, ``~3``... in file order (and
``meta["id_occurrence"]``), so no document is dropped and none shares an id.

>>> sorted(SOURCES)[:3]
['case2021_task2', 'conflibert', 'crisislext26']
>>> [n for n, info in SOURCES.items() if info.permissive]
['re3d', 'wcep_sep2015', 'disaster_response_messages', 'crisislext26', 'geneva', 'plover_gsr']
>>> doc = SourceDocument("re3d", "CENTCOM/1", "Two villages were taken.", "public domain", True)
>>> SourceDocument.from_dict(doc.to_dict()) == doc
True
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A corpus that is missing or does not have the expected layout; names the path."""


@dataclass(frozen=True)
class SourceDocument:
    """One document of a public corpus, as its reader found it (text unchanged)."""

    source: str
    doc_id: str
    text: str
    licence: str
    permissive: bool  # may train the shipped default model
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "doc_id": self.doc_id,
            "text": self.text,
            "licence": self.licence,
            "permissive": self.permissive,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceDocument:
        return cls(
            source=data["source"],
            doc_id=data["doc_id"],
            text=data["text"],
            licence=data["licence"],
            permissive=bool(data["permissive"]),
            meta=dict(data.get("meta") or {}),
        )


@dataclass(frozen=True)
class SourceInfo:
    """A registered corpus: where its reader lives and under which terms its text is."""

    name: str
    module: str
    folder: str  # the corpus folder under --data-dir
    licence: str
    permissive: bool
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "folder": self.folder,
            "licence": self.licence,
            "permissive": self.permissive,
            "description": self.description,
        }


_NONE_STATED = "none stated; research use only, do not redistribute"

SOURCES: dict[str, SourceInfo] = {
    info.name: info
    for info in (
        SourceInfo(
            "re3d",
            "re3d",
            "re3d",
            "per publisher: CC BY 3.0 AU, OGL v3, public domain, EU legal notice, CC BY-SA 3.0; "
            "BBC Online part CC BY-NC 3.0 (not permissive)",
            True,
            "98 Syria/Iraq conflict documents from 7 publishers",
        ),
        SourceInfo(
            "wcep_sep2015",
            "wcep_sep2015",
            "wcep_sep2015",
            "CC BY-SA 3.0 (Wikipedia Current Events Portal)",
            True,
            "428 one-sentence Wikipedia Current Events summaries, September 2015",
        ),
        SourceInfo(
            "disaster_response_messages",
            "disaster_response_messages",
            "disaster_response_messages",
            "CC BY 4.0",
            True,
            "4,734 disaster-response messages (English translation), test + validation splits",
        ),
        SourceInfo(
            "crisislext26",
            "crisislext26",
            "crisislext26",
            "MIT (tweet text also under Twitter's terms)",
            True,
            "27,933 labelled tweets from 26 crises",
        ),
        SourceInfo(
            "internal-displacement",
            "internal_displacement",
            "internal-displacement",
            f"{_NONE_STATED} (IDMC / UN Unite Ideas challenge data)",
            False,
            "IDETECT test excerpts (312) and IDMC fully-labelled excerpts (133)",
        ),
        SourceInfo(
            "humset_quantity_isi",
            "humset_quantity_isi",
            "humset_quantity_isi",
            f"{_NONE_STATED} (HumSet chunks, access on request)",
            False,
            "780 HumSet text chunks with quantity annotations",
        ),
        SourceInfo(
            "case2021_task2",
            "case2021_task2",
            "case2021_task2",
            _NONE_STATED,
            False,
            "1,019 CASE 2021 task 2 event snippets with 30 subtypes",
        ),
        SourceInfo(
            "fakes_syria",
            "fakes_syria",
            "fakes_syria",
            _NONE_STATED,
            False,
            "804 FA-KES Syrian-war articles with crowd-coded casualty counts",
        ),
        SourceInfo(
            "indiapoliceevents",
            "indiapoliceevents",
            "indiapoliceevents",
            f"{_NONE_STATED} (Times of India text)",
            False,
            "1,257 Times of India documents (21,391 labelled sentences)",
        ),
        SourceInfo(
            "conflibert",
            "conflibert",
            "conflibert",
            "data copyrights stay with the original sources (repo GPL-3.0); research use only",
            False,
            "SATP incident summaries (1,550) and MUC-4 documents (1,700)",
        ),
        SourceInfo(
            "humset_toponym_texts",
            "humset_toponym_texts",
            "humset_toponym_texts",
            f"{_NONE_STATED} (HumSet-derived)",
            False,
            "467 humanitarian report documents",
        ),
        SourceInfo(
            "geneva",
            "geneva",
            "geneva",
            "CC BY 3.0 (FrameNet data; cite FrameNet, Baker et al. 1998)",
            True,
            "3,679 FrameNet full-text sentences with frame events (GENEVA)",
        ),
        SourceInfo(
            "plover_gsr",
            "plover_gsr",
            "plover_gsr",
            "CC BY-SA 4.0 (Open Event Data Alliance)",
            True,
            "322 edited real news sentences coded in PLOVER",
        ),
        SourceInfo(
            "wikievents",
            "wikievents",
            "wikievents",
            "news text, copyright with the publishers (repository MIT); research use, "
            "evaluation only",
            False,
            "40 WikiEvents dev + test news documents (870 sentences), all held out",
        ),
    )
}


def get_source(name: str) -> SourceInfo:
    """The registered corpus called ``name``; a clear error listing the known ones otherwise."""
    try:
        return SOURCES[name]
    except KeyError:
        raise SourceError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None


def iter_documents(name: str, data_dir: str | Path) -> Iterator[SourceDocument]:
    """The documents of corpus ``name`` read from ``data_dir`` (its reader imported on demand)."""
    info = get_source(name)
    module = importlib.import_module(f"{__name__}.{info.module}")
    return module.iter_documents(Path(data_dir))


def source_folder(data_dir: str | Path, name: str) -> Path:
    """The folder of corpus ``name`` under ``data_dir``; :class:`SourceError` when absent."""
    folder = Path(data_dir) / get_source(name).folder
    if not folder.is_dir():
        raise SourceError(
            f"{folder}: not found; --data-dir must hold the {name!r} corpus folder "
            f"(see the data README for where it comes from)"
        )
    return folder


def require_file(path: Path) -> Path:
    """``path`` itself, or a :class:`SourceError` naming it when it is not a file."""
    if not path.is_file():
        raise SourceError(f"{path}: expected file not found")
    return path


def whole_text(text: str) -> dict[str, int]:
    """The one sentence span of a record that is a sentence already (GENEVA, PLOVER), without
    surrounding whitespace, as ``meta["sentences"]`` holds it: the splitter does not cut it.

    >>> whole_text(" Two fled . ")
    {'start': 1, 'end': 11}
    """
    start = len(text) - len(text.lstrip())
    return {"start": start, "end": max(start, len(text.rstrip()))}


def unique_ids(docs: Iterable[SourceDocument]) -> Iterator[SourceDocument]:
    """Suffix repeated doc ids with ``~2``, ``~3``... in order, so every document is kept.

    >>> d = SourceDocument("s", "7", "a", "x", False)
    >>> [x.doc_id for x in unique_ids([d, d, replace(d, doc_id="8"), d])]
    ['7', '7~2', '8', '7~3']
    """
    seen: Counter[str] = Counter()
    for doc in docs:
        seen[doc.doc_id] += 1
        n = seen[doc.doc_id]
        if n == 1:
            yield doc
        else:
            meta = {**doc.meta, "id_occurrence": n}
            yield replace(doc, doc_id=f"{doc.doc_id}~{n}", meta=meta)


__all__ = [
    "SOURCES",
    "SourceDocument",
    "SourceError",
    "SourceInfo",
    "get_source",
    "iter_documents",
    "require_file",
    "source_folder",
    "unique_ids",
    "whole_text",
]


def read_json(path: Path) -> Any:
    """The JSON document at ``path`` (which must exist); malformed JSON names the file and line."""
    import json

    path = require_file(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}") from None


def read_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line, object)`` per line of a JSONL file (one reader for every JSONL in the project:
    :class:`~conflict_events.training.records.JsonLines`); the first bad line is an error.
    """
    from conflict_events.inference.jsonl import JsonLines

    lines = JsonLines(require_file(path))
    for item in lines:
        if lines.problems:
            break
        yield item
    if lines.problems:
        raise SourceError(str(lines.problems[0]))


def document(
    source: str,
    doc_id: str,
    text: str,
    meta: dict[str, Any] | None = None,
    licence: str | None = None,
    permissive: bool | None = None,
) -> SourceDocument:
    """A document of a registered source, its licence and permissiveness from :data:`SOURCES`
    (``licence``/``permissive`` override them where a corpus licenses documents one by one).
    """
    info = SOURCES[source]
    return SourceDocument(
        source,
        doc_id,
        text,
        info.licence if licence is None else licence,
        info.permissive if permissive is None else permissive,
        dict(meta or {}),
    )
