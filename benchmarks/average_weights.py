"""A uniform weight average of trained model folders (a "model soup", Wortsman et al., 2022).

    python benchmarks/average_weights.py --out runs/soup runs/default runs/student-s15 runs/student-s16
    conflict-events export --model runs/soup --dev data/corpus/dev.jsonl
    conflict-events evaluate --model runs/soup --data runs/realtext-all/dev.jsonl --bootstrap 0

Runs of one recipe that differ only in the seed start from the same pretrained encoder, so their
weights can be averaged into one model of the same size and speed: a way to spend several seeds
without running several models. The folders must share labels and architecture; the new folder
takes the first one's config (thresholds, reconciliation rule) and tokenizer.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402

from conflict_events.inference.model_folder import ModelFolderError  # noqa: E402 (no torch)


def average_weights(folders: list[Path], out: Path) -> Path:
    """Average every floating-point weight of ``folders`` and save the result to ``out``."""
    from conflict_events.model.pretrained import EventModel

    if len(folders) < 2:
        raise ValueError("give at least two model folders to average")
    models = [EventModel.from_pretrained(folder) for folder in folders]
    states = [model.net.state_dict() for model in models]
    for folder, model, state in zip(folders[1:], models[1:], states[1:], strict=True):
        same_shapes = state.keys() == states[0].keys() and all(
            state[k].shape == states[0][k].shape for k in state
        )
        if model.labels != models[0].labels or not same_shapes:
            raise ModelFolderError(f"{folder}: labels or architecture differ from {folders[0]}")
    averaged = {
        # Integer buffers (position ids) are the same in every folder: keep them as they are.
        k: sum(s[k] for s in states) / len(states) if v.is_floating_point() else v
        for k, v in states[0].items()
    }
    models[0].net.load_state_dict(averaged)
    return models[0].save_pretrained(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="trained model folders")
    parser.add_argument("--out", required=True, type=Path, help="the averaged model's folder")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty; choose a new folder")
    try:
        print(f"wrote {average_weights(args.folders, args.out)}")
    except (ModelFolderError, ValueError) as exc:  # a folder without weights, other labels
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
