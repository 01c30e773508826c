"""One shared timer thread for statement timeouts (a thread per statement would cost more than the statement)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class TimerHandle:
    """A scheduled call; :meth:`cancel` before it fires and it never runs."""

    __slots__ = ("when", "fn", "cancelled")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Scheduler:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, fn: Callable[[], None]) -> TimerHandle:
        h = TimerHandle(time.monotonic() + delay, fn)
        with self._cv:
            heapq.heappush(self._heap, (h.when, next(self._seq), h))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rem-timer", daemon=True)
                self._thread.start()
            self._cv.notify()
        return h

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cv.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                _, _, h = heapq.heappop(self._heap)
            if not h.cancelled:
                try:
                    h.fn()
                except Exception:  # noqa: BLE001 - a failing callback must not stop the timer thread
                    pass


_scheduler = _Scheduler()


def call_later(delay: float, fn: Callable[[], None]) -> TimerHandle:
    """Run ``fn`` on the timer thread after ``delay`` seconds unless cancelled."""
    return _scheduler.call_later(delay, fn)
