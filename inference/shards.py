"""Sharded output that a re-run completes: what ``conflict-events tag --engine ray`` writes.

The input stream is cut into shards of ``shard_documents`` consecutive items (documents and bad
records alike, in input order). Shard ``k`` is tagged as a whole and written to
``part-0000k.tmp``, then renamed to ``part-0000k.parquet`` (or ``.jsonl``): a rename is atomic, so
a shard file either holds every row of its shard or does not exist. A killed job leaves whole
shards and perhaps a ``.tmp`` file; running it again with the same inputs and settings skips the
whole shards (their items are read and counted, not tagged), removes the ``.tmp`` file, and tags
the rest, so no document is lost or written twice.

``_job.json`` in the folder records what the shards were cut from (inputs, reading options,
shard size, format, model); a re-run with other settings is refused, because its shards would not
line up with the ones on disk. Each row is :func:`~conflict_events.inference.writers.document_row`:
a result, or an error row for a bad record or a document that failed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conflict_events.inference.archive import BadRecord, Document

JOB_FILE = "_job.json"
SHARD_DOCUMENTS = 10_000
SHARD_FORMATS = ("parquet", "jsonl")


class ShardError(ValueError):
    """A shard folder that this job cannot continue (other settings, or not a shard folder)."""


@dataclass
class ShardCounts:
    shards: int = 0
    skipped_shards: int = 0
    rows: int = 0
    skipped_rows: int = 0
    errors: int = 0
    skipped_errors: int = 0  # error rows in the shards an earlier run completed
    sentences: int = 0


def input_row(item: Document | BadRecord) -> dict[str, Any]:
    """An item as an input row of the engines (:mod:`conflict_events.inference.engine_rows`)."""
    if isinstance(item, BadRecord):
        return {
            "id": item.location,
            "date": None,
            "text": None,
            "file": item.file,
            "line": item.line,
            "error": item.reason,
            "meta": None,
        }
    return {
        "id": item.id,
        "date": item.date,
        "text": item.text,
        "file": item.file,
        "line": item.line,
        "error": None,
        "meta": json.dumps(item.meta, ensure_ascii=False) if item.meta else None,
    }


def shard_path(folder: str | Path, index: int, fmt: str) -> Path:
    return Path(folder) / f"part-{index:05d}.{fmt}"


def prepare_folder(folder: str | Path, job: dict[str, Any]) -> None:
    """Create the folder and its job file, or check an earlier run's job file matches ``job``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / JOB_FILE
    if path.exists():
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShardError(f"{path}: unreadable job file ({exc}); cannot continue") from None
        if earlier != job:
            changed = sorted(k for k in set(job) | set(earlier) if job.get(k) != earlier.get(k))
            raise ShardError(
                f"{folder} holds shards of another job (different {', '.join(changed)}); "
                "use a new --out folder, or the earlier settings"
            )
    else:
        if any(folder.glob("part-*")):
            raise ShardError(f"{folder} holds part-* files but no {JOB_FILE}: not this job's")
        path.write_text(json.dumps(job, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for leftover in folder.glob("part-*.tmp"):
        leftover.unlink()  # a shard cut off by an interruption: tagged again


def clear_folder(folder: str | Path) -> None:
    """``--overwrite``: remove an earlier job's shards and job file (nothing else in the folder)."""
    folder = Path(folder)
    if folder.is_dir():
        for path in [*folder.glob("part-*"), folder / JOB_FILE]:
            if path.is_file():
                path.unlink()


def write_shards(
    items: Iterable[Document | BadRecord],
    folder: str | Path,
    tag_shard: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    fmt: str = "parquet",
    shard_documents: int = SHARD_DOCUMENTS,
    on_shard: Callable[[int, ShardCounts], None] | None = None,
) -> ShardCounts:
    """Tag ``items`` shard by shard into ``folder`` (made ready by :func:`prepare_folder`).

    ``tag_shard`` takes a shard's input rows and returns one output row per input row, in
    order (:class:`conflict_events.inference.ray_job.ShardTagger`).
    """
    if fmt not in SHARD_FORMATS:
        raise ValueError(f"shard format must be one of {SHARD_FORMATS}, not {fmt!r}")
    counts = ShardCounts()
    for index, shard in enumerate(_batches(items, shard_documents)):
        target = shard_path(folder, index, fmt)
        if target.exists():
            counts.skipped_shards += 1
            counts.skipped_rows += len(shard)
            counts.skipped_errors += shard_errors(target)
        else:
            rows = [input_row(item) for item in shard]
            out = tag_shard(rows)
            if [r["id"] for r in out] != [r["id"] for r in rows]:
                raise RuntimeError(
                    f"shard {index}: the engine returned other rows than it was given"
                )
            temporary = target.with_suffix(".tmp")
            _write(out, temporary, fmt)
            os.replace(temporary, target)
            counts.shards += 1
            counts.rows += len(out)
            counts.errors += sum(1 for r in out if r["error"])
            counts.sentences += sum(len(r["sentences"] or ()) for r in out)
        if on_shard is not None:
            on_shard(index, counts)
    return counts


def shard_errors(path: Path) -> int:
    """Error rows of a complete shard (only its ``error`` column is read).

    A shard that cannot be read (damaged after it was written) is a :class:`ShardError` naming
    it: skipping it would pass off records nobody can read as tagged.
    """
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            column = pq.read_table(path, columns=["error"]).column("error")
            return len(column) - column.null_count
        with path.open(encoding="utf-8") as stream:
            return sum(1 for line in stream if json.loads(line).get("error"))
    except (OSError, ValueError, KeyError) as exc:
        raise ShardError(
            f"{path}: a complete shard that cannot be read ({type(exc).__name__}: {exc}); "
            "delete it and run the same command again to tag its records anew"
        ) from None


def read_shards(folder: str | Path) -> Iterator[dict[str, Any]]:
    """Every row of every complete shard, in shard order."""
    for path in sorted(Path(folder).glob("part-*")):
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            yield from pq.read_table(path).to_pylist()
        elif path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as stream:
                yield from (json.loads(line) for line in stream)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(rows: list[dict[str, Any]], path: Path, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        from conflict_events.inference.writers import document_schema

        pq.write_table(pa.Table.from_pylist(rows, schema=document_schema()), path)
    else:
        with path.open("w", encoding="utf-8") as stream:
            stream.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            stream.flush()
            os.fsync(stream.fileno())
