"""``conflict-events evaluate``: score a model (and baselines) on labelled files; write a report.

    conflict-events evaluate --model runs/x --data data/corpus/test.jsonl --report reports/x \\
        --baselines --train data/corpus/train.jsonl

Each ``--data`` file is one section, scored on its own (files differ in source and in the labels
they annotate, so pooling them would hide that). Per section and system: event P/R/F1 per label,
micro and macro F1, exact match, ECE, bootstrap 95% intervals of macro-F1, micro-F1 and number
strict F1; numbers: span + role P/R/F1 strict and overlap, value/qualifier/unit accuracy on
matched spans, per-role F1. A label or role outside a record's ``known_labels`` is not scored.

Systems: ``model`` (the event head alone: ``tag(reconcile=False)``), ``model+reconcile`` (with
the rule that a role-tagged number reports its event), and with ``--baselines`` the keyword rules
and TF-IDF + logistic regression trained on ``--train``. ``--report DIR`` writes ``metrics.json``,
``report.md``, PNG plots and ``errors.md``/``errors.jsonl`` (the errors of the model as shipped).
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conflict_events.inference.decoding import decide_events
from conflict_events.inference.labels import LabelError, LabelSchema
from conflict_events.inference.results import SentenceResult
from conflict_events.training.metrics import (
    bootstrap_counts_ci,
    event_counts,
    event_metrics,
    expected_calibration_error,
    label_confusion,
    label_scope,
    macro_f1,
    match_numbers,
    micro_f1,
    number_counts,
    number_metrics,
    reliability_bins,
    scored_numbers,
)
from conflict_events.training.records import JsonlReader, Record

SYSTEM_DESCRIPTIONS = {
    "model": "the model's event head alone (tag(reconcile=False))",
    "model+reconcile": "the model with the reconciliation rule (tag(reconcile=True))",
    "keyword": "trigger words per event type + nearest-cue number roles (GDELT/IDETECT style)",
    "tfidf-lr": "TF-IDF uni+bigrams, one logistic regression per label (events only)",
}


@dataclass
class EvalFile:
    """The records of one ``--data`` file and the lines that could not be scored."""

    path: Path
    name: str
    slug: str
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_eval_file(path: str | Path, labels: LabelSchema) -> EvalFile:
    """Read a records JSONL (or a CSV with 0/1 label columns) for scoring.

    Bad lines and records with labels the model does not know are listed as ``file:line``
    problems, left out and reported; the other records are scored.
    """
    from conflict_events.training.inputs import read_csv

    path = Path(path)
    out = EvalFile(path, path.stem, _slug(path.stem))
    if path.suffix.lower() == ".csv":
        out.records = read_csv(path, labels)
        return out
    reader = JsonlReader(path)
    for lineno, record in reader:
        try:
            labels.check_events(record.events, f"{path}:{lineno}")
            for number in record.numbers:
                labels.check_role(number.role, f"{path}:{lineno}")
        except LabelError as exc:
            out.problems.append(f"{exc} (the model does not know it)")
            continue
        out.records.append(record)
    out.problems += [str(p) for p in reader.problems]
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "data"


def known_matrix(records: Sequence[Record], names: Sequence[str]) -> np.ndarray:
    """1.0 where record i's source annotated ``names[j]``."""
    return np.array([[float(r.knows(x)) for x in names] for r in records]).reshape(
        len(records), len(names)
    )


def score_system(
    records: Sequence[Record],
    results: Sequence[SentenceResult],
    labels: LabelSchema,
    probs: np.ndarray | None = None,
    predicts_numbers: bool = True,
    samples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Every figure of one system on one file, as JSON-able data (see the module doc)."""
    gold = [r.events for r in records]
    pred = [r.labels for r in results]
    known = [r.known_labels for r in records]
    events = event_metrics(gold, pred, labels.event_labels, known)
    counts = event_counts(gold, pred, labels.event_labels, known)
    scored = [labels.event_labels.index(x) for x in events.scored_labels]
    out: dict[str, Any] = {
        "events": events.to_dict(),
        "ci": {
            "macro_f1": list(bootstrap_counts_ci(counts[:, scored], macro_f1, samples, seed)),
            "micro_f1": list(bootstrap_counts_ci(counts, micro_f1, samples, seed)),
        },
        "ece": None,
        "reliability": None,
        "numbers": None,
        "confusion": label_confusion(gold, pred, labels.event_labels, known),
    }
    if probs is not None and len(records):
        mask = known_matrix(records, labels.event_labels) > 0
        targets = np.array([[float(x in r.events) for x in labels.event_labels] for r in records])
        out["ece"] = expected_calibration_error(probs[mask], targets[mask])
        out["reliability"] = reliability_bins(probs[mask], targets[mask])
    if predicts_numbers and label_scope(labels.number_roles, known):
        gold_n = [r.numbers for r in records]
        pred_n = [r.numbers for r in results]
        out["numbers"] = number_metrics(gold_n, pred_n, labels.number_roles, known).to_dict()
        out["ci"]["number_f1"] = list(
            bootstrap_counts_ci(number_counts(gold_n, pred_n, known), micro_f1, samples, seed)
        )
    return out


def collect_errors(
    section: str,
    records: Sequence[Record],
    results: Sequence[SentenceResult],
    probs: np.ndarray,
    labels: LabelSchema,
) -> list[dict[str, Any]]:
    """False positives and negatives per label, and number errors, with scores and sentences.

    A false positive's score is the decision's (the event head's probability, or a number's
    score when reconciliation added the label); a false negative's is the event head's.
    """
    errors: list[dict[str, Any]] = []
    for i, (record, result) in enumerate(zip(records, results, strict=True)):
        base = {"section": section, "id": record.id, "text": record.text}
        decided = {e.label: e.score for e in result.events}
        for j, label in enumerate(labels.event_labels):
            if not record.knows(label):
                continue
            if label in decided and label not in record.events:
                errors.append({**base, "kind": "false_positive", "label": label,
                               "score": round(float(decided[label]), 4)})  # fmt: skip
            elif label in record.events and label not in decided:
                errors.append({**base, "kind": "false_negative", "label": label,
                               "score": round(float(probs[i, j]), 4)})  # fmt: skip
        scope = record.known_labels
        gold_n = scored_numbers(record.numbers, scope)
        pred_n = scored_numbers(result.numbers, scope)
        pairs = match_numbers(gold_n, pred_n)
        matched_g, matched_p = {g for g, _ in pairs}, {p for _, p in pairs}
        for pi, p in enumerate(pred_n):
            if pi in matched_p:
                continue
            same_span = next(
                (gi for gi, g in enumerate(gold_n)
                 if gi not in matched_g and (g.start, g.end) == (p.start, p.end)),
                None,
            )  # fmt: skip
            number = {"text": p.text, "start": p.start, "end": p.end, "value": p.value}
            if same_span is not None:
                matched_g.add(same_span)
                errors.append({**base, "kind": "wrong_role", "label": gold_n[same_span].role,
                               "score": p.score, "number": number,
                               "gold_role": gold_n[same_span].role, "pred_role": p.role})  # fmt: skip
            else:
                errors.append({**base, "kind": "spurious_number", "label": p.role,
                               "score": p.score, "number": number, "pred_role": p.role})  # fmt: skip
        for gi, g in enumerate(gold_n):
            if gi not in matched_g:
                number = {"text": g.text, "start": g.start, "end": g.end, "value": g.value}
                errors.append({**base, "kind": "missed_number", "label": g.role, "score": None,
                               "number": number, "gold_role": g.role})  # fmt: skip
    return errors


def model_results(
    tagger, texts: list[str]
) -> tuple[np.ndarray, list[SentenceResult], list[SentenceResult]]:
    """Event probabilities, and results without and with the reconciliation rule.

    The model runs once for the probabilities and once for ``tag(reconcile=False)``; the
    reconciled events come from the same decision function ``tag(reconcile=True)`` applies, so
    the network is not run a third time.
    """
    probs = tagger.predict_proba(texts)
    plain = tagger.tag(texts, reconcile=False)
    schema, thresholds = tagger.labels, tagger.config.thresholds
    reconciled = [
        SentenceResult(r.text, r.start, r.end,
                       tuple(decide_events(p, r.numbers, schema, thresholds, True)), r.numbers)
        for p, r in zip(probs, plain, strict=True)
    ]  # fmt: skip
    return probs, plain, reconciled


def evaluate(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run every system on every file; return the metrics and the model's errors."""
    from conflict_events.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(
        args.model, backend=args.backend, threads=args.threads, batch_size=args.batch_size
    )
    labels: LabelSchema = tagger.labels
    default_system = "model+reconcile" if tagger.config.reconcile else "model"
    baselines: list[Any] = []
    baseline_info: dict[str, Any] = {}
    if args.baselines:
        from conflict_events.training.baselines import KeywordBaseline, TfidfBaseline

        keyword = KeywordBaseline(labels)
        baselines.append(keyword)
        baseline_info[keyword.name] = {"description": SYSTEM_DESCRIPTIONS["keyword"]}
        if args.train:
            from conflict_events.training.inputs import load_inputs

            train = [e.record for e in load_inputs(args.train, labels)]
            tfidf = TfidfBaseline(labels).fit(train)
            baselines.append(tfidf)
            baseline_info[tfidf.name] = {
                "description": SYSTEM_DESCRIPTIONS["tfidf-lr"] + f"; trained on {len(train)} "
                f"records of {', '.join(args.train)}",
                "notes": tfidf.notes,
            }
        else:
            baseline_info["tfidf-lr"] = {"description": "skipped: needs --train FILE"}
            print("note: the TF-IDF baseline needs --train FILE; skipped", file=sys.stderr)

    sections, errors = [], []
    seen: dict[str, int] = {}
    # Files of the same name in different folders ("corpus/test", "realtext-all/test") are
    # named with their folder.
    folders: dict[str, set[str]] = {}
    for path in args.data:
        folders.setdefault(Path(path).stem, set()).add(str(Path(path).parent))
    for path in args.data:
        data = read_eval_file(path, labels)
        if len(folders[data.path.stem]) > 1:
            data.name = f"{data.path.parent.name}/{data.path.stem}"
            data.slug = _slug(data.name)
        seen[data.slug] = seen.get(data.slug, 0) + 1
        if seen[data.slug] > 1:
            data.name, data.slug = (
                f"{data.name} ({seen[data.slug]})",
                f"{data.slug}_{seen[data.slug]}",
            )
        for problem in data.problems:
            print(f"warning: {problem}", file=sys.stderr)
        if not data.records:
            why = f" ({'; '.join(data.problems[:3])})" if data.problems else ""
            raise ValueError(f"{path}: no record to score{why}")
        records = data.records
        texts = [r.text for r in records]
        print(f"{data.path}: tagging {len(texts)} records ...", file=sys.stderr)
        probs, plain, reconciled = model_results(tagger, texts)
        common = {"samples": args.bootstrap, "seed": args.seed}
        systems = {
            "model": score_system(records, plain, labels, probs, **common),
            "model+reconcile": score_system(records, reconciled, labels, probs, **common),
        }
        for baseline in baselines:
            results = baseline.tag(texts)
            systems[baseline.name] = score_system(
                records, results, labels, baseline.predict_proba(texts),
                predicts_numbers=baseline.name == "keyword", **common,
            )  # fmt: skip
        for name, system in systems.items():
            system["description"] = SYSTEM_DESCRIPTIONS.get(name, name)
        default_results = reconciled if default_system == "model+reconcile" else plain
        section_errors = collect_errors(data.name, records, default_results, probs, labels)
        errors += section_errors
        known = [r.known_labels for r in records]
        sections.append(
            {
                "name": data.name,
                "slug": data.slug,
                "file": str(data.path),
                "n": len(records),
                "problems": data.problems,
                "labels": label_scope(labels.event_labels, known),
                "roles": label_scope(labels.number_roles, known),
                "default_system": default_system,
                "errors": len(section_errors),
                "systems": systems,
            }
        )
    metrics = {
        "model": {
            "path": str(tagger.path),
            "backend": args.backend,
            "labels": labels.to_dict(),
            "thresholds": {x: tagger.config.threshold(x) for x in labels.event_labels},
            "reconcile": tagger.config.reconcile,
        },
        "settings": {
            "command": _command(args),
            "bootstrap_samples": args.bootstrap,
            "seed": args.seed,
        },
        "baselines": baseline_info,
        "sections": sections,
    }
    return metrics, errors


def _command(args: argparse.Namespace) -> str:
    parts = ["conflict-events", "evaluate"]
    for key, value in vars(args).items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            parts += [flag, *map(str, value)]
        else:
            parts += [flag, str(value)]
    return shlex.join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--data", nargs="+", required=True, metavar="FILE",
                        help="labelled records (JSONL, or CSV with 0/1 label columns); "
                        "each file is reported on its own")  # fmt: skip
    parser.add_argument("--report", metavar="DIR",
                        help="write metrics.json, report.md, PNG plots and errors here")  # fmt: skip
    parser.add_argument("--baselines", action="store_true",
                        help="also score the keyword rules and (with --train) TF-IDF + LR")  # fmt: skip
    parser.add_argument("--train", nargs="+", metavar="FILE",
                        help="training records for the TF-IDF baseline (held-out data refused)")  # fmt: skip
    parser.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto",
                        help="runtime (auto: ONNX when the folder has an ONNX file)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the runtime")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for the 95%% intervals")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-errors", type=int, default=25, metavar="N",
                        help="errors listed per label and kind in errors.md (all go to errors.jsonl)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from conflict_events.inference.model_folder import ModelFolderError
    from conflict_events.training.heldout import HeldOutError
    from conflict_events.training.records import RecordError
    from conflict_events.training.report import format_table, write_report

    try:
        metrics, errors = evaluate(args)
    except (
        ModelFolderError,
        HeldOutError,
        RecordError,
        LabelError,
        FileNotFoundError,
        ValueError,
    ) as exc:
        print(f"conflict-events evaluate: error: {exc}", file=sys.stderr)
        return 1
    for section in metrics["sections"]:
        print(f"\n== {section['name']} ({section['file']}): {section['n']} records ==")
        print(format_table(section))
    if args.report:
        written = write_report(metrics, errors, args.report, args.max_errors)
        print(
            f"\nreport: {len(written)} files in {args.report} (report.md, metrics.json, errors.md)"
        )
    return 0
