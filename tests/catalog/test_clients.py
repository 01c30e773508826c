"""Real clients against REM's catalogs, next to PostgreSQL 15 holding the same tables: psql meta-commands,
SQLAlchemy's Inspector, psycopg's TypeInfo and asyncpg's type introspection."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest
import sqlalchemy as sa
from psycopg.types import TypeInfo

from tests.catalog.replay import DOCS_DDL
from tests.fix_server import RemServer

CHILD_DDL = "create table notes (id serial primary key, doc_id int references docs(id), body text not null)"
INDEX_DDL = "create index docs_title_idx on docs (title)"


@pytest.fixture(scope="module")
def rem_cat() -> Iterator[RemServer]:
    with RemServer() as srv:
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            for ddl in (DOCS_DDL, CHILD_DDL, INDEX_DDL):
                c.execute(ddl)
        yield srv


@pytest.fixture(scope="module")
def pg_cat(pg_dsn: str) -> Iterator[str]:
    """A database of the reference server holding only this module's tables."""
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute("drop database if exists rem_catalog")
        c.execute("create database rem_catalog")
    dsn = pg_dsn.replace("dbname=postgres", "dbname=rem_catalog")
    with psycopg.connect(dsn, autocommit=True) as c:
        for ddl in (DOCS_DDL, CHILD_DDL, INDEX_DDL):
            c.execute(ddl)
    yield dsn


def _kw(dsn: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in dsn.split())


def psql(dsn: str, command: str) -> str:
    kw = _kw(dsn)
    out = subprocess.run(["psql", "-X", "-h", kw["host"], "-p", kw["port"], "-U", kw["user"], "-d", kw["dbname"],
                          "-c", command], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout


@pytest.mark.parametrize("command", [r"\d docs", r"\d+ docs", r"\d notes", r"\d+ notes"])
def test_psql_describe_table_equals_postgres(rem_cat: RemServer, pg_cat: str, command: str) -> None:
    assert psql(rem_cat.dsn, command) == psql(pg_cat, command)


def _cells(line: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.split("|"))


def _table(out: str) -> tuple[tuple[str, ...], set[tuple[str, ...]]]:
    """Header and data rows of psql's aligned output, cells stripped of the padding (REM may list more objects,
    e.g. its rem_* views, which changes the column widths)."""
    lines = out.splitlines()
    sep = next(i for i, line in enumerate(lines) if line.startswith("---"))
    return _cells(lines[sep - 1]), {_cells(line) for line in lines[sep + 1:] if "|" in line}


@pytest.mark.parametrize("command", [r"\d", r"\dt", r"\di", r"\ds", r"\dn", r"\du"])
def test_psql_lists_hold_postgres_rows(rem_cat: RemServer, pg_cat: str, command: str) -> None:
    rem_head, rem_rows = _table(psql(rem_cat.dsn, command))
    pg_head, pg_rows = _table(psql(pg_cat, command))
    assert rem_head == pg_head
    assert pg_rows <= rem_rows


def test_psql_list_databases_and_functions(rem_cat: RemServer) -> None:
    out = psql(rem_cat.dsn, r"\l")
    assert re.search(r"^ rem\s+\| rem\s+\| UTF8\s+\| C\s+\| C ", out, re.M), out
    assert "List of functions" in psql(rem_cat.dsn, r"\df")
    assert re.search(r"^ vector\s+\| 0\.8\.0\s+\| public\s+\|", psql(rem_cat.dsn, r"\dx"), re.M)


def _inspect(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        insp = sa.inspect(engine)
        out: dict[str, object] = {"tables": sorted(set(insp.get_table_names()) & {"docs", "notes"}),
                                  "schemas": [s for s in insp.get_schema_names() if s == "public"]}
        for t in ("docs", "notes"):
            out[t] = {
                "columns": [{k: str(v) for k, v in c.items()} for c in insp.get_columns(t)],
                "pk": insp.get_pk_constraint(t),
                "indexes": sorted(insp.get_indexes(t), key=lambda i: i["name"]),
                "fks": insp.get_foreign_keys(t),
                "unique": insp.get_unique_constraints(t),
                "has": insp.has_table(t),
            }
        return out
    finally:
        engine.dispose()


def test_sqlalchemy_inspector_equals_postgres(rem_cat: RemServer, pg_cat: str) -> None:
    kw = _kw(pg_cat)
    pg_url = f"postgresql+psycopg://{kw['user']}@{kw['host']}:{kw['port']}/{kw['dbname']}"
    rem_url = rem_cat.url.replace("postgresql://", "postgresql+psycopg://")
    assert _inspect(rem_url) == _inspect(pg_url)


def test_psycopg_typeinfo(rem_cat: RemServer, pg_cat: str) -> None:
    with psycopg.connect(rem_cat.dsn) as rem, psycopg.connect(pg_cat) as pg:
        for name in ("int4", "text", "float8"):
            a, b = TypeInfo.fetch(rem, name), TypeInfo.fetch(pg, name)
            assert (a.name, a.oid, a.array_oid, a.regtype, a.delimiter) == (b.name, b.oid, b.array_oid,
                                                                             b.regtype, b.delimiter)
        assert TypeInfo.fetch(rem, "hstore") is None
        vec = TypeInfo.fetch(rem, "vector")
        assert vec is not None and (vec.oid, vec.array_oid, vec.regtype) == (16385, 16386, "vector")


def test_asyncpg_introspects_arrays_and_vector(rem_cat: RemServer) -> None:
    async def run() -> tuple[object, ...]:
        conn = await asyncpg.connect(rem_cat.url)
        try:
            floats = await conn.fetchval("select array[1.5, 2.5]::float8[]")
            ints = await conn.fetchval("select array[1, 2]::int4[]")
            vec = await conn.fetchval("select '[1,2,3]'::vector")
            return floats, ints, vec
        finally:
            await conn.close()

    floats, ints, vec = asyncio.run(run())
    assert floats == [1.5, 2.5] and ints == [1, 2]
    assert vec is not None
