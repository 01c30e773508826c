"""The literal multi-row INSERT fast path keeps a trailing ON CONFLICT / RETURNING: same tree as sqlglot's."""

from __future__ import annotations

import pytest

from engine.sql.fastinsert import parse_insert_values
from engine.sql.statements import parse_one

ROWS = ", ".join(f"({i}, 'n{i}', ${i % 3 + 1})" for i in range(40))


@pytest.mark.parametrize("tail", [
    "on conflict (a) do update set b = EXCLUDED.b, c = excluded.C + t.c where t.c > 1 returning *;",
    'ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING',
    "on conflict do nothing returning a, b as bee",
    "returning a + 1 as x",
    "on conflict (a, b) do update set c = $2 returning (select 1)",
])
def test_tail_parsed_like_sqlglot(tail):
    sql = f'insert into t (a, "B", c) values {ROWS} {tail}'
    fast = parse_insert_values(sql)
    assert fast is not None and fast == parse_one(sql)
    assert len(fast.expression.expressions) == 40


@pytest.mark.parametrize("sql", [
    f"insert into t values {ROWS} on conflict (a) do update set b = 1 -- comment",
    f"insert into t values {ROWS} where",
    f"insert into t values {ROWS}, on conflict do nothing",
])
def test_other_tails_take_the_normal_path(sql):
    assert parse_insert_values(sql) is None
