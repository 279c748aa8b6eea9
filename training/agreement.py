"""Inter-annotator agreement: two annotations of the same sentences, compared label by label.

``conflict-events data agreement --first A.jsonl --second B.jsonl`` matches records by their text
(exactly) and reports, per event label, the agreement F1 (2 × both / (first + second), symmetric)
and Cohen's kappa, plus number agreement: span + role F1 (strict and overlap) and, on the spans
both annotators marked with the same role, how often value and qualifier agree.

>>> from conflict_events.training.records import Record
>>> a = [Record("1", "Five died.", ("casualty",)), Record("2", "Calm day.", ())]
>>> b = [Record("x", "Five died.", ("casualty",)), Record("y", "Calm day.", ("casualty",))]
>>> report = agreement(a, b, ["casualty"])
>>> report.per_label["casualty"]["f1"], report.per_label["casualty"]["kappa"], report.matched
(0.6667, 0.0, 2)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from conflict_events.inference.labels import LabelSchema
from conflict_events.training.metrics import event_metrics, number_metrics
from conflict_events.training.records import Record, read_records


@dataclass(frozen=True)
class AgreementReport:
    matched: int  # sentences annotated by both
    unmatched: int  # sentences of the second annotation not found in the first
    per_label: dict[str, dict[str, float]]  # f1, kappa, first, second, both
    macro_f1: float
    numbers: dict[str, float | None]

    def to_dict(self) -> dict:
        return asdict(self)


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float:
    """Cohen's kappa of two binary annotations of the same items.

    >>> cohen_kappa([True, True, False, False], [True, False, False, False])
    0.5
    """
    n = len(first)
    if n == 0:
        return 0.0
    observed = sum(a == b for a, b in zip(first, second)) / n
    p1, p2 = sum(first) / n, sum(second) / n
    expected = p1 * p2 + (1 - p1) * (1 - p2)
    return round((observed - expected) / (1 - expected), 4) if expected < 1 else 1.0


def agreement(
    first: Sequence[Record], second: Sequence[Record], labels: Sequence[str]
) -> AgreementReport:
    by_text = {r.text: r for r in first}
    pairs = [(by_text[r.text], r) for r in second if r.text in by_text]
    events = event_metrics([a.events for a, _ in pairs], [b.events for _, b in pairs], labels)
    per_label = {}
    for label in labels:
        x = [label in a.events for a, _ in pairs]
        y = [label in b.events for _, b in pairs]
        per_label[label] = {
            "f1": events.per_label[label].f1,
            "kappa": cohen_kappa(x, y),
            "first": sum(x),
            "second": sum(y),
            "both": sum(p and q for p, q in zip(x, y)),
        }
    roles = sorted({n.role for a, b in pairs for n in (*a.numbers, *b.numbers) if n.role})
    numbers = number_metrics(
        [list(a.numbers) for a, _ in pairs], [list(b.numbers) for _, b in pairs], roles
    )
    return AgreementReport(
        matched=len(pairs),
        unmatched=len(second) - len(pairs),
        per_label=per_label,
        macro_f1=events.macro_f1,
        numbers={
            "strict_f1": numbers.strict.f1,
            "overlap_f1": numbers.overlap.f1,
            "first": numbers.strict.support,
            "second": numbers.strict.tp + numbers.strict.fp,
            "value_agreement": numbers.value_accuracy,
            "qualifier_agreement": numbers.qualifier_accuracy,
            "unit_agreement": numbers.unit_accuracy,
        },
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--first", nargs="+", required=True, help="record JSONL files of the first annotation"
    )
    parser.add_argument(
        "--second", nargs="+", required=True, help="record JSONL files of the second annotation"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    first = [r for path in args.first for r in read_records(path)]
    second = [r for path in args.second for r in read_records(path)]
    labels = LabelSchema.default().event_labels
    report = agreement(first, second, labels)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(
        f"sentences annotated twice: {report.matched} (second annotation not found in first: {report.unmatched})"
    )
    print(f"{'label':<26} {'F1':>6} {'kappa':>6} {'first':>6} {'second':>6} {'both':>6}")
    for label, row in report.per_label.items():
        print(
            f"{label:<26} {row['f1']:>6.3f} {row['kappa']:>6.3f} {row['first']:>6} {row['second']:>6} {row['both']:>6}"
        )
    print(f"{'macro':<26} {report.macro_f1:>6.3f}")
    n = report.numbers
    print(
        f"numbers: span+role F1 strict {n['strict_f1']:.3f}, overlap {n['overlap_f1']:.3f} "
        f"({n['first']} vs {n['second']} numbers); on matched spans value {n['value_agreement']}, "
        f"qualifier {n['qualifier_agreement']}, unit {n['unit_agreement']}"
    )
    return 0
