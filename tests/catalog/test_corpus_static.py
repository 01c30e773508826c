"""The replay corpus is valid SQL on PostgreSQL 15, and every pg_catalog relation and pg_* function it names
is registered by REM's catalog."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

import engine.catalog  # noqa: F401
from engine.functions import lookup
from engine.virtual import lookup_virtual
from tests.catalog.replay import DOCS_DDL, load_corpus

CORPUS = load_corpus()
# functions other engineers own (generic SQL functions, GUC access, version()): not checked here
_NOT_CATALOG = {"pg_catalog", "pg_toast", "pg_temp_", "pg_toast_temp_", "pg_", "pg_temp"}


@pytest.fixture(scope="module")
def ref(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("drop table if exists docs cascade")
        conn.execute(DOCS_DDL)
        yield conn
        conn.execute("drop table if exists docs cascade")


def test_corpus_covers_every_client() -> None:
    clients = {cid.rsplit("-", 1)[0] for cid, _ in CORPUS}
    assert clients == {"bi_tools", "psql", "psql_extra", "asyncpg", "psycopg_sqlalchemy", "sqlalchemy_inspector", "pgjdbc", "pgbench"}
    assert len(CORPUS) >= 85


@pytest.mark.parametrize("cid,sql", CORPUS, ids=[c for c, _ in CORPUS])
def test_corpus_statement_runs_on_postgres(ref: psycopg.Connection, cid: str, sql: str) -> None:
    oid = ref.execute("select 'docs'::regclass::oid::int").fetchone()[0]
    cur = ref.execute(sql.replace("{docs_oid}", str(oid)))
    assert cur.description is not None


@pytest.mark.parametrize("cid,sql", CORPUS, ids=[c for c, _ in CORPUS])
def test_corpus_catalog_names_are_registered(cid: str, sql: str) -> None:
    text = re.sub(r"'(?:[^']|'')*'", "''", sql)  # ignore string literals
    missing = []
    for m in re.finditer(r"\b(pg_[a-z_]+|_pg_expandarray)\b(\s*\()?", text, re.I):
        name, call = m.group(1).lower(), m.group(2)
        if name in _NOT_CATALOG:
            continue
        if call:
            if not lookup(name):
                missing.append(name + "()")
        elif lookup_virtual("pg_catalog", name) is None:
            missing.append(name)
    assert missing == []
