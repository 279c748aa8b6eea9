"""The one JSONL reader: ``(line number, object)`` pairs, bad lines collected as ``file:line`` problems.

Records (``training.records.JsonlReader``), stand-off annotations, export's dev sentences and the
corpus readers all read JSONL through :class:`JsonLines`, so a bad line reads the same
everywhere: ``path:line: malformed JSON: ... (column N)``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReadProblem:
    """A line that could not be read as a record."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class JsonLines:
    """Reads a JSONL file (``.gz`` too) as ``(line_number, object)`` pairs, collecting
    ``file:line`` problems (unreadable file, empty file, invalid UTF-8, malformed JSON) instead of
    stopping.
    """

    path: Path
    problems: list[ReadProblem] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        path = Path(self.path)
        try:
            handle = gzip.open(path) if path.suffix == ".gz" else path.open("rb")
        except OSError as exc:
            self.problems.append(ReadProblem(str(path), 0, f"cannot open: {exc.strerror}"))
            return
        with handle:
            empty = True
            for lineno, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                empty = False
                try:
                    yield lineno, json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    self.problems.append(
                        ReadProblem(str(path), lineno, f"invalid UTF-8 at byte {exc.start}")
                    )
                except json.JSONDecodeError as exc:
                    self.problems.append(
                        ReadProblem(
                            str(path), lineno, f"malformed JSON: {exc.msg} (column {exc.colno})"
                        )
                    )
            if empty:
                self.problems.append(ReadProblem(str(path), 0, "file is empty"))
