"""The keyword-rule and TF-IDF baselines on sentences the project wrote."""

from __future__ import annotations

import numpy as np
import pytest

from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.results import Qualifier
from conflict_events.training.baselines import KeywordBaseline, TfidfBaseline
from conflict_events.training.records import Record

D, C, T, A = "displacement", "casualty", "territorial-change", "attack-on-infrastructure"


@pytest.mark.parametrize(
    ("text", "events", "numbers"),
    [
        ("At least 25,000 civilians have fled the town.", (D,), [("25,000", "displaced")]),
        ("Rebels captured 15 villages near the border.", (T,), [("15", "places")]),
        ("An air strike hit two hospitals and killed three people.", (C, A),
         [("two", "facilities"), ("three", "killed")]),
        ("Shelling killed five civilians and wounded 14.", (C,), [("five", "killed"), ("14", "injured")]),
        ("Three people were killed in the town and two in the village.", (C,),
         [("Three", "killed"), ("two", "killed")]),
        ("The toll from the blast has risen to 52.", (C,), [("52", "killed")]),
        ("Drones struck two power substations overnight.", (A,), [("two", "facilities")]),
        ("Police arrested 30 protesters in 2011.", (), []),  # arrests and years are no counts
        ("Artillery fire damaged dozens of homes.", (), []),  # homes are not facilities
        ("Officials said the market reopened on Monday.", (), []),
    ],
)  # fmt: skip
def test_keyword_baseline_events_and_roles(text, events, numbers):
    result = KeywordBaseline().tag([text])[0]
    assert result.labels == events
    assert [(n.text, n.role) for n in result.numbers] == numbers
    assert all(e.score == 1.0 for e in result.events)
    for n in result.numbers:
        assert text[n.start : n.end] == n.text


def test_keyword_baseline_normalises_numbers_and_reads_units():
    result = KeywordBaseline().tag(["Some 3,000 families fled after at least 12 were killed."])[0]
    fled, killed = result.numbers
    assert (fled.value, fled.qualifier, fled.unit) == (3000.0, Qualifier.APPROXIMATE, "families")
    assert (killed.low, killed.qualifier, killed.role) == (12.0, Qualifier.AT_LEAST, "killed")
    assert result.labels == (D, C)


def test_keyword_baseline_keeps_role_less_counts_out_of_results_but_reports_them():
    kw = KeywordBaseline()
    assert [(n.text, n.role) for n in kw.numbers("Gunmen abducted 12 passengers.")] == [
        ("12", None)
    ]
    assert kw.tag(["Gunmen abducted 12 passengers."])[0].numbers == ()
    assert "scores" not in kw.predicts and not hasattr(kw, "predict_proba")
    assert kw.tag([]) == []


def test_keyword_baseline_only_predicts_roles_the_schema_has():
    schema = LabelSchema(event_labels=(C,), number_roles=("killed",), role_events={"killed": C})
    result = KeywordBaseline(schema).tag(["Rebels took 15 villages and killed three people."])[0]
    assert result.labels == (C,)
    assert [n.role for n in result.numbers] == ["killed"]


TRAIN = [
    ("Five people were killed in the shelling.", (C,)),
    ("Two civilians died and four were wounded.", (C,)),
    ("The blast killed twelve soldiers.", (C,)),
    ("Thousands fled the town after the attack.", (D,)),
    ("Hundreds of families were displaced by the fighting.", (D,)),
    ("Residents fled toward the border.", (D,)),
    ("The market reopened on Monday.", ()),
    ("Officials met to discuss the budget.", ()),
    ("The talks ended without agreement.", ()),
]


def _records():
    return [Record(f"t{i}", text, events) for i, (text, events) in enumerate(TRAIN)]


def test_tfidf_baseline_learns_separable_labels():
    model = TfidfBaseline().fit(_records())
    probs = model.predict_proba([t for t, _ in TRAIN])
    assert probs.shape == (len(TRAIN), 4)
    j_c, j_d = 1, 0
    for (_, events), row in zip(TRAIN, probs, strict=True):
        assert (row[j_c] >= 0.5) == (C in events)
        assert (row[j_d] >= 0.5) == (D in events)
    # no training record is territorial-change or infrastructure: a constant prior of 0
    assert set(model.notes) == {T, A}
    assert np.all(probs[:, 2:] == 0.0)
    tagged = model.tag(["Two people were killed.", "The market reopened."])
    assert tagged[0].labels == (C,) and tagged[1].labels == ()
    assert tagged[0].numbers == () and tagged[0].events[0].score == pytest.approx(
        float(model.predict_proba(["Two people were killed."])[0, j_c]), abs=1e-6
    )


def test_tfidf_baseline_trains_each_label_only_on_records_that_annotate_it():
    records = _records() + [
        # A source that annotates casualty only: its displacement sentences are no negatives.
        Record("k1", "Thousands fled the town.", (), known_labels=(C,)),
        Record("k2", "Residents fled toward the border.", (), known_labels=(C,)),
    ]
    model = TfidfBaseline().fit(records)
    clf = model.models_[D]
    assert clf.n_features_in_ == len(model.vectorizer_.vocabulary_)
    # nine records know displacement: the classifier saw exactly those
    assert int(clf.classes_.size) == 2 and model.priors_[D] == pytest.approx(3 / 9)
    assert model.priors_[C] == pytest.approx(3 / 11)
    assert model.predict_proba(["Thousands fled the town."])[0, 0] >= 0.5


def test_tfidf_baseline_errors():
    with pytest.raises(ValueError, match="needs training records"):
        TfidfBaseline().fit([])
    with pytest.raises(RuntimeError, match="fit"):
        TfidfBaseline().predict_proba(["x"])
    assert TfidfBaseline().fit(_records()).predict_proba([]).shape == (0, 4)
