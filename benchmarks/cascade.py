"""Student, teacher and the cascade of both: quality and speed on the same labelled sentences.

    python benchmarks/cascade.py --student model/default --teacher runs/teacher \\
        --data runs/realtext-all/test.jsonl --margins 0.1 0.2 0.3

The cascade (``EventTagger.with_second_pass``) runs the student on every sentence and the
teacher only on those whose event probabilities lie within ``margin`` of a threshold. For each
system: event macro-F1, number span+role F1 (the event head with the model's own reconciliation
rule, as ``tag`` returns it), sentences/s over the whole set (one warm-up pass first), and for the
cascade the share of sentences sent to the teacher. Each model runs on its ONNX file when it has
one (``conflict-events export``), else in PyTorch; the table says which.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def runtime(tagger) -> str:
    return type(tagger.backend).__name__.replace("Backend", "").lower()


def measure(tagger, records, labels) -> dict:
    from conflict_events.training.metrics import record_metrics

    texts = [r.text for r in records]
    tagger.tag(texts[:64])  # warm-up: sessions, thread pools
    started = time.perf_counter()
    results = tagger.tag(texts)
    seconds = time.perf_counter() - started
    events, numbers = record_metrics(
        records, [x.labels for x in results], [x.numbers for x in results], labels
    )
    return {
        "macro_f1": events.macro_f1,
        "per_label": {x: events.per_label[x].f1 for x in events.per_label},
        "number_f1": numbers.strict.f1,
        "sentences_per_s": round(len(texts) / seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--student", default=str(REPO / "model/default"))
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--data", default=str(REPO / "runs/realtext-all/test.jsonl"))
    parser.add_argument("--margins", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", help="also write the table as JSON")
    args = parser.parse_args(argv)

    from conflict_events.inference.tagger import EventTagger
    from conflict_events.training.records import JsonlReader

    records = [r for _, r in JsonlReader(args.data)]
    student = EventTagger.from_pretrained(args.student, threads=args.threads)
    teacher = EventTagger.from_pretrained(args.teacher, threads=args.threads)
    labels = student.labels
    rows = {
        f"student ({runtime(student)})": measure(student, records, labels),
        f"teacher ({runtime(teacher)})": measure(teacher, records, labels),
    }
    for margin in args.margins:
        cascade = student.with_second_pass(teacher, margin)
        probs = student.predict_proba([r.text for r in records])
        row = measure(cascade, records, labels)
        row["to_teacher"] = round(float(cascade.unsure(probs).mean()), 3)
        rows[f"cascade, margin {margin:g}"] = row
    print(f"{len(records)} sentences of {args.data}\n")
    print(
        f"| system | macro-F1 | {' | '.join(labels.event_labels)} | number F1 | sentences/s | to teacher |"
    )
    print("|---|---|" + "---|" * len(labels.event_labels) + "---|---|---|")
    for name, row in rows.items():
        per = " | ".join(f"{row['per_label'].get(x, 0):.3f}" for x in labels.event_labels)
        share = f"{row['to_teacher']:.0%}" if "to_teacher" in row else "-"
        print(
            f"| {name} | {row['macro_f1']:.3f} | {per} | {row['number_f1']:.3f} | {row['sentences_per_s']:.0f} | {share} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"data": args.data, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
