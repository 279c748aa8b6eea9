"""Score model folders and the mean of their logits (an ensemble) on labelled files.

    python benchmarks/ensemble.py runs/teacher runs/teacher-s14 --data runs/realtext-all/dev.jsonl

The ensemble is the teacher that ``conflict-events train --teacher A B`` distils from: the mean of
the members' event and tag logits (training/distil.py). Scoring it first tells whether a student's
training is worth spending on it. Members must share labels and tokenizer; the ensemble decides
with the first member's thresholds and reconciliation rule. The PyTorch weights run, since
teachers are not exported. The scores are the ship gate's (``gate_score``, training/card.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

from conflict_events.inference.model_folder import ModelFolderError  # noqa: E402 (no torch)


class MeanBackend:
    """A backend whose logits are the mean of several backends' logits."""

    def __init__(self, backends: list) -> None:
        self.backends = backends

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        outputs = [backend(input_ids, attention_mask) for backend in self.backends]
        return np.mean([o[0] for o in outputs], axis=0), np.mean([o[1] for o in outputs], axis=0)


def ensemble_tagger(members: list):
    """An ``EventTagger`` over the mean logits of ``members`` (taggers of one label schema and
    tokenizer), deciding with the first member's thresholds and reconciliation rule."""
    from conflict_events.inference.tagger import EventTagger

    if len(members) < 2:
        raise ValueError("give at least two model folders to ensemble")
    first = members[0]
    tokenizer = first.encoder.tokenizer.to_str()
    for member in members[1:]:
        if member.labels != first.labels:
            raise ModelFolderError(f"{member.path}: labels differ from {first.path}")
        if member.encoder.tokenizer.to_str() != tokenizer:
            raise ModelFolderError(f"{member.path}: tokenizer differs from {first.path}")
    backend = MeanBackend([member.backend for member in members])
    return EventTagger(first.config, first.encoder, backend, path=first.path)


def main(argv: list[str] | None = None) -> int:
    from conflict_events.inference.tagger import EventTagger
    from conflict_events.training.card import score_table, tagger_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="trained model folders")
    parser.add_argument("--data", nargs="+", required=True, type=Path, help="labelled files")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    args = parser.parse_args(argv)
    try:
        members = [
            EventTagger.from_pretrained(f, backend="torch", threads=args.threads)
            for f in args.folders
        ]
        ensemble = ensemble_tagger(members)
        scores = [
            tagger_score(m, str(f), args.data) for f, m in zip(args.folders, members, strict=True)
        ]
        scores.append(tagger_score(ensemble, "ensemble (mean logits)", args.data))
    except (ModelFolderError, ValueError) as exc:  # no weights, other labels, no record to score
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{scores[0]['n']} records ({', '.join(map(str, args.data))}):")
    print(score_table(scores))
    if args.json:
        args.json.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
