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
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    work = tag_documents_safely if executor is None else _tag_lean
    for item, result in run_chunks(items, tagger, work, executor, max_docs, max_chars, max_pending):
        if isinstance(item, BadRecord):
            yield Tagged(None, error=item)
        elif isinstance(result, str):
            yield Tagged(item, error=BadRecord(item.file, item.line, result))
        else:
            if executor is not None:
                result = replace(result, text=item.text)
            yield Tagged(item, result)


def run_chunks(
    items: Iterable[Document | BadRecord],
    tagger: Any,
    work: Callable[[Any, list[Document]], list[Any]],
    executor: Executor | None = None,
    max_docs: int = CHUNK_DOCUMENTS,
    max_chars: int = CHUNK_CHARS,
    max_pending: int | None = None,
) -> Iterator[tuple[Document | BadRecord, Any]]:
    """The engine under :func:`tag_records`: each item with ``work(tagger, documents)``'s result
    for it (None for a bad record), in input order.

    ``work`` returns one result per document; with an executor it must be picklable (a module
    function, or a ``functools.partial`` of one) and runs in the workers, so what it returns is
    all that crosses the process boundary (the ``tag`` command formats output bytes there).
    """
    if executor is None:
        local = _local_tagger(tagger)
        for chunk in chunks(items, max_docs, max_chars):
            docs = _documents(chunk)
            yield from _pair(chunk, work(local(), docs) if docs else [])
        return
    spec = _spec_of(tagger)
    limit = max_pending or 2 * int(getattr(executor, "_max_workers", 1) or 1)
    pending: deque = deque()
    try:
        for chunk in chunks(items, max_docs, max_chars):
            docs = _documents(chunk)
            future = executor.submit(_in_worker, spec, work, docs) if docs else None
            pending.append((chunk, future))
            while len(pending) >= limit:
                done, future = pending.popleft()
                yield from _pair(done, future.result() if future is not None else [])
        while pending:
            done, future = pending.popleft()
            yield from _pair(done, future.result() if future is not None else [])
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


def _pair(chunk: Sequence[Document | BadRecord], results: Sequence[Any]) -> Iterator[tuple]:
    """The chunk's items with their results (one result per document, in order)."""
    found = iter(results)
    for item in chunk:
        yield item, (None if isinstance(item, BadRecord) else next(found))


def _local_tagger(tagger: Any) -> Callable[[], Any]:
    loaded: list[Any] = []

    def get() -> Any:
        if not loaded:  # loaded on first use, so a stream of bad records needs no model
            loaded.append(tagger.load() if hasattr(tagger, "load") else tagger)
        return loaded[0]

    return get


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


def _in_worker(spec: Any, work: Callable[[Any, list[Document]], list[Any]], docs: list[Document]):
    """In a worker: ``work`` with the spec's tagger, built on first use and kept."""
    if spec not in _WORKER_TAGGERS:
        _WORKER_TAGGERS[spec] = spec.load()
    return work(_WORKER_TAGGERS[spec], docs)


def _tag_lean(tagger: Any, docs: list[Document]) -> list[DocumentResult | str]:
    """:func:`tag_documents_safely` without the texts in the results: the caller has them, and
    leaving them out halves what crosses the process boundary."""
    results = tag_documents_safely(tagger, docs)
    return [r if isinstance(r, str) else replace(r, text="") for r in results]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
