"""conflict_events.inference: the light core (no torch, transformers or datasets).

Result types, the label schema, the number normaliser, the sentence splitter and the ONNX
tagger. (The ``conflict-events`` command lives in ``conflict_events.cli``, above the layers.)
"""

from conflict_events.inference.labels import (
    DEFAULT_EVENT_LABELS,
    DEFAULT_NUMBER_ROLES,
    LabelError,
    LabelSchema,
)
from conflict_events.inference.results import (
    Citation,
    DocumentResult,
    DocumentSummary,
    EventScore,
    Figure,
    NumberMention,
    Qualifier,
    Quantity,
    SentenceResult,
)

__version__ = "0.1.0"

# Loaded on first use, so importing the package does not import onnxruntime or tokenizers.
_LAZY = {"EventTagger": "conflict_events.inference.tagger"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_EVENT_LABELS",
    "DEFAULT_NUMBER_ROLES",
    "Citation",
    "DocumentResult",
    "DocumentSummary",
    "EventScore",
    "EventTagger",
    "Figure",
    "LabelError",
    "LabelSchema",
    "NumberMention",
    "Qualifier",
    "Quantity",
    "SentenceResult",
    "__version__",
]
