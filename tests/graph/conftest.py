"""Fixtures of the graph tests: a real RocksDB store holding the golden graph, and its graph service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.graph.service import GraphService
from engine.schema.model import TableDef
from engine.settings import Settings
from engine.storage import RemStore, open_store
from tests.graph.golden import EDGES, NODES

TABLES = ("people", "meetings", "documents")


def make_tables(store: RemStore) -> dict[str, TableDef]:
    out = {}
    for name in TABLES:
        out[name] = store.registry.register_json_schema({
            "title": name, "properties": {"name": {"type": "string"}, "note": {"type": "string"}},
            "json_schema_extra": {"name": name, "key_field": "name"}})
    return out


def load_golden(store: RemStore, tables: dict[str, TableDef]) -> dict[str, Any]:
    """Insert the golden nodes, then give each its edges (dst by key) in a second transaction."""
    tx = store.begin()
    ids = {}
    for n, t in NODES.items():
        [r] = tx.insert(tables[t], [{"name": n, "note": f"about {n}"}])
        ids[n] = r[tables[t].id_column]
    tx.commit()
    tx = store.begin()
    by_src: dict[str, list[dict[str, Any]]] = {}
    for s, d, rel, w in EDGES:
        by_src.setdefault(s, []).append({"dst": d, "rel_type": rel, "weight": w})
    for s, es in by_src.items():
        t = tables[NODES[s]]
        [row] = tx.get(t, [ids[s]])
        tx.update(t, [dict(row, edges=es)])
    tx.commit()
    return ids


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RemStore]:
    st = open_store(Settings(data_dir=tmp_path / "db"))
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def golden(store: RemStore) -> tuple[RemStore, dict[str, TableDef], dict[str, Any], GraphService]:
    """(store, tables, ids by name, service started before the data was written: all incremental)."""
    tables = make_tables(store)
    g = GraphService(store, store.registry)
    ids = load_golden(store, tables)
    return store, tables, ids, g
