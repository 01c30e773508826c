"""The Session API contract: split, prepare/execute with parameters, GUCs, transaction status, errors, cancel."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from engine import types as T
from engine.errors import (
    DivisionByZero,
    InFailedSqlTransaction,
    InvalidSqlStatementName,
    NoActiveSqlTransaction,
    QueryCanceled,
    SyntaxError_,
    UndefinedObject,
)


def test_split_keeps_statement_text(sess):
    s = sess.s
    assert s.split("select 'a;b' ; set x = 1; select $$;$$") == ["select 'a;b'", "set x = 1", "select $$;$$"]
    assert s.split("") == [] and s.split(" -- only a comment") == []


def test_select_expressions_params_and_types(sess):
    r = sess.run("select 1, 'a', 1.5, 7/2, -7/2, 7.0/2, $1::int + 1, $2", (41, "x"))
    assert r.rows == [(1, "a", Decimal("1.5"), 3, -3, Decimal("3.5000000000000000"), 42, "x")]
    assert [c.type_oid for c in r.columns] == [T.INT4, T.TEXT, T.NUMERIC, T.INT4, T.INT4, T.NUMERIC, T.INT4, T.TEXT]
    assert r.tag == "SELECT" and r.tag_counts_rows
    p = sess.s.prepare("select $1 + 1, $2::date")
    assert p.param_oids == [T.INT4, T.DATE]


def test_set_show_reset_and_parameter_status(sess):
    s = sess.s
    assert s.parameter_status()["server_version"] == "15.0 (REM 0.1.0)"
    assert s.parameter_status()["application_name"] == "pytest"
    assert sess.one("show DateStyle") == "ISO, MDY"
    sess.run("set application_name = 'x'")
    assert s.take_parameter_changes() == {"application_name": "x"}
    assert s.take_parameter_changes() == {}
    sess.run("set statement_timeout = 5000")
    assert sess.one("show statement_timeout") == "5s"
    sess.run("reset statement_timeout")
    assert sess.one("show statement_timeout") == "0"
    assert sess.one("show server_version_num") == "150000"
    assert len(sess.rows("show all")) > 40
    with pytest.raises(UndefinedObject):
        sess.run("show no_such_setting")


def test_transaction_status_and_failed_transactions(sess):
    s = sess.s
    r = sess.run("commit")
    assert r.tag == "COMMIT" and r.notices[0].sqlstate == "25P01" and r.notices[0].severity == "WARNING"
    sess.run("begin")
    assert s.transaction_status == "T"
    with pytest.raises(DivisionByZero):
        sess.run("select 1/0")
    assert s.transaction_status == "E"
    with pytest.raises(InFailedSqlTransaction):
        sess.run("select 1")
    assert sess.run("commit").tag == "ROLLBACK"
    assert s.transaction_status == "I"
    sess.run("begin; savepoint a")
    with pytest.raises(DivisionByZero):
        sess.run("select 1/0")
    sess.run("rollback to savepoint a")
    assert s.transaction_status == "T"
    assert sess.one("select 3") == 3
    sess.run("rollback")
    with pytest.raises(NoActiveSqlTransaction):
        sess.run("savepoint b")


def test_set_inside_rolled_back_transaction_is_undone(sess):
    sess.run("begin; set application_name = 'inside'; rollback")
    assert sess.one("show application_name") == "pytest"
    sess.run("begin; set local application_name = 'local'")
    assert sess.one("show application_name") == "local"
    sess.run("commit")
    assert sess.one("show application_name") == "pytest"


def test_syntax_errors_have_positions(sess):
    with pytest.raises(SyntaxError_) as e:
        sess.run("selec 1")
    assert e.value.position == 7 and 'near "1"' in e.value.message
    with pytest.raises(SyntaxError_) as e:
        sess.run("select 1 +")
    assert e.value.message == "syntax error at end of input"


def test_statement_timeout_and_cancel_interrupt_pg_sleep(sess):
    sess.run("set statement_timeout = '50ms'")
    with pytest.raises(QueryCanceled, match="statement timeout"):
        sess.run("select pg_sleep(30)")
    sess.run("set statement_timeout = 0")
    started = threading.Event()
    real_sleep = sess.s.sleep

    def sleep(seconds):
        started.set()
        real_sleep(seconds)

    sess.s.sleep = sleep
    t = threading.Thread(target=lambda: (started.wait(10), sess.s.cancel()))
    t.start()
    with pytest.raises(QueryCanceled, match="user request"):
        sess.run("select pg_sleep(30)")
    t.join()


def test_discard_and_deallocate(sess):
    sess.run("prepare p1 (int) as select $1 + 1")
    assert sess.one("execute p1 (41)") == 42
    assert sess.run("deallocate p1").tag == "DEALLOCATE"
    with pytest.raises(InvalidSqlStatementName):
        sess.run("deallocate p1")
    assert sess.run("discard all").tag == "DISCARD ALL"


def test_listen_notify_queue(db):
    a, b = db.session("rem", "rem"), db.session("rem", "rem")
    for s, sql in ((a, "listen jobs"), (b, "notify jobs, 'hello'"), (b, "notify other, 'x'")):
        s.execute(s.prepare(sql))
    assert a.take_notifications() == [(b.process_id, "jobs", "hello")]
    assert a.take_notifications() == [] and b.take_notifications() == []
    a.close()
    b.close()
