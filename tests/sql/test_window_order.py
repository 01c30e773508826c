"""Rows leave a window step sorted by the first window's PARTITION BY / ORDER BY, as PostgreSQL's WindowAgg
emits them (clients such as SQLAlchemy's suite rely on it when the query has no ORDER BY of its own)."""

from __future__ import annotations

from typing import Any


def test_window_output_follows_the_window_order(sess: Any) -> None:
    sess.run("create table wo (id int primary key, g int, x int)")
    sess.run("insert into wo values (1, 2, 30), (2, 1, 20), (3, 2, 10), (4, 1, 40), (5, null, 0)")
    assert sess.rows("select id, row_number() over (order by x) from wo") == \
        [(5, 1), (3, 2), (2, 3), (1, 4), (4, 5)]
    assert [r[0] for r in sess.rows("select id, max(x) over (partition by g order by x desc) from wo")] == \
        [4, 2, 1, 3, 5]
    assert [r[0] for r in sess.rows("select id, sum(x) over (order by id desc) from wo")] == [5, 4, 3, 2, 1]
