"""The joint model: one encoder pass, two heads.

``event_logits`` (B, E): a multi-label sentence head over pooled token states (sigmoid,
per-label thresholds at decode time). ``tag_logits`` (B, T, K): a token head over BIO tags of the
number roles (K = 1 + 2 × roles). The encoder is any Hugging Face ``AutoModel``.

Every architectural choice (``pooling``, ``dropout``) is a constructor argument that
:class:`~conflict_events.inference.model_folder.ModelConfig` stores, so a saved folder rebuilds
the same network.
"""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("mean", "cls")


class JointEventModel(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        num_events: int,
        num_tags: int,
        dropout: float = 0.1,
        pooling: str = "mean",
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self.encoder = encoder
        self.pooling = pooling
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.event_head = nn.Linear(hidden, num_events)
        self.tag_head = nn.Linear(hidden, num_tags)

    def parameter_groups(
        self, lr: float, head_lr: float, weight_decay: float = 0.0
    ) -> list[dict[str, object]]:
        """Optimiser groups: the pretrained encoder at ``lr``, the fresh heads at ``head_lr``.

        The heads start from random weights and need a larger step than the encoder they sit on.
        """
        encoder = [p for n, p in self.named_parameters() if n.startswith("encoder.")]
        heads = [p for n, p in self.named_parameters() if not n.startswith("encoder.")]
        return [
            {"params": encoder, "lr": lr, "weight_decay": weight_decay, "name": "encoder"},
            {"params": heads, "lr": head_lr, "weight_decay": weight_decay, "name": "heads"},
        ]

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # token_type_ids are all zero for single sentences; passing them explicitly keeps the
        # exported graph free of an extra input.
        states = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state  # (B, T, H)
        if self.pooling == "cls":
            pooled = states[:, 0]  # (B, H)
        else:
            mask = attention_mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
            pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (B, H)
        event_logits = self.event_head(self.dropout(pooled))  # (B, E)
        tag_logits = self.tag_head(self.dropout(states))  # (B, T, K)
        return event_logits, tag_logits
