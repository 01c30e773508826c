"""A real REM server (``rem serve`` subprocess) on a free port with a temporary data dir."""

from __future__ import annotations

# The wire issue (#2) completes this module: RemServer, the session-scoped ``rem_server`` fixture, ``rem_dsn``.
