"""Background work of the vector service as jobs with progress (the rows of the ``rem_jobs`` view)."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field

_ids = itertools.count(1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Job:
    """One background job: an index build, a compaction, a re-embedding …"""

    kind: str  # 'index_build' | 'compaction' | 'reembed' | 'save'
    table: str
    column: str
    total: int = 0
    done: int = 0
    state: str = "running"  # 'queued' | 'running' | 'done' | 'failed'
    error: str | None = None
    id: int = field(default_factory=lambda: next(_ids))
    started_at: dt.datetime = field(default_factory=_now)
    finished_at: dt.datetime | None = None

    @property
    def progress(self) -> float:
        """Fraction done in [0, 1]."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    def finish(self, error: str | None = None) -> None:
        self.state = "failed" if error else "done"
        self.error = error
        self.finished_at = _now()
        if not error:
            self.done = max(self.done, self.total)


class JobBoard:
    """Thread-safe list of recent jobs (keeps the last ``keep`` finished ones)."""

    def __init__(self, keep: int = 100) -> None:
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self.keep = keep

    def start(self, kind: str, table: str, column: str, total: int = 0) -> Job:
        j = Job(kind, table, column, total)
        with self._lock:
            self._jobs[j.id] = j
            finished = [i for i, x in self._jobs.items() if x.state in ("done", "failed")]
            for i in finished[: max(0, len(finished) - self.keep)]:
                del self._jobs[i]
        return j

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())
