"""The PyTorch runtime for :class:`~conflict_events.inference.tagger.EventTagger`.

Used when asked for (``backend="torch"``), when a folder has no ONNX file, and by training and
export to compare against ONNX.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from conflict_events.inference.model_folder import ModelConfig


class TorchBackend:
    def __init__(self, net: torch.nn.Module, threads: int | None = None) -> None:
        self.net = net
        if threads:
            torch.set_num_threads(threads)

    @classmethod
    def from_folder(
        cls, folder: str | Path, config: ModelConfig | None = None, threads: int | None = None
    ) -> TorchBackend:
        from conflict_events.model.pretrained import EventModel

        return cls(EventModel.from_pretrained(folder).net, threads)

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        was_training = self.net.training
        self.net.eval()
        # The net may sit on a GPU while training evaluates on dev; inputs follow it there.
        device = next(self.net.parameters()).device
        with torch.inference_mode():
            events, tags = self.net(
                torch.from_numpy(input_ids).to(device), torch.from_numpy(attention_mask).to(device)
            )
        if was_training:
            self.net.train()
        return events.float().cpu().numpy(), tags.float().cpu().numpy()
