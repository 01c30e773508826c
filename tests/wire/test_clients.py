"""Real clients' normal use over TCP: psycopg (text, binary, pipeline), asyncpg, psql, SQLAlchemy, pgjdbc."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import psycopg
import pytest

from tests.fix_server import RemServer


def test_psycopg_text(conn: psycopg.Connection) -> None:
    assert conn.execute("select 1").fetchone() == (1,)
    assert conn.execute("select %s::int4, %s::text", (5, "x")).fetchone() == (5, "x")
    cur = conn.execute("select %s::int4 + 1", (41,))
    assert cur.rowcount == 1 and cur.fetchone() == (42,)


def test_psycopg_binary(conn: psycopg.Connection) -> None:
    cur = conn.cursor(binary=True)
    assert cur.execute("select %s::int8, %s::text, %s::bool", (2**40, "é", True)).fetchone() == (2**40, "é", True)


def test_psycopg_prepared_after_threshold(conn: psycopg.Connection) -> None:
    for i in range(8):  # psycopg prepares server-side after prepare_threshold (5) executions
        assert conn.execute("select %s::int4 * 2", (i,)).fetchone() == (i * 2,)
    assert conn.execute("select %s::int4", (3,), prepare=True).fetchone() == (3,)


def test_psycopg_pipeline(conn: psycopg.Connection) -> None:
    with conn.pipeline():
        curs = [conn.execute("select %s::int4", (i,)) for i in range(20)]
    assert [c.fetchone() for c in curs] == [(i,) for i in range(20)]


def test_psycopg_transaction_and_errors(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn) as c:
        assert c.execute("select 1").fetchone() == (1,)
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute("select * from no_such_table_x")
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            c.execute("select 1")
        c.rollback()
        assert c.execute("select 2").fetchone() == (2,)


def test_psycopg_parameter_status_pushed(conn: psycopg.Connection) -> None:
    conn.execute("set application_name = 'wire-test'")
    assert conn.info.parameter_status("application_name") == "wire-test"
    conn.execute("set timezone = 'Europe/Paris'")
    assert conn.info.parameter_status("TimeZone") == "Europe/Paris"


def test_psycopg_notice(conn: psycopg.Connection) -> None:
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.sqlstate or ""))
    conn.execute("rollback")  # outside a transaction: WARNING 25P01
    assert notices == ["25P01"]


def test_asyncpg(rem_server: RemServer) -> None:
    async def main() -> None:
        c = await asyncpg.connect(rem_server.url)
        try:
            assert await c.fetchval("select 1") == 1
            rows = await c.fetch("select $1::int4 + 1 as n, $2::text as t", 1, "a")
            assert rows[0]["n"] == 2 and rows[0]["t"] == "a"
            st = await c.prepare("select $1::int8 * 2")
            assert [await st.fetchval(i) for i in range(3)] == [0, 2, 4]
            async with c.transaction():
                got = [r[0] async for r in c.cursor("select x from generate_series(1, 7) as g(x)", prefetch=3)]
            assert got == list(range(1, 8))
            await c.executemany("select $1::int4", [(i,) for i in range(5)])
            with pytest.raises(asyncpg.exceptions.UndefinedTableError):
                await c.fetch("select * from no_such_table_x")
            assert await c.fetchval("select $1::text", "still fine") == "still fine"
        finally:
            await c.close()

    asyncio.run(main())


def test_psql(rem_server: RemServer) -> None:
    out = subprocess.run(
        ["psql", "-X", "-A", "-t", "-h", rem_server.host, "-p", str(rem_server.port), "-U", "rem", "rem",
         "-c", "select 1 + 1"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PGCONNECT_TIMEOUT": "30"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


def test_psql_error_exit_code(rem_server: RemServer) -> None:
    out = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", rem_server.host, "-p", str(rem_server.port), "-U", "rem",
         "rem", "-c", "select * from no_such_table_x"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode != 0 and "no_such_table_x" in out.stderr


JAVA = r"""
import java.sql.*;
public class RemJdbc {
  public static void main(String[] a) throws Exception {
    try (Connection c = DriverManager.getConnection(a[0], "rem", "")) {
      try (PreparedStatement ps = c.prepareStatement("select ?::int4 + 1, ?::text")) {
        for (int i = 0; i < 7; i++) {  // beyond prepareThreshold (5): server-side named statements
          ps.setInt(1, i); ps.setString(2, "j" + i);
          try (ResultSet rs = ps.executeQuery()) { rs.next(); System.out.println(rs.getInt(1) + " " + rs.getString(2)); }
        }
      }
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.setFetchSize(2);
        int n = 0;
        try (ResultSet rs = st.executeQuery("select x from generate_series(1, 5) as g(x)")) { while (rs.next()) n++; }
        System.out.println("fetched " + n);
      }
      c.commit();
    }
  }
}
"""


def _jdbc_jar() -> str:
    for p in ("/usr/share/java/postgresql.jar", "/usr/share/java/postgresql-jdbc4.jar"):
        if os.path.exists(p):
            return p
    raise RuntimeError("pgjdbc not installed: apt-get install libpostgresql-jdbc-java (done by .ci/run)")


def test_pgjdbc(rem_server: RemServer) -> None:
    jar = _jdbc_jar()
    assert shutil.which("javac"), "javac missing (default-jdk-headless)"
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "RemJdbc.java")
        with open(src, "w") as f:
            f.write(JAVA)
        subprocess.run(["javac", "-d", d, src], check=True, capture_output=True, timeout=120)
        url = f"jdbc:postgresql://{rem_server.host}:{rem_server.port}/rem?sslmode=disable"
        out = subprocess.run(["java", "-cp", f"{d}:{jar}", "RemJdbc", url], capture_output=True, text=True,
                             timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[:7] == [f"{i + 1} j{i}" for i in range(7)]
    assert lines[7] == "fetched 5"


def test_psycopg_server_side_cursor(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn) as c:
        with c.cursor("named_cur") as cur:
            cur.execute("select x from generate_series(1, 10) as g(x)")
            assert cur.fetchmany(3) == [(1,), (2,), (3,)]
            assert cur.fetchone() == (4,)
            assert len(cur.fetchall()) == 6


def test_psycopg_begin_twice_warns(conn: psycopg.Connection) -> None:
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.sqlstate or ""))
    conn.execute("begin")
    conn.execute("begin")
    conn.execute("rollback")
    assert notices == ["25001"]


def test_psycopg2(rem_server: RemServer) -> None:
    import psycopg2

    c = psycopg2.connect(rem_server.dsn)
    try:
        cur = c.cursor()
        cur.execute("select %s::int4 + 1, %s::text", (41, "two"))
        assert cur.fetchone() == (42, "two")
        c.rollback()
    finally:
        c.close()


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench(rem_server: RemServer, mode: str, tmp_path: Path) -> None:
    script = tmp_path / "bench.sql"
    script.write_text("\\set x random(1, 100)\nselect :x::int4 + 1;\n")
    out = subprocess.run(
        ["pgbench", "-n", "-h", rem_server.host, "-p", str(rem_server.port), "-U", "rem", "-M", mode,
         "-f", str(script), "-t", "50", "-c", "2", "rem"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "number of transactions actually processed: 100/100" in out.stdout


def test_text_output_follows_session_settings(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        c.adapters.register_loader("timestamptz", psycopg.types.string.TextLoader)
        c.adapters.register_loader("float8", psycopg.types.string.TextLoader)
        q = "select '2024-01-01 00:00:00+00'::timestamptz"
        assert c.execute(q).fetchone() == ("2024-01-01 00:00:00+00",)
        c.execute("set timezone = 'Asia/Tokyo'")
        assert c.execute(q).fetchone() == ("2024-01-01 09:00:00+09",)
        assert c.execute("select 0.1::float8").fetchone() == ("0.1",)
        c.execute("set extra_float_digits = 0")
        assert c.execute("select 0.1::float8 + 0.2::float8").fetchone() == ("0.3",)
        c.execute("set extra_float_digits = 1")
        assert c.execute("select 0.1::float8 + 0.2::float8").fetchone() == ("0.30000000000000004",)


def test_psycopg_placeholders_without_spaces(conn: psycopg.Connection) -> None:
    # psycopg turns %s,%s into $1,$2: a '$' right after ',' must not open a dollar-quoted string
    assert conn.execute("select %s::int4,%s::text,'$1,$2'", (1, "a")).fetchone() == (1, "a", "$1,$2")
    conn.execute("create temp table nospace_t (a int, b text)")
    conn.execute("insert into nospace_t values (%s,%s),(%s,%s)", (1, "x", 2, "y"))
    assert conn.execute("select a,b from nospace_t where a in (%s,%s) order by a", (1, 2)).fetchall() == [
        (1, "x"), (2, "y")]
    assert conn.execute("select $q$a,$1$q$").fetchone() == ("a,$1",)
