"""Draft lines → records: span finding by occurrence, and a file:line error for every bad draft."""

from __future__ import annotations

import json

import pytest

from conflict_events.inference.results import Qualifier
from conflict_events.training.drafts import (
    DraftError,
    DraftReader,
    at_token_boundary,
    resolve_draft,
    substring_starts,
)


def number(text, role="killed", qualifier="exact", value=None, **extra):
    v = value if value is not None else 5
    return {
        "text": text,
        "role": role,
        "qualifier": qualifier,
        "value": v,
        "low": v,
        "high": v,
        "unit": None,
        **extra,
    }


def draft(text, numbers=(), events=("casualty",), **extra):
    return {"text": text, "events": list(events), "numbers": list(numbers), **extra}


def test_a_full_draft_becomes_a_record_with_offsets():
    data = {
        "source": "written",
        "doc_id": "C1-d001",
        "text": "At least 25,000 civilians have fled Idlib toward the Turkish border",
        "events": ["displacement"],
        "numbers": [
            {
                "text": "25,000",
                "occurrence": 1,
                "role": "displaced",
                "qualifier": "at_least",
                "value": 25000,
                "low": 25000,
                "high": None,
                "unit": "civilians",
            }
        ],
    }
    record = resolve_draft(data, "C1.jsonl:1", record_id="w-1")
    assert (record.id, record.doc_id, record.source, record.events) == (
        "w-1",
        "C1-d001",
        "written",
        ("displacement",),
    )
    (n,) = record.numbers
    assert (n.start, n.end, n.text) == (9, 15, "25,000")
    assert record.text[n.start : n.end] == "25,000"
    assert (n.value, n.low, n.high, n.qualifier) == (25000.0, 25000.0, None, Qualifier.AT_LEAST)
    assert (n.role, n.unit) == ("displaced", "civilians")


def test_the_id_comes_from_the_caller_else_the_draft_else_the_location():
    assert resolve_draft(draft("Calm."), "f:1", record_id="x").id == "x"
    assert resolve_draft(draft("Calm.", id="mine"), "f:1").id == "mine"
    assert resolve_draft(draft("Calm."), "f:7").id == "f:7"


def test_second_occurrence_of_a_repeated_word():
    text = "Two people were killed in Talmenes and two in Aldier, and two more were hurt."
    record = resolve_draft(
        draft(
            text,
            [number("two", occurrence=1), number("two", role="injured", occurrence=2)],
        ),
        "f:1",
    )
    assert [(n.start, n.role) for n in record.numbers] == [
        (text.index("two in"), "killed"),
        (text.index("two more"), "injured"),
    ]


def test_numbers_are_sorted_by_offset():
    text = "Shelling killed five and wounded 14 in Homs."
    record = resolve_draft(draft(text, [number("14", role="injured"), number("five")]), "f:1")
    assert [n.text for n in record.numbers] == ["five", "14"]


def test_occurrence_inside_a_longer_number_is_read_as_whole_tokens():
    # Plain counting sees "15" inside "2015" first; the only whole-token reading is the next one.
    text = "In 2015, 15 people died."
    record = resolve_draft(draft(text, [number("15", occurrence=1)]), "f:1")
    assert record.numbers[0].start == 9


def test_ambiguous_occurrence_asks_for_start_and_start_settles_it():
    text = "In 2015, 15 people died and 15 were hurt."
    with pytest.raises(DraftError, match=r"^f:2: numbers\[0\] '15' occurrence 2 is ambiguous"):
        resolve_draft(draft(text, [number("15", occurrence=2)]), "f:2")
    record = resolve_draft(draft(text, [number("15", role="injured", start=28)]), "f:2")
    assert record.numbers[0].start == 28
    with pytest.raises(DraftError, match=r"start 27 points at ' 1', not '15'"):
        resolve_draft(draft(text, [number("15", start=27)]), "f:2")


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ([number("six")], r"numbers\[0\] 'six' does not occur in the text"),
        ([number("five")], r"'five' does not occur in the text \(it occurs with different case"),
        ([number("Five", occurrence=2)], "occurrence 2 does not exist: the text has 1"),
        ([number("Five", occurrence=0)], "'occurrence' must be an integer >= 1"),
        ([number("Five", occurrence="1")], "'occurrence' must be an integer >= 1"),
        ([number("Five", start=-1)], "'start' must be a non-negative integer"),
        ([number("")], "field 'text' must be a non-empty string"),
        (
            [{"text": "Five", "qualifier": "exact", "value": 5, "low": 5, "high": 5}],
            "has no 'role'",
        ),
        ([number("Five", role=3)], "field 'role' must be a string or null"),
        ([number("Five", unit=["people"])], "field 'unit' must be a string or null"),
        ([number("Five", value="5")], "field 'value' must be a number or null"),
        ([number("Five", value=True)], "field 'value' must be a number or null"),
        ([number("Five", qualifier="roughly")], "unknown qualifier 'roughly'"),
        ([number("Five", span=[0, 4])], r"has unknown field\(s\) \['span'\]"),
        (["Five"], r"numbers\[0\] must be an object"),
    ],
)
def test_bad_numbers_raise_a_located_error(numbers, message):
    with pytest.raises(DraftError, match=r"^drafts\.jsonl:4: ") as caught:
        resolve_draft(draft("Five soldiers died in Gao.", numbers), "drafts.jsonl:4")
    assert caught.match(message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("text", "a draft must be a JSON object, got str"),
        ({"events": []}, "field 'text' must be a non-empty string"),
        ({"text": "   "}, "field 'text' must be a non-empty string"),
        ({"text": "x", "numbers": {}}, "field 'numbers' must be a list"),
        ({"text": "x", "events": "casualty"}, "field 'events' must be a list"),
        ({"text": "x", "label": "casualty"}, r"unknown field\(s\) \['label'\]"),
        ({"text": "x", "doc_id": 7}, "field 'doc_id' must be a string or null"),
    ],
)
def test_bad_drafts_raise_a_located_error(data, message):
    with pytest.raises(DraftError, match=r"^d\.jsonl:9: " + message):
        resolve_draft(data, "d.jsonl:9")


def test_metadata_for_reviewers_is_accepted_but_not_a_record_field():
    record = resolve_draft(draft("Calm.", annotator="A2", note="checked twice"), "f:1")
    assert "annotator" not in record.to_dict() and "note" not in record.to_dict()


def test_explicit_nulls_are_kept_for_the_validator_to_judge():
    data = draft("Dozens of people died.", [number("Dozens", qualifier="vague")])
    data["numbers"][0].update(value=None, low=12, high=None)
    (n,) = resolve_draft(data, "f:1").numbers
    assert (n.value, n.low, n.high, n.qualifier) == (None, 12.0, None, Qualifier.VAGUE)


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("killed 15 people", "15", True),
        ("in 2015 people", "15", False),
        ("twenty-two died", "two", False),
        ("5,000 fled", "5", False),
        ("about 5,000 fled", "000", False),
        ("20-30 villages", "20", False),
        ("20-30 villages", "20-30", True),
        ("a 1.3m exodus", "1.3", False),
        ("(15) died", "15", True),
        ("toll: 52.", "52", True),
        ("15", "15", True),
    ],
)
def test_token_boundaries(text, span, expected):
    start = text.index(span)
    assert at_token_boundary(text, start, start + len(span)) is expected


def test_substring_starts_do_not_overlap():
    assert substring_starts("111", "11") == [0]
    assert substring_starts("two and two", "two") == [0, 8]
    assert substring_starts("none", "two") == []


def test_draft_reader_yields_objects_and_locates_bad_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(
        json.dumps(draft("One died.")).encode()
        + b"\n\n[1, 2\n"
        + b'{"text": "\xff"}\n'
        + json.dumps(["not", "an", "object"]).encode()
        + b"\n"
    )
    reader = DraftReader(path)
    lines = list(reader)
    assert [line for line, _ in lines] == [1, 5]
    assert lines[1][1] == ["not", "an", "object"]  # resolve_draft reports it, located
    assert [(p.line, p.message.split(":")[0]) for p in reader.problems] == [
        (3, "malformed JSON"),
        (4, "invalid UTF-8 at byte 10"),
    ]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    empty_reader = DraftReader(empty)
    assert list(empty_reader) == [] and str(empty_reader.problems[0]).endswith(":0: file is empty")


def test_left_out_values_come_from_the_normaliser():
    text = "Some 2.4 million people fled, and between 20 and 30 villages fell."
    data = draft(
        text,
        [{"text": "2.4 million", "role": "displaced"}, {"text": "20 and 30", "role": "places"}],
        events=("displacement", "territorial-change"),
    )
    fled, fell = resolve_draft(data, "f:1").numbers
    assert (fled.value, fled.low, fled.high, fled.qualifier) == (
        2.4e6,
        2.4e6,
        2.4e6,
        Qualifier.APPROXIMATE,
    )
    assert (fell.value, fell.low, fell.high, fell.qualifier) == (None, 20.0, 30.0, Qualifier.RANGE)
    # A key given (even null) is kept as written; only absent keys are filled.
    data["numbers"][0]["qualifier"] = "exact"
    assert resolve_draft(data, "f:1").numbers[0].qualifier is Qualifier.EXACT
    data["numbers"][0]["text"] = "fled"
    data["numbers"][0].pop("qualifier")
    with pytest.raises(DraftError, match=r"^f:1: numbers\[0\] 'fled' gives no value"):
        resolve_draft(data, "f:1")
