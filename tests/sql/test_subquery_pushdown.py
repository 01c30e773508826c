"""WHERE into FROM subqueries and views (engine.sql.subquery_pushdown): same rows as PostgreSQL 15, and the filter
moved inside where PostgreSQL moves it (EXPLAIN: an index scan in the view instead of a filter above it).

The differential part runs views and subqueries with plain and computed columns, NULLs, GROUP BY, DISTINCT, LIMIT,
window and volatile outputs, outer joins on either side, nested views and correlated references through the
case-file harness (tests/sql/differential.py) on REM and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.sql.differential import assert_script_matches

SETUP = """
create table sp_big (id int primary key, sid int, category text, v int);
create index sp_big_category on sp_big (category);
create table sp_small (id int primary key, x int, name text);
insert into sp_big select g, case when g % 7 = 0 then null else g % 13 end,
  case when g % 5 = 0 then null else 'c' || (g % 4) end, case when g % 11 = 0 then null else g % 9 end
  from generate_series(1, 300) g;
insert into sp_small values (1, 1, 'n1'), (2, 2, 'n2'), (3, null, 'n3'), (4, 1, null), (5, 3, 'n5'), (6, null, null),
  (7, 2, 'n7'), (9, 4, 'n9'), (10, 1, 'n10');
create sequence sp_seq;
create view sp_v as select * from sp_big;
create view sp_vc as select id, v * 2 as v2, category || '-x' as cx, v::text as vt, cast(id as numeric) / 4 as q,
  coalesce(v, -1) as vz from sp_big where id > 10;
create view sp_vg as select category, sid, count(*) as n, sum(v) as s from sp_big group by category, sid;
create view sp_vd as select distinct category, v from sp_big;
create view sp_vl as select id, category from sp_big order by id limit 20;
create view sp_vn as select id, category, v from sp_v where v is not null;
create view sp_vnn as select id as ident, upper(category) as cat from sp_vn where id % 2 = 0;
create view sp_vseq as select id, nextval('sp_seq') as n from sp_big;
"""

QUERIES = """
-- plain view, plain columns: pushed (index scan on category / the primary key)
select * from sp_v where id = 17;
select * from sp_v where category = 'c1' order by id;
select id, v from sp_v where category in ('c0', 'c3') and v > 4 order by id;
select id from sp_v where category is null order by id;
select id from sp_v where v is null order by id;
select id from sp_v where v between 2 and 3 and id < 100 order by id;
select id from sp_v where sid = v order by id;
select count(*) from sp_v where category = 'c2' or v = 1;
select * from sp_v v where v.id >= 295 order by v.id;
-- FROM subqueries, renamed columns, * of one table of a join
select * from (select id, category from sp_big) s where s.category = 'c2' and id < 60 order by id;
select * from (select id, v from sp_big where v > 3) s(a, b) where a < 40 order by a;
select * from (select b.*, s.x from sp_big b join sp_small s on s.id = b.sid) q where q.x = 1 and q.category = 'c1'
  order by q.id;
select * from (select b.id, s.name from sp_big b left join sp_small s on s.id = b.sid) q where q.name is null
  and q.id < 30 order by q.id;
-- computed columns: expressions, casts, coalesce, numeric division
select * from sp_vc where v2 = 4 order by id;
select id, cx from sp_vc where cx = 'c1-x' and id < 60 order by id;
select id from sp_vc where vt = '3' order by id;
select id, q from sp_vc where q > 70 order by id;
select id from sp_vc where vz = -1 order by id;
select id from sp_vc where v2 is null order by id;
select id from sp_vc where cx is null order by id;
select id from sp_vc where v2 + 1 = vz * 2 + 1 order by id;
select id from (select id, 'lit' as l from sp_big) s where l = 'lit' and id < 5 order by id;
select id from (select id, v::numeric / 2 as h from sp_big) s where h = 1.5 order by id;
-- GROUP BY: conjuncts on grouping columns move to the inner WHERE, on aggregates they stay above
select * from sp_vg where category = 'c1' order by sid;
select * from sp_vg where n > 5 order by category, sid;
select * from sp_vg where category = 'c2' and s > 20 order by sid;
select * from sp_vg where sid is null order by category;
select * from (select category, count(*) c from sp_big group by 1) s where category <> 'c0' order by 1;
select * from (select count(*) c from sp_big) s where c > 0;
select * from (select count(*) c from sp_big) s where false;
select * from (select category, count(*) c from sp_big group by category having count(*) > 60) s
  where category like 'c%' order by 1;
select * from (select sid % 3 as m, count(*) c from sp_big group by sid % 3) s where m = 1;
-- DISTINCT (pushed, as PostgreSQL), DISTINCT ON / LIMIT / OFFSET / window (never pushed)
select * from sp_vd where category = 'c3' order by v;
select * from sp_vd where v is null order by category;
select * from sp_vl where id % 2 = 0 order by id;
select * from sp_vl where category = 'c1' order by id;
select * from (select id, v from sp_big order by id offset 290) s where v > 2 order by id;
select * from (select distinct on (category) category, id from sp_big order by category, id) s where id > 2
  order by category;
select * from (select id, row_number() over (order by id) rn from sp_big) s where id > 295 order by id;
select * from (select id, sum(v) over (partition by category) t from sp_big) s where id < 5 order by id;
select * from (select id from sp_big order by row_number() over (order by v, id)) s where id < 9 order by id;
-- set-returning functions in the target list, UNION ALL
select * from (select id, generate_series(1, 2) g from sp_big) s where id < 3 order by id, g;
select * from (select id, v from sp_big union all select id, x from sp_small) u where id = 5 order by v;
select * from (select id from sp_big union select id from sp_small) u where id < 4 order by id;
select * from (select id, v from sp_big where v > 2 union all select id, x from sp_small union all select 1000, 7) u
  where id between 4 and 12 and v is not null order by id, v;
select * from (select id, v from sp_big union all select id, x::numeric / 2 from sp_small) u where v = 0.5
  order by id;
select * from (select id, category from sp_big union all select id, 'z' from sp_small) u where category = 'z'
  order by id;
select * from (select id, v from sp_big intersect select x, x from sp_small) u where v > 1 order by id;
select * from (select id, v from sp_big except select x, x from sp_small) u where id < 6 order by id;
select * from (select id, v from sp_big union all (select id, x from sp_small order by id limit 3)) u where id < 6
  order by id, v;
select * from (select id, v from sp_big union all select id, x from sp_small order by 1 limit 5) u where v > 0
  order by id;
select * from (select category, count(*) n from sp_big group by category union all select name, x from sp_small) u
  where category = 'n1' or category = 'c1' order by category, n;
select * from (select id, v from sp_big union all select id, random()::int from sp_small) u where v > 5 and id < 12
  order by id;
-- volatile: outputs and conjuncts stay above; a plain column next to nextval moves (as PostgreSQL)
select id from (select id, random() r from sp_big) s where r >= 0 and id < 5 order by id;
select id from sp_vseq where id = 3;
select currval('sp_seq');
select id from sp_vseq where id < 3 order by id;
select currval('sp_seq');
select count(*) from (select id from sp_big) s where nextval('sp_seq') > 0;
select currval('sp_seq');
select count(*) from sp_v where id > random() * 0;
-- outer joins: the preserved side takes the filter, the nullable side does not (unless the join reduces)
select b.id, s.name from sp_v b left join sp_small s on s.id = b.sid where b.category = 'c1' order by b.id;
select s.id, b.id from sp_small s left join sp_v b on b.sid = s.id and b.id < 40 where b.v is null order by s.id, b.id;
select s.id, b.id from sp_small s left join (select id, sid, coalesce(v, 0) as v from sp_big) b on b.sid = s.id
  where b.v = 0 order by s.id, b.id;
select s.id, b.id from sp_small s left join (select id, sid, coalesce(v, 0) as v from sp_big) b on b.sid = s.id
  where b.v is null order by s.id, b.id;
select s.id, b.id from sp_small s left join sp_vc b on b.v2 = s.x * 2 where b.id > 290 order by s.id, b.id;
select s.id, b.n from sp_small s left join sp_vg b on b.sid = s.id and b.category = 'c1' order by s.id;
select s.id, b.n from sp_small s left join sp_vg b on b.sid = s.id where coalesce(b.category, 'none') = 'none'
  order by s.id;
select b.id, s.id from (select id, sid, category from sp_big) b right join sp_small s on s.id = b.sid
  where b.category = 'c2' order by b.id;
select b.id, s.id from (select id, sid, category from sp_big) b right join sp_small s on s.id = b.sid
  where s.x = 1 and (b.id < 20 or b.id is null) order by b.id, s.id;
select b.id, s.id from (select id, sid from sp_big where id < 30) b full join (select id, x from sp_small) s
  on s.id = b.sid where s.x is null order by b.id, s.id;
select b.id, s.id from (select id, sid from sp_big where id < 30) b full join (select id, x from sp_small) s
  on s.id = b.sid where b.id > 25 order by b.id, s.id;
select b.id, s.x from sp_v b, (select id, x from sp_small) s where s.id = b.sid and s.x = 2 and b.v = 1
  order by b.id;
-- nested views
select * from sp_vn where id < 30 order by id;
select * from sp_vnn where ident between 100 and 120 order by ident;
select * from sp_vnn where cat = 'C1' and ident < 50 order by ident;
select count(*) from sp_vnn where cat is null;
select * from (select * from (select id, v + 1 as w from sp_big) a where w > 3) b where w < 6 and id < 40
  order by id;
-- correlated references: outer columns stay above, results unchanged
select s.id, (select count(*) from (select id, sid from sp_big) b where b.sid = s.id) from sp_small s order by s.id;
select s.id, (select count(*) from sp_v b where b.sid = s.id and b.category = 'c1') from sp_small s order by s.id;
select s.id from sp_small s where exists (select 1 from (select sid, v from sp_big) b where b.sid = s.id and b.v > 7)
  order by s.id;
select s.id, (select max(n) from sp_vg g where g.sid = s.x) from sp_small s order by s.id;
-- CTEs referenced from a subquery, a data-modifying WITH runs once
with c as (select id, v from sp_big) select * from (select * from c where v > 1) s where id < 9 order by id;
select * from (with c as (select id, category from sp_big) select * from c) s where category = 'c2' and id < 30
  order by id;
create table sp_ins (id int, v int);
with x as (insert into sp_ins values (1, 2), (2, 3) returning *) select * from (select * from x) s where id = 1;
select count(*) from sp_ins;
-- errors stay PostgreSQL's
select * from sp_v where nosuch = 1;
select * from sp_v where category = 1;
select * from sp_vg where sum(s) > 1;
select * from (select id from sp_big) s where s.id = 'x';
drop view sp_vseq;
drop view sp_vnn;
drop view sp_vn;
drop view sp_vl;
drop view sp_vd;
drop view sp_vg;
drop view sp_vc;
drop view sp_v;
drop sequence sp_seq;
"""


@pytest.mark.pg_reference
def test_subquery_pushdown_matches_postgres(tmp_path: Path, rem_dsn: str, pg_dsn: str) -> None:
    assert_script_matches(tmp_path / "subquery_pushdown.sql", SETUP + QUERIES, rem_dsn, pg_dsn, at_least=101)


@pytest.mark.pg_reference
def test_parameterized_view_lookup_matches_postgres(rem_dsn: str, pg_dsn: str) -> None:
    """The motivating query, ``SELECT * FROM v WHERE id = $1`` (extended protocol), on both servers."""
    results: list[list[Any]] = []
    for dsn in (rem_dsn, pg_dsn):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(SETUP)
            try:
                results.append([c.execute("select * from sp_v where id = %s", (k,), prepare=True).fetchall()
                                for k in (17, 300, 301)]
                               + [c.execute("select sid, n from sp_vg where category = %s order by sid", (cat,),
                                            prepare=True).fetchall() for cat in ("c1", "zz")])
            finally:
                c.execute("drop view sp_vseq, sp_vnn, sp_vn, sp_vl, sp_vd, sp_vg, sp_vc, sp_v; "
                          "drop table sp_big; drop table sp_small; drop sequence sp_seq")
    assert results[0] == results[1]
    assert results[0][0] and not results[0][2] and results[0][3]


@pytest.fixture
def tables(big_small: Any) -> Any:
    big_small.run("create view v as select * from big;"
                  "create view vg as select category, count(*) as n from big group by category")
    return big_small


def test_explain_view_filter_becomes_an_index_scan_inside(tables: Any) -> None:
    text = tables.explain("select * from v where category = 'a'")
    assert text.startswith("Subquery Scan on v")  # no Filter above the view
    assert "Index Scan using big_category_idx on big" in text and "Index Cond: (big.category = 'a')" in text
    assert tables.rows("select id from v where category = 'a' order by id") == [(1,), (3,)]
    pk = tables.explain("select * from v where id = 2")
    assert pk.startswith("Subquery Scan on v") and "Index Cond: (big.id = 2)" in pk
    assert tables.rows("select * from v where id = $1", (2,)) == [(2, 2, "b", 2)]


def test_explain_subquery_and_nested_view(tables: Any) -> None:
    tables.run("create view v2 as select id as k, category as c, v * 2 as w from v where sid is not null")
    text = tables.explain("select * from (select id, category from big) s where s.category = 'b'")
    assert text.startswith("Subquery Scan on s") and "Index Cond: (category = 'b')" in text
    nested = tables.explain("select * from v2 where c = 'a' and w > 0")
    assert nested.startswith("Subquery Scan on v2") and "Index Cond: (big.category = 'a')" in nested
    assert tables.rows("select * from v2 where c = 'a' and w > 0") == [(1, "a", 2)]


def test_explain_group_column_moves_aggregate_stays(tables: Any) -> None:
    text = tables.explain("select * from vg where category = 'a' and n > 1")
    above, below = text.split("Subquery Scan on vg")
    assert "Filter (n > 1)" in above and "category" not in above
    assert "Index Cond: (category = 'a')" in below
    assert tables.rows("select * from vg where category = 'a' and n > 1") == [("a", 2)]


@pytest.mark.parametrize("sub", ["select id, category from big order by id limit 2",
                                 "select distinct on (category) id, category from big",
                                 "select id, category, row_number() over () from big",
                                 "select id, category from big union all select id, 'z' from small",
                                 "select id, category from big except select id, 'z'::text from small"])
def test_explain_not_pushed(tables: Any, sub: str) -> None:
    text = tables.explain(f"select id from ({sub}) s where category = 'a'")
    assert "Filter (category = 'a')" in text.split("Subquery Scan on s")[0]
    assert "Index Cond" not in text


def test_explain_volatile_and_outer_reference_stay_above(tables: Any) -> None:
    text = tables.explain("select * from (select id, random() as r from big) s where r < 2 and id = 1")
    above, below = text.split("Subquery Scan on s")
    assert "r < 2" in above and "Index Cond: (id = 1)" in below
    assert "Index Cond" not in tables.explain("select * from v where id > random()")


def test_explain_nullable_side_of_a_left_join_keeps_its_filter_above(tables: Any) -> None:
    text = tables.explain("select * from small s left join v b on b.sid = s.id where b.category is null")
    assert text.startswith("Filter (b.category IS NULL)") and "Index Cond" not in text
    left = tables.explain("select * from v b left join small s on s.id = b.sid where b.category = 'a'")
    assert "Filter" not in left.split("Subquery Scan on b")[0]
    assert "Index Cond: (big.category = 'a')" in left
    assert tables.rows("select s.id, b.id from small s left join v b on b.sid = s.id where b.category is null "
                       "order by s.id") == []


def test_explain_union_all_branches_each_take_the_filter(tables: Any) -> None:
    sql = "select * from (select id, category from big union all select id, category from v) u where category = 'a'"
    text = tables.explain(sql)
    assert text.startswith("Subquery Scan on u") and text.count("Index Cond: (") == 2
    assert sorted(tables.rows(sql)) == [(1, "a"), (1, "a"), (3, "a"), (3, "a")]


def test_nested_views_are_expanded_once_per_level(tables: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that a pushdown replaced is reused within the statement: not 2^depth plannings of a view chain."""
    from engine.sql import views

    tables.run("create view n0 as select * from big where v > 0")
    for k in range(1, 7):
        tables.run(f"create view n{k} as select * from n{k - 1} where id > {k - 10}")
    calls: list[str] = []
    real = views.expand_view
    monkeypatch.setattr(views, "expand_view", lambda p, v, *a: calls.append(v.name) or real(p, v, *a))
    assert tables.rows("select id from n6 where category = 'a' order by id") == [(1,)]
    assert sorted(calls) == [f"n{k}" for k in range(7)]
    assert "Index Cond: (big.category = 'a')" in tables.explain("select id from n6 where category = 'a'")
