"""A progress bar with rows/s for long work, shown only when stderr is a terminal (quiet when piped)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any


class Progress:
    """``with Progress("inserting", total=None) as p: p.advance(n)``; a no-op unless stderr is a TTY."""

    def __init__(self, description: str, total: float | None = None, *, unit: str = "rows",
                 enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.description, self.total, self.unit = description, total, unit
        self._bar: Any = None
        self._task: Any = None
        self.done = 0
        self._t0 = time.perf_counter()

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total, rate="")
        return self

    def advance(self, n: int = 1, total: float | None = None) -> None:
        """Count ``n`` more units done (optionally changing the total)."""
        if self._bar is None:
            return
        if total is not None:
            self._bar.update(self._task, total=total)
        self._bar.advance(self._task, n)
        self.done += n
        elapsed = max(time.perf_counter() - self._t0, 1e-6)
        self._bar.update(self._task, rate=f"{self.done / elapsed:,.0f} {self.unit}/s")

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(et, e, tb)
