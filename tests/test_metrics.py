"""Every metric on small cases computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from conflict_events.inference.results import NumberMention, Qualifier
from conflict_events.training.metrics import (
    NONE_LABEL,
    PRF,
    bootstrap_ci,
    bootstrap_counts_ci,
    event_counts,
    event_metrics,
    expected_calibration_error,
    label_confusion,
    label_scope,
    macro_f1,
    match_numbers,
    micro_f1,
    number_counts,
    number_metrics,
    reliability_bins,
    tune_thresholds,
)

D, C, T, A = "displacement", "casualty", "territorial-change", "attack-on-infrastructure"
LABELS = [D, C, T]
ROLES = ["displaced", "killed", "injured", "places"]


def test_prf_from_counts_and_zero_division():
    prf = PRF.from_counts(tp=3, fp=1, fn=2)
    # P = 3/4, R = 3/5, F1 = 2PR/(P+R) = 0.9/1.35
    assert (prf.precision, prf.recall, prf.f1, prf.support) == (0.75, 0.6, 0.6667, 5)
    assert (prf.tp, prf.fp, prf.fn) == (3, 1, 2)
    assert PRF.from_counts(0, 0, 0) == PRF(None, None, None, 0, 0, 0, 0)  # n/a, not 0
    assert PRF.from_counts(0, 4, 0).precision == 0.0


# Five sentences; the last two restrict scoring to their sources' labels.
GOLD = [[C], [], [C, D], [T], []]
PRED = [[C], [C], [D], [], [D, T]]
KNOWN = [None, None, None, [T], [C]]


def test_event_metrics_by_hand():
    m = event_metrics(GOLD, PRED, LABELS, KNOWN)
    # D: row 3 tp; row 5's D is outside its scope -> tp 1, fp 0, fn 0
    assert m.per_label[D] == PRF.from_counts(1, 0, 0)
    # C: row 1 tp, row 2 fp, row 3 fn
    assert (m.per_label[C].precision, m.per_label[C].recall, m.per_label[C].f1) == (0.5, 0.5, 0.5)
    # T: row 4 fn; row 5's T is outside its scope
    assert (m.per_label[T].f1, m.per_label[T].support, m.per_label[T].fp) == (0.0, 1, 0)
    assert m.macro_f1 == 0.5  # (1 + 0.5 + 0) / 3
    # micro: tp 2, fp 1, fn 2 -> F1 = 4 / 7
    assert (m.micro.tp, m.micro.fp, m.micro.fn, m.micro.f1) == (2, 1, 2, 0.5714)
    # exact: rows 1 and 5 (row 5: nothing in scope gold or predicted)
    assert m.exact_match == 0.4 and m.n == 5
    assert m.scored_labels == tuple(LABELS)


def test_event_metrics_macro_averages_only_annotated_labels():
    known = [[C], [C], [C, "injured"]]
    m = event_metrics([[C], [], [C, D]], [[C], [C, T], [D]], LABELS, known)
    assert m.scored_labels == (C,)
    # C: tp 1 (row 1), fp 1 (row 2), fn 1 (row 3) -> F1 0.5; D and T are never in scope
    assert m.macro_f1 == 0.5
    assert m.per_label[D].support == 0 and m.per_label[D].fp == 0
    assert label_scope(LABELS, known) == [C]
    # a label with no gold and no predicted instance has no F1: it is not averaged as 0
    assert event_metrics([[C], []], [[C], []], LABELS).macro_f1 == 1.0
    assert label_scope(LABELS, [[C], None]) == LABELS


def test_event_counts_rows_sum_to_the_totals():
    counts = event_counts(GOLD, PRED, LABELS, KNOWN)
    assert counts.shape == (5, 3, 3)
    assert counts[2].tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]  # row 3: D tp, C fn
    assert counts[4].tolist() == [[0, 0, 0]] * 3  # row 5: nothing in scope
    assert counts.sum(axis=0).tolist() == [[1, 0, 0], [1, 1, 1], [0, 0, 1]]


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 gold rows but 1 predictions"):
        event_metrics([[C], []], [[C]], LABELS)
    with pytest.raises(ValueError, match="known-label rows"):
        event_counts([[C]], [[C]], LABELS, [None, None])
    with pytest.raises(ValueError):
        number_metrics([[]], [], ROLES)


def test_macro_and_micro_f1_from_totals():
    totals = np.array([[1, 0, 0], [1, 1, 1], [0, 0, 1]])
    assert macro_f1(totals) == pytest.approx((1 + 0.5 + 0) / 3)
    assert micro_f1(totals) == pytest.approx(4 / 7)
    assert micro_f1(np.zeros((2, 3))) == 0.0
    assert macro_f1(np.zeros((0, 3))) == 0.0
    assert macro_f1(np.array([[1, 1, 0], [0, 0, 0]])) == pytest.approx(2 / 3)  # empty row left out
    assert macro_f1(np.zeros((2, 3))) == 0.0


def test_label_confusion_by_hand():
    gold = [[C], [C], [C, D], [], [], [T]]
    pred = [[C], [D], [D, T], [T], [], []]
    c = label_confusion(gold, pred, LABELS)
    names = c["labels"]
    assert names == [D, C, T, NONE_LABEL]
    m = {(g, p): c["counts"][i][j] for i, g in enumerate(names) for j, p in enumerate(names)}
    assert m[(C, C)] == 1  # row 1
    assert m[(C, D)] == 1  # row 2: casualty read as displacement
    assert m[(D, D)] == 1 and m[(C, T)] == 1  # row 3: D found; C missed while T was predicted
    assert m[(NONE_LABEL, T)] == 1  # row 4: T with no gold label missed
    assert m[(NONE_LABEL, NONE_LABEL)] == 1  # row 5
    assert m[(T, NONE_LABEL)] == 1  # row 6: T missed, nothing predicted
    assert sum(map(sum, c["counts"])) == 7
    # the diagonal equals each label's true positives
    totals = event_counts(gold, pred, LABELS).sum(axis=0)
    assert [c["counts"][k][k] for k in range(3)] == totals[:, 0].tolist()


def test_label_confusion_respects_known_labels():
    c = label_confusion([[C]], [[D]], LABELS, [[C]])
    # D is outside the scope: C was missed with nothing (in scope) predicted
    assert c["counts"][1][3] == 1 and sum(map(sum, c["counts"])) == 1


def test_expected_calibration_error_by_hand():
    probs = np.array([0.95, 0.85, 0.15, 0.25, 0.55])
    targets = np.array([1, 0, 0, 0, 1])
    # two bins: [0, .5) holds .15 and .25: |0.2 - 0| * 2/5 = 0.08;
    # [.5, 1] holds .95 .85 .55: |0.7833 - 0.6667| * 3/5 = 0.07
    assert expected_calibration_error(probs, targets, bins=2) == 0.15
    assert expected_calibration_error(np.array([0.0, 1.0]), np.array([0, 1])) == 0.0
    # a 2-D (sentence x label) array is flattened
    assert expected_calibration_error(probs.reshape(5, 1), targets.reshape(5, 1), bins=2) == 0.15


def test_reliability_bins_by_hand():
    bins = reliability_bins(np.array([0.1, 0.2, 0.5, 1.0]), np.array([0, 1, 1, 1]), bins=2)
    assert [b["count"] for b in bins] == [2, 2]  # 0.5 and 1.0 fall in the upper bin
    assert bins[0]["confidence"] == pytest.approx(0.15) and bins[0]["frequency"] == 0.5
    assert bins[1]["confidence"] == pytest.approx(0.75) and bins[1]["frequency"] == 1.0
    empty = reliability_bins(np.array([0.05]), np.array([0]), bins=4)
    assert empty[3] == {"low": 0.75, "high": 1.0, "confidence": None, "frequency": None, "count": 0}


def test_bootstrap_ci_properties():
    assert bootstrap_ci(lambda idx: 0.7, 20) == (0.7, 0.7)
    assert bootstrap_ci(lambda idx: 1.0, 0) == (0.0, 0.0)
    values = [1.0] * 30 + [0.0] * 70
    mean = lambda idx: sum(values[i] for i in idx) / len(idx)  # noqa: E731
    low, high = bootstrap_ci(mean, 100, samples=500, seed=3)
    assert low < 0.3 < high and bootstrap_ci(mean, 100, samples=500, seed=3) == (low, high)


def test_bootstrap_counts_ci_properties():
    perfect = np.array([[1, 0, 0]] * 10)
    assert bootstrap_counts_ci(perfect, micro_f1) == (1.0, 1.0)
    assert bootstrap_counts_ci(np.zeros((0, 3)), micro_f1) == (0.0, 0.0)
    rows = np.array([[1, 0, 0]] * 60 + [[0, 1, 0]] * 20 + [[0, 0, 1]] * 20)
    point = micro_f1(rows.sum(axis=0))  # 120 / 160 = 0.75
    low, high = bootstrap_counts_ci(rows, micro_f1, samples=400, seed=2)
    assert low < point < high and high - low < 0.2
    wide = bootstrap_counts_ci(rows[::10], micro_f1, samples=400, seed=2)
    assert wide[1] - wide[0] > high - low  # ten times fewer rows: a wider interval
    assert bootstrap_counts_ci(rows, micro_f1, samples=400, seed=2) == (low, high)
    # (n, labels, 3) counts with macro F1
    counts = event_counts(GOLD, PRED, LABELS, KNOWN)
    lo, hi = bootstrap_counts_ci(counts, macro_f1, samples=200)
    assert 0.0 <= lo <= hi <= 1.0


def _n(text, start, role=None, value=None, qualifier=Qualifier.EXACT, unit=None, end=None):
    end = start + len(text) if end is None else end
    return NumberMention(text, start, end, value, value, value, qualifier, role, unit)


def test_number_metrics_by_hand():
    gold = [
        [_n("25,000", 9, "displaced", 25000.0, Qualifier.AT_LEAST, "civilians"),
         _n("three", 30, "killed", 3.0)],
        [_n("five", 0, "injured", 5.0)],
    ]  # fmt: skip
    pred = [
        [_n("25,000", 9, "displaced", 25000.0, Qualifier.AT_LEAST, "Civilians"),
         _n("three people", 30, "killed", 3.0),  # overlaps the gold span, not the same
         _n("12", 50)],  # no role: not an event count, not scored
        [_n("five", 0, "injured", 5.0, Qualifier.APPROXIMATE),
         _n("40", 10, "displaced", 40.0)],  # displaced is not annotated in row 2
    ]  # fmt: skip
    known = [None, ["casualty", "injured"]]
    m = number_metrics(gold, pred, ROLES, known)
    # strict: tp 2 (25,000 and five), fp 1 (three people), fn 1 (three)
    assert (m.strict.tp, m.strict.fp, m.strict.fn, m.strict.f1) == (2, 1, 1, 0.6667)
    assert (m.overlap.tp, m.overlap.fp, m.overlap.fn, m.overlap.f1) == (3, 0, 0, 1.0)
    assert m.per_role["displaced"].f1 == 1.0 and m.per_role["injured"].f1 == 1.0
    assert (m.per_role["killed"].fp, m.per_role["killed"].fn) == (1, 1)
    assert m.per_role["places"].support == 0
    assert m.matched == 2
    assert m.value_accuracy == 1.0
    assert m.qualifier_accuracy == 0.5  # five: exact vs approximate
    assert m.unit_accuracy == 1.0  # units compare case-insensitively; None == None
    assert number_counts(gold, pred, known).tolist() == [[1, 1, 1], [1, 0, 0]]
    assert number_counts(gold, pred, known, strict=False).tolist() == [[2, 0, 0], [1, 0, 0]]
    # without the known scope, row 2's displaced 40 is a false positive
    assert number_metrics(gold, pred, ROLES).strict.fp == 2


def test_number_metrics_wrong_value_and_no_matches():
    gold = [[_n("2.4 million", 5, "displaced", 2400000.0)]]
    pred = [[_n("2.4 million", 5, "displaced", 2.4)]]
    assert number_metrics(gold, pred, ROLES).value_accuracy == 0.0
    empty = number_metrics([[]], [[]], ROLES)
    assert empty.value_accuracy is None and empty.matched == 0 and empty.strict.f1 is None


def test_match_numbers_is_one_to_one_and_role_aware():
    gold = [_n("5", 0, "killed"), _n("5", 0, "injured")]
    pred = [_n("5", 0, "injured"), _n("5", 0, "killed"), _n("5", 0, "killed")]
    assert match_numbers(gold, pred) == [(0, 1), (1, 0)]
    assert match_numbers([_n("5", 0, "killed")], [_n("5", 0, "injured")]) == []


def test_tune_thresholds_by_hand():
    probs = np.array([[0.3, 0.9], [0.35, 0.2], [0.1, 0.8], [0.6, 0.7]])
    targets = np.array([[1, 1], [1, 0], [0, 1], [1, 0]])
    # label 0: any t <= 0.3 catches all three positives and no negative -> F1 1; ties go to 0.3
    # label 1: fewer positives than min_support 3 -> 0.5
    assert tune_thresholds(probs, targets, ["a", "b"], min_support=3) == {"a": 0.3, "b": 0.5}
    # masking row 0 out of label a leaves two positives: below min_support 3
    mask = np.array([[0, 1], [1, 1], [1, 1], [1, 1]])
    assert tune_thresholds(probs, targets, ["a", "b"], mask, min_support=3)["a"] == 0.5
    # label b with min_support 1: 0.75 and 0.8 keep both positives and drop 0.7 (F1 1); the tie
    # goes to the one closer to 0.5
    assert tune_thresholds(probs, targets, ["a", "b"], min_support=1)["b"] == 0.75


# --- the hand-written pieces, checked against libraries ------------------------------------


def test_expected_calibration_error_matches_scikit_learns_calibration_curve():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(3)
    probs = rng.random(2000)
    targets = (rng.random(2000) < probs**1.5).astype(int)  # over-confident on purpose
    frequency, confidence = calibration_curve(targets, probs, n_bins=10, strategy="uniform")
    counts = np.histogram(probs, bins=np.linspace(0, 1, 11))[0]
    counts = counts[counts > 0]
    expected = float(np.sum(counts / len(probs) * np.abs(frequency - confidence)))
    assert expected_calibration_error(probs, targets) == pytest.approx(expected, abs=1e-4)


def test_bootstrap_interval_matches_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(5)
    rows = np.array([[1, 0, 0]] * 70 + [[0, 1, 0]] * 20 + [[0, 0, 1]] * 30)
    rng.shuffle(rows)
    ours = bootstrap_counts_ci(rows, micro_f1, samples=4000, seed=2)

    def statistic(index):
        return micro_f1(rows[index.astype(int)])

    theirs = bootstrap(
        (np.arange(len(rows)),), statistic, n_resamples=4000, method="percentile",
        vectorized=False, random_state=7,
    ).confidence_interval  # fmt: skip
    assert ours[0] == pytest.approx(theirs.low, abs=0.015)
    assert ours[1] == pytest.approx(theirs.high, abs=0.015)


def test_macro_f1_statistic_matches_scikit_learn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y_true = (rng.random((200, 4)) < 0.3).astype(int)
    y_pred = (rng.random((200, 4)) < 0.3).astype(int)
    y_true[:, 3] = 0  # a label with no support: left out, as with zero_division=nan
    counts = event_counts(
        [[j for j in range(4) if row[j]] for row in y_true],
        [[j for j in range(4) if row[j]] for row in y_pred],
        list(range(4)),
    ).sum(axis=0)
    sk = f1_score(y_true[:, :3], y_pred[:, :3], average="macro")
    assert macro_f1(counts) == pytest.approx(sk)
    assert micro_f1(counts) == pytest.approx(f1_score(y_true, y_pred, average="micro"))


def test_strict_number_scores_from_seqeval_agree_with_span_matching():
    rng = np.random.default_rng(1)
    roles = ["killed", "injured"]
    gold, pred = [], []
    for _ in range(60):
        g_row, p_row = [], []
        for start in range(0, 40, 8):
            if rng.random() < 0.5:
                g_row.append(_n("12", start, roles[rng.integers(2)]))
            if rng.random() < 0.5:
                p_row.append(_n("12", start + int(rng.random() < 0.2), roles[rng.integers(2)]))
        gold.append(g_row)
        pred.append(p_row)
    m = number_metrics(gold, pred, roles)
    by_hand = PRF.from_counts(*number_counts(gold, pred).sum(axis=0))
    assert (m.strict.precision, m.strict.recall, m.strict.f1) == pytest.approx(
        (by_hand.precision, by_hand.recall, by_hand.f1), abs=1e-4
    )


def test_a_label_without_support_is_not_applicable_and_not_averaged():
    m = event_metrics([[C], [D]], [[C, T], [D]], LABELS)
    assert m.per_label[T].f1 is None and m.per_label[T].recall is None
    assert m.per_label[T].precision == 0.0  # it was predicted once, wrongly
    assert m.unsupported_labels == (T,) and m.scored_labels == (D, C)
    assert m.macro_f1 == 1.0  # over D and C, whichever system
