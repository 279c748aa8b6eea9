"""Document summaries: repeats counted once, ranges and totals kept apart, citations exact."""

from __future__ import annotations

import json

from conflict_events.inference.results import (
    DocumentSummary,
    EventScore,
    NumberMention,
    Qualifier,
    SentenceResult,
)
from conflict_events.inference.summary import summarize, unit_key

BOUNDS = {
    Qualifier.EXACT: lambda v: (v, v, v),
    Qualifier.APPROXIMATE: lambda v: (v, v, v),
    Qualifier.AT_LEAST: lambda v: (v, v, None),
    Qualifier.AT_MOST: lambda v: (v, None, v),
}


class Doc:
    """Builds document-offset sentence results by finding phrases in a document we write."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0
        self.sentences: list[SentenceResult] = []

    def sentence(self, sentence: str, events=(), numbers=()) -> Doc:
        start = self.text.index(sentence, self.cursor)
        self.cursor = start + len(sentence)
        mentions, at = [], start
        for phrase, role, qualifier, value, unit, *bounds in numbers:
            at = self.text.index(phrase, at)  # numbers are listed in text order
            if bounds:
                low, high = bounds
            else:
                value, low, high = BOUNDS[qualifier](value)
            mentions.append(
                NumberMention(
                    phrase, at, at + len(phrase), value, low, high, qualifier, role, unit, 0.9
                )
            )
            at += len(phrase)
        scores = tuple(EventScore(e, 0.9) for e in events)
        self.sentences.append(
            SentenceResult(sentence, start, start + len(sentence), scores, tuple(mentions))
        )
        return self


E, A, AL, AM, R, V = (
    Qualifier.EXACT,
    Qualifier.APPROXIMATE,
    Qualifier.AT_LEAST,
    Qualifier.AT_MOST,
    Qualifier.RANGE,
    Qualifier.VAGUE,
)


def test_a_figure_repeated_in_headline_lead_and_body_is_counted_once():
    text = (
        "25,000 flee fighting in the north\n\n"
        "At least 25,000 civilians have fled the city since Monday. "
        "Aid workers said the 25,000 people who fled needed shelter."
    )
    doc = (
        Doc(text)
        .sentence(
            "25,000 flee fighting in the north",
            ["displacement"],
            [("25,000", "displaced", E, 25000.0, None)],
        )
        .sentence(
            "At least 25,000 civilians have fled the city since Monday.",
            ["displacement"],
            [("25,000", "displaced", AL, 25000.0, "civilians")],
        )
        .sentence(
            "Aid workers said the 25,000 people who fled needed shelter.",
            ["displacement"],
            [("25,000", "displaced", E, 25000.0, "people")],
        )
    )
    summary = summarize(doc.sentences)
    assert summary.events == ("displacement",)
    (figure,) = summary.figures
    assert (figure.role, figure.value, figure.qualifier) == ("displaced", 25000.0, AL)
    assert (figure.low, figure.high) == (25000.0, None)  # the bounds of the at_least mention
    assert figure.unit == "civilians"  # the first unit named, though the headline comes first
    assert [c.sentence for c in figure.citations] == [0, 1, 2]
    assert all(text[c.start : c.end] == "25,000" for c in figure.citations)


def test_cumulative_total_and_increment_are_separate_figures():
    text = "Some 205,000 people have fled since November, including 25,000 in the past two days."
    doc = Doc(text).sentence(
        text,
        ["displacement"],
        [
            ("205,000", "displaced", A, 205000.0, "people"),
            ("25,000", "displaced", E, 25000.0, None),
        ],
    )
    figures = summarize(doc.sentences).figures
    assert [(f.value, f.qualifier) for f in figures] == [(205000.0, A), (25000.0, E)]
    assert [text[f.citations[0].start : f.citations[0].end] for f in figures] == [
        "205,000",
        "25,000",
    ]


def test_a_range_and_an_exact_figure_inside_it_stay_separate_but_repeated_ranges_merge():
    text = (
        "Between 3,000 and 5,000 people fled overnight. Officials later put the number at 4,000. "
        "The 3,000 to 5,000 who fled are sheltering in schools."
    )
    doc = (
        Doc(text)
        .sentence(
            "Between 3,000 and 5,000 people fled overnight.",
            ["displacement"],
            [("3,000 and 5,000", "displaced", R, None, "people", 3000.0, 5000.0)],
        )
        .sentence(
            "Officials later put the number at 4,000.",
            [],
            [("4,000", "displaced", E, 4000.0, None)],
        )
        .sentence(
            "The 3,000 to 5,000 who fled are sheltering in schools.",
            ["displacement"],
            [("3,000 to 5,000", "displaced", R, None, None, 3000.0, 5000.0)],
        )
    )
    figures = summarize(doc.sentences).figures
    assert [(f.value, f.low, f.high, f.qualifier) for f in figures] == [
        (None, 3000.0, 5000.0, R),
        (4000.0, 4000.0, 4000.0, E),
    ]
    assert [c.sentence for c in figures[0].citations] == [0, 2]


def test_same_value_different_roles_or_things_are_different_figures():
    text = "Three people were killed and three wounded. Strikes hit 3 hospitals and 3 schools."
    doc = (
        Doc(text)
        .sentence(
            "Three people were killed and three wounded.",
            ["casualty"],
            [("Three", "killed", E, 3.0, "people"), ("three", "injured", E, 3.0, None)],
        )
        .sentence(
            "Strikes hit 3 hospitals and 3 schools.",
            ["attack-on-infrastructure"],
            [("3", "facilities", E, 3.0, "hospitals"), ("3", "facilities", E, 3.0, "schools")],
        )
    )
    summary = summarize(doc.sentences)
    assert [(f.role, f.unit) for f in summary.figures] == [
        ("killed", "people"),
        ("injured", None),
        ("facilities", "hospitals"),
        ("facilities", "schools"),
    ]
    assert summary.events == ("casualty", "attack-on-infrastructure")


def test_generic_people_words_and_plurals_compare_as_one_unit():
    assert unit_key("people") == unit_key("Civilians") == unit_key("residents")
    assert unit_key("families") == unit_key("family") != unit_key("people")
    text = "Some 400 families fled. The 400 families reached the camp. 400 people arrived too."
    doc = (
        Doc(text)
        .sentence(
            "Some 400 families fled.",
            ["displacement"],
            [("400", "displaced", A, 400.0, "families")],
        )
        .sentence(
            "The 400 families reached the camp.", [], [("400", "displaced", E, 400.0, "families")]
        )
        .sentence("400 people arrived too.", [], [("400", "displaced", E, 400.0, "people")])
    )
    figures = summarize(doc.sentences).figures
    assert [(f.unit, f.qualifier, len(f.citations)) for f in figures] == [
        ("families", A, 2),
        ("people", E, 1),
    ]


def test_vague_figures_merge_with_the_same_vague_figure_only():
    text = "Thousands fled the town. Thousands more fled the next day. Dozens were hurt."
    doc = (
        Doc(text)
        .sentence(
            "Thousands fled the town.",
            ["displacement"],
            [("Thousands", "displaced", V, None, None, 1000.0, None)],
        )
        .sentence(
            "Thousands more fled the next day.",
            ["displacement"],
            [("Thousands", "displaced", V, None, None, 1000.0, None)],
        )
        .sentence(
            "Dozens were hurt.", ["casualty"], [("Dozens", "injured", V, None, None, 12.0, None)]
        )
    )
    figures = summarize(doc.sentences).figures
    assert [(f.role, f.low, len(f.citations)) for f in figures] == [
        ("displaced", 1000.0, 2),
        ("injured", 12.0, 1),
    ]


def test_numbers_without_a_role_are_not_figures_and_events_keep_first_appearance_order():
    text = "The town of 80,000 was shelled. Two died. Rebels took 4 villages and 1,000 fled."
    doc = (
        Doc(text)
        .sentence(
            "The town of 80,000 was shelled.",
            ["attack-on-infrastructure"],
            [("80,000", None, E, 80000.0, None)],
        )
        .sentence("Two died.", ["casualty"], [("Two", "killed", E, 2.0, None)])
        .sentence(
            "Rebels took 4 villages and 1,000 fled.",
            ["displacement", "territorial-change"],
            [("4", "places", E, 4.0, "villages"), ("1,000", "displaced", E, 1000.0, None)],
        )
    )
    summary = summarize(doc.sentences)
    assert summary.events == (
        "attack-on-infrastructure",
        "casualty",
        "displacement",
        "territorial-change",
    )
    assert [f.value for f in summary.figures] == [2.0, 4.0, 1000.0]


def test_empty_document_and_json_round_trip():
    assert summarize([]) == DocumentSummary()
    text = "At least 12 people were killed."
    doc = Doc(text).sentence(text, ["casualty"], [("12", "killed", AL, 12.0, "people")])
    summary = summarize(doc.sentences)
    assert DocumentSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_at_least_25000_displaced_is_one_figure_with_25000_people_displaced():
    from conflict_events.inference.decoding import TaggedSpan, spans_to_numbers

    first, second = "At least 25,000 displaced.", "Some 25,000 people were displaced."
    [a] = spans_to_numbers(first, [TaggedSpan(9, 15, "displaced", 0.9)])
    [b] = spans_to_numbers(second, [TaggedSpan(5, 11, "displaced", 0.9)])
    assert a.unit is None and b.unit == "people"  # "displaced" restates the role: no unit
    offset = len(first) + 1
    sentences = [
        SentenceResult(first, 0, len(first), (), (a,)),
        SentenceResult(second, offset, offset + len(second), (), (b.shifted(offset),)),
    ]
    [figure] = summarize(sentences).figures
    assert figure.value == 25000 and figure.qualifier.value == "at_least"
    assert [c.sentence for c in figure.citations] == [0, 1] and figure.unit == "people"
