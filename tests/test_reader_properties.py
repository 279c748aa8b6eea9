"""Property-based tests of the archive readers: random bytes, and JSONL and CSV with damage.

For any input the readers never raise; for files of good records with some lines damaged, every
good record comes out exactly once (same id, same text, in order) and every damaged one is
reported as a bad record at its line. Kept small (``max_examples``) so the suite runs in seconds.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conflict_events.inference.archive import BadRecord, Document, ReadOptions, read_archive

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Good texts: words, spaces, commas and line breaks (a CSV writer quotes those across lines).
# No quote character, and no text starting with a line break or a comma: a stray quote that a
# later field's opening quote closes exactly is, to any CSV parser, one multi-line field (see the
# archive module's doc).
TEXT = st.text(
    alphabet=st.sampled_from("abcdefghij klmnop,.;:0123456789é\n"), min_size=1, max_size=40
).filter(lambda t: t.strip() and t[0] not in "\n,")
DAMAGE_JSONL = ("cut", "nul", "latin1", "not_object", "no_text")
DAMAGE_CSV = ("stray_quote", "ragged", "nul", "latin1")


def read(name: str, data: bytes, tmp_path, **options):
    path = tmp_path / name
    path.write_bytes(data)
    return path, list(read_archive([str(path)], ReadOptions(**options)))


@SETTINGS
@given(data=st.binary(max_size=400), kind=st.sampled_from(["a.txt", "a.jsonl", "a.csv"]))
def test_random_bytes_never_raise_and_every_report_has_a_place(tmp_path_factory, data, kind):
    tmp_path = tmp_path_factory.mktemp("bytes")
    path, items = read(kind, data, tmp_path)
    lines = data.count(b"\n") + 1
    for item in items:
        assert isinstance(item, (Document, BadRecord))
        assert item.file == str(path)
        assert item.line is None or 1 <= item.line <= lines
    assert items, "an input yields a document or says why not"


@st.composite
def damaged_jsonl(draw):
    """(file bytes, {id: text} of good lines in order, line numbers of damaged lines)."""
    texts = draw(st.lists(TEXT, min_size=1, max_size=12))
    damage = draw(
        st.lists(st.sampled_from((None, *DAMAGE_JSONL)), min_size=len(texts), max_size=len(texts))
    )
    lines, good, bad = [], {}, []
    for number, (text, hurt) in enumerate(zip(texts, damage, strict=True), 1):
        record = {"id": f"r{number}", "text": text}
        line = json.dumps(record, ensure_ascii=False).encode()
        if hurt is None:
            good[f"r{number}"] = text
        else:
            bad.append(number)
            line = {
                "cut": line[: len(line) // 2],
                "nul": line[:-1] + b"\0}",
                "latin1": line.replace(b'"text": "', b'"text": "\xe9'),
                "not_object": b"[1, 2]",
                "no_text": json.dumps({"id": f"r{number}", "body": text}).encode(),
            }[hurt]
        lines.append(line)
    return b"\n".join(lines) + b"\n", good, bad


@SETTINGS
@given(case=damaged_jsonl())
def test_damaged_jsonl_every_good_record_once_every_damaged_line_reported(tmp_path_factory, case):
    data, good, bad = case
    _, items = read("a.jsonl", data, tmp_path_factory.mktemp("jsonl"), id_field="id")
    assert [(d.id, d.text) for d in items if isinstance(d, Document)] == list(good.items())
    assert sorted(b.line for b in items if isinstance(b, BadRecord)) == bad


def _csv_row(*cells: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


@st.composite
def damaged_csv(draw):
    """(file bytes, {id: text} of good rows in order, first lines of damaged rows)."""
    texts = draw(st.lists(TEXT, min_size=1, max_size=12))
    damage = draw(
        st.lists(st.sampled_from((None, *DAMAGE_CSV)), min_size=len(texts), max_size=len(texts))
    )
    chunks, good, bad = [b"id,text\n"], {}, []
    line = 2
    for number, (text, hurt) in enumerate(zip(texts, damage, strict=True), 1):
        key = f"r{number}"
        flat = " ".join(text.replace(",", " ").split()) or "x"  # one line, no comma
        if hurt is None:
            row = _csv_row(key, text)
            good[key] = text
        else:
            bad.append(line)
            row = {
                "stray_quote": f'{key},"{flat}\n'.encode(),
                "ragged": f"{key},{flat},extra\n".encode(),
                "nul": f"{key},{flat}\0\n".encode(),
                "latin1": f"{key},".encode() + b"caf\xe9 " + flat.encode() + b"\n",
            }[hurt]
        chunks.append(row)
        line += row.count(b"\n")
    return b"".join(chunks), good, bad


@SETTINGS
@given(case=damaged_csv())
def test_damaged_csv_every_good_row_once_every_damaged_row_reported(tmp_path_factory, case):
    data, good, bad = case
    _, items = read("a.csv", data, tmp_path_factory.mktemp("csv"), id_field="id")
    assert [(d.id, d.text) for d in items if isinstance(d, Document)] == list(good.items())
    assert sorted(b.line for b in items if isinstance(b, BadRecord)) == bad
