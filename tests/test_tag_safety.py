"""``conflict-events tag`` under hostile input: no silent loss, no silent repeat, no hang.

One test per case of issue 17 (the readers, resume, same-file, long documents, CSV injection,
closed streams, disk full); the property-based tests are in ``test_reader_properties.py``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conflict_events.cli import main
from conflict_events.inference.archive import BadRecord, Document, ReadOptions, read_archive

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")

KILLED = "Three people were killed in the market."
FLED = "At least 25,000 civilians have fled the town."


def tag(model: Path, *argv) -> int:
    return main(["tag", "--model", str(model), "--quiet", *map(str, argv)])


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def read(*paths, **options):
    return list(read_archive([str(p) for p in paths], ReadOptions(**options)))


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command`` in bash with ``tag`` meaning this Python's `conflict-events tag`."""
    tag_cmd = f"{sys.executable} -m conflict_events.cli tag"
    return subprocess.run(
        ["bash", "-c", command.replace("TAG", tag_cmd)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- 1: CSV ---------------------------------------------------------------------------------------


def test_a_stray_csv_quote_is_one_bad_row_and_the_rows_after_it_come_out_once(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        'id,text\n1,Two were killed.\n2,"Stray quote here\n3,Three were killed.\n4,Four were killed.\n'
    )
    items = read(path)
    assert [(d.line, d.text) for d in items if isinstance(d, Document)] == [
        (2, "Two were killed."),
        (4, "Three were killed."),
        (5, "Four were killed."),
    ]
    [bad] = [b for b in items if isinstance(b, BadRecord)]
    assert bad.line == 3 and "stray quote" in bad.reason


def test_a_ragged_csv_row_is_a_bad_record_not_cut_text(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,text\n1,Three were killed in Homs, Syria, and 40 fled.\n2,Five died.\n3\n")
    items = read(path)
    assert [d.line for d in items if isinstance(d, Document)] == [3]
    reasons = {b.line: b.reason for b in items if isinstance(b, BadRecord)}
    assert reasons == {
        2: "ragged row: 4 fields where the header has 2",
        4: "ragged row: 1 fields where the header has 2",
    }


# -- 2: resume keyed by the inputs' identity and the options ---------------------------------------


def _half_done(out: Path) -> None:
    """Cut a finished output back to its first half, as a kill would."""
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[: len(lines) // 2]))


def test_resume_under_another_name_of_the_same_input_skips_what_is_done(
    onnx_model, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "a.jsonl", [{"text": f"{KILLED} {i}"} for i in range(10)])
    assert tag(onnx_model, "a.jsonl", "--out", "ref.jsonl") == 0
    assert tag(onnx_model, "a.jsonl", "--out", "out.jsonl") == 0
    for name in ("./a.jsonl", str(tmp_path / "a.jsonl")):
        _half_done(tmp_path / "out.jsonl")
        capsys.readouterr()
        assert tag(onnx_model, name, "--out", "out.jsonl", "--resume") == 0
        err = capsys.readouterr().err
        assert "skipped 5 already in" in err and "tagged 5 documents" in err
        assert ids(tmp_path / "out.jsonl") == ids(tmp_path / "ref.jsonl")  # a.jsonl:N, once each


def test_resume_refuses_other_inputs_or_options_and_says_what_differs(
    onnx_model, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "a.jsonl", [{"text": KILLED, "id": f"d{i}"} for i in range(4)])
    write_jsonl(tmp_path / "b.jsonl", [{"text": FLED, "id": "other"}])
    assert tag(onnx_model, "a.jsonl", "--out", "out.jsonl") == 0
    _half_done(tmp_path / "out.jsonl")
    kept = (tmp_path / "out.jsonl").read_bytes()
    cases = [
        (["a.jsonl", "--id-field", "id"], "--id-field: was not given, now 'id'"),
        (["a.jsonl", "--include-text"], "--include-text: was off, now on"),
        (["b.jsonl"], "input 1: was a.jsonl"),
        (["a.jsonl", "b.jsonl"], "1 inputs then, 2 now"),
    ]
    for argv, difference in cases:
        capsys.readouterr()
        assert tag(onnx_model, *argv, "--out", "out.jsonl", "--resume") == 2
        err = capsys.readouterr().err
        assert "cannot resume out.jsonl" in err and difference in err, err
        assert (tmp_path / "out.jsonl").read_bytes() == kept  # nothing appended
    # An input that changed since (grew) is a different input too.
    with open(tmp_path / "a.jsonl", "a") as f:
        f.write(json.dumps({"text": FLED}) + "\n")
    assert tag(onnx_model, "a.jsonl", "--out", "out.jsonl", "--resume") == 2
    assert "input 1: was a.jsonl" in capsys.readouterr().err


# -- 3: never destroy an input ----------------------------------------------------------------------


def test_out_hard_linked_to_an_input_is_refused_and_the_input_kept(onnx_model, tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": KILLED}] * 300)
    data = source.read_bytes()
    link = tmp_path / "link.jsonl"
    os.link(source, link)
    for flags in (["--overwrite"], ["--resume"]):
        assert tag(onnx_model, source, "--out", link, *flags) == 2
        assert "own output or errors file" in capsys.readouterr().err
        assert tag(onnx_model, tmp_path, "--glob", "a.jsonl", "--out", link, *flags) == 2
        assert "under another name (a hard link)" in capsys.readouterr().err
        assert source.read_bytes() == data


def test_stdin_redirected_from_the_out_file_is_refused(onnx_model, tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": KILLED}] * 300)
    data = source.read_bytes()
    done = shell(
        f"TAG --model {onnx_model} --stdin-format jsonl - --out a.jsonl --overwrite < a.jsonl",
        tmp_path,
    )
    assert done.returncode == 2 and "stdin is read from this job's own output" in done.stderr
    assert source.read_bytes() == data


def test_an_existing_out_is_refused_without_overwrite_or_resume(onnx_model, tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": KILLED}])
    out = tmp_path / "precious.txt"
    out.write_text("not ours\n")
    assert tag(onnx_model, source, "--out", out) == 2
    assert "--out" in capsys.readouterr().err and out.read_text() == "not ours\n"
    errors = tmp_path / "errors.jsonl"
    errors.write_text("keep\n")
    assert tag(onnx_model, source, "--out", tmp_path / "new.jsonl", "--errors", errors) == 2
    assert errors.read_text() == "keep\n"
    assert tag(onnx_model, source, "--out", out, "--overwrite") == 0
    assert ids(out) == [f"{source}:1"]


# -- 5: long sentences and documents, NUL bytes --------------------------------------------------


def test_a_long_document_is_written_in_pieces_exactly_as_whole(
    counting_onnx_model, tmp_path, monkeypatch
):
    import tempfile

    import conflict_events.inference.batch as batch

    spool = tmp_path / "spool"  # a private temp folder: other jobs' files do not count
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    text = " ".join(f"{FLED} {KILLED} Twelve were wounded." for _ in range(40))
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": text, "id": "big"}, {"text": KILLED}])
    for fmt in ("jsonl", "csv"):
        whole, pieces = tmp_path / f"whole.{fmt}", tmp_path / f"pieces.{fmt}"
        assert tag(counting_onnx_model, source, "--include-text", "--out", whole) == 0
        monkeypatch.setattr(batch, "STREAM_CHARS", 1000)  # the first document is "long"
        assert tag(counting_onnx_model, source, "--include-text", "--out", pieces) == 0
        monkeypatch.setattr(batch, "STREAM_CHARS", 10**6)
        assert pieces.read_bytes() == whole.read_bytes()
    assert not list(spool.glob("conflict-events-*.part"))  # the spooled pieces are removed


def test_an_unpunctuated_line_is_cut_into_capped_sentences_and_reported(
    onnx_model, tmp_path, capsys
):
    line = " ".join(["killed"] * 60_000)  # 420 KB, no punctuation
    source = write_jsonl(tmp_path / "a.jsonl", [{"text": line}])
    out = tmp_path / "out.jsonl"
    started = time.perf_counter()
    assert tag(onnx_model, source, "--out", out, "--include-text") == 0
    assert time.perf_counter() - started < 60
    [record] = [json.loads(x) for x in out.read_text().splitlines()]
    lengths = [s["end"] - s["start"] for s in record["sentences"]]
    assert max(lengths) <= 2000 and len(lengths) >= 200
    assert record["warnings"] == ["1 sentence(s) longer than 2000 characters were cut into pieces"]
    covered = "".join(s["text"] for s in record["sentences"])
    assert covered.replace(" ", "") == line.replace(" ", "")  # every word is in a piece
    assert "were cut into pieces" in capsys.readouterr().err


def test_a_sentence_of_too_many_tokens_is_cut_at_the_token_cap(tiny_model_dir):
    from conflict_events.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(tiny_model_dir, backend="torch")
    tagger.max_sentence_tokens = 50
    text = " ".join(["1"] * 300)  # 599 characters, 300 tokens: under the character cap
    spans, warnings = tagger.split_document(text)
    counts = [len(tagger.encoder.tokenizer.encode(text[s.start : s.end]).ids) - 2 for s in spans]
    assert max(counts) <= 50 and sum(counts) == 300
    assert warnings == ("1 sentence(s) longer than 50 tokens were cut into pieces",)


def test_overlap_check_of_many_spans_is_not_quadratic():
    from conflict_events.inference.decoding import TaggedSpan, spans_to_numbers

    def seconds(n: int) -> float:
        text = " ".join(["7 killed"] * n)
        spans = [TaggedSpan(9 * i, 9 * i + 1, "killed", 0.9) for i in range(n)]
        spans += spans  # each number found twice (two windows)
        started = time.perf_counter()
        assert len(spans_to_numbers(text, spans)) == n
        return time.perf_counter() - started

    small, large = seconds(2000), seconds(16000)
    assert large < 16 * small  # 8x the spans: ~8x the time (quadratic: 64x)


def test_a_nul_byte_is_a_bad_line_wherever_it_is_in_the_file(tmp_path):
    good = json.dumps({"text": KILLED}) + "\n"
    for position in (2, 500):  # in the first 8 KiB, and far past it
        jsonl = tmp_path / f"nul{position}.jsonl"
        lines = [good] * 600
        lines[position - 1] = '{"text": "bad\0byte"}\n'
        jsonl.write_text("".join(lines))
        table = tmp_path / f"nul{position}.csv"
        rows = ["text\n"] + [KILLED + "\n"] * 600
        rows[position] = "bad\0byte\n"
        table.write_text("".join(rows))
        for path, line in ((jsonl, position), (table, position + 1)):
            items = read(path)
            [bad] = [b for b in items if isinstance(b, BadRecord)]
            assert bad.line == line and "NUL" in bad.reason
            assert len([d for d in items if isinstance(d, Document)]) == 599


# -- CSV injection, closed streams, disk full ----------------------------------------------------


def test_csv_cells_that_would_run_as_formulas_are_escaped(onnx_model, tmp_path):
    source = write_jsonl(
        tmp_path / "a.jsonl",
        [{"text": KILLED, "id": '=HYPERLINK("http://x")'}, {"text": FLED, "id": "@SUM(1)"}],
    )
    out = tmp_path / "out.csv"
    assert tag(onnx_model, source, "--id-field", "id", "--out", out) == 0
    with open(out, newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(1)" in cells
    # --resume reads the escaped ids back: nothing is tagged twice.
    assert tag(onnx_model, source, "--id-field", "id", "--out", out, "--resume") == 0
    with open(out, newline="") as f:
        assert [r["kind"] for r in csv.DictReader(f)].count("document") == 2


def test_closed_stdout_and_stdin_and_a_full_disk_give_one_line_errors(onnx_model, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": KILLED}] * 3)
    model = f"--model {onnx_model} -q"
    cases = [
        (f"TAG {model} a.jsonl >&-", 2, "stdout is closed"),
        (f"echo x | TAG {model} - --out o1.jsonl <&-", 2, "stdin (-) is closed"),
        (f"TAG {model} a.jsonl > /dev/full", 1, "No space left on device"),
        (f"TAG {model} a.jsonl --out /dev/full", 1, "No space left on device"),
    ]
    for command, status, message in cases:
        done = shell(command, tmp_path)
        assert done.returncode == status, (command, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (command, done.stderr)
