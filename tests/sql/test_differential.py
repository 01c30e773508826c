"""REM vs PostgreSQL 15: every case file under tests/sql/cases runs on both through psycopg; results must match."""

from __future__ import annotations

import pytest

from tests.sql.differential import CASES, run_file, statements

FILES = sorted(CASES.glob("*.sql"))


@pytest.mark.pg_reference
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case_file(path, rem_dsn, pg_dsn):
    n, diffs = run_file(path, rem_dsn, pg_dsn)
    assert n > 0
    assert not diffs, f"{len(diffs)} of {n} statements differ:\n" + "\n".join(diffs)


def test_suite_size():
    assert sum(len(statements(p)) for p in FILES) >= 200
