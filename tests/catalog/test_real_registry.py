"""Catalogs over a real RocksDB store: REM's registry-made TableDefs, stable OIDs across a restart, roles."""

from __future__ import annotations

from pathlib import Path

import engine.catalog  # noqa: F401
from engine import types as T
from engine.schema.model import ColumnDef, ConstraintDef, TableDef
from engine.settings import Settings
from engine.storage import open_store
from tests.catalog.standin import Ctx, Session, call, scan


def _ctx(store, settings: Settings) -> Ctx:
    class Db:
        pass

    db = Db()
    db.registry, db.store, db.settings = store.registry, store, settings  # type: ignore[attr-defined]
    return Ctx(db, Session(), store.begin())  # type: ignore[arg-type]


def _catalog_view(ctx: Ctx) -> dict[str, object]:
    cls = {r["relname"]: (r["oid"], r["relkind"]) for r in scan(ctx, "pg_catalog", "pg_class") if r["oid"] >= 16384}
    cons = sorted((c["conname"], c["contype"], c["oid"], c["conindid"], c["conkey"])
                  for c in scan(ctx, "pg_catalog", "pg_constraint"))
    types = sorted((t["typname"], t["oid"]) for t in scan(ctx, "pg_catalog", "pg_type") if t["typrelid"] >= 16384)
    return {"class": cls, "constraints": cons, "types": types}


def test_registry_tables_in_catalogs_and_oids_survive_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "db")
    store = open_store(settings)
    store.registry.create(TableDef(
        name="users", primary_key=["id"],
        columns=[ColumnDef("id", T.INT4), ColumnDef("name", T.TEXT, not_null=True),
                 ColumnDef("age", T.INT4, indexed=True), ColumnDef("email", T.VARCHAR, 104)],
        constraints=[ConstraintDef(name="users_email_key", kind="u", columns=["email"])]))
    store.registry.create(TableDef(name="notes", columns=[ColumnDef("body", T.TEXT)]))
    store.set_role("alice", superuser=False)
    ctx = _ctx(store, settings)
    before = _catalog_view(ctx)
    attrs = [(a["attname"], a["attnum"], call("format_type", ctx, a["atttypid"], a["atttypmod"]), a["attnotnull"])
             for a in scan(ctx, "pg_catalog", "pg_attribute")
             if a["attrelid"] == before["class"]["users"][0] and a["attnum"] > 0]  # type: ignore[index]
    assert attrs == [("id", 1, "integer", True), ("name", 2, "text", True), ("age", 3, "integer", False),
                     ("email", 4, "character varying(100)", False)]
    notes_cols = [a["attname"] for a in scan(ctx, "pg_catalog", "pg_attribute")
                  if a["attrelid"] == before["class"]["notes"][0] and a["attnum"] > 0]  # type: ignore[index]
    assert notes_cols == ["id", "body"]
    defs = sorted(call("pg_get_constraintdef", ctx, c[2], True) for c in before["constraints"])  # type: ignore[union-attr]
    assert defs == ["PRIMARY KEY (id)", "PRIMARY KEY (id)", "UNIQUE (email)"]
    kinds = {k: v[1] for k, v in before["class"].items()}  # type: ignore[union-attr]
    assert kinds["users_pkey"] == "i" and kinds["users_email_key"] == "i" and kinds["users_age_idx"] == "i"
    roles = {r["rolname"]: r["rolsuper"] for r in scan(ctx, "pg_catalog", "pg_roles")
             if not r["rolname"].startswith("pg_")}
    assert roles == {"rem": True, "alice": False}
    store.close()

    store = open_store(settings)
    try:
        assert _catalog_view(_ctx(store, settings)) == before
    finally:
        store.close()
