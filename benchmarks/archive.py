"""Archive throughput and memory: ``conflict-events tag`` on generated JSONL archives of growing size.

    python benchmarks/archive.py --model DIR [--mb 10 100] [--workers 1 2] [--work-dir DIR]

For each size it writes a JSONL archive of news-like documents (a headline and 3-20 sentences in
paragraphs), then runs ``conflict-events tag ARCHIVE --out FILE --workers N`` in a fresh process
for each worker count, sampling the resident memory of the whole process tree (the command and
its workers) every 0.1 s. It prints documents/s and sentences/s (the command's own timing, model
loading excluded, and wall time including start-up) and the peak memory, then the ratio of peak
memory between the largest and the smallest archive: near 1.0 when memory stays flat as the
input grows. Linux only (memory is read from /proc).

Sentences come from ``--corpus`` files (JSONL records with ``text``), else ``data/corpus/*.jsonl``
when present, else the clauses written for ``benchmarks/throughput.py``; never third-party text.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Run as a script, this folder is sys.path[0], and its numbers.py would shadow the stdlib module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

SUMMARY = re.compile(r"tagged (\d+) documents \((\d+) sentences\) in ([\d.]+) s")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def generated_sentences(n: int) -> list[str]:
    """Sentences from the clauses written for ``benchmarks/throughput.py`` (loaded by path)."""
    spec = importlib.util.spec_from_file_location("_throughput_benchmark", HERE / "throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generated_sentences(n)


def corpus_sentences(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            texts.extend(json.loads(line)["text"] for line in handle if line.strip())
    return texts


def write_archive(
    path: Path, megabytes: float, sentences: list[str], seed: int = 11
) -> tuple[int, int]:
    """Write documents until the file holds ``megabytes`` MB; (documents, bytes)."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    written = count = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            body = rng.sample(sentences, min(len(sentences), rng.randint(3, 20)))
            paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
            headline = body[0].rstrip(".").split(",")[0]
            text = headline + "\n\n" + "\n\n".join(paragraphs)
            line = json.dumps({"id": f"bench-{count}", "text": text}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return count, written


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
        stack.extend(children.get(pid, ()))
    return total


@dataclass
class Run:
    megabytes: float
    workers: int
    documents: int
    sentences: int
    tag_seconds: float
    wall_seconds: float
    peak_rss: int
    samples: int

    def row(self) -> str:
        return (
            f"{self.megabytes:>6.1f} MB  {self.workers:>2} worker(s)  {self.documents:>7} docs  "
            f"{self.sentences:>8} sents  {self.documents / self.tag_seconds:>8.1f} docs/s  "
            f"{self.sentences / self.tag_seconds:>8.1f} sents/s  (wall {self.wall_seconds:.1f} s, "
            f"{self.sentences / self.wall_seconds:.1f} sents/s)  peak RSS {self.peak_rss / 2**20:>7.1f} MiB"
        )


def run_tag(
    archive: Path, out: Path, model: str | None, workers: int, megabytes: float, extra: list[str]
) -> Run:
    command = [
        sys.executable,
        "-m",
        "conflict_events.cli",
        "tag",
        str(archive),
        "--out",
        str(out),
    ]
    command += ["--workers", str(workers), "--quiet", "--id-field", "id", "--overwrite", *extra]
    if model:
        command += ["--model", model]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, samples = 0, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, samples
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            samples += 1
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    match = SUMMARY.search(err)
    if proc.returncode != 0 or match is None:
        raise SystemExit(f"tag failed ({proc.returncode}):\n{err}")
    docs, sents, seconds = int(match[1]), int(match[2]), float(match[3])
    return Run(megabytes, workers, docs, sents, max(seconds, 1e-9), wall, peak, samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the shipped default model)")
    parser.add_argument(
        "--mb", type=float, nargs="+", default=[10.0, 100.0], help="archive sizes in MB"
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run"
    )
    parser.add_argument(
        "--corpus", type=Path, nargs="*", help="JSONL files whose texts are the sentences"
    )
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/conflict-events-archive-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the archives and outputs")
    parser.add_argument("tag_args", nargs=argparse.REMAINDER, help="after --: more `tag` arguments")
    args = parser.parse_args(argv)
    extra = [a for a in args.tag_args if a != "--"]

    corpus = args.corpus or sorted((REPO / "data" / "corpus").glob("*.jsonl"))
    sentences = corpus_sentences(corpus) if corpus else generated_sentences(5000)
    source = (
        ", ".join(str(p) for p in corpus)
        if corpus
        else "generated clauses (benchmarks/throughput.py)"
    )
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print(f"sentences: {len(sentences)} from {source}; cores: {os.cpu_count()}")
    runs: list[Run] = []
    for megabytes in sorted(args.mb):
        archive = args.work_dir / f"archive-{megabytes:g}mb.jsonl"
        docs, size = write_archive(archive, megabytes, sentences)
        print(f"archive {archive}: {docs} documents, {size / 1e6:.1f} MB")
        for workers in args.workers:
            out = args.work_dir / f"tagged-{megabytes:g}mb-{workers}w.jsonl"
            run = run_tag(archive, out, args.model, workers, megabytes, extra)
            runs.append(run)
            print(run.row(), flush=True)
            if not args.keep:
                out.unlink()
        if not args.keep:
            archive.unlink()
    sizes = sorted(set(args.mb))
    if len(sizes) > 1:
        for workers in args.workers:
            small = next(r for r in runs if r.workers == workers and r.megabytes == sizes[0])
            large = next(r for r in runs if r.workers == workers and r.megabytes == sizes[-1])
            print(
                f"memory, {workers} worker(s): {large.peak_rss / 2**20:.1f} MiB at {sizes[-1]:g} MB vs "
                f"{small.peak_rss / 2**20:.1f} MiB at {sizes[0]:g} MB (x{large.peak_rss / small.peak_rss:.2f} "
                f"for x{sizes[-1] / sizes[0]:g} input)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
