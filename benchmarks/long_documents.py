"""Time and peak memory of ``conflict-events tag`` on one very long line and one very long document.

    python benchmarks/long_documents.py [--model DIR | --stand-in] [--line-mb 5] [--doc-mb 50]
        [--baseline-rev b4c97f1] [--timeout 600]

Two inputs, each a one-record JSONL file: an unpunctuated line of ``--line-mb`` MB (words of the
sentences below, punctuation removed: one "sentence" for the splitter) and a document of
``--doc-mb`` MB (the sentences in paragraphs). Each is tagged by this checkout and, with
``--baseline-rev``, by the code of that git revision (its ``inference`` and ``model`` folders,
put first on ``PYTHONPATH``), each in a fresh process whose resident memory (the process tree) is
sampled every 0.1 s. It prints wall time, peak RSS, and the ratios new/baseline; a run still going
at ``--timeout`` seconds is stopped and reported as such, with the peak reached so far.

``--stand-in`` replaces the network by a random one-layer encoder (hidden size 16) with the shipped
model's tokenizer, labels and windows, its tag head biased to "O" so that numbers are rare as with
a trained model (it needs the [train] extra to build): the splitter,
tokenizer, windows, decoding, summary and writing are the real ones, so the memory figures are
the pipeline's; the times leave out most of the network's cost. Sentences come from
``data/corpus/*.jsonl`` (the project's own annotated text), like ``benchmarks/archive.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _archive_benchmark():
    """benchmarks/archive.py, loaded by path: its corpus reader and process-tree RSS sampler."""
    spec = importlib.util.spec_from_file_location("_archive_benchmark", HERE / "archive.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_inputs(work: Path, line_mb: float, doc_mb: float, sentences: list[str]) -> list[Path]:
    words = re.sub(r"[^\w\s]", " ", " ".join(sentences)).split()
    line, n = [], 0
    while n < line_mb * 1_000_000:
        for word in words:
            line.append(word)
            n += len(word) + 1
            if n >= line_mb * 1_000_000:
                break
    paragraphs, n, i = [], 0, 0
    while n < doc_mb * 1_000_000:
        paragraph = " ".join(sentences[(i + k) % len(sentences)] for k in range(5))
        paragraphs.append(paragraph)
        n += len(paragraph) + 2
        i += 5
    inputs = []
    for name, text in (("line", " ".join(line)), ("document", "\n\n".join(paragraphs))):
        path = work / f"{name}.jsonl"
        path.write_text(json.dumps({"id": name, "text": text}) + "\n", encoding="utf-8")
        inputs.append(path)
    return inputs


def stand_in_model(folder: Path) -> Path:
    """A random one-layer encoder with the shipped model's tokenizer, labels and windows, in ONNX."""
    import torch
    from transformers import BertConfig, BertModel

    from conflict_events.inference.model_folder import ModelConfig, default_model_dir
    from conflict_events.model.export import export_onnx
    from conflict_events.model.pretrained import EventModel

    shipped = default_model_dir()
    config = ModelConfig.load(shipped)
    base = folder / "base"
    base.mkdir(parents=True)
    vocab = json.loads((shipped / "tokenizer.json").read_text())["model"]["vocab"]
    encoder = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
    )
    BertModel(encoder).save_pretrained(str(base))
    shutil.copy(shipped / "tokenizer.json", base / "tokenizer.json")
    model = EventModel.from_base(base, max_length=config.max_length)
    with torch.no_grad():  # like a trained model: numbers are rare, not on every random token
        model.net.tag_head.bias[model.config.labels.bio_tags.index("O")] = 5.0
    out = folder / "model"
    model.save_pretrained(out)
    export_onnx(model.net, out / "model.onnx")
    return out


def baseline_path(rev: str, work: Path) -> Path:
    """A folder to put first on PYTHONPATH so `conflict_events` is the code of revision ``rev``."""
    source = work / f"src-{rev}"
    shim = work / f"shim-{rev}" / "conflict_events"
    if not shim.exists():
        source.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "inference", "model"],
            check=True,
            capture_output=True,
        ).stdout
        with tempfile.TemporaryFile() as tar:
            tar.write(data)
            tar.seek(0)
            tarfile.open(fileobj=tar).extractall(source)
        shim.mkdir(parents=True)
        (shim / "inference").symlink_to(source / "inference")
        (shim / "model").symlink_to(source / "model")
    return shim.parent


def run(path: Path, model: str | None, work: Path, timeout: float, pythonpath: Path | None):
    sampler = _archive_benchmark().tree_rss
    out = work / f"{path.stem}.out.jsonl"
    out.unlink(missing_ok=True)
    Path(f"{out}.manifest.json").unlink(missing_ok=True)
    command = [sys.executable, "-m", "conflict_events.cli", "tag", str(path)]
    command += ["--out", str(out), "--quiet"] + (["--model", model] if model else [])
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sampler(proc.pid))
            done.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        _, err = proc.communicate(timeout=timeout)
        finished = proc.returncode == 0
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        finished = False
    seconds = time.perf_counter() - started
    done.set()
    thread.join()
    if not finished and proc.returncode not in (0, -9):
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    return seconds, peak, finished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the shipped default model)")
    parser.add_argument(
        "--stand-in", action="store_true", help="a random tiny network (see the module doc)"
    )
    parser.add_argument("--line-mb", type=float, default=5.0)
    parser.add_argument("--doc-mb", type=float, default=50.0)
    parser.add_argument("--baseline-rev", help="git revision to compare against (e.g. b4c97f1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/conflict-events-long-bench"))
    args = parser.parse_args(argv)

    args.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = sorted((REPO / "data" / "corpus").glob("*.jsonl"))
    sentences = _archive_benchmark().corpus_sentences(corpus)
    inputs = write_inputs(args.work_dir, args.line_mb, args.doc_mb, sentences)
    model = args.model
    if args.stand_in:
        model = str(stand_in_model(Path(tempfile.mkdtemp(dir=args.work_dir))))
    print(f"model: {model or 'shipped default'}{' (stand-in network)' if args.stand_in else ''}")
    print(f"cores: {os.cpu_count()}; timeout {args.timeout:.0f} s per run")
    for path in inputs:
        size = path.stat().st_size / 1e6
        new = run(path, model, args.work_dir, args.timeout, None)
        rows = [("this checkout", new)]
        if args.baseline_rev:
            old_path = baseline_path(args.baseline_rev, args.work_dir)
            rows.append(
                (args.baseline_rev, run(path, model, args.work_dir, args.timeout, old_path))
            )
        for name, (seconds, peak, finished) in rows:
            state = "" if finished else f"  (stopped at the {args.timeout:.0f} s timeout)"
            print(
                f"{path.stem:>8} {size:6.1f} MB  {name:>14}: {seconds:7.1f} s  "
                f"peak RSS {peak / 2**20:7.1f} MiB{state}",
                flush=True,
            )
        if len(rows) == 2:
            (s_new, p_new, _), (s_old, p_old, _) = new, rows[1][1]
            print(
                f"{'':>8} ratio new/baseline: time {s_new / s_old:.2f}, peak RSS {p_new / p_old:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
