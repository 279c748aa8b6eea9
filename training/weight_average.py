"""An exponential moving average of the weights while training (``--ema-decay``).

The averaged weights are the ones evaluated on dev, kept as the best model and saved; the raw
weights keep training. An average over the last stretch of one run sits nearer the middle of
the region the optimiser wanders in than any single step does, which tends to carry better to
text unlike the training data. (Averaging separately trained seeds,
``benchmarks/average_weights.py``, is another thing: their weights need not share a region.)
On this project's recipe it did not help (``benchmarks/results/quality_experiments.md``,
"Students of two teachers, a moving average of the weights, a larger student"); it is off by
default.

Early steps get a smaller decay, ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so the
average is not held near the pretrained weights for the first thousand steps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


class WeightAverage:
    """The moving average of a module's floating-point parameters and buffers."""

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"the decay of the weight average must be in (0, 1), not {decay}")
        self.decay = decay
        self.updates = 0
        self.names = [k for k, v in net.state_dict().items() if v.is_floating_point()]
        # fp32 copies: an average in bf16 would lose the small updates it is made of.
        self.shadow = [net.state_dict()[k].detach().float().clone() for k in self.names]

    def update(self, net: torch.nn.Module) -> None:
        """Move the average towards ``net``'s current weights (call after each optimiser step)."""
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        state = net.state_dict()
        current = [state[k].detach().float() for k in self.names]
        torch._foreach_lerp_(self.shadow, current, 1.0 - decay)

    @contextlib.contextmanager
    def applied(self, net: torch.nn.Module) -> Iterator[None]:
        """Inside the block ``net`` holds the averaged weights; its own are restored after."""
        state = net.state_dict()
        raw = {k: state[k].detach().clone() for k in self.names}
        with torch.no_grad():
            for name, value in zip(self.names, self.shadow):
                state[name].copy_(value)
        try:
            yield
        finally:
            with torch.no_grad():
                for name in self.names:
                    state[name].copy_(raw[name])

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Tensors for a checkpoint (``save_checkpoint(..., averaged=...)``)."""
        out = {f"shadow.{k}": v.contiguous() for k, v in zip(self.names, self.shadow)}
        out["updates"] = torch.tensor(self.updates)
        return out

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        missing = [k for k in self.names if f"shadow.{k}" not in tensors]
        if missing:
            raise ValueError(
                f"the saved weight average lacks {len(missing)} tensors ({missing[0]}, ...)"
            )
        self.shadow = [tensors[f"shadow.{k}"].float().clone() for k in self.names]
        self.updates = int(tensors["updates"])
