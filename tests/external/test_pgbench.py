"""pgbench as an outside client: ``pgbench -n -f script -M simple|extended|prepared -c 1 -t 200`` against REM.

Asserts that every transaction completes without failure (speed is measured by benchmarks/pgbench.py).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.external.pgbench_run import SELECT1, make_table, point_read, run_pgbench
from tests.fix_server import RemServer

ROWS = 500
TABLE = "pgbench_point"
MODES = ["simple", "extended", "prepared"]


@pytest.fixture(scope="module")
def point_table(rem_server: RemServer) -> str:
    make_table(rem_server.dsn, TABLE, ROWS)
    return TABLE


def _check(res, transactions: int) -> None:
    assert res.returncode == 0, res.stderr + res.stdout
    assert res.processed == transactions and res.planned == transactions, res.stdout
    assert res.failed == 0, res.stdout
    assert "error" not in res.stderr.lower(), res.stderr


@pytest.mark.parametrize("mode", MODES)
def test_pgbench_select1(rem_server: RemServer, mode: str, tmp_path: Path) -> None:
    script = tmp_path / "select1.sql"
    script.write_text(SELECT1)
    res = run_pgbench(rem_server.host, rem_server.port, "rem", script, mode=mode, transactions=200)
    _check(res, 200)


@pytest.mark.parametrize("mode", MODES)
def test_pgbench_point_read(rem_server: RemServer, point_table: str, mode: str, tmp_path: Path) -> None:
    script = tmp_path / "point.sql"
    script.write_text(point_read(point_table, ROWS))
    res = run_pgbench(rem_server.host, rem_server.port, "rem", script, mode=mode, transactions=200)
    _check(res, 200)


def test_point_read_script_reads_the_row(rem_server: RemServer, point_table: str) -> None:
    """The query the script sends returns the row it names, in every protocol mode pgbench uses."""
    with psycopg.connect(rem_server.dsn, autocommit=True) as c:
        assert c.execute(f"SELECT * FROM {point_table} WHERE id = 7").fetchall() == [(7, "name 7", 3.5)]
        assert c.execute(f"SELECT * FROM {point_table} WHERE id = %s", (ROWS,), prepare=True).fetchall() == [
            (ROWS, f"name {ROWS}", ROWS * 0.5)]
        assert c.execute(f"SELECT count(*) FROM {point_table}").fetchone() == (ROWS,)


def test_pgbench_two_clients_prepared(rem_server: RemServer, point_table: str, tmp_path: Path) -> None:
    script = tmp_path / "point.sql"
    script.write_text(point_read(point_table, ROWS))
    res = run_pgbench(rem_server.host, rem_server.port, "rem", script, mode="prepared", clients=2, threads=2,
                      transactions=100)
    _check(res, 200)
