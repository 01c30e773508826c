"""ORDER BY/LIMIT, DISTINCT, equi-joins and GROUP BY above them on Arrow (engine.sql.columnar_sort, columnar_join) give exactly the row
path's answers — same rows, same order — on the differential case file, with the paths on and off; EXPLAIN names
the columnar step; transactions see only committed rows and their own writes through these paths."""

from __future__ import annotations

from pathlib import Path

from engine.database import open_database
from engine.settings import Settings
from engine.sql import columnar_join, columnar_sort
from tests.sql.conftest import Runner
from tests.sql.test_columnar import _outcomes, same_on_both_paths

FILES = ["36_columnar_sort_join.sql"]


def _served() -> dict[str, int]:
    return {**columnar_sort.STATS, **columnar_join.STATS}


def test_case_file_same_on_arrow_and_row_paths(tmp_path: Path) -> None:
    before = _served()
    on = _outcomes(tmp_path / "on", FILES, True)
    served = {k: v - before[k] for k, v in _served().items()}
    off = _outcomes(tmp_path / "off", FILES, False)
    assert served["topk"] >= 20 and served["sort"] >= 3 and served["distinct"] >= 5 and served["join"] >= 10, served
    assert served["join_aggregate"] >= 8, served  # GROUP BY straight above a join (its conjuncts applied below)
    assert len(on) == len(off)
    for a, b in zip(on, off, strict=True):
        assert a == b


def test_explain_names_the_columnar_steps(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, g int, name text, data jsonb)")
        s.run("create table u (id int primary key, t_id int)")

        assert "Columnar: pyarrow sort_indices" in s.explain("select id from t where g = 1 order by name desc limit 5")
        assert "Columnar: pyarrow group_by" in s.explain("select distinct g, name from t")
        assert "Columnar: pyarrow hash join" in s.explain("select * from t join u on t.id = u.t_id")
        assert "Columnar: pyarrow hash join" in s.explain("select * from t left join u on t.id = u.t_id")
        for q in ("select id from t order by lower(name) limit 5",  # an expression key
                  "select id from t order by data limit 5",  # jsonb has no exact Arrow image
                  "select distinct lower(name) from t",
                  "select * from t join u on t.id = u.t_id + 1",
                  "select * from t left join u on t.id = u.t_id and t.g > u.id",  # a residual condition
                  "select * from t full join u on t.id = u.t_id"):
            assert "Columnar" not in s.explain(q), q
    finally:
        db.close()


def test_transactions_see_committed_and_own_rows(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db"))
    a, b = Runner(db.session("rem", "rem")), Runner(db.session("rem", "rem"))
    try:
        a.run("create table t (id int primary key, k text, n int)")
        a.run("insert into t select i, 'k' || (i % 50), i from generate_series(1, 4000) s(i)")
        a.run("create table u (id int primary key, t_id int, tag text)")
        a.run("insert into u select i, i % 4100, 'u' || i from generate_series(1, 3000) s(i)")
        top = "select id, k from t order by k desc, n desc limit 3"
        dist = "select distinct k from t where n > 3990 order by k"
        join = "select t.id, u.id from t join u on t.id = u.t_id where u.id > 2990 or t.k = 'zz' order by 2, 1"
        before = [same_on_both_paths(b, q) for q in (top, dist, join)]
        a.run("begin")
        a.run("insert into t values (5000, 'zz', 1)")
        a.run("insert into u values (5000, 5000, 'new')")
        a.run("update t set k = 'a0' where id = 3999")
        a.run("delete from t where id = 2995")
        mine = [same_on_both_paths(a, q) for q in (top, dist, join)]
        assert mine[0][0] == (5000, "zz")
        assert "a0" in [r[0] for r in mine[1]] and (5000, 5000) in mine[2] and (2995, 2995) not in mine[2]
        assert [same_on_both_paths(b, q) for q in (top, dist, join)] == before  # the other session: committed rows only
        a.run("commit")
        assert [same_on_both_paths(b, q) for q in (top, dist, join)] == mine
        b.run("update u set t_id = null where id between 2991 and 3000")  # NULL keys never match
        assert same_on_both_paths(b, join) == [(5000, 5000)]
    finally:
        db.close()


def test_ties_keep_row_scan_order_after_writes(tmp_path: Path) -> None:
    """ORDER BY keys with many ties, DISTINCT and joins: same order as the row path both when the column view is in
    scan order and after commits that put it out of scan order (rows appended since the column base)."""
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, g int, name text)")
        s.run("insert into t select i, i % 7, 'n' || (i % 10) from generate_series(1, 3000) s(i)")
        s.run("create table u (id int primary key, g int)")
        s.run("insert into u select i, i % 7 from generate_series(1, 100) s(i)")
        qs = ["select id, name from t order by g limit 5", "select id from t order by name desc limit 7 offset 3",
              "select id, g from t order by g", "select distinct g from t", "select distinct name, g from t",
              "select t.id, u.id from t join u on t.g = u.g", "select t.id, u.id from u join t on t.g = u.g limit 20"]
        before = _served()
        first = [same_on_both_paths(s, q) for q in qs]
        s.run("insert into t select i, i % 7, 'n' || (i % 10) from generate_series(3001, 3500) s(i)")
        s.run("update t set g = 3 where id % 50 = 0")
        s.run("delete from t where id % 77 = 0")
        after = [same_on_both_paths(s, q) for q in qs]
        assert first != after
        served = {k: v - before[k] for k, v in _served().items()}
        assert served == {"sort": 2, "topk": 4, "distinct": 4, "join": 4, "join_aggregate": 0}, served
    finally:
        db.close()


def test_join_conjuncts_applied_once(tmp_path: Path) -> None:
    """Conjuncts a comma/inner join applies exactly below it (pushed to one table, or equal-type key equalities)
    are not re-checked above the join; others (mixed-type keys, conditions on two tables) still are."""
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, g int, f float8, name text)")
        s.run("create table u (id int primary key, t_id int, n numeric(8,2))")

        p = s.explain("select count(*) from t join u on t.id = u.t_id where t.g = 1 and u.n > 2 group by t.g")
        assert "Filter (" not in p and "Filter: (t.g = 1)" in p and "Filter: (u.n > 2)" in p, p
        p = s.explain("select * from t, u where t.id = u.t_id and t.g < u.id")
        assert "Filter (t.id = u.t_id AND t.g < u.id)" in p or "Filter (t.g < u.id)" in p, p
        p = s.explain("select * from t join u on t.f = u.t_id")  # float vs int key: re-checked as SQL's =
        assert "Filter (t.f = u.t_id)" in p, p
    finally:
        db.close()
