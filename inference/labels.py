"""Label sets are data: the default event types and number roles, and the schema a model declares.

A model folder stores its own :class:`LabelSchema` (the default one, or one a user trained with
extra labels); every result is validated against the schema of the model that produced it.

>>> schema = LabelSchema.default()
>>> schema.event_labels[:2]
('displacement', 'casualty')
>>> schema.bio_tags[:3]
('O', 'B-displaced', 'I-displaced')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DISPLACEMENT = "displacement"
CASUALTY = "casualty"
TERRITORIAL_CHANGE = "territorial-change"
ATTACK_ON_INFRASTRUCTURE = "attack-on-infrastructure"
DEFAULT_EVENT_LABELS: tuple[str, ...] = (
    DISPLACEMENT,
    CASUALTY,
    TERRITORIAL_CHANGE,
    ATTACK_ON_INFRASTRUCTURE,
)

DISPLACED = "displaced"
KILLED = "killed"
INJURED = "injured"
PLACES = "places"  # villages, towns or areas taken or lost
FACILITIES = "facilities"  # infrastructure units attacked, damaged or destroyed
DEFAULT_NUMBER_ROLES: tuple[str, ...] = (DISPLACED, KILLED, INJURED, PLACES, FACILITIES)

# Which event a number role is evidence for; a user-declared role may map to nothing.
DEFAULT_ROLE_EVENTS: dict[str, str] = {
    DISPLACED: DISPLACEMENT,
    KILLED: CASUALTY,
    INJURED: CASUALTY,
    PLACES: TERRITORIAL_CHANGE,
    FACILITIES: ATTACK_ON_INFRASTRUCTURE,
}


class LabelError(ValueError):
    """A label or role name that the schema does not declare."""


@dataclass(frozen=True)
class LabelSchema:
    """The event labels and number roles one model (or one corpus) knows.

    ``role_events`` maps a number role to the event it is evidence for (a killed figure is
    casualty evidence); roles absent from it support no event.
    """

    event_labels: tuple[str, ...] = DEFAULT_EVENT_LABELS
    number_roles: tuple[str, ...] = DEFAULT_NUMBER_ROLES
    role_events: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLE_EVENTS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "event_labels", tuple(self.event_labels))
        object.__setattr__(self, "number_roles", tuple(self.number_roles))
        for name, values in (
            ("event label", self.event_labels),
            ("number role", self.number_roles),
        ):
            if not values and name == "event label":
                raise LabelError("a label schema needs at least one event label")
            if len(set(values)) != len(values):
                raise LabelError(f"duplicate {name} in {list(values)}")
            for value in values:
                if not isinstance(value, str) or not value or value != value.strip():
                    raise LabelError(f"invalid {name} {value!r}")
        for role, event in self.role_events.items():
            if role not in self.number_roles:
                raise LabelError(f"role_events names unknown role {role!r}")
            if event not in self.event_labels:
                raise LabelError(f"role {role!r} maps to unknown event label {event!r}")

    @classmethod
    def default(cls) -> LabelSchema:
        """The four event types and five number roles of the project's guideline."""
        return cls()

    @classmethod
    def with_extra(
        cls,
        event_labels: Iterable[str] = (),
        number_roles: Iterable[str] = (),
        role_events: dict[str, str] | None = None,
    ) -> LabelSchema:
        """The default schema plus a user's own labels (kept in the order given)."""
        base = cls.default()
        events = base.event_labels + tuple(x for x in event_labels if x not in base.event_labels)
        roles = base.number_roles + tuple(x for x in number_roles if x not in base.number_roles)
        return cls(events, roles, {**base.role_events, **(role_events or {})})

    @property
    def bio_tags(self) -> tuple[str, ...]:
        """Token tags of the number head: ``O`` then ``B-role``, ``I-role`` per role."""
        tags = ["O"]
        for role in self.number_roles:
            tags += [f"B-{role}", f"I-{role}"]
        return tuple(tags)

    def check_events(self, labels: Iterable[str], where: str = "") -> None:
        """Raise :class:`LabelError` naming the first label not in the schema."""
        for label in labels:
            if label not in self.event_labels:
                prefix = f"{where}: " if where else ""
                raise LabelError(
                    f"{prefix}unknown event label {label!r}; expected one of {list(self.event_labels)}"
                )

    def check_role(self, role: str | None, where: str = "") -> None:
        """Raise :class:`LabelError` if ``role`` is neither None nor a declared role."""
        if role is not None and role not in self.number_roles:
            prefix = f"{where}: " if where else ""
            raise LabelError(
                f"{prefix}unknown number role {role!r}; expected one of {list(self.number_roles)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_labels": list(self.event_labels),
            "number_roles": list(self.number_roles),
            "role_events": dict(self.role_events),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelSchema:
        roles = tuple(data.get("number_roles", ()))
        role_events = data.get("role_events")
        if role_events is None:
            role_events = {r: e for r, e in DEFAULT_ROLE_EVENTS.items() if r in roles}
        return cls(tuple(data["event_labels"]), roles, dict(role_events))

    def __hash__(self) -> int:
        return hash((self.event_labels, self.number_roles, tuple(sorted(self.role_events.items()))))


def parse_label_map(spec: str | Sequence[str] | None) -> dict[str, str]:
    """Parse ``old=new,old2=new2`` (the ``--label-map`` flag) into a dict.

    >>> parse_label_map("KILL=casualty, refugees=displacement")
    {'KILL': 'casualty', 'refugees': 'displacement'}
    """
    if not spec:
        return {}
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    mapping: dict[str, str] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise LabelError(f"bad label map entry {item!r}; expected old=new")
        mapping[old.strip()] = new.strip()
    return mapping
