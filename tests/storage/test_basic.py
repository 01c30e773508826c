"""Store basics on real RocksDB: open/close/reopen, registry create/get, Txn insert/scan/get/lookup/commit."""

from __future__ import annotations

import pytest

from engine import errors as E
from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.storage import RemStore, open_store


def test_reopen_keeps_tables_and_rows(settings: Settings) -> None:
    st = open_store(settings)
    t = st.registry.create(TableDef(name="notes", columns=[ColumnDef("title", T.TEXT)], key_field="title"))
    tx = st.begin()
    tx.insert(t, [{"title": "a"}, {"title": "b"}])
    tx.commit()
    st.close()
    st = open_store(settings)
    try:
        t2 = st.registry.get("notes")
        assert t2 is not None and t2.oid == t.oid
        assert sorted(r["title"] for r in st.begin().scan(t2)) == ["a", "b"]
    finally:
        st.close()


def test_second_opener_gets_lock_error(store: RemStore, settings: Settings) -> None:
    with pytest.raises(E.LockNotAvailable, match="is locked by another REM process"):
        open_store(settings)


def test_insert_scan_get_lookup_range(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    rows = tx.insert(users, [{"id": i, "name": f"n{i}", "age": i % 10, "email": f"e{i}"} for i in range(50)])
    assert rows[0]["entity_type"] == "users" and rows[0]["created_at"] is not None
    tx.commit()
    tx = store.begin()
    assert tx.count(users) == 50
    assert sorted(r["id"] for r in tx.scan(users)) == list(range(50))
    ids = tx.lookup(users, "age", [3])
    assert sorted(r["id"] for r in tx.get(users, ids)) == [3, 13, 23, 33, 43]
    assert len(tx.range(users, "age", 2, 4)) == 15
    assert len(tx.range(users, "age", 2, 4, lo_inclusive=False, hi_inclusive=False)) == 5
    assert len(tx.range(users, "age", None, 1)) == 10
    [i5] = tx.lookup(users, "id", [5])
    assert tx.get(users, [i5])[0]["name"] == "n5"


def test_oids_are_stable_and_increasing(store: RemStore) -> None:
    a = store.registry.create(TableDef(name="a", columns=[ColumnDef("x", T.INT4)]))
    b = store.registry.create(TableDef(name="b", columns=[ColumnDef("x", T.INT4)]))
    assert a.oid >= T.FIRST_USER_OID and b.oid > a.oid and a.rowtype_oid
    assert store.registry.get_by_oid(a.oid) is a
    with pytest.raises(E.DuplicateTable):
        store.registry.create(TableDef(name="a", columns=[ColumnDef("x", T.INT4)]))
    assert store.registry.create(TableDef(name="a", columns=[]), if_not_exists=True) is a


def test_wal_records_follow_commits(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    rows = tx.insert(users, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    tx.commit()
    tx = store.begin()
    tx.delete(users, [rows[0]["_id"]])
    tx.commit()
    recs = list(store.wal_records())
    assert [[c[1] for c in r["changes"]] for _, r in recs] == [["u", "u"], ["d"]]
    assert recs[1][1]["changes"][0][2] == rows[0]["_id"].bytes and recs[1][0] > recs[0][0]
    store.trim_wal(recs[0][0])
    assert [s for s, _ in store.wal_records()] == [recs[1][0]]
    assert list(store.wal_records(after_seq=recs[1][0])) == []


def test_unusable_data_dir_is_an_io_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(E.RemError):
        open_store(Settings(data_dir=f))


def test_close_releases_the_lock_with_live_transactions(settings: Settings) -> None:
    st = open_store(settings)
    t = st.registry.create(TableDef(name="n", columns=[ColumnDef("title", T.TEXT)], key_field="title"))
    tx = st.begin()
    tx.insert(t, [{"title": "a"}])
    tx.commit()
    reader = st.begin()
    assert reader.count(t) == 1 and len(list(reader.scan(t))) == 1  # holds a statement view
    st.close()
    st2 = open_store(settings)  # same process: every handle was dropped
    try:
        assert st2.begin().count(st2.registry.get("n")) == 1  # type: ignore[arg-type]
    finally:
        st2.close()
