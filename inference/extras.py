"""Which optional extras are installed: checked without importing them (they are heavy)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence


def missing_modules(names: Sequence[str]) -> list[str]:
    """The import names among ``names`` that cannot be imported here."""
    missing = []
    for name in names:
        if name in sys.modules:
            if sys.modules[name] is None:  # blocked on purpose (tests do this)
                missing.append(name)
            continue
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing
