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
