"""Where the errors come from: a learning curve and an error-class study on the real-text dev split.

    python benchmarks/learning_curve.py                      # train the grid, score, write the table
    python benchmarks/learning_curve.py --errors-only --model model/default   # error classes only

1. **Learning curve.** The same recipe (MiniLM-L6, the trainer of ``conflict-events train``) is
   trained on shares of the written corpus and of the permissively licensed real-text training
   split, one share varied while the other is kept whole, and every model is scored on the
   real-text dev split (all sources: evaluation may read research-only text). Event macro-F1,
   F1 per label, number span+role F1, and macro-F1 per source say which kind of data moves which
   label. Thresholds stay at 0.5 in every run, so the runs differ by data alone. ``--written``
   names other written files (e.g. the reporting corpus beside the first one) and ``--name``
   keeps their rows apart; ``--written-exclude`` leaves out the documents whose id matches, so
   a batch of drafts can be scored with and without it from one checkout. Each row is one training
   run: ``--seed`` adds a row trained with another seed, which shows how far two runs on the same
   data differ (on the ~40 positives per label of the dev split, several points of F1).
   ``--real-weight W`` gives the real-text records a loss weight of W (written ones weigh 1),
   also a row of its own: does real text, scarce beside the written corpora, pay more if it
   counts more?
2. **Error classes.** A model's errors on the same dev split sorted into the classes seen on real
   news (attacks on camps read as displacement, indirect captures missed, sieges read as
   captures...): a class is a label, an error kind (missed or false) and a pattern on the text.
   Counts and record ids only: the text of research-only sources stays out of the repository.

Writes ``benchmarks/results/learning_curve.md`` and ``.json`` (and a PNG under ``--plot``).
Runs resume: a finished grid point (its ``eval_results.json``) is not trained again.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from conflict_events.inference.labels import LabelSchema  # noqa: E402
from conflict_events.training.records import JsonlReader, Record, write_records  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WRITTEN = REPO / "data/corpus/train.jsonl"
WRITTEN_DEV = REPO / "data/corpus/dev.jsonl"
REAL = REPO / "runs/realtext-permissive/train.jsonl"
REAL_DEV = REPO / "runs/realtext-all/dev.jsonl"
SHARES = (0.0, 0.25, 0.5, 1.0)
DEFAULT_NAME = "corpus"  # rows of the first written corpus alone
DEFAULT_SEED = 13


@dataclass(frozen=True)
class ErrorClass:
    """An error kind on real text: ``label`` missed (``fn``) or wrongly given (``fp``) where
    ``pattern`` matches the sentence."""

    name: str
    label: str
    kind: str  # "fn" or "fp"
    pattern: str


ERROR_CLASSES = (
    ErrorClass(
        "camp attacked, not read as infrastructure", "attack-on-infrastructure", "fn", r"\bcamps?\b"
    ),
    ErrorClass(
        "energy / power / dam / telecom target missed",
        "attack-on-infrastructure",
        "fn",
        r"power|electric|energy|grid|substation|dam\b|telecom|tower|pipeline|fuel",
    ),
    ErrorClass(
        "port / warehouse / market target missed",
        "attack-on-infrastructure",
        "fn",
        r"port\b|warehouse|market|silo|bakery|shop",
    ),
    ErrorClass(
        "hospital / school / facility hit missed",
        "attack-on-infrastructure",
        "fn",
        r"hospital|clinic|school|mosque|church|bridge|water|out of service|facilit",
    ),
    ErrorClass("other attack on infrastructure missed", "attack-on-infrastructure", "fn", r"."),
    ErrorClass("camp read as displacement", "displacement", "fp", r"\bcamps?\b|shelter"),
    ErrorClass(
        "troops / residents staying read as displacement",
        "displacement",
        "fp",
        r"troops|soldiers|remain|stay|resid|return",
    ),
    ErrorClass(
        "indirect displacement missed",
        "displacement",
        "fn",
        r"empt|exodus|safety|homeless|leaving|left their|uproot|refuge|evacuat",
    ),
    ErrorClass("other displacement missed", "displacement", "fn", r"."),
    ErrorClass(
        "siege / assault / holding read as capture",
        "territorial-change",
        "fp",
        r"sieg|besieg|encircl|assault|offensive|retain|still hold|control",
    ),
    ErrorClass(
        "indirect capture missed",
        "territorial-change",
        "fn",
        r"pass|flag|evacuat|withdr|fall|fell|takeover|took over|taken over|expand|los[ti]",
    ),
    ErrorClass("other capture missed", "territorial-change", "fn", r"."),
    ErrorClass("casualty missed", "casualty", "fn", r"."),
    ErrorClass("casualty false alarm", "casualty", "fp", r"."),
    *(
        ErrorClass(f"other {label} false alarm", label, "fp", r".")
        for label in ("displacement", "territorial-change", "attack-on-infrastructure")
    ),
)


def read(path: Path) -> list[Record]:
    reader = JsonlReader(path)
    records = [r for _, r in reader]
    if reader.problems:
        raise SystemExit(f"{path}: {len(reader.problems)} bad lines, first: {reader.problems[0]}")
    return records


def share(records: list[Record], fraction: float, seed: int) -> list[Record]:
    """A seeded sample of whole documents (``doc_id``), so sentences keep their neighbours."""
    docs = sorted({r.doc_id or r.id for r in records})
    keep = set(random.Random(seed).sample(docs, round(len(docs) * fraction)))
    return [r for r in records if (r.doc_id or r.id) in keep]


def score(tagger, records: list[Record], labels: LabelSchema) -> dict:
    """Event macro-F1, per-label F1, number F1 and macro-F1 per source of ``tagger`` on ``records``."""
    from conflict_events.training.metrics import record_metrics

    results = tagger.tag([r.text for r in records], reconcile=False)

    def on(idx):
        return record_metrics(
            [records[i] for i in idx],
            [results[i].labels for i in idx],
            [results[i].numbers for i in idx],
            labels,
        )

    ev, nm = on(list(range(len(records))))
    by_source = {}
    for source in sorted({r.source or "?" for r in records}):
        idx = [i for i, r in enumerate(records) if (r.source or "?") == source]
        by_source[source] = on(idx)[0].macro_f1
    return {
        "macro_f1": ev.macro_f1,
        "per_label": {x: ev.per_label[x].f1 for x in ev.per_label},
        "number_f1": nm.strict.f1,
        "by_source": by_source,
        "n": len(records),
    }


def point_name(
    written: float, real: float, name: str, seed: int = DEFAULT_SEED, real_weight: float = 1.0
) -> str:
    """A grid point's key and folder name (the first written corpus alone has no prefix, the
    default seed and real-text weight no suffix)."""
    key = f"w{written:g}-r{real:g}" + ("" if real_weight == 1 else f"-rw{real_weight:g}")
    key += "" if seed == DEFAULT_SEED else f"-seed{seed}"
    return key if name == DEFAULT_NAME else f"{name}-{key}"


def written_records(args) -> list[Record]:
    """The records of ``--written``, less the documents ``--written-exclude`` matches."""
    records = [r for path in args.written for r in read(Path(path))]
    if args.written_exclude:
        pattern = re.compile(args.written_exclude)
        records = [r for r in records if not pattern.search(r.doc_id or r.id)]
    return records


def train_point(written: float, real: float, args) -> tuple[Path, int]:
    """Train one grid point (or reuse a finished one); its model folder and training records."""
    from conflict_events.training.config import TrainConfig
    from conflict_events.training.train import train

    out = Path(args.work) / point_name(written, real, args.name, args.seed, args.real_weight)
    # Two files, so the real-text one can carry its loss weight (`PATH,weight=W`).
    data = out.parent / f"{out.name}.train.jsonl"
    real_data = out.parent / f"{out.name}.real.jsonl"
    if (out / "eval_results.json").is_file():
        return out, sum(1 for path in (data, real_data) if path.is_file() for _ in open(path))
    written_part = share(written_records(args), written, args.seed)
    real_part = share(read(REAL), real, args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_records(data, written_part)
    write_records(real_data, real_part)
    inputs = [str(data)] if written_part else []  # a share of 0 leaves a file empty
    inputs += [f"{real_data},weight={args.real_weight:g}"] if real_part else []
    cfg = TrainConfig(
        train=inputs,
        dev=[str(WRITTEN_DEV)],  # written dev only picks the epoch: real dev is what is measured
        out=str(out),
        max_length=args.max_length,
        epochs=args.epochs,
        lr=8e-5,
        tune_thresholds=False,
        seed=args.seed,
        threads=args.threads,
        quiet=True,
        checkpoint_every=100,
    )
    train(cfg)
    return out, len(written_part) + len(real_part)


def classify_errors(tagger, records: list[Record], labels: LabelSchema) -> dict:
    """Counts and ids of each error class (first matching class wins)."""
    results = tagger.tag([r.text for r in records])
    counts: dict[str, dict] = {c.name: {"n": 0, "ids": []} for c in ERROR_CLASSES}
    for record, result in zip(records, results, strict=True):
        gold, pred = set(record.events), set(result.labels)
        for label in labels.event_labels:
            if not record.knows(label) or (label in gold) == (label in pred):
                continue
            kind = "fn" if label in gold else "fp"
            for c in ERROR_CLASSES:
                if (
                    c.kind == kind
                    and c.label in (label, "*")
                    and re.search(c.pattern, record.text, re.I)
                ):
                    counts[c.name]["n"] += 1
                    counts[c.name]["ids"].append(record.id)
                    break
    return counts


def write_table(curve: dict, errors: dict | None, out: Path, labels: LabelSchema) -> None:
    lines = ["# Learning curve and error classes on the real-text dev split", ""]
    lines += [
        f"Command: `python benchmarks/learning_curve.py` (see its docstring). Dev: {REAL_DEV.name} of "
        "`data prepare --licence all`.",
        "",
    ]
    if curve:
        head = [
            "written data",
            "written share",
            "real share",
            "real weight",
            "seed",
            "train records",
            "macro-F1",
            *labels.event_labels,
            "number F1",
        ]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for _, row in sorted(curve.items()):
            cells = [
                row.get("written_data", DEFAULT_NAME),
                f"{row['written']:g}",
                f"{row['real']:g}",
                f"{row.get('real_weight', 1.0):g}",
                str(row.get("seed", DEFAULT_SEED)),
                str(row["train_records"]),
                f"{row['macro_f1']:.3f}",
                *(f"{row['per_label'].get(x, 0):.3f}" for x in labels.event_labels),
                f"{row['number_f1']:.3f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        sources = sorted({s for row in curve.values() for s in row["by_source"]})
        lines += [
            "",
            "Macro-F1 per dev source:",
            "",
            "| written data | written | real | real weight | seed | " + " | ".join(sources) + " |",
            "|" + "---|" * (len(sources) + 5),
        ]
        for _, row in sorted(curve.items()):
            lines.append(
                f"| {row.get('written_data', DEFAULT_NAME)} | {row['written']:g} | {row['real']:g} | "
                f"{row.get('real_weight', 1.0):g} | {row.get('seed', DEFAULT_SEED)} | "
                + " | ".join(f"{row['by_source'].get(s, 0):.3f}" for s in sources)
                + " |"
            )
    if errors:
        lines += [
            "",
            f"## Error classes of {errors['model']}",
            "",
            "| class | label | kind | count |",
            "|---|---|---|---|",
        ]
        for c in ERROR_CLASSES:
            lines.append(f"| {c.name} | {c.label} | {c.kind} | {errors['classes'][c.name]['n']} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps({"curve": curve, "errors": errors}, indent=2) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", default=str(REPO / "runs/learning-curve"))
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/learning_curve"))
    parser.add_argument(
        "--model", default=str(REPO / "model/default"), help="model whose errors are classified"
    )
    parser.add_argument("--errors-only", action="store_true")
    parser.add_argument(
        "--written", nargs="+", default=[str(WRITTEN)], help="written training files (JSONL)"
    )
    parser.add_argument(
        "--written-exclude", default=None, help="leave out written documents whose id matches"
    )
    parser.add_argument(
        "--name", default=DEFAULT_NAME, help="what the written files are, for the table's rows"
    )
    parser.add_argument("--shares", type=float, nargs="+", default=list(SHARES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="another seed: a row of its own"
    )
    parser.add_argument(
        "--real-weight",
        type=float,
        default=1.0,
        help="loss weight of the real-text records (written ones weigh 1): a row of its own",
    )
    args = parser.parse_args(argv)

    from conflict_events.inference.tagger import EventTagger

    labels = LabelSchema.default()
    dev = read(REAL_DEV)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = (
        json.loads(out.with_suffix(".json").read_text())
        if out.with_suffix(".json").is_file()
        else {}
    )
    curve = previous.get("curve", {})
    if not args.errors_only:
        points = sorted({(w, 1.0) for w in args.shares} | {(1.0, r) for r in args.shares})
        for written, real in points:
            if written == 0 and real == 0:
                continue
            folder, train_records = train_point(written, real, args)
            row = score(EventTagger.from_pretrained(folder, backend="torch"), dev, labels)
            curve[folder.name] = {
                "written_data": args.name,
                "written": written,
                "real": real,
                "real_weight": args.real_weight,
                "seed": args.seed,
                "train_records": train_records,
                **row,
            }
            print(
                f"{folder.name}: macro-F1 {row['macro_f1']:.3f}, numbers {row['number_f1']:.3f}",
                flush=True,
            )
            write_table(curve, previous.get("errors"), out, labels)
    tagger = EventTagger.from_pretrained(args.model)
    errors = {
        "model": str(Path(args.model).relative_to(REPO))
        if Path(args.model).is_relative_to(REPO)
        else args.model,
        "classes": classify_errors(tagger, dev, labels),
    }
    write_table(curve, errors, out, labels)
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
