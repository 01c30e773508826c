"""Every transcript in tests/wire/transcripts runs the same on REM and on PostgreSQL 15."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fix_pg import ReferencePostgres
from tests.fix_server import RemServer
from tests.wire.transcript import HERE, run

FILES = sorted(HERE.glob("*.txt"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript_on_rem(rem_server: RemServer, path: Path) -> None:
    run(path, rem_server.host, rem_server.port, "rem")


@pytest.mark.pg_reference
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript_on_postgres(pg: ReferencePostgres, path: Path) -> None:
    run(path, "127.0.0.1", pg.port, "postgres")
