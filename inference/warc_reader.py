"""WARC and ARC web archives, streamed record by record (warcio; the ``[formats]`` extra).

Every HTTP ``response`` record (and ``resource`` record) whose payload is HTML goes through the
HTML reader (:mod:`conflict_events.inference.html_reader`); a ``text/plain`` payload is taken as
it is. The document id is the record's ``WARC-Target-URI``; ``line`` is the record's number in the
file (1-based, counting every record), and ``meta`` holds the URI, the capture date
(``WARC-Date``) and the record's byte offset, so a record can be found again.

Records that are not pages are passed over by design: requests, ``warcinfo``/``metadata``
records, revisits, non-2xx responses (redirects, errors) and payloads that are not text (images,
scripts, PDFs). Broken records are reported, each with the file and record number: a record cut
short (fewer bytes than its ``Content-Length``), bytes after the last whole record (a record whose
header was cut off), an HTML payload with no main text, and an archive warcio cannot read at all.
A gzip'd archive (``.warc.gz``, one gzip member per record) is read the same way.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from conflict_events.inference.archive import BadRecord, Document, _check_text
from conflict_events.inference.html_reader import html_document

SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
PAGE_RECORDS = ("response", "resource")
SNIFF_BYTES = 512
TRAILER_SLACK = 4  # an uncompressed WARC ends each record with CRLF CRLF, after its length


class _CountingReader:
    """A binary stream that counts the bytes read through it (the archive's size, as read),
    ``head`` (bytes already read from ``stream``) first."""

    def __init__(self, stream: BinaryIO, head: bytes = b"") -> None:
        self.stream = stream
        self.head = head
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data = self.head if size < 0 else self.head[:size]
            self.head = self.head[len(data) :]
            if size < 0 or len(data) < size:
                data += self.stream.read(-1 if size < 0 else size - len(data))
        else:
            data = self.stream.read(size)
        self.count += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        if self.head:
            cut = self.head.find(b"\n") + 1 or len(self.head)
            return self.read(cut if size < 0 else min(cut, size))
        data = self.stream.readline(size)
        self.count += len(data)
        return data


def read_warc(name: str, stream: BinaryIO, options: Any = None) -> Iterator[Document | BadRecord]:
    """Every page of one WARC/ARC archive, in file order, with a bad record for each broken one."""
    from warcio.archiveiterator import ArchiveIterator

    head = stream.read(SNIFF_BYTES)
    if not _is_archive(head):
        yield BadRecord(name, None, "not a WARC or ARC archive (no WARC/ARC header)")
        return
    counted = _CountingReader(stream, head)
    number = 0
    yielded = 0  # pages (documents or bad records) given back
    skipped: dict[str, int] = {}  # records that hold no page, by type, for the report below
    end = 0  # byte offset just after the last whole record
    try:
        records = ArchiveIterator(counted, arc2warc=True, check_digests=False)
        for record in records:
            number += 1
            kind = _page_kind(record)
            payload = record.content_stream().read() if kind else b""
            offset = records.get_record_offset()  # after the read: asking first consumes the record
            item = _page(name, number, offset, record, kind, payload) if kind else None
            records.read_to_end(record)
            if getattr(record.raw_stream, "limit", 0) > 0:
                yield BadRecord(
                    name,
                    number,
                    f"WARC record at byte offset {offset} is cut short "
                    f"({record.raw_stream.limit} bytes missing): truncated archive",
                )
                return
            end = offset + records.get_record_length()
            if item is not None:
                yielded += 1
                yield item
            else:
                rec_type = record.rec_type or "untyped"
                skipped[rec_type] = skipped.get(rec_type, 0) + 1
        counted.read()  # whatever warcio left unread counts towards the size
    except Exception as exc:  # noqa: BLE001 - warcio raises its own and zlib/OS errors
        yield BadRecord(name, number + 1, f"unreadable WARC record after byte offset {end}: {exc}")
        return
    if counted.count > end + TRAILER_SLACK:
        yield BadRecord(
            name,
            number + 1,
            f"{counted.count - end} bytes after the last whole record (byte offset {end}) "
            "are no complete WARC record: truncated archive",
        )
    elif number == 0:
        yield BadRecord(name, None, "no WARC record in the file")
    elif not yielded:  # else the archive would pass as an empty file
        kinds = ", ".join(f"{count} {rec_type}" for rec_type, count in sorted(skipped.items()))
        yield BadRecord(
            name, None, f"no HTML or plain-text page among its {number} WARC records ({kinds})"
        )


def _is_archive(head: bytes) -> bool:
    """Does the file start like a WARC (``WARC/``) or an ARC (``filedesc://``), gzip'd or not?
    warcio reads almost any text as ARC lines, so this is what tells an archive from other text."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return head.lstrip().startswith((b"WARC/", b"filedesc://"))


def _page_kind(record: Any) -> str | None:
    """``"html"`` or ``"text"`` for a record that holds a page, None for any other record."""
    if record.rec_type not in PAGE_RECORDS:
        return None
    content_type = record.rec_headers.get_header("Content-Type") or ""
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        if not status.startswith("2"):
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return "html"
    return "text" if kind == "text/plain" else None


def _page(
    name: str, number: int, offset: int, record: Any, kind: str, data: bytes
) -> Document | BadRecord:
    """The document a page record holds, or a bad record."""
    uri = record.rec_headers.get_header("WARC-Target-URI")
    if not uri:
        return BadRecord(name, number, f"WARC {record.rec_type} record has no WARC-Target-URI")
    meta = {"url": uri, "warc_date": record.rec_headers.get_header("WARC-Date"), "offset": offset}
    if kind == "html":
        return html_document(data, name, uri, number, meta)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadRecord(name, number, f"text/plain payload is not UTF-8 (byte {exc.start})")
    checked = _check_text(name, number, uri, text)
    if isinstance(checked, Document):
        return Document(checked.id, checked.text, name, number, meta)
    return checked
