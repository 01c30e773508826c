"""Catalog functions and pg_type rows agree with PostgreSQL 15 (differential, in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import engine.catalog  # noqa: F401
from engine import types as T
from engine.catalog.names import quote_ident
from engine.catalog.regcasts import reg_cast
from engine.errors import AmbiguousFunction, UndefinedObject, UndefinedTable
from tests.catalog.standin import call, make_ctx, scan


@pytest.fixture(scope="module")
def ref(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


def test_format_type_of_every_builtin_type(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    oids = [t.oid for t in T.all_types() if t.oid not in (T.VECTOR, T.VECTOR_ARRAY)]
    pg = ref.execute("select t::int, format_type(t, -1), format_type(t, null), t::regtype::text"
                     " from unnest(%s::oid[]) t order by 1", (oids,)).fetchall()
    rem = [(o, call("format_type", ctx, o, -1), call("format_type", ctx, o, None),
            reg_cast(o, T.REGTYPE, T.TEXT, ctx)) for o in sorted(oids)]
    assert rem == pg


@pytest.mark.parametrize("oid,typmod", [(1043, 24), (1042, 14), (1700, 655366), (1700, 1310724), (1114, 3),
                                        (1184, 0), (1083, 2), (1266, 6), (1015, 24), (1186, 2147418118), (1560, 8)])
def test_format_type_with_typmods(ref: psycopg.Connection, oid: int, typmod: int) -> None:
    expected = ref.execute("select format_type(%s, %s)", (oid, typmod)).fetchone()[0]
    assert call("format_type", make_ctx(), oid, typmod) == expected


def test_vector_types_format_like_pgvector() -> None:
    ctx = make_ctx()
    assert call("format_type", ctx, T.VECTOR, 3) == "vector(3)"
    assert call("format_type", ctx, T.VECTOR_ARRAY, -1) == "vector[]"
    assert call("to_regtype", ctx, "vector") == T.VECTOR
    assert call("format_type", make_ctx(settings={"search_path": "pg_catalog"}), T.VECTOR, 3) == "public.vector(3)"


@pytest.mark.parametrize("name", ["integer", "int", "int4", "varchar", "character varying(20)", "text[]",
                                  "double precision", "timestamp with time zone", "pg_catalog.int8", "_int4",
                                  "timestamp(3) without time zone", "hstore", "pg_class", "bool[][]", "\"char\""])
def test_to_regtype(ref: psycopg.Connection, name: str) -> None:
    expected = ref.execute("select to_regtype(%s)::int", (name,)).fetchone()[0]
    assert call("to_regtype", make_ctx(), name) == expected


def test_regtype_errors_and_regclass() -> None:
    ctx = make_ctx()
    with pytest.raises(UndefinedObject):
        reg_cast("hstore", T.TEXT, T.REGTYPE, ctx)
    with pytest.raises(UndefinedTable, match='relation "nope" does not exist'):
        reg_cast("nope", T.TEXT, T.REGCLASS, ctx)
    assert reg_cast("pg_catalog.pg_constraint", T.TEXT, T.REGCLASS, ctx) == 2606
    assert reg_cast("docs", T.UNKNOWN, T.REGCLASS, ctx) == 16500
    assert str(reg_cast(16500, T.OID, T.REGCLASS, ctx)) == "docs"
    assert reg_cast(reg_cast("'docs'".strip("'"), T.TEXT, T.REGCLASS, ctx), T.REGCLASS, T.TEXT, ctx) == "docs"
    assert reg_cast("16500", T.TEXT, T.REGCLASS, ctx) == 16500
    assert reg_cast(1259, T.REGCLASS, T.TEXT, ctx) == "pg_class"
    assert str(reg_cast(99999999, T.OID, T.REGCLASS, ctx)) == "99999999"
    assert call("to_regclass", ctx, "nope") is None
    assert call("to_regnamespace", ctx, "information_schema") == 13207


def test_regproc_matches_postgres(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    for name in ("array_in", "pg_catalog.array_in", "int4in", "record_out"):
        expected = ref.execute("select %s::regproc::oid::int", (name,)).fetchone()[0]
        assert reg_cast(name, T.TEXT, T.REGPROC, ctx) == expected
    with pytest.raises(AmbiguousFunction):
        reg_cast("pg_get_indexdef", T.TEXT, T.REGPROC, ctx)


def test_pg_type_rows_match_postgres(ref: psycopg.Connection) -> None:
    cols = ("oid", "typname", "typnamespace", "typlen", "typbyval", "typtype", "typcategory", "typdelim",
            "typrelid", "typelem", "typarray", "typinput", "typoutput", "typreceive", "typsend", "typmodin",
            "typmodout", "typanalyze", "typsubscript", "typalign", "typstorage", "typbasetype", "typcollation")
    casted = [c + "::text" if c.startswith("typ") and c in ("typinput", "typoutput", "typreceive", "typsend",
                                                           "typmodin", "typmodout", "typanalyze", "typsubscript")
              else c + "::int" if c in ("oid", "typnamespace", "typrelid", "typelem", "typarray", "typbasetype",
                                        "typcollation", "typlen") else c + "::text" if c in (
        "typname", "typtype", "typcategory", "typdelim", "typalign", "typstorage") else c for c in cols]
    pg = {r[0]: r for r in ref.execute(f"select {', '.join(casted)} from pg_type where typnamespace = 11"
                                       " and typrelid = 0").fetchall()}
    rem = {r["oid"]: tuple(str(r[c]) if c in ("typinput", "typoutput", "typreceive", "typsend", "typmodin",
                                              "typmodout", "typanalyze", "typsubscript") else r[c] for c in cols)
           for r in scan(make_ctx(), "pg_catalog", "pg_type")}
    diffs = [(o, pg[o], rem.get(o)) for o in pg if rem.get(o) != pg[o]]
    assert diffs == []


def test_catalog_composite_types_match_postgres(ref: psycopg.Connection) -> None:
    pg = dict(ref.execute("select typname::text, oid::int from pg_type where typrelid in"
                          " ('pg_class'::regclass, 'pg_database'::regclass, 'pg_attribute'::regclass)").fetchall())
    rem = {r["typname"]: r["oid"] for r in scan(make_ctx(), "pg_catalog", "pg_type")
           if r["typname"] in pg}
    assert rem == pg


@pytest.mark.parametrize("n", [0, 1, 10239, 10240, 10752, 20971519, 20971520, 123456789012, -10752,
                               1 << 50, 1 << 60, -(1 << 62)])
def test_pg_size_pretty(ref: psycopg.Connection, n: int) -> None:
    assert call("pg_size_pretty", make_ctx(), n) == ref.execute("select pg_size_pretty(%s::int8)", (n,)).fetchone()[0]


def test_quote_ident_and_keywords(ref: psycopg.Connection) -> None:
    words = [r[0] for r in ref.execute("select word from pg_get_keywords()").fetchall()]
    words += ["docs", "Odd Name", "a\"b", "_x1", "1abc", "my$col"]
    pg = [r[0] for r in ref.execute("select quote_ident(w) from unnest(%s::text[]) w", (words,)).fetchall()]
    assert [quote_ident(w) for w in words] == pg
    rem_kw = list(call("pg_get_keywords", make_ctx()))
    pg_kw = ref.execute("select word, catcode::text, barelabel, catdesc, baredesc from pg_get_keywords()").fetchall()
    assert sorted(rem_kw) == sorted(pg_kw)


def test_session_functions() -> None:
    ctx = make_ctx(user="alice")
    assert call("current_user", ctx) == "alice" and call("session_user", ctx) == "alice"
    assert call("current_database", ctx) == "postgres" and call("current_catalog", ctx) == "postgres"
    assert call("current_schema", ctx) == "public"
    assert call("current_schemas", ctx, True) == ["pg_catalog", "public"]
    assert call("pg_get_userbyid", ctx, 10) == "rem"
    roles = {r["rolname"]: r["oid"] for r in scan(ctx, "pg_catalog", "pg_roles")}
    assert roles["rem"] == 10 and call("pg_get_userbyid", ctx, roles["alice"]) == "alice"
    assert call("pg_get_userbyid", ctx, 4) == "unknown (OID=4)"
    assert call("pg_backend_pid", ctx) == 4242
    assert call("pg_encoding_to_char", ctx, 6) == "UTF8"
    assert call("has_table_privilege", ctx, "docs", "select") is True
    assert call("obj_description", ctx, 16500, "pg_class") == "the docs"
    assert call("pg_relation_is_publishable", ctx, 16500) is True
    assert call("pg_relation_is_publishable", ctx, 1259) is False


def test_pg_settings_and_small_catalogs() -> None:
    ctx = make_ctx()
    settings = {r["name"]: r for r in scan(ctx, "pg_catalog", "pg_settings")}
    assert settings["work_mem"]["setting"] == "4096" and settings["work_mem"]["unit"] == "kB"
    assert settings["statement_timeout"]["vartype"] == "integer"
    assert settings["application_name"]["setting"] == "tests"
    assert settings["max_index_keys"]["setting"] == "32" and settings["max_index_keys"]["context"] == "internal"
    assert [r["extname"] for r in scan(ctx, "pg_catalog", "pg_extension")] == ["plpgsql", "vector"]
    assert [r["datname"] for r in scan(ctx, "pg_catalog", "pg_database")] == ["postgres"]
    stats = {r["relname"]: r["n_live_tup"] for r in scan(ctx, "pg_catalog", "pg_stat_user_tables")}
    assert stats == {"docs": 3, "t2": 0, "notes": 0}
    nsp = [r["nspname"] for r in scan(ctx, "pg_catalog", "pg_namespace")]
    assert nsp == ["pg_catalog", "pg_toast", "information_schema", "public", "rem_schema"]
    tables = {(r["schemaname"], r["tablename"]) for r in scan(ctx, "pg_catalog", "pg_tables")}
    assert ("public", "docs") in tables and ("pg_catalog", "pg_class") in tables
    assert ("public", "docs", "docs_body_idx", None,
            "CREATE INDEX docs_body_idx ON public.docs USING btree (body)") in {
        tuple(r.values()) for r in scan(ctx, "pg_catalog", "pg_indexes")}


def test_reg_hooks_of_textio_and_casts() -> None:
    from engine import textio
    from engine.catalog import bind
    from engine.sql import casts

    bind(make_ctx())
    assert casts.cast("docs", T.TEXT, T.REGCLASS) == 16500
    assert casts.cast(casts.cast(16500, T.OID, T.REGCLASS), T.REGCLASS, T.TEXT) == "docs"
    assert casts.cast("pg_catalog.array_in", T.UNKNOWN, T.REGPROC) == 750
    assert textio.format_text(T.REGCLASS, 1259) == "pg_class"
    assert textio.format_text(T.REGPROC, 750) == "array_in"
    assert textio.format_text(T.REGNAMESPACE, 2200) == "public"
    assert textio.parse_text(T.REGTYPE, "character varying") == T.VARCHAR
    with pytest.raises(UndefinedTable):
        textio.parse_text(T.REGCLASS, "no_such_table")


def test_pg_proc_lists_rem_functions_in_public_and_builtins_with_postgres_oids(ref: psycopg.Connection) -> None:
    from engine.functions import FunctionDef, register

    register(FunctionDef("rem_catalog_probe", lambda a, b: None, T.INT8, (T.TEXT, T.INT4), set_returning=True,
                         columns=(("n", T.INT8),)))
    ctx = make_ctx()
    procs = {(r["proname"], tuple(r["proargtypes"])): r for r in scan(ctx, "pg_catalog", "pg_proc")}
    probe = procs[("rem_catalog_probe", (T.TEXT, T.INT4))]
    assert probe["pronamespace"] == 2200 and probe["proretset"] is True
    assert call("pg_get_function_arguments", ctx, probe["oid"]) == "text, integer"
    assert call("pg_get_function_result", ctx, probe["oid"]) == "SETOF bigint"
    assert call("pg_function_is_visible", ctx, probe["oid"]) is True
    expected = ref.execute("select oid::int, pg_get_function_arguments(oid), pg_get_function_result(oid)"
                           " from pg_proc where proname = 'pg_get_indexdef' order by oid").fetchall()
    rem = sorted((r["oid"], call("pg_get_function_arguments", ctx, r["oid"]),
                  call("pg_get_function_result", ctx, r["oid"]))
                 for (name, _), r in procs.items() if name == "pg_get_indexdef")
    assert rem == expected
    descs = {r["objoid"]: r["description"] for r in scan(ctx, "pg_catalog", "pg_description")
             if r["classoid"] == 3079}
    assert sorted(descs.values()) == ["PL/pgSQL procedural language",
                                      "vector data type and ivfflat and hnsw access methods"]


def test_schemas_and_roles_like_postgres(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    pg = ref.execute("select n.nspname::text, pg_get_userbyid(n.nspowner)::text from pg_namespace n"
                     " where nspname in ('public', 'pg_catalog', 'information_schema') order by 1").fetchall()
    rem = sorted((r["nspname"], call("pg_get_userbyid", ctx, r["nspowner"]))
                 for r in scan(ctx, "pg_catalog", "pg_namespace")
                 if r["nspname"] in ("public", "pg_catalog", "information_schema"))
    assert rem == pg
    pg_roles = ref.execute("select oid::int, rolname::text, rolcanlogin from pg_roles where rolname like 'pg%'"
                           " order by 1").fetchall()
    rem_roles = [(r["oid"], r["rolname"], r["rolcanlogin"]) for r in scan(ctx, "pg_catalog", "pg_roles")
                 if r["rolname"].startswith("pg")]
    assert rem_roles == pg_roles
    assert [r["usename"] for r in scan(ctx, "pg_catalog", "pg_user")] == ["rem"]


def test_information_schema_domains(ref: psycopg.Connection) -> None:
    ctx = make_ctx()
    pg = ref.execute("select oid::int, typname::text, typtype::text, typbasetype::int, typtypmod, typarray::int,"
                     " format_type(oid, null), to_regtype('information_schema.' || typname)::int"
                     " from pg_type where typnamespace = 'information_schema'::regnamespace and typtype in ('d', 'b')"
                     " and (typtype = 'd' or typelem in (select oid from pg_type where typtype = 'd')) order by 1"
                     ).fetchall()
    rows = {r["oid"]: r for r in scan(ctx, "pg_catalog", "pg_type")}
    rem = [(o, rows[o]["typname"], rows[o]["typtype"], rows[o]["typbasetype"], rows[o]["typtypmod"],
            rows[o]["typarray"], call("format_type", ctx, o, None),
            call("to_regtype", ctx, "information_schema." + rows[o]["typname"])) for o, *_ in pg]
    assert len(pg) == 10 and rem == pg
