"""The columnar path (engine.sql.columnar: WHERE and GROUP BY on Arrow over the column cache) gives exactly the row
path's answers: the case files that exercise it run in-process twice, with the path on and off, and every
statement must produce the same outcome; sessions never see each other's uncommitted rows through it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine import errors as E
from engine import types as T
from engine.database import open_database
from engine.settings import Settings
from engine.sql import columnar, columnar_sort
from engine.storage import columns
from tests.sql.conftest import Runner
from tests.sql.differential import CASES, statements

FILES = ["20_columnar_scan.sql", "13_big_groups.sql"]


def _outcomes(tmp: Path, files: list[str], enabled: bool) -> list[Any]:
    columnar.ENABLED = enabled
    db = open_database(Settings(data_dir=tmp))
    s = db.session("rem", "rem")
    run = Runner(s)
    out: list[Any] = []
    try:
        for f in files:
            for stmt in statements(CASES / f):
                try:
                    res = run.run(stmt.sql)
                    rows = [tuple(repr(v) for v in r) for r in (res.rows or [])]
                    out.append((stmt.sql, res.tag, rows if stmt.ordered else Counter(rows)))
                except E.RemError as e:
                    out.append((stmt.sql, "error", e.sqlstate))
    finally:
        columnar.ENABLED = True
        s.close()
        db.close()
    return out


def test_case_files_same_on_arrow_and_row_paths(tmp_path: Path) -> None:
    before = {**columnar.STATS, **columnar_sort.STATS}
    on = _outcomes(tmp_path / "on", FILES, True)
    served = {k: v - before[k] for k, v in {**columnar.STATS, **columnar_sort.STATS}.items()}
    off = _outcomes(tmp_path / "off", FILES, False)
    assert served["filter"] + served["topk"] >= 5 and served["aggregate"] >= 20, served  # WHERE under a sort
    assert len(on) == len(off)
    for a, b in zip(on, off, strict=True):
        assert a == b


def same_on_both_paths(s: Runner, q: str) -> list[tuple]:
    """``q``'s rows with the Arrow paths on, checked equal to the row path's."""
    got = s.rows(q)
    columnar.ENABLED = False
    try:
        want = s.rows(q)
    finally:
        columnar.ENABLED = True
    assert got == want, q
    return got


def test_compaction_keeps_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "COMPACT_MIN", 100)
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, g int, v numeric(8,2))")
        s.run("insert into t select i, i % 5, i * 0.5 from generate_series(1, 3000) s(i)")
        q = "select g, count(*), sum(v), max(v) from t where v > 10 group by g order by g"
        for k in range(12):
            s.run(f"update t set v = v + 1 where id % 12 = {k}")
            s.run(f"delete from t where id = {k * 7 + 1}")
            s.run(f"insert into t values ({5000 + k}, {k % 5}, {k})")
            same_on_both_paths(s, q)
    finally:
        db.close()


def test_sessions_see_only_committed_and_their_own_rows(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db"))
    a, b = Runner(db.session("rem", "rem")), Runner(db.session("rem", "rem"))
    try:
        a.run("create table t (id int primary key, k text, n int)")
        a.run("insert into t select i, 'k' || (i % 3), i from generate_series(1, 4000) s(i)")
        q = "select k, count(*), sum(n) from t where n > $1 group by k order by k"
        before = b.run(q, (3000,), (T.INT4,)).rows
        a.run("begin")
        a.run("insert into t values (5001, 'new', 5001)")
        a.run("update t set k = 'new' where id = 3500")
        a.run("delete from t where id between 3990 and 4000")
        mine = a.run(q, (3000,), (T.INT4,)).rows
        assert ("new", 2, 8501) in mine
        assert b.run(q, (3000,), (T.INT4,)).rows == before
        assert a.one("select count(*) from t where n > 3000") == 1000 - 11 + 1
        assert b.one("select count(*) from t where n > 3000") == 1000
        a.run("commit")
        assert b.run(q, (3000,), (T.INT4,)).rows == mine
    finally:
        db.close()


def test_parameters_bind_at_execution(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, name text, price numeric(10,2))")
        s.run("insert into t select i, 'n' || i, i * 0.25 from generate_series(1, 3000) s(i)")
        q = "select count(*) from t where price >= $1 and name like $2"
        for lo, pat in ((10, "n1%"), (500.5, "n2__"), (None, "%"), (0, None)):
            got = s.run(q, (lo, pat), (T.NUMERIC, T.TEXT)).rows
            columnar.ENABLED = False
            try:
                want = s.run(q, (lo, pat), (T.NUMERIC, T.TEXT)).rows
            finally:
                columnar.ENABLED = True
            assert got == want
        with pytest.raises(E.RemError) as ei:  # a pattern ending in the escape character: the row path's error
            s.run(q, (1, "n\\"), (T.NUMERIC, T.TEXT))
        assert ei.value.sqlstate == "22025"
    finally:
        db.close()


def test_volatile_functions_run_per_row(tmp_path: Path) -> None:
    """nextval() in WHERE is evaluated for every row (the row path), never once per statement."""
    db = open_database(Settings(data_dir=tmp_path / "db"))
    s = Runner(db.session("rem", "rem"))
    try:
        s.run("create table t (id int primary key, g int)")
        s.run("insert into t select i, i % 3 from generate_series(1, 3000) s(i)")
        s.run("create sequence s")
        assert s.one("select count(*) from t where g >= 0 and id > nextval('s') - 5000") == 3000
        assert s.one("select currval('s')") >= 3000
    finally:
        db.close()
