"""The tagging runner: documents (and bad records) in, results (or errors) out, in input order.

:func:`tag_records` is what every engine shares. It cuts the stream into chunks (at most
:data:`CHUNK_DOCUMENTS` documents or :data:`CHUNK_CHARS` characters), tags each chunk with one
call (sentences of neighbouring documents share model batches), and yields one :class:`Tagged`
per input item, in input order, holding a bounded number of chunks. A chunk that fails is tagged
again one document at a time, so one bad document fails alone.

The caller chooses where the work runs:

- ``executor=None``: in this process, with ``tagger`` (an :class:`EventTagger` or a
  :class:`TaggerSpec`);
- any ``concurrent.futures`` executor, e.g. :func:`process_pool`: each worker builds its own
  tagger from the spec once and keeps it (an ONNX Runtime session cannot be pickled).

>>> from conflict_events.inference.archive import BadRecord
>>> [t.error.reason for t in tag_records([BadRecord("a.jsonl", 3, "malformed JSON")], tagger=None)]
['malformed JSON']
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from conflict_events.inference.archive import BadRecord, Document
from conflict_events.inference.results import DocumentResult

CHUNK_DOCUMENTS = 64  # a chunk of work: at most this many documents ...
CHUNK_CHARS = 50_000  # ... or this many characters (one longer document is a chunk by itself)


@dataclass(frozen=True)
class Tagged:
    """One input item's outcome: the document and its result, or where and why it failed."""

    document: Document | None
    result: DocumentResult | None = None
    error: BadRecord | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def chunks(
    items: Iterable[Document | BadRecord],
    max_docs: int = CHUNK_DOCUMENTS,
    max_chars: int = CHUNK_CHARS,
) -> Iterator[list[Document | BadRecord]]:
    """Consecutive runs of items, each at most ``max_docs`` documents or ``max_chars`` of text.

    >>> docs = [Document(str(i), "x" * 30, "f") for i in range(5)]
    >>> [len(c) for c in chunks(docs, max_docs=2)], [len(c) for c in chunks(docs, max_chars=70)]
    ([2, 2, 1], [2, 2, 1])
    """
    chunk: list[Document | BadRecord] = []
    docs = chars = 0
    for item in items:
        size = len(item.text) if isinstance(item, Document) else 0
        if docs and (docs >= max_docs or chars + size > max_chars):
            yield chunk
            chunk, docs, chars = [], 0, 0
        chunk.append(item)
        if isinstance(item, Document):
            docs += 1
            chars += size
    if chunk:
        yield chunk


def tag_documents_safely(tagger: Any, docs: Sequence[Document]) -> list[DocumentResult | str]:
    """Each document's result, or the reason it failed; a failing chunk is retried one by one."""
    try:
        return list(tagger.iter_tag_documents(d.to_pair() for d in docs))
    except Exception as exc:  # noqa: BLE001 - reported as a failed record; the job goes on
        if len(docs) > 1:
            return [r for doc in docs for r in tag_documents_safely(tagger, [doc])]
        return [f"tagging failed: {type(exc).__name__}: {exc}"]


def tag_records(
    items: Iterable[Document | BadRecord],
    tagger: Any,
    executor: Executor | None = None,
    max_docs: int = CHUNK_DOCUMENTS,
    max_chars: int = CHUNK_CHARS,
    max_pending: int | None = None,
) -> Iterator[Tagged]:
    """One :class:`Tagged` per item, in input order; a :class:`BadRecord` comes back as an error.

    ``tagger``: an :class:`EventTagger`, or a :class:`TaggerSpec` (built here on first use, or in
    each worker with ``executor``). ``max_pending``: chunks in flight with an executor (default:
    twice its workers), which bounds memory.
    """
    if executor is None:
        local = _local_tagger(tagger)
        for chunk in chunks(items, max_docs, max_chars):
            yield from _merge(chunk, local(_documents(chunk)))
        return
    spec = _spec_of(tagger)
    limit = max_pending or 2 * int(getattr(executor, "_max_workers", 1) or 1)
    pending: deque = deque()
    try:
        for chunk in chunks(items, max_docs, max_chars):
            docs = _documents(chunk)
            future = executor.submit(_tag_in_worker, spec, docs) if docs else None
            pending.append((chunk, future))
            while len(pending) >= limit:
                done, future = pending.popleft()
                yield from _merge(done, _restore(done, future))
        while pending:
            done, future = pending.popleft()
            yield from _merge(done, _restore(done, future))
    finally:
        for _, future in pending:  # stopped early: drop work not yet started
            if future is not None:
                future.cancel()


def process_pool(workers: int) -> Executor:
    """A pool of ``workers`` fresh processes (spawned: no runtime threads inherited by fork)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
    )


# -- helpers --------------------------------------------------------------------------------------


def _documents(chunk: Sequence[Document | BadRecord]) -> list[Document]:
    return [item for item in chunk if isinstance(item, Document)]


def _merge(
    chunk: Sequence[Document | BadRecord], results: Sequence[DocumentResult | str]
) -> Iterator[Tagged]:
    """The chunk's items with their results (results hold one entry per document, in order)."""
    found = iter(results)
    for item in chunk:
        if isinstance(item, BadRecord):
            yield Tagged(None, error=item)
            continue
        result = next(found)
        if isinstance(result, str):
            yield Tagged(item, error=BadRecord(item.file, item.line, result))
        else:
            yield Tagged(item, result)


def _local_tagger(tagger: Any):
    loaded: list[Any] = []

    def run(docs: list[Document]) -> list[DocumentResult | str]:
        if not docs:
            return []
        if not loaded:  # loaded on first use, so a stream of bad records needs no model
            loaded.append(tagger.load() if hasattr(tagger, "load") else tagger)
        return tag_documents_safely(loaded[0], docs)

    return run


def _spec_of(tagger: Any) -> Any:
    if hasattr(tagger, "load"):
        return tagger
    spec = getattr(tagger, "spec", None)
    if spec is None:
        raise TypeError(
            "an executor needs a TaggerSpec (or a tagger made by EventTagger.from_pretrained "
            "with picklable options) so each worker can build its own tagger"
        )
    return spec


_WORKER_TAGGERS: dict[Any, Any] = {}


def _tag_in_worker(spec: Any, docs: list[Document]) -> list[DocumentResult | str]:
    """In a worker: tag with the spec's tagger, built once. Texts are not sent back (the caller
    has them), which halves what crosses the process boundary."""
    if spec not in _WORKER_TAGGERS:
        _WORKER_TAGGERS[spec] = spec.load()
    results = tag_documents_safely(_WORKER_TAGGERS[spec], docs)
    return [r if isinstance(r, str) else replace(r, text="") for r in results]


def _restore(chunk: Sequence[Document | BadRecord], future: Any) -> list[DocumentResult | str]:
    if future is None:
        return []
    results = future.result()
    return [
        r if isinstance(r, str) else replace(r, text=doc.text)
        for doc, r in zip(_documents(chunk), results, strict=True)
    ]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
