"""Compare the sentence splitter with pysbd on the case table: accuracy and speed.

    python benchmarks/splitter.py [--cases benchmarks/cases/splits.jsonl] [--errors]

Each case (written for this project and frozen before tuning) is a text and its expected
sentences. Accuracy: the share of cases split exactly right, and precision / recall / F1 of
sentence boundaries (the character offset where each sentence ends, surrounding whitespace
stripped). pysbd runs with ``language="en", clean=False``; its segments are located in the
text in order and stripped, the same way for every case. Speed: MB/s on the same text, the
cases joined by blank lines and repeated to about 100 KB (pysbd slows down on longer texts);
ours also on 1 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conflict_events.inference.splitter import split_sentences

HERE = Path(__file__).resolve().parent
Spans = list[tuple[int, int]]


def load_cases(path: Path) -> list[dict]:
    cases = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        case = json.loads(line)
        if expected_spans(case) is None:
            raise SystemExit(f"{path}:{line_number}: a sentence of {case['id']} is not in its text")
        cases.append(case)
    return cases


def locate(text: str, pieces: list[str]) -> Spans | None:
    """Offsets of each (stripped) piece, found in order; None if one is missing."""
    spans, position = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, position)
        if start < 0:
            return None
        spans.append((start, start + len(piece)))
        position = start + len(piece)
    return spans


def expected_spans(case: dict) -> Spans | None:
    return locate(case["text"], case["sentences"])


def ours(text: str) -> Spans:
    return [(s.start, s.end) for s in split_sentences(text)]


def pysbd_system() -> Callable[[str], Spans | None]:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    return lambda text: locate(text, segmenter.segment(text)) if text.strip() else []


def accuracy(cases: list[dict], system: Callable[[str], Spans | None]):
    exact, hits, predicted, wanted, failures = 0, 0, 0, 0, []
    for case in cases:
        want = expected_spans(case)
        got = system(case["text"]) or []
        exact += got == want
        if got != want:
            failures.append((case, got))
        got_ends, want_ends = {e for _, e in got}, {e for _, e in want}
        hits += len(got_ends & want_ends)
        predicted += len(got_ends)
        wanted += len(want_ends)
    precision = hits / predicted if predicted else 1.0
    recall = hits / wanted if wanted else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return exact / len(cases), precision, recall, f1, failures


def throughput(system: Callable[[str], Spans | None], text: str) -> float:
    started = time.perf_counter()
    system(text)
    return len(text.encode("utf-8")) / 1e6 / (time.perf_counter() - started)


def repeated(cases: list[dict], size: int) -> str:
    block = "\n\n".join(case["text"].strip() for case in cases if case["text"].strip())
    return "\n\n".join([block] * (size // len(block) + 1))[:size]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=HERE / "cases" / "splits.jsonl")
    ap.add_argument("--errors", action="store_true", help="list the cases each system gets wrong")
    args = ap.parse_args(argv)
    cases = load_cases(args.cases)
    systems = {"conflict-events": ours, "pysbd": pysbd_system()}
    small, large = repeated(cases, 100_000), repeated(cases, 1_000_000)
    print(f"{len(cases)} cases from {args.cases.name}\n")
    print(
        f"{'system':<16}{'exact':>8}{'precision':>11}{'recall':>8}{'F1':>7}{'MB/s 100KB':>12}{'MB/s 1MB':>10}"
    )
    scores = {}
    for name, system in systems.items():
        exact, precision, recall, f1, failures = accuracy(cases, system)
        scores[name] = (exact, f1)
        speed = throughput(system, small)
        speed_large = f"{throughput(system, large):.2f}" if name == "conflict-events" else "-"
        print(
            f"{name:<16}{exact:>8.1%}{precision:>11.1%}{recall:>8.1%}{f1:>7.1%}"
            f"{speed:>12.2f}{speed_large:>10}"
        )
        if args.errors:
            for case, got in failures:
                print(f"   {case['id']}: {[case['text'][s:e] for s, e in got]}")
    ahead = all(scores["conflict-events"][k] >= scores["pysbd"][k] for k in (0, 1))
    print("\nours at least as accurate as pysbd:", "yes" if ahead else "NO")
    return 0 if ahead else 1


if __name__ == "__main__":
    sys.exit(main())
