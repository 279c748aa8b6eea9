"""Archive readers: every input kind, ids, line numbers, and every kind of bad record."""

from __future__ import annotations

import gzip
import io
import json
import os

import pytest

from conflict_events.inference.archive import (
    BadRecord,
    Document,
    InputError,
    ReadOptions,
    check_inputs,
    file_kind,
    read_archive,
)

FLED = "At least 25,000 civilians have fled the town toward the border."
KILLED = "Three people were killed and five wounded when the market was shelled."
CAPTURED = "Rebels captured some 15 villages near the river."


def read(paths, options=None, stdin=None):
    return list(read_archive([str(p) for p in paths], options or ReadOptions(), stdin=stdin))


def docs(items):
    return [i for i in items if isinstance(i, Document)]


def bad(items):
    return [i for i in items if isinstance(i, BadRecord)]


def write_jsonl(path, rows, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return path


def test_text_file_is_one_document_with_its_path_as_id(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(f"\ufeff{FLED}\r\n{KILLED}\n", encoding="utf-8")
    [doc] = read([path])
    assert doc == Document(
        str(path), f"{FLED}\r\n{KILLED}\n", str(path), None
    )  # BOM dropped, line ends kept


def test_jsonl_ids_are_path_line_or_the_id_field(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"text": FLED, "doc": "x1"}, {"text": KILLED, "doc": 7}, {"text": CAPTURED}],
    )
    with open(path, "a") as f:  # blank lines are no records but still count as lines
        f.write("\n   \n" + json.dumps({"text": FLED, "doc": ""}) + "\n")
    assert [(d.id, d.line) for d in read([path])] == [
        (f"{path}:1", 1),
        (f"{path}:2", 2),
        (f"{path}:3", 3),
        (f"{path}:6", 6),
    ]
    items = read([path], ReadOptions(id_field="doc"))
    assert [d.id for d in items] == [
        "x1",
        "7",
        f"{path}:3",
        f"{path}:6",
    ]  # missing or empty: path:line
    assert [d.text for d in items] == [FLED, KILLED, CAPTURED, FLED]


def test_jsonl_custom_text_field_and_bom(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"body": CAPTURED}).encode() + b"\n")
    assert [d.text for d in read([path], ReadOptions(text_field="body"))] == [CAPTURED]


def test_csv_rows_with_multiline_fields_report_their_first_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        f'id,text\nr1,"{FLED}"\nr2,"{KILLED}\n{CAPTURED}"\nr3,"He said ""five were killed"""\n',
        encoding="utf-8",
    )
    items = read([path])
    assert [(d.id, d.line) for d in items] == [(f"{path}:2", 2), (f"{path}:3", 3), (f"{path}:5", 5)]
    assert items[1].text == f"{KILLED}\n{CAPTURED}"
    assert items[2].text == 'He said "five were killed"'
    assert [d.id for d in read([path], ReadOptions(id_field="id"))] == ["r1", "r2", "r3"]


def test_gzip_versions_of_every_kind(tmp_path):
    txt = tmp_path / "a.txt.gz"
    with gzip.open(txt, "wt", encoding="utf-8") as f:
        f.write(FLED)
    jsonl = write_jsonl(tmp_path / "b.jsonl.gz", [{"text": KILLED}], opener=gzip.open)
    csv_path = tmp_path / "c.csv.gz"
    with gzip.open(csv_path, "wt", encoding="utf-8") as f:
        f.write(f"text\n{CAPTURED}\n")
    items = read([txt, jsonl, csv_path])
    assert [(d.id, d.text) for d in items] == [
        (str(txt), FLED),
        (f"{jsonl}:1", KILLED),
        (f"{csv_path}:2", CAPTURED),
    ]


def test_folder_walk_is_recursive_sorted_and_filtered_by_glob(tmp_path):
    top = tmp_path / "archive"
    (top / "b" / "deep").mkdir(parents=True)
    (top / "z.txt").write_text(FLED)
    (top / "a.md").write_text(KILLED)
    (top / "b" / "deep" / "c.txt").write_text(CAPTURED)
    write_jsonl(top / "b" / "rows.jsonl", [{"text": KILLED}])
    (top / "notes.bin").write_bytes(b"\0\1\2")
    (top / "out.jsonl").write_text("not input\n")
    options = ReadOptions(exclude=(str(top / "out.jsonl"),))  # the job's own output is skipped
    ids = [d.id for d in read([top], options)]
    assert ids == [
        str(top / "z.txt"),
        str(top / "b" / "rows.jsonl") + ":1",
        str(top / "b" / "deep" / "c.txt"),
    ]
    assert [d.text for d in read([top], ReadOptions(glob=("*.md",)))] == [KILLED]
    assert [d.id for d in read([top], ReadOptions(glob=("b/*/*.txt",)))] == [
        str(top / "b" / "deep" / "c.txt")
    ]
    [empty] = read([top], ReadOptions(glob=("*.xml",)))
    assert empty.file == str(top) and "no file matches" in empty.reason


@pytest.mark.parametrize(
    ("fmt", "data", "expected"),
    [
        ("lines", f"{FLED}\n\n{KILLED}\r\n", [("-:1", FLED), ("-:3", KILLED)]),
        ("text", f"{FLED}\n{KILLED}", [("-", f"{FLED}\n{KILLED}")]),
        ("jsonl", json.dumps({"text": CAPTURED}) + "\n", [("-:1", CAPTURED)]),
        ("csv", f"text\n{KILLED}\n", [("-:2", KILLED)]),
    ],
)
def test_stdin_in_every_format(fmt, data, expected):
    items = read(["-"], ReadOptions(stdin_format=fmt), stdin=io.BytesIO(data.encode()))
    assert [(d.id, d.text) for d in items] == expected


def test_a_one_megabyte_line_is_a_document_not_an_error(tmp_path):
    long_text = " ".join([KILLED] * 15_000)  # > 1 MB on one line
    assert len(long_text) > 1_000_000
    jsonl = write_jsonl(tmp_path / "long.jsonl", [{"text": long_text}, {"text": FLED}])
    csv_path = tmp_path / "long.csv"
    csv_path.write_text(f'text\n"{long_text}"\n"{FLED}"\n')
    for path in (jsonl, csv_path):
        assert [d.text for d in read([path])] == [long_text, FLED]


def test_every_bad_record_is_reported_with_file_line_and_reason(tmp_path):
    good = FLED
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_bytes(
        b"\n".join(
            [
                json.dumps({"text": good}).encode(),  # 1 good
                b'{"text": "broken',  # 2 malformed JSON
                json.dumps({"body": good}).encode(),  # 3 missing text field
                json.dumps({"text": ""}).encode(),  # 4 empty text
                json.dumps({"text": " \n\t"}).encode(),  # 5 whitespace only
                b'{"text": "caf\xe9 bombed"}',  # 6 bad UTF-8
                b'{"text": "bad \\ud800 escape"}',  # 7 unpaired surrogate
                b"[1, 2]",  # 8 not an object
                json.dumps({"text": 5}).encode(),  # 9 text not a string
                json.dumps({"text": good, "id": [1]}).encode(),  # 10 id not a string
                json.dumps({"text": KILLED}).encode(),  # 11 good
            ]
        )
        + b"\n"
    )
    items = read([jsonl], ReadOptions(id_field="id"))
    assert [d.line for d in docs(items)] == [1, 11]
    reasons = {b.line: b.reason for b in bad(items)}
    assert sorted(reasons) == list(range(2, 11))
    assert reasons[2].startswith("malformed JSON")
    assert reasons[3] == "missing text field 'text' (fields: body)"
    assert reasons[4] == "empty text"
    assert reasons[5] == "empty text (only whitespace)"
    assert reasons[6].startswith("invalid UTF-8: byte 0xe9")
    assert "surrogate" in reasons[7]
    assert reasons[8] == "not a JSON object but list"
    assert reasons[9] == "text field 'text' is int, not a string"
    assert reasons[10] == "id field 'id' is list, not a string or integer"
    assert all(b.file == str(jsonl) for b in bad(items))


def test_bad_whole_files(tmp_path):
    empty_txt = tmp_path / "empty.txt"
    empty_txt.write_bytes(b"")
    blank_txt = tmp_path / "blank.txt"
    blank_txt.write_text("  \n\n")
    empty_jsonl = tmp_path / "empty.jsonl"
    empty_jsonl.write_text("\n\n")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(f"{FLED}\nThe caf".encode() + b"\xe9 was shelled.\n")
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(json.dumps({"text": FLED}).encode("utf-16"))  # starts with a BOM
    missing = tmp_path / "gone.txt"
    os.symlink(tmp_path / "nowhere.txt", missing)  # unreadable: a dangling link
    header_only = tmp_path / "header.csv"
    header_only.write_text("text\n")
    no_column = tmp_path / "cols.csv"
    no_column.write_text(f"id,body\n1,{FLED}\n")
    truncated = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(
        ("\n".join(json.dumps({"text": f"{FLED} {i}"}) for i in range(2000)) + "\n").encode()
    )
    truncated.write_bytes(data[: len(data) // 2])
    not_gzip = tmp_path / "fake.txt.gz"
    not_gzip.write_text(FLED)
    paths = [
        empty_txt,
        blank_txt,
        empty_jsonl,
        binary,
        latin1,
        utf16,
        missing,
        header_only,
        no_column,
        truncated,
        not_gzip,
    ]
    items = read(paths)
    reports = {b.file: b for b in bad(items)}
    assert reports[str(empty_txt)].reason == "empty file (no record)"
    assert reports[str(blank_txt)].reason == "empty text (only whitespace)"
    assert reports[str(empty_jsonl)].reason == "empty file (no record)"
    assert reports[str(binary)].reason.startswith("binary file")
    assert reports[str(latin1)].line == 2 and reports[str(latin1)].reason.startswith(
        "invalid UTF-8: byte 0xe9"
    )
    assert reports[str(utf16)].reason.startswith("UTF-16 or UTF-32 text")
    assert reports[str(missing)].reason == "unreadable file: No such file or directory"
    assert reports[str(header_only)].reason == "empty file (no record)"
    assert (
        reports[str(no_column)].line == 1 and "no column 'text'" in reports[str(no_column)].reason
    )
    cut = reports[str(truncated)]
    assert cut.reason.startswith("unreadable") and cut.line > 1  # where the stream broke
    assert reports[str(not_gzip)].reason.startswith("unreadable")
    # Every line read before the corruption is still a document.
    assert len([d for d in docs(items) if d.file == str(truncated)]) == cut.line - 1 > 0
    assert len(bad(items)) == len(paths)


def test_bad_csv_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"id,text\n1,"
        + CAPTURED.encode()
        + b"\n2\n3,\n4,caf\xe9 bombed\n5,"
        + KILLED.encode()
        + b"\n"
    )
    items = read([path])
    assert [d.line for d in docs(items)] == [2, 6]
    reasons = {b.line: b.reason for b in bad(items)}
    assert reasons[3] == "ragged row: 1 fields where the header has 2"
    assert reasons[4] == "empty text"
    assert reasons[5] == "invalid UTF-8 bytes in the row"


def test_check_inputs_fails_fast(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        check_inputs([str(tmp_path / "missing.jsonl")])
    with pytest.raises(InputError, match="more than once"):
        check_inputs(["-", "-"])
    out = tmp_path / "out.jsonl"
    out.write_text("")
    with pytest.raises(InputError, match="own output"):
        check_inputs([str(out)], ReadOptions(exclude=(str(out),)))
    check_inputs(["-", str(tmp_path)])


def test_kinds_by_name():
    assert file_kind("x/y.JSONL") == "jsonl"
    assert file_kind("y.csv.gz") == "csv"
    assert file_kind("notes") == "text"
    with pytest.raises(ValueError, match="stdin format"):
        ReadOptions(stdin_format="xml")
