"""``conflict-events export``: a model folder → ``model.onnx`` (fp32) and ``model.int8.onnx``, checked.

    conflict-events export --model runs/x [--dev data/corpus/dev.jsonl] [--no-quantize]

Steps:

1. **Export.** The joint model goes through the legacy TorchScript exporter (``dynamo=False``:
   one self-contained file, no onnxscript) with inputs ``input_ids`` / ``attention_mask`` (int64,
   dynamic batch and sequence axes) and outputs ``event_logits`` (B, E) / ``tag_logits`` (B, T, K).
   The encoder is switched to eager attention first, so that ONNX Runtime's transformer optimiser
   can fuse each layer's attention into one ``Attention`` node; the fused graph is kept only when
   it passes the parity check like any other file.
2. **Quantise.** Dynamic int8 (weights int8 with one scale per output channel, activations
   quantised at run time with one scale per tensor). When full quantisation loses accuracy,
   fallback plans keep the heads and the matmuls whose inputs have the widest range (measured
   on the dev texts; one outlier activation costs a whole tensor its precision) in fp32, a few
   more each time, the last also the embeddings (:func:`quant_plans`). The first plan that
   passes the parity check is kept: the fastest file that agrees with PyTorch. Activation
   scales are computed per batch, so an int8 score moves slightly (~1e-3) with the batch a
   sentence is run in; fp32 scores do not.
3. **Parity.** Every file is compared with PyTorch on dev sentences (``--dev`` JSONL records; by
   default the texts of ``data/corpus/dev.jsonl`` when present, else :data:`BUILTIN_SENTENCES`):

   - *label agreement*: share of sentence × label decisions (event head against the config's
     thresholds) that match;
   - *number agreement*: matching (sentence, start, end, role) number mentions over all
     mentions either runtime found (1.0 when neither finds any);
   - *max event-score difference*: the largest absolute difference of event probabilities.

   A file whose label agreement is below ``--min-agreement`` (default 99.5%), or whose number
   agreement is below ``--min-number-agreement`` (default: no limit), is refused: it is
   not left in the folder (nor is a stale file of the same name from an earlier export, which
   would no longer match the weights) and the command exits 1 saying why and naming the flags
   that decide (``--no-quantize``, ``--min-agreement``, ``--min-number-agreement``). The figures
   go to ``export_report.json`` in the folder and to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conflict_events.inference.model_folder import ONNX_INT8_NAME, ONNX_NAME, ModelFolderError
from conflict_events.inference.tagger import EventTagger, OnnxBackend
from conflict_events.inference.tokenization import WindowEncoder
from conflict_events.model.pretrained import EventModel, library_versions
from conflict_events.model.torch_backend import TorchBackend

REPORT_NAME = "export_report.json"
MIN_LABEL_AGREEMENT = 0.995
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAMES = ("event_logits", "tag_logits")
# Encoder types whose layers ONNX Runtime's BERT fusions recognise.
FUSABLE_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "electra", "camembert"})

# Written for this project: parity needs sentences with and without events and numbers.
BUILTIN_SENTENCES: tuple[str, ...] = (
    "At least 25,000 civilians have fled the city toward the northern border since Monday.",
    "Regime forces have captured some 15 villages in the southern countryside.",
    "Three people were killed in the first village and two in the second.",
    "An air strike hit the main hospital, putting it out of action.",
    "Nearly 400 families were displaced by the fighting, the local council said.",
    "More than 120 people were wounded when shells struck the crowded market.",
    "The army said it had retaken the town of twelve thousand people on Dec. 22.",
    "Rebels shelled two schools and a water station on the edge of the town.",
    "The population of the district was about 80,000 before the war began in 2011.",
    "Dozens of families have returned to their homes after the ceasefire.",
    "A 14-year-old boy was among the five people killed in the attack.",
    "Between 3,000 and 5,000 people fled across the river overnight.",
    "Aid agencies delivered food to 40,000 people in the camps last week.",
    "Police arrested ten men after the protest, according to the ministry.",
    "The bridge linking the two districts was destroyed by an explosion.",
    "Government troops seized three hills overlooking the highway.",
    "Hundreds of thousands have been displaced since November, the agency reported.",
    "Two medical workers were injured and one ambulance was damaged.",
    "The meeting was postponed to next Tuesday at 10 a.m.",
    "Fighting continued around the airport, but no casualties were reported.",
    "Some 205,000 people have fled since November, including 25,000 in the past two days.",
    "Four power plants and a fuel depot were hit in overnight strikes.",
    "The rebels withdrew from six villages after heavy bombardment.",
    "Up to 60 people may have died when the building collapsed.",
    "The convoy carried 1.3 million doses of vaccine to the region.",
    "Eleven soldiers and 23 fighters died in clashes near the border crossing.",
    "Shelling damaged at least seven schools and a clinic in the eastern suburbs.",
    "The town changed hands twice in a week, residents said.",
    "About 2.4 million people live in the province.",
    "An estimated 9,000 people were forced from their homes by the floods and the fighting.",
    "Forces loyal to the government encircled the town but made no attempt to enter it.",
    "Unknown gunmen opened fire on a bus, killing eight passengers and wounding 14.",
    "The ministry said 30 percent of the wheat harvest had been lost.",
    "Thousands of people marched through the capital on Friday.",
    "A car bomb wrecked the telephone exchange and two nearby shops.",
    "By the end of the week the insurgents controlled 40 percent of the district.",
)


class ExportError(RuntimeError):
    """An export step that cannot run (bad dev file, exporter failure)."""


@dataclass(frozen=True)
class Parity:
    """How one exported file's decisions compare with PyTorch's on the dev sentences."""

    file: str
    sentences: int
    label_agreement: float
    number_agreement: float
    max_event_score_diff: float
    seconds: float
    plan: str = "fp32"
    accepted: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        verdict = "kept" if self.accepted else f"REFUSED ({self.reason})"
        return (
            f"{self.file} [{self.plan}]: label agreement {self.label_agreement:.2%}, "
            f"number agreement {self.number_agreement:.2%}, "
            f"max event-score diff {self.max_event_score_diff:.2e} -> {verdict}"
        )


@dataclass
class ExportReport:
    """Everything ``export`` did: the dev sentences used and every file's parity, kept or not."""

    model: str
    dev: str
    sentences: int
    min_label_agreement: float
    files: list[Parity] = field(default_factory=list)
    min_number_agreement: float = 0.0
    library_versions: dict[str, str] = field(default_factory=dict)

    @property
    def refused(self) -> list[Parity]:
        """Files not kept: those whose last attempt failed the parity check."""
        last = {p.file: p for p in self.files}
        return [p for p in last.values() if not p.accepted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dev": self.dev,
            "sentences": self.sentences,
            "min_label_agreement": self.min_label_agreement,
            "min_number_agreement": self.min_number_agreement,
            "files": [p.to_dict() for p in self.files],
            "library_versions": self.library_versions,
        }


# -- dev sentences ------------------------------------------------------------------------


def read_dev_texts(path: str | Path) -> list[str]:
    """The ``text`` of every JSONL record in ``path`` (errors name ``file:line``)."""
    from conflict_events.inference.jsonl import JsonLines

    texts = []
    lines = JsonLines(Path(path))
    for number, record in lines:
        if lines.problems:
            break
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise ExportError(f"{path}:{number}: a record needs a string 'text' field")
        texts.append(text)
    if lines.problems:
        raise ExportError(str(lines.problems[0]))
    if not texts:
        raise ExportError(f"{path}: no records")
    return texts


def dev_texts(path: str | Path | None, limit: int | None = None) -> tuple[str, list[str]]:
    """``(source, texts)``: the records of ``path``, or the built-in sentences when it is None.

    (No default file: what a library reads does not depend on the working directory.)
    """
    if path is None:
        source, texts = "built-in sentences", list(BUILTIN_SENTENCES)
    else:
        source, texts = str(path), read_dev_texts(path)
    return source, texts[:limit] if limit else texts


# -- writing files ------------------------------------------------------------------------


def export_onnx(net: torch.nn.Module, path: str | Path, opset: int = OPSET) -> Path:
    """Write ``net`` as one ONNX file with dynamic batch and sequence axes (legacy exporter)."""
    net.eval()
    encoder = getattr(net, "encoder", None)
    if hasattr(encoder, "set_attn_implementation"):
        try:
            # Eager attention exports as plain MatMul/Softmax, which ORT's optimiser fuses.
            encoder.set_attn_implementation("eager")
        except (ValueError, NotImplementedError):
            pass
    ids = torch.tensor([[2, 10, 11, 12, 13, 3], [2, 14, 15, 3, 0, 0]], dtype=torch.long)
    mask = (torch.arange(ids.shape[1]) < torch.tensor([[6], [4]])).long()
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes["event_logits"] = {0: "batch"}
    axes["tag_logits"] = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow in the encoder
        torch.onnx.export(
            net,
            (ids, mask),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    return Path(path)


def optimize_onnx(src: str | Path, dst: str | Path, encoder_config: dict[str, Any]) -> bool:
    """Fuse attention, GELU and layer norms with ORT's transformer optimiser; False if not applicable."""
    if encoder_config.get("model_type") not in FUSABLE_MODEL_TYPES:
        return False
    from onnxruntime.transformers import optimizer

    # opt_level 0: only the Python fusions, so the file stays portable across CPUs.
    with _quiet():
        model = optimizer.optimize_model(
            str(src),
            model_type="bert",
            num_heads=int(encoder_config.get("num_attention_heads", 0)),
            hidden_size=int(encoder_config.get("hidden_size", 0)),
            opt_level=0,
        )
    model.save_model_to_file(str(dst))
    return True


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence ORT's optimiser and quantiser: fusion notes on stdout, advice logged on every call."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def _graph(path: str | Path):
    import onnx

    return onnx.load(str(path), load_external_data=False).graph


def _names(node) -> list[str]:
    # The quantiser splits a Gemm into MatMul + Add and matches exclusions on the new name.
    return [node.name, f"{node.name}_MatMul"] if node.op_type == "Gemm" else [node.name]


def head_nodes(path: str | Path) -> list[str]:
    """Nodes of the event and tag heads."""
    return [
        name
        for n in _graph(path).node
        if "event_head" in n.name or "tag_head" in n.name
        for name in _names(n)
    ]


def embedding_nodes(path: str | Path) -> list[str]:
    """The embedding lookup (a ``Gather``, or the fused ``EmbedLayerNormalization``)."""
    return [
        n.name
        for n in _graph(path).node
        if n.op_type == "EmbedLayerNormalization"
        or (n.op_type == "Gather" and "embeddings" in n.name)
    ]


def quantizable_inputs(path: str | Path) -> dict[str, str]:
    """``{node: activation input}`` for the nodes int8 quantisation turns into integer matmuls."""
    graph = _graph(path)
    weights = {init.name for init in graph.initializer}
    return {
        n.name: n.input[0]
        for n in graph.node
        if n.op_type in ("MatMul", "Gemm", "Attention")
        and len(n.input) > 1
        and n.input[1] in weights
    }


def rank_by_input_range(
    path: str | Path, encoder: WindowEncoder, texts: Sequence[str], limit: int = 256
) -> list[str]:
    """Quantisable nodes, the widest input range relative to its mean magnitude first.

    Dynamic int8 quantises a matmul's input with one scale per tensor, so a few outlier
    activations cost every other value its precision; these nodes lose most in int8.
    """
    import onnx
    import onnxruntime as ort

    inputs = quantizable_inputs(path)
    model = onnx.load(str(path))
    outputs = {o.name for o in model.graph.output}
    for tensor in dict.fromkeys(inputs.values()):
        if tensor not in outputs:
            model.graph.output.append(
                onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None)
            )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    windows = sorted(
        encoder.encode([t for t in texts if t.strip()][:limit]), key=lambda w: len(w.ids)
    )
    spread: dict[str, float] = {}
    magnitude: dict[str, list[float]] = {}
    for begin in range(0, len(windows), 32):
        ids, mask = encoder.pad(windows[begin : begin + 32])
        values = dict(
            zip(names, session.run(None, {"input_ids": ids, "attention_mask": mask}), strict=True)
        )
        for tensor in set(inputs.values()):
            x = values[tensor]
            x = x[mask.astype(bool)] if x.ndim == 3 else x  # padding positions do not count
            spread[tensor] = max(spread.get(tensor, 0.0), float(x.max() - x.min()))
            magnitude.setdefault(tensor, []).append(float(np.abs(x).mean()))
    ratio = {t: spread[t] / max(float(np.mean(magnitude[t])), 1e-12) for t in spread}
    return sorted(inputs, key=lambda node: -ratio.get(inputs[node], 0.0))


# After full int8 (the first plan), each fallback keeps the heads and this many of the
# widest-range matmuls in fp32; the last one also the embeddings. On a MiniLM fine-tuned on 2,300
# written sentences (788 dev texts): all int8 99.49% label agreement at ~640 sentences/s;
# 2 widest in fp32 (the feed-forward outputs of layers 0-1) 99.56%, ~580/s; 3: 99.71%, ~550/s;
# all six feed-forward outputs 99.75%, ~465/s; fp32 ~300/s.
FALLBACK_WIDEST = (2, 4, 8)


def quant_plans(path: Path, ranked: Callable[[], list[str]]) -> Iterator[tuple[str, list[str]]]:
    """``(description, nodes kept in fp32)`` in order of speed; ``ranked`` is called when needed."""
    yield "int8 per-channel", []
    heads = head_nodes(path)
    for index, count in enumerate(FALLBACK_WIDEST):
        last = index == len(FALLBACK_WIDEST) - 1
        widest = [n for n in ranked() if n not in heads][:count]
        extra = embedding_nodes(path) if last else []
        kept = f"heads{', embeddings' if last else ''} and the {count} widest-input matmuls"
        yield f"int8 per-channel, {kept} fp32", heads + widest + extra


def quantize_int8(src: str | Path, dst: str | Path, exclude: Sequence[str] = ()) -> Path:
    """Dynamic int8 quantisation of ``src`` into ``dst``, leaving the ``exclude`` nodes in fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=QuantType.QInt8,
            # One scale per output channel: per-tensor scales flipped ~3% of label decisions of a
            # lightly trained MiniLM, per-channel ~0.5%, at the same speed.
            per_channel=True,
            nodes_to_exclude=list(exclude),
            # Needed for graphs with fused contrib ops, whose output types onnx cannot infer.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return Path(dst)


# -- parity -------------------------------------------------------------------------------


def number_keys(numbers: Sequence[Sequence]) -> set[tuple[int, int, int, str | None]]:
    return {(i, n.start, n.end, n.role) for i, found in enumerate(numbers) for n in found}


def compare(
    reference: tuple[np.ndarray, list], candidate: tuple[np.ndarray, list], thresholds: np.ndarray
) -> tuple[float, float, float]:
    """``(label agreement, number agreement, max event-score difference)`` of two predictions.

    >>> ref = (np.array([[0.9, 0.1]]), [[]])
    >>> compare(ref, (np.array([[0.8, 0.6]]), [[]]), np.array([0.5, 0.5]))
    (0.5, 1.0, 0.5)
    """
    ref_probs, ref_numbers = reference
    cand_probs, cand_numbers = candidate
    if ref_probs.size == 0:
        return 1.0, 1.0, 0.0
    labels = float(np.mean((ref_probs >= thresholds) == (cand_probs >= thresholds)))
    a, b = number_keys(ref_numbers), number_keys(cand_numbers)
    numbers = len(a & b) / len(a | b) if a | b else 1.0
    diff = float(np.max(np.abs(ref_probs.astype(np.float64) - cand_probs)))
    return round(labels, 6), round(numbers, 6), diff


class ParityChecker:
    """Runs dev sentences through PyTorch once, then compares each candidate ONNX file with it."""

    def __init__(
        self,
        model: EventModel,
        texts: Sequence[str],
        min_agreement: float = MIN_LABEL_AGREEMENT,
        min_number_agreement: float = 0.0,
    ):
        self.model = model
        self.texts = list(texts)
        self.min_agreement = min_agreement
        self.min_number_agreement = min_number_agreement
        self.encoder = model.encoder_for()
        labels = model.config.labels.event_labels
        self.thresholds = np.array(
            [model.config.threshold(label) for label in labels], dtype=np.float32
        )
        reference = EventTagger(model.config, self.encoder, TorchBackend(model.net))
        self.reference = reference.predict(self.texts)

    def check(self, path: Path, name: str, plan: str = "fp32") -> Parity:
        start = time.perf_counter()
        tagger = EventTagger(self.model.config, self.encoder, OnnxBackend(path))
        candidate = tagger.predict(self.texts)
        labels, numbers, diff = compare(self.reference, candidate, self.thresholds)
        problems = []
        if labels < self.min_agreement:
            problems.append(f"label agreement {labels:.2%} is below {self.min_agreement:.2%}")
        if numbers < self.min_number_agreement:
            problems.append(
                f"number agreement {numbers:.2%} is below {self.min_number_agreement:.2%}"
            )
        accepted = not problems
        reason = "; ".join(problems) or None
        return Parity(
            name,
            len(self.texts),
            labels,
            numbers,
            diff,
            round(time.perf_counter() - start, 3),
            plan,
            accepted,
            reason,
        )


# -- the command --------------------------------------------------------------------------


def export_model(
    folder: str | Path,
    texts: Sequence[str],
    quantize: bool = True,
    min_agreement: float = MIN_LABEL_AGREEMENT,
    dev_source: str = "",
    log: Callable[[str], None] = print,
    min_number_agreement: float = 0.0,
) -> ExportReport:
    """Export, quantise and check ``folder``; files that pass parity are moved into the folder."""
    folder = Path(folder)
    model = EventModel.from_pretrained(folder)
    report = ExportReport(
        str(folder), dev_source, len(texts), min_agreement, library_versions=_versions()
    )
    report.min_number_agreement = min_number_agreement
    checker = ParityChecker(model, texts, min_agreement, min_number_agreement)
    with tempfile.TemporaryDirectory(prefix="conflict-events-export-") as tmp:
        work = Path(tmp)
        fp32 = export_onnx(model.net, work / "plain.onnx")
        parity = None
        try:
            if optimize_onnx(fp32, work / "fused.onnx", model.config.encoder_config):
                fused = checker.check(work / "fused.onnx", ONNX_NAME, "fp32, fused")
                if fused.accepted:
                    fp32, parity = work / "fused.onnx", fused
                else:
                    log(
                        f"fused graph disagrees with PyTorch ({fused.reason}); keeping the plain export"
                    )
        except Exception as exc:  # noqa: BLE001 - fusion is an optimisation; the plain file still works
            log(f"graph optimisation skipped: {type(exc).__name__}: {exc}")
        if parity is None:
            parity = checker.check(fp32, ONNX_NAME, "fp32")
        report.files.append(parity)
        log(parity.line())
        int8 = None
        if quantize and parity.accepted:
            int8 = _quantize_with_fallback(fp32, work, checker, report, log)
        elif quantize:
            log(f"{ONNX_INT8_NAME}: not made, since {ONNX_NAME} was refused")
        _place(fp32 if parity.accepted else None, folder / ONNX_NAME)
        if quantize:
            _place(int8, folder / ONNX_INT8_NAME)
    (folder / REPORT_NAME).write_text(
        json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return report


def _quantize_with_fallback(
    fp32: Path, work: Path, checker: ParityChecker, report: ExportReport, log: Callable[[str], None]
) -> Path | None:
    ranking: list[str] = []

    def ranked() -> list[str]:
        if not ranking:
            ranking.extend(rank_by_input_range(fp32, checker.encoder, checker.texts))
        return ranking

    for index, (plan, excluded) in enumerate(quant_plans(fp32, ranked)):
        out = quantize_int8(fp32, work / f"int8-{index}.onnx", excluded)
        parity = checker.check(out, ONNX_INT8_NAME, plan)
        report.files.append(parity)
        log(parity.line())
        if parity.accepted:
            return out
    return None


def _place(src: Path | None, dst: Path) -> None:
    """Move an accepted file into the folder; for a refused one, remove any stale copy there."""
    if src is None:
        dst.unlink(missing_ok=True)
    else:
        shutil.move(str(src), dst)


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime

    return {**library_versions(), "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", required=True, type=Path, help="model folder (config.json, model.safetensors)"
    )
    parser.add_argument(
        "--dev",
        type=Path,
        help="JSONL records for the parity check, e.g. data/corpus/dev.jsonl (default: built-in sentences)",
    )
    parser.add_argument("--no-quantize", action="store_true", help="write model.onnx only")
    parser.add_argument(
        "--min-agreement",
        type=float,
        default=MIN_LABEL_AGREEMENT,
        help="refuse files whose label agreement with PyTorch is below this (default %(default)s)",
    )
    parser.add_argument(
        "--min-number-agreement",
        type=float,
        default=0.0,
        help="also refuse files whose number agreement is below this (default: no limit)",
    )
    parser.add_argument(
        "--max-sentences",
        type=int,
        default=2000,
        help="check parity on at most this many dev records (default %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        source, texts = dev_texts(args.dev, args.max_sentences)
        print(f"exporting {args.model}; parity on {len(texts)} texts from {source}")
        report = export_model(
            args.model,
            texts,
            not args.no_quantize,
            args.min_agreement,
            source,
            min_number_agreement=args.min_number_agreement,
        )
    except (ExportError, ModelFolderError, OSError) as exc:
        print(f"conflict-events export: error: {exc}", file=sys.stderr)
        return 1
    print(f"parity figures written to {Path(args.model) / REPORT_NAME}")
    for parity in report.refused:
        print(
            f"conflict-events export: refused {parity.file}: {parity.reason}; the file was not "
            f"kept. {refusal_hint(parity.file)}",
            file=sys.stderr,
        )
    return 1 if report.refused else 0


def refusal_hint(file: str) -> str:
    """What a user can do about a refused file: the flags that decide.

    >>> refusal_hint("model.int8.onnx").split(";")[0]
    'Pass --no-quantize to keep only the fp32 model.onnx'
    """
    lower = (
        "or lower --min-agreement (labels) / --min-number-agreement (numbers) to accept "
        "the disagreement"
    )
    if file == ONNX_INT8_NAME:
        return f"Pass --no-quantize to keep only the fp32 {ONNX_NAME}; {lower}"
    return f"Check the export, {lower}"
