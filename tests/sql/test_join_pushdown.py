"""WHERE through explicit joins (engine.sql.join_pushdown): same rows as PostgreSQL 15, filters moved below joins.

The differential part runs a script of LEFT/INNER/RIGHT/FULL joins with NULLs on both sides through the case-file
harness (tests/sql/differential.py) on REM and on PostgreSQL; the EXPLAIN part checks where the filters went.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.sql.differential import assert_script_matches

SETUP = """
create table jp_big (id int primary key, sid int, category text, v int);
create index jp_big_category on jp_big (category);
create table jp_small (id int primary key, x int, name text, flag boolean);
create table jp_third (id int primary key, bid int, w int);
insert into jp_big select g, case when g % 7 = 0 then null else g % 13 end,
  case when g % 5 = 0 then null else 'c' || (g % 4) end, case when g % 11 = 0 then null else g % 9 end
  from generate_series(1, 300) g;
insert into jp_small values (1, 1, 'n1', true), (2, 2, 'n2', false), (3, null, 'n3', null), (4, 1, null, true),
  (5, 3, 'n5', false), (6, null, null, null), (7, 2, 'n7', true), (9, 4, 'n9', false), (10, 1, 'n10', true);
insert into jp_third select g, case when g % 6 = 0 then null else g * 3 end,
  case when g % 4 = 0 then null else g % 5 end from generate_series(1, 80) g;
create sequence jp_seq;
"""

QUERIES = """
-- preserved (left) side only: pushed onto the left scan (index on category)
select b.id, b.v, s.name from jp_big b left join jp_small s on s.id = b.sid where b.category = 'c1' order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where b.category in ('c0', 'c3') and b.v > 4
  order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where b.category is null order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where b.v between 2 and 3 order by b.id;
-- nullable side, strict: the left join becomes an inner join
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x = 1 order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x > 1 and b.v < 5 order by b.id;
select b.id, s.name from jp_big b left join jp_small s on s.id = b.sid where s.name like 'n1%' order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.x in (2, 3) order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.x is not null order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where not (s.x is null) order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.x + 1 = 3 order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.x between 1 and 2 order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.x = 1 or s.x = 4 order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.flag order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where not s.flag order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x = b.v order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x = (select min(x) from jp_small)
  order by b.id;
-- nullable side, not strict: stays above the join (anti-join, COALESCE, IS DISTINCT FROM, IS NOT FALSE, OR)
select b.id, b.sid from jp_big b left join jp_small s on s.id = b.sid where s.id is null order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x is null order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where coalesce(s.x, 0) = 0 order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x is distinct from 1 order by b.id;
select b.id, s.flag from jp_big b left join jp_small s on s.id = b.sid where s.flag is not false order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where (s.x = 1) is not true order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x is null or s.x = 2 order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x = 1 or s.name = 'n3' order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid
  where case when s.x is null then true else s.x > 2 end order by b.id;
-- both sides, OR across sides
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where b.category = 'c1' or s.x = 2 order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where s.x < b.v or b.v is null order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid
  where (b.category = 'c2' or s.x is null) and b.v > 3 order by b.id;
-- volatile functions stay on top
select b.id from jp_big b left join jp_small s on s.id = b.sid where b.category = 'c2' and random() >= 0
  order by b.id;
select b.id from jp_big b left join jp_small s on s.id = b.sid where random() < 2 and s.x = 2 order by b.id;
select count(*) from jp_big b left join jp_small s on s.id = b.sid where b.v = 3 and nextval('jp_seq') > 0;
select currval('jp_seq');
select count(*) from jp_small s, jp_third t where t.bid = s.id * 3 and nextval('jp_seq') > 0;
select currval('jp_seq');
select count(*) from jp_small s where s.id > nextval('jp_seq') - 100000;
select currval('jp_seq');
-- inner joins (explicit and comma) mixed with left joins
select b.id, s.x from jp_big b join jp_small s on s.id = b.sid where b.category = 'c3' and s.x > 1 order by b.id;
select b.id, t.w, s.x from jp_big b join jp_third t on t.bid = b.id left join jp_small s on s.id = b.sid
  where t.w = 2 and s.x is null order by b.id;
select b.id, t.id, s.x from jp_big b, jp_third t left join jp_small s on s.id = t.id
  where t.bid = b.id and b.category = 'c0' order by b.id, t.id;
-- ORDER BY + LIMIT on top
select b.id, s.name from jp_big b left join jp_small s on s.id = b.sid where b.category = 'c3'
  order by b.id desc limit 5;
select b.id, s.name from jp_big b left join jp_small s on s.id = b.sid where s.x = 1 order by b.id limit 3 offset 2;
select b.id, s.name from jp_big b left join jp_small s on s.id = b.sid where s.id is null
  order by b.v nulls first, b.id limit 7;
-- three tables
select b.id, s.x, t.w from jp_big b left join jp_small s on s.id = b.sid left join jp_third t on t.bid = b.id
  where b.category = 'c1' and t.w > 1 order by b.id;
select b.id, s.x, t.w from jp_big b left join jp_small s on s.id = b.sid left join jp_third t on t.bid = b.id
  where t.w is null and s.x = 2 order by b.id;
select b.id, s.x, t.w from jp_big b left join jp_small s on s.id = b.sid left join jp_third t on t.bid = b.id
  where coalesce(t.w, s.x, -1) = -1 and b.v < 3 order by b.id;
select b.id, s.x, t.w from jp_big b left join jp_third t on t.bid = b.id left join jp_small s on s.id = t.w
  where s.name = 'n2' order by b.id;
select t.id, b.id, s.x from jp_third t right join jp_big b on t.bid = b.id left join jp_small s on s.id = b.sid
  where b.category = 'c0' and t.w > 0 order by b.id, t.id;
select t.id, b.id, s.x from jp_third t right join jp_big b on t.bid = b.id left join jp_small s on s.id = b.sid
  where b.category = 'c0' and t.w is null order by b.id, t.id;
select b.id, t.id, s.id from jp_big b join jp_third t on t.bid = b.id right join jp_small s on s.id = b.sid
  where b.category is null order by s.id, b.id, t.id;
select b.id, t.id, s.id from jp_big b join jp_third t on t.bid = b.id right join jp_small s on s.id = b.sid
  where t.w is null order by s.id, b.id, t.id;
select b.id, s.id from jp_big b right join jp_small s on s.id = b.sid where s.x = 1 and b.v > 2 order by s.id, b.id;
select b.id, s.id from jp_big b right join jp_small s on s.id = b.sid where b.id is null order by s.id;
-- full joins
select s.id, t.id from jp_small s full join jp_third t on t.id = s.x where s.x > 1 order by s.id, t.id;
select s.id, t.id from jp_small s full join jp_third t on t.id = s.x where t.w > 3 order by s.id, t.id;
select s.id, t.id from jp_small s full join jp_third t on t.id = s.x where t.w > 0 and s.name > 'n' order by s.id, t.id;
select s.id, t.id from jp_small s full join jp_third t on t.id = s.x where s.id is null order by t.id;
select id, s.x, t.w from jp_small s full join jp_third t using (id) where id > 8 order by id;
select id, s.x, t.w from jp_small s left join jp_third t using (id) where id > 4 and t.w > 0 order by id;
-- joins inside subqueries
select * from (select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid where b.category = 'c2') q
  where q.x is null order by id;
select s.id from jp_small s where exists (select 1 from jp_big b left join jp_third t on t.bid = b.id
  where b.sid = s.id and t.w = 3) order by s.id;
select s.id from jp_small s where s.id in (select b.sid from jp_big b left join jp_third t on t.bid = b.id
  where t.w is null and b.category = 'c1') order by s.id;
select s.id, (select count(*) from jp_big b left join jp_third t on t.bid = b.id where b.sid = s.id and t.w > 1)
  from jp_small s order by s.id;
-- ON conditions on the input a join does not preserve filter that input first
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid and s.x > 1 order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid and s.flag order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid and s.x is null order by b.id;
select b.id, s.x from jp_big b left join jp_small s on s.id = b.sid and b.v > 3 order by b.id;
select b.id, s.id from jp_big b left join jp_small s on s.flag where b.id < 4 order by b.id, s.id;
select b.id, s.id from jp_big b left join jp_small s on s.id = b.sid and random() >= 0 order by b.id;
select b.id, s.x from jp_small s right join jp_big b on s.id = b.sid and s.x = 1 where b.id < 40 order by b.id;
select b.id, s.x from jp_small s right join jp_big b on s.id = b.sid and b.v = 2 where b.id < 40 order by b.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid join jp_third t on t.w = s.x
  order by b.id, t.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid join jp_third t on t.bid = b.id and s.x > 1
  order by b.id, t.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid
  join jp_third t on t.bid = b.id and b.category = 'c1' order by b.id, t.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid
  left join jp_third t on t.bid = b.id and s.x = 1 order by b.id, t.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid right join jp_third t on t.id = s.x
  order by t.id, b.id;
select b.id, s.x, t.id from jp_big b left join jp_small s on s.id = b.sid
  right join jp_third t on t.id = coalesce(s.x, 1) order by t.id, b.id;
-- errors stay PostgreSQL's
select b.id from jp_big b left join jp_small s on s.id = b.sid where count(*) > 1;
select b.id from jp_big b left join jp_small s on s.id = b.sid where id = 1;
select b.id from jp_big b left join jp_small s on s.id = b.sid where s.nope = 1;
drop sequence jp_seq;
"""


@pytest.mark.pg_reference
def test_join_pushdown_matches_postgres(tmp_path: Path, rem_dsn: str, pg_dsn: str) -> None:
    assert_script_matches(tmp_path / "join_pushdown.sql", SETUP + QUERIES, rem_dsn, pg_dsn, at_least=81)


@pytest.mark.pg_reference
def test_parameterized_left_join_matches_postgres(rem_dsn: str, pg_dsn: str) -> None:
    """The motivating query, with a bound parameter (extended protocol) on both servers."""
    sql = ("select b.id, b.v, s.name from jp_big b left join jp_small s on s.id = b.sid "
           "where b.category = %s order by b.id")
    results: list[list[Any]] = []
    for dsn in (rem_dsn, pg_dsn):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(SETUP)
            try:
                results.append([c.execute(sql, (cat,), prepare=True).fetchall() for cat in ("c1", "c2", "zz")])
            finally:
                c.execute("drop table jp_big; drop table jp_small; drop table jp_third; drop sequence jp_seq")
    assert results[0] == results[1]
    assert results[0][0] and not results[0][2]


def _split(plan_text: str, marker: str) -> tuple[str, str]:
    i = plan_text.index(marker)
    return plan_text[:i], plan_text[i:]


def test_explain_left_only_filter_uses_the_index_below_the_join(big_small: Any) -> None:
    text = big_small.explain("select * from big b left join small s on s.id = b.sid where b.category = 'a'")
    assert text.startswith("Hash Join Left")  # no Filter on top: the WHERE moved below the join
    above, below = _split(text, "Index Scan using big_category_idx on big b")
    assert "Filter" not in above
    assert "Index Cond: (b.category = 'a')" in below
    assert big_small.rows("select b.id, s.x from big b left join small s on s.id = b.sid where b.category = 'a' "
                       "order by b.id") == [(1, 10), (3, None)]


def test_explain_strict_right_predicate_reduces_to_inner_join(big_small: Any) -> None:
    text = big_small.explain("select * from big b left join small s on s.id = b.sid where s.x = 10")
    assert text.startswith("Hash Join")
    assert "Left" not in text
    assert "Seq Scan on small s\n" in text and "Filter: (s.x = 10)" in text.split("small s")[1]
    assert big_small.rows("select b.id from big b left join small s on s.id = b.sid where s.x = 10") == [(1,)]


def test_volatile_bound_is_no_index_condition(big_small: Any) -> None:
    text = big_small.explain("select * from big b join small s on s.id = b.sid where b.id > random() and b.category = 'a'")
    assert "Index Cond: (b.category = 'a')" in text and "Filter: (b.id > RANDOM() AND b.category = 'a')" in text
    assert "Index Cond: (b.id" not in big_small.explain("select * from big b where b.id > random()")


@pytest.mark.parametrize("where", ["s.id IS NULL", "COALESCE(s.x, 0) = 0", "s.x IS DISTINCT FROM 10",
                                   "b.category = 'a' OR s.x = 10", "b.v > RANDOM()"])
def test_explain_not_pushed_not_reduced(big_small: Any, where: str) -> None:
    text = big_small.explain(f"select * from big b left join small s on s.id = b.sid where {where}")
    assert text.startswith(f"Filter ({where})")
    assert "Hash Join Left" in text


def test_explain_both_sides_strict_reduces_but_stays_on_top(big_small: Any) -> None:
    text = big_small.explain("select * from big b left join small s on s.id = b.sid where s.x < b.v")
    assert text.startswith("Filter (s.x < b.v)\n  ->  Hash Join \n")


def test_explain_volatile_conjunct_stays_the_rest_moves(big_small: Any) -> None:
    text = big_small.explain("select * from big b left join small s on s.id = b.sid "
                         "where b.category = 'b' and random() >= 0")
    assert text.startswith("Filter (RANDOM() >= 0)")
    assert "Index Cond: (b.category = 'b')" in text


def test_explain_three_tables_and_subquery(big_small: Any) -> None:
    big_small.run("create table third (id int primary key, bid int, w int); insert into third values (1, 1, 5)")
    text = big_small.explain("select * from big b left join small s on s.id = b.sid left join third t on t.bid = b.id "
                         "where b.category = 'a' and t.w > 1")
    assert text.startswith("Hash Join")
    assert text.count("Left") == 1  # the join to third became inner, the one to small stays left
    assert "Index Cond: (b.category = 'a')" in text and "Filter: (t.w > 1)" in text
    sub = big_small.explain("select * from (select b.id, s.x from big b left join small s on s.id = b.sid "
                        "where b.category = 'a') q where q.x is null")
    assert "Index Cond: (b.category = 'a')" in sub
    assert big_small.rows("select b.id, t.w from big b left join small s on s.id = b.sid "
                       "left join third t on t.bid = b.id where b.category = 'a' and t.w > 1") == [(1, 5)]


def test_right_join_keeps_non_strict_filters_above(big_small: Any) -> None:
    """A WHERE on the inner-join group under a RIGHT JOIN is not pushed into the group's items."""
    sql = ("select s.id from big b join small x on x.id = b.id right join small s on s.id = b.sid "
           "where b.category is null order by s.id")
    assert big_small.rows(sql) == []
    assert big_small.explain(sql).startswith("Sort")


def test_explain_on_condition_of_the_nullable_side_filters_it_first(big_small: Any) -> None:
    text = big_small.explain("select * from big b left join small s on s.id = b.sid and s.x > 5 and b.v > 0")
    assert text.startswith("Hash Join Left \n        Hash Cond: (s.id = b.sid AND b.v > 0)")
    assert "Seq Scan on small s\n          Filter: (s.x > 5)" in text
    rows = big_small.rows("select b.id, s.x from big b left join small s on s.id = b.sid and s.x > 5 order by b.id")
    assert rows == [(1, 10), (2, None), (3, None)]


def test_explain_inner_join_on_reduces_the_left_join_below(big_small: Any) -> None:
    big_small.run("create table third (id int primary key, w int); insert into third values (1, 10)")
    text = big_small.explain("select * from big b left join small s on s.id = b.sid join third t on t.w = s.x")
    assert "Left" not in text
    assert big_small.rows("select b.id, t.id from big b left join small s on s.id = b.sid "
                       "join third t on t.w = s.x") == [(1, 1)]
