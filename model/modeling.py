"""The joint model: one encoder pass, two heads.

``event_logits`` (B, E): a multi-label sentence head over mean-pooled token states (sigmoid,
per-label thresholds at decode time). ``tag_logits`` (B, T, K): a token head over BIO tags of the
number roles (K = 1 + 2 × roles). The encoder is any Hugging Face ``AutoModel``.
"""

from __future__ import annotations

import torch
from torch import nn


class JointEventModel(nn.Module):
    def __init__(
        self, encoder: nn.Module, num_events: int, num_tags: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.event_head = nn.Linear(hidden, num_events)
        self.tag_head = nn.Linear(hidden, num_tags)

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
        mask = attention_mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (B, H)
        event_logits = self.event_head(self.dropout(pooled))  # (B, E)
        tag_logits = self.tag_head(self.dropout(states))  # (B, T, K)
        return event_logits, tag_logits
