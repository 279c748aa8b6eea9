"""Metrics (no hub downloads): events, numbers, calibration, CIs.

Events are multi-label: each sentence × label decision counts; precision, recall and F1 come from
scikit-learn. Numbers are matched as spans with a role: strictly (same start and end; scored by
seqeval over character-level BIO sequences) or by overlap; value and qualifier accuracy are
measured on the matched pairs. Written by hand only what no library offers: the bootstrap
intervals over sentences, the expected calibration error, overlap matching and the masks of
``known_labels`` (each checked against a library in the tests).

A label with no gold instance in the scored data has no recall and no F1: it is reported as n/a
(``None``), never as 0, and macro averages leave it out, for every system alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from conflict_events.inference.results import NumberMention


@dataclass(frozen=True)
class PRF:
    """Precision, recall, F1 (``None``: n/a) with the counts behind them."""

    precision: float | None
    recall: float | None
    f1: float | None
    support: int  # gold positives
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @classmethod
    def from_scores(cls, precision: float, recall: float, f1: float, tp: int, fp: int, fn: int):
        """Scores a library computed, with n/a where they are undefined: recall and F1 without
        gold support, precision without support or predictions (else 0 when nothing predicted).
        """
        support = tp + fn
        return cls(
            None if not support and not tp + fp else round(float(precision), 4),
            round(float(recall), 4) if support else None,
            round(float(f1), 4) if support else None,
            support,
            tp,
            fp,
            fn,
        )

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        """
        >>> PRF.from_counts(tp=3, fp=1, fn=2).f1
        0.6667
        >>> PRF.from_counts(tp=0, fp=2, fn=0)  # no gold instance: recall and F1 are n/a
        PRF(precision=0.0, recall=None, f1=None, support=0, tp=0, fp=2, fn=0)
        """
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls.from_scores(p, r, f, tp, fp, fn)


@dataclass(frozen=True)
class EventMetrics:
    per_label: dict[str, PRF]
    micro: PRF
    macro_f1: float | None
    exact_match: float
    n: int
    # Labels some sentence's source annotated that have gold instances: macro averages these.
    scored_labels: tuple[str, ...] = ()
    # Labels in scope with no gold instance: reported as n/a.
    unsupported_labels: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def _scope(labels: Sequence[str], known: Sequence[str] | None) -> list[str]:
    return list(labels) if known is None else [x for x in labels if x in known]


def label_scope(
    labels: Sequence[str], known: Sequence[Sequence[str] | None] | None = None
) -> list[str]:
    """The labels that at least one sentence's source annotated (all when ``known`` is None).

    >>> label_scope(["displacement", "casualty"], [["casualty"], ["casualty", "other"]])
    ['casualty']
    """
    if known is None or any(k is None for k in known):
        return list(labels)
    seen = {x for k in known for x in k}  # type: ignore[union-attr]
    return [x for x in labels if x in seen]


def event_counts(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    known: Sequence[Sequence[str] | None] | None = None,
) -> np.ndarray:
    """Per-sentence true positives, false positives and false negatives: shape ``(n, labels, 3)``.

    A label outside a sentence's ``known`` scope counts nothing there. Summing over sentences
    gives the totals :func:`event_metrics` reports; :func:`bootstrap_counts_ci` resamples rows.

    >>> event_counts([["casualty"]], [["displacement"]], ["displacement", "casualty"]).tolist()
    [[[0, 1, 0], [0, 0, 1]]]
    >>> event_counts([["casualty"]], [["displacement"]], ["displacement", "casualty"],
    ...              [["casualty"]]).tolist()
    [[[0, 0, 0], [0, 0, 1]]]
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predictions")
    if known is not None and len(known) != len(gold):
        raise ValueError(f"{len(gold)} gold rows but {len(known)} known-label rows")
    counts = np.zeros((len(gold), len(labels), 3), dtype=np.int64)
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        scope = set(_scope(labels, None if known is None else known[i]))
        for j, label in enumerate(labels):
            if label in scope:
                in_g, in_p = label in g, label in p
                counts[i, j] = (in_g and in_p, in_p and not in_g, in_g and not in_p)
    return counts


def macro_f1(totals: np.ndarray) -> float:
    """Mean per-label F1 of ``(labels, 3)`` tp/fp/fn totals (unrounded; the bootstrap statistic).

    A label with no gold instance has no F1 and is left out of the mean, as in
    :func:`event_metrics`: a bootstrap resample that happens to draw no sentence of a rare
    label does not score it 0.

    >>> macro_f1(np.array([[1, 1, 0], [0, 3, 0], [0, 0, 2]]))
    0.3333333333333333
    """
    tp, fp, fn = np.asarray(totals, float).reshape(-1, 3).T
    defined = tp + fn > 0
    f1 = 2 * tp[defined] / (2 * tp + fp + fn)[defined]
    return float(f1.mean()) if defined.any() else 0.0


def mean_f1(event_macro_f1: float | None, number_f1: float | None) -> float | None:
    """The selection metric: the mean of event macro-F1 and number F1, over those that are
    defined (None where the data has nothing of that kind to score).

    >>> mean_f1(0.8, 0.9), mean_f1(0.8, None), mean_f1(None, None)
    (0.85, 0.8, None)
    """
    defined = [x for x in (event_macro_f1, number_f1) if x is not None]
    return round(sum(defined) / len(defined), 4) if defined else None


def micro_f1(totals: np.ndarray) -> float:
    """F1 of tp/fp/fn totals summed over every leading axis (unrounded; for bootstraps).

    >>> micro_f1(np.array([[1, 1, 0], [1, 0, 2]]))
    0.5714285714285714
    """
    tp, fp, fn = np.asarray(totals, float).reshape(-1, 3).sum(axis=0)
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0


def event_metrics(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    known: Sequence[Sequence[str] | None] | None = None,
) -> EventMetrics:
    """Per-label, micro and macro P/R/F1 (scikit-learn) and the exact-match ratio.

    ``known[i]``, when not None, restricts sentence i to the labels its source annotated. The
    macro average is over the labels of :func:`label_scope` (some sentence's source annotated
    them) that have a gold instance; the others are n/a.

    >>> m = event_metrics([["casualty"], [], ["casualty", "displacement"]],
    ...                   [["casualty"], ["casualty"], ["displacement"]],
    ...                   ["displacement", "casualty"])
    >>> m.per_label["casualty"].precision, m.per_label["casualty"].recall, m.macro_f1, m.exact_match
    (0.5, 0.5, 0.75, 0.3333)
    >>> event_metrics([["casualty"]], [["casualty"]], ["displacement", "casualty"],
    ...               [["casualty"]]).macro_f1
    1.0
    """
    from sklearn.metrics import precision_recall_fscore_support

    counts = event_counts(gold, pred, labels, known)
    totals = counts.sum(axis=0)
    mask = np.array(
        [[x in _scope(labels, None if known is None else known[i]) for x in labels]
         for i in range(len(gold))], dtype=bool,
    ).reshape(len(gold), len(labels))  # fmt: skip
    y_true = np.array([[x in g for x in labels] for g in gold], dtype=int).reshape(mask.shape)
    y_pred = np.array([[x in p for x in labels] for p in pred], dtype=int).reshape(mask.shape)

    def prf(true: np.ndarray, predicted: np.ndarray, counts: np.ndarray) -> PRF:
        tp, fp, fn = map(int, counts)
        if not len(true):
            return PRF.from_scores(0.0, 0.0, 0.0, tp, fp, fn)
        p, r, f, _ = precision_recall_fscore_support(
            true, predicted, average="binary", pos_label=1, zero_division=0
        )
        return PRF.from_scores(p, r, f, tp, fp, fn)

    per_label = {
        label: prf(y_true[mask[:, j], j], y_pred[mask[:, j], j], totals[j])
        for j, label in enumerate(labels)
    }
    micro = prf(y_true[mask], y_pred[mask], totals.sum(axis=0))
    exact = 0
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        scope = set(_scope(labels, None if known is None else known[i]))
        exact += set(g) & scope == set(p) & scope
    in_scope_labels = label_scope(labels, known)
    scored = tuple(x for x in in_scope_labels if per_label[x].support)
    unsupported = tuple(x for x in in_scope_labels if not per_label[x].support)
    macro = round(float(np.mean([per_label[x].f1 for x in scored])), 4) if scored else None
    return EventMetrics(
        per_label, micro, macro, round(exact / max(len(gold), 1), 4), len(gold), scored,
        unsupported,
    )  # fmt: skip


NONE_LABEL = "(none)"


def label_confusion(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    known: Sequence[Sequence[str] | None] | None = None,
) -> dict:
    """Gold-label × predicted-label counts for multi-label predictions, plus a ``(none)`` row
    and column.

    Per sentence (within its ``known`` scope): each label both gold and predicted adds one on
    the diagonal (so the diagonal is each label's true positives); each gold label the model
    missed is paired with each label it predicted instead, or with ``(none)`` when it predicted
    no wrong label; each wrongly predicted label with no missed gold label lands in the
    ``(none)`` row; a sentence with no gold and no predicted label adds one to
    ``(none)``/``(none)``.

    >>> c = label_confusion([["casualty"], ["casualty"], [], []],
    ...                     [["casualty"], ["displacement"], ["displacement"], []],
    ...                     ["displacement", "casualty"])
    >>> c["labels"], c["counts"]
    (['displacement', 'casualty', '(none)'], [[0, 0, 0], [1, 1, 0], [1, 0, 1]])
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predictions")
    names = [*labels, NONE_LABEL]
    index = {name: k for k, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    none = index[NONE_LABEL]
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        scope = set(_scope(labels, None if known is None else known[i]))
        g_set, p_set = set(g) & scope, set(p) & scope
        missed, spurious = g_set - p_set, p_set - g_set
        for label in g_set & p_set:
            counts[index[label], index[label]] += 1
        for label in missed:
            for other in spurious or [NONE_LABEL]:
                counts[index[label], index[other]] += 1
        if spurious and not missed:
            for other in spurious:
                counts[none, index[other]] += 1
        if not g_set and not p_set:
            counts[none, none] += 1
    return {"labels": names, "counts": counts.tolist()}


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> float:
    """ECE over all sentence × label probabilities, equal-width bins.

    >>> expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 1, 0, 0]))
    0.1
    """
    probs, targets = np.asarray(probs, float).ravel(), np.asarray(targets, float).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(probs[sel].mean() - targets[sel].mean())
    return round(float(ece), 4)


def reliability_bins(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> list[dict]:
    """Per-bin mean confidence, observed frequency and count (for the reliability diagram)."""
    probs, targets = np.asarray(probs, float).ravel(), np.asarray(targets, float).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        sel = which == b
        out.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "confidence": float(probs[sel].mean()) if sel.any() else None,
                "frequency": float(targets[sel].mean()) if sel.any() else None,
                "count": int(sel.sum()),
            }
        )
    return out


def bootstrap_ci(
    statistic: Callable[[list[int]], float],
    n: int,
    samples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n`` items resampled with replacement.

    >>> values = [1.0] * 50 + [0.0] * 50
    >>> low, high = bootstrap_ci(lambda idx: sum(values[i] for i in idx) / len(idx), 100, seed=1)
    >>> 0.38 < low < 0.5 < high < 0.62
    True
    """
    if n == 0:
        return (0.0, 0.0)
    rng = random.Random(seed)
    stats = sorted(statistic([rng.randrange(n) for _ in range(n)]) for _ in range(samples))
    lo = stats[int(alpha / 2 * samples)]
    hi = stats[min(samples - 1, int((1 - alpha / 2) * samples))]
    return (round(lo, 4), round(hi, 4))


def bootstrap_counts_ci(
    counts: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    samples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap of ``statistic(summed counts)`` with the items (axis 0 of ``counts``)
    resampled with replacement: :func:`bootstrap_ci` for additive per-item counts, vectorised.

    ``counts`` is e.g. :func:`event_counts` ``(n, labels, 3)`` with :func:`macro_f1`, or
    :func:`number_counts` ``(n, 3)`` with :func:`micro_f1`.

    >>> rows = np.array([[1, 0, 0]] * 50 + [[0, 1, 1]] * 50)  # 50 hits, 50 misses
    >>> low, high = bootstrap_counts_ci(rows, micro_f1, seed=1)
    >>> 0.38 < low < 0.5 < high < 0.62
    True
    """
    counts = np.asarray(counts, dtype=float)
    n = len(counts)
    if n == 0:
        return (0.0, 0.0)
    flat = counts.reshape(n, -1)
    rng = np.random.default_rng(seed)
    stats = sorted(
        statistic(
            (np.bincount(rng.integers(0, n, n), minlength=n) @ flat).reshape(counts.shape[1:])
        )
        for _ in range(samples)
    )
    lo = stats[int(alpha / 2 * samples)]
    hi = stats[min(samples - 1, int((1 - alpha / 2) * samples))]
    return (round(lo, 4), round(hi, 4))


@dataclass(frozen=True)
class NumberMetrics:
    strict: PRF
    overlap: PRF
    per_role: dict[str, PRF]  # strict, per role
    value_accuracy: float | None  # on strict span+role matches
    qualifier_accuracy: float | None
    unit_accuracy: float | None
    matched: int = 0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def match_numbers(
    gold: Sequence[NumberMention], pred: Sequence[NumberMention], strict: bool = True
) -> list[tuple[int, int]]:
    """``(gold index, predicted index)`` pairs of numbers with the same role and the same span
    (``strict``) or overlapping spans; each number is matched at most once, in gold order.

    >>> g = [NumberMention("5", 0, 1, role="killed")]
    >>> match_numbers(g, [NumberMention("5 000", 0, 5, role="killed")]), match_numbers(
    ...     g, [NumberMention("5 000", 0, 5, role="killed")], strict=False)
    ([], [(0, 0)])
    """
    pairs, used = [], set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi in used or p.role != g.role:
                continue
            same = (
                (p.start, p.end) == (g.start, g.end)
                if strict
                else p.start < g.end and g.start < p.end
            )
            if same:
                pairs.append((gi, pi))
                used.add(pi)
                break
    return pairs


def scored_numbers(
    row: Sequence[NumberMention], known: Sequence[str] | None
) -> list[NumberMention]:
    """The numbers that count: those with a role, and (``known``) a role the source annotated."""
    return [n for n in row if n.role and (known is None or n.role in known)]


def number_counts(
    gold: Sequence[Sequence[NumberMention]],
    pred: Sequence[Sequence[NumberMention]],
    known: Sequence[Sequence[str] | None] | None = None,
    strict: bool = True,
) -> np.ndarray:
    """Per-sentence span + role tp/fp/fn, shape ``(n, 3)`` (for :func:`bootstrap_counts_ci`).

    >>> g = [[NumberMention("5", 0, 1, 5.0, role="killed")], []]
    >>> p = [[NumberMention("5", 0, 1, 5.0, role="injured")], [NumberMention("2", 0, 1, 2.0)]]
    >>> number_counts(g, p).tolist()
    [[0, 1, 1], [0, 0, 0]]
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predictions")
    out = np.zeros((len(gold), 3), dtype=np.int64)
    for i, (g_row, p_row) in enumerate(zip(gold, pred, strict=True)):
        scope = None if known is None else known[i]
        g_row, p_row = scored_numbers(g_row, scope), scored_numbers(p_row, scope)
        tp = len(match_numbers(g_row, p_row, strict))
        out[i] = (tp, len(p_row) - tp, len(g_row) - tp)
    return out


def char_bio(text_length: int, numbers: Sequence[NumberMention]) -> list[str]:
    """One BIO tag per character: ``B-role`` on a number's first character, ``I-role`` on the rest.

    Strict span + role matching is then exactly seqeval's entity matching.

    >>> char_bio(6, [NumberMention("12", 2, 4, role="killed")])
    ['O', 'O', 'B-killed', 'I-killed', 'O', 'O']
    """
    tags = ["O"] * text_length
    for n in numbers:
        tags[n.start] = f"B-{n.role}"
        for k in range(n.start + 1, n.end):
            tags[k] = f"I-{n.role}"
    return tags


def seqeval_scores(
    gold: Sequence[Sequence[NumberMention]], pred: Sequence[Sequence[NumberMention]]
) -> tuple[tuple[float, float, float], dict[str, tuple[float, float, float]]]:
    """Strict span + role (precision, recall, F1), micro and per role, from seqeval.

    Only the numbers given are scored (filter with :func:`scored_numbers` first).
    """
    from seqeval.metrics.sequence_labeling import precision_recall_fscore_support

    y_true, y_pred = [], []
    for g_row, p_row in zip(gold, pred, strict=True):
        length = max([n.end for n in (*g_row, *p_row)] or [0]) + 1
        y_true.append(char_bio(length, g_row))
        y_pred.append(char_bio(length, p_row))
    micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)[:3]
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    roles = sorted({n.role for row in (*gold, *pred) for n in row if n.role})
    return micro, {role: (p[k], r[k], f[k]) for k, role in enumerate(roles)}


def number_metrics(
    gold: Sequence[Sequence[NumberMention]],
    pred: Sequence[Sequence[NumberMention]],
    roles: Sequence[str],
    known: Sequence[Sequence[str] | None] | None = None,
) -> NumberMetrics:
    """Span + role P/R/F1 (strict and overlap), per-role breakdown, value/qualifier/unit accuracy.

    Only numbers with a role count; role-less numbers are not event counts. ``known[i]``, when
    not None, restricts sentence i to the roles its source annotated (others count nothing).

    >>> g = [[NumberMention("5", 0, 1, 5.0, 5.0, 5.0, role="killed")]]
    >>> p = [[NumberMention("5", 0, 1, 5.0, 5.0, 5.0, role="killed"),
    ...       NumberMention("2011", 10, 14, 2011.0, 2011.0, 2011.0, role="killed")]]
    >>> m = number_metrics(g, p, ["killed", "injured"])
    >>> m.strict.precision, m.strict.recall, m.value_accuracy
    (0.5, 1.0, 1.0)
    """
    strict_c = number_counts(gold, pred, known, strict=True).sum(axis=0)
    overlap_c = number_counts(gold, pred, known, strict=False).sum(axis=0)
    role_c = {r: [0, 0, 0] for r in roles}
    value_ok = qual_ok = unit_ok = matched = 0
    scored_gold, scored_pred = [], []
    for i, (g_row, p_row) in enumerate(zip(gold, pred, strict=True)):
        scope = None if known is None else known[i]
        g_row, p_row = scored_numbers(g_row, scope), scored_numbers(p_row, scope)
        scored_gold.append(g_row)
        scored_pred.append(p_row)
        pairs = match_numbers(g_row, p_row, True)
        for role in roles:
            tp = sum(1 for gi, _ in pairs if g_row[gi].role == role)
            role_c[role][0] += tp
            role_c[role][1] += sum(1 for p in p_row if p.role == role) - tp
            role_c[role][2] += sum(1 for g in g_row if g.role == role) - tp
        for gi, pi in pairs:
            g, p = g_row[gi], p_row[pi]
            matched += 1
            value_ok += (g.value, g.low, g.high) == (p.value, p.low, p.high)
            qual_ok += g.qualifier == p.qualifier
            unit_ok += (g.unit or "").lower() == (p.unit or "").lower()

    def ratio(x: int) -> float | None:
        return round(x / matched, 4) if matched else None

    strict, per_role = seqeval_scores(scored_gold, scored_pred)
    return NumberMetrics(
        strict=PRF.from_scores(*strict, *map(int, strict_c)),
        overlap=PRF.from_counts(*map(int, overlap_c)),  # no library matches overlapping spans
        per_role={r: PRF.from_scores(*per_role.get(r, (0.0, 0.0, 0.0)), *role_c[r]) for r in roles},
        value_accuracy=ratio(value_ok),
        qualifier_accuracy=ratio(qual_ok),
        unit_accuracy=ratio(unit_ok),
        matched=matched,
    )


def tune_thresholds(
    probs: np.ndarray,
    targets: np.ndarray,
    labels: Sequence[str],
    mask: np.ndarray | None = None,
    min_support: int = 25,
    grid: Sequence[float] = tuple(round(x, 2) for x in np.arange(0.2, 0.81, 0.05)),
) -> dict[str, float]:
    """Per-label threshold maximising dev F1, searched in [0.2, 0.8].

    A label with fewer than ``min_support`` dev positives keeps 0.5: thresholds tuned on a handful
    of positives overfit (a prototype's landed at 0.1).

    >>> p = np.array([[0.3], [0.35], [0.1], [0.6]]); t = np.array([[1], [1], [0], [1]])
    >>> tune_thresholds(p, t, ["casualty"], min_support=1)
    {'casualty': 0.3}
    """
    mask = np.ones_like(targets) if mask is None else mask
    out = {}
    for j, label in enumerate(labels):
        sel = mask[:, j] > 0
        y, p = targets[sel, j] > 0.5, probs[sel, j]
        if y.sum() < min_support:
            out[label] = 0.5
            continue
        best, best_t = -1.0, 0.5
        for t in grid:
            pred = p >= t
            tp = int((pred & y).sum())
            f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
            # ties go to the threshold closest to 0.5
            if f1 > best + 1e-9 or (abs(f1 - best) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
                best, best_t = f1, float(t)
        out[label] = best_t
    return out


def record_metrics(
    records: Sequence[Any],
    predicted_events: Sequence[Sequence[str]],
    predicted_numbers: Sequence[Sequence[NumberMention]],
    labels: Any,
) -> tuple[EventMetrics, NumberMetrics]:
    """Event and number metrics of predictions for labelled records (``Record`` objects), each
    record scored on the labels its source annotated; ``labels`` is the
    :class:`~conflict_events.inference.labels.LabelSchema`. The one scoring path of dev scores
    in training and of the benchmarks that score a tagger on labelled files."""
    known = [r.known_labels for r in records]
    events = event_metrics(
        [r.events for r in records], predicted_events, labels.event_labels, known
    )
    numbers = number_metrics(
        [[n for n in r.numbers if n.role] for r in records],
        [list(found) for found in predicted_numbers],
        labels.number_roles,
        known,
    )
    return events, numbers
