"""The replay corpus against a running REM: every captured client statement runs and returns the same column
names and type OIDs as PostgreSQL 15 (both servers hold the same ``docs`` table)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.catalog.replay import DOCS_DDL, load_corpus
from tests.fix_server import RemServer

CORPUS = load_corpus()
# Known SQL-engine gaps (docs/compatibility.md), CockroachDB-blocklist style: strict, so a fix shows up as XPASS
# and the entry must go.
KNOWN_GAPS: dict[str, str] = {
}
PARAMS = [pytest.param(c, s, id=c, marks=[pytest.mark.xfail(reason=KNOWN_GAPS[c], strict=True)] if c in KNOWN_GAPS
                       else []) for c, s in CORPUS]
# statements whose rows must agree too: they only see the docs table, schemas and types both servers share
SAME_ROWS = {"psql-5", "psql-6", "psql-15", "sqlalchemy_inspector-1", "sqlalchemy_inspector-2",
             "sqlalchemy_inspector-3", "sqlalchemy_inspector-10", "pgjdbc-1", "pgjdbc-3"}


@pytest.fixture(scope="module")
def rem_cat() -> Iterator[RemServer]:
    """A REM server of its own, so the catalogs hold exactly the tables these tests create."""
    with RemServer() as srv:
        yield srv


def _with_docs(dsn: str) -> tuple[psycopg.Connection, int]:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("set statement_timeout = '30s'")
    conn.execute("drop table if exists docs")
    conn.execute(DOCS_DDL)
    oid = conn.execute("select oid from pg_catalog.pg_class where relname = 'docs'").fetchone()[0]
    return conn, int(oid)


@pytest.fixture(scope="module")
def servers(rem_cat: RemServer, pg_dsn: str) -> Iterator[tuple[tuple[psycopg.Connection, int], ...]]:
    rem, pg = _with_docs(rem_cat.dsn), _with_docs(pg_dsn)
    yield rem, pg
    pg[0].execute("drop table if exists docs")
    rem[0].close()
    pg[0].close()


@pytest.mark.parametrize("cid,sql", PARAMS)
def test_corpus_statement_on_rem(servers: tuple, cid: str, sql: str) -> None:
    (rem, rem_oid), (pg, pg_oid) = servers
    pg_cur = pg.execute(sql.replace("{docs_oid}", str(pg_oid)))
    rem_cur = rem.execute(sql.replace("{docs_oid}", str(rem_oid)))
    rem_rows = rem_cur.fetchall()
    assert [(d.name, d.type_code) for d in rem_cur.description] == [
        (d.name, d.type_code) for d in pg_cur.description]
    if cid in SAME_ROWS:
        assert sorted(map(repr, rem_rows)) == sorted(map(repr, pg_cur.fetchall()))
