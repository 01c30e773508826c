"""Every pg_catalog / information_schema relation REM registers has PostgreSQL 15's exact columns and type OIDs."""

from __future__ import annotations

import psycopg
import pytest

import engine.catalog  # noqa: F401  (registers the catalogs)
from engine.catalog import oids
from engine.virtual import all_virtual, lookup_virtual
from tests.catalog.standin import make_ctx

CATALOG_SCHEMAS = ("pg_catalog", "information_schema")


def _postgres_relation(vt) -> bool:
    """One of PostgreSQL's catalog relations (REM's own system views ``rem_*`` live in pg_catalog too)."""
    return vt.schema in CATALOG_SCHEMAS and not vt.name.startswith("rem_")


@pytest.fixture(scope="module")
def pg_relations(pg_dsn: str) -> dict[tuple[str, str], tuple[int, list[tuple[str, int]]]]:
    out = {}
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        rels = conn.execute(
            "select n.nspname, c.relname, c.oid::int from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname in ('pg_catalog', 'information_schema') and c.relkind in ('r', 'v')").fetchall()
        for schema, name, oid in rels:
            cur = conn.execute(f'select * from "{schema}"."{name}" limit 0')
            out[(schema, name)] = (oid, [(d.name, d.type_code) for d in cur.description])
    return out


def test_every_postgres_catalog_relation_exists(pg_relations: dict) -> None:
    missing = [k for k in pg_relations if lookup_virtual(*k) is None]
    assert missing == []


def test_columns_and_type_oids_match_postgres(pg_relations: dict) -> None:
    mismatched = []
    for vt in all_virtual():
        if not _postgres_relation(vt):
            continue
        oid, cols = pg_relations[(vt.schema, vt.name)]
        if list(vt.columns) != cols or vt.oid != oid:
            mismatched.append((vt.schema, vt.name))
    assert mismatched == []


def test_rows_have_one_value_per_column() -> None:
    ctx = make_ctx()
    for vt in all_virtual():
        if _postgres_relation(vt):
            for row in vt.rows(ctx):
                assert len(row) == len(vt.columns), vt.name


def test_catalog_relations_appear_in_pg_class_with_fixed_oids() -> None:
    vt = lookup_virtual("pg_catalog", "pg_class")
    assert vt is not None
    rows = {r[1]: r[0] for r in vt.rows(make_ctx())}
    assert rows["pg_class"] == 1259 == oids.PG_CLASS
    assert rows["pg_type"] == 1247 and rows["pg_attribute"] == 1249 and rows["pg_proc"] == 1255
    assert rows["pg_namespace"] == 2615
