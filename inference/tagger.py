"""EventTagger: sentences and documents in, typed results out, on ONNX Runtime or PyTorch.

Documents are split into sentences, and a sentence longer than ``max_sentence_chars`` characters
or ``max_sentence_tokens`` tokens is cut into pieces (at a clause break or a space when there is
one); the document result says so in its ``warnings``. A document is tagged ``chunk_sentences``
sentences at a time (:meth:`EventTagger.iter_sentences`), so a 50 MB document needs no more model
memory than a short one.

>>> tagger = EventTagger.from_pretrained()  # doctest: +SKIP
>>> tagger.tag(["Some 15 villages were captured by regime forces."])[0].labels  # doctest: +SKIP
('territorial-change',)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from conflict_events.inference.decoding import (
    bio_spans,
    decide_events,
    sigmoid,
    softmax,
    spans_to_numbers,
)
from conflict_events.inference.model_folder import (
    ONNX_INT8_NAME,
    ONNX_NAME,
    WEIGHTS_NAME,
    ModelConfig,
    ModelFolderError,
    check_output_widths,
    default_model_dir,
    local_folder,
    safetensors_head_widths,
)
from conflict_events.inference.predictor import EVENTS, NUMBERS, SCORES
from conflict_events.inference.results import DocumentResult, NumberMention, SentenceResult
from conflict_events.inference.splitter import SentenceSpan, cap_span, split_sentences
from conflict_events.inference.tokenization import Window, WindowEncoder


class Backend(Protocol):
    """A runtime: ``(input_ids, attention_mask)`` → ``(event_logits (B, E), tag_logits (B, T, K))``."""

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]: ...


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxBackend:
    """Runs an exported model file with onnxruntime (thread-safe: one session, many callers).

    ``threads`` is always set on the session: ONNX Runtime otherwise sizes its pool from the
    host's cores, ignoring CPU affinity and container limits, and oversubscribes a shared machine.
    ``providers`` and ``session_options`` (an ``onnxruntime.SessionOptions`` or a dict of its
    attributes) pass through, so a user with a GPU can ask for ``["CUDAExecutionProvider",
    "CPUExecutionProvider"]``.
    """

    def __init__(
        self,
        path: str | Path,
        threads: int | None = None,
        providers: Sequence[Any] | None = None,
        session_options: Any = None,
    ) -> None:
        import onnxruntime as ort

        if isinstance(session_options, ort.SessionOptions):
            options = session_options
        else:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            for name, value in (session_options or {}).items():
                if not hasattr(options, name):
                    raise ValueError(f"onnxruntime.SessionOptions has no attribute {name!r}")
                setattr(options, name, value)
        if threads or not options.intra_op_num_threads:
            options.intra_op_num_threads = threads or available_cpus()
            options.inter_op_num_threads = 1
        self.path = Path(path)
        self.threads = options.intra_op_num_threads
        self.session = ort.InferenceSession(
            str(path), options, providers=list(providers or ["CPUExecutionProvider"])
        )

    def output_widths(self) -> tuple[int | None, int | None]:
        """The last dimension of ``event_logits`` and ``tag_logits`` (None when symbolic)."""
        shapes = {o.name: o.shape for o in self.session.get_outputs()}
        return tuple(  # type: ignore[return-value]
            shapes[name][-1] if name in shapes and isinstance(shapes[name][-1], int) else None
            for name in ("event_logits", "tag_logits")
        )

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        events, tags = self.session.run(
            ["event_logits", "tag_logits"],
            {"input_ids": input_ids, "attention_mask": attention_mask},
        )
        return events, tags


def _check_sentences(sentences: Sequence[str]) -> list[str]:
    if isinstance(sentences, str):
        raise TypeError("tag() takes a list of sentences; wrap a single sentence in a list")
    out = []
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"sentence {i} is {type(s).__name__}, not str")
        out.append(s)
    return out


@dataclass(frozen=True)
class TaggerSpec:
    """How to build an :class:`EventTagger`: picklable, so each worker process, Ray actor or Spark
    executor builds its own (an ONNX Runtime session cannot be pickled).

    The fields are :meth:`EventTagger.from_pretrained`'s arguments; ``session_options`` is a
    tuple of ``(attribute, value)`` pairs so the spec stays hashable.

    >>> TaggerSpec("model/default", threads=1).with_threads(2).threads
    2
    """

    path: str | None = None
    backend: str = "auto"
    quantized: bool = True
    threads: int | None = None
    batch_size: int = 32
    providers: tuple[str, ...] | None = None
    session_options: tuple[tuple[str, Any], ...] = ()

    def load(self) -> EventTagger:
        return EventTagger.from_pretrained(
            self.path,
            backend=self.backend,
            quantized=self.quantized,
            threads=self.threads,
            batch_size=self.batch_size,
            providers=self.providers,
            session_options=dict(self.session_options) or None,
        )

    def with_threads(self, threads: int | None) -> TaggerSpec:
        return replace(self, threads=threads)


MAX_SENTENCE_CHARS = 2000  # a longer "sentence" (a table, an unpunctuated dump) is cut in pieces
MAX_SENTENCE_TOKENS = 512  # ... and so is one of more tokens (about 5 model windows)
CHUNK_SENTENCES = 512  # sentences per model pass over documents


class EventTagger:
    """Tags sentences and documents with event labels and role-tagged numbers.

    Build it with :meth:`from_pretrained`; ``tag`` (or calling the tagger) and
    ``tag_documents`` return one result per input, in input order. Safe to call from several
    threads. It follows :class:`~conflict_events.inference.predictor.Predictor`: it predicts
    events, numbers and scores.
    """

    predicts = frozenset({EVENTS, NUMBERS, SCORES})

    def __init__(
        self,
        config: ModelConfig,
        encoder: WindowEncoder,
        backend: Backend,
        batch_size: int = 32,
        path: Path | None = None,
        max_sentence_chars: int = MAX_SENTENCE_CHARS,
        max_sentence_tokens: int = MAX_SENTENCE_TOKENS,
    ) -> None:
        if max_sentence_chars < 1 or max_sentence_tokens < 1:
            raise ValueError("max_sentence_chars and max_sentence_tokens must be at least 1")
        self.config = config
        self.encoder = encoder
        self.backend = backend
        self.batch_size = batch_size
        self.path = path
        self.spec: TaggerSpec | None = None  # set by from_pretrained: how workers rebuild it
        self.max_sentence_chars = max_sentence_chars
        self.max_sentence_tokens = max_sentence_tokens
        self.name = "model"
        self.second_pass: EventTagger | None = None
        self.margin = 0.0

    def with_reconcile(self, reconcile: bool, name: str | None = None) -> EventTagger:
        """The same model (sharing its runtime) with the reconciliation rule switched on or off."""
        from dataclasses import replace

        other = EventTagger(
            replace(self.config, reconcile=reconcile),
            self.encoder,
            self.backend,
            self.batch_size,
            self.path,
            self.max_sentence_chars,
            self.max_sentence_tokens,
        )
        other.name = name or ("model+reconcile" if reconcile else "model")
        other.second_pass, other.margin = self.second_pass, self.margin
        return other

    def __call__(
        self, sentences: Sequence[str], reconcile: bool | None = None
    ) -> list[SentenceResult]:
        """``tagger([...])`` is :meth:`tag`: a list in, a list of the same length out (one return
        type whatever the input; a bare string is refused, as by :meth:`tag`)."""
        return self.tag(sentences, reconcile)

    def save_pretrained(self, folder: str | Path) -> Path:
        """Copy this model folder (config, tokenizer, weights, ``encoder/``, card) to ``folder``.

        Everything a tagger loads from is a file of its folder, so saving is a copy; the config
        is written from memory (thresholds or rules changed in code are kept).
        """
        import shutil

        if self.path is None:
            raise ValueError(
                "this tagger was not loaded from a folder; save its model with "
                "EventModel.save_pretrained (conflict_events.model.pretrained)"
            )
        folder = Path(folder)
        if folder.resolve() == Path(self.path).resolve():
            self.config.save(folder)
            return folder
        folder.mkdir(parents=True, exist_ok=True)
        for item in sorted(Path(self.path).iterdir()):
            if item.name == "checkpoint":  # optimizer state is not part of a model
                continue
            if item.is_dir():
                shutil.copytree(item, folder / item.name, dirs_exist_ok=True)
            else:
                shutil.copyfile(item, folder / item.name)
        self.config.save(folder)
        return folder

    def with_second_pass(self, tagger: EventTagger, margin: float = 0.15) -> EventTagger:
        """A cascade: this tagger first, ``tagger`` (a larger teacher) on the sentences it is unsure of.

        A sentence is unsure when any event probability lies within ``margin`` of its threshold;
        the second tagger's event probabilities, thresholds and rule then decide its events (its
        numbers stay this tagger's). Both must share one label schema. Returns a new tagger;
        this one is unchanged.
        """
        if tagger.labels != self.labels:
            raise ValueError(
                f"second pass labels {tagger.labels.to_dict()} differ from {self.labels.to_dict()}"
            )
        if not 0 < margin <= 0.5:
            raise ValueError(f"margin must be in (0, 0.5], not {margin}")
        cascade = EventTagger(
            self.config,
            self.encoder,
            self.backend,
            self.batch_size,
            self.path,
            self.max_sentence_chars,
            self.max_sentence_tokens,
        )
        cascade.second_pass, cascade.margin = tagger, margin
        return cascade

    def unsure(self, probs: np.ndarray) -> np.ndarray:
        """Rows of ``probs`` with an event probability within ``margin`` of its threshold."""
        thresholds = np.array(
            [self.config.thresholds.get(x, 0.5) for x in self.labels.event_labels],
            dtype=np.float32,
        )
        return (np.abs(probs - thresholds) < self.margin).any(axis=1)

    @property
    def labels(self):
        return self.config.labels

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path | None = None,
        backend: str = "auto",
        quantized: bool = True,
        threads: int | None = None,
        batch_size: int = 32,
        providers: Sequence[Any] | None = None,
        session_options: Any = None,
    ) -> EventTagger:
        """Load a model folder (``None``: the shipped default model).

        ``backend``: ``"onnx"`` (``model.int8.onnx`` when ``quantized``, else ``model.onnx``),
        ``"torch"`` (needs the ``[train]`` extra), or ``"auto"``: ONNX when the folder has an
        ONNX file, else PyTorch. ``threads``: ONNX Runtime intra-op threads (PyTorch: its
        process-wide thread count); ``None``: the CPUs this process may use. ``providers`` and
        ``session_options`` (an ``onnxruntime.SessionOptions``, or a dict of its attributes) go to
        ONNX Runtime as they are, e.g. ``providers=["CUDAExecutionProvider",
        "CPUExecutionProvider"]``. ``batch_size``:
        windows per runtime call, grouped by length. Results do not depend on it, except that
        int8 scores move by ~1e-3 with the batch (activations are quantised per batch).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        folder = default_model_dir() if path is None else local_folder(path)
        config = ModelConfig.load(folder)
        encoder = WindowEncoder.from_folder(folder, config.max_length, config.window_stride)
        onnx_files = [folder / ONNX_INT8_NAME, folder / ONNX_NAME]
        if not quantized:
            onnx_files.reverse()
        onnx_file = next((f for f in onnx_files if f.is_file()), None)
        if backend == "auto":
            backend = "onnx" if onnx_file is not None else "torch"
        if backend == "onnx":
            if onnx_file is None:
                raise ModelFolderError(
                    f"{folder}: no ONNX file; run `conflict-events export --model {folder}`"
                )
            onnx_runtime = OnnxBackend(onnx_file, threads, providers, session_options)
            check_output_widths(folder, config, onnx_file.name, *onnx_runtime.output_widths())
            runtime: Backend = onnx_runtime
        elif backend == "torch":
            if providers is not None or session_options is not None:
                raise ValueError("providers and session_options are for the ONNX backend")
            if not (folder / WEIGHTS_NAME).is_file():
                raise ModelFolderError(f"{folder}: no {WEIGHTS_NAME} and no ONNX file")
            widths = safetensors_head_widths(folder / WEIGHTS_NAME)
            check_output_widths(folder, config, WEIGHTS_NAME, *widths)
            try:
                from conflict_events.model.torch_backend import TorchBackend
            except ImportError as exc:
                raise ModelFolderError(
                    f"the PyTorch backend needs the [train] extra ({exc}); "
                    "export the model to ONNX or pip install 'conflict-events[train]'"
                ) from None
            runtime = TorchBackend.from_folder(folder, config, threads)
        else:
            raise ValueError(f"backend must be 'auto', 'onnx' or 'torch', not {backend!r}")
        tagger = cls(config, encoder, runtime, batch_size=batch_size, path=folder)
        if session_options is None or isinstance(session_options, dict):
            tagger.spec = TaggerSpec(
                None if path is None else str(path),
                backend,
                quantized,
                threads,
                batch_size,
                None if providers is None else tuple(providers),
                tuple(sorted((session_options or {}).items())),
            )
        return tagger

    # -- sentences -------------------------------------------------------------------------

    def predict_windows(
        self, windows: Sequence[Window]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Event probabilities and tag probabilities for each window, in input order.

        Windows are run in batches of similar length, so little compute goes to padding.
        """
        event_probs: list[np.ndarray] = [np.empty(0)] * len(windows)
        tag_probs: list[np.ndarray] = [np.empty(0)] * len(windows)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        for begin in range(0, len(order), self.batch_size):
            batch = order[begin : begin + self.batch_size]
            input_ids, attention_mask = self.encoder.pad([windows[i] for i in batch])
            event_logits, tag_logits = self.backend(input_ids, attention_mask)
            events = sigmoid(np.asarray(event_logits, dtype=np.float32))
            tags = softmax(np.asarray(tag_logits, dtype=np.float32))
            for row, i in enumerate(batch):
                event_probs[i] = events[row]
                tag_probs[i] = tags[row, : len(windows[i].ids)]
        return event_probs, tag_probs

    def predict(self, sentences: Sequence[str]) -> tuple[np.ndarray, list[list[NumberMention]]]:
        """Event-head probabilities ``(len(sentences), E)`` and each sentence's decoded numbers.

        The raw material of :meth:`tag` before thresholds and reconciliation; export parity
        checks compare runtimes on it.
        """
        sentences = _check_sentences(sentences)
        probs = np.zeros((len(sentences), len(self.config.labels.event_labels)), dtype=np.float32)
        numbers: list[list[NumberMention]] = [[] for _ in sentences]
        nonempty = [i for i, s in enumerate(sentences) if s.strip()]
        if not nonempty:
            return probs, numbers
        windows = self.encoder.encode([sentences[i] for i in nonempty])
        event_probs, tag_probs = self.predict_windows(windows)
        tags = self.config.labels.bio_tags
        spans: dict[int, list] = {}
        for w, window in enumerate(windows):
            index = nonempty[window.text_index]
            probs[index] = np.maximum(probs[index], event_probs[w])
            # Most windows hold no number at all: skip the per-token walk when every token is O.
            if tag_probs[w].argmax(axis=-1).any():
                spans.setdefault(index, []).extend(bio_spans(window.offsets, tag_probs[w], tags))
        for index, found in spans.items():
            kept = [s for s in found if s.score >= self.config.number_threshold]
            numbers[index] = spans_to_numbers(sentences[index], kept)
        return probs, numbers

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Event-head probabilities, shape ``(len(sentences), len(labels.event_labels))``."""
        sentences = _check_sentences(sentences)
        if not sentences:
            return np.zeros((0, len(self.config.labels.event_labels)), dtype=np.float32)
        windows = self.encoder.encode(sentences)
        event_probs, _ = self.predict_windows(windows)
        out = np.zeros((len(sentences), len(self.config.labels.event_labels)), dtype=np.float32)
        for w, window in enumerate(windows):
            out[window.text_index] = np.maximum(out[window.text_index], event_probs[w])
        return out

    def tag(self, sentences: Sequence[str], reconcile: bool | None = None) -> list[SentenceResult]:
        """Tag each sentence; offsets in each result are relative to that sentence.

        ``reconcile`` overrides the model's rule that a role-tagged number reports its event.

        >>> tagger.tag(["Three people were killed and two wounded."])[0].numbers[0].role  # doctest: +SKIP
        'killed'
        """
        sentences = _check_sentences(sentences)
        probs, numbers = self.predict(sentences)
        deciders = [self.config] * len(sentences)
        if self.second_pass is not None and len(sentences):
            unsure = [i for i in np.flatnonzero(self.unsure(probs)) if sentences[i].strip()]
            if unsure:
                second = self.second_pass
                # The teacher decides the events; the numbers stay the first tagger's, whose
                # number head learned from gold spans (a distilled student's is the better one).
                probs2 = second.predict_proba([sentences[i] for i in unsure])
                for k, i in enumerate(unsure):
                    probs[i], deciders[i] = probs2[k], second.config
        schema = self.config.labels
        results = []
        for text, p, found, config in zip(sentences, probs, numbers, deciders, strict=True):
            rule = config.reconcile if reconcile is None else reconcile
            # An empty or blank sentence reports nothing, whatever the head says about padding.
            events = (
                decide_events(p, found, schema, config.thresholds, rule) if text.strip() else []
            )
            results.append(SentenceResult(text, 0, len(text), tuple(events), tuple(found)))
        return results

    # -- documents ------------------------------------------------------------------------

    def tag_documents(self, documents: Iterable[str | tuple[str, str]]) -> list[DocumentResult]:
        """Split documents into sentences, tag them in shared batches, reassemble with document offsets.

        ``documents``: a list (or any iterable) of texts or ``(id, text)`` pairs; a bare string
        raises ``TypeError`` (wrap one document in a list).
        """
        return list(self.iter_tag_documents(documents))

    def iter_tag_documents(
        self, documents: Iterable[str | tuple[str, str]], chunk_sentences: int = CHUNK_SENTENCES
    ) -> Iterator[DocumentResult]:
        """Stream :class:`DocumentResult` objects in input order, holding a bounded number of sentences."""
        if isinstance(documents, (str, bytes)):
            raise TypeError(
                "tag_documents() takes a list of documents, not one "
                f"{type(documents).__name__}; wrap a single document in a list"
            )
        pending: list[tuple[str | None, str, list[SentenceSpan], tuple[str, ...]]] = []
        count = 0
        for item in documents:
            doc_id, text = (None, item) if isinstance(item, str) else item
            if not isinstance(text, str):
                raise TypeError(f"document {doc_id!r}: text is {type(text).__name__}, not str")
            spans, warnings = self.split_document(text)
            pending.append((doc_id, text, spans, warnings))
            count += len(spans)
            if count >= chunk_sentences:
                yield from self._tag_pending(pending, chunk_sentences)
                pending, count = [], 0
        if pending:
            yield from self._tag_pending(pending, chunk_sentences)

    def split_document(self, text: str) -> tuple[list[SentenceSpan], tuple[str, ...]]:
        """The document's sentences, over-long ones cut to the caps, and a warning per kind of cut."""
        spans = split_sentences(text)
        chars_cut = sum(1 for s in spans if s.end - s.start > self.max_sentence_chars)
        if chars_cut:
            spans = [p for s in spans for p in cap_span(text, s, self.max_sentence_chars)]
        spans, tokens_cut = self._cap_tokens(text, spans)
        warnings = []
        if chars_cut:
            warnings.append(
                f"{chars_cut} sentence(s) longer than {self.max_sentence_chars} characters "
                "were cut into pieces"
            )
        if tokens_cut:
            warnings.append(
                f"{tokens_cut} sentence(s) longer than {self.max_sentence_tokens} tokens "
                "were cut into pieces"
            )
        return spans, tuple(warnings)

    def _cap_tokens(self, text: str, spans: list[SentenceSpan]) -> tuple[list[SentenceSpan], int]:
        """Cut sentences of more than ``max_sentence_tokens`` tokens; how many were cut."""
        limit = self.max_sentence_tokens
        # A WordPiece token covers at least one character (a byte-level BPE token a quarter of
        # one), so only sentences longer than that many characters need tokenising here.
        wordpiece = type(self.encoder.tokenizer.model).__name__ == "WordPiece"
        longest = limit if wordpiece else limit // 4
        suspects = [i for i, s in enumerate(spans) if s.end - s.start > longest]
        if not suspects:
            return spans, 0
        cuts: dict[int, list[SentenceSpan]] = {}
        for i, encoding in self._encodings(text, spans, suspects):
            if len(encoding.ids) > limit:
                span = spans[i]
                pieces = []
                while True:
                    # Cut before the first token past the limit (as characters), then check the rest.
                    size = max(1, encoding.offsets[limit][0])
                    first, *rest = cap_span(text, span, size)
                    pieces.append(first)
                    if not rest:
                        break
                    span = SentenceSpan(rest[0].start, span.end)
                    encoding = self.encoder.tokenizer.encode(
                        text[span.start : span.end], add_special_tokens=False
                    )
                    if len(encoding.ids) <= limit:
                        pieces.append(span)
                        break
                cuts[i] = pieces
        if not cuts:
            return spans, 0
        out = [p for i, s in enumerate(spans) for p in cuts.get(i, [s])]
        return out, len(cuts)

    def _encodings(
        self, text: str, spans: Sequence[SentenceSpan], which: Sequence[int]
    ) -> Iterator[tuple[int, object]]:
        """``(i, tokens of spans[i])`` for each index in ``which``, encoded a chunk at a time
        (all of a 50 MB document's encodings at once would take gigabytes)."""
        for begin in range(0, len(which), CHUNK_SENTENCES):
            chunk = which[begin : begin + CHUNK_SENTENCES]
            pieces = [text[spans[i].start : spans[i].end] for i in chunk]
            yield from zip(
                chunk, self.encoder.tokenizer.encode_batch(pieces, add_special_tokens=False)
            )

    def iter_sentences(
        self, text: str, spans: Sequence[SentenceSpan], chunk_sentences: int = CHUNK_SENTENCES
    ) -> Iterator[SentenceResult]:
        """Tag a document's sentences ``chunk_sentences`` at a time, with document offsets."""
        for begin in range(0, len(spans), chunk_sentences):
            piece = spans[begin : begin + chunk_sentences]
            tagged = self.tag([text[s.start : s.end] for s in piece])
            for span, r in zip(piece, tagged, strict=True):
                yield SentenceResult(
                    r.text,
                    span.start,
                    span.end,
                    r.events,
                    tuple(n.shifted(span.start) for n in r.numbers),
                )

    def _tag_pending(
        self,
        pending: list[tuple[str | None, str, list[SentenceSpan], tuple[str, ...]]],
        chunk_sentences: int,
    ) -> Iterator[DocumentResult]:
        from conflict_events.inference.summary import summarize

        if len(pending) == 1:  # one document (perhaps a very long one): in chunks of sentences
            doc_id, text, spans, warnings = pending[0]
            sentences = list(self.iter_sentences(text, spans, chunk_sentences))
            yield DocumentResult(doc_id, text, tuple(sentences), summarize(sentences), warnings)
            return
        flat = [text[s.start : s.end] for _, text, spans, _ in pending for s in spans]
        tagged = iter(self.tag(flat))
        for doc_id, text, spans, warnings in pending:
            sentences = []
            for span in spans:
                r = next(tagged)
                sentences.append(
                    SentenceResult(
                        r.text,
                        span.start,
                        span.end,
                        r.events,
                        tuple(n.shifted(span.start) for n in r.numbers),
                    )
                )
            yield DocumentResult(doc_id, text, tuple(sentences), summarize(sentences), warnings)
