"""External benchmarks: the model, unchanged, on the held-out public sets of training/heldout.toml.

    python benchmarks/external.py [--data-dir ../shared/data] [--model DIR] [--limit N] [--json F]

Each figure is printed next to the published one, with what differs between the two:

* **idetect**: IDETECT test excerpts (``internal-displacement/data/IDETECT_test_dataset-NLP.xlsx``,
  held out as a whole file). The converter gives the sentence holding each excerpt's gold
  displacement figure (housing terms, non-English excerpts and figures absent from the text are
  skipped, and counted). A displaced number of the sentence whose value (or bound) equals the
  gold Quantity is a hit. Recall = excerpts with a hit / excerpts; precision = displaced numbers
  that hit / displaced numbers predicted. Data4Democracy reported weighted F1 0.52 (rules) to
  0.755 (rules and ML combined, in-sample, about 121 excerpts).
* **case2021**: CASE 2021 task 2 snippets held out by the manifest (odd ids, and the real-text
  test share): territorial-change (GOV_REGAINS_TERIT, NON_STATE_ACTOR_OVERTAKES_TER,
  NON_VIOL_TERRIT_TRANSFER) against every other subtype, P/R/F1 of territorial-change.
* **indiapoliceevents**: sentences of the held-out documents (a fixed 30% by hash): KILL against
  our casualty. The converter leaves out KILL=0 sentences that mention a death or an injury
  (KILL marks killings by police only), so negatives are sentences without such words.

Systems: ``model`` (event head alone), ``model+reconcile`` (with the reconciliation rule) and
the keyword-rule baseline (``--no-baselines`` leaves it out). Documents come from the readers
and converters in ``conflict_events.training.sources`` with held-out data included; nothing is
re-parsed here. When the corpora folder is absent the script says so and exits 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder is sys.path[0], and its numbers.py would shadow the standard
# library's `numbers` (numpy imports it): look modules up without it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import json  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

REPO = HERE.parent
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"

PUBLISHED = {
    "idetect": "Data4Democracy: weighted F1 0.52 (rules) to 0.755 (combined); in-sample, "
    "about 121 excerpts, their own figure-extraction scoring",
    "case2021": "none for this binary split (CASE 2021 task 2 was scored as 30-subtype "
    "classification)",
    "indiapoliceevents": "ConfliBERT (NAACL 2022): example-based F1 64.89 (BERT) and 67.27 "
    "(ConfliBERT) over all five labels, trained in-domain; not KILL alone",
}


@dataclass(frozen=True)
class BenchmarkScore:
    """One system on one benchmark."""

    benchmark: str
    task: str
    system: str
    n: int
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    published: str
    note: str = ""


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    from conflict_events.training.metrics import PRF

    prf = PRF.from_counts(tp, fp, fn)
    return prf.precision, prf.recall, prf.f1


def heldout_records(source: str, data_dir: Path, limit: int | None):
    """The converter's records of ``source`` that the manifest holds out, and the conversion."""
    from conflict_events.training.heldout import HeldOut
    from conflict_events.training.sources.convert import convert

    manifest = HeldOut.load()
    result = convert(source, data_dir, heldout=manifest, include_heldout=True)
    files = [f.doc_id_prefix for f in manifest.files if f.source == source]
    if files:  # a held-out file is the benchmark: only its documents
        records = [r for r in result.records if any(r.doc_id.startswith(p) for p in files)]
    else:
        records = [r for r in result.records if manifest.is_heldout(r.source, r.doc_id, r.id)]
    return records[:limit] if limit else records, result


def same_figure(predicted, gold) -> bool:
    """Whether a predicted number states the gold figure (its value, or a bound of it).

    >>> from conflict_events.inference.results import NumberMention
    >>> gold = NumberMention("1,200", 0, 5, 1200.0, 1200.0, 1200.0)
    >>> same_figure(NumberMention("1,200", 0, 5, None, 1200.0, None), gold)
    True
    """
    target = gold.value if gold.value is not None else gold.low
    return target is not None and target in {predicted.value, predicted.low, predicted.high}


def score_figures(benchmark: str, system: str, records, results, role: str) -> BenchmarkScore:
    """Figure extraction: a hit when a predicted ``role`` number equals the gold figure."""
    hits = predicted = good = 0
    for record, result in zip(records, results, strict=True):
        gold = [n for n in record.numbers if n.role == role]
        mine = [n for n in result.numbers if n.role == role]
        predicted += len(mine)
        good += sum(any(same_figure(p, g) for g in gold) for p in mine)
        hits += any(same_figure(p, g) for p in mine for g in gold)
    precision = round(good / predicted, 4) if predicted else 0.0
    recall = round(hits / len(records), 4) if records else 0.0
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    return BenchmarkScore(
        benchmark, f"{role} figure = gold figure", system, len(records), precision, recall, f1,
        hits, predicted - good, len(records) - hits, PUBLISHED[benchmark],
    )  # fmt: skip


def score_label(benchmark: str, system: str, records, results, label: str) -> BenchmarkScore:
    """Binary P/R/F1 of ``label`` against the converted gold (its known labels respected)."""
    from conflict_events.training.metrics import event_metrics

    m = event_metrics(
        [r.events for r in records],
        [r.labels for r in results],
        [label],
        [r.known_labels for r in records],
    ).per_label[label]
    return BenchmarkScore(
        benchmark, f"{label} (binary)", system, len(records), m.precision, m.recall, m.f1,
        m.tp, m.fp, m.fn, PUBLISHED[benchmark],
    )  # fmt: skip


def run_benchmarks(
    tagger, data_dir: Path, names: Sequence[str], limit: int | None, baselines: bool
) -> list[BenchmarkScore]:
    from conflict_events.training.baselines import KeywordBaseline
    from conflict_events.training.evaluate import model_results

    keyword = KeywordBaseline(tagger.labels)
    plan = {
        "idetect": ("internal-displacement", "displaced", None),
        "case2021": ("case2021_task2", None, "territorial-change"),
        "indiapoliceevents": ("indiapoliceevents", None, "casualty"),
    }
    scores = []
    for name in names:
        source, role, label = plan[name]
        records, conversion = heldout_records(source, data_dir, limit)
        note = f"{len(records)} held-out records" + (f" (--limit {limit})" if limit else "")
        if conversion.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in conversion.skipped.most_common(4))
            note += f"; the converter skipped, over the whole source: {reasons}"
        print(f"{name}: tagging {len(records)} held-out records ...", file=sys.stderr)
        texts = [r.text for r in records]
        _, plain, reconciled = model_results(tagger, texts)
        systems = {"model": plain, "model+reconcile": reconciled}
        if role is not None:  # the rule changes events, not numbers
            systems.pop("model+reconcile")
        if baselines:
            systems["keyword"] = keyword.tag(texts)
        for system, results in systems.items():
            if role is not None:
                score = score_figures(name, system, records, results, role)
            else:
                score = score_label(name, system, records, results, label)
            scores.append(BenchmarkScore(**{**asdict(score), "note": note}))
    return scores


def _cell(value: float | None) -> str:
    """A score, or n/a where it is undefined (no gold or no predicted positives)."""
    return f"{'n/a':>6}" if value is None else f"{value:6.3f}"


def format_scores(scores: Sequence[BenchmarkScore]) -> str:
    """One block per benchmark: the published figure, then a row per system."""
    lines: list[str] = []
    for name in dict.fromkeys(s.benchmark for s in scores):
        mine = [s for s in scores if s.benchmark == name]
        lines += ["", f"{name}: {mine[0].task}, {mine[0].n} records",
                  f"  published: {mine[0].published}"]  # fmt: skip
        lines.append(f"  {'system':<16} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>6} {'fn':>6}")
        lines += [
            f"  {s.system:<16} {_cell(s.precision)} {_cell(s.recall)} {_cell(s.f1)} {s.tp:6d} "
            f"{s.fp:6d} {s.fn:6d}"
            for s in mine
        ]
        if mine[0].note:
            lines.append(f"  ({mine[0].note})")
    return "\n".join(lines).lstrip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"the public corpora folder (default {DEFAULT_DATA_DIR})")  # fmt: skip
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto")
    parser.add_argument(
        "--benchmarks", nargs="+", choices=sorted(PUBLISHED), default=list(PUBLISHED)
    )
    parser.add_argument("--limit", type=int, help="at most N records per benchmark (smoke runs)")
    parser.add_argument("--no-baselines", action="store_true", help="leave the keyword rules out")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)

    if not args.data_dir.is_dir():
        print(f"skip: public corpora not found at {args.data_dir} (pass --data-dir; the data "
              "README says where each corpus comes from)")  # fmt: skip
        return 0
    from conflict_events.inference.model_folder import ModelFolderError
    from conflict_events.inference.tagger import EventTagger
    from conflict_events.training.sources import SourceError

    try:
        tagger = EventTagger.from_pretrained(args.model, backend=args.backend)
        scores = run_benchmarks(
            tagger, args.data_dir, args.benchmarks, args.limit, not args.no_baselines
        )
    except (ModelFolderError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"model: {tagger.path}")
    print(format_scores(scores))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(s) for s in scores], indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
