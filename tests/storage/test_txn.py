"""Transaction overlay semantics on real RocksDB: visibility, rollback, savepoints, unique violations, soft delete."""

from __future__ import annotations

import threading

import pytest

from engine import errors as E
from engine.schema.model import TableDef
from engine.storage import RemStore


def _ins(store: RemStore, t: TableDef, rows: list[dict]) -> None:
    tx = store.begin()
    tx.insert(t, rows)
    tx.commit()


def test_own_writes_visible_others_only_after_commit(store: RemStore, users: TableDef) -> None:
    a, b = store.begin(), store.begin()
    a.insert(users, [{"id": 1, "name": "x", "age": 3}])
    assert a.count(users) == 1 and [r["id"] for r in a.scan(users)] == [1]
    assert a.lookup(users, "age", [3]) and a.range(users, "age", 3, 3)
    assert b.count(users) == 0 and b.lookup(users, "age", [3]) == []
    a.commit()
    b.new_statement()
    assert b.count(users) == 1
    assert store.begin().count(users) == 1


def test_statement_view_is_stable_until_new_statement(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": 1, "name": "x", "age": 1}])
    r = store.begin()
    assert r.count(users) == 1
    _ins(store, users, [{"id": 2, "name": "y", "age": 1}])
    assert r.count(users) == 1 and len(list(r.scan(users))) == 1 and len(r.lookup(users, "age", [1])) == 1
    r.new_statement()
    assert r.count(users) == 2 and len(r.lookup(users, "age", [1])) == 2


def test_rollback_discards(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    tx.insert(users, [{"id": 1, "name": "x"}])
    tx.rollback()
    assert store.begin().count(users) == 0


def test_savepoints(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    tx.insert(users, [{"id": 1, "name": "a", "age": 1}])
    tx.savepoint("s1")
    tx.insert(users, [{"id": 2, "name": "b", "age": 1}])
    [i1] = tx.lookup(users, "id", [1])
    tx.delete(users, [i1])
    tx.savepoint("s2")
    tx.insert(users, [{"id": 3, "name": "c", "age": 1}])
    assert sorted(r["id"] for r in tx.scan(users)) == [2, 3]
    tx.rollback_to("s1")
    assert sorted(r["id"] for r in tx.scan(users)) == [1]
    assert len(tx.lookup(users, "age", [1])) == 1
    with pytest.raises(E.InvalidSavepointSpecification):
        tx.rollback_to("s2")
    tx.release("s1")
    with pytest.raises(E.InvalidSavepointSpecification, match='savepoint "s1" does not exist'):
        tx.rollback_to("s1")
    tx.commit()
    assert [r["id"] for r in store.begin().scan(users)] == [1]


def test_failed_statement_leaves_no_partial_rows(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    with pytest.raises(E.UniqueViolation):
        tx.insert(users, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 1, "name": "c"}])
    assert tx.count(users) == 0


def test_unique_violations_pg_format(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": 1, "name": "a", "email": "a@x"}])
    tx = store.begin()
    with pytest.raises(E.UniqueViolation) as e:
        tx.insert(users, [{"id": 1, "name": "b"}])
    assert e.value.sqlstate == "23505"
    assert e.value.message == 'duplicate key value violates unique constraint "users_pkey"'
    assert e.value.detail == "Key (id)=(1) already exists."
    with pytest.raises(E.UniqueViolation) as e:
        tx.insert(users, [{"id": 2, "name": "b", "email": "a@x"}])
    assert 'constraint "users_email_key"' in e.value.message and e.value.detail == "Key (email)=(a@x) already exists."
    tx.insert(users, [{"id": 2, "name": "b", "email": "b@x"}])
    with pytest.raises(E.UniqueViolation):  # against the overlay
        tx.insert(users, [{"id": 3, "name": "c", "email": "b@x"}])
    tx.insert(users, [{"id": 4, "name": "d"}, {"id": 5, "name": "e"}])  # NULLs never collide


def test_find_conflict_and_upsert_by_update(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": 1, "name": "a", "age": 1, "email": "a@x"}])
    tx = store.begin()
    old = tx.find_conflict(users, {"id": 1, "name": "zz"})
    assert old is not None and old["name"] == "a"
    assert tx.find_conflict(users, {"id": 9, "email": "a@x"})["id"] == 1  # type: ignore[index]
    assert tx.find_conflict(users, {"id": 9, "email": "q"}) is None
    new = dict(old, name="b", age=2)
    [r] = tx.update(users, [new])
    assert r["created_at"] == old["created_at"] and r["modified_at"] >= old["modified_at"]
    tx.commit()
    tx = store.begin()
    assert tx.lookup(users, "age", [1]) == [] and len(tx.lookup(users, "age", [2])) == 1


def test_update_of_primary_key_moves_the_row(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    tx = store.begin()
    [r1] = tx.get(users, tx.lookup(users, "id", [1]))
    with pytest.raises(E.UniqueViolation):
        tx.update(users, [dict(r1, id=2)])
    tx.update(users, [dict(r1, id=3)])
    tx.commit()
    tx = store.begin()
    assert sorted(r["id"] for r in tx.scan(users)) == [2, 3]
    tx.insert(users, [{"id": 1, "name": "again"}])  # the old key is free again
    tx.commit()


def test_soft_delete_hides_row_and_index_entries_then_vacuum(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": f"n{i}", "age": 7} for i in range(5)])
    tx = store.begin()
    ids = tx.lookup(users, "id", [0, 1])
    gone = tx.delete(users, ids)
    assert [r["id"] for r in gone] == [0, 1]
    tx.commit()
    tx = store.begin()
    assert tx.count(users) == 3 and tx.get(users, ids) == [None, None]
    assert len(tx.lookup(users, "age", [7])) == 3 and len(tx.range(users, "age", 0, 10)) == 3
    assert tx.lookup(users, "id", [0]) == []
    raw = store.rocks.cf["entities"]
    assert sum(1 for _ in raw.keys()) == 5
    assert store.vacuum(users) == 2
    assert sum(1 for _ in raw.keys()) == 3
    tx = store.begin()
    tx.insert(users, [{"id": 0, "name": "back"}])
    tx.commit()
    assert store.begin().count(users) == 4


def test_concurrent_insert_of_same_key_fails_at_commit(store: RemStore, users: TableDef) -> None:
    a, b = store.begin(), store.begin()
    a.insert(users, [{"id": 1, "name": "a"}])
    b.insert(users, [{"id": 1, "name": "b"}])
    a.commit()
    with pytest.raises(E.UniqueViolation):
        b.commit()
    assert [r["name"] for r in store.begin().scan(users)] == ["a"]


def test_reads_never_see_half_a_commit(store: RemStore, users: TableDef) -> None:
    """Rows and their index entries appear together: a reader checks counts through both paths."""
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            tx = store.begin()
            n = len(list(tx.scan(users)))
            m = len(tx.range(users, "age", 0, 100))
            if n != m or n % 10:
                errors.append(f"{n} rows vs {m} index entries")
            tx.rollback()

    th = threading.Thread(target=reader)
    th.start()
    try:
        for k in range(30):
            _ins(store, users, [{"id": k * 10 + j, "name": "x", "age": j} for j in range(10)])
    finally:
        stop.set()
        th.join()
    assert errors == []


def test_count_is_kept_with_the_rows(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": "x"} for i in range(10)])
    tx = store.begin()
    tx.delete(users, tx.lookup(users, "id", [1, 2, 3]))
    tx.insert(users, [{"id": 1, "name": "back"}, {"id": 20, "name": "new"}])
    assert tx.count(users) == 9 == len(list(tx.scan(users)))
    tx.commit()
    store.cache.tables.clear()
    assert store.begin().count(users) == 9
    store.vacuum(users)
    tx = store.begin()
    [r] = tx.get(users, tx.lookup(users, "id", [4]))
    tx.update(users, [dict(r, name="upd")])
    tx.commit()
    assert store.begin().count(users) == 9 == len(list(store.begin().scan(users)))


def test_scan_tuples_matches_scan(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": f"n{i}", "age": i} for i in range(5)])
    tx = store.begin()
    tx.insert(users, [{"id": 9, "name": "ov"}])
    tx.delete(users, tx.lookup(users, "id", [0]))
    for _ in range(2):  # cold (decoded) then cached
        got = sorted(tx.scan_tuples(users, ["id", "name", "age"]))
        assert got == sorted((r["id"], r["name"], r["age"]) for r in tx.scan(users))
        assert len(got) == 5 and (9, "ov", None) in got
    assert sorted(tx.scan_tuples(users, ["id"])) == [(1,), (2,), (3,), (4,), (9,)]


def test_row_cache_serves_only_views_that_match_it(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": "x"} for i in range(3)])
    assert len(list(store.begin().scan(users))) == 3  # cold scan fills the cache
    hits = store.cache.hits
    assert len(list(store.begin().scan(users))) == 3 and store.cache.hits == hits + 1
    old = store.begin()
    old.count(users)  # takes the view
    _ins(store, users, [{"id": 10, "name": "new"}])  # the writer updates the cache in place
    assert sorted(r["id"] for r in old.scan(users)) == [0, 1, 2]  # older view: decoded, not cached
    assert sorted(r["id"] for r in store.begin().scan(users)) == [0, 1, 2, 10]  # new view: cached, current


def test_bulk_get_through_cache_matches_rocksdb(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": f"n{i}", "age": i % 3} for i in range(30)])
    tx = store.begin()
    ids = tx.lookup(users, "age", [1]) + tx.lookup(users, "age", [2])
    cold = tx.get(users, ids)
    list(tx.scan(users))  # fills the cache
    tx.delete(users, ids[:1])
    tx.commit()
    tx = store.begin()
    hits = store.cache.hits
    warm = tx.get(users, ids)
    assert store.cache.hits > hits and warm[0] is None and warm[1:] == cold[1:]


def test_concurrent_updates_first_updater_wins(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": 1, "name": "a", "age": 1}, {"id": 2, "name": "b", "age": 1}])
    a, b = store.begin(), store.begin()
    [ra] = a.get(users, a.lookup(users, "id", [1]))
    [rb] = b.get(users, b.lookup(users, "id", [1]))
    a.update(users, [dict(ra, age=ra["age"] + 1)])
    b.update(users, [dict(rb, age=rb["age"] + 1)])
    a.commit()
    with pytest.raises(E.SerializationFailure) as e:
        b.commit()
    assert e.value.sqlstate == "40001"
    [r] = store.begin().get(users, store.begin().lookup(users, "id", [1]))
    assert r is not None and r["age"] == 2  # one increment, never a silently lost one
    c, d = store.begin(), store.begin()  # different rows do not conflict
    [r1] = c.get(users, c.lookup(users, "id", [1]))
    [r2] = d.get(users, d.lookup(users, "id", [2]))
    c.update(users, [dict(r1, name="c")])
    d.delete(users, [r2["_id"]])
    c.commit()
    d.commit()
    assert sorted(r["name"] for r in store.begin().scan(users)) == ["c"]


def test_rem_vacuum_sql_function(store: RemStore, users: TableDef) -> None:
    from types import SimpleNamespace

    from engine.functions import lookup
    _ins(store, users, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    tx = store.begin()
    tx.delete(users, tx.lookup(users, "id", [1]))
    tx.commit()
    [fn] = lookup("rem_vacuum")
    ctx = SimpleNamespace(db=SimpleNamespace(store=store, registry=store.registry))
    assert fn.needs_ctx and fn.impl(ctx, "public.users") == 1 and fn.impl(ctx, "users") == 0
    with pytest.raises(E.UndefinedTable):
        fn.impl(ctx, "nope")


def test_scan_order_is_key_order_cached_or_not(store: RemStore, users: TableDef) -> None:
    _ins(store, users, [{"id": i, "name": "x"} for i in range(20)])
    tx = store.begin()
    tx.delete(users, tx.lookup(users, "id", [3, 4, 5]))
    tx.commit()
    _ins(store, users, [{"id": i, "name": "y"} for i in (4, 40, 41)])  # a re-insert and new ids
    warm = [r["_id"] for r in store.begin().scan(users)]
    assert warm == sorted(warm, key=lambda u: u.bytes) and len(warm) == 20
    store.cache.tables.clear()
    assert [r["_id"] for r in store.begin().scan(users)] == warm  # cold scan: same order
    assert [r["_id"] for r in store.begin().scan(users)] == warm  # refilled cache: same order
