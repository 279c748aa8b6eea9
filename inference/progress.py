"""The progress bar of a batch job: what is read, done, skipped and failed, drawn with rich on stderr.

The bar measures bytes read of the inputs (compressed bytes for ``.gz``), so it shows a total, a
percentage and an estimated time left wherever the inputs' size is known (files, folders, stdin
redirected from a file); reading from a pipe it shows the counts and a moving bar. Beside it:
documents tagged, sentences per second, records failed so far, and on ``--resume`` the documents
skipped, with the phase named ("skipping finished documents" until the first new one).

Off (``enabled=False``, or stderr is no terminal), it draws nothing and :meth:`JobProgress.say`
prints plain lines to stderr. rich is imported only when the bar is drawn.
"""

from __future__ import annotations

import sys
import time
from typing import Any

REFRESH_SECONDS = 0.2


class JobProgress:
    """A progress bar over ``total_bytes`` (None: unknown) with running counts."""

    def __init__(self, total_bytes: int | None, enabled: bool = True, unit: str = "docs") -> None:
        self.enabled = enabled and sys.stderr is not None and sys.stderr.isatty()
        self.read_bytes = 0
        self.phase = "tagging"
        self.started = time.perf_counter()
        self.last = 0.0
        self.bar: Any = None
        self.task: Any = None
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn()]
        if total_bytes is not None:
            columns += [
                TaskProgressColumn(),
                DownloadColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
            ]
        else:
            columns += [TimeElapsedColumn()]
        columns.append(TextColumn("{task.fields[counts]}"))
        self.bar = Progress(*columns, console=Console(stderr=True), refresh_per_second=5)
        self.task = self.bar.add_task(self.phase, total=total_bytes, counts="")
        self.bar.start()

    def read(self, size: int) -> None:
        """``size`` more bytes were read from the inputs."""
        self.read_bytes += size
        self._refresh()

    def counts(self, tagged: int, sentences: int, failed: int, skipped: int, phase: str) -> None:
        """The running counts, and the phase ("skipping finished documents", "tagging")."""
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        parts = [f"{tagged} docs", f"{sentences / elapsed:.0f} sentences/s"]
        if skipped:
            parts.append(f"{skipped} skipped")
        parts.append(f"[red]{failed} failed[/red]" if failed else "0 failed")
        self.fields = " · ".join(parts)
        if phase != self.phase:
            self.phase = phase
            self.last = 0.0
            self._refresh(draw=True)  # a new phase is drawn at once, however short
        self._refresh()

    fields = ""

    def _refresh(self, draw: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < REFRESH_SECONDS:
            return
        self.last = now
        self.bar.update(
            self.task, completed=self.read_bytes, description=self.phase, counts=self.fields
        )
        if draw:
            self.bar.refresh()

    def say(self, message: str) -> None:
        """A message line on stderr, above the bar when there is one."""
        if self.enabled:
            self.bar.console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            print(message, file=sys.stderr, flush=True)

    def write_ansi(self, data: bytes) -> None:
        """Output drawn for the terminal (ANSI colours), written above the bar."""
        from rich.text import Text

        text = data.decode("utf-8")
        self.bar.console.print(Text.from_ansi(text.rstrip("\n")), soft_wrap=True)

    def close(self) -> None:
        if self.enabled:
            self.last = 0.0
            self._refresh(draw=True)
            self.bar.stop()
            self.enabled = False
