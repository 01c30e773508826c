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


def test_big_parameter_templates_are_cached(sess):
    """A batch writer's 1000-row $n template is planned once per session."""
    sess.run("create table c (k int primary key, v text)")
    template = "insert into c (k, v) values " + ", ".join(f"(${2 * i + 1}, ${2 * i + 2})" for i in range(1000)) \
        + " on conflict (k) do update set v = excluded.v"
    assert len(template) > 4096
    first = sess.s.prepare(template, [0] * 2000)
    assert sess.s.prepare(template, [0] * 2000) is first
    for rnd in range(2):
        sess.s.execute(first, [x for i in range(1000) for x in (i, f"v{rnd}")])
    assert sess.rows("select count(*), min(v), max(v) from c") == [(1000, "v1", "v1")]
