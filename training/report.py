"""Evaluation reports for people: tables, a markdown report, PNG plots and an error listing.

Everything here reads the JSON-able metrics that ``conflict-events evaluate`` writes to
``metrics.json`` (see :mod:`conflict_events.training.evaluate`), so a report can be redrawn from
that file alone. Plots use matplotlib's Agg canvas directly (no pyplot, no display, no global
state), so reports can be written from any thread or a headless machine.

>>> section = {"name": "dev", "n": 2, "systems": {"model": {
...     "events": {"macro_f1": 0.5, "micro": {"f1": 0.6}, "exact_match": 0.5},
...     "ci": {"macro_f1": [0.2, 0.8], "micro_f1": [0.3, 0.9]}, "ece": 0.1, "numbers": None}}}
>>> print(format_table(section))  # doctest: +NORMALIZE_WHITESPACE
system  macro-F1 [95% CI]     micro-F1 [95% CI]     exact  ECE    num F1 strict [95% CI]  num F1 overlap  value acc  qualifier acc
model   0.500 [0.200, 0.800]  0.600 [0.300, 0.900]  0.500  0.100  -                       -               -          -
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DASH = "-"
NA = "n/a"  # a figure that does not exist (a label with no gold instance), not a zero
# Errors listed per (section, kind, label) in errors.md; errors.jsonl holds every one.
DEFAULT_MAX_ERRORS = 25

ERROR_KINDS = {
    "false_positive": "False positives (predicted, not gold): most confident first",
    "false_negative": "False negatives (gold, not predicted): lowest score first",
    "wrong_role": "Numbers found with the wrong role",
    "spurious_number": "Spurious numbers (predicted role, not a gold number of that span)",
    "missed_number": "Missed numbers (gold, not found with that span and role)",
}


def fmt(value: float | None, digits: int = 3) -> str:
    """A score for a table, or a dash when there is none.

    >>> fmt(0.12345), fmt(None)
    ('0.123', '-')
    """
    return DASH if value is None else f"{value:.{digits}f}"


def fmt_ci(value: float | None, ci: Sequence[float] | None) -> str:
    """``0.712 [0.650, 0.770]``; the interval is left out when there is none.

    >>> fmt_ci(0.5, [0.25, 0.75]), fmt_ci(0.5, None), fmt_ci(None, None)
    ('0.500 [0.250, 0.750]', '0.500', '-')
    """
    if value is None:
        return DASH
    return fmt(value) if not ci else f"{fmt(value)} [{fmt(ci[0])}, {fmt(ci[1])}]"


def headline_rows(section: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = [
        "system",
        "macro-F1 [95% CI]",
        "micro-F1 [95% CI]",
        "exact",
        "ECE",
        "num F1 strict [95% CI]",
        "num F1 overlap",
        "value acc",
        "qualifier acc",
    ]
    rows = []
    for name, system in section["systems"].items():
        events, ci, numbers = system["events"], system.get("ci", {}), system.get("numbers")
        rows.append(
            [
                name,
                fmt_ci(events["macro_f1"], ci.get("macro_f1")),
                fmt_ci(events["micro"]["f1"], ci.get("micro_f1")),
                fmt(events["exact_match"]),
                fmt(system.get("ece")),
                DASH if numbers is None else fmt_ci(numbers["strict"]["f1"], ci.get("number_f1")),
                DASH if numbers is None else fmt(numbers["overlap"]["f1"]),
                DASH if numbers is None else fmt(numbers["value_accuracy"]),
                DASH if numbers is None else fmt(numbers["qualifier_accuracy"]),
            ]
        )
    return header, rows


def format_table(section: dict[str, Any]) -> str:
    """The headline figures of one evaluated file, one row per system, as aligned plain text."""
    header, rows = headline_rows(section)
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table.

    >>> print(markdown_table(["a", "b"], [["1", "2"]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --- plots ---------------------------------------------------------------------------------


def _figure(width: float, height: float, rows: int = 1, cols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def plot_per_label(section: dict[str, Any], path: Path) -> Path:
    """Precision, recall and F1 per event label, one bar per system, three panels."""
    labels = section["labels"]
    systems = list(section["systems"].items())
    fig, axes = _figure(max(8.0, 2.2 * len(labels) + 2), 8.0, rows=3)
    width = 0.8 / max(len(systems), 1)
    for row, metric in enumerate(("precision", "recall", "f1")):
        ax = axes[row][0]
        for k, (name, system) in enumerate(systems):
            values = [system["events"]["per_label"][x][metric] for x in labels]
            xs = [i + (k - (len(systems) - 1) / 2) * width for i in range(len(labels))]
            bars = ax.bar(xs, values, width=width, label=name)
            ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel(metric if metric != "f1" else "F1")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(
            [
                f"{x}\n(n={systems[0][1]['events']['per_label'][x]['support']})" if systems else x
                for x in labels
            ]
            if row == 2
            else [""] * len(labels)
        )
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=max(1, len(systems)),
                      fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle(f"{section['name']}: per-label precision, recall and F1")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_confusion(confusion: dict[str, Any], path: Path, title: str) -> Path:
    """Gold label (rows) × predicted label (columns) counts, as a heat map with the counts."""
    import numpy as np

    names, counts = confusion["labels"], np.asarray(confusion["counts"])
    fig, axes = _figure(1.3 * len(names) + 3, 1.1 * len(names) + 2)
    ax = axes[0][0]
    # Rows normalised for the colour so a rare label's row is as readable as a frequent one's.
    shade = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j, i, str(counts[i, j]), ha="center", va="center",
                color="white" if shade[i, j] > 0.6 else "black", fontsize=9,
            )  # fmt: skip
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_reliability(section: dict[str, Any], path: Path) -> Path | None:
    """Reliability diagram (observed frequency against mean confidence per bin) of every system
    with probabilities, over a histogram of how many predictions fall in each bin."""
    systems: list[tuple[str, dict[str, Any]]] = []
    for name, system in section["systems"].items():
        if not system.get("reliability"):
            continue
        same = next(
            (k for k, (_, s) in enumerate(systems) if s["reliability"] == system["reliability"]),
            None,
        )
        if same is None:
            systems.append((name, system))
        else:  # model and model+reconcile share the event head's probabilities
            systems[same] = (f"{systems[same][0]} / {name}", systems[same][1])
    if not systems:
        return None
    fig, axes = _figure(6.5, 7.5, rows=2)
    top, bottom = axes[0][0], axes[1][0]
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    bins = systems[0][1]["reliability"]
    width = 0.8 / len(systems) * (bins[0]["high"] - bins[0]["low"])
    for k, (name, system) in enumerate(systems):
        used = [b for b in system["reliability"] if b["count"]]
        top.plot(
            [b["confidence"] for b in used],
            [b["frequency"] for b in used],
            marker="o",
            label=f"{name} (ECE {fmt(system.get('ece'))})",
        )
        centres = [(b["low"] + b["high"]) / 2 for b in system["reliability"]]
        offset = (k - (len(systems) - 1) / 2) * width
        bottom.bar(
            [c + offset for c in centres],
            [b["count"] for b in system["reliability"]],
            width=width,
            label=name,
        )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_xlabel("mean predicted probability")
    top.set_ylabel("fraction positive")
    top.set_title(f"{section['name']}: reliability (sentence × known label)")
    top.legend(fontsize=8)
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("predicted probability")
    bottom.set_ylabel("predictions per bin")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


# --- markdown -------------------------------------------------------------------------------


def _per_label_table(section: dict[str, Any]) -> str:
    """P/R/F1 per label and system; a label with no gold instance in the file is n/a."""
    header = ["label", "support"]
    names = list(section["systems"])
    for name in names:
        header += [f"{name} P", f"{name} R", f"{name} F1"]
    rows = []
    for label in [*section["labels"], *section.get("unsupported_labels", [])]:
        first = next(iter(section["systems"].values()))
        row = [label, str(first["events"]["per_label"][label]["support"])]
        for name in names:
            prf = section["systems"][name]["events"]["per_label"][label]
            row += [NA if prf[k] is None else fmt(prf[k]) for k in ("precision", "recall", "f1")]
        rows.append(row)
    out = markdown_table(header, rows)
    if section.get("unsupported_labels"):
        out += (
            f"\n\n{NA}: no gold instance of {', '.join(section['unsupported_labels'])} in this "
            "file, so no recall or F1; macro averages (every row alike) leave it out."
        )
    return out


def _numbers_tables(section: dict[str, Any]) -> str:
    with_numbers = [(n, s) for n, s in section["systems"].items() if s.get("numbers")]
    if not with_numbers:
        return "No number roles are annotated in this file (or no system predicts numbers).\n"
    header = ["system", "strict P", "strict R", "strict F1", "overlap P", "overlap R",
              "overlap F1", "matched", "value acc", "qualifier acc", "unit acc"]  # fmt: skip
    rows = []
    for name, system in with_numbers:
        m = system["numbers"]
        rows.append(
            [name]
            + [
                fmt(m[kind][x])
                for kind in ("strict", "overlap")
                for x in ("precision", "recall", "f1")
            ]
            + [
                str(m["matched"]),
                fmt(m["value_accuracy"]),
                fmt(m["qualifier_accuracy"]),
                fmt(m["unit_accuracy"]),
            ]  # fmt: skip
        )
    out = markdown_table(header, rows) + "\n\nPer role (strict span + role):\n\n"
    roles = section.get("roles") or []
    header = ["role", "support"] + [f"{name} F1" for name, _ in with_numbers]
    rows = [
        [role, str(with_numbers[0][1]["numbers"]["per_role"][role]["support"])]
        + [fmt(s["numbers"]["per_role"][role]["f1"]) for _, s in with_numbers]
        for role in roles
    ]
    return out + markdown_table(header, rows) + "\n"


def _reconcile_line(section: dict[str, Any]) -> str:
    systems = section["systems"]
    if "model" not in systems or "model+reconcile" not in systems:
        return ""
    off, on = systems["model"]["events"], systems["model+reconcile"]["events"]
    deltas = ", ".join(
        f"{label} {on['per_label'][label]['f1'] - off['per_label'][label]['f1']:+.3f}"
        for label in section["labels"]
    )
    if on["macro_f1"] is None or off["macro_f1"] is None:
        return ""
    return (
        f"**Reconciliation rule** (a role-tagged number reports its event): macro-F1 "
        f"{fmt(off['macro_f1'])} → {fmt(on['macro_f1'])} "
        f"({on['macro_f1'] - off['macro_f1']:+.3f}); per-label F1 change: {deltas}. "
        f"The shipped setting is `{section.get('default_system', 'model+reconcile')}`.\n"
    )


def render_markdown(metrics: dict[str, Any]) -> str:
    """The whole ``report.md``: settings, then one section per evaluated file."""
    model = metrics.get("model", {})
    settings = metrics.get("settings", {})
    out = [
        "# Evaluation report",
        "",
        f"- model: `{model.get('path')}` (backend {model.get('backend')}), thresholds "
        f"{json.dumps(model.get('thresholds', {}))}",
        f"- command: `{settings.get('command', '')}`",
        (
            f"- bootstrap: {settings.get('bootstrap_samples')} resamples of sentences, seed "
            f"{settings.get('seed')}; intervals are 95% percentile intervals"
            if settings.get("bootstrap_samples")
            else "- bootstrap: off (`--bootstrap 0`), so no intervals"
        ),
        "- `model` is the event head alone; `model+reconcile` adds the reconciliation rule; "
        "labels and roles a record's source did not annotate (`known_labels`) are not scored.",
        "- confusion matrix: diagonal = labels found; a missed gold label is paired with each "
        "wrongly predicted label of the same sentence, or with `(none)`.",
    ]
    for name, info in metrics.get("baselines", {}).items():
        out.append(f"- baseline `{name}`: {info.get('description', '')}")
    for section in metrics.get("sections", []):
        out += ["", f"## {section['name']} — `{section['file']}`", ""]
        out.append(f"{section['n']} records scored.")
        if section.get("problems"):
            out.append(
                f"{len(section['problems'])} line(s) could not be scored and are left out: "
                + "; ".join(section["problems"][:10])
                + (" ..." if len(section["problems"]) > 10 else "")
            )
        header, rows = headline_rows(section)
        out += ["", markdown_table(header, rows), "", _reconcile_line(section)]
        out += ["### Events per label", "", _per_label_table(section), ""]
        out += ["### Numbers", "", _numbers_tables(section)]
        plots = section.get("plots", {})
        if plots:
            out += ["### Plots", ""]
            out += [f"![{kind}]({file})" for kind, file in plots.items()]
        if section.get("errors"):
            out += ["", f"Errors of `{section.get('default_system')}`: "
                    f"{section['errors']} (see `errors.md`, all in `errors.jsonl`)."]  # fmt: skip
    return "\n".join(out).rstrip() + "\n"


# --- errors ---------------------------------------------------------------------------------


def render_errors(errors: Sequence[dict[str, Any]], max_per_group: int = DEFAULT_MAX_ERRORS) -> str:
    """``errors.md``: per file, per kind and label, the most telling errors first."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for error in errors:
        key = (error["section"], error["kind"], error.get("label") or "")
        groups.setdefault(key, []).append(error)
    sections = list(dict.fromkeys(e["section"] for e in errors))
    kinds = list(ERROR_KINDS)
    groups = dict(sorted(groups.items(), key=lambda kv: (
        sections.index(kv[0][0]), kinds.index(kv[0][1]) if kv[0][1] in kinds else len(kinds),
        kv[0][2])))  # fmt: skip
    out = ["# Errors", "", f"{len(errors)} errors in all; each list shows at most "
           f"{max_per_group} (errors.jsonl has every one)."]  # fmt: skip
    current = None
    for (section, kind, label), items in groups.items():
        if section != current:
            out += ["", f"## {section}"]
            current = section
        reverse = kind in ("false_positive", "spurious_number", "wrong_role")
        items = sorted(items, key=lambda e: (e.get("score") is None, e.get("score") or 0.0),
                       reverse=reverse)  # fmt: skip
        out += ["", f"### {label}: {ERROR_KINDS.get(kind, kind)} ({len(items)})", ""]
        for e in items[:max_per_group]:
            number = e.get("number")
            where = ""
            if number:
                where = f" — number “{number['text']}” [{number['start']}:{number['end']}]"
                if e["kind"] == "wrong_role":
                    where += f", gold {e.get('gold_role')}, predicted {e.get('pred_role')}"
            score = f"score {fmt(e.get('score'))}" if e.get("score") is not None else "no score"
            out.append(f"- `{e['id']}` ({score}){where}: {e['text']}")
        if len(items) > max_per_group:
            out.append(f"- … {len(items) - max_per_group} more in errors.jsonl")
    return "\n".join(out) + "\n"


def write_report(
    metrics: dict[str, Any],
    errors: Sequence[dict[str, Any]],
    folder: str | Path,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> list[Path]:
    """Write plots, ``report.md``, ``errors.md``, ``errors.jsonl`` and ``metrics.json``.

    Each section of ``metrics`` gets ``plots`` (file names relative to ``folder``); the paths
    written are returned.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for section in metrics.get("sections", []):
        slug = section["slug"]
        plots: dict[str, str] = {}
        written.append(plot_per_label(section, folder / f"per_label_{slug}.png"))
        plots["per-label P/R/F1"] = written[-1].name
        default = section["systems"].get(section.get("default_system", ""))
        if default is not None:
            written.append(
                plot_confusion(
                    default["confusion"],
                    folder / f"confusion_{slug}.png",
                    f"{section['name']}: {section['default_system']}, gold × predicted",
                )
            )
            plots["confusion"] = written[-1].name
        reliability = plot_reliability(section, folder / f"reliability_{slug}.png")
        if reliability is not None:
            written.append(reliability)
            plots["reliability"] = reliability.name
        section["plots"] = plots
    errors_md = folder / "errors.md"
    errors_md.write_text(render_errors(errors, max_errors), encoding="utf-8")
    errors_jsonl = folder / "errors.jsonl"
    with errors_jsonl.open("w", encoding="utf-8") as out:
        for error in errors:
            out.write(json.dumps(error, ensure_ascii=False) + "\n")
    report = folder / "report.md"
    report.write_text(render_markdown(metrics), encoding="utf-8")
    metrics_json = folder / "metrics.json"
    metrics_json.write_text(
        json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return [*written, errors_md, errors_jsonl, report, metrics_json]
