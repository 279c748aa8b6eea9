"""``conflict-events tag`` into a shard folder: ``--engine ray``, or ``--format parquet`` locally.

The driver reads the inputs (every format the local engine reads) and cuts them into shards
(:mod:`conflict_events.inference.shards`); each shard is tagged by the chosen engine and lands in
``--out DIR`` as ``part-NNNNN.parquet`` (or ``.jsonl`` with ``--format jsonl`` under Ray). Bad
records become error rows in the shards. Running the same command again skips the shards already
complete (``--resume`` is implied: a shard is written whole or not at all).

Engines:

- ``ray``: :class:`~conflict_events.inference.ray_job.ShardTagger`, ``--actors`` actors of
  ``--cpus-per-actor`` CPUs. Without ``--ray-address`` Ray starts on this machine with
  ``actors x cpus-per-actor`` CPUs; with it (``auto``, or ``ray://head:10001``) the job runs on
  that cluster.
- ``local``: the in-process runner, or ``--workers N`` processes
  (:func:`~conflict_events.inference.runner.tag_records`), for Parquet output on one machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from conflict_events.inference.archive import ReadOptions, read_archive
from conflict_events.inference.batch import tagger_spec
from conflict_events.inference.engine_rows import Columns, tag_rows
from conflict_events.inference.shards import (
    SHARD_FORMATS,
    ShardCounts,
    ShardError,
    clear_folder,
    prepare_folder,
    write_shards,
)

PROG = "conflict-events tag"


def job_settings(args: argparse.Namespace, options: ReadOptions, fmt: str) -> dict[str, Any]:
    """What decides how the shards are cut and filled: a re-run must match it."""
    return {
        "inputs": [a if a == "-" else os.path.abspath(a) for a in args.inputs],
        "text_field": options.text_field,
        "id_field": options.id_field,
        "glob": list(options.glob),
        "stdin_format": options.stdin_format,
        "date_field": options.date_field,
        "shard_documents": args.shard_size,
        "format": fmt,
        "model": None if args.model is None else os.path.abspath(args.model),
        "quantized": not args.fp32,
        "include_text": args.include_text,
    }


def run_sharded(args: argparse.Namespace, options: ReadOptions) -> int:
    """Tag ``args.inputs`` into shard files under ``args.out`` with ``args.engine``; the exit status."""
    fmt = args.format or "parquet"
    if fmt not in SHARD_FORMATS:
        return _usage_error(f"shard folders hold {' or '.join(SHARD_FORMATS)} files, not {fmt}")
    if not args.out:
        return _usage_error("shards need --out DIR (the shard folder)")
    if "-" in args.inputs:
        return _usage_error("shards cannot be read from stdin: a re-run must read the same input")
    if os.path.isfile(args.out):
        return _usage_error(f"--out {args.out} is a file; shards are written into a folder")
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
    engine = RayEngine(args) if args.engine == "ray" else LocalEngine(args)
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
        counts = write_shards(items, args.out, engine, fmt, args.shard_size, progress)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; run the same command again to carry on", file=sys.stderr)
        return 130
    except ShardError as exc:  # a complete shard damaged since: the message says what to do
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a model that cannot load, an engine that died
        return _usage_error(
            f"tagging stopped: {type(exc).__name__}: {exc}; the shards written so far are kept "
            "and a re-run carries on"
        )
    finally:
        engine.close()
    seconds = time.perf_counter() - started - engine.startup
    tagged = counts.rows - counts.errors
    print(
        f"{PROG}: tagged {tagged} documents ({counts.sentences} sentences) in {seconds:.1f} s "
        f"({tagged / max(seconds, 1e-9):.1f} documents/s, "
        f"{counts.sentences / max(seconds, 1e-9):.1f} sentences/s); "
        f"{counts.errors} error rows; {counts.shards} shards written, "
        f"{counts.skipped_shards} already complete ({counts.skipped_rows} rows, "
        f"{counts.skipped_errors} error rows) in {args.out}"
        + (f"; Ray started in {engine.startup:.1f} s" if engine.startup else ""),
        file=sys.stderr,
    )
    # A re-run that only skips still fails when the folder holds error rows: the job as a whole
    # did not tag every record, whichever run met them.
    return 1 if counts.errors or counts.skipped_errors else 0


class LocalEngine:
    """A ``tag_shard`` on this machine: the runner in this process, or in ``--workers`` processes."""

    def __init__(self, args: argparse.Namespace) -> None:
        from conflict_events.inference.runner import process_pool

        self.spec = tagger_spec(args)
        self.include_text = args.include_text
        self.pool = process_pool(args.workers) if args.workers > 1 else None
        self.tagger: Any = None  # this process's tagger (without workers), loaded once
        self.startup = 0.0

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.pool is None and self.tagger is None:
            self.tagger = self.spec.load()
        tagger = self.spec if self.pool is not None else self.tagger
        columns = Columns(date="date")  # the shard input rows (shards.input_row)
        return tag_rows(rows, tagger, columns, self.include_text, self.pool)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


class RayEngine:
    """A ``tag_shard`` by Ray actors, started when a shard first needs tagging (not on a re-run)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.spec = tagger_spec(args)  # --threads as given: Ray takes --actors, not --workers
        self.tagger: Any = None
        self.startup = 0.0  # seconds spent starting Ray: left out of the rates, as loading is

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from conflict_events.inference.ray_job import ShardTagger, start_ray

        args = self.args
        if self.tagger is None:
            cpus = None if args.ray_address else args.actors * args.cpus_per_actor
            begin = time.perf_counter()
            start_ray(args.ray_address, cpus)
            self.startup = time.perf_counter() - begin
            self.tagger = ShardTagger(
                self.spec, args.actors, args.cpus_per_actor, include_text=args.include_text
            )
        return self.tagger(rows)

    def close(self) -> None:
        if self.tagger is not None:
            self.tagger.close()  # frees the actors' CPUs (Ray may stay up in a longer process)


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2
