"""EventTagger: order, offsets, windows, documents, threads, batching, and ONNX/PyTorch parity."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conflict_events.inference.model_folder import ONNX_NAME, ModelConfig
from conflict_events.inference.tagger import EventTagger
from conflict_events.inference.tokenization import WindowEncoder

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")

NUMBER_WORDS = {"two", "three", "five", "ten", "twelve"}
SENTENCES = [
    "Five people were killed in the town.",
    "",
    "At least 25,000 civilians have fled the town.",
    "Regime forces captured some 15 villages and three towns.",
    "   ",
    "Air strikes hit two hospitals and a school near the market.",
    "The army said the rebels were killed in 2011.",
    "Dozens of families fled after the air strike hit the bridge.",
    "Police arrested ten people.",
]


class ScriptedBackend:
    """A stand-in for a trained network, so offsets can be tested on known numbers.

    Number tokens (digits, their word pieces, a comma between digits, number words) are tagged
    ``killed``; a window holding one is a casualty. Records the shape of every batch it sees.
    """

    def __init__(self, tokenizer, config: ModelConfig) -> None:
        self.tokenizer = tokenizer
        self.tags = config.labels.bio_tags
        self.casualty = config.labels.event_labels.index("casualty")
        self.shapes: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, input_ids, attention_mask):
        with self.lock:
            self.shapes.append(input_ids.shape)
        batch, width = input_ids.shape
        events = np.full((batch, len(self.tags) and 4), -5.0, dtype=np.float32)
        tags = np.zeros((batch, width, len(self.tags)), dtype=np.float32)
        tags[..., 0] = 5.0
        begin, inside = self.tags.index("B-killed"), self.tags.index("I-killed")
        for b in range(batch):
            toks = [self.tokenizer.id_to_token(int(i)) for i in input_ids[b]]
            for t, tok in enumerate(toks):
                if not attention_mask[b, t]:
                    continue
                digit = tok.lstrip("#").isdigit()
                comma = (
                    tok == ","
                    and 0 < t < width - 1
                    and toks[t - 1].lstrip("#").isdigit()
                    and toks[t + 1].isdigit()
                )
                if digit or comma or tok in NUMBER_WORDS:
                    tags[b, t] = 0.0
                    tags[b, t, inside if tok.startswith("##") or comma else begin] = 10.0
                    events[b, self.casualty] = 5.0
        return events, tags


@pytest.fixture()
def scripted(tiny_model_dir):
    config = ModelConfig.load(tiny_model_dir)
    encoder = WindowEncoder.from_folder(tiny_model_dir, config.max_length, config.window_stride)
    backend = ScriptedBackend(encoder.tokenizer, config)
    return EventTagger(config, encoder, backend, batch_size=4)


@pytest.fixture(scope="module")
def exported(tiny_base, tmp_path_factory):
    """The tiny model exported to ONNX (fp32 and int8), shared by this module's tests."""
    from conflict_events.model.export import BUILTIN_SENTENCES, export_model
    from conflict_events.model.pretrained import EventModel

    folder = tmp_path_factory.mktemp("exported") / "model"
    EventModel.from_base(tiny_base, max_length=32).save_pretrained(folder)
    report = export_model(folder, BUILTIN_SENTENCES, log=lambda line: None)
    assert not report.refused
    return folder


def as_json(results) -> str:
    return json.dumps([r.to_dict() for r in results])


def decisions(results) -> list:
    """What a result decides: labels and numbers, without the float scores."""
    return [
        (r.labels, [(n.start, n.end, n.text, n.value, n.role, n.unit) for n in r.numbers])
        for r in results
    ]


# -- sentences ------------------------------------------------------------------------------


def test_one_result_per_sentence_in_input_order_with_exact_offsets(scripted):
    results = scripted.tag(SENTENCES)
    assert [r.text for r in results] == SENTENCES
    assert all((r.start, r.end) == (0, len(r.text)) for r in results)
    for r in results:
        for n in r.numbers:
            assert r.text[n.start : n.end] == n.text
    assert results[1].events == () and results[1].numbers == () and results[4].events == ()
    values = {i: [(n.text, n.value, n.role) for n in r.numbers] for i, r in enumerate(results)}
    assert values[0] == [("Five", 5.0, "killed")]
    assert values[2] == [("25,000", 25000.0, "killed")]
    assert values[3] == [("15", 15.0, "killed"), ("three", 3.0, "killed")]
    assert values[6] == []  # the year was tagged but is not a count
    assert (
        results[0].labels == ("casualty",) and results[2].numbers[0].qualifier.value == "at_least"
    )
    assert scripted.tag([]) == [] and scripted.predict_proba([]).shape == (0, 4)


def test_long_sentences_are_windowed_not_truncated(scripted):
    long = " ".join(["five people were killed in the town"] * 40)  # ~280 tokens, windows of 32
    windows = scripted.encoder.encode([long])
    assert len(windows) > 8
    (result,) = scripted.tag([long])
    # Every "five" found once, though overlapping windows saw some twice.
    assert [n.start for n in result.numbers] == [
        i for i in range(len(long)) if long.startswith("five", i)
    ]
    assert all(long[n.start : n.end] == n.text == "five" for n in result.numbers)
    assert scripted.predict_proba([long, "Two died."]).shape == (2, 4)


def test_windows_are_run_in_length_buckets(scripted):
    rng = random.Random(3)
    sentences = [" ".join(["people"] * rng.randint(1, 25)) for _ in range(40)]
    scripted.tag(sentences)
    shapes = scripted.backend.shapes
    assert sum(b for b, _ in shapes) == 40 and all(b <= 4 for b, _ in shapes)
    assert [w for _, w in shapes] == sorted(w for _, w in shapes)  # shortest batches first
    lengths = [len(w.ids) for w in scripted.encoder.encode(sentences)]
    waste = sum(b * w for b, w in shapes) - sum(lengths)
    in_order = sum(len(lengths[i : i + 4]) * max(lengths[i : i + 4]) for i in range(0, 40, 4))
    assert waste < (in_order - sum(lengths)) / 4  # far less padding than batches in input order


def test_bad_input_is_refused():
    tagger = EventTagger.__new__(EventTagger)
    with pytest.raises(TypeError, match="list of sentences"):
        tagger.tag("a bare string")
    with pytest.raises(TypeError, match="sentence 1 is bytes"):
        tagger.tag(["fine", b"bytes"])


# -- documents -------------------------------------------------------------------------------

DOCUMENT = (
    "\n\n   Five killed in the town\n\n"
    "Five killed in the town\n\n"
    "Five people were killed in the town on Monday. Two were wounded near the market.\n"
)


def test_documents_keep_document_offsets_and_summarise_repeats_once(scripted):
    (doc,) = scripted.tag_documents([("d1", DOCUMENT)])
    assert doc.id == "d1" and doc.text == DOCUMENT
    assert [s.text for s in doc.sentences] == [
        "Five killed in the town",
        "Five killed in the town",
        "Five people were killed in the town on Monday.",
        "Two were wounded near the market.",
    ]
    for s in doc.sentences:
        assert DOCUMENT[s.start : s.end] == s.text
        for n in s.numbers:
            assert DOCUMENT[n.start : n.end] == n.text
    five, two = doc.summary.figures
    assert (five.value, len(five.citations), two.value) == (5.0, 3, 2.0)
    assert [c.sentence for c in five.citations] == [0, 1, 2]
    assert all(DOCUMENT[c.start : c.end] == "Five" for c in five.citations)
    assert doc.summary.events == ("casualty",)


def test_iter_tag_documents_streams_a_generator_in_order(scripted):
    pulled = []

    def documents():
        for i in range(7):
            pulled.append(i)
            yield (f"doc-{i}", f"Doc {i}. Five people were killed. Two fled.")

    stream = scripted.iter_tag_documents(documents(), chunk_sentences=4)
    first = next(stream)
    assert first.id == "doc-0" and len(pulled) < 7  # results come before the input is exhausted
    rest = list(stream)
    assert [d.id for d in [first, *rest]] == [f"doc-{i}" for i in range(7)]
    assert (
        scripted.tag_documents([]) == [] and scripted.tag_documents(["", "  \n"])[1].sentences == ()
    )


# -- the ONNX runtime ----------------------------------------------------------------------


def test_onnx_and_torch_backends_make_the_same_decisions(exported):
    onnx_tagger = EventTagger.from_pretrained(exported, backend="onnx", quantized=False)
    torch_tagger = EventTagger.from_pretrained(exported, backend="torch")
    assert onnx_tagger.backend.path.name == ONNX_NAME
    sentences = [s for s in SENTENCES if s.strip()] + [" ".join(["five people were killed"] * 30)]
    p_onnx, n_onnx = onnx_tagger.predict(sentences)
    p_torch, n_torch = torch_tagger.predict(sentences)
    np.testing.assert_allclose(p_onnx, p_torch, atol=1e-4)
    assert decisions(onnx_tagger.tag(sentences)) == decisions(torch_tagger.tag(sentences))
    quantized = EventTagger.from_pretrained(exported)  # auto: the int8 file
    assert quantized.backend.path.name == "model.int8.onnx"
    # int8 rounding moves a probability a little, so a decision on the threshold may flip (a
    # random tiny model has many there): the decisions clear of it must agree.
    p_int8, _ = quantized.predict(sentences)
    labels = quantized.labels.event_labels
    thresholds = np.array([quantized.config.thresholds.get(x, 0.5) for x in labels])
    clear = np.abs(p_torch - thresholds) > 0.05
    assert clear.sum() >= 10, "too few decisions clear of the threshold to compare"
    np.testing.assert_array_equal((p_int8 > thresholds)[clear], (p_torch > thresholds)[clear])


def test_tagging_from_four_threads_matches_sequential(exported):
    tagger = EventTagger.from_pretrained(exported, batch_size=3)
    batches = [SENTENCES[i:] + SENTENCES[:i] for i in range(8)]
    sequential = [as_json(tagger.tag(b)) for b in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda b: as_json(tagger.tag(b)), batches))
    assert threaded == sequential
    docs = [DOCUMENT, "Two died. " * 5]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: tagger.tag_documents(docs), range(4)))
    assert all(as_json(r) == as_json(results[0]) for r in results)


def test_batch_size_and_threads_are_settable_and_change_no_result(exported):
    small = EventTagger.from_pretrained(exported, quantized=False, batch_size=2, threads=1)
    large = EventTagger.from_pretrained(exported, quantized=False, batch_size=64)
    assert small.batch_size == 2
    assert small.backend.session.get_session_options().intra_op_num_threads == 1
    np.testing.assert_allclose(
        small.predict_proba(SENTENCES), large.predict_proba(SENTENCES), atol=1e-5
    )
    assert decisions(small.tag(SENTENCES)) == decisions(large.tag(SENTENCES))
    # Dynamic int8 quantises activations with one scale per batch, so an int8 score moves with
    # the batch a sentence shares: ~1e-3 on a trained model, a few hundredths on a random tiny
    # one (spiky activations, and more on a CPU without VNNI, where 0.04 was seen), so only a
    # decision within that distance of its threshold can change with the batch size.
    int8_small = EventTagger.from_pretrained(exported, batch_size=2)
    int8_large = EventTagger.from_pretrained(exported, batch_size=64)
    gap = np.abs(int8_small.predict_proba(SENTENCES) - int8_large.predict_proba(SENTENCES))
    assert gap.max() < 0.1


def test_done_when_command_runs_on_onnx_without_torch(exported):
    code = (
        "import sys; from conflict_events.inference import EventTagger; "
        f"print(EventTagger.from_pretrained({str(exported)!r}).tag(['Five people were killed.'])); "
        "print('torch' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    printed, loaded = out.stdout.strip().splitlines()
    assert printed.startswith("[SentenceResult(text='Five people were killed.'")
    assert loaded == "False True"


# -- cascade ----------------------------------------------------------------------------------


class FixedBackend:
    """Every window gets the same event logits and no number: a tagger whose mind is known."""

    def __init__(self, event_logits, n_tags: int) -> None:
        self.event_logits = np.asarray(event_logits, dtype=np.float32)
        self.n_tags = n_tags
        self.calls: list[int] = []

    def __call__(self, input_ids, attention_mask):
        self.calls.append(len(input_ids))
        batch, width = input_ids.shape
        tags = np.zeros((batch, width, self.n_tags), dtype=np.float32)
        tags[..., 0] = 5.0
        return np.tile(self.event_logits, (batch, 1)), tags


def test_a_second_pass_decides_only_the_sentences_the_first_is_unsure_of(tiny_model_dir):
    config = ModelConfig.load(tiny_model_dir)
    encoder = WindowEncoder.from_folder(tiny_model_dir, config.max_length, config.window_stride)
    n_tags = len(config.labels.bio_tags)
    # displacement sure yes (p=0.95), casualty unsure (p=0.55): every sentence is unsure
    unsure_student = EventTagger(config, encoder, FixedBackend([3.0, 0.2, -3.0, -3.0], n_tags))
    sure_student = EventTagger(config, encoder, FixedBackend([3.0, -3.0, -3.0, -3.0], n_tags))
    teacher_backend = FixedBackend([-3.0, 3.0, -3.0, -3.0], n_tags)
    teacher = EventTagger(config, encoder, teacher_backend)
    sentences = ["Five people were killed.", "", "Ten families fled."]

    cascade = unsure_student.with_second_pass(teacher, margin=0.1)
    assert [r.labels for r in cascade.tag(sentences)] == [("casualty",), (), ("casualty",)]
    assert sum(teacher_backend.calls) == 2  # the blank sentence is never sent on
    assert [r.labels for r in unsure_student.tag(sentences)][0] == ("displacement", "casualty")

    teacher_backend.calls.clear()
    sure = sure_student.with_second_pass(teacher, margin=0.1)
    assert [r.labels for r in sure.tag(sentences)] == [("displacement",), (), ("displacement",)]
    assert teacher_backend.calls == []  # nothing unsure: the teacher never runs


def test_a_second_pass_must_share_the_label_schema(tiny_model_dir):
    from dataclasses import replace

    from conflict_events.inference.labels import LabelSchema

    config = ModelConfig.load(tiny_model_dir)
    encoder = WindowEncoder.from_folder(tiny_model_dir, config.max_length, config.window_stride)
    n_tags = len(config.labels.bio_tags)
    student = EventTagger(config, encoder, FixedBackend([0, 0, 0, 0], n_tags))
    other = replace(config, labels=LabelSchema.with_extra(["arrest"], [], {}))
    with pytest.raises(ValueError, match="labels"):
        student.with_second_pass(EventTagger(other, encoder, FixedBackend([0] * 5, n_tags)))
    with pytest.raises(ValueError, match="margin"):
        student.with_second_pass(student, margin=0.0)
