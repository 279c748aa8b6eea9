"""Two baselines the model is measured against, with the tagger's ``tag``/``predict_proba`` shape.

* :class:`KeywordBaseline`: trigger words per event type and a nearest-cue rule that gives each
  count a role, in the style of GDELT's event coding and the Data4Democracy IDETECT rules
  ("X people were killed" / "killed X people": the number nearest a cue word takes its role).
  Numbers come from :func:`conflict_events.inference.numbers.find_numbers`; only counts are
  considered (dates, years, money, ages ... never get a role).
* :class:`TfidfBaseline`: TF-IDF word uni- and bigrams with one logistic regression per event
  label (one-vs-rest), each trained only on the records whose source annotated that label
  (``known_labels``), like the model's masked loss. It predicts events only, no numbers.

>>> kw = KeywordBaseline()
>>> r = kw.tag(["Shelling killed five civilians and wounded 14 in the town."])[0]
>>> r.labels, [(n.text, n.role) for n in r.numbers]
(('casualty',), [('five', 'killed'), ('14', 'injured')])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from conflict_events.inference.labels import (
    ATTACK_ON_INFRASTRUCTURE,
    CASUALTY,
    DISPLACED,
    DISPLACEMENT,
    FACILITIES,
    INJURED,
    KILLED,
    PLACES,
    TERRITORIAL_CHANGE,
    LabelSchema,
)
from conflict_events.inference.numbers import NumberKind, find_numbers
from conflict_events.inference.predictor import EVENTS, NUMBERS, SCORES
from conflict_events.inference.results import EventScore, NumberMention, SentenceResult
from conflict_events.inference.units import find_unit
from conflict_events.training.records import Record


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


# Cue words next to a number that say which count it is (the guideline's five roles).
ROLE_CUES: dict[str, re.Pattern[str]] = {
    KILLED: _words(
        r"kill(?:ed|ing|s)?|dead|died|dies|deaths?|toll|lives|bodies|massacred?|slain|"
        r"slaughtered|fatalit(?:y|ies)|perished|executed|murdered|casualt(?:y|ies)"
    ),
    INJURED: _words(r"injur(?:ed|ies|y|ing)|wound(?:ed|s|ing)?|hurt|maimed"),
    DISPLACED: _words(
        r"fled|flee(?:ing|s)?|displaced|displacement|evacuat(?:ed|ion|ions)|refugees?|idps?|"
        r"homeless|uprooted|forced (?:from|out of) their homes|sought (?:refuge|shelter)|exodus"
    ),
}
# Words that make a nearby number something else: arrests, abductions, returns, needs.
BLOCKERS = _words(
    r"arrest(?:ed|s)?|detain(?:ed|s)?|abduct(?:ed|s)?|kidnapp?(?:ed|s)?|missing|"
    r"return(?:ed|ees?|s)?|in need|population"
)
# Counted nouns that make a number places or facilities, when the sentence has its verb.
PLACE_NOUNS = _words(
    r"villages?|towns?|cities|city|districts?|areas?|neighbou?rhoods?|settlements?|hamlets?|"
    r"localit(?:y|ies)|territor(?:y|ies)|checkpoints?|positions?"
)
FACILITY_NOUNS = _words(
    r"hospitals?|clinics?|schools?|universit(?:y|ies)|mosques?|churche?s?|markets?|baker(?:y|ies)|"
    r"(?:power|water|pumping) (?:stations?|plants?)|substations?|grids?|dams?|bridges?|airports?|"
    r"ports?|roads?|railways?|masts?|depots?|warehouses?|camps?|health (?:centres?|centers?)|"
    r"facilit(?:y|ies)|infrastructure"
)
CAPTURE_VERBS = _words(
    r"captur(?:ed|es|e|ing)|seiz(?:ed|es|e|ing)|took (?!place|part)|tak(?:en|ing) (?:control|over)|"
    r"retook|retaken|recaptured|overran|overrun|fell to|liberated|withdr[ae]w from|"
    r"pulled out of|regained|handed over"
)
ATTACK_VERBS = _words(
    r"struck|strikes?|hit|bomb(?:ed|ing|ings|s)?|shell(?:ed|ing)|destroy(?:ed|ing|s)?|"
    r"damag(?:ed|es|ing)|target(?:ed|ing|s)?|attack(?:ed|ing|s)?|burn(?:ed|t)|set fire|torched|"
    r"looted|sabotag(?:ed|e)|blew up|blown up|raided|knocked out|out of (?:action|service)"
)
# How far (characters) a cue word may be from the number it gives a role to.
MAX_CUE_DISTANCE = 60
# How many words after a number are read for its counted noun ("15 border villages").
NOUN_WINDOW_WORDS = 3


@dataclass
class KeywordBaseline:
    """Trigger-word events and nearest-cue number roles (no learning; see the module doc).

    Events: displacement, casualty and territorial-change when their cue words occur;
    attack-on-infrastructure when a facility noun and an attack verb both occur. A number with
    a role also reports its event. Labels outside the guideline's four are never predicted.
    """

    labels: LabelSchema = field(default_factory=LabelSchema.default)
    name: str = "keyword"
    predicts: frozenset[str] = frozenset({EVENTS, NUMBERS})  # no probabilities

    def tag(self, sentences: Sequence[str]) -> list[SentenceResult]:
        """One :class:`SentenceResult` per sentence; event scores are 1.0 (rules are sure)."""
        return [self._tag_one(text) for text in sentences]

    def _tag_one(self, text: str) -> SentenceResult:
        numbers = [n for n in self.numbers(text) if n.role in self.labels.number_roles]
        events = set()
        if ROLE_CUES[KILLED].search(text) or ROLE_CUES[INJURED].search(text):
            events.add(CASUALTY)
        if ROLE_CUES[DISPLACED].search(text):
            events.add(DISPLACEMENT)
        if CAPTURE_VERBS.search(text):
            events.add(TERRITORIAL_CHANGE)
        if FACILITY_NOUNS.search(text) and ATTACK_VERBS.search(text):
            events.add(ATTACK_ON_INFRASTRUCTURE)
        events |= {self.labels.role_events.get(n.role or "") for n in numbers} - {None}
        chosen = [EventScore(x, 1.0) for x in self.labels.event_labels if x in events]
        return SentenceResult(text, 0, len(text), tuple(chosen), tuple(numbers))

    def numbers(self, text: str) -> list[NumberMention]:
        """Every count of ``text`` with the role the rules give it (None: no event count).

        >>> [(n.text, n.role) for n in KeywordBaseline().numbers(
        ...     "Rebels captured 15 villages; 30 protesters were arrested.")]
        [('15', 'places'), ('30', None)]
        """
        counts = [n for n in find_numbers(text) if n.kind is NumberKind.COUNT]
        cues = [
            (m.start(), m.end(), role) for role, rx in ROLE_CUES.items() for m in rx.finditer(text)
        ]
        cues += [(m.start(), m.end(), None) for m in BLOCKERS.finditer(text)]
        capture, attack = bool(CAPTURE_VERBS.search(text)), bool(ATTACK_VERBS.search(text))
        out = []
        for n in counts:
            noun = _counted_noun(text[n.end :])
            role: str | None
            if noun == FACILITIES:
                role = FACILITIES if attack else None
            elif noun == PLACES:
                role = PLACES if capture else None
            else:
                role = _nearest_cue(cues, n.start, n.end)
            unit = find_unit(text, n.start, n.end)
            out.append(n.to_mention(role=role, unit=None if unit is None else unit.text))
        return out


_PHRASE_END = frozenset(
    "in on at near around across and or but from to by with after before during since while "
    "were was is are be been have has had who which that as than into".split()
)


def _counted_noun(after: str) -> str | None:
    """``places`` or ``facilities`` when the noun phrase right after a number (up to
    :data:`NOUN_WINDOW_WORDS` words, ending at a preposition, verb or punctuation) names such a
    noun: "two power substations" counts facilities, "14 in the town" counts no town."""
    words: list[str] = []
    for raw in after.split()[:NOUN_WINDOW_WORDS]:
        word = raw.strip(".,;:!?()\"'")
        if not word or word.lower() in _PHRASE_END:
            break
        words.append(word)
        if word != raw.rstrip(")\"'"):
            break  # punctuation after the word ends the phrase
    phrase = " ".join(words)
    if phrase.lower().startswith("of "):  # "dozens of villages"
        phrase = phrase[3:]
    hits = [(m.start(), role) for role, rx in ((PLACES, PLACE_NOUNS), (FACILITIES, FACILITY_NOUNS))
            if (m := rx.search(phrase))]  # fmt: skip
    return min(hits)[1] if hits else None


def _nearest_cue(cues: list[tuple[int, int, str | None]], start: int, end: int) -> str | None:
    """The role of the closest cue within :data:`MAX_CUE_DISTANCE` (a blocker gives None)."""
    best: tuple[int, str | None] | None = None
    for c_start, c_end, role in cues:
        gap = c_start - end if c_start >= end else start - c_end
        if 0 <= gap <= MAX_CUE_DISTANCE and (best is None or gap < best[0]):
            best = (gap, role)
    return None if best is None else best[1]


@dataclass
class TfidfBaseline:
    """TF-IDF + logistic regression per event label, trained on records (see the module doc).

    >>> records = [Record(str(i), t, e) for i, (t, e) in enumerate([
    ...     ("Five people were killed.", ("casualty",)), ("Two died in the blast.", ("casualty",)),
    ...     ("Thousands fled the town.", ("displacement",)), ("The market reopened.", ())])]
    >>> model = TfidfBaseline().fit(records)
    >>> model.predict_proba(["Three were killed."]).shape
    (1, 4)
    """

    labels: LabelSchema = field(default_factory=LabelSchema.default)
    threshold: float = 0.5
    c: float = 4.0  # inverse regularisation strength of each logistic regression
    name: str = "tfidf-lr"
    predicts: frozenset[str] = frozenset({EVENTS, SCORES})  # no numbers
    notes: dict[str, str] = field(default_factory=dict)  # label -> why it got no classifier

    def fit(self, records: Sequence[Record]) -> TfidfBaseline:
        """Fit the vectoriser on every text and one classifier per label on its known rows."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if not records:
            raise ValueError("the TF-IDF baseline needs training records (--train)")
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        matrix = self.vectorizer_.fit_transform([r.text for r in records])
        self.models_: dict[str, object] = {}
        self.priors_: dict[str, float] = {}
        self.notes = {}
        for label in self.labels.event_labels:
            rows = [i for i, r in enumerate(records) if r.knows(label)]
            y = np.array([label in records[i].events for i in rows], dtype=int)
            self.priors_[label] = float(y.mean()) if len(y) else 0.0
            if len(set(y.tolist())) < 2:
                self.notes[label] = (
                    f"{len(rows)} training records know it, "
                    f"{int(y.sum())} positive: constant prior {self.priors_[label]:.3f}"
                )
                continue
            clf = LogisticRegression(C=self.c, class_weight="balanced", max_iter=2000)
            self.models_[label] = clf.fit(matrix[rows], y)
        return self

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Probabilities, shape ``(len(sentences), len(labels.event_labels))``."""
        if not hasattr(self, "vectorizer_"):
            raise RuntimeError("call fit(records) before predicting")
        out = np.zeros((len(sentences), len(self.labels.event_labels)), dtype=np.float32)
        if not len(sentences):
            return out
        matrix = self.vectorizer_.transform(list(sentences))
        for j, label in enumerate(self.labels.event_labels):
            clf = self.models_.get(label)
            out[:, j] = self.priors_[label] if clf is None else clf.predict_proba(matrix)[:, 1]
        return out

    def tag(self, sentences: Sequence[str]) -> list[SentenceResult]:
        """Events above :attr:`threshold` with their probabilities; no numbers."""
        probs = self.predict_proba(sentences)
        results = []
        for text, row in zip(sentences, probs, strict=True):
            events = tuple(
                EventScore(label, round(float(p), 6))
                for label, p in zip(self.labels.event_labels, row, strict=True)
                if p >= self.threshold
            )
            results.append(SentenceResult(text, 0, len(text), events))
        return results
