"""``conflict-events tag``: every input kind, the output contract, CSV, duplicates, resume, bad input."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conflict_events.cli import main
from conflict_events.inference.batch import CSV_COLUMNS, ResumeError, prepare_resume

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")

DOCS = (
    "At least 25,000 civilians have fled the town. Three people were killed and 12 wounded in the market.",
    "Rebels captured some 15 villages near the river.\n\nThe army said 2 bridges were destroyed.",
    "  Hundreds of families were displaced by the shelling. Five schools were hit by 3 air strikes.",
)
NUMBER_KEYS = {"start", "end", "text", "value", "low", "high", "qualifier", "role", "unit", "score"}


@pytest.fixture(scope="module")
def model(onnx_model) -> Path:
    """The tiny model on ONNX Runtime (random: few events, few numbers)."""
    return onnx_model


@pytest.fixture(scope="module")
def counting_model(counting_onnx_model) -> Path:
    """The tiny model biased to tag every token as a killed count, so every figure becomes a number."""
    return counting_onnx_model


def tag(model: Path, *argv) -> int:
    return main(["tag", "--model", str(model), "--quiet", *map(str, argv)])


def tag_process(model: Path, *argv, **kwargs) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "conflict_events.cli",
        "tag",
        "--model",
        str(model),
        *map(str, argv),
    ]
    return subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def check_contract(record: dict, text: str) -> None:
    assert set(record) == {"id", "text", "sentences", "summary"}
    assert record["text"] == text
    assert record["sentences"], "every document has sentences"
    for s in record["sentences"]:
        assert set(s) == {"start", "end", "text", "events", "numbers"}
        assert text[s["start"] : s["end"]] == s["text"]
        for e in s["events"]:
            assert set(e) == {"label", "score"}
        for n in s["numbers"]:
            assert set(n) == NUMBER_KEYS
            assert text[n["start"] : n["end"]] == n["text"]
            assert s["start"] <= n["start"] <= n["end"] <= s["end"]
    assert set(record["summary"]) == {"events", "figures"}


def test_jsonl_output_contract_and_offsets(counting_model, tmp_path):
    model = counting_model
    source = write_jsonl(
        tmp_path / "docs.jsonl", [{"text": t, "id": f"d{i}"} for i, t in enumerate(DOCS)]
    )
    out = tmp_path / "out.jsonl"
    assert tag(model, source, "--id-field", "id", "--include-text", "--out", out) == 0
    got = records(out)
    assert [r["id"] for r in got] == ["d0", "d1", "d2"]
    for record, text in zip(got, DOCS, strict=True):
        check_contract(record, text)
    numbers = [n["text"] for r in got for s in r["sentences"] for n in s["numbers"]]
    assert {"25,000", "12", "15", "2", "3"} <= set(numbers)
    # Without --include-text the record leaves the text out, and nothing else changes.
    assert tag(model, source, "--id-field", "id", "--out", out, "--overwrite") == 0
    assert [{k: v for k, v in r.items() if k != "text"} for r in got] == records(out)


def test_every_input_kind(model, tmp_path):
    folder = tmp_path / "archive"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(DOCS[0])
    (folder / "sub" / "b.txt").write_text(DOCS[1])
    (folder / "skip.md").write_text(DOCS[2])
    with gzip.open(folder / "c.txt.gz", "wt") as f:
        f.write(DOCS[2])
    jsonl = write_jsonl(tmp_path / "rows.jsonl", [{"body": DOCS[1]}])
    with gzip.open(tmp_path / "rows.jsonl.gz", "wt") as f:
        f.write(json.dumps({"body": DOCS[0]}) + "\n")
    table = tmp_path / "table.csv"
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([["key", "body"], ["k1", DOCS[2]], ["k2", DOCS[0]]])
    with gzip.open(tmp_path / "table.csv.gz", "wt", newline="") as f:
        csv.writer(f).writerows([["key", "body"], ["k3", DOCS[1]]])
    out = tmp_path / "out.jsonl"
    inputs = [folder, jsonl, tmp_path / "rows.jsonl.gz", table, tmp_path / "table.csv.gz"]
    assert tag(model, *inputs, "--text-field", "body", "--out", out, "--include-text") == 0
    got = records(out)
    assert [r["id"] for r in got] == [
        f"{folder}/a.txt",
        f"{folder}/c.txt.gz",
        f"{folder}/sub/b.txt",
        f"{jsonl}:1",
        f"{tmp_path}/rows.jsonl.gz:1",
        f"{table}:2",
        f"{table}:3",
        f"{tmp_path}/table.csv.gz:2",
    ]
    assert [r["text"] for r in got] == [
        DOCS[0],
        DOCS[2],
        DOCS[1],
        DOCS[1],
        DOCS[0],
        DOCS[2],
        DOCS[0],
        DOCS[1],
    ]
    assert tag(model, folder, "--glob", "*.md", "--out", out, "--overwrite") == 0
    assert [r["id"] for r in records(out)] == [f"{folder}/skip.md"]
    assert (
        tag(model, table, "--text-field", "body", "--id-field", "key", "--out", out, "--overwrite")
        == 0
    )
    assert [r["id"] for r in records(out)] == ["k1", "k2"]


def test_stdin_lines_and_jsonl(model):
    lines = f"{DOCS[0]}\n\n{DOCS[2]}\n".encode()
    proc = tag_process(model, "-", "--include-text")
    out, err = proc.communicate(lines, timeout=120)
    assert proc.returncode == 0, err.decode()
    got = [json.loads(line) for line in out.decode().splitlines()]
    assert [(r["id"], r["text"]) for r in got] == [("-:1", DOCS[0]), ("-:3", DOCS[2])]
    assert b"tagged 2 documents" in err
    assert b"\r" not in err  # no progress bar: stderr is not a terminal
    rows = "".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(DOCS)).encode()
    proc = tag_process(model, "-", "--stdin-format", "jsonl", "--id-field", "id", "--format", "csv")
    out, err = proc.communicate(rows, timeout=120)
    assert proc.returncode == 0, err.decode()
    table = list(csv.reader(io.StringIO(out.decode())))
    assert [r[0] for r in table if r[1] == "document"] == ["0", "1", "2"]


def test_csv_format_rows(counting_model, tmp_path):
    model = counting_model
    days = ["2024-03-01", "2024-03-02", None]  # the third document has no date
    docs = [{"text": t, "day": d} for t, d in zip(DOCS, days, strict=True)]
    source = write_jsonl(tmp_path / "docs.jsonl", docs)
    out = tmp_path / "out.csv"  # csv chosen from the suffix
    assert tag(model, source, "--date-field", "day", "--out", out) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    ids = [f"{source}:{i}" for i in (1, 2, 3)]
    assert [r["id"] for r in rows if r["kind"] == "document"] == ids
    # the publication date on every row of its document, empty where the record had none
    assert {r["id"]: r["date"] for r in rows} == dict(zip(ids, ["2024-03-01", "2024-03-02", ""]))
    texts = dict(zip(ids, DOCS, strict=True))
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["number"] >= 5 and kinds["event"] >= 1
    for r in rows:
        text = texts[r["id"]]
        if r["kind"] == "document":
            assert int(r["sentence_end"]) == len(text) and int(r["sentence"]) >= 1
            continue
        if r["kind"] == "figure":  # the summary: one row per distinct figure, citing sentences
            assert text[int(r["start"]) : int(r["end"])] == r["text"] and r["role"] == "killed"
            assert r["citations"].split(";")[0] == r["sentence"]
            assert text[int(r["sentence_start"]) : int(r["sentence_end"])] == r["sentence_text"]
            continue
        assert text[int(r["sentence_start"]) : int(r["sentence_end"])] == r["sentence_text"]
        start, end = int(r["sentence_start"]), int(r["sentence_end"])
        assert 0 <= start < end <= len(text)
        if r["kind"] == "number":
            assert text[int(r["start"]) : int(r["end"])] == r["text"]
            assert start <= int(r["start"]) and int(r["end"]) <= end
            assert r["role"] == "killed" and float(r["score"]) > 0.5
        else:
            assert r["label"] and 0.0 <= float(r["score"]) <= 1.0
    # Each document's rows come together, its document row last.
    order = [r["id"] for r in rows]
    for doc_id in ids:
        first, last = order.index(doc_id), len(order) - 1 - order[::-1].index(doc_id)
        assert set(order[first : last + 1]) == {doc_id} and rows[last]["kind"] == "document"


def test_duplicate_ids_are_reported_and_both_tagged(model, tmp_path, capsys):
    source = write_jsonl(
        tmp_path / "docs.jsonl",
        [{"text": DOCS[0], "id": "x"}, {"text": DOCS[1], "id": "y"}, {"text": DOCS[2], "id": "x"}],
    )
    out = tmp_path / "out.jsonl"
    assert tag(model, source, "--id-field", "id", "--out", out) == 0
    assert [r["id"] for r in records(out)] == ["x", "y", "x"]
    err = capsys.readouterr().err
    assert f"duplicate id 'x' at {source}:3" in err
    assert "1 duplicate ids (e.g. 'x')" in err


def same_job(reference: Path, out: Path) -> None:
    """Make ``out`` an output of the job that wrote ``reference`` (its manifest), to resume it."""
    manifest = Path(f"{reference}.manifest.json")
    Path(f"{out}.manifest.json").write_bytes(manifest.read_bytes())


def many_docs(path: Path, n: int) -> Path:
    return write_jsonl(
        path, [{"text": f"{DOCS[i % 3]} Report {i}.", "id": f"doc-{i}"} for i in range(n)]
    )


def test_resume_after_a_kill_loses_and_duplicates_nothing(model, tmp_path):
    source = many_docs(tmp_path / "docs.jsonl", 2000)
    reference = tmp_path / "reference.jsonl"
    assert tag(model, source, "--id-field", "id", "--out", reference) == 0
    out = tmp_path / "out.jsonl"
    proc = tag_process(model, source, "--id-field", "id", "--out", out)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.stat().st_size > 20_000:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the job ended before it could be killed"
    written = len(out.read_bytes().splitlines())
    assert 0 < written < 2000
    assert tag(model, source, "--id-field", "id", "--out", out, "--resume") == 0
    assert out.read_text() == reference.read_text()  # every id once, in input order, same results


def test_resume_cuts_a_truncated_last_line(model, tmp_path, capsys):
    source = many_docs(tmp_path / "docs.jsonl", 40)
    reference = tmp_path / "reference.jsonl"
    assert tag(model, source, "--id-field", "id", "--out", reference) == 0
    lines = reference.read_bytes().splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"".join(lines[:17]) + lines[17][:25])  # killed while writing record 18
    same_job(reference, out)
    capsys.readouterr()
    assert tag(model, source, "--id-field", "id", "--out", out, "--resume") == 0
    err = capsys.readouterr().err
    assert "removed a cut-off last record (25 bytes)" in err and "skipped 17 already in" in err
    assert out.read_bytes() == reference.read_bytes()
    # Resuming a finished job tags nothing and changes nothing.
    assert tag(model, source, "--id-field", "id", "--out", out, "--resume") == 0
    assert (
        "tagged 0 documents" in capsys.readouterr().err
        and out.read_bytes() == reference.read_bytes()
    )


def test_resume_csv_keeps_only_whole_documents(model, tmp_path):
    source = many_docs(tmp_path / "docs.jsonl", 12)
    reference = tmp_path / "reference.csv"
    assert tag(model, source, "--id-field", "id", "--out", reference) == 0
    data = reference.read_bytes()
    out = tmp_path / "out.csv"
    same_job(reference, out)
    for cut in (10, len(data) // 3, len(data) // 2 + 7, len(data) - 1):  # header, mid-row, ...
        out.write_bytes(data[:cut])
        assert tag(model, source, "--id-field", "id", "--out", out, "--resume") == 0
        assert out.read_bytes() == data


def test_resume_refuses_a_file_it_did_not_write(tmp_path, model, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(ResumeError, match=r"out.jsonl:2: not a JSONL record"):
        prepare_resume(out, "jsonl")
    source = write_jsonl(tmp_path / "docs.jsonl", [{"text": DOCS[0]}])
    assert tag(model, source, "--out", out, "--resume") == 2
    assert "cannot resume" in capsys.readouterr().err


def test_resume_with_duplicate_ids_skips_only_what_was_written(model, tmp_path):
    rows = [{"text": DOCS[i % 3], "id": "same"} for i in range(5)]
    source = write_jsonl(tmp_path / "docs.jsonl", rows)
    reference = tmp_path / "reference.jsonl"
    assert tag(model, source, "--id-field", "id", "--out", reference) == 0
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"".join(reference.read_bytes().splitlines(keepends=True)[:2]))
    same_job(reference, out)
    assert tag(model, source, "--id-field", "id", "--out", out, "--resume") == 0
    assert out.read_bytes() == reference.read_bytes()


def test_bad_records_go_to_the_errors_file_and_the_job_carries_on(model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"GIF89a\0\0\1\2\3")
    (folder / "latin1.txt").write_bytes(b"Twelve were killed in the caf\xe9.")
    os.symlink(folder / "missing.txt", folder / "unreadable.txt")
    # A 1 MB line (sentences far apart keep the test fast; the benchmark measures dense text).
    long_text = ("Three people were killed in the town." + " " * 5000) * 200
    assert len(long_text) > 1_000_000
    (folder / "rows.jsonl").write_bytes(
        b"\n".join(
            [
                json.dumps({"text": DOCS[0]}).encode(),
                b'{"text": "unterminated',
                json.dumps({"body": DOCS[1]}).encode(),
                json.dumps({"text": ""}).encode(),
                json.dumps({"text": long_text}).encode(),
                b'{"text": "bad \xff byte"}',
            ]
        )
        + b"\n"
    )
    out, errors = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    assert tag(model, folder, "--out", out, "--errors", errors) == 1
    tagged = records(out)
    assert [r["id"] for r in tagged] == [f"{folder}/rows.jsonl:1", f"{folder}/rows.jsonl:5"]
    assert len(tagged[1]["sentences"]) == 200  # the long line was tagged whole
    assert tagged[1]["sentences"][-1]["start"] == 199 * 5037
    reported = [json.loads(line) for line in errors.read_text().splitlines()]
    assert all(set(e) == {"file", "line", "reason"} for e in reported)
    where = {(Path(e["file"]).name, e["line"]): e["reason"] for e in reported}
    assert where.keys() == {
        ("binary.txt", None),
        ("empty.txt", None),
        ("latin1.txt", 1),
        ("rows.jsonl", 2),
        ("rows.jsonl", 3),
        ("rows.jsonl", 4),
        ("rows.jsonl", 6),
        ("unreadable.txt", None),
    }
    assert where[("rows.jsonl", 2)].startswith("malformed JSON")
    assert where[("rows.jsonl", 3)].startswith("missing text field")
    assert where[("rows.jsonl", 4)] == "empty text"
    assert where[("unreadable.txt", None)].startswith("unreadable file")
    summary = capsys.readouterr().err
    assert "tagged 2 documents" in summary and f"failed 8 (see {errors})" in summary
    # Without --errors, each bad record is one stderr line naming file:line.
    assert tag(model, folder / "rows.jsonl", "--out", out, "--overwrite") == 1
    err = capsys.readouterr().err
    assert f"{folder}/rows.jsonl:2: malformed JSON" in err and "failed 4" in err


def test_workers_keep_input_order_and_results(counting_model, tmp_path):
    source = many_docs(tmp_path / "docs.jsonl", 300)
    reference = tmp_path / "reference.jsonl"
    # One runtime thread everywhere, so the scores match to the last digit.
    argv = (source, "--id-field", "id", "--threads", "1", "--out")
    assert tag(counting_model, *argv, reference) == 0
    out = tmp_path / "out.jsonl"
    proc = tag_process(counting_model, *argv, out, "--workers", "2")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert "tagged 300 documents" in err.decode()
    assert [r["id"] for r in records(out)] == [f"doc-{i}" for i in range(300)]
    assert out.read_bytes() == reference.read_bytes()


def test_usage_errors_exit_2(model, tmp_path, capsys, monkeypatch):
    source = write_jsonl(tmp_path / "docs.jsonl", [{"text": DOCS[0]}])
    assert tag(model, tmp_path / "nothing.jsonl") == 2
    assert "nothing.jsonl: no such file" in capsys.readouterr().err
    assert tag(model, source, "--resume") == 2
    assert "--resume needs --out" in capsys.readouterr().err
    assert tag(model, source, "--workers", "0") == 2
    assert tag(model, source, "--out", tmp_path / "out.jsonl.gz") == 2
    assert tag(model, source, "--out", tmp_path / "no" / "such" / "folder.jsonl") == 2
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        tag(model, source, "--format", "xml")
    assert exit_info.value.code == 2
    # No --model and no shipped default model: a clear message, not a traceback.
    import conflict_events.inference.batch as batch

    monkeypatch.setattr(batch, "default_model_dir", lambda: tmp_path / "default")
    capsys.readouterr()
    assert main(["tag", str(source)]) == 2
    assert "no default model is installed yet" in capsys.readouterr().err


class _PoisonedTagger:
    """Tags every document as one sentence, and fails on any batch holding the word POISON."""

    def iter_tag_documents(self, pairs):
        from conflict_events.inference.results import DocumentResult, SentenceResult

        for doc_id, text in pairs:
            if "POISON" in text:
                raise RuntimeError("the runtime choked")
            yield DocumentResult(doc_id, text, (SentenceResult(text, 0, len(text)),))


def test_a_document_that_breaks_the_tagger_fails_alone(tmp_path, monkeypatch, capsys):
    import conflict_events.inference.batch as batch

    monkeypatch.setattr(batch, "load_tagger", lambda **kwargs: _PoisonedTagger())
    source = write_jsonl(
        tmp_path / "docs.jsonl", [{"text": t} for t in (DOCS[0], "POISON here", DOCS[1])]
    )
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(source), "--out", str(out)]) == 1
    assert [r["id"] for r in records(out)] == [f"{source}:1", f"{source}:3"]
    err = capsys.readouterr().err
    assert f"{source}:2: tagging failed: RuntimeError: the runtime choked" in err
    assert "tagged 2 documents" in err and "failed 1" in err
