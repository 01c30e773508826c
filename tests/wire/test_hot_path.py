"""Hot-path shortcuts keep their results: constant SELECTs run without a store transaction, inside and outside
transaction blocks, and everything else still gets one."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from engine.database import open_database
from engine.settings import Settings


@pytest.mark.parametrize(("sql", "constant"), [
    ("select 1", True), ("select $1::int4", True), ("select 1 + 2 * 3 as x, 'a', null, true", True),
    ("select now()", False), ("select 'pg_class'::regclass", False), ("select (select 1)", False),
    ("select 1 where true", False), ("select 1 limit 1", False), ("select 1::numeric(5,2)", False),
    ("select count(*)", False), ("select nextval('s')", False), ("select 1 union select 2", False),
])
def test_constant_selects_need_no_transaction(tmp_path: Path, sql: str, constant: bool) -> None:
    from engine.sql.statements import constant_select, parse_one

    assert constant_select(parse_one(sql)) is constant
    db = open_database(Settings(data_dir=tmp_path / "db", core_schemas=False))
    s = db.session("rem", "rem")
    try:
        if "nextval" in sql:
            return
        st = s.prepare(sql, [23] if "$1" in sql else [])
        assert st.needs_txn is not constant
    finally:
        s.close()
        db.close()


def test_constant_select_in_a_transaction_block(conn: psycopg.Connection) -> None:
    conn.execute("create table hp_t (id int primary key)")
    conn.execute("begin")
    conn.execute("insert into hp_t values (1)")
    assert conn.execute("select 1, %s::int4", (2,), prepare=True).fetchone() == (1, 2)
    assert conn.execute("select count(*) from hp_t").fetchone() == (1,)
    conn.execute("rollback")
    assert conn.execute("select count(*) from hp_t").fetchone() == (0,)
    conn.execute("drop table hp_t")
