"""Run a measurement against a fresh REM server and a fresh reference PostgreSQL 15 side by side."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from tests.fix_pg import ReferencePostgres
from tests.fix_server import RemServer


def run_pair(measure: Callable[[str, str], tuple[Any, Any]], rem_env: dict[str, str] | None = None,
             ) -> tuple[Any, Any, tuple[float, ...], tuple[float, ...]]:
    """``measure(rem_dsn, pg_dsn)`` with both servers up; returns (rem, reference, load before, load after)."""
    rem_srv, pg = RemServer(env=rem_env), ReferencePostgres()
    rem_srv.start()
    pg.start()
    load0 = os.getloadavg()
    try:
        rem, ref = measure(rem_srv.dsn, pg.dsn)
    finally:
        rem_srv.cleanup()
        pg.stop()
    return rem, ref, load0, os.getloadavg()
