"""Two transactions upserting the same new key: the second committer gets 40001 (retry), never 23505 — ON CONFLICT
promises no duplicate-key error on its arbiter; REM's first-committer-wins makes the race a serialization failure."""

from __future__ import annotations

import pytest

from engine.errors import SerializationFailure, UniqueViolation
from tests.sql.conftest import Runner

UPSERT = "insert into kv values ('k', $1) on conflict (k) do update set v = excluded.v"


def test_concurrent_upserts_of_a_new_key(db, sess):
    sess.run("create table kv (k text primary key, v int)")
    other = Runner(db.session("rem", "rem", {}))
    sess.run("begin")
    sess.run(UPSERT, (1,), (23,))
    other.run(UPSERT, (2,), (23,))  # autocommit: lands first
    with pytest.raises(SerializationFailure):
        sess.run("commit")
    assert sess.rows("select k, v from kv") == [("k", 2)]
    sess.run(UPSERT, (3,), (23,))  # the retry updates
    assert sess.rows("select k, v from kv") == [("k", 3)]
    # a plain INSERT racing the same way keeps PostgreSQL's duplicate-key error
    sess.run("begin")
    sess.run("insert into kv values ('p', 1)")
    other.run("insert into kv values ('p', 2)")
    with pytest.raises(UniqueViolation):
        sess.run("commit")
    other.s.close()
