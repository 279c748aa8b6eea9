"""The labelled-record format: round trips, field checks, the JSONL reader and the JSON Schema."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from conflict_events.inference.results import NumberMention, Qualifier
from conflict_events.training.records import (
    NUMBER_FIELDS,
    JsonlReader,
    OutputExistsError,
    Record,
    RecordError,
    json_schema,
    read_records,
    write_outputs,
    write_records,
)

FULL = {
    "id": "w-0001",
    "text": "At least 40 people were killed and 12 wounded.",
    "events": ["casualty"],
    "numbers": [
        {
            "start": 9,
            "end": 11,
            "text": "40",
            "value": 40.0,
            "low": 40.0,
            "high": None,
            "qualifier": "at_least",
            "role": "killed",
            "unit": "people",
        },
        {
            "start": 35,
            "end": 37,
            "text": "12",
            "value": 12.0,
            "low": 12.0,
            "high": 12.0,
            "qualifier": "exact",
            "role": "injured",
            "unit": None,
        },
    ],
    "doc_id": "w-doc-0001",
    "source": "written",
    "known_labels": ["casualty", "killed", "injured"],
    "licence": "Apache-2.0",
}


def test_full_record_round_trips_through_dict_and_json():
    record = Record.from_dict(FULL)
    assert record.to_dict() == FULL
    assert Record.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    assert record.numbers[0].qualifier is Qualifier.AT_LEAST
    assert record.text[record.numbers[1].start : record.numbers[1].end] == "12"


def test_minimal_record_leaves_optional_fields_out():
    record = Record.from_dict({"id": "a", "text": "Calm day in Gao."})
    assert record.events == () and record.numbers == ()
    assert record.to_dict() == {"id": "a", "text": "Calm day in Gao.", "events": [], "numbers": []}


def test_known_labels_absent_means_every_label_is_known():
    assert Record("a", "x").knows("casualty")
    partial = Record("a", "x", known_labels=("casualty",))
    assert partial.knows("casualty") and not partial.knows("displacement")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"id": "a", "text": "x", "label": "casualty"}, "unknown field(s) ['label']"),
        ({"id": "", "text": "x"}, "field 'id' must be a non-empty string"),
        ({"id": "a", "text": 5}, "field 'text' must be a non-empty string"),
        ({"id": "a", "text": "x", "events": "casualty"}, "'events' must be a list"),
        ({"id": "a", "text": "x", "numbers": {}}, "'numbers' must be a list"),
        ({"id": "a", "text": "x", "numbers": [3]}, "numbers[0] must be an object"),
        (
            {"id": "a", "text": "x", "numbers": [{"start": 0, "end": 1, "text": "x", "kind": 1}]},
            "numbers[0] has unknown field(s) ['kind']",
        ),
        ({"id": "a", "text": "x", "numbers": [{"start": 0, "text": "x"}]}, "numbers[0]: 'end'"),
        (
            {"id": "a", "text": "x", "numbers": [{"start": 3, "end": 1, "text": "x"}]},
            "numbers[0]: bad span",
        ),
        (
            {
                "id": "a",
                "text": "x",
                "numbers": [{"start": 0, "end": 1, "text": "x", "qualifier": "lots"}],
            },
            "numbers[0]:",
        ),
        ({"id": "a", "text": "x", "known_labels": "casualty"}, "'known_labels' must be a list"),
    ],
)
def test_from_dict_names_what_is_wrong(data, message):
    with pytest.raises(RecordError) as caught:
        Record.from_dict(data)
    assert message in str(caught.value)


def test_jsonl_reader_collects_file_line_problems_and_carries_on(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": "a", "text": "Two died."}).encode()
    path.write_bytes(
        good + b"\n\n{not json\n" + b'{"id": "b", "text": "caf\xe9"}\n' + b'{"id": "c"}\n' + good
    )
    reader = JsonlReader(path)
    read = list(reader)
    assert [line for line, _ in read] == [1, 6]
    assert [str(p) for p in reader.problems] == [
        f"{path}:3: malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:4: invalid UTF-8 at byte 24",
        f"{path}:5: field 'text' must be a non-empty string",
    ]


def test_jsonl_reader_reports_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    reader = JsonlReader(empty)
    assert list(reader) == [] and [str(p) for p in reader.problems] == [f"{empty}:0: file is empty"]
    missing = JsonlReader(tmp_path / "nope.jsonl")
    assert list(missing) == [] and "cannot open" in str(missing.problems[0])


def test_write_then_read_records(tmp_path):
    records = [
        Record.from_dict(FULL),
        Record("b", "Rebels took Tine.", ("territorial-change",), doc_id="d2"),
    ]
    path = tmp_path / "out.jsonl"
    assert write_records(path, iter(records)) == 2
    assert read_records(path) == records
    assert "\u00e9" in Record("c", "Caf\u00e9 hit.").to_dict()["text"]


def test_write_outputs_is_all_or_nothing(tmp_path):
    new, mine, folder = tmp_path / "new.jsonl", tmp_path / "mine.jsonl", tmp_path / "dir"
    mine.write_text("my corpus\n", encoding="utf-8")
    folder.mkdir()
    with pytest.raises(OutputExistsError, match=f"{mine} exists and holds other content"):
        write_outputs({new: "a\n", mine: "b\n"})
    assert not new.exists() and mine.read_text(encoding="utf-8") == "my corpus\n"
    with pytest.raises(OutputExistsError, match="is not a file"):
        write_outputs({folder: "a\n"}, overwrite=True)
    assert write_outputs({new: "a\n", mine: "b\n"}, overwrite=True) == {
        new: "written",
        mine: "replaced",
    }
    assert mine.read_text(encoding="utf-8") == "b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "mine.jsonl", "new.jsonl"]


def test_read_records_raises_on_the_first_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"bad\.jsonl:2: field 'text'"):
        read_records(path)


def test_json_schema_describes_every_field_the_record_writes():
    schema = json_schema()
    assert set(schema["properties"]) == {f.name for f in fields(Record)}
    assert schema["required"] == ["id", "text"] and schema["additionalProperties"] is False
    number = schema["properties"]["numbers"]["items"]
    assert set(number["properties"]) == set(NUMBER_FIELDS)
    assert number["properties"]["qualifier"]["enum"] == [q.value for q in Qualifier]
    written = Record.from_dict(FULL).to_dict()
    assert set(written) <= set(schema["properties"])
    for n in written["numbers"]:
        assert set(n) <= set(number["properties"])
    assert "score" not in number["properties"]
    # The score a model attaches is not part of a labelled record.
    mention = NumberMention("5", 0, 1, 5.0, 5.0, 5.0, score=0.9)
    assert "score" not in Record("a", "5 died", numbers=(mention,)).to_dict()["numbers"][0]
