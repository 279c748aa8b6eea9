"""The number normaliser: the frozen case table, decisions, robustness of parse_span, bad input."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conflict_events.inference.numbers import (
    VAGUE_LOW_BOUNDS,
    NumberKind,
    ParsedNumber,
    find_numbers,
    parse_span,
)
from conflict_events.inference.results import NumberMention, Qualifier

ROOT = Path(__file__).resolve().parents[1]


def _load_benchmark():
    """The benchmark script owns the case-table reader; load it by path (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location(
        "numbers_benchmark", ROOT / "benchmarks" / "numbers.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()
CASES = bench.load_cases(ROOT / "benchmarks" / "cases" / "numbers.tsv")


def _one(text: str) -> ParsedNumber:
    numbers = find_numbers(text)
    assert len(numbers) == 1, numbers
    return numbers[0]


def _expected(case) -> tuple:
    return (case.span, case.value, case.low, case.high, case.qualifier, case.kind)


def _got(p) -> tuple:
    return (p.text, p.value, p.low, p.high, p.qualifier, p.kind)


def _assert_matches(p, case) -> None:
    assert p is not None, f"nothing found for {case.span!r} in {case.context!r}"
    got, want = _got(p), _expected(case)
    assert got[0] == want[0] and got[4:] == want[4:], (got, want)
    assert all(bench.same(g, w) for g, w in zip(got[1:4], want[1:4], strict=True)), (got, want)


# --- The case table -----------------------------------------------------------------------------


def test_case_table_is_large_and_covers_every_qualifier_and_kind():
    assert len(CASES) >= 250
    assert {c.qualifier for c in CASES} == {q.value for q in Qualifier}
    assert {c.kind for c in CASES} == {k.value for k in NumberKind} - {"unknown"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"line{c.line}")
def test_case_table_scan(case):
    _assert_matches(bench.ours_scan(case), case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"line{c.line}")
def test_case_table_given_span(case):
    _assert_matches(bench.ours_span(case), case)


# --- Decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1.300 people fled", 1300),  # one dot group: thousands
        ("1.300.000 people fled", 1_300_000),
        ("0.750 of the budget", 0.75),  # a leading zero is a decimal
        ("1.300 million people", 1_300_000),  # before a scale word: decimal
        ("1,5 million people", 1_500_000),
        ("25\u00a0000 people", 25_000),  # no-break space groups
        ("2.45 million", 2_450_000),
    ],
)
def test_separators(text, value):
    assert find_numbers(text)[0].value == value


def test_vague_low_bounds_follow_the_guideline():
    assert VAGUE_LOW_BOUNDS["dozens"] == 12 and VAGUE_LOW_BOUNDS["scores"] == 20
    assert VAGUE_LOW_BOUNDS["hundreds"] == 100 and VAGUE_LOW_BOUNDS["several"] == 3
    lows = {
        n.text: n.low for n in find_numbers("tens of thousands, hundreds of thousands, a few dozen")
    }
    assert lows == {
        "tens of thousands": 10_000,
        "hundreds of thousands": 100_000,
        "a few dozen": 24,
    }
    assert all(
        n.value is None and n.high is None for n in find_numbers("dozens, scores of, several")
    )


def test_qualifier_applies_only_to_the_next_number():
    first, second = find_numbers("at least five killed and 14 wounded")
    assert (first.value, first.qualifier, first.low, first.high) == (5, Qualifier.AT_LEAST, 5, None)
    assert (second.value, second.qualifier, second.low, second.high) == (
        14,
        Qualifier.EXACT,
        14,
        14,
    )


def test_as_many_as_and_up_to_are_at_most():
    for text in ("as many as 300 died", "up to 300 died"):
        n = _one(text)
        assert (n.qualifier, n.low, n.high) == (Qualifier.AT_MOST, None, 300)


def test_over_before_a_duration_is_no_qualifier():
    assert _one("fighting over five days").qualifier is Qualifier.EXACT
    assert _one("over five villages fell").qualifier is Qualifier.AT_LEAST


def test_change_is_two_numbers_but_ranging_from_is_a_range():
    assert [n.value for n in find_numbers("rose from 20 to 30")] == [20, 30]
    n = _one("estimates ranging from 20 to 30")
    assert (n.text, n.low, n.high, n.qualifier) == ("20 to 30", 20, 30, Qualifier.RANGE)


def test_kinds_tell_counts_from_other_numbers():
    text = "On Dec. 22, 2011, 40 people died, 3 km away, at 10 a.m.; $5m and 12% were lost."
    assert [(n.text, n.kind.value) for n in find_numbers(text)] == [
        ("22", "date"),
        ("2011", "year"),
        ("40", "count"),
        ("3", "measure"),
        ("10", "time"),
        ("5m", "money"),
        ("12", "percentage"),
    ]


def test_no_one_and_second_after_a_number_are_not_numbers():
    assert find_numbers("No one was hurt.") == []
    assert [n.text for n in find_numbers("a 30-second clip")] == ["30"]


def test_numeric_dates_have_no_value():
    n = _one("on 2019-12-22")
    assert (n.text, n.kind, n.value, n.low, n.high) == (
        "2019-12-22",
        NumberKind.DATE,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "text, qualifier",
    [
        ("Rebels took over 4 villages.", Qualifier.EXACT),  # a particle
        ("Rebels take over three towns.", Qualifier.EXACT),
        ("The army handed over 20 bodies.", Qualifier.EXACT),
        ("Troops took over 60 posts.", Qualifier.AT_LEAST),  # a round figure: "more than"
        ("Troops captured over 4 villages.", Qualifier.AT_LEAST),
        ("The toll passed 68,000, officials said.", Qualifier.AT_LEAST),
        ("The toll passes 1,000 killed.", Qualifier.AT_LEAST),
        ("The toll crossed 200 dead.", Qualifier.AT_LEAST),
        ("The convoy crossed 3 borders.", Qualifier.EXACT),  # what was crossed
        ("The toll crossed the 1,000 mark.", Qualifier.AT_LEAST),
        ("Cases exceeded 500 cases.", Qualifier.AT_LEAST),
    ],
)
def test_over_as_a_particle_and_threshold_verbs(text, qualifier):
    assert _one(text).qualifier is qualifier


def test_threshold_verbs_do_not_qualify_dates_and_durations():
    assert [(n.text, n.qualifier) for n in find_numbers("Over the past two weeks, 30 died.")] == [
        ("two", Qualifier.EXACT),
        ("30", Qualifier.EXACT),
    ]
    assert _one("The law passed 3 March.").qualifier is Qualifier.EXACT
    assert _one("gates passing 7,000 litres each").qualifier is Qualifier.EXACT
    assert _one("losses exceeded 40 per cent").qualifier is Qualifier.AT_LEAST


def test_a_line_break_or_comma_may_part_a_qualifier_from_its_number():
    assert _one("Some\n189,800 residents moved.").qualifier is Qualifier.APPROXIMATE
    assert _one("at\nleast 40 died").qualifier is Qualifier.AT_LEAST
    assert _one("(approximately, 10,885 people)").qualifier is Qualifier.APPROXIMATE
    assert _one("(roughly, 50 people)").qualifier is Qualifier.APPROXIMATE
    # A blank line ends the phrase; a preposition at the end of a line is no qualifier.
    assert _one("Some\n\n189,800 residents").qualifier is Qualifier.EXACT
    assert _one("The war is over\n12 people died").qualifier is Qualifier.EXACT
    # A comma after "over" or "some" ends a clause.
    assert _one("The fighting is over, 12 people died").qualifier is Qualifier.EXACT


def test_scores_counts_only_where_it_is_no_verb_or_noun():
    assert [(n.text, n.low) for n in find_numbers("25 died and scores were injured")] == [
        ("25", 25),
        ("scores", 20),
    ]
    assert _one("The blast killed scores.").qualifier is Qualifier.VAGUE
    assert find_numbers("Their scores were high.") == []
    assert [n.text for n in find_numbers("The team scores 3 goals.")] == ["3"]


def test_indian_grouping_but_not_lists_of_numbers():
    assert _one("5,84,888 people").value == 584_888
    assert _one("10,00,000 people").value == 1_000_000
    assert [n.value for n in find_numbers("on 12,13,14 May")] == [12, 13, 14]


def test_tens_and_units_written_as_one_word():
    assert _one("THIRTYTHREE SEAMEN WERE HURT").value == 33
    assert _one("twentyfive people").value == 25


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Resolution 2254 was adopted.", NumberKind.IDENTIFIER),
        ("Traffic on Route 60 stopped.", NumberKind.IDENTIFIER),
        ("Flight MH17 passengers died.", NumberKind.IDENTIFIER),
        ("A Su-24 crew was killed.", NumberKind.IDENTIFIER),
        ("The control room said 135 people died.", NumberKind.COUNT),
        ("NEWS-One civilian was killed.", NumberKind.COUNT),
        ("They killed 2000 people.", NumberKind.COUNT),
        ("In 2014 civilians fled.", NumberKind.YEAR),
        ("2011 people", NumberKind.YEAR),  # no word before it: write "2,011 people"
    ],
)
def test_identifiers_and_years_give_way_to_counted_people(text, kind):
    assert _one(text).kind is kind


def test_no_range_from_an_identifier_or_across_magnitudes():
    assert [(n.text, n.kind.value) for n in find_numbers("in Round 24 to 373,709 IDPs")] == [
        ("24", "identifier"),
        ("373,709", "count"),
    ]
    assert [n.text for n in find_numbers("by day 3 to 45,000 people")] == ["3", "45,000"]
    n = _one("between 1 and 5,000 people")
    assert (n.low, n.high, n.qualifier) == (1, 5000, Qualifier.RANGE)


def test_a_range_end_may_carry_its_own_qualifier():
    text = "Estimates vary from 10000 to more than 30000 dead."
    n = _one(text)
    assert (n.text, n.value, n.low, n.high) == ("10000 to more than 30000", None, 10000, 30000)
    assert parse_span(text, text.index("30000"), text.index("30000") + 5) == n
    # A change keeps its two numbers.
    assert [x.text for x in find_numbers("rose from 20 to more than 30")] == ["20", "30"]


# --- parse_span: spans that are slightly off ----------------------------------------------------


def test_parse_span_extends_to_scale_words():
    text = "Some 2.4 million people fled."
    n = parse_span(text, text.index("2.4"), text.index("2.4") + 3)
    assert (n.text, n.value, n.qualifier) == ("2.4 million", 2_400_000, Qualifier.APPROXIMATE)


def test_parse_span_trims_a_qualifier_and_a_noun_inside_the_span():
    text = "At least 25,000 civilians fled."
    n = parse_span(text, 0, text.index(" fled"))
    assert (n.text, n.start, n.value, n.qualifier) == ("25,000", 9, 25_000, Qualifier.AT_LEAST)


def test_parse_span_on_one_end_of_a_range_reads_the_range():
    text = "between 5,000 and 7,000 refugees"
    n = parse_span(text, text.index("7,000"), text.index("7,000") + 5)
    assert (n.text, n.low, n.high) == ("5,000 and 7,000", 5000, 7000)


def test_parse_span_over_two_numbers_reads_a_range():
    text = "The toll rose from 20 to 30."
    n = parse_span(text, text.index("20"), text.index("30") + 2)
    assert (n.text, n.value, n.low, n.high, n.qualifier) == (
        "20 to 30",
        None,
        20,
        30,
        Qualifier.RANGE,
    )


def test_parse_span_without_a_number_is_unknown():
    n = parse_span("They fled the town.", 4, 10)
    assert (n.text, n.kind, n.value, n.low, n.high) == (
        "fled",
        NumberKind.UNKNOWN,
        None,
        None,
        None,
    )


def test_parse_span_reads_only_a_window_of_a_long_text():
    text = "word " * 200_000 + "at least 12 people" + " word" * 200_000
    start = text.index("12")
    n = parse_span(text, start, start + 2)
    assert (n.start, n.value, n.qualifier) == (start, 12, Qualifier.AT_LEAST)


@pytest.mark.parametrize("start, end", [(-1, 2), (3, 3), (5, 2), (0, 99)])
def test_parse_span_rejects_bad_offsets(start, end):
    with pytest.raises(ValueError, match="outside the text"):
        parse_span("12 people", start, end)


def test_parse_span_rejects_a_blank_span_and_non_int_offsets():
    with pytest.raises(ValueError, match="whitespace"):
        parse_span("12   people", 3, 5)
    with pytest.raises(TypeError, match="int"):
        parse_span("12 people", 0.0, 2)


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [b"12 killed", bytearray(b"12"), None, 12, ["12"]])
def test_non_strings_raise_type_error(bad):
    with pytest.raises(TypeError, match="expected str"):
        find_numbers(bad)
    with pytest.raises(TypeError, match="expected str"):
        parse_span(bad, 0, 1)


def test_bytes_error_says_to_decode():
    with pytest.raises(TypeError, match=r"decode it first"):
        find_numbers(b"12")


@pytest.mark.parametrize("blank", ["", " ", "\n\t \u00a0", "\x00\x01"])
def test_empty_and_blank_texts_have_no_numbers(blank):
    assert find_numbers(blank) == []


def test_control_characters_and_surrogates_keep_offsets_exact():
    text = "\x00\ud800 12 killed\x07, \udcff3 hurt"
    numbers = find_numbers(text)
    assert [(n.text, n.value) for n in numbers] == [("12", 12), ("3", 3)]
    assert all(text[n.start : n.end] == n.text for n in numbers)


# --- Types --------------------------------------------------------------------------------------


def test_parsed_number_round_trips_and_converts_to_a_mention():
    n = _one("about 2.4 million fled")
    assert ParsedNumber.from_dict(n.to_dict()) == n
    assert n.to_dict()["qualifier"] == "approximate" and n.to_dict()["kind"] == "count"
    mention = n.to_mention(role="displaced", unit="people", score=0.9)
    assert isinstance(mention, NumberMention) and (mention.value, mention.role) == (
        2_400_000,
        "displaced",
    )
    with pytest.raises(ValueError):
        ParsedNumber("x", 5, 2, None, None, None)


def test_the_normaliser_stays_light():
    code = (
        "import sys, conflict_events.inference.numbers, conflict_events.inference.units, "
        "conflict_events.inference.splitter; "
        "print(sorted(m for m in ('numpy', 'torch', 'transformers', 'onnxruntime', 'tokenizers', "
        "'quantulum3', 'pysbd') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- Properties: integers written three ways parse back exactly ----------------------------------

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen".split()
)
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _below_hundred(n: int, hyphen: bool) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (("-" if hyphen else " ") + _ONES[ones] if ones else "")


def _below_thousand(n: int, use_and: bool, hyphen: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        parts.append(("and " if hundreds and use_and else "") + _below_hundred(rest, hyphen))
    return " ".join(parts)


def english(n: int, use_and: bool = True, hyphen: bool = True) -> str:
    """``n`` (0 <= n < 10**12) in English words: 340 → "three hundred and forty"."""
    if n == 0:
        return "zero"
    parts = []
    for size, name in ((10**9, " billion"), (10**6, " million"), (10**3, " thousand"), (1, "")):
        chunk, n = divmod(n, size)
        if chunk:
            parts.append(_below_thousand(chunk, use_and, hyphen) + name)
    return " ".join(parts)


def test_english_renderer():
    assert english(340) == "three hundred and forty"
    assert english(42_500, hyphen=True) == "forty-two thousand five hundred"
    assert english(1_000_021, use_and=False, hyphen=False) == "one million twenty one"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1), st.booleans(), st.booleans())
def test_number_words_parse_back(n, use_and, hyphen):
    words = english(n, use_and, hyphen)
    parsed = _one(f"Officials counted {words} people.")
    assert (parsed.text, parsed.value) == (words, n)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from(["", ",", " ", "\u00a0", "\u202f", "."]),
)
def test_digits_parse_back(n, separator):
    written = f"{n:,}".replace(",", separator)
    parsed = _one(f"Officials counted {written} people.")
    assert (parsed.text, parsed.value) == (written, n)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_decimals_and_scales_parse_back(whole, hundredths):
    written = f"{whole}.{hundredths:02d}"
    assert _one(f"counted {written} million people").value == pytest.approx(float(written) * 1e6)


_TOKENS = st.sampled_from(
    "a an of the and to or - – , . $ % 12 1,000 1.5 2011 million bn m dozen dozens hundreds "
    "several few half third at least up over some between from Dec. March 3rd km years old aged "
    "+ no one second \n".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=16).map(" ".join))
def test_found_numbers_are_consistent_and_parse_span_agrees(text):
    for n in find_numbers(text):
        assert text[n.start : n.end] == n.text and n.text == n.text.strip() and n.text
        if n.low is not None and n.high is not None:
            assert n.low <= n.high
        if n.value is not None:
            assert n.low in (None, n.value) and n.high in (None, n.value)
        assert parse_span(text, n.start, n.end) == n


@pytest.mark.parametrize(
    "text, number, value",
    [
        ("At least 1e9 dollars were lost.", "1e9", 1e9),
        ("Some 2.5E6 people fled.", "2.5E6", 2.5e6),
        ("Some 10^6 people fled.", "10^6", 1e6),
        ("About 3x10^6 people fled.", "3x10^6", 3e6),
        ("About ٢٥٬٠٠٠ people fled.", "٢٥٬٠٠٠", 25000.0),
        ("Some ۱۲۳ people were killed.", "۱۲۳", 123.0),
        ("About ١٫٥ million fled.", "١٫٥ million", 1.5e6),
    ],
)
def test_scientific_notation_and_arabic_indic_digits_are_numbers(text, number, value):
    [found] = find_numbers(text)
    assert (found.text, found.value) == (number, value)
