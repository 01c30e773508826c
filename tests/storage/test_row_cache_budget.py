"""Row cache budget: commits grow a cached table until the budget is passed, then the largest tables are
forgotten (their reads fall back to RocksDB and still see every row)."""

from __future__ import annotations

from pathlib import Path

from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.storage import open_store


def _table(name: str) -> TableDef:
    return TableDef(name=name, columns=[ColumnDef("k", T.INT4), ColumnDef("v", T.TEXT)], primary_key=["k"])


def test_commits_evict_over_budget_and_reads_stay_right(tmp_path: Path) -> None:
    st = open_store(Settings(data_dir=tmp_path / "db", extra={"P8_ROW_CACHE_ROWS": "50"}))
    try:
        a = st.registry.create(_table("a"))
        b = st.registry.create(_table("b"))
        cache = st.cache
        for t in (a, b):
            cache.start_empty(t)
        for k in range(20):  # 20 + 20 rows: within the budget, both stay cached
            for t in (a, b):
                tx = st.begin()
                tx.insert(t, [{"k": k, "v": f"{t.name}{k}"}])
                tx.commit()
        assert set(cache.tables) >= {a.oid, b.oid}
        assert cache._size() == 40
        tx = st.begin()
        tx.insert(a, [{"k": 100 + k, "v": "x"} for k in range(15)])  # 55 rows: over, "a" (35 rows) goes
        tx.commit()
        assert a.oid not in cache.tables and b.oid in cache.tables
        assert cache._size() <= 50
        tx = st.begin()
        assert tx.count(a) == 35 and len(list(tx.scan(a))) == 35
        assert len(list(tx.scan(b))) == 20
        tx.rollback()
        for k in range(20, 60):  # "b" alone grows past the budget one commit at a time: evicted at 51 rows
            tx = st.begin()
            tx.insert(b, [{"k": k, "v": "y"}])
            tx.commit()
            assert (b.oid in cache.tables) == (k + 1 <= 50)
        tx = st.begin()
        assert tx.count(b) == 60 and len(list(tx.scan(b))) == 60
        tx.rollback()
    finally:
        st.close()
