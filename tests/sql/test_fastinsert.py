"""The regex front end for literal multi-row INSERT builds exactly sqlglot's tree (or declines)."""

from __future__ import annotations

import pytest

from engine.sql.fastinsert import parse_insert_values
from engine.sql.statements import parse_one

VALUES = [
    "(1, 'a', null)",
    "(-1, +2, -0.5, .5, -.25, 1e3, -2.5E-3, 10.)",
    "('it''s', '', 'a,b', '(x)', '1, 2')",
    "(TRUE, false, NULL, default, $1, $12)",
    "( 1 ,'x' , $2 )",
    "(-9223372036854775808, 123456789012345678901234567890.5)",
]


@pytest.mark.parametrize("rows", [", ".join(VALUES[i:] + VALUES[:i]) for i in range(len(VALUES))])
@pytest.mark.parametrize("tail", ["", ";", " ; ", " returning *", " on conflict do nothing"])
def test_same_tree_as_sqlglot(rows, tail):
    sql = f"insert into t (a, b) values {rows}{tail}" + " " * 200
    fast = parse_insert_values(sql)
    ref = parse_one(sql)
    assert fast is not None
    assert fast.expression == ref.expression and fast.this == ref.this
    assert fast.sql() == ref.sql()


@pytest.mark.parametrize("sql", [
    "insert into t values (1, 'a'), (2, now())",
    "insert into t values (1, 'a') (2, 'b')",
    "insert into t values (1, 'a'),",
    "insert into t values (1, 'a'); select 1",
    "insert into t values (1, 'a' -- c\n)",
    "insert into t values (1, 'a'), (2, 'b' || 'c')",
    "insert into t values (1, 'unterminated)",
])
def test_declines_anything_else(sql):
    assert parse_insert_values(sql + " " * 200) is None


BULK_DDL = ("create table bulk_lit (id int primary key, n numeric(6,2), s varchar(5), t timestamptz, d date, "
            "b bool, j jsonb, big bigint, f float8, sm smallint, arr int[])")
BULK_ROWS = [
    "(1, 1.005, 'ab', '2024-01-01 10:00+02', '2024-02-29', 'yes', '{\"a\": 1}', 5000000000, 1.5, 7, '{1,2}')",
    "(2, 1.005, 'ab', '2024-01-01 10:00+02', '2024-02-29', 'yes', '{\"a\": 1}', 5000000000, 1.5, 7, '{1,2}')",
    "(3, 12, 'abcde', null, null, 'f', '[1, 2]', 12, 2, 32767, null)",
    "(4, 1.005, 'ab', '2024-01-01 10:00+02', '2024-02-29', 'yes', '{\"a\": 1}', 5000000000, 1.5, 7, '{1,2}')",
]


def _bulk(dsn: str, rows: list[str]) -> tuple[str | None, list[tuple[object, ...]]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop table if exists bulk_lit")
        c.execute(BULK_DDL)
        err = None
        try:
            c.execute("insert into bulk_lit values " + ", ".join(rows) + " " * 200)
        except psycopg.Error as e:
            err = e.sqlstate
        got = c.execute("select * from bulk_lit order by id").fetchall()
        c.execute("drop table bulk_lit")  # the servers are shared: leave no table for the catalog comparisons
        return err, got


@pytest.mark.parametrize("extra", [
    "",
    ", (5, 1.005, 'abcdef', null, null, null, null, null, null, null, null)",  # varchar(5) too long
    ", (5, 99999.5, 'a', null, null, null, null, null, null, null, null)",  # numeric overflow
    ", (5, 1, 'a', null, null, null, null, null, null, 32768, null)",  # smallint out of range
    ", (5, 1, 'a', 'not a time', null, null, null, null, null, null, null)",  # bad timestamptz
])
def test_bulk_literals_match_postgres(rem_dsn, pg_dsn, extra):
    """Repeated literals in a multi-row INSERT are converted once (fastinsert.literal_converter): same values
    and same errors as PostgreSQL, also for mutable jsonb/array values shared by equal literals."""
    rows = BULK_ROWS + ([extra[2:]] if extra else [])
    rem, ref = _bulk(rem_dsn, rows), _bulk(pg_dsn, rows)
    assert rem == ref
