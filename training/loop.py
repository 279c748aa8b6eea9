"""``fit()``: train a joint model on examples already read. A small, linear loop you can read top to bottom.

    from conflict_events.model.pretrained import EventModel
    from conflict_events.training import fit, TrainConfig
    model = EventModel.from_base("path/to/encoder", labels, max_length=128)
    result = fit(model, train_examples, dev_examples, TrainConfig(out="runs/x", epochs=3),
                 callbacks=[MyLogger()])

Steps: featurise → length-bucketed batches → AdamW (the model's own parameter groups) with linear
warm-up/decay (with ``ema_decay``, a moving average of the weights is what gets evaluated and
kept) → evaluate on dev each epoch (``select_metric``: event macro-F1, or its mean with number F1,
on real-text dev records when there are any: written dev sentences overstate real performance)
→ keep the best → tune per-label thresholds and the reconciliation rule on dev.

Devices: ``device`` (or ``config.device``) is ``cpu``, ``cuda[:N]`` or ``mps``; by default CUDA
when available, else MPS, else the CPU. On CUDA the forward pass runs under autocast in bf16 where
the GPU supports it, else in fp16 with a gradient scaler; on MPS in fp32; on the CPU in bf16 when
``config.bf16``, else fp32. (The CUDA path is written to the same code as the CPU one and is not
exercised by the tests, which run on CPUs.)

With ``config.out`` set, the best model is written there, with a resumable ``OUT/checkpoint``
while training (removed at the end unless ``keep_checkpoint``). A run resumes only from a
checkpoint written with the same config; any other run already in ``OUT`` is an error that names
the differing fields, unless ``overwrite``. Without ``out`` everything stays in memory.

Progress goes to the ``conflict_events.training`` logger; a progress bar shows only on a terminal.
The loss is :func:`conflict_events.training.loss.compute_loss`, called once per batch with the
batch and the model outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conflict_events.inference.labels import LabelSchema
from conflict_events.training.checkpoint import load_averaged, load_checkpoint, save_checkpoint
from conflict_events.training.config import EXECUTION_FIELDS, RUN_ONLY_FIELDS, TrainConfig
from conflict_events.training.features import IGNORE, Features, featurize
from conflict_events.training.loss import compute_loss, positive_weights
from conflict_events.training.weight_average import WeightAverage

log = logging.getLogger("conflict_events.training")

CHECKPOINT_DIR = "checkpoint"
ARGS_NAME = "training_args.json"
RESULTS_NAME = "eval_results.json"
# What a finished run writes into OUT; --overwrite removes these (and nothing else) first.
RUN_OUTPUTS = (
    "config.json", "model.safetensors", "tokenizer.json", "encoder", ARGS_NAME, RESULTS_NAME,
    "README.md", "model.onnx", "model.int8.onnx", "export_report.json", CHECKPOINT_DIR,
)  # fmt: skip


class RunFolderError(ValueError):
    """``OUT`` holds another run (a different config, or a finished model) and may not be reused."""


# -- batches ------------------------------------------------------------------------------


def make_batches(features: list[Features], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar-length examples, so little compute is spent on padding."""
    rng = random.Random(seed)
    order = list(range(len(features)))
    rng.shuffle(order)
    chunk = batch_size * 32
    batches = []
    for begin in range(0, len(order), chunk):
        part = sorted(order[begin : begin + chunk], key=lambda i: len(features[i].ids))
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(features: list[Features], pad_id: int, prefix: int = 1) -> dict[str, torch.Tensor]:
    """A batch: a dict of tensors (ids, mask, BIO tags, event targets, event mask, weight), and
    the teacher's soft targets when any feature has them (``prefix``: special tokens before the
    content tokens, where soft tag rows start)."""
    width = max(len(f.ids) for f in features)
    ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    tags = torch.full((len(features), width), IGNORE, dtype=torch.long)
    for row, f in enumerate(features):
        ids[row, : len(f.ids)] = torch.tensor(f.ids)
        mask[row, : len(f.ids)] = 1
        tags[row, : len(f.tags)] = torch.tensor(f.tags)
    batch = {
        "input_ids": ids,
        "attention_mask": mask,
        "tags": tags,
        "events": torch.tensor([f.events for f in features]),
        "event_mask": torch.tensor([f.event_mask for f in features]),
        "weight": torch.tensor([f.weight for f in features]),
    }
    if any(f.soft_events is not None for f in features):
        from conflict_events.training.distil import collate_soft

        batch.update(collate_soft(features, width, prefix))
    return batch


# -- devices ------------------------------------------------------------------------------


def select_device(name: str | torch.device | None = None) -> torch.device:
    """The device to train on: ``name``, or CUDA when available, else MPS, else the CPU."""
    if name is None or str(name) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"device must be cpu, cuda[:N] or mps, not {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch here has no CUDA (torch {torch.__version__})")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r}: MPS is not available here")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be cpu, cuda[:N] or mps, not {name!r}")
    return device


@dataclass(frozen=True)
class Precision:
    """How the forward pass runs on a device: autocast dtype (None: fp32) and loss scaling."""

    dtype: torch.dtype | None = None
    scale_loss: bool = False  # fp16 gradients underflow without a scaler

    def autocast(self, device: torch.device):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.dtype)


def precision_for(device: torch.device, bf16: bool = False) -> Precision:
    """Mixed precision where it pays: bf16 (or fp16 + scaler) on CUDA, bf16 on CPU on request."""
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision(torch.bfloat16)
        return Precision(torch.float16, scale_loss=True)
    if device.type == "cpu" and bf16:
        return Precision(torch.bfloat16)
    return Precision()  # MPS autocast is young; fp32 is the safe choice there


# -- state and callbacks ------------------------------------------------------------------


@dataclass
class TrainState:
    """Where a run stands; saved in ``checkpoint/state.json`` and passed to callbacks."""

    step: int = 0
    epoch: int = 0
    batch: int = 0
    best: float = -1.0
    bad_evals: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    total_steps: int = 0
    should_stop: bool = False  # a callback may set it to end the run after this step
    data: dict[str, Any] | None = None  # what it trains on: see data_fingerprint()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainState:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


class Callback:
    """Hooks ``fit()`` calls; override any of them. A callback may set ``state.should_stop``."""

    def on_step(self, state: TrainState, logs: dict[str, float]) -> None:
        """After each optimiser step: ``logs`` holds the loss terms, learning rate, sentences/s."""

    def on_evaluate(self, state: TrainState, scores: dict[str, Any]) -> None:
        """After each dev evaluation (once per epoch): the dev scores."""

    def on_save(self, state: TrainState, path: Path) -> None:
        """After the model or a checkpoint was written to ``path``."""


def _call(callbacks: Sequence[Any], hook: str, *args: Any) -> None:
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(*args)


# -- the output folder --------------------------------------------------------------------


def prepare_run_folder(out: Path, config: TrainConfig) -> str:
    """Decide what to do with ``out``: ``"fresh"``, ``"resume"`` or ``"done"`` (same run, finished).

    Raises :class:`RunFolderError` when ``out`` holds a run with another config (naming the
    fields) or a model folder not written by a run, unless ``config.overwrite``, which clears the
    previous run's files first.
    """
    if config.overwrite:
        for name in RUN_OUTPUTS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        return "fresh"
    args_file = out / ARGS_NAME
    checkpoint = out / CHECKPOINT_DIR
    if not args_file.is_file():
        if (out / "config.json").is_file():
            raise RunFolderError(
                f"{out} already holds a model folder; pass --overwrite to replace it, "
                "or choose another --out"
            )
        return "fresh"
    saved = json.loads(args_file.read_text(encoding="utf-8"))
    differing = config.differences(saved, ignore=RUN_ONLY_FIELDS)
    if differing:
        raise RunFolderError(
            f"{out} holds a run with a different config: {', '.join(differing)}. "
            "Pass --overwrite to start afresh there, or choose another --out"
        )
    if config.resume and (checkpoint / "state.json").is_file():
        return "resume"
    if (out / RESULTS_NAME).is_file():
        further = config.differences(saved, ignore=EXECUTION_FIELDS)
        if not further:
            return "done"
        raise RunFolderError(
            f"{out} holds a finished run and no checkpoint to continue it from: "
            f"{', '.join(further)}. Pass --overwrite to retrain, "
            "--init-model to fine-tune it further into another --out, or --keep-checkpoint "
            "next time to keep a finished run resumable"
        )
    return "fresh"  # an earlier run died before its first checkpoint


def data_fingerprint(train_examples: Sequence[Any]) -> dict[str, Any]:
    """The records and weights a run trains on, in a checkpoint-sized form: a resumed run must
    see the same ones (same files, same config can still mean edited files)."""
    digest = hashlib.sha256()
    for example in train_examples:
        digest.update(
            json.dumps([example.record.to_dict(), example.weight], sort_keys=True).encode()
        )
        digest.update(b"\n")
    return {"records": len(train_examples), "sha256": digest.hexdigest()}


def check_resumed_data(checkpoint: Path, fingerprint: dict[str, Any]) -> None:
    """Refuse to resume ``checkpoint`` on other training records than it was trained on."""
    saved = json.loads((checkpoint / "state.json").read_text(encoding="utf-8")).get("data")
    if saved is None:  # written before runs recorded their data
        log.warning(
            "%s records no fingerprint of its training data: resuming unchecked", checkpoint
        )
    elif saved != fingerprint:
        raise RunFolderError(
            f"{checkpoint} was trained on other records ({saved['records']} then, "
            f"{fingerprint['records']} now): a training file changed since it was written. "
            "Pass --overwrite to start afresh, or restore the files it was trained on"
        )


# -- dev scores and decisions -------------------------------------------------------------


def is_real_text(record) -> bool:
    return record.source not in (None, "written")


def dev_scores(
    model, records, labels: LabelSchema, thresholds: dict[str, float] | None = None
) -> dict:
    """Event macro-F1 (event head alone) and number F1 on dev, overall and on real-text records."""
    from conflict_events.training.metrics import mean_f1, record_metrics

    if not records:
        return {}
    tagger = model.tagger()
    texts = [r.text for r in records]
    probs = tagger.predict_proba(texts)
    results = tagger.tag(texts, reconcile=False)
    th = thresholds or {}
    pred = [[x for j, x in enumerate(labels.event_labels) if p[j] >= th.get(x, 0.5)] for p in probs]
    out = {}
    real = [i for i, r in enumerate(records) if is_real_text(r)]
    for name, idx in (("all", list(range(len(records)))), ("real", real)):
        if not idx:
            continue
        ev, nm = record_metrics(
            [records[i] for i in idx],
            [pred[i] for i in idx],
            [results[i].numbers for i in idx],
            labels,
        )
        out[name] = {
            "macro_f1": ev.macro_f1,
            "micro_f1": ev.micro.f1,
            "number_f1": nm.strict.f1,
            "mean_f1": mean_f1(ev.macro_f1, nm.strict.f1),
            "n": len(idx),
        }
    return out


def tune_decisions(model, dev_records, config: TrainConfig) -> None:
    """Set per-label thresholds and the reconciliation rule on ``model.config`` from dev.

    Both are decided on real-text dev records when there are enough (written ones overstate).
    """
    from conflict_events.training.metrics import event_metrics, tune_thresholds

    labels = model.labels
    real = [r for r in dev_records if is_real_text(r)]
    tune_on = real if len(real) >= 100 else list(dev_records)
    thresholds = {x: 0.5 for x in labels.event_labels}
    if config.tune_thresholds and tune_on:
        probs = model.tagger().predict_proba([r.text for r in tune_on])
        targets = np.array([[float(x in r.events) for x in labels.event_labels] for r in tune_on])
        mask = np.array([[float(r.knows(x)) for x in labels.event_labels] for r in tune_on])
        thresholds = tune_thresholds(
            probs, targets, labels.event_labels, mask, config.min_tune_support
        )
    model.config = replace(model.config, thresholds=thresholds)
    # The reconciliation rule (a role-tagged number reports its event) is kept only when it
    # does not hurt dev macro-F1.
    if tune_on:
        tagger = model.tagger()
        texts = [r.text for r in tune_on]
        scores = {
            rule: event_metrics(
                [r.events for r in tune_on],
                [x.labels for x in tagger.tag(texts, reconcile=rule)],
                labels.event_labels,
                [r.known_labels for r in tune_on],
            ).macro_f1
            for rule in (True, False)
        }
        on, off = (scores[rule] if scores[rule] is not None else 0.0 for rule in (True, False))
        model.config = replace(model.config, reconcile=on >= off)
        log.info(
            "dev macro-F1 with the reconciliation rule %s, without %s",
            scores[True],
            scores[False],
        )


# -- fit ----------------------------------------------------------------------------------


@dataclass
class FitResult:
    """What ``fit()`` returns: the trained model (best dev checkpoint, decisions tuned) and its run."""

    model: Any  # conflict_events.model.pretrained.EventModel
    state: TrainState
    dev: dict[str, Any]  # dev scores of the final model, with its thresholds
    out: Path | None = None

    def eval_results(self, config: TrainConfig) -> dict[str, Any]:
        """The content of ``eval_results.json``."""
        return {
            "dev": self.dev,
            "thresholds": dict(self.model.config.thresholds),
            "reconcile": self.model.config.reconcile,
            "best_dev_score": {config.select_metric: self.state.best},
            "history": self.state.history,
        }


def _with_teacher_targets(features, train_examples, encoder, labels, config, out):
    """Attach the teachers' soft targets (``config.teacher``; see training/distil.py), cached in
    ``OUT/teacher_targets`` so a killed run does not run a teacher again."""
    from conflict_events.training.distil import Teacher, keep_tag_targets, soft_targets

    teachers = [Teacher(folder, labels, batch_size=config.batch_size) for folder in config.teacher]
    features = soft_targets(
        [e.record for e in train_examples],
        features,
        [f.offsets for f in features],
        teachers,
        cache=out / "teacher_targets" if out else None,
        student_tokenizer=encoder.tokenizer.to_str()[:100_000],
        progress=not config.quiet and sys.stderr.isatty(),
    )
    return keep_tag_targets(features, config.distil_tags)


def fit(
    model,
    train_examples: Sequence[Any],
    dev_examples: Sequence[Any],
    config: TrainConfig,
    device: str | torch.device | None = None,
    callbacks: Sequence[Any] = (),
) -> FitResult:
    """Train ``model`` (an :class:`~conflict_events.model.pretrained.EventModel`) in place.

    ``train_examples`` / ``dev_examples``: :class:`~conflict_events.training.inputs.Example`
    objects (a record and its weight), e.g. from :func:`~conflict_events.training.inputs.load_inputs`.
    ``device`` overrides ``config.device``. ``callbacks``: objects with any of
    :class:`Callback`'s methods. Returns a :class:`FitResult`; with ``config.out``, the folder
    holds the model, ``training_args.json`` and ``eval_results.json``.
    """
    from tqdm.auto import tqdm

    if not train_examples:
        raise ValueError("no training records")
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = select_device(device if device is not None else config.device)
    precision = precision_for(device, config.bf16)
    labels = model.labels
    dev_records = [e.record for e in dev_examples]
    out = Path(config.out) if config.out else None
    checkpoint = out / CHECKPOINT_DIR if out else None
    mode = prepare_run_folder(out, config) if out else "fresh"
    if mode == "done":
        raise RunFolderError(f"{out} holds this run, finished; pass --overwrite to train it again")
    fingerprint = data_fingerprint(train_examples)
    if mode == "resume":  # the checkpoint's weights replace the model's
        check_resumed_data(checkpoint, fingerprint)
        from conflict_events.model.pretrained import EventModel

        resumed = EventModel.from_pretrained(checkpoint, labels)
        model.net.load_state_dict(resumed.net.state_dict())
        model.config = resumed.config

    encoder = model.encoder_for()
    features = featurize(
        [e.record for e in train_examples], encoder, labels, [e.weight for e in train_examples]
    )
    truncated = sum(f.truncated for f in features)
    if config.teacher:
        features = _with_teacher_targets(features, train_examples, encoder, labels, config, out)
    elif any(e.record.known_labels == () for e in train_examples):
        log.warning("records without labels and no --teacher: they teach nothing")
    pos_weight = positive_weights(features, config.pos_weight_cap).to(device)

    net = model.net.to(device)
    optimizer = torch.optim.AdamW(
        net.parameter_groups(config.lr, config.head_lr, config.weight_decay),
        # one kernel per step instead of one per tensor: ~10% faster on CPU here
        fused=device.type in ("cpu", "cuda"),
    )
    scaler = torch.amp.GradScaler(device.type) if precision.scale_loss else None
    steps_per_epoch = math.ceil(math.ceil(len(features) / config.batch_size) / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    warmup = max(1, int(config.warmup_ratio * total_steps))

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    base_lrs = [group["lr"] for group in optimizer.param_groups]
    average = WeightAverage(net, config.ema_decay) if config.ema_decay else None
    state = TrainState(total_steps=total_steps, data=fingerprint)
    if mode == "resume":
        state = TrainState.from_dict(load_checkpoint(checkpoint, optimizer))
        if average:
            average.load_state_dict(load_averaged(checkpoint))
        state.total_steps, state.should_stop, state.data = total_steps, False, fingerprint
        log.info("resuming from %s: epoch %d, step %d", checkpoint, state.epoch, state.step)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        config.save(out / ARGS_NAME)
    best_weights: dict[str, torch.Tensor] | None = None  # kept in memory when there is no out

    def save_resumable() -> None:
        """Write ``OUT/checkpoint``: weights, optimiser, state and the weight average, if any."""
        averaged = average.state_dict() if average else None
        save_checkpoint(checkpoint, model, optimizer, state.to_dict(), averaged)

    log.info(
        "training on %d records (%d cut at %d tokens), dev %d; %d steps on %s%s; labels %s",
        len(features), truncated, config.max_length, len(dev_records), total_steps, device,
        f" ({precision.dtype})" if precision.dtype else "", list(labels.event_labels),
    )  # fmt: skip
    show_bar = not config.quiet and sys.stderr.isatty()
    while state.epoch < config.epochs and not state.should_stop:
        epoch = state.epoch
        batches = make_batches(features, config.batch_size, config.seed + epoch)
        net.train()
        bar = tqdm(
            total=len(batches),
            initial=state.batch,
            desc=f"epoch {epoch + 1}/{config.epochs}",
            disable=not show_bar,
        )
        seen, started = 0, time.perf_counter()
        for b in range(state.batch, len(batches)):
            batch = {
                k: v.to(device)
                for k, v in collate(
                    [features[i] for i in batches[b]], encoder.pad_id, len(encoder.prefix)
                ).items()
            }
            with precision.autocast(device):
                outputs = net(batch["input_ids"], batch["attention_mask"])
            losses = compute_loss(batch, outputs, pos_weight, config)
            loss = losses["loss"] / config.grad_accum
            (scaler.scale(loss) if scaler else loss).backward()
            seen += len(batches[b])
            state.batch = b + 1
            if (b + 1) % config.grad_accum == 0 or b + 1 == len(batches):
                factor = lr_factor(state.step)
                for group, base in zip(optimizer.param_groups, base_lrs):
                    group["lr"] = base * factor
                if scaler:
                    scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                if scaler:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if average:
                    average.update(net)
                state.step += 1
                logs = {k: float(v.item()) for k, v in losses.items()}
                logs.update(lr=base_lrs[0] * factor, sps=seen / (time.perf_counter() - started))
                if (
                    checkpoint
                    and config.checkpoint_every
                    and (state.step % config.checkpoint_every == 0)
                ):
                    save_resumable()
                    _call(callbacks, "on_save", state, checkpoint)
                _call(callbacks, "on_step", state, logs)
                if not show_bar and state.step % max(1, steps_per_epoch // 10) == 0:
                    log.info(
                        "step %d/%d: loss %.3f (events %.3f, tags %.3f), %.0f sentences/s",
                        state.step, total_steps, logs["loss"], logs["events"], logs["tags"],
                        logs["sps"],
                    )  # fmt: skip
                if config.max_steps and state.step >= config.max_steps:
                    state.should_stop = True
            bar.update(1)
            bar.set_postfix(
                event=f"{losses['events'].item():.3f}",
                tags=f"{losses['tags'].item():.3f}",
                sps=f"{seen / (time.perf_counter() - started):.0f}",
            )
            if state.should_stop:
                break
        bar.close()
        finished_epoch = state.batch >= len(batches)
        state.epoch += 1 if finished_epoch else 0
        state.batch = 0 if finished_epoch else state.batch
        # With a weight average, the average is what is scored and kept; training goes on
        # from the raw weights, restored when the block ends.
        with average.applied(net) if average else contextlib.nullcontext():
            scores = dev_scores(model, dev_records, labels)
            key = "real" if "real" in scores else "all"
            score = scores[key][config.select_metric] if scores else None  # None: keep the last
            state.history.append({"epoch": epoch + 1, "step": state.step, **scores})
            log.info("epoch %d: dev %s", epoch + 1, json.dumps(scores))
            _call(callbacks, "on_evaluate", state, scores)
            if score is None or score > state.best:  # without dev data the last epoch is kept
                state.best, state.bad_evals = (score if score is not None else -1.0), 0
                if out:
                    model.save_pretrained(out)
                    _call(callbacks, "on_save", state, out)
                else:
                    best_weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                state.bad_evals += 1
                if state.bad_evals >= config.patience:
                    log.info("no dev improvement in %d evaluations: stopping", config.patience)
                    state.should_stop = True
        if checkpoint:
            save_resumable()

    # The best model, with its decision rules tuned on dev.
    if out:
        from conflict_events.model.pretrained import EventModel

        best = EventModel.from_pretrained(out, labels)
        net.load_state_dict(best.net.state_dict())
    elif best_weights is not None:
        net.load_state_dict(best_weights)
    net.eval()
    tune_decisions(model, dev_records, config)
    result = FitResult(
        model, state, dev_scores(model, dev_records, labels, model.config.thresholds), out
    )
    if out:
        model.save_pretrained(out)
        (out / RESULTS_NAME).write_text(
            json.dumps(result.eval_results(config), indent=2) + "\n", encoding="utf-8"
        )
        if checkpoint.exists() and not config.keep_checkpoint:
            shutil.rmtree(checkpoint)  # optimizer state: ~3x the model, useless once finished
        _call(callbacks, "on_save", state, out)
        log.info("saved %s (dev: %s)", out, json.dumps(result.dev))
    return result
