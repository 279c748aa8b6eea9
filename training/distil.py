"""Knowledge distillation: a trained teacher's predictions as soft targets for a smaller student.

``conflict-events train --teacher runs/teacher ...`` runs the teacher (a conflict-events model
folder with PyTorch weights, e.g. all-mpnet-base-v2 fine-tuned by this same trainer) once over
every training record, labelled or not, and keeps per record:

- the teacher's event logits, ``(E,)``;
- its number-role tag logits for each of the *student's* content tokens, ``(T, K)``.

Teacher and student may tokenise differently, so tags are carried over by characters: a student
token takes the distribution of the teacher token that covers its first character (or, failing
that, any character of it); a student token no teacher token covers gets no soft target. For two
WordPiece encoders with the same vocabulary (MiniLM and MPNet) the tokens coincide one to one.

The loss (:func:`distil_loss`) compares the student with the teacher at temperature ``T``:
binary cross-entropy against the teacher's sigmoid probabilities for events and KL divergence
against its softmax for tags, both scaled by ``T**2`` so their gradients keep their size as ``T``
grows (Hinton et al., 2015). Records without gold labels (``known_labels: []``, as
``data pool`` writes them) learn from these terms alone.

Teacher passes are cached in ``OUT/teacher_targets/`` one chunk at a time, keyed by the texts,
the teacher's weights and the student's tokenizer, so a killed run does not redo them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from conflict_events.training.features import Features
from conflict_events.training.records import Record

CHUNK = 512  # records per cached teacher pass


def char_alignment(
    student: Sequence[tuple[int, int]], teacher: Sequence[tuple[int, int]], length: int
) -> list[int]:
    """For each student token, the index of the teacher token covering it, or -1.

    >>> char_alignment([(0, 4), (5, 7), (7, 9)], [(0, 4), (5, 9)], 9)
    [0, 1, 1]
    >>> char_alignment([(0, 4), (5, 9)], [(0, 4)], 9)
    [0, -1]
    """
    owner = np.full(length + 1, -1, dtype=np.int64)
    for j, (s, e) in enumerate(teacher):
        owner[s:e] = j
    out = []
    for s, e in student:
        covered = owner[s:e][owner[s:e] >= 0]
        out.append(int(owner[s]) if owner[s] >= 0 else (int(covered[0]) if len(covered) else -1))
    return out


class Teacher:
    """A trained model folder run in PyTorch to produce soft targets."""

    def __init__(self, folder: str | Path, labels, batch_size: int = 32) -> None:
        from conflict_events.model.pretrained import EventModel

        self.folder = Path(folder)
        self.model = EventModel.from_pretrained(self.folder, labels)
        self.encoder = self.model.encoder_for()
        self.batch_size = batch_size

    def fingerprint(self) -> str:
        """Changes whenever the teacher's weights or config change."""
        digest = hashlib.sha256()
        for name in ("config.json", "model.safetensors"):
            stat = (self.folder / name).stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()[:16]

    @torch.inference_mode()
    def logits(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray, list]]:
        """``(event_logits (E,), tag_logits (T_teacher, K), teacher token offsets)`` per text.

        Only each text's first window is used: training examples are cut to one window too.
        """
        net = self.model.net.eval()
        out: list[tuple[np.ndarray, np.ndarray, list]] = []
        windows = [
            next(w for w in self.encoder.encode([t]) if w.text_index == 0) for t in texts
        ]  # first window of each text
        for begin in range(0, len(windows), self.batch_size):
            part = windows[begin : begin + self.batch_size]
            ids, mask = self.encoder.pad(part)
            events, tags = net(torch.from_numpy(ids), torch.from_numpy(mask))
            for row, window in enumerate(part):
                content = [i for i, o in enumerate(window.offsets) if o is not None]
                out.append(
                    (
                        events[row].float().numpy(),
                        tags[row, content].float().numpy(),
                        [window.offsets[i] for i in content],
                    )
                )
        return out


def _chunk_key(texts: Sequence[str], teacher: str, student_tokenizer: str) -> str:
    digest = hashlib.sha256(f"{teacher}\n{student_tokenizer}\n".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def soft_targets(
    records: Sequence[Record],
    features: Sequence[Features],
    student_offsets: Sequence[Sequence[tuple[int, int]]],
    teacher: Teacher,
    cache: str | Path | None = None,
    student_tokenizer: str = "",
    progress: bool = True,
) -> list[Features]:
    """``features`` with the teacher's soft targets attached (see the module docstring)."""
    from safetensors.numpy import load_file, save_file
    from tqdm.auto import tqdm

    cache_dir = Path(cache) if cache else None
    if cache_dir:
        cache_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = teacher.fingerprint()
    out: list[Features] = []
    chunks = range(0, len(records), CHUNK)
    for begin in tqdm(chunks, desc="teacher targets", disable=not progress, unit="chunk"):
        texts = [r.text for r in records[begin : begin + CHUNK]]
        key = _chunk_key(texts, fingerprint, student_tokenizer)
        path = cache_dir / f"chunk-{begin // CHUNK:05d}.safetensors" if cache_dir else None
        meta_path = path.with_suffix(".json") if path else None
        if path and path.is_file() and json.loads(meta_path.read_text())["key"] == key:
            arrays = load_file(str(path))
            events, tags, lengths = arrays["events"], arrays["tags"], arrays["lengths"]
        else:
            events_list, tags_list = [], []
            for k, (ev, tg, t_offsets) in enumerate(teacher.logits(texts)):
                offsets = student_offsets[begin + k]
                align = char_alignment(offsets, t_offsets, len(texts[k]))
                rows = np.zeros((len(offsets), tg.shape[1]), dtype=np.float32)
                has = np.array([j >= 0 for j in align], dtype=bool)
                rows[has] = tg[[j for j in align if j >= 0]]
                rows[~has] = np.nan  # no teacher token here: masked in the loss
                events_list.append(ev)
                tags_list.append(rows)
            events = np.stack(events_list).astype(np.float32)
            lengths = np.array([len(t) for t in tags_list], dtype=np.int64)
            tags = np.concatenate(tags_list).astype(np.float16)
            if path:
                save_file({"events": events, "tags": tags, "lengths": lengths}, str(path))
                meta_path.write_text(json.dumps({"key": key}), encoding="utf-8")
        ends = np.cumsum(lengths)
        for k in range(len(texts)):
            f = features[begin + k]
            rows = tags[ends[k] - lengths[k] : ends[k]].astype(np.float32)
            out.append(replace(f, soft_events=tuple(events[k].tolist()), soft_tags=rows))
    return out


def distil_loss(
    batch: dict[str, torch.Tensor],
    event_logits: torch.Tensor,
    tag_logits: torch.Tensor,
    temperature: float,
    tag_weight: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft event and tag losses against the teacher's logits, each scaled by ``T**2``."""
    t = temperature
    w = batch["weight"] * batch["soft_mask"]  # (B,)
    teacher_events = torch.sigmoid(batch["soft_events"] / t)  # (B, E)
    bce = nn.functional.binary_cross_entropy_with_logits(
        event_logits.float() / t, teacher_events, reduction="none"
    ).mean(dim=-1)  # (B,)
    event_loss = (bce * w).sum() / w.sum().clamp(min=1e-6)
    teacher_tags = torch.softmax(batch["soft_tags"] / t, dim=-1)  # (B, T, K)
    student_log = torch.log_softmax(tag_logits.float() / t, dim=-1)  # (B, T, K)
    kl = (teacher_tags * (torch.log(teacher_tags.clamp(min=1e-9)) - student_log)).sum(-1)  # (B, T)
    tm = batch["soft_tag_mask"] * w[:, None]
    tag_loss = (kl * tm).sum() / tm.sum().clamp(min=1e-6)
    return t * t * event_loss, t * t * tag_weight * tag_loss


def keep_tag_targets(features: list[Features], mode: str) -> list[Features]:
    """Drop token soft targets by ``mode``: ``all`` keeps them, ``unlabelled`` keeps them only
    for records without gold number labels (gold tokens then teach alone), ``none`` drops them."""
    from conflict_events.training.features import IGNORE

    if mode == "all":
        return features
    return [
        f
        if mode == "unlabelled" and all(t == IGNORE for t in f.tags)
        else replace(f, soft_tags=None)
        for f in features
    ]


def collate_soft(features: Sequence[Features], width: int, prefix: int) -> dict[str, torch.Tensor]:
    """The soft-target tensors of a batch; token rows sit after the ``prefix`` special tokens."""
    n_events = next(len(f.events) for f in features)
    n_tags = next((f.soft_tags.shape[1] for f in features if f.soft_tags is not None), 1)
    events = torch.zeros((len(features), n_events))
    has = torch.zeros(len(features))
    tags = torch.zeros((len(features), width, n_tags))
    tag_mask = torch.zeros((len(features), width))
    for row, f in enumerate(features):
        if f.soft_events is None:
            continue
        has[row] = 1.0
        events[row] = torch.tensor(f.soft_events)
        if f.soft_tags is None:  # event targets only (see ``TrainConfig.distil_tags``)
            continue
        rows = torch.from_numpy(np.nan_to_num(f.soft_tags, nan=0.0))
        tags[row, prefix : prefix + len(rows)] = rows
        tag_mask[row, prefix : prefix + len(rows)] = torch.from_numpy(
            (~np.isnan(f.soft_tags).any(axis=1)).astype(np.float32)
        )
    return {"soft_events": events, "soft_mask": has, "soft_tags": tags, "soft_tag_mask": tag_mask}
