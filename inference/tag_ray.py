"""``conflict-events tag --engine ray``: the same inputs, tagged by Ray actors into shard files.

The driver reads the inputs (every format the local engine reads) and cuts them into shards
(:mod:`conflict_events.inference.shards`); each shard goes through :func:`ray_job.tag_dataset`
with ``--actors`` actors of ``--cpus-per-actor`` CPUs, and lands in ``--out DIR`` as
``part-NNNNN.parquet`` (or ``.jsonl`` with ``--format jsonl``). Bad records become error rows in
the shards. Running the same command again skips the shards already complete (``--resume`` is
implied: a shard is written whole or not at all).

Without ``--ray-address`` Ray starts on this machine with ``actors x cpus-per-actor`` CPUs;
with it (``auto``, or ``ray://head:10001``) the job runs on that cluster.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from conflict_events.inference.archive import ReadOptions, read_archive
from conflict_events.inference.shards import (
    SHARD_FORMATS,
    ShardCounts,
    ShardError,
    clear_folder,
    prepare_folder,
    write_shards,
)
from conflict_events.inference.tagger import TaggerSpec

PROG = "conflict-events tag"


def job_settings(args: argparse.Namespace, options: ReadOptions, fmt: str) -> dict[str, Any]:
    """What decides how the shards are cut and filled: a re-run must match it."""
    return {
        "inputs": [a if a == "-" else os.path.abspath(a) for a in args.inputs],
        "text_field": options.text_field,
        "id_field": options.id_field,
        "glob": list(options.glob),
        "stdin_format": options.stdin_format,
        "shard_documents": args.shard_size,
        "format": fmt,
        "model": None if args.model is None else os.path.abspath(args.model),
        "quantized": not args.fp32,
        "include_text": args.include_text,
    }


def run_ray(args: argparse.Namespace, options: ReadOptions) -> int:
    """Tag ``args.inputs`` into shard files under ``args.out``; the exit status."""
    from conflict_events.inference.ray_job import ShardTagger, start_ray

    fmt = args.format or "parquet"
    if fmt not in SHARD_FORMATS:
        return _usage_error(f"--engine ray writes {' or '.join(SHARD_FORMATS)} shards, not {fmt}")
    if not args.out:
        return _usage_error("--engine ray needs --out DIR (the shard folder)")
    if "-" in args.inputs:
        return _usage_error("--engine ray cannot read stdin: a re-run must read the same input")
    out = os.path.realpath(args.out)
    for path in args.inputs:
        if os.path.isdir(path) and out.startswith(os.path.realpath(path) + os.sep):
            return _usage_error(f"--out {args.out} is inside the input folder {path}")
    if getattr(args, "overwrite", False):
        clear_folder(args.out)
    try:
        prepare_folder(args.out, job_settings(args, options, fmt))
    except (ShardError, OSError) as exc:
        return _usage_error(str(exc))
    spec = TaggerSpec(
        args.model, args.backend, not args.fp32, args.threads, batch_size=args.batch_size
    )
    started_tagger: list[Any] = []
    startup = [0.0]  # seconds spent starting Ray: left out of the rates, as model loading is

    def tag_shard(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not started_tagger:  # Ray starts only when a shard needs tagging, not on a re-run
            cpus = None if args.ray_address else args.actors * args.cpus_per_actor
            begin = time.perf_counter()
            start_ray(args.ray_address, cpus)
            startup[0] = time.perf_counter() - begin
            started_tagger.append(
                ShardTagger(spec, args.actors, args.cpus_per_actor, include_text=args.include_text)
            )
        return started_tagger[0](rows)

    started = time.perf_counter()

    def progress(index: int, counts: ShardCounts) -> None:
        if args.quiet:
            return
        elapsed = time.perf_counter() - started
        rate = counts.rows / elapsed if elapsed > 0 else 0.0
        print(
            f"{PROG}: shard {index}: {counts.shards} written, {counts.skipped_shards} already "
            f"complete; {counts.rows} documents tagged ({rate:.1f}/s)",
            file=sys.stderr,
            flush=True,
        )

    items = read_archive(args.inputs, options)
    try:
        counts = write_shards(items, args.out, tag_shard, fmt, args.shard_size, progress)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; run the same command again to carry on", file=sys.stderr)
        return 130
    finally:
        for tagger in started_tagger:
            tagger.close()  # frees the actors' CPUs (Ray may stay up in a longer process)
    seconds = time.perf_counter() - started - startup[0]
    tagged = counts.rows - counts.errors
    print(
        f"{PROG}: tagged {tagged} documents ({counts.sentences} sentences) in {seconds:.1f} s "
        f"({tagged / max(seconds, 1e-9):.1f} documents/s, "
        f"{counts.sentences / max(seconds, 1e-9):.1f} sentences/s); "
        f"{counts.errors} error rows; {counts.shards} shards written, "
        f"{counts.skipped_shards} already complete ({counts.skipped_rows} rows) in {args.out}"
        + (f"; Ray started in {startup[0]:.1f} s" if startup[0] else ""),
        file=sys.stderr,
    )
    return 1 if counts.errors else 0


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2
