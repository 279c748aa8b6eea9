"""Tagging a Ray Data dataset (the ``[ray]`` extra): one call, results as a new dataset.

>>> import ray  # doctest: +SKIP
>>> ds = ray.data.read_parquet("s3://news/2024-05/")  # doctest: +SKIP
>>> tagged = tag_dataset(ds, text_column="body", id_column="url", actors=8)  # doctest: +SKIP
>>> tagged.write_parquet("s3://news-tagged/2024-05/")  # doctest: +SKIP

:func:`tag_dataset` runs ``map_batches`` with :class:`RayTagger`, a callable class: each actor
builds its own ONNX Runtime session once (a session cannot be pickled) with as many intra-op
threads as the CPUs Ray assigned it, and tags whole batches with the in-process runner. Output rows
follow the Parquet ``documents`` layout (:func:`~conflict_events.inference.writers.document_schema`):
``id``, ``file``, ``line``, ``error``, ``text``, ``sentences`` (nested events and numbers),
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

        rows = tag_rows(batch.to_pylist(), self.tagger, self.columns, self.include_text)
        return pa.Table.from_pylist(rows, schema=self.schema)


def tag_dataset(
    dataset: Any,
    model: str | None = None,
    *,
    text_column: str = "text",
    id_column: str = "id",
    actors: int = 1,
    cpus_per_actor: int = 1,
    batch_documents: int = BATCH_DOCUMENTS,
    include_text: bool = False,
    spec: TaggerSpec | None = None,
) -> Any:
    """``dataset`` (a ``ray.data.Dataset`` with a text column) tagged by ``actors`` actors.

    ``model``: a model folder (default: the shipped model), or pass a full ``spec``.
    """
    import ray

    spec = spec or TaggerSpec(model)
    return dataset.map_batches(
        RayTagger,
        fn_constructor_kwargs={
            "spec": spec,
            "columns": Columns(text_column, id_column),
            "include_text": include_text,
            "cpus": cpus_per_actor,
        },
        batch_size=batch_documents,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_per_actor,
    )
