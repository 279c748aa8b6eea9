"""Tokenisation into model windows, with character offsets, for both runtimes.

A sentence longer than the model's window is cut into overlapping windows (never silently
truncated); the tagger merges their predictions. Special tokens are read off the tokenizer
itself, so any Hugging Face fast tokenizer (``tokenizer.json``) works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Window:
    """One model input: token ids with their character offsets in the source text.

    ``offsets[i]`` is ``(start, end)`` in the text for content tokens and ``None`` for special
    tokens (CLS, SEP, ...). ``text_index`` says which input text the window belongs to.
    """

    text_index: int
    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int] | None, ...]


class WindowEncoder:
    """Encodes texts into windows of at most ``max_length`` tokens, overlapping by ``stride``.

    >>> from tokenizers import Tokenizer, models, pre_tokenizers
    >>> vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "five": 4, "died": 5}
    >>> tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    >>> tok.pre_tokenizer = pre_tokenizers.Whitespace()
    >>> enc = WindowEncoder(tok, max_length=8, prefix=(2,), suffix=(3,))
    >>> w = enc.encode(["five died"])[0]
    >>> w.ids, w.offsets
    ((2, 4, 5, 3), (None, (0, 4), (5, 9), None))
    """

    def __init__(
        self,
        tokenizer,
        max_length: int = 128,
        stride: int = 32,
        prefix: Sequence[int] | None = None,
        suffix: Sequence[int] | None = None,
        pad_id: int | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        # The tokenizer file may carry padding/truncation settings; windows are ours to make. Its
        # padding token is the model's own (MPNet's vocabulary holds both <pad> and an unused
        # [PAD]), so read it before switching padding off.
        declared_pad = (tokenizer.padding or {}).get("pad_id")
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        if prefix is None or suffix is None:
            prefix, suffix = _special_tokens(tokenizer)
        self.prefix = tuple(prefix)
        self.suffix = tuple(suffix)
        self.max_length = max_length
        self.content_length = max_length - len(self.prefix) - len(self.suffix)
        if self.content_length < 2:
            raise ValueError(f"max_length {max_length} leaves no room for content tokens")
        self.stride = min(stride, self.content_length // 2)
        if pad_id is None:
            pad_id = declared_pad if declared_pad is not None else _pad_id(tokenizer)
        self.pad_id = pad_id

    @classmethod
    def from_folder(
        cls, folder: str | Path, max_length: int = 128, stride: int = 32
    ) -> WindowEncoder:
        from tokenizers import Tokenizer

        from conflict_events.inference.model_folder import ModelFolderError

        path = Path(folder) / "tokenizer.json"
        if not path.is_file():
            raise ModelFolderError(f"{folder}: no tokenizer.json")
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the tokenizers library raises a bare Exception
            raise ModelFolderError(f"{path}: unreadable tokenizer: {exc}") from None
        return cls(tokenizer, max_length=max_length, stride=stride)

    def encode(self, texts: Sequence[str]) -> list[Window]:
        """Windows for every text, in input order (a long text gives several consecutive windows)."""
        windows: list[Window] = []
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        step = self.content_length - self.stride
        for index, encoding in enumerate(encodings):
            ids, offsets = encoding.ids, encoding.offsets
            start = 0
            while True:
                piece = slice(start, start + self.content_length)
                windows.append(
                    Window(
                        index,
                        self.prefix + tuple(ids[piece]) + self.suffix,
                        (None,) * len(self.prefix)
                        + tuple(tuple(o) for o in offsets[piece])
                        + (None,) * len(self.suffix),
                    )
                )
                if start + self.content_length >= len(ids):
                    break
                start += step
        return windows

    def pad(self, windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)`` int64 arrays padded to the longest window."""
        width = max(len(w.ids) for w in windows)
        input_ids = np.full((len(windows), width), self.pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(windows), width), dtype=np.int64)
        for row, window in enumerate(windows):
            input_ids[row, : len(window.ids)] = window.ids
            attention_mask[row, : len(window.ids)] = 1
        return input_ids, attention_mask


def _special_tokens(tokenizer) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ids the tokenizer's post-processor puts before and after a single sequence."""
    plain = tokenizer.encode("a", add_special_tokens=False).ids
    full = tokenizer.encode("a", add_special_tokens=True).ids
    for cut in range(len(full) - len(plain) + 1):
        if full[cut : cut + len(plain)] == plain:
            return tuple(full[:cut]), tuple(full[cut + len(plain) :])
    return (), ()


def _pad_id(tokenizer) -> int:
    for token in ("[PAD]", "<pad>", "<PAD>"):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return token_id
    return 0
