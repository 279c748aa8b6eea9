"""Tagging a Ray Data dataset (the ``[ray]`` extra): one call, results as a new dataset.

>>> import ray  # doctest: +SKIP
>>> ds = ray.data.read_parquet("s3://news/2024-05/")  # doctest: +SKIP
>>> tagged = tag_dataset(ds, text_column="body", id_column="url", actors=8)  # doctest: +SKIP
>>> tagged.write_parquet("s3://news-tagged/2024-05/")  # doctest: +SKIP

:func:`tag_dataset` runs ``map_batches`` with :class:`RayTagger`, a callable class: each actor
builds its own ONNX Runtime session once (a session cannot be pickled) with as many intra-op
threads as the CPUs Ray assigned it, and tags whole batches with the in-process runner. Output rows
follow the Parquet ``documents`` layout (:func:`~conflict_events.inference.writers.document_schema`):
``id``, ``date``, ``file``, ``line``, ``error``, ``text``, ``sentences`` (nested events and numbers),
``summary``, ``meta``. An input row that cannot be tagged becomes an error row.
"""

from __future__ import annotations

from typing import Any

from conflict_events.inference.engine_rows import Columns, tag_rows
from conflict_events.inference.tagger import TaggerSpec
from conflict_events.inference.writers import document_schema

BATCH_DOCUMENTS = 256


class RayTagger:
    """The ``map_batches`` callable: built once per actor, called once per batch."""

    def __init__(
        self, spec: TaggerSpec, columns: Columns, include_text: bool = False, cpus: int = 1
    ) -> None:
        import ray

        assigned = ray.get_runtime_context().get_assigned_resources().get("CPU")
        threads = max(1, int(assigned or cpus))
        self.tagger = spec.with_threads(threads).load()
        self.columns = columns
        self.include_text = include_text
        self.schema = document_schema()

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        return pa.Table.from_pylist(self.tag_rows(batch.to_pylist()), schema=self.schema)

    def tag_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Output rows for input rows (what a plain actor of this class is asked to do)."""
        return tag_rows(rows, self.tagger, self.columns, self.include_text)


def tag_dataset(
    dataset: Any,
    model: str | None = None,
    *,
    text_column: str = "text",
    id_column: str = "id",
    date_column: str | None = None,
    actors: int = 1,
    cpus_per_actor: int = 1,
    batch_documents: int = BATCH_DOCUMENTS,
    include_text: bool = False,
    spec: TaggerSpec | None = None,
) -> Any:
    """``dataset`` (a ``ray.data.Dataset`` with a text column) tagged by ``actors`` actors.

    ``model``: a model folder (default: the shipped model), or pass a full ``spec``.
    ``date_column``: the publication date, copied into each result row's ``date`` (what
    ``conflict-events events`` reads).
    """
    import ray

    spec = spec or TaggerSpec(model)
    return dataset.map_batches(
        RayTagger,
        fn_constructor_kwargs={
            "spec": spec,
            "columns": Columns(text_column, id_column, date_column),
            "include_text": include_text,
            "cpus": cpus_per_actor,
        },
        batch_size=batch_documents,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_per_actor,
    )


def start_ray(address: str | None = None, cpus: int | None = None) -> None:
    """Connect to a cluster (``address``, e.g. ``ray://head:10001`` or ``auto``) or start Ray on
    this machine with ``cpus`` CPUs; nothing when Ray is already running in this process."""
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)


class ShardTagger:
    """A ``tag_shard`` for :func:`conflict_events.inference.shards.write_shards`: input rows in,
    output rows out, in the same order; :meth:`close` ends its actors.

    The actors (:class:`RayTagger` as plain Ray actors) are started once and serve every shard,
    so each loads the model once per job, not once per shard as a Ray Data pipeline per shard
    would; ``ActorPool.map`` hands batches to idle actors and returns the results in order.
    """

    def __init__(
        self,
        spec: TaggerSpec,
        actors: int = 1,
        cpus_per_actor: int = 1,
        batch_documents: int = BATCH_DOCUMENTS,
        include_text: bool = False,
    ) -> None:
        import ray
        from ray.util import ActorPool

        remote = ray.remote(num_cpus=cpus_per_actor)(RayTagger)
        self.actors = [
            remote.remote(spec, Columns(date="date"), include_text, cpus_per_actor)
            for _ in range(actors)
        ]
        self.pool = ActorPool(self.actors)
        self.batch_documents = batch_documents

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        size = self.batch_documents
        batches = [rows[i : i + size] for i in range(0, len(rows), size)]
        out: list[dict[str, Any]] = []
        for part in self.pool.map(lambda actor, batch: actor.tag_rows.remote(batch), batches):
            out.extend(part)
        return out

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
