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
from conflict_events.inference.predictor import NUMBERS, SCORES, Predictor, check_predictor
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
from conflict_events.training.records import Record

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
    """Read records for scoring: JSONL, CSV with 0/1 label columns, or a ``datasets`` folder.

    Bad lines and records with labels the model does not know are listed as ``file:line``
    problems, left out and reported; the other records are scored.
    """
    from conflict_events.training.inputs import RecordReader

    path = Path(path)
    out = EvalFile(path, path.stem, _slug(path.stem))
    reader = RecordReader(path, labels)
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

    def interval(item_counts: np.ndarray, statistic) -> list[float] | None:
        # samples == 0 turns the intervals off (a quick look); None prints as the bare figure.
        if samples <= 0:
            return None
        return list(bootstrap_counts_ci(item_counts, statistic, samples, seed))

    out: dict[str, Any] = {
        "events": events.to_dict(),
        "ci": {
            "macro_f1": interval(counts[:, scored], macro_f1) if scored else None,
            "micro_f1": interval(counts, micro_f1),
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
        out["ci"]["number_f1"] = interval(number_counts(gold_n, pred_n, known), micro_f1)
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


@dataclass(frozen=True)
class EvalReport:
    """What :func:`evaluate` measured: one section per file, one row per system in each.

    ``sections[i]["systems"][name]`` holds that system's figures on file i (events, CIs, ECE,
    numbers, confusion); ``sections[i]["labels"]`` are the labels every row's macro average is
    over, ``sections[i]["unsupported_labels"]`` those with no gold instance (reported n/a).
    ``to_dict()`` is the ``metrics.json`` of ``conflict-events evaluate --report``.
    """

    sections: tuple[dict[str, Any], ...]
    systems: dict[str, dict[str, Any]]  # name -> description, what it predicts
    settings: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] | None = None  # the model's path, labels, thresholds (CLI)
    errors: tuple[dict[str, Any], ...] = ()  # the first system's errors, per record

    def to_dict(self) -> dict[str, Any]:
        baselines = {k: v for k, v in self.systems.items() if not k.startswith("model")}
        return {
            "model": self.model,
            "settings": self.settings,
            "systems": self.systems,
            "baselines": baselines,
            "sections": list(self.sections),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], errors: Sequence[dict[str, Any]] = ()) -> EvalReport:
        return cls(
            sections=tuple(data["sections"]),
            systems=dict(data.get("systems", {})),
            settings=dict(data.get("settings", {})),
            model=data.get("model"),
            errors=tuple(errors),
        )

    def table(self) -> str:
        """Every section's headline table, as aligned plain text."""
        from conflict_events.training.report import format_table

        return "\n\n".join(
            f"== {s['name']} ({s['file']}): {s['n']} records ==\n{format_table(s)}"
            for s in self.sections
        )

    def __str__(self) -> str:
        return self.table()


def evaluate(
    system: Predictor | Sequence[Predictor],
    files: Sequence[str | Path] | str | Path,
    samples: int = 1000,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
) -> EvalReport:
    """Score one system (or several, side by side) on labelled files; see :class:`EvalReport`.

    A system follows :class:`~conflict_events.inference.predictor.Predictor`: numbers are scored
    only for one that predicts them, calibration only for one that gives scores. Systems must
    share their event labels: every row of a table is averaged over the same labels (those some
    record annotated and that have a gold instance in the file). ``files``: JSONL, CSV or
    ``datasets`` folders (anything ``train`` reads); each is its own section. Errors (false
    positives and negatives, number errors) are collected for the first system.

    >>> from conflict_events.training.baselines import KeywordBaseline
    >>> evaluate(KeywordBaseline(), ["data/corpus/test.jsonl"]).sections[0]["n"]  # doctest: +SKIP
    350
    """
    systems = [check_predictor(x) for x in ([system] if hasattr(system, "tag") else system)]
    if not systems:
        raise ValueError("no system to evaluate")
    labels: LabelSchema = systems[0].labels
    for other in systems[1:]:
        if tuple(other.labels.event_labels) != tuple(labels.event_labels):
            raise ValueError(
                f"systems predict different labels: {systems[0].name} "
                f"{list(labels.event_labels)}, {other.name} {list(other.labels.event_labels)}; "
                "their macro averages would not be comparable"
            )
    names = [x.name for x in systems]
    if len(set(names)) != len(names):
        raise ValueError(f"two systems share a name: {names}")
    paths = [files] if isinstance(files, (str, Path)) else list(files)

    sections, errors = [], []
    seen: dict[str, int] = {}
    # Files of the same name in different folders ("corpus/test", "realtext-all/test") are
    # named with their folder.
    folders: dict[str, set[str]] = {}
    for path in paths:
        folders.setdefault(Path(path).stem, set()).add(str(Path(path).parent))
    for path in paths:
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
        scores: dict[str, Any] = {}
        for k, x in enumerate(systems):
            probs = x.predict_proba(texts) if SCORES in x.predicts else None
            results = x.tag(texts)
            scores[x.name] = score_system(
                records, results, labels, probs, predicts_numbers=NUMBERS in x.predicts,
                samples=samples, seed=seed,
            )  # fmt: skip
            scores[x.name]["description"] = SYSTEM_DESCRIPTIONS.get(x.name, x.name)
            if k == 0:
                probs_for_errors = probs if probs is not None else np.zeros((len(records), 0))
                section_errors = collect_errors(
                    data.name, records, results, probs_for_errors, labels
                )
        errors += section_errors
        known = [r.known_labels for r in records]
        first = scores[systems[0].name]["events"]
        sections.append(
            {
                "name": data.name,
                "slug": data.slug,
                "file": str(data.path),
                "n": len(records),
                "problems": data.problems,
                "labels": list(first["scored_labels"]),
                "unsupported_labels": list(first["unsupported_labels"]),
                "roles": label_scope(labels.number_roles, known),
                "default_system": systems[0].name,
                "errors": len(section_errors),
                "systems": scores,
            }
        )
    described = {
        x.name: {
            "description": SYSTEM_DESCRIPTIONS.get(x.name, x.name),
            "predicts": sorted(x.predicts),
        }
        for x in systems
    }
    return EvalReport(
        tuple(sections),
        described,
        {"bootstrap_samples": samples, "seed": seed, **(settings or {})},
        errors=tuple(errors),
    )


def evaluate_command(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``conflict-events evaluate``: the model (with and without the reconciliation rule) and,
    with ``--baselines``, the baselines; returns ``metrics.json``'s content and the errors.
    """
    from conflict_events.inference.tagger import EventTagger

    if args.bootstrap < 0:
        raise ValueError(f"--bootstrap {args.bootstrap}: give 0 (no intervals) or more resamples")
    tagger = EventTagger.from_pretrained(
        args.model, backend=args.backend, threads=args.threads, batch_size=args.batch_size
    )
    labels: LabelSchema = tagger.labels
    shipped = tagger.with_reconcile(tagger.config.reconcile)
    other = tagger.with_reconcile(not tagger.config.reconcile)
    systems: list[Any] = [shipped, other]  # the shipped behaviour first: its errors are listed
    notes: dict[str, dict[str, Any]] = {}
    if args.baselines:
        from conflict_events.training.baselines import KeywordBaseline, TfidfBaseline

        systems.append(KeywordBaseline(labels))
        if args.train:
            from conflict_events.training.inputs import load_inputs

            train = [e.record for e in load_inputs(args.train, labels)]
            tfidf = TfidfBaseline(labels).fit(train)
            systems.append(tfidf)
            notes[tfidf.name] = {
                "description": SYSTEM_DESCRIPTIONS["tfidf-lr"] + f"; trained on {len(train)} "
                f"records of {', '.join(args.train)}",
                "notes": tfidf.notes,
            }
        else:
            notes["tfidf-lr"] = {"description": "skipped: needs --train FILE"}
            print("note: the TF-IDF baseline needs --train FILE; skipped", file=sys.stderr)
    report = evaluate(
        systems, args.data, args.bootstrap, args.seed, settings={"command": _command(args)}
    )
    metrics = report.to_dict()
    for section in metrics["sections"]:  # rows in a fixed order: model, model+reconcile, ...
        order = ["model", "model+reconcile"] + [s.name for s in systems[2:]]
        section["systems"] = {k: section["systems"][k] for k in order}
    for name, info in notes.items():
        metrics["baselines"][name] = {**metrics["baselines"].get(name, {}), **info}
    metrics["model"] = {
        "path": str(tagger.path),
        "backend": args.backend,
        "labels": labels.to_dict(),
        "thresholds": {x: tagger.config.threshold(x) for x in labels.event_labels},
        "reconcile": tagger.config.reconcile,
    }
    return metrics, list(report.errors)


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
                        help="labelled records (JSONL, CSV with 0/1 label columns, or a "
                        "`datasets` folder); each is reported on its own")  # fmt: skip
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
                        help="bootstrap resamples for the 95%% intervals (0: no intervals)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-errors", type=int, default=25, metavar="N",
                        help="errors listed per label and kind in errors.md (all go to errors.jsonl)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from conflict_events.inference.model_folder import ModelFolderError
    from conflict_events.training.heldout import HeldOutError
    from conflict_events.training.records import RecordError
    from conflict_events.training.report import format_table, write_report

    try:
        metrics, errors = evaluate_command(args)
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
