"""CREATE INDEX on a field backfills index entries only (rows untouched): lookups through the new index return
what a scan returns — soft-deleted rows, later updates, a concurrent session's commit during the backfill,
ROLLBACK of CREATE INDEX in a transaction block, and duplicate keys of CREATE UNIQUE INDEX."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine import errors as E
from engine.storage import backfill
from engine.storage.check import verify
from tests.sql.conftest import Runner


@pytest.fixture
def other(db: Any) -> Iterator[Runner]:
    s = db.session("rem", "rem", {"application_name": "pytest-other"})
    try:
        yield Runner(s)
    finally:
        s.close()


def load(sess: Runner, n: int = 300) -> None:
    sess.run("create table t (id int primary key, category text, body text)")
    sess.run(f"insert into t select g, 'c' || (g % 7), 'body ' || g from generate_series(1, {n}) g")


def via_index(db: Any, category: str) -> set[int]:
    """Ids of the rows the field index of ``category`` lists (no scan)."""
    td = db.store.registry.get("t", "public")
    assert any(ix.columns == ["category"] for ix in td.indexes)
    txn = db.store.begin()
    try:
        ids = txn.lookup(td, "category", [category])
        return {r["id"] for r in txn.get(td, ids) if r is not None}
    finally:
        txn.rollback()


def via_scan(sess: Runner, category: str) -> set[int]:
    return {r[0] for r in sess.rows("select id from t where category || '' = $1", (category,))}


def agree(db: Any, sess: Runner) -> None:
    for c in [f"c{i}" for i in range(7)] + ["new"]:
        assert via_index(db, c) == via_scan(sess, c), c
        assert {r[0] for r in sess.rows("select id from t where category = $1", (c,))} == via_scan(sess, c)
    assert verify(db.store) == []


def entity_values(db: Any) -> dict[bytes, bytes]:
    return dict(db.store.prefix_items("entities", b""))


def cold(db: Any) -> None:
    """Forget the table's cached rows: the backfill scans the stored rows instead."""
    db.store.cache.drop(db.store.registry.get("t", "public").oid)


@pytest.mark.parametrize("cached", [True, False])
def test_backfill_writes_entries_only_and_agrees_with_scan(db: Any, sess: Runner, monkeypatch: pytest.MonkeyPatch,
                                                          cached: bool) -> None:
    monkeypatch.setattr(backfill, "BATCH", 50)  # several WriteBatches
    load(sess)
    sess.run("delete from t where id % 10 = 0")  # soft-deleted before the index exists
    if not cached:
        cold(db)
    assert (db.store.cache.tables.get(db.store.registry.get("t", "public").oid) is not None) == cached
    before = entity_values(db)
    commits = db.store.writer.commits
    sess.run("create index on t (category)")
    assert entity_values(db) == before and db.store.writer.commits == commits  # no row re-committed
    agree(db, sess)
    sess.run("update t set category = 'new' where id % 3 = 0")
    sess.run("delete from t where id % 11 = 0")
    sess.run("insert into t values (1000, 'c1', 'late'), (1010, 'new', 'late')")
    agree(db, sess)
    sess.run("drop index t_category_idx")
    assert not any(ix.columns == ["category"] for ix in db.store.registry.get("t", "public").indexes)
    assert verify(db.store) == []


@pytest.mark.parametrize("cached", [True, False])
def test_concurrent_session_commits_during_backfill(db: Any, sess: Runner, other: Runner,
                                                   monkeypatch: pytest.MonkeyPatch, cached: bool) -> None:
    monkeypatch.setattr(backfill, "BATCH", 40)
    load(sess)
    if not cached:
        cold(db)
    other.run("begin")  # planned before the index exists: its table definition has no such index
    other.run("insert into t values (5000, 'c2', 'concurrent')")
    other.run("update t set category = 'new' where id in (1, 2, 299)")  # scanned already / not yet
    other.run("delete from t where id in (3, 298)")
    writer = db.store.writer
    real = writer.backfill_index
    calls: list[int] = []

    def first_batch_then_commit(*a: Any) -> int:
        n = real(*a)
        if not calls:
            other.run("commit")  # lands between two backfill batches
        calls.append(n)
        return n

    monkeypatch.setattr(writer, "backfill_index", first_batch_then_commit)
    sess.run("create index on t (category)")
    assert len(calls) > 2
    monkeypatch.setattr(writer, "backfill_index", real)
    assert 5000 in via_index(db, "c2") and {1, 2, 299} <= via_index(db, "new")
    agree(db, sess)
    other.run("begin")  # still the old definition in a transaction that began before: entries kept current
    other.run("update t set category = 'c0' where id = 5000")
    other.run("commit")
    agree(db, sess)


def test_create_index_rolled_back_with_its_transaction(db: Any, sess: Runner) -> None:
    load(sess, 50)
    sess.run("begin")
    sess.run("insert into t values (900, 'c3', 'in txn')")
    sess.run("create index on t (category)")
    assert 900 in {r[0] for r in sess.rows("select id from t where category = 'c3'")}
    sess.run("rollback")
    td = db.store.registry.get("t", "public")
    assert not any(ix.columns == ["category"] for ix in td.indexes)
    assert not td.column("category").indexed  # type: ignore[union-attr]
    assert verify(db.store) == []
    assert sess.one("select count(*) from t where category = 'c3'") == len(via_scan(sess, "c3"))
    sess.run("begin")
    sess.run("insert into t values (901, 'c3', 'in txn')")
    sess.run("create index on t (category)")
    sess.run("commit")
    assert 901 in via_index(db, "c3")
    agree(db, sess)


def test_unique_index_over_duplicates_fails_and_leaves_nothing(db: Any, sess: Runner) -> None:
    load(sess, 30)
    with pytest.raises(E.UniqueViolation) as ei:
        sess.run("create unique index on t (category)")
    assert ei.value.sqlstate == "23505" and "is duplicated" in (ei.value.detail or "")
    td = db.store.registry.get("t", "public")
    assert not any(ix.columns == ["category"] for ix in td.indexes)
    assert verify(db.store) == []
    sess.run("create unique index on t (body)")  # distinct values: built
    with pytest.raises(E.UniqueViolation):
        sess.run("insert into t values (77, 'c1', 'body 1')")
    sess.run("delete from t where id = 1")  # soft-deleted: its key is free again
    sess.run("insert into t values (77, 'c1', 'body 1')")
    assert verify(db.store) == []


def test_unique_duplicates_in_transaction_and_constraint(db: Any, sess: Runner) -> None:
    load(sess, 20)
    sess.run("create table u (id int primary key, k text)")
    sess.run("insert into u values (1, 'a'), (2, 'b')")
    sess.run("begin")
    sess.run("insert into u values (3, 'a')")  # a duplicate only this transaction sees
    with pytest.raises(E.UniqueViolation) as ei:
        sess.run("create unique index on u (k)")
    assert ei.value.detail == "Key (k)=(a) is duplicated."
    sess.run("rollback")
    sess.run("create unique index on u (k)")
    with pytest.raises(E.UniqueViolation) as ei:
        sess.run("alter table t add constraint t_category_key unique (category)")
    assert ei.value.sqlstate == "23505"
    td = db.store.registry.get("t", "public")
    assert not [ix for ix in td.indexes if ix.unique and not ix.primary]
    assert not db.store.writer.building.get(td.oid)
    assert verify(db.store) == []


def test_unique_index_binds_transactions_planned_before_it(db: Any, sess: Runner, other: Runner) -> None:
    sess.run("create table u (id int primary key, k text)")
    sess.run("insert into u values (1, 'a'), (2, 'b')")
    other.run("begin")
    other.run("insert into u values (3, 'a'), (4, 'c')")  # its table version has no unique index
    sess.run("create unique index on u (k)")
    with pytest.raises(E.UniqueViolation):
        other.run("commit")
    assert sorted(r[0] for r in sess.rows("select k from u")) == ["a", "b"]
    other.run("insert into u values (4, 'c')")
    assert verify(db.store) == []
