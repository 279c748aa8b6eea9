"""PDF situation reports: text page by page (pypdf; the ``[formats]`` extra), repaired for splitting.

PDF text comes out as printed lines: words hyphenated at a line end ("dis-" / "placed") and
sentences wrapped across lines and pages. :func:`repair_lines` joins them back before the
sentence splitter sees the text: a hyphen between two letters at a line end is removed and the
word joined, any other single line break becomes a space, and a blank line stays a paragraph break.
Pages are joined the same way: a page that ends mid-sentence runs on into the next.

One PDF is one document (id: the path); ``meta["pages"]`` holds the offset where each page's text
starts, so a figure can be cited by page. A file pypdf cannot open is a bad record; so is a page
whose text cannot be extracted (``line`` = the page number; the other pages are still read), and a
PDF with no text layer at all (a scan: run OCR first).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from conflict_events.inference.archive import BadRecord, Document, _check_text

SUFFIXES = (".pdf",)
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?=([^\W\d_]))")
_LINE_BREAK = re.compile(r"[ \t]*(?<!\n)\n(?!\n)[ \t]*")
_PARAGRAPHS = re.compile(r"\n[ \t]*(\n[ \t]*)+")
_SENTENCE_END = (".", "!", "?", ":", '"', "\u201d", ")")


def repair_lines(text: str) -> str:
    """Undo a PDF's line layout: hyphenation and wraps joined, paragraph breaks kept.

    >>> repair_lines("At least 25,000 were dis-\\nplaced in the\\nnorth.\\n\\nA new  paragraph.")
    'At least 25,000 were displaced in the north.\\n\\nA new  paragraph.'
    >>> repair_lines("a cease-\\nfire in Gaza-\\nCity")
    'a ceasefire in Gaza-City'
    """
    text = _PARAGRAPHS.sub("\n\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    # "dis-/placed" is one word; "Gaza-/City" keeps its hyphen (a capital starts a new word).
    text = _HYPHENATED.sub(lambda m: "" if m.group(1).islower() else "-", text)
    return _LINE_BREAK.sub(" ", text).strip()


def read_pdf(name: str, stream: BinaryIO, options: Any = None) -> Iterator[Document | BadRecord]:
    """One PDF: one document of its repaired page texts, with a bad record per unreadable page."""
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings become our bad records
    try:
        reader = pypdf.PdfReader(io.BytesIO(stream.read()))
        pages = list(reader.pages)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a broken file
        yield BadRecord(name, None, f"unreadable PDF: {type(exc).__name__}: {exc}")
        return
    text = ""
    starts: list[int] = []
    for number, page in enumerate(pages, 1):
        try:
            page_text = repair_lines(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001
            yield BadRecord(name, number, f"unreadable PDF page: {type(exc).__name__}: {exc}")
            page_text = ""
        if text and page_text:
            text += "\n\n" if text.endswith(_SENTENCE_END) else " "
        starts.append(len(text))
        text += page_text
    if not text.strip():
        yield BadRecord(name, None, f"PDF with no text layer ({len(pages)} pages; a scan? OCR it)")
        return
    record = _check_text(name, None, name, text)
    if isinstance(record, Document):
        record = Document(record.id, record.text, name, None, {"pages": starts})
    yield record
