"""Session settings the engine honours: synchronous_commit reaches the store's commit, TimeZone replans."""

from __future__ import annotations

from typing import Any


def _waits(db: Any) -> int:
    return db.store.writer.group.waits


def test_synchronous_commit_on_waits_for_fsync(db: Any, sess: Any) -> None:
    sess.run("create table sc_t (id int primary key)")
    sess.run("set synchronous_commit = off")
    before = _waits(db)
    sess.run("insert into sc_t values (1)")
    assert _waits(db) == before
    sess.run("set synchronous_commit = on")
    sess.run("insert into sc_t values (2)")
    assert _waits(db) == before + 1
    sess.run("begin")
    sess.run("insert into sc_t values (3)")
    sess.run("set local synchronous_commit = off")
    sess.run("commit")
    assert _waits(db) == before + 1  # the value at COMMIT decides, as in PostgreSQL
    sess.run("set synchronous_commit = local")
    sess.run("insert into sc_t values (4)")
    assert _waits(db) == before + 2
    assert sess.one("select count(*) from sc_t") == 4


def test_timezone_change_replans_cached_literals(sess: Any) -> None:
    sess.run("create table tzc (id int primary key, t timestamptz)")
    q = "insert into tzc values (1, '2020-06-01 12:00')"
    sess.run("set timezone = 'UTC'")
    sess.run(q)
    sess.run("delete from tzc")
    sess.run("set timezone = 'Asia/Tokyo'")
    sess.run(q)  # the same text: the cached plan must not keep the UTC reading of the literal
    sess.run("set timezone = 'UTC'")
    assert str(sess.one("select t from tzc")) == "2020-06-01 03:00:00+00:00"
