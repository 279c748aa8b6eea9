"""What a tagging system predicts, declared: the small protocol evaluation reads.

A system (the :class:`~conflict_events.inference.tagger.EventTagger`, a baseline, your own) has a
``name``, the ``labels`` it predicts over, ``predicts`` (a subset of :data:`EVENTS`,
:data:`NUMBERS`, :data:`SCORES`) and ``tag(sentences)``; when it declares :data:`SCORES` it also
has ``predict_proba(sentences)``. The evaluator scores what a system declares (numbers only for
a system that predicts numbers, calibration only for one that gives scores) instead of guessing
from its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.results import SentenceResult

EVENTS = "events"  # event labels per sentence
NUMBERS = "numbers"  # role-tagged numbers per sentence
SCORES = "scores"  # a probability per sentence and event label (predict_proba)
KINDS = frozenset({EVENTS, NUMBERS, SCORES})


@runtime_checkable
class Predictor(Protocol):
    """A system evaluation can score."""

    name: str
    predicts: frozenset[str]

    @property
    def labels(self) -> LabelSchema: ...

    def tag(self, sentences: Sequence[str]) -> list[SentenceResult]: ...


@runtime_checkable
class Scorer(Predictor, Protocol):
    """A system that declares :data:`SCORES`: event probabilities ``(len(sentences), E)``."""

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray: ...


def check_predictor(system: object) -> Predictor:
    """``system`` if it follows the protocol, else a ``TypeError`` that says what is missing."""
    missing = [a for a in ("name", "predicts", "labels", "tag") if not hasattr(system, a)]
    if missing:
        raise TypeError(f"{type(system).__name__} is not a Predictor: no {', '.join(missing)}")
    unknown = set(system.predicts) - KINDS  # type: ignore[attr-defined]
    if unknown or EVENTS not in system.predicts:  # type: ignore[attr-defined]
        raise TypeError(
            f"{system.name}: predicts must include {EVENTS!r} and name only {sorted(KINDS)}, "  # type: ignore[attr-defined]
            f"not {sorted(system.predicts)}"  # type: ignore[attr-defined]
        )
    if SCORES in system.predicts and not isinstance(system, Scorer):  # type: ignore[attr-defined]  # type: ignore[attr-defined]
        raise TypeError(f"{system.name}: declares {SCORES!r} but has no predict_proba")  # type: ignore[attr-defined]
    return system  # type: ignore[return-value]
