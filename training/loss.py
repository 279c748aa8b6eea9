"""The training loss, in one place: what ``fit()`` minimises, given a batch and the model outputs.

:func:`compute_loss` is the single function the loop calls; it returns every term by name plus
their sum under ``"loss"``, so a further term (a teacher's soft targets, a regulariser) is one more
entry here, not a change to the loop. The batch is the dict of tensors :func:`collate` makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from conflict_events.training.features import IGNORE, Features


def positive_weights(features: Sequence[Features], cap: float) -> torch.Tensor:
    """sqrt(negatives / positives) per label, capped: rare labels count more, but not wildly."""
    events = np.array([f.events for f in features])
    mask = np.array([f.event_mask for f in features])
    pos = (events * mask).sum(0)
    neg = ((1 - events) * mask).sum(0)
    return torch.tensor(
        np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, max(cap, 1.0)), dtype=torch.float
    )


def joint_loss(
    batch: dict[str, torch.Tensor],
    event_logits: torch.Tensor,
    tag_logits: torch.Tensor,
    pos_weight: torch.Tensor,
    tag_weight: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The event loss (masked, weighted BCE) and the weighted token loss (masked cross-entropy).

    A label outside a record's ``known_labels`` (``event_mask`` 0) and a token tagged ``IGNORE``
    contribute nothing; ``batch["weight"]`` weighs each record (its file's ``weight=``).
    """
    w = batch["weight"]  # (B,)
    bce = nn.functional.binary_cross_entropy_with_logits(
        event_logits.float(), batch["events"], pos_weight=pos_weight, reduction="none"
    )  # (B, E)
    m = batch["event_mask"] * w[:, None]
    event_loss = (bce * m).sum() / m.sum().clamp(min=1.0)
    ce = nn.functional.cross_entropy(
        tag_logits.float().transpose(1, 2), batch["tags"], ignore_index=IGNORE, reduction="none"
    )  # (B, T)
    tm = (batch["tags"] != IGNORE).float() * w[:, None]
    tag_loss = (ce * tm).sum() / tm.sum().clamp(min=1.0)
    return event_loss, tag_weight * tag_loss


def compute_loss(
    batch: dict[str, torch.Tensor],
    outputs: tuple[torch.Tensor, torch.Tensor],
    pos_weight: torch.Tensor,
    config: Any,
) -> dict[str, torch.Tensor]:
    """Every loss term of one batch: ``{"events": ..., "tags": ..., "loss": their sum}``.

    ``outputs`` is the network's ``(event_logits, tag_logits)``; ``config`` a
    :class:`~conflict_events.training.config.TrainConfig` (its ``tag_loss_weight``).
    """
    event_logits, tag_logits = outputs
    event_loss, tag_loss = joint_loss(
        batch, event_logits, tag_logits, pos_weight, config.tag_loss_weight
    )
    terms = {"events": event_loss, "tags": tag_loss, "loss": event_loss + tag_loss}
    if "soft_events" in batch:  # a teacher's soft targets (training/distil.py)
        from conflict_events.training.distil import distil_loss

        soft_events, soft_tags = distil_loss(
            batch, event_logits, tag_logits, config.distil_temperature, config.tag_loss_weight
        )
        terms.update(soft_events=soft_events, soft_tags=soft_tags)
        terms["loss"] = terms["loss"] + config.distil_weight * (soft_events + soft_tags)
    return terms
