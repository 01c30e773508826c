"""COPY sub-protocol through psycopg, asyncpg and psql: text, CSV and binary, in and out; bad rows write nothing."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import uuid

import asyncpg
import psycopg
import pytest

from tests.fix_server import RemServer


@pytest.fixture
def table(conn: psycopg.Connection):
    name = f"copy_{uuid.uuid4().hex[:8]}"
    conn.execute(f"create table {name} (id int4 primary key, name text, score float8)")
    yield name
    conn.execute(f"drop table {name}")


def _rows(conn: psycopg.Connection, table: str) -> list[tuple]:
    return conn.execute(f"select id, name, score from {table} order by id").fetchall()


def test_copy_in_text(conn: psycopg.Connection, table: str) -> None:
    with conn.cursor().copy(f"copy {table} from stdin") as cp:
        cp.write("1\talpha\t1.5\n2\t\\N\t\\N\n")
        cp.write("3\ttab\\there\t-2\n")
    assert _rows(conn, table) == [(1, "alpha", 1.5), (2, None, None), (3, "tab\there", -2.0)]


def test_copy_in_rows_psycopg(conn: psycopg.Connection, table: str) -> None:
    with conn.cursor().copy(f"copy {table} (id, name) from stdin") as cp:
        for i in range(100):
            cp.write_row((i, f"n{i}"))
    assert conn.execute(f"select count(*) from {table}").fetchone() == (100,)


def test_copy_in_csv_options(conn: psycopg.Connection, table: str) -> None:
    data = 'id;name;score\n1;"a;b";2.5\n2;NA;3\n3;"say ""hi""";NA\n'
    with conn.cursor().copy(f"copy {table} from stdin (format csv, header true, delimiter ';', null 'NA')") as cp:
        cp.write(data)
    assert _rows(conn, table) == [(1, "a;b", 2.5), (2, None, 3.0), (3, 'say "hi"', None)]


def test_copy_in_bad_line_names_line_and_writes_nothing(conn: psycopg.Connection, table: str) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation) as e:
        with conn.cursor().copy(f"copy {table} from stdin") as cp:
            cp.write("1\ta\t1\n2\tb\t2\n3\tc\tnot-a-number\n")
    assert "line 3" in (e.value.diag.context or "")
    assert _rows(conn, table) == []
    assert conn.execute("select 1").fetchone() == (1,)


def test_copy_in_missing_column(conn: psycopg.Connection, table: str) -> None:
    with pytest.raises(psycopg.errors.BadCopyFileFormat):
        with conn.cursor().copy(f"copy {table} from stdin") as cp:
            cp.write("1\tonly-two\n")
    assert _rows(conn, table) == []


def test_copy_fail_from_client(conn: psycopg.Connection, table: str) -> None:
    with pytest.raises(psycopg.errors.QueryCanceled):
        with conn.cursor().copy(f"copy {table} from stdin") as cp:
            cp.write("1\ta\t1\n")
            raise psycopg.errors.QueryCanceled("client gave up")  # psycopg sends CopyFail
    assert _rows(conn, table) == []


def test_copy_out_text_and_csv(conn: psycopg.Connection, table: str) -> None:
    conn.execute(f"insert into {table} values (1, 'a\tb', 0.5), (2, null, 2)")
    with conn.cursor().copy(f"copy {table} to stdout") as cp:
        text = b"".join(bytes(b) for b in cp).decode()
    assert sorted(text.splitlines(keepends=True)) == ["1\ta\\tb\t0.5\n", "2\t\\N\t2\n"]
    with conn.cursor().copy(f"copy (select id, name from {table} order by id) to stdout (format csv, header)") as cp:
        csv = b"".join(bytes(b) for b in cp).decode()
    assert csv == 'id,name\n1,a\tb\n2,\n'


def test_copy_binary_roundtrip_psycopg(conn: psycopg.Connection, table: str) -> None:
    with conn.cursor().copy(f"copy {table} from stdin (format binary)") as cp:
        cp.set_types(["int4", "text", "float8"])
        cp.write_row((1, "x", 1.25))
        cp.write_row((2, None, None))
    assert _rows(conn, table) == [(1, "x", 1.25), (2, None, None)]
    with conn.cursor().copy(f"copy {table} to stdout (format binary)") as cp:
        cp.set_types(["int4", "text", "float8"])
        assert sorted(cp.rows()) == [(1, "x", 1.25), (2, None, None)]


def test_asyncpg_copy_records(rem_server: RemServer, conn: psycopg.Connection, table: str) -> None:
    async def main() -> None:
        c = await asyncpg.connect(rem_server.url)
        try:
            res = await c.copy_records_to_table(table, records=[(i, f"r{i}", i / 2) for i in range(50)])
            assert res == "COPY 50"
            buf = io.BytesIO()
            res = await c.copy_from_query(f"select id, name from {table} where id < 3 order by id", output=buf,
                                          format="csv")
            assert res == "COPY 3" and buf.getvalue() == b"0,r0\n1,r1\n2,r2\n"
        finally:
            await c.close()

    asyncio.run(main())
    assert conn.execute(f"select count(*), sum(id) from {table}").fetchone() == (50, sum(range(50)))


def test_psql_copy(rem_server: RemServer, conn: psycopg.Connection, table: str) -> None:
    cmd = ["psql", "-X", "-h", rem_server.host, "-p", str(rem_server.port), "-U", "rem", "rem",
           "-c", f"\\copy {table} from stdin with (format csv)"]
    out = subprocess.run(cmd, input="7,seven,7.5\n8,eight,8\n", capture_output=True, text=True, timeout=60,
                         env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert "COPY 2" in out.stdout
    assert _rows(conn, table) == [(7, "seven", 7.5), (8, "eight", 8.0)]
