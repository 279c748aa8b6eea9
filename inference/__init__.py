"""conflict_events.inference: the light core (no torch, transformers or datasets).

Result types, the label schema, the number normaliser, the sentence splitter, the ONNX tagger and
the ``conflict-events`` command dispatcher.
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
    SentenceResult,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_EVENT_LABELS",
    "DEFAULT_NUMBER_ROLES",
    "Citation",
    "DocumentResult",
    "DocumentSummary",
    "EventScore",
    "Figure",
    "LabelError",
    "LabelSchema",
    "NumberMention",
    "Qualifier",
    "SentenceResult",
    "__version__",
]
