"""Rows and definitions for REM tables agree with PostgreSQL 15 for the same DDL (tests.catalog.standin)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import engine.catalog  # noqa: F401
from tests.catalog.standin import PG_DDL, call, make_ctx, scan


@pytest.fixture(scope="module")
def ref(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("drop table if exists docs, t2 cascade")
        conn.execute(PG_DDL)
        yield conn
        conn.execute("drop table if exists docs, t2 cascade")


def _rem_rel(ctx: Any, name: str) -> int:
    return next(r["oid"] for r in scan(ctx, "pg_catalog", "pg_class") if r["relname"] == name)


def test_columns_format_type_defaults_and_flags(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    for table in ("docs", "t2"):
        pg_rows = ref.execute(
            "select a.attname::text, a.attnum::int, format_type(a.atttypid, a.atttypmod), a.atttypmod, a.attnotnull,"
            " a.atthasdef, a.attidentity::text, pg_get_expr(d.adbin, d.adrelid), a.attcollation::int,"
            " col_description(a.attrelid, a.attnum)"
            " from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum"
            " where a.attrelid = %s::regclass and a.attnum > 0 order by a.attnum", (table,)).fetchall()
        relid = _rem_rel(ctx, table)
        defaults = {r["adnum"]: r["adbin"] for r in scan(ctx, "pg_catalog", "pg_attrdef") if r["adrelid"] == relid}
        rem_rows = [
            (a["attname"], a["attnum"], call("format_type", ctx, a["atttypid"], a["atttypmod"]), a["atttypmod"],
             a["attnotnull"], a["atthasdef"], a["attidentity"], call("pg_get_expr", ctx, defaults.get(a["attnum"]),
                                                                     relid),
             a["attcollation"], call("col_description", ctx, relid, a["attnum"]))
            for a in scan(ctx, "pg_catalog", "pg_attribute") if a["attrelid"] == relid and a["attnum"] > 0]
        assert rem_rows == pg_rows


def test_constraint_definitions(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    pg = ref.execute(
        "select conname::text, contype::text, pg_get_constraintdef(oid, true), pg_get_constraintdef(oid), conkey,"
        " confkey, confdeltype::text, confupdtype::text, conindid::regclass::text"
        " from pg_constraint where conrelid in ('docs'::regclass, 't2'::regclass) order by 1").fetchall()
    names = {r["oid"]: r["relname"] for r in scan(ctx, "pg_catalog", "pg_class")}
    rem = sorted(
        (c["conname"], c["contype"], call("pg_get_constraintdef", ctx, c["oid"], True),
         call("pg_get_constraintdef", ctx, c["oid"], arg_oids=(26,)), c["conkey"], c["confkey"],
         c["confdeltype"], c["confupdtype"], names.get(c["conindid"], "-"))
        for c in scan(ctx, "pg_catalog", "pg_constraint") if names.get(c["conrelid"]) in ("docs", "t2"))
    assert rem == pg


def test_index_definitions_and_pg_index(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    pg = ref.execute(
        "select c.relname::text, pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 0, true),"
        " pg_get_indexdef(i.indexrelid, 1, true), i.indkey::int2[], i.indclass::oid[]::int[],"
        " i.indoption::int2[], i.indisunique, i.indisprimary, i.indnatts::int"
        " from pg_index i join pg_class c on c.oid = i.indexrelid"
        " where i.indrelid in ('docs'::regclass, 't2'::regclass) order by 1").fetchall()
    names = {r["oid"]: r["relname"] for r in scan(ctx, "pg_catalog", "pg_class")}
    rem = sorted(
        (names[i["indexrelid"]], call("pg_get_indexdef", ctx, i["indexrelid"], arg_oids=(26,)),
         call("pg_get_indexdef", ctx, i["indexrelid"], 0, True), call("pg_get_indexdef", ctx, i["indexrelid"], 1, True),
         i["indkey"], i["indclass"], i["indoption"], i["indisunique"], i["indisprimary"], i["indnatts"])
        for i in scan(ctx, "pg_catalog", "pg_index") if names[i["indrelid"]] in ("docs", "t2"))
    assert rem == pg


def test_pg_class_rows_and_sequences(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    cols = ("relname::text, relkind::text, relnatts::int, relchecks::int, relhasindex, relpersistence::text,"
            " relhastriggers")
    pg = ref.execute(f"select {cols} from pg_class where relname in"
                     " ('docs', 't2', 'docs_id_seq', 't2_a_seq', 't2_b_seq', 'docs_pkey', 'docs_desc') order by 1"
                     ).fetchall()
    rem = sorted((r["relname"], r["relkind"], r["relnatts"], r["relchecks"], r["relhasindex"], r["relpersistence"],
                  r["relhastriggers"])
                 for r in scan(ctx, "pg_catalog", "pg_class")
                 if r["relname"] in ("docs", "t2", "docs_id_seq", "t2_a_seq", "t2_b_seq", "docs_pkey", "docs_desc"))
    assert rem == pg
    for table, col in (("docs", "id"), ("t2", "a"), ("public.t2", "b"), ("docs", "body")):
        expected = ref.execute("select pg_get_serial_sequence(%s, %s)", (table, col)).fetchone()[0]
        assert call("pg_get_serial_sequence", ctx, table, col) == expected
    pg_seq = ref.execute("select seqtypid::int, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle"
                         " from pg_sequence order by seqrelid").fetchall()
    rem_seq = [(s["seqtypid"], s["seqstart"], s["seqincrement"], s["seqmax"], s["seqmin"], s["seqcache"],
                s["seqcycle"]) for s in scan(ctx, "pg_catalog", "pg_sequence")]
    assert sorted(rem_seq) == sorted(pg_seq)


def test_information_schema_columns_and_constraints(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    cols = ("table_name", "column_name", "ordinal_position", "column_default", "is_nullable", "data_type",
            "character_maximum_length", "numeric_precision", "numeric_precision_radix", "numeric_scale",
            "datetime_precision", "udt_name", "is_identity", "identity_generation", "dtd_identifier")
    pg = ref.execute(f"select {', '.join(cols)} from information_schema.columns"
                     " where table_schema = 'public' order by table_name, ordinal_position").fetchall()
    # Only the tables created here: other modules register virtual views in public (rem_jobs, rem_edges …).
    created = {t.name for t in ctx.db.registry.tables()}
    rem = [tuple(r[c] for c in cols) for r in scan(ctx, "information_schema", "columns")
           if r["table_schema"] == "public" and r["table_name"] in created]
    assert len(pg) == 11 and sorted(rem) == sorted(pg)
    kcols = ("constraint_name", "table_name", "column_name", "ordinal_position", "position_in_unique_constraint")
    pg_k = ref.execute(f"select {', '.join(kcols)} from information_schema.key_column_usage"
                       " where table_schema = 'public'").fetchall()
    rem_k = [tuple(r[c] for c in kcols) for r in scan(ctx, "information_schema", "key_column_usage")
             if r["table_schema"] == "public"]
    assert len(pg_k) == 5 and sorted(rem_k) == sorted(pg_k)
    tcols = ("constraint_name", "table_name", "constraint_type", "is_deferrable", "initially_deferred")
    pg_t = ref.execute(f"select {', '.join(tcols)} from information_schema.table_constraints"
                       " where table_schema = 'public' and constraint_type <> 'CHECK'").fetchall()
    rem_t = [tuple(r[c] for c in tcols) for r in scan(ctx, "information_schema", "table_constraints")
             if r["table_schema"] == "public" and r["constraint_type"] != "CHECK"]
    assert sorted(rem_t) == sorted(pg_t)


def test_rem_table_without_declared_key_reports_id_primary_key_and_vector_index() -> None:
    ctx = make_ctx()
    classes = {r["relname"]: r for r in scan(ctx, "pg_catalog", "pg_class")}
    notes = classes["notes"]
    cons = [c for c in scan(ctx, "pg_catalog", "pg_constraint") if c["conrelid"] == notes["oid"]]
    assert [(c["conname"], c["contype"], c["conkey"]) for c in cons] == [("notes_pkey", "p", [1])]
    idx = classes["notes_embedding_idx"]
    assert call("pg_get_indexdef", ctx, idx["oid"], arg_oids=(26,)) == (
        "CREATE INDEX notes_embedding_idx ON rem_schema.notes USING hnsw (embedding vector_cosine_ops) WITH (m='16')")
    am = {r["oid"]: r["amname"] for r in scan(ctx, "pg_catalog", "pg_am")}
    assert am[idx["relam"]] == "hnsw"
    ns = {r["oid"]: r["nspname"] for r in scan(ctx, "pg_catalog", "pg_namespace")}
    assert ns[notes["relnamespace"]] == "rem_schema"
    assert call("pg_table_is_visible", ctx, notes["oid"]) is False
    assert call("pg_table_is_visible", ctx, classes["docs"]["oid"]) is True
    ctx2 = make_ctx(settings={"search_path": "rem_schema, public"})
    assert call("pg_table_is_visible", ctx2, notes["oid"]) is True
    assert call("current_schemas", ctx2, False) == ["rem_schema", "public"]


DEFAULTS = [("numeric", "0"), ("int", "5"), ("text", "'x'"), ("varchar(3)", "'y'"), ("timestamptz", "now()"),
            ("boolean", "true"), ("float8", "1.5"), ("jsonb", "'{}'"), ("uuid", "gen_random_uuid()"),
            ("int", "-1"), ("date", "current_date"), ("text[]", "'{}'"), ("numeric(5,2)", "1.25"),
            ("bigint", "7"), ("jsonb", "'{\"a\": 1}'::jsonb"), ("boolean", "false"),
            ("timestamptz", "now() + interval '1 day'"), ("text", "'it''s'")]


def test_default_expressions_print_like_pg_get_expr(ref: psycopg.Connection) -> None:
    """Defaults as the SQL layer stores them (sqlglot's rendering) print the way PostgreSQL deparses them."""
    import sqlglot

    from engine.catalog.exprs import default_expr
    from engine.sql.sqltypes import datatype_oid

    cols = ", ".join(f"c{i} {t} default {d}" for i, (t, d) in enumerate(DEFAULTS))
    ref.execute("drop table if exists dflt")
    ref.execute(f"create table dflt ({cols})")
    try:
        pg = [r[0] for r in ref.execute("select pg_get_expr(adbin, adrelid) from pg_attrdef"
                                        " where adrelid = 'dflt'::regclass order by adnum").fetchall()]
    finally:
        ref.execute("drop table dflt")
    rem = []
    for t, d in DEFAULTS:
        stored = sqlglot.parse_one(d, read="postgres").sql(dialect="postgres")
        oid = datatype_oid(sqlglot.parse_one(f"cast(null as {t})", read="postgres").args["to"])[0]
        rem.append(default_expr(stored, oid))
    assert rem == pg
