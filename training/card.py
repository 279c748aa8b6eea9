"""The model card (``README.md`` of a model folder) and shipping the default model as package data.

    python -m conflict_events.training.card --model runs/default --variant runs/teacher \\
        --variant runs/all --learning-curve benchmarks/results/learning_curve.md --ship model/default \\
        --gate runs/realtext-all/dev.jsonl

The card is written from files the recipe produced, never typed by hand: ``config.json``,
``training_args.json``, ``eval_results.json``, ``report/metrics.json`` (``conflict-events
evaluate``), ``report/external.json`` (``benchmarks/external.py``) and ``export_report.json``
(``conflict-events export``). ``--variant`` puts other models (the teacher, the ``--licence all``
variant) beside it, so the cost of distillation and of the licence rule are visible.

``--gate FILE ...`` guards ``--ship``: the new model replaces the shipped one only if it scores
higher on those labelled files (the mean of event macro-F1 and number F1, the trainer's
``mean_f1``, over their records pooled), so a rebuild that came out worse leaves the shipped model
as it was. ``--force`` ships regardless.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conflict_events.inference.model_folder import (
    CONFIG_NAME,
    ONNX_INT8_NAME,
    TOKENIZER_NAME,
    ModelConfig,
)
from conflict_events.training.records import JsonlReader
from conflict_events.training.report import fmt, headline_rows, markdown_table

SHIPPED_FILES = (
    CONFIG_NAME,
    TOKENIZER_NAME,
    ONNX_INT8_NAME,
    "README.md",
    "training_args.json",
    "eval_results.json",
    "export_report.json",
)
MAX_SHIPPED_BYTES = 30 * 1024 * 1024


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def training_sources(train_files: list[str]) -> list[tuple[str, str, int]]:
    """(source, licence, records) over the training files, read back from the files themselves."""
    counts: Counter[tuple[str, str]] = Counter()
    for spec in train_files:
        for _, record in JsonlReader(Path(spec.split(",")[0])):
            counts[(record.source or "unknown", record.licence or "unknown")] += 1
    return [(s, lic, n) for (s, lic), n in sorted(counts.items())]


def _headline(metrics: dict[str, Any]) -> str:
    parts = []
    for section in metrics["sections"]:
        header, rows = headline_rows(section)
        parts.append(
            f"**{section['name']}** ({section['n']} records; `{section['file']}`)\n\n"
            + markdown_table(header, rows)
        )
    return "\n\n".join(parts)


def _external(scores: list[dict[str, Any]] | None) -> str:
    if not scores:
        return "Not run (the public corpora were not available)."
    keys = ["benchmark", "task", "system", "n", "precision", "recall", "f1"]
    rows = [[fmt(s[k]) if isinstance(s[k], float) else str(s[k]) for k in keys] for s in scores]
    notes = {s["benchmark"]: (s.get("published"), s.get("note")) for s in scores}
    lines = [markdown_table(keys, rows), ""]
    for name, (published, note) in notes.items():
        lines.append(f"- **{name}**: published: {published}. {note}.")
    return "\n".join(lines)


def _variant_rows(name: str, metrics: dict[str, Any]) -> list[list[str]]:
    rows = []
    for section in metrics["sections"]:
        system = section["systems"][section["default_system"]]
        numbers = system.get("numbers") or {}
        rows.append(
            [
                name,
                section["name"],
                fmt(system["events"]["macro_f1"]),
                fmt(system["events"]["micro"]["f1"]),
                fmt((numbers.get("strict") or {}).get("f1")),
            ]
        )
    return rows


def _dev_section(results: dict[str, Any] | None) -> list[str]:
    """The dev scores ``train`` wrote, for a folder not yet run through ``evaluate``."""
    if not results or not results.get("dev"):
        return []
    keys = ["macro_f1", "micro_f1", "number_f1"]
    rows = [
        [name, *[fmt(s.get(k)) for k in keys], str(s.get("n"))]
        for name, s in results["dev"].items()
    ]
    return [
        "Dev records (used for early stopping and threshold tuning, so optimistic; run "
        "`conflict-events evaluate` on a test split for honest figures):",
        "",
        markdown_table(["dev records", *keys, "n"], rows),
        "",
    ]


def render_card(
    model_dir: Path,
    variant_dirs: Sequence[Path] = (),
    learning_curve: Path | None = None,
    sources: list[tuple[str, str, int]] | None = None,
) -> str:
    """The card of a model folder, from its files; ``variant_dirs``: other models to compare with
    (not shipped); ``learning_curve``: a markdown table included as is; ``sources``: (source,
    licence, records) rows of the training data."""
    config = ModelConfig.load(model_dir)
    args = _load(model_dir / "training_args.json") or {}
    metrics = _load(model_dir / "report" / "metrics.json")
    external = _load(model_dir / "report" / "external.json")
    export = _load(model_dir / "export_report.json")
    labels = config.labels
    if sources is None:
        sources = (_load(model_dir / "eval_results.json") or {}).get("train_sources")
    if sources is None:
        sources = training_sources(args.get("train", []))
    lines = [
        f"# conflict-events model: `{model_dir.name}`",
        "",
        "Tags each sentence with the conflict events it reports (multi-label) and tags the numbers "
        "that count them with a role; values, qualifiers and units come from the project's number "
        "normaliser. Read with `EventTagger.from_pretrained(PATH)` (ONNX Runtime, light install).",
        "",
        f"- Base encoder: {config.base_model}",
        f"- Event labels: {', '.join(labels.event_labels)}",
        f"- Number roles: {', '.join(labels.number_roles)}",
        "- Thresholds (tuned on real-text dev records): "
        + ", ".join(f"{k} {v:.2f}" for k, v in config.thresholds.items()),
        f"- Max length {config.max_length} tokens per window; longer sentences are tagged in windows.",
        f"- Reconciliation rule (a role-tagged number reports its event): {'on' if config.reconcile else 'off'}",
        "",
        "## Training data",
        "",
        "Training arguments are in `training_args.json` (`conflict-events train --config "
        "training_args.json` reruns them); the shipped model's recipe is `bash recipes/build.sh`.",
        "",
        markdown_table(
            ["source", "licence", "records"], [[s, lic, str(n)] for s, lic, n in sources]
        ),
        "",
        "## Evaluation",
        "",
    ]
    if not metrics:
        lines += _dev_section(_load(model_dir / "eval_results.json"))
    if metrics:
        lines += [
            "Reproduce: `" + metrics["settings"]["command"] + "`",
            "",
            "`model` is the event head alone, `model+reconcile` the shipped behaviour; `keyword` and "
            "`tfidf-lr` are baselines run on the same data in the same command. Written sentences "
            "overstate real performance; the real-text test split (sentences of public corpora the "
            "model never trained or tuned on) is the figure to quote.",
            "",
            _headline(metrics),
            "",
        ]
    lines += [
        "## External benchmarks",
        "",
        f"Reproduce: `python benchmarks/external.py --model {model_dir}`",
        "",
        _external(external),
        "",
    ]
    compared = [(v, _load(v / "report" / "metrics.json")) for v in variant_dirs]
    compared = [(v, m) for v, m in compared if m]
    if metrics and compared:
        rows = _variant_rows(f"{model_dir.name} (shipped)", metrics)
        notes = []
        for folder, variant in compared:
            rows += _variant_rows(folder.name, variant)
            base = ModelConfig.load(folder).base_model
            rows_of = (_load(folder / "eval_results.json") or {}).get("train_sources")
            if rows_of is None:
                trained = _load(folder / "training_args.json") or {}
                rows_of = training_sources(trained.get("train", []))
            names = sorted({row[0] for row in rows_of})
            notes.append(f"- `{folder.name}`: {base}; trained on {', '.join(names)}")
        lines += [
            "## Beside other models of the recipe (not shipped)",
            "",
            "Other models of the recipe, scored by the same command and not shipped: a teacher is a "
            "larger encoder fine-tuned by the same trainer, which the shipped student distils; the "
            "`all` variant adds research-only sources (the shipped model learns only from sources "
            "whose licences allow it).",
            "",
            *notes,
            "",
            markdown_table(
                ["model", "test split", "macro-F1", "micro-F1", "number F1 strict"], rows
            ),
            "",
        ]
    if learning_curve is not None and learning_curve.is_file():
        lines += [
            "## Where the errors come from",
            "",
            learning_curve.read_text(encoding="utf-8").split("\n", 1)[1].strip(),
            "",
        ]
    if export:
        lines += [
            "## Export parity (ONNX vs PyTorch, on dev sentences)",
            "",
            "```json",
            json.dumps(export, indent=2),
            "```",
            "",
        ]
    lines += [
        "## Limitations",
        "",
        "- English only; sentence-level: a sentence is read on its own.",
        "- Trained mostly on sentences the project wrote plus a few thousand real ones: expect lower "
        "figures on genres it has not seen (police blotters, tweets, legal text).",
        "- The number head finds spans and roles; values come from a rule-based normaliser, so "
        "unusual number formats may be read wrongly.",
        "",
    ]
    return "\n".join(lines)


def write_card(model_dir: Path, sources: list[tuple[str, str, int]] | None = None) -> Path:
    """Write ``README.md`` (the card) into a model folder; ``train`` calls it for every run.

    ``sources`` are also kept in ``eval_results.json`` (``train_sources``), so a later card
    (after ``evaluate``) lists the same data without re-reading it.
    """
    results_file = model_dir / "eval_results.json"
    results = _load(results_file)
    if sources is not None and results is not None:
        results["train_sources"] = [list(row) for row in sources]
        results_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    path = model_dir / "README.md"
    path.write_text(render_card(model_dir, sources=sources), encoding="utf-8")
    return path


def ship(model_dir: Path, dest: Path) -> Path:
    """Copy what inference needs (int8 ONNX, tokenizer, config, card, metrics) into ``dest``."""
    missing = [
        f for f in (CONFIG_NAME, TOKENIZER_NAME, ONNX_INT8_NAME) if not (model_dir / f).is_file()
    ]
    if missing:
        raise FileNotFoundError(f"{model_dir}: missing {missing}; run the export first")
    size = sum((model_dir / f).stat().st_size for f in SHIPPED_FILES if (model_dir / f).is_file())
    if size > MAX_SHIPPED_BYTES:
        raise ValueError(
            f"{model_dir}: {size / 2**20:.1f} MB is over the {MAX_SHIPPED_BYTES // 2**20} MB limit"
        )
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name in SHIPPED_FILES:
        if (model_dir / name).is_file():
            shutil.copyfile(model_dir / name, dest / name)
    report = model_dir / "report"
    if report.is_dir():
        shutil.copytree(report, dest / "report", ignore=shutil.ignore_patterns("errors*"))
    return dest


def gate_score(model_dir: Path, files: Sequence[Path]) -> dict[str, Any]:
    """The model's shipped behaviour on the records of ``files``, pooled: event macro-F1 and F1
    per label, number span+role F1, and their mean (``mean_f1``, as the trainer selects by)."""
    from conflict_events.inference.tagger import EventTagger

    return tagger_score(EventTagger.from_pretrained(model_dir), str(model_dir), files)


def tagger_score(tagger: Any, name: str, files: Sequence[Path]) -> dict[str, Any]:
    """:func:`gate_score` of a tagger built in code (an ensemble, a tagger with other thresholds)."""
    from conflict_events.training.evaluate import read_eval_file, score_system
    from conflict_events.training.metrics import mean_f1

    records = []
    for path in files:
        data = read_eval_file(path, tagger.labels)
        for problem in data.problems:
            print(f"warning: {problem}", file=sys.stderr)
        records += data.records
    if not records:
        raise ValueError(f"{[str(f) for f in files]}: no record to score")
    scores = score_system(records, tagger.tag([r.text for r in records]), tagger.labels, samples=0)
    events, numbers = scores["events"], scores["numbers"]
    number_f1 = numbers["strict"]["f1"] if numbers else None
    return {
        "model": name,
        "n": len(records),
        "macro_f1": events["macro_f1"],
        "per_label": {k: v["f1"] for k, v in events["per_label"].items()},
        "number_f1": number_f1,
        "mean_f1": mean_f1(events["macro_f1"], number_f1),
    }


def score_table(scores: Sequence[dict[str, Any]]) -> str:
    """A markdown table of :func:`gate_score` results, one row per model."""
    labels = list(scores[0]["per_label"])
    rows = [
        [
            x["model"],
            fmt(x["mean_f1"]),
            fmt(x["macro_f1"]),
            fmt(x["number_f1"]),
            *(fmt(x["per_label"].get(k)) for k in labels),
        ]
        for x in scores
    ]
    return markdown_table(["model", "mean F1", "event macro-F1", "number F1", *labels], rows)


def gate(candidate: Path, shipped: Path, files: Sequence[Path]) -> tuple[bool, str]:
    """Whether ``candidate`` should replace the model in ``shipped``, and a table saying why."""
    new, old = gate_score(candidate, files), gate_score(shipped, files)
    table = score_table([new, old])
    better = (new["mean_f1"] or 0.0) > (old["mean_f1"] or 0.0)
    verdict = "ships" if better else "does not beat the shipped model"
    return (
        better,
        f"gate on {new['n']} records ({', '.join(map(str, files))}):\n{table}\n{candidate} {verdict}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conflict_events.training.card", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--model", type=Path, required=True, help="trained and evaluated model folder"
    )
    parser.add_argument(
        "--variant",
        type=Path,
        action="append",
        default=[],
        help="another model to compare with, not shipped (repeatable: the teacher, the `all` variant)",
    )
    parser.add_argument(
        "--learning-curve", type=Path, help="benchmarks/results/learning_curve.md, included as is"
    )
    parser.add_argument(
        "--ship", type=Path, help="copy the model's inference files here (package data)"
    )
    parser.add_argument(
        "--gate",
        type=Path,
        nargs="+",
        default=[],
        help="labelled files (real-text dev) the model must score higher on than the one in --ship",
    )
    parser.add_argument(
        "--force", action="store_true", help="with --gate: ship even if the model scores lower"
    )
    args = parser.parse_args(argv)
    card = render_card(args.model, args.variant, args.learning_curve)
    (args.model / "README.md").write_text(card, encoding="utf-8")
    print(f"wrote {args.model / 'README.md'}")
    if args.ship:
        if args.gate and (args.ship / CONFIG_NAME).is_file():
            try:
                better, why = gate(args.model, args.ship, args.gate)
            except ValueError as exc:  # no scorable record: the problems were listed above
                print(f"error: {exc}; {args.ship} kept as it was", file=sys.stderr)
                return 2
            print(why)
            if not better and not args.force:
                print(f"not shipped: {args.ship} kept as it was (--force ships anyway)")
                return 0
        print(f"shipped to {ship(args.model, args.ship)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
