"""Tagging a Spark DataFrame (the ``[spark]`` extra): one call, a DataFrame of results.

>>> from pyspark.sql import SparkSession  # doctest: +SKIP
>>> df = SparkSession.builder.getOrCreate().read.parquet("hdfs:///news/2024-05")  # doctest: +SKIP
>>> tag_dataframe(df, text_column="body", id_column="url").write.parquet("hdfs:///tagged")  # doctest: +SKIP

:func:`tag_dataframe` is ``df.mapInPandas`` with a declared output schema (:func:`spark_schema`,
the Parquet ``documents`` layout: nested sentences, events, numbers and summary). Each Python
worker builds its tagger once (kept across tasks while Spark reuses the worker) with as many ONNX
Runtime threads as the task's CPUs (``spark.task.cpus``).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from conflict_events.inference.engine_rows import Columns, tag_rows
from conflict_events.inference.tagger import TaggerSpec
from conflict_events.inference.writers import document_schema

_TAGGERS: dict[TaggerSpec, Any] = {}


def spark_schema() -> Any:
    """The Spark ``StructType`` of the output rows (from the pyarrow schema, so they cannot drift)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(document_schema())


def tag_partitions(
    frames: Iterator[Any], spec: TaggerSpec, columns: Columns, include_text: bool = False
) -> Iterator[Any]:
    """The ``mapInPandas`` function: pandas frames of input rows in, frames of results out."""
    import pyarrow as pa
    from pyspark import TaskContext

    context = TaskContext.get()
    cpus = context.cpus() if context is not None else 1
    spec = spec.with_threads(max(1, int(cpus)))
    if spec not in _TAGGERS:
        _TAGGERS[spec] = spec.load()
    schema = document_schema()
    for frame in frames:
        rows = frame.to_dict("records")
        out = tag_rows(rows, _TAGGERS[spec], columns, include_text)
        yield pa.Table.from_pylist(out, schema=schema).to_pandas()


def tag_dataframe(
    df: Any,
    model: str | None = None,
    *,
    text_column: str = "text",
    id_column: str = "id",
    date_column: str | None = None,
    include_text: bool = False,
    spec: TaggerSpec | None = None,
) -> Any:
    """``df`` (with a text column) tagged: a DataFrame of :func:`spark_schema` rows.

    ``date_column``: the publication date, copied into each result row's ``date``.
    """
    spec = spec or TaggerSpec(model)
    function = partial(
        tag_partitions,
        spec=spec,
        columns=Columns(text_column, id_column, date_column),
        include_text=include_text,
    )
    return df.mapInPandas(function, spark_schema())
