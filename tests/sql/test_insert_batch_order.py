"""A multi-row INSERT checks its rows in order: the first failing row decides the error, whatever kind it is
(validation, duplicate of a stored row, duplicate within the statement), and nothing of the statement stays."""

from __future__ import annotations

from typing import Any

import pytest

from engine import errors as E


@pytest.fixture
def t(sess: Any) -> Any:
    sess.run("create table t (id int primary key, v text not null, n int)")
    sess.run("insert into t values (1, 'a', 1)")
    return sess


def _fails(sess: Any, sql: str) -> E.RemError:
    with pytest.raises(E.RemError) as ei:
        sess.run(sql)
    return ei.value


def test_stored_duplicate_before_null(t: Any) -> None:
    e = _fails(t, "insert into t values (5, 'x', 0), (1, 'dup', 0), (6, null, 0)")
    assert e.sqlstate == "23505"
    assert "Key (id)=(1) already exists." in (e.detail or "")
    assert t.one("select count(*) from t") == 1


def test_null_before_stored_duplicate(t: Any) -> None:
    e = _fails(t, "insert into t values (5, 'x', 0), (6, null, 0), (1, 'dup', 0)")
    assert e.sqlstate == "23502"
    assert t.one("select count(*) from t") == 1


def test_null_and_duplicate_within_statement(t: Any) -> None:
    e = _fails(t, "insert into t values (7, 'x', 0), (8, null, 0), (7, 'again', 0)")
    assert e.sqlstate == "23502"
    e = _fails(t, "insert into t values (7, 'x', 0), (7, 'again', 0), (8, null, 0)")
    assert e.sqlstate == "23505"
    assert "Key (id)=(7) already exists." in (e.detail or "")
    assert t.one("select count(*) from t") == 1


def test_batch_sees_rows_deleted_and_committed(t: Any) -> None:
    t.run("insert into t values (2, 'b', 2), (3, 'c', 3)")
    t.run("delete from t where id = 2")
    t.run("insert into t values (2, 'b2', 2), (4, 'd', 4)")  # a deleted row's id is free again
    assert t.rows("select id, v from t order by id") == [(1, "a"), (2, "b2"), (3, "c"), (4, "d")]
    t.run("begin")
    t.run("insert into t values (10, 'p', 0), (11, 'q', 0)")
    e = _fails(t, "insert into t values (12, 'r', 0), (10, 'p2', 0)")  # duplicate of this transaction's row
    assert e.sqlstate == "23505"
    t.run("rollback")
    assert t.one("select count(*) from t") == 4
