"""HTML pages: the main text with boilerplate (menus, footers, adverts) removed, by trafilatura.

Needs the ``[formats]`` extra (trafilatura, htmldate). The page's own declared publication date
(its meta tags, structured data or URL, read by htmldate without guessing from the body) is kept
as ``meta["date"]`` and as the document's ``date`` (the tagged record's publication date); it
costs well under a millisecond a page against ~2 ms for the text.

A page from which no main text can be extracted (a script shell, an empty body) is a bad record:
it is reported, not tagged as an empty document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from conflict_events.inference.archive import BadRecord, Document, _check_text

SUFFIXES = (".html", ".htm", ".xhtml")


def html_document(
    data: bytes, name: str, doc_id: str, line: int | None = None, meta: dict[str, Any] | None = None
) -> Document | BadRecord:
    """The main text of one page (``data``: its bytes, any declared encoding) as a document."""
    import htmldate
    import trafilatura

    try:
        tree = trafilatura.load_html(data)
    except Exception as exc:  # noqa: BLE001 - a page lxml cannot parse is one bad record
        return BadRecord(name, line, f"unparseable HTML: {type(exc).__name__}: {exc}")
    if tree is None:
        return BadRecord(name, line, "unparseable HTML (no document tree)")
    date = htmldate.find_date(tree, extensive_search=False)  # before extract, which prunes the tree
    text = trafilatura.extract(tree, include_comments=False, include_tables=True)
    if not text or not text.strip():
        return BadRecord(name, line, "HTML page with no main text (boilerplate only, or empty)")
    record = _check_text(name, line, doc_id, text)
    if isinstance(record, Document):
        info = dict(meta or {})
        if date:
            info["date"] = date
        # The page's own date is its publication date: `events` anchors "yesterday" on it.
        record = Document(record.id, record.text, record.file, record.line, info or None, date)
    return record


def read_html(name: str, stream: BinaryIO, options: Any = None) -> Iterator[Document | BadRecord]:
    """One HTML file: one document, its id the path."""
    yield html_document(stream.read(), name, name)
