"""One archive, four engines: the in-process runner, ``tag --workers 2``, Ray Data and Spark give
identical results (ids, labels, numbers, offsets), and bad records come back as error rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from conflict_events.cli import main
from conflict_events.inference.archive import BadRecord, Document
from conflict_events.inference.runner import process_pool, tag_records
from conflict_events.inference.tagger import TaggerSpec
from conflict_events.inference.writers import document_row

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")

COUNT = 1000
PLACES = ("the town", "the market", "the river", "the north", "the camp", "the border")
SENTENCES = (
    "At least {n} civilians have fled {p}.",
    "{N} people were killed and {m} wounded near {p}.",
    "Rebels captured some {n} villages near {p}.",
    "The army said {m} bridges were destroyed by air strikes.",
    "Hundreds of families were displaced by the shelling of {p}.",
    "Police arrested {m} people in {p} on Monday, officials said.",
    "Nearly {n} people fled after {m} schools were hit.",
)
WORDS = ("Two", "Three", "Five", "Ten", "Twelve")


def generate_documents(count: int, seed: int = 0) -> list[dict[str, str]]:
    """``count`` short documents (one to four sentences) with ids ``doc-N``."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        sentences = [
            rng.choice(SENTENCES).format(
                n=f"{rng.randint(2, 90_000):,}",
                m=rng.randint(2, 40),
                N=rng.choice(WORDS),
                p=rng.choice(PLACES),
            )
            for _ in range(rng.randint(1, 4))
        ]
        docs.append({"id": f"doc-{i}", "text": " ".join(sentences)})
    return docs


def comparable(row: dict) -> tuple:
    """What must agree between engines: id, error, and per sentence the offsets, labels and
    numbers (span, value, bounds, qualifier, role, unit). Scores are left out: float noise."""
    sentences = tuple(
        (
            s["start"],
            s["end"],
            tuple(e["label"] for e in s["events"]),
            tuple(
                (n["start"], n["end"], n["text"], n["value"], n["low"], n["high"])
                + (n["qualifier"], n["role"], n["unit"])
                for n in s["numbers"]
            ),
        )
        for s in row.get("sentences") or ()
    )
    return row["id"], row.get("error"), sentences


@pytest.fixture(scope="module")
def documents() -> list[dict[str, str]]:
    return generate_documents(COUNT)


@pytest.fixture(scope="module")
def reference(decisive_model, documents) -> dict[str, tuple]:
    """The in-process runner's results: what every other engine must reproduce."""
    items = [Document(d["id"], d["text"], "docs.jsonl", i + 1) for i, d in enumerate(documents)]
    spec = TaggerSpec(str(decisive_model), threads=1)
    rows = [document_row(t) for t in tag_records(items, spec)]
    assert [r["id"] for r in rows] == [d["id"] for d in documents]  # input order
    assert not any(r["error"] for r in rows)
    # The model must find something, or the comparison proves little.
    labels = {e["label"] for r in rows for s in r["sentences"] for e in s["events"]}
    numbers = sum(len(s["numbers"]) for r in rows for s in r["sentences"])
    assert len(labels) >= 3 and numbers >= COUNT
    return {r["id"]: comparable(r) for r in rows}


def test_runner_keeps_order_and_passes_bad_records_through(decisive_model):
    spec = TaggerSpec(str(decisive_model), threads=1)
    items = [
        Document("a", "Two people were killed.", "f", 1),
        BadRecord("f", 2, "malformed JSON"),
        Document("b", "Rebels captured some 15 villages.", "f", 3),
    ]
    out = list(tag_records(items, spec, max_docs=1))
    assert [t.document.id if t.document else None for t in out] == ["a", None, "b"]
    assert out[1].error == items[1] and out[0].ok and out[2].ok


def test_process_pool_matches_in_process(decisive_model, documents, reference):
    items = [Document(d["id"], d["text"], "docs.jsonl", i + 1) for i, d in enumerate(documents)]
    with process_pool(2) as pool:
        rows = [
            document_row(t)
            for t in tag_records(items, TaggerSpec(str(decisive_model), threads=1), pool)
        ]
    assert [r["id"] for r in rows] == [d["id"] for d in documents]
    assert {r["id"]: comparable(r) for r in rows} == reference


def test_tag_command_with_two_workers_matches(decisive_model, documents, reference, tmp_path):
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["tag", str(source), "--model", str(decisive_model), "--id-field", "id"]
    assert main([*argv, "--workers", "2", "--quiet", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [d["id"] for d in documents]
    assert {r["id"]: comparable(r) for r in rows} == reference


def dated(documents: list[dict[str, str]]) -> list[dict[str, str]]:
    """The documents with a publication date in a ``published`` field (a day per document)."""
    return [{**d, "published": f"2024-03-{i % 28 + 1:02d}"} for i, d in enumerate(documents)]


def test_tag_parquet_shards_match_and_carry_dates(
    decisive_model, documents, reference, tmp_path, capsys
):
    """`tag --format parquet` on one machine: the Ray engine's shard folder, the same results,
    the publication date of `--date-field` in each row, a re-run that tags nothing again but
    still reports the error row an earlier run wrote, and a shard damaged since named, not
    skipped as if its records were tagged."""
    from conflict_events.inference.shards import read_shards

    source = tmp_path / "docs.jsonl"
    lines = [json.dumps(d) + "\n" for d in dated(documents)] + ["{broken\n"]
    source.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "shards"
    argv = ["tag", str(source), "--model", str(decisive_model), "--id-field", "id", "--quiet"]
    argv += ["--date-field", "published", "--format", "parquet", "--out", str(out)]
    assert main([*argv, "--workers", "2", "--shard-size", "300"]) == 1  # 1: the broken line
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-0000{i}.parquet" for i in range(4)]
    rows = list(read_shards(out))
    [error] = [r for r in rows if r["error"]]
    assert error["id"] == f"{source}:{COUNT + 1}" and "malformed JSON" in error["error"]
    good = [r for r in rows if not r["error"]]
    assert [r["id"] for r in good] == [d["id"] for d in documents]
    assert {r["id"]: comparable(r) for r in good} == reference
    assert [r["date"] for r in good] == [d["published"] for d in dated(documents)]
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*")}
    # The same job: every shard skipped, none rewritten; still 1, as the folder holds an error row.
    assert main([*argv, "--workers", "2", "--shard-size", "300"]) == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*")} == before
    assert main([*argv, "--shard-size", "100"]) == 2  # other shards than those on disk: refused
    damaged = out / "part-00001.parquet"
    damaged.write_bytes(b"not parquet")
    capsys.readouterr()
    assert main([*argv, "--workers", "2", "--shard-size", "300"]) == 1
    assert f"{damaged}: a complete shard that cannot be read" in capsys.readouterr().err
    assert damaged.read_bytes() == b"not parquet"  # left for the user to look at, not replaced


def test_ray_dataset_matches(ray_local, decisive_model, documents, reference):
    from conflict_events.inference.ray_job import tag_dataset

    rows = [*dated(documents), {"id": "empty", "text": "  ", "published": None}]
    ds = ray_local.data.from_items(rows)
    tagged = tag_dataset(
        ds, str(decisive_model), date_column="published", actors=2, batch_documents=128
    )
    out = tagged.take_all()
    assert len(out) == len(rows)
    by_id = {r["id"]: r for r in out}
    assert "no text" in by_id.pop("empty")["error"]
    assert {i: comparable(r) for i, r in by_id.items()} == reference
    assert [by_id[d["id"]]["date"] for d in rows[:-1]] == [d["published"] for d in rows[:-1]]


def test_spark_dataframe_matches(spark, decisive_model, documents, reference):
    import pandas as pd

    from conflict_events.inference.spark_job import spark_schema, tag_dataframe

    rows = [*dated(documents), {"id": "empty", "text": "", "published": "2024-04-01"}]
    df = spark.createDataFrame(pd.DataFrame(rows)).repartition(2)
    tagged = tag_dataframe(df, str(decisive_model), date_column="published")
    assert tagged.schema == spark_schema()
    out = [r.asDict(recursive=True) for r in tagged.collect()]
    assert len(out) == len(rows)
    by_id = {r["id"]: r for r in out}
    assert "no text" in by_id.pop("empty")["error"]
    assert {i: comparable(r) for i, r in by_id.items()} == reference
    assert [by_id[d["id"]]["date"] for d in rows[:-1]] == [d["published"] for d in rows[:-1]]


def test_from_pretrained_passes_runtime_options_through(decisive_model):
    from conflict_events.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(
        decisive_model,
        threads=2,
        providers=["CPUExecutionProvider"],
        session_options={"enable_cpu_mem_arena": False},
    )
    assert tagger.backend.session.get_providers() == ["CPUExecutionProvider"]
    assert tagger.backend.threads == 2
    assert tagger.backend.session.get_session_options().enable_cpu_mem_arena is False
    # The spec rebuilds the same tagger elsewhere (a worker, an actor).
    assert tagger.spec.load().tag(["Two people were killed."]) == tagger.tag(
        ["Two people were killed."]
    )
    unset = EventTagger.from_pretrained(decisive_model)
    assert unset.backend.threads >= 1  # set explicitly, never left to the runtime
    with pytest.raises(ValueError, match="no attribute"):
        EventTagger.from_pretrained(decisive_model, session_options={"no_such_option": 1})


def _tag_ray_command(source: Path, model: Path, out: Path) -> list[str]:
    return [
        "tag",
        str(source),
        "--model",
        str(model),
        "--id-field",
        "id",
        "--date-field",
        "published",
        "--engine",
        "ray",
        "--actors",
        "2",
        "--shard-size",
        "50",
        "--out",
        str(out),
        "--quiet",
    ]


def test_killed_ray_run_completes_on_rerun(ray_local, decisive_model, documents, tmp_path):
    """Kill the job (driver and its Ray processes) after some shards; the same command then
    finishes it: every record exactly once, the bad line as an error row."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from collections import Counter

    from conflict_events.inference.shards import read_shards

    docs = dated(documents[:400])
    source = tmp_path / "docs.jsonl"
    lines = [json.dumps(d) + "\n" for d in docs]
    # The broken line is the last shard's (401: the ninth of 50 rows), which the kill always
    # leaves undone, so the rerun meets it however many shards the killed job finished.
    lines.append('{"id": "broken", "text": \n')
    source.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "shards"
    argv = _tag_ray_command(source, decisive_model, out)
    job = subprocess.Popen(
        [sys.executable, "-m", "conflict_events.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes Ray's processes too
    )
    deadline = time.monotonic() + 180
    while len(list(out.glob("part-*.parquet"))) < 2 and job.poll() is None:
        assert time.monotonic() < deadline, "no shard written in 180 s"
        time.sleep(0.2)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    done_before = len(list(out.glob("part-*.parquet")))
    assert 2 <= done_before < 9, "the job must be killed part way (9 shards in all)"

    assert main(argv) == 1  # in this process (Ray already up); 1: the broken line failed
    rows = list(read_shards(out))
    counts = Counter(r["id"] for r in rows)
    assert len(rows) == 401 and max(counts.values()) == 1
    assert {d["id"] for d in docs} <= set(counts)
    [error] = [r for r in rows if r["error"]]
    assert error["id"] == f"{source}:401" and "malformed JSON" in error["error"]
    assert [r["id"] for r in rows if not r["error"]] == [d["id"] for d in docs]  # input order
    assert [r["date"] for r in rows if not r["error"]] == [d["published"] for d in docs]
    assert main(argv) == 1  # nothing left to do, and the folder still holds the error row
