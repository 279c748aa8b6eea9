"""The sentence splitter: the frozen case table, offsets, line rules, max_chars, speed, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conflict_events.inference.splitter import SentenceSpan, check_text, split_sentences

CASES_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "cases" / "splits.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines()]


def sentences(text: str, **kwargs) -> list[str]:
    return [s.text_of(text) for s in split_sentences(text, **kwargs)]


def test_case_table_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_case_table(case):
    assert sentences(case["text"]) == case["sentences"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fighting resumed on Dec. 22 near Idlib.", ["Fighting resumed on Dec. 22 near Idlib."]),
        ("The U.N. and the U.S. agreed.", ["The U.N. and the U.S. agreed."]),
        ("Gen. Ali spoke. J. R. Smith listened.", ["Gen. Ali spoke.", "J. R. Smith listened."]),
        (
            "House No. 5 burned. Some 2.4 million fled.",
            ["House No. 5 burned.", "Some 2.4 million fled."],
        ),
        ('"We fled." They did.', ['"We fled."', "They did."]),
        ("It hit at 10 a.m. Monday. All died.", ["It hit at 10 a.m. Monday.", "All died."]),
    ],
)
def test_abbreviations_decimals_quotes(text, expected):
    assert sentences(text) == expected


def test_offsets_are_exact_and_stripped():
    text = "  One fled.\r\n\r\n\tTwo stayed!  "
    spans = split_sentences(text)
    assert spans == [SentenceSpan(2, 11), SentenceSpan(16, 27)]
    assert [s.text_of(text) for s in spans] == ["One fled.", "Two stayed!"]


def test_headlines_list_items_and_repeats_are_separate_sentences():
    text = "Idlib: 25,000 flee\nIdlib: 25,000 flee\n\n* 12 killed\n* 40 wounded\nMore in a moment."
    assert sentences(text) == [
        "Idlib: 25,000 flee",
        "Idlib: 25,000 flee",
        "* 12 killed",
        "* 40 wounded",
        "More in a moment.",
    ]


def test_hard_wrapped_sentence_stays_whole():
    assert sentences("Shelling killed at least\ntwelve people,\nmedics said.") == [
        "Shelling killed at least\ntwelve people,\nmedics said."
    ]


@pytest.mark.parametrize("separator", ["\f", "\u2029", "\n\n", "\r\n\r\n", "\n \n"])
def test_paragraph_separators_end_sentences(separator):
    assert sentences(f"No full stop here{separator}nor here") == ["No full stop here", "nor here"]


def test_max_chars_cuts_at_clause_breaks_then_whitespace():
    text = "At least 25,000 civilians fled the town, officials said on Monday evening."
    pieces = sentences(text, max_chars=45)
    assert pieces == [
        "At least 25,000 civilians fled the town,",
        "officials said on Monday evening.",
    ]
    assert sentences("aaaa bbbb cccc", max_chars=9) == ["aaaa bbbb", "cccc"]
    assert sentences("abcdefghij", max_chars=4) == ["abcd", "efgh", "ij"]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_max_chars_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_chars"):
        split_sentences("Some text.", max_chars=bad)


# --- Speed: one pass, linear --------------------------------------------------------------------

MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "unit",
    [
        "At least 25,000 civilians fled on Dec. 22, the U.N. said. Gen. Ali met Mr. Khan at 10 a.m. ",
        "word ",  # a 1 MB line with no punctuation at all
        "U.S. ",
        "x",
    ],
)
def test_a_megabyte_line_splits_fast(unit):
    text = (unit * (MEGABYTE // len(unit) + 1))[:MEGABYTE]
    started = time.perf_counter()
    spans = split_sentences(text)
    capped = split_sentences(text, max_chars=512)
    elapsed = time.perf_counter() - started
    assert elapsed < 4.0  # both calls: under 2 s each
    assert spans and all(s.end - s.start <= 512 for s in capped)
    if not any(c in unit for c in ".!?"):
        assert len(spans) == 1


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [b"One. Two.", None, 3, ["a"]])
def test_non_strings_raise_type_error(bad):
    with pytest.raises(TypeError, match="expected str"):
        split_sentences(bad)


def test_bytes_error_says_to_decode():
    with pytest.raises(TypeError, match=r"data.decode\('utf-8'\)"):
        check_text(b"x")


@pytest.mark.parametrize("blank", ["", "   ", "\n\n\t", "\u2029\u00a0"])
def test_empty_and_blank_texts_have_no_sentences(blank):
    assert split_sentences(blank) == []


def test_control_characters_and_surrogates_stay_in_their_sentence():
    text = "Bad\x00 byte\ud800 here. Next\x07 one."
    assert sentences(text) == ["Bad\x00 byte\ud800 here.", "Next\x07 one."]


def test_sentence_span_round_trips_and_rejects_bad_spans():
    span = SentenceSpan(3, 8)
    assert SentenceSpan.from_dict(span.to_dict()) == span
    with pytest.raises(ValueError):
        SentenceSpan(5, 2)


# --- Property: nothing is dropped or duplicated -------------------------------------------------

_PIECES = st.sampled_from(
    ["word", "Word", "12", "2.4", "Dec.", "U.S.", "Gen.", "No.", "a.m.", ".", "!", "?", "...", '"',
     "”", ")", "(", ",", ":", "-", "\n", "\n\n", " ", "  ", "\t", "\f", "\x00", "J."]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map(" ".join), st.one_of(st.none(), st.integers(1, 20)))
def test_sentences_are_ordered_stripped_and_cover_every_character(text, max_chars):
    spans = split_sentences(text, max_chars=max_chars)
    covered = set()
    previous_end = 0
    for span in spans:
        piece = span.text_of(text)
        assert piece and piece == piece.strip() and span.start >= previous_end
        if max_chars is not None:
            assert len(piece) <= max_chars
        covered.update(range(span.start, span.end))
        previous_end = span.end
    assert {i for i, c in enumerate(text) if not c.isspace()} <= covered
