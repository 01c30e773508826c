"""DDL and DML through the Session API on the real store: constraints, RETURNING, ON CONFLICT, transactions,
index pushdown visible in EXPLAIN."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import (
    CheckViolation,
    DuplicateTable,
    NotNullViolation,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)

DDL = ("create table t (id serial primary key, name text not null, qty int default 0 check (qty >= 0), "
       "price numeric(10,2))")


def test_insert_returning_defaults_and_constraints(sess):
    sess.run(DDL)
    r = sess.run("insert into t (name, price) values ('a', 1.5), ('b', 2.255) returning id, name, qty, price")
    assert r.tag == "INSERT 0 2"
    assert r.rows == [(1, "a", 0, Decimal("1.50")), (2, "b", 0, Decimal("2.26"))]
    with pytest.raises(UniqueViolation):
        sess.run("insert into t (id, name) values (1, 'dup')")
    with pytest.raises(CheckViolation):
        sess.run("insert into t (name, qty) values ('neg', -1)")
    with pytest.raises(NotNullViolation):
        sess.run("insert into t (name) values (null)")
    assert sess.one("select count(*) from t") == 2
    with pytest.raises(DuplicateTable):
        sess.run("create table t (a int)")
    with pytest.raises(UndefinedTable):
        sess.run("select * from nope")
    with pytest.raises(UndefinedColumn):
        sess.run("select nope from t")


def test_update_delete_on_conflict(sess):
    sess.run(DDL)
    sess.run("insert into t (name, qty) values ('a', 1), ('b', 2), ('c', 3)")
    assert sess.run("update t set qty = qty + 10 where name = 'a' returning qty").rows == [(11,)]
    assert sess.run("delete from t where id = 3 returning name").rows == [("c",)]
    assert sess.run("insert into t (id, name) values (1, 'x') on conflict (id) do nothing").tag == "INSERT 0 0"
    r = sess.run("insert into t (id, name, qty) values (1, 'x', 5) on conflict (id) "
                 "do update set qty = excluded.qty + t.qty returning name, qty")
    assert r.rows == [("a", 16)]
    assert sess.rows("select name, qty from t order by id") == [("a", 16), ("b", 2)]


def test_transaction_visibility(sess):
    sess.run(DDL)
    sess.run("begin; insert into t (name) values ('tx')")
    assert sess.one("select count(*) from t") == 1
    sess.run("rollback")
    assert sess.one("select count(*) from t") == 0
    sess.run("begin; insert into t (name) values ('tx'); commit")
    assert sess.one("select name from t") == "tx"


def test_rem_options_and_index_pushdown(sess):
    sess.run("create table docs (title text, body text, lang text) "
             "with (key_field = 'title', indexed_fields = 'lang')")
    sess.run("insert into docs values ('x', 'hello', 'en'), ('y', 'hola', 'es')")
    assert sess.rows("select title, body from docs where lang = 'es'") == [("y", "hola")]
    plan = [r[0] for r in sess.rows("explain select * from docs where lang = 'es'")]
    assert plan[0] == "Index Scan using docs_lang_idx on docs"
    plan = [r[0] for r in sess.rows("explain select * from docs where title = 'x'")]
    assert plan[0].startswith("Index Scan")
    ids = sess.rows("select id from docs where title = 'x'")
    assert len(ids) == 1
    sess.run("alter table docs add column n int default 7")
    assert sess.rows("select title, n from docs order by 1") == [("x", 7), ("y", 7)]


def test_bulk_insert_fast_path_matches_parser(sess):
    sess.run("create table bulk (id int primary key, s text, n numeric, b boolean, d int default 9)")
    rows = [f"({i}, 'it''s {i}', {-i}.5, {'true' if i % 2 else 'null'}, default)" for i in range(300)]
    r = sess.run("insert into bulk values " + ", ".join(rows))
    assert r.tag == "INSERT 0 300"
    assert sess.rows("select s, n, b, d from bulk where id = 7") == [("it's 7", Decimal("-7.5"), True, 9)]
    assert sess.one("select count(*) from bulk where b is null") == 150
    from engine.errors import SyntaxError_
    with pytest.raises(SyntaxError_):
        sess.run("insert into bulk values " + ", ".join(rows[:100]) + ", (1")


def test_arrow_group_by_matches_row_path(sess):
    sess.run("create table ag (id int primary key, g int, t text, n numeric(8,2), q bigint)")
    sess.run("insert into ag select i, i % 5, case when i % 4 = 0 then null else 't' || (i % 9) end, "
             "(i % 50) * 0.25, i * 7 from generate_series(1, 2500) as s(i)")
    arrow = sess.rows("select g, count(*), count(t), sum(q), avg(q), min(t), max(n) from ag group by g order by g")
    rowwise = sess.rows("select g, count(*) filter (where true), count(t) filter (where true), "
                        "sum(q) filter (where true), avg(q) filter (where true), min(t) filter (where true), "
                        "max(n) filter (where true) from ag group by g order by g")
    assert arrow == rowwise and len(arrow) == 5
    assert [str(r[4]) for r in arrow] == [str(r[4]) for r in rowwise]
