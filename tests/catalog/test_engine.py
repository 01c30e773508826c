"""The catalogs through REM's own SQL engine (in-process session over a real store): DDL made by the engine
shows up in pg_catalog / information_schema the way PostgreSQL 15 shows the same DDL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.database import open_database
from engine.settings import Settings

DDL = ("create table docs (id serial primary key, title varchar(20) not null default 'x', body text,"
       " n numeric(10,2), created timestamptz default now(), tags text[])")

INSERT = "insert into docs (title, body) values ('a', 'b'), ('c', 'd')"


@pytest.fixture(scope="module")
def rem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = open_database(Settings(data_dir=Path(tmp_path_factory.mktemp("cat")) / "db"))
    s = db.session("rem", "rem")
    run(s, DDL)
    run(s, INSERT)
    yield s
    s.close()
    db.close()


@pytest.fixture(scope="module")
def ref(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("drop table if exists docs cascade")
        conn.execute(DDL)
        conn.execute(INSERT)
        yield conn
        conn.execute("drop table if exists docs cascade")


def run(session: Any, sql: str) -> list[tuple[Any, ...]]:
    res = session.execute(session.prepare(sql))
    return [tuple(r) for r in res.rows]


QUERIES = [
    "select relname::text, relkind::text, relnatts::int, relhasindex from pg_class"
    " where relname in ('docs', 'docs_id_seq', 'docs_pkey') order by 1",
    "select attname::text, attnum::int, format_type(atttypid, atttypmod), attnotnull, atthasdef from pg_attribute"
    " where attrelid = (select oid from pg_class where relname = 'docs') and attnum > 0 order by attnum",
    "select adnum::int, pg_get_expr(adbin, adrelid) from pg_attrdef"
    " where adrelid = (select oid from pg_class where relname = 'docs') order by 1",
    "select pg_get_serial_sequence('docs', 'id'), pg_get_serial_sequence('public.docs', 'title')",
    "select column_name::text, data_type::text, is_nullable::text, character_maximum_length::int,"
    " numeric_precision::int, numeric_scale::int, udt_name::text from information_schema.columns"
    " where table_name = 'docs' order by ordinal_position",
    "select constraint_name::text, constraint_type::text from information_schema.table_constraints"
    " where table_name = 'docs' and constraint_type <> 'CHECK'",
    "select c.relname::text, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique from pg_index i"
    " join pg_class c on c.oid = i.indexrelid where i.indrelid = (select oid from pg_class where relname = 'docs')",
    "select count(*)::int from pg_get_keywords() where catcode = 'R'",
    "select typname::text, typarray::int, typdelim::text from pg_type where oid = to_regtype('float8')::oid",
    "select n_live_tup::int from pg_stat_user_tables where relname = 'docs'",
    "select nspname::text from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_catalog_query_agrees_with_postgres(rem: Any, ref: psycopg.Connection, sql: str) -> None:
    if "n_live_tup" in sql:  # PostgreSQL's statistics lag behind; REM's n_live_tup is the exact row count
        sql_pg = "select count(*)::int from docs"
    pg_rows = ref.execute(sql_pg if "n_live_tup" in sql else sql).fetchall()
    assert run(rem, sql) == pg_rows


def test_pg_settings_is_the_session_guc_table(rem: Any) -> None:
    rows = dict(run(rem, "select name::text, setting from pg_settings where name in"
                         " ('work_mem', 'statement_timeout', 'application_name', 'max_index_keys')"))
    assert rows["work_mem"] == "4096" and rows["max_index_keys"] == "32"
    run(rem, "set statement_timeout = '5s'")
    run(rem, "set application_name = 'catalog-test'")
    rows = dict(run(rem, "select name::text, setting from pg_settings where name in"
                         " ('statement_timeout', 'application_name')"))
    assert rows == {"statement_timeout": "5000", "application_name": "catalog-test"}


def test_rem_table_options_are_reloptions(rem: Any) -> None:
    run(rem, "create table notes (uri text, body text) with (key_field='uri', embedding_fields='body')")
    rows = run(rem, "select reloptions from pg_class where relname = 'notes'")
    assert rows[0][0][:2] == ["key_field=uri", "embedding_fields=body"]
    docs = run(rem, "select reloptions from pg_class where relname = 'docs'")
    assert docs == [(None,)]


def test_embedding_column_and_hnsw_index_in_catalogs(rem: Any) -> None:
    run(rem, "create table chunks (uri text primary key, body text) with (embedding_fields='body')")
    run(rem, "create index on chunks using hnsw (embedding vector_cosine_ops)")
    defs = dict(run(rem, "select indexname::text, indexdef from pg_indexes where tablename = 'chunks'"))
    assert defs == {
        "chunks_pkey": "CREATE UNIQUE INDEX chunks_pkey ON public.chunks USING btree (uri)",
        "chunks_embedding_idx": "CREATE INDEX chunks_embedding_idx ON public.chunks USING hnsw"
                                " (embedding vector_cosine_ops)"}
    cols = run(rem, "select attname::text, format_type(atttypid, atttypmod) from pg_attribute"
                    " where attrelid = (select oid from pg_class where relname = 'chunks') and attnum < 0"
                    " and attname = 'embedding'")
    assert cols == [("embedding", "vector(384)")]
    am = run(rem, "select a.amname::text from pg_class c join pg_am a on a.oid = c.relam"
                  " where c.relname = 'chunks_embedding_idx'")
    assert am == [("hnsw",)]
