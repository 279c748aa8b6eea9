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

Several teachers (``--teacher A B``, an ensemble) teach the mean of their logits, event and tag
alike: the soft targets of a model whose logits are the average of theirs.

Teacher passes are cached in ``OUT/teacher_targets/``, one file per chunk of records, each record
keyed by its text, its student tokens, the teacher's weights and the student's tokenizer. A killed
run does not redo them, and a run over changed data (records added, removed or moved) or with a
teacher added runs each teacher only on the records it has not seen.
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


def _record_key(text: str, offsets: Sequence[tuple[int, int]], prefix: bytes) -> str:
    """A record's cache key: its text and student tokens, after the teacher and tokenizer."""
    digest = hashlib.sha256(prefix)
    digest.update(text.encode("utf-8") + b"\0" + json.dumps(list(offsets)).encode())
    return digest.hexdigest()[:32]


def _aligned_targets(
    teacher: Teacher, texts: Sequence[str], student_offsets: Sequence[Sequence[tuple[int, int]]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The teacher's event logits and, per student token, its tag logits (NaN rows: no teacher
    token there, masked in the loss)."""
    out = []
    for k, (ev, tg, t_offsets) in enumerate(teacher.logits(texts)):
        offsets = student_offsets[k]
        align = char_alignment(offsets, t_offsets, len(texts[k]))
        rows = np.full((len(offsets), tg.shape[1]), np.nan, dtype=np.float32)
        has = np.array([j >= 0 for j in align], dtype=bool)
        rows[has] = tg[[j for j in align if j >= 0]]
        # Rounded as the cache stores them, so a resumed run trains on the same numbers.
        out.append((ev.astype(np.float32), rows.astype(np.float16).astype(np.float32)))
    return out


def _read_cache(cache_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every cached record, by key; files from older layouts (no ``keys``) are ignored."""
    from safetensors.numpy import load_file

    cached = {}
    for meta_path in sorted(cache_dir.glob("chunk-*.json")):
        try:
            keys = json.loads(meta_path.read_text(encoding="utf-8")).get("keys")
        except ValueError:  # damaged (bad JSON or UTF-8): its records are recomputed
            keys = None
        path = meta_path.with_suffix(".safetensors")
        if not keys or not path.is_file():
            continue
        arrays = load_file(str(path))
        ends = np.cumsum(arrays["lengths"])
        for k, key in enumerate(keys):
            rows = arrays["tags"][ends[k] - arrays["lengths"][k] : ends[k]].astype(np.float32)
            cached[key] = (arrays["events"][k], rows)
    return cached


def _write_cache(
    cache_dir: Path, keys: list[str], targets: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    from safetensors.numpy import save_file

    number = 1 + max(
        (int(p.stem.split("-")[1]) for p in cache_dir.glob("chunk-*.json")), default=-1
    )
    path = cache_dir / f"chunk-{number:05d}.safetensors"
    arrays = {
        "events": np.stack([ev for ev, _ in targets]).astype(np.float32),
        "tags": np.concatenate([rows for _, rows in targets]).astype(np.float16),
        "lengths": np.array([len(rows) for _, rows in targets], dtype=np.int64),
    }
    save_file(arrays, str(path))
    # The keys are written last: a chunk without them (killed mid-write) is ignored.
    path.with_suffix(".json").write_text(json.dumps({"keys": keys}), encoding="utf-8")


def soft_targets(
    records: Sequence[Record],
    features: Sequence[Features],
    student_offsets: Sequence[Sequence[tuple[int, int]]],
    teachers: Sequence[Teacher],
    cache: str | Path | None = None,
    student_tokenizer: str = "",
    progress: bool = True,
) -> list[Features]:
    """``features`` with the teachers' soft targets attached (see the module docstring)."""
    if not teachers:
        raise ValueError("soft targets need at least one teacher")
    cache_dir = Path(cache) if cache else None
    if cache_dir:
        cache_dir.mkdir(parents=True, exist_ok=True)
    cached = _read_cache(cache_dir) if cache_dir else {}
    per_teacher = [
        _teacher_targets(
            records, student_offsets, teacher, cached, cache_dir, student_tokenizer, progress
        )
        for teacher in teachers
    ]
    out = []
    for k, f in enumerate(features):
        events = np.mean([targets[k][0] for targets in per_teacher], axis=0)
        # NaN rows (no teacher token there) are the same for every teacher of one tokenizer and
        # stay NaN in the mean; they are masked in the loss.
        tags = np.mean([targets[k][1] for targets in per_teacher], axis=0)
        out.append(replace(f, soft_events=tuple(events.tolist()), soft_tags=tags))
    return out


def _teacher_targets(
    records: Sequence[Record],
    student_offsets: Sequence[Sequence[tuple[int, int]]],
    teacher: Teacher,
    cached: dict[str, tuple[np.ndarray, np.ndarray]],
    cache_dir: Path | None,
    student_tokenizer: str,
    progress: bool,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One teacher's targets for every record: from the cache, else from a pass of the teacher
    over the records the cache lacks (written to the cache one chunk at a time)."""
    from tqdm.auto import tqdm

    prefix = f"{teacher.fingerprint()}\n{student_tokenizer}\n".encode()
    keys = [_record_key(r.text, o, prefix) for r, o in zip(records, student_offsets, strict=True)]
    todo = list({key: k for k, key in enumerate(keys) if key not in cached}.values())
    chunks = range(0, len(todo), CHUNK)
    for begin in tqdm(chunks, desc="teacher targets", disable=not progress, unit="chunk"):
        part = todo[begin : begin + CHUNK]
        texts = [records[k].text for k in part]
        new = _aligned_targets(teacher, texts, [student_offsets[k] for k in part])
        cached.update(zip((keys[k] for k in part), new))
        if cache_dir:
            _write_cache(cache_dir, [keys[k] for k in part], new)
    return [cached[key] for key in keys]


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
