"""Scaling: one archive through every engine, and memory of the plain `tag` as archives grow.

    python benchmarks/scale.py [--docs 50000] [--model DIR] [--mb 10 100] [--work-dir DIR]

One run, one generated JSONL archive of ``--docs`` short documents (one to four sentences, from
the same sentence sources as ``benchmarks/archive.py``), each engine in a fresh process of
``conflict-events tag`` whose whole process tree (workers, Ray's raylet and actors) is sampled
for resident memory every 0.1 s:

* ``in-process, 1 thread``: ``--workers 1 --threads 1``, the baseline of the ratios;
* ``in-process, all cores``: ``--workers 1`` with the runtime's threads over every core;
* ``--workers 2``: two processes of one thread each;
* ``ray, 1 actor`` and ``ray, 2 actors``: ``--engine ray --actors N`` (one CPU each), Parquet
  shards; Ray's own start-up (a few seconds) is left out of its timing, as model loading is
  left out of the local engine's.

It prints documents/s, sentences/s, peak memory and the ratio to the baseline for each, then the
scaling efficiency from one worker to two (throughput with 2 / (2 x throughput with 1)) for the
process pool and for Ray. Then, unless ``--mb`` is empty, ``benchmarks/archive.py``'s memory
check: plain ``tag`` (one worker) on archives of each size, and the ratio of peak memory
between the largest and the smallest (near 1.0: memory stays flat as the input grows).
Linux only (memory is read from /proc). Ray rows need the ``[ray]`` extra (skipped without it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Run as a script, this folder is sys.path[0], and its numbers.py would shadow the stdlib module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _load_archive_benchmark():
    """benchmarks/archive.py as a module: its archive writer, sentence sources and runner."""
    spec = importlib.util.spec_from_file_location("archive_benchmark", HERE / "archive.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_archive_benchmark()


def write_short_documents(path: Path, count: int, sentences: list[str], seed: int = 7) -> int:
    """``count`` documents of one to four sentences each; the bytes written."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            text = " ".join(rng.sample(sentences, rng.randint(1, 4)))
            out.write(json.dumps({"id": f"doc-{i}", "text": text}, ensure_ascii=False) + "\n")
    return path.stat().st_size


@dataclass
class Engine:
    label: str
    args: list[str]
    workers: int  # workers or actors, for the scaling efficiency
    family: str  # "local" or "ray"


ENGINES = (
    Engine("in-process, 1 thread", ["--workers", "1", "--threads", "1"], 1, "local"),
    Engine("in-process, all cores", ["--workers", "1"], 0, "local"),
    Engine("--workers 2", ["--workers", "2", "--threads", "1"], 2, "local"),
    Engine("ray, 1 actor", ["--engine", "ray", "--actors", "1"], 1, "ray"),
    Engine("ray, 2 actors", ["--engine", "ray", "--actors", "2"], 2, "ray"),
)


def row(label: str, run, baseline) -> str:
    rate = run.sentences / run.tag_seconds
    ratio = rate / (baseline.sentences / baseline.tag_seconds) if baseline else 1.0
    return (
        f"{label:<22} {run.documents:>8} {run.sentences:>9} {run.documents / run.tag_seconds:>9.1f} "
        f"{rate:>9.1f} {run.peak_rss / 2**20:>9.1f} {ratio:>7.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=50_000, help="documents in the archive")
    parser.add_argument("--model", help="model folder (default: the shipped default model)")
    parser.add_argument(
        "--mb",
        type=float,
        nargs="*",
        default=[10.0, 100.0],
        help="archive sizes for the memory check",
    )
    parser.add_argument("--corpus", type=Path, nargs="*", help="JSONL files of sentences")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/conflict-events-scale-bench"))
    args = parser.parse_args(argv)

    corpus = args.corpus or sorted((REPO / "data" / "corpus").glob("*.jsonl"))
    sentences = bench.corpus_sentences(corpus) if corpus else bench.generated_sentences(5000)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    archive = args.work_dir / f"short-{args.docs}.jsonl"
    size = write_short_documents(archive, args.docs, sentences)
    has_ray = importlib.util.find_spec("ray") is not None
    print(
        f"archive: {args.docs} documents, {size / 1e6:.1f} MB, sentences from "
        f"{'the corpus' if corpus else 'generated clauses'}; cores: {os.cpu_count()}; "
        f"load average at start: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'engine':<22} {'docs':>8} {'sentences':>9} {'docs/s':>9} {'sents/s':>9} "
        f"{'peak MiB':>9} {'vs base':>8}"
    )
    runs = {}
    baseline = None
    for engine in ENGINES:
        if engine.family == "ray" and not has_ray:
            print(f"{engine.label:<22} skipped: pip install 'conflict-events[ray]'")
            continue
        out = args.work_dir / ("shards" if engine.family == "ray" else "tagged.jsonl")
        if out.is_dir():
            shutil.rmtree(out)
        started = time.perf_counter()
        # run_tag passes --workers 1 first; an engine's own --workers comes later and wins.
        run = bench.run_tag(archive, out, args.model, 1, 0.0, engine.args)
        run.wall_seconds = time.perf_counter() - started
        runs[engine.label] = run
        baseline = baseline or run
        print(row(engine.label, run, baseline), flush=True)
    for family, one, two in (
        ("process pool", "in-process, 1 thread", "--workers 2"),
        ("ray", "ray, 1 actor", "ray, 2 actors"),
    ):
        if one in runs and two in runs:
            a, b = runs[one], runs[two]
            speedup = (b.sentences / b.tag_seconds) / (a.sentences / a.tag_seconds)
            print(
                f"scaling 1 -> 2, {family}: {speedup:.2f}x ({speedup / 2:.0%} efficiency); "
                f"peak memory {a.peak_rss / 2**20:.0f} -> {b.peak_rss / 2**20:.0f} MiB"
            )
    if args.mb:
        print("memory of plain `tag` (1 worker) as the archive grows:")
        bench.main(
            [
                "--mb",
                *map(str, args.mb),
                "--workers",
                "1",
                "--work-dir",
                str(args.work_dir / "memory"),
            ]
            + (["--model", args.model] if args.model else [])
            + (["--corpus", *map(str, args.corpus)] if args.corpus else [])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
