"""``conflict-events train``: read the training files, then :func:`~conflict_events.training.loop.fit`.

    conflict-events train --train data/corpus/train.jsonl --dev data/corpus/dev.jsonl --out runs/x

``train(cfg)`` reads the inputs (refusing held-out data, and records that fail the checks of
``data validate``: exit 2 naming file:line, before any training), builds the model (a base encoder, or
``--init-model``) and calls ``fit()``, which does the training (see ``training/loop.py``); then it
writes the model card. The network's architecture (pooling, dropout) comes from the config and
is saved in ``config.json``. A killed run resumes from ``OUT/checkpoint`` when its config
matches; another run in ``OUT`` is an error naming the differing fields (``--overwrite`` starts
afresh). The finished folder keeps no optimizer state unless ``--keep-checkpoint``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from conflict_events.inference.labels import LabelSchema, parse_label_map
from conflict_events.training.config import TrainConfig, add_dataclass_arguments, config_from_args
from conflict_events.training.inputs import load_inputs

# The loop's pieces, importable from here as before (benchmarks and other code use them).
from conflict_events.training.loop import (  # noqa: F401
    FitResult,
    collate,
    dev_scores,
    fit,
    make_batches,
    prepare_run_folder,
)
from conflict_events.training.loss import compute_loss, joint_loss, positive_weights  # noqa: F401

log = logging.getLogger("conflict_events.training")


class TrainInputError(ValueError):
    """Training inputs refused before any training: the message says which file and line."""


def build_schema(cfg: TrainConfig) -> LabelSchema:
    roles, role_events = [], {}
    for spec in cfg.extra_roles:
        role, _, event = spec.partition(":")
        roles.append(role)
        if event:
            role_events[role] = event
    return LabelSchema.with_extra(cfg.extra_labels, roles, role_events)


def train(cfg: TrainConfig) -> Path:
    """Read ``cfg``'s files, train with :func:`fit`, write the model folder and its card."""
    from conflict_events.model.pretrained import EventModel
    from conflict_events.training.card import write_card

    if not cfg.out:
        raise ValueError("no output folder (pass --out DIR)")
    out = Path(cfg.out)
    # Checked before reading anything (a finished run: nothing to do). With --overwrite, fit()
    # clears the old run only after the inputs were read and validated: bad data loses nothing.
    if not cfg.overwrite and prepare_run_folder(out, cfg) == "done":
        log.info("%s already holds this run, finished (--overwrite to train it again)", out)
        return out
    labels = build_schema(cfg)
    label_map = parse_label_map(cfg.label_map)
    try:
        train_examples = load_inputs(cfg.train, labels, label_map, cfg.seed, cfg.allow_heldout)
        dev_examples = load_inputs(cfg.dev, labels, label_map, cfg.seed, cfg.allow_heldout)
    except (ValueError, OSError) as exc:  # bad records, unknown labels, held-out data, no file
        raise TrainInputError(str(exc)) from None
    if not train_examples:
        raise TrainInputError("no training records (pass --train FILE...)")
    if cfg.init_model:
        model = EventModel.from_pretrained(cfg.init_model, labels)
    else:
        model = EventModel.from_base(
            cfg.base_model, labels, cfg.max_length, cfg.dropout, pooling=cfg.pooling
        )
    fit(model, train_examples, dev_examples, cfg)
    sources = Counter(
        (e.record.source or "unknown", e.record.licence or "unknown") for e in train_examples
    )
    write_card(out, sources=[(s, lic, n) for (s, lic), n in sorted(sources.items())])
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataclass_arguments(parser, TrainConfig)


def run(args: argparse.Namespace) -> int:
    from conflict_events.training.loop import RunFolderError

    cfg = config_from_args(args)
    if not logging.getLogger().handlers:  # a library leaves logging set-up to its caller
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        train(cfg)
    except (RunFolderError, TrainInputError) as exc:  # refused before training: no traceback
        print(f"conflict-events train: error: {exc}", file=sys.stderr)
        return 2
    return 0
