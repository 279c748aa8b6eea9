"""The counted noun of a number: a table of written cases, the rule's edges, bad input."""

from __future__ import annotations

import pytest

from conflict_events.inference.numbers import find_numbers
from conflict_events.inference.units import COUNTED_NOUNS, PEOPLE_NOUNS, UnitSpan, find_unit

# Each case marks the number span with [brackets]; the expected unit is the word, or None.
CASES = [
    ("At least [25,000] civilians have fled Idlib", "civilians"),
    ("Regime forces have captured some [15] villages", "villages"),
    ("[1.3 million] internally displaced persons live in camps", "persons"),
    ("[five] civilian lives were lost", "lives"),
    ("[three] people were killed in Talmenes", "people"),
    ("[2,895] of the 3,194 schools were damaged", "schools"),
    ("[25,000] people fleeing the fighting", "people"),
    ("gunmen killed [12]", None),
    ("gunmen killed [12] near the market", None),
    ("the toll rose to [52].", None),
    ("three people were killed in Talmenes and [two] in Aldier", None),
    ("[hundreds of thousands] of people are displaced", "people"),
    ("[hundreds] of thousands of people are displaced", "people"),
    ("[Dozens] of homes were hit", "homes"),
    ("[5] Palestinian children were hurt", "children"),
    ("the war displaced [13 million] Syrians", "Syrians"),
    ("[15] tanks were destroyed", "tanks"),
    # A nominal adjective restates the role; it is no counted noun (issue 17).
    ("the attack left [27] dead and 61 wounded", None),
    ("the attack left 27 dead and [61] wounded.", None),
    ("At least [25,000] displaced.", None),
    ("[five] of them died", None),
    ("a [40]-member delegation arrived", None),
    ("a [12]-year-old boy was killed", None),
    ("[500] or more families fled", "families"),
    ("[5,000]+ people signed", "people"),
    ("[2,000]-plus people gathered", "people"),
    ("[12] aid workers were abducted", "workers"),
    ("[40] health centres closed", "centres"),
    ("[300] Houthi fighters surrendered", "fighters"),
    ("[12] asylum-seekers drowned", "asylum-seekers"),
    ("only [40] remain", None),
    ("[3,000] newly arrived refugees", "refugees"),
    ("[two] armed groups clashed", "groups"),
    ("[12] yesterday and 5 today", None),
    ("[30] people, including 16 children, died", "people"),
    ("30 people, including [16] children, died", "children"),
    ("[4] Leopard tanks were hit", "tanks"),
    ("[one] person was injured", "person"),
    ("the front moved [10] km", None),
    ("[12]\npeople on the next line", None),
    ("[a dozen] houses burned", "houses"),
    ("[Several] villages changed hands", "villages"),
    ("[between 5,000 and 7,000] refugees crossed", "refugees"),
    ("[20-30] villages were emptied", "villages"),
    ("[2.4 million] people need aid", "people"),
    ("[some 80] families returned", "families"),
    ("[80] families returned home", "families"),
    ("[6] bodies were recovered", "bodies"),
    ("[four] journalists were detained on Monday", "journalists"),
    ("[7] houses and 2 schools burned", "houses"),
    ("7 houses and [2] schools burned", "schools"),
    ("[45]% of the houses were damaged", None),
    ("[9] wounded civilians were evacuated", "civilians"),
    ("[11] were killed on Monday", None),
    ("dissidents dynamited [a pair] of towers", "towers"),
    ("ten died and [scores] were injured", None),
    ("~[3,000] people displaced", "people"),
    ("the control room said [135] people died", "people"),
]


def _marked(case: str) -> tuple[str, int, int]:
    start = case.index("[")
    end = case.index("]") - 1
    return case.replace("[", "").replace("]", ""), start, end


def test_case_table_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case, expected", CASES)
def test_counted_noun(case, expected):
    text, start, end = _marked(case)
    unit = find_unit(text, start, end)
    if expected is None:
        assert unit is None
    else:
        assert unit is not None and unit.text == expected
        assert text[unit.start : unit.end] == unit.text and unit.start >= end


def test_units_of_every_number_the_normaliser_finds():
    text = "At least 25,000 civilians fled; 15 villages fell and five civilian lives were lost."
    units = [find_unit(text, n.start, n.end) for n in find_numbers(text)]
    assert [u.text if u else None for u in units] == ["civilians", "villages", "lives"]


def test_only_a_short_window_is_read():
    text = "[12]" + " " * 500 + "people"
    clean, start, end = _marked(text)
    assert find_unit(clean, start, end) is None


def test_unit_span_round_trips_and_rejects_bad_spans():
    unit = UnitSpan("villages", 8, 16)
    assert UnitSpan.from_dict(unit.to_dict()) == unit
    with pytest.raises(ValueError):
        UnitSpan("x", 4, 1)


@pytest.mark.parametrize("bad", [b"12 people", None, 12])
def test_non_strings_raise_type_error(bad):
    with pytest.raises(TypeError, match="expected str"):
        find_unit(bad, 0, 2)


@pytest.mark.parametrize("start, end", [(-1, 2), (2, 2), (0, 50)])
def test_bad_offsets_raise_value_error(start, end):
    with pytest.raises(ValueError, match="outside the text"):
        find_unit("12 people", start, end)


def test_end_of_text_and_blank_text():
    assert find_unit("killed 12", 7, 9) is None
    assert find_unit("12\x00\ud800 people", 0, 2) is None


def test_people_nouns_are_counted_nouns():
    assert PEOPLE_NOUNS < COUNTED_NOUNS
    assert {"people", "civilians", "idps"} <= PEOPLE_NOUNS and "villages" not in PEOPLE_NOUNS
