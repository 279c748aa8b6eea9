"""Records → model inputs: token ids, BIO role tags per token, event targets and loss masks.

Masking follows ``known_labels``: an event label the record's source did not annotate gets no
event loss, and when a source annotated only some number roles, the tokens of number expressions
it left unannotated get no token loss (they may be counts of a role it did not look for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.numbers import find_numbers
from conflict_events.inference.tokenization import WindowEncoder
from conflict_events.training.records import Record

IGNORE = -100  # torch's cross-entropy ignore_index


@dataclass(frozen=True)
class Features:
    ids: tuple[int, ...]
    tags: tuple[int, ...]  # per token; IGNORE for special and masked tokens
    events: tuple[float, ...]  # 0/1 per event label
    event_mask: tuple[float, ...]  # 1 where the label was annotated
    weight: float = 1.0
    truncated: bool = False
    offsets: tuple[tuple[int, int], ...] = ()  # character spans of the content tokens
    # Distillation (training/distil.py): the teacher's event logits (E,) and tag logits per
    # content token (T, K); NaN rows where no teacher token covers the student token.
    soft_events: tuple[float, ...] | None = None
    soft_tags: np.ndarray | None = None


def token_tags(
    offsets: Sequence[tuple[int, int]], record: Record, labels: LabelSchema
) -> list[int]:
    """BIO tag ids for content tokens: the first token touching a number span is B-role, the rest I-role.

    >>> from conflict_events.inference.results import NumberMention
    >>> r = Record("x", "killed 25,000 people", numbers=(NumberMention("25,000", 7, 13, 25000.0, role="killed"),))
    >>> token_tags([(0, 6), (7, 9), (9, 10), (10, 13), (14, 20)], r, LabelSchema.default())
    [0, 3, 4, 4, 0]
    """
    tag_index = {t: i for i, t in enumerate(labels.bio_tags)}
    known_roles = [r for r in labels.number_roles if record.knows(r)]
    tags = [0] * len(offsets)
    if not known_roles:
        return [IGNORE] * len(offsets)
    if len(known_roles) < len(labels.number_roles):
        # Number expressions the source did not annotate may count a role it did not look for.
        annotated = [(n.start, n.end) for n in record.numbers]
        for found in find_numbers(record.text):
            if not any(found.start < e and s < found.end for s, e in annotated):
                for i, (s, e) in enumerate(offsets):
                    if s < found.end and found.start < e:
                        tags[i] = IGNORE
    for number in record.numbers:
        if number.role is None:
            continue
        first = True
        for i, (s, e) in enumerate(offsets):
            if s < number.end and number.start < e and e > s:
                tags[i] = tag_index[("B-" if first else "I-") + number.role]
                first = False
    return tags


def featurize(
    records: Sequence[Record],
    encoder: WindowEncoder,
    labels: LabelSchema,
    weights: Sequence[float] | None = None,
) -> list[Features]:
    """Encode records for training; a record longer than one window is cut (and flagged)."""
    encodings = encoder.tokenizer.encode_batch([r.text for r in records], add_special_tokens=False)
    out = []
    n_prefix, n_suffix = len(encoder.prefix), len(encoder.suffix)
    for k, (record, encoding) in enumerate(zip(records, encodings)):
        keep = encoder.content_length
        ids, offsets = encoding.ids[:keep], [tuple(o) for o in encoding.offsets[:keep]]
        tags = token_tags(offsets, record, labels)
        out.append(
            Features(
                ids=encoder.prefix + tuple(ids) + encoder.suffix,
                tags=(IGNORE,) * n_prefix + tuple(tags) + (IGNORE,) * n_suffix,
                events=tuple(float(x in record.events) for x in labels.event_labels),
                event_mask=tuple(float(record.knows(x)) for x in labels.event_labels),
                weight=1.0 if weights is None else float(weights[k]),
                truncated=len(encoding.ids) > keep,
                offsets=tuple(offsets),
            )
        )
    return out
