"""Fixtures for the SQL engine tests: an in-process database on a temporary data dir (real RocksDB store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.database import open_database
from engine.settings import Settings


class Runner:
    """Runs SQL through the Session API like the wire layer does (split → prepare → execute)."""

    def __init__(self, session: Any) -> None:
        self.s = session

    def run(self, sql: str, params: tuple[Any, ...] = (), oids: tuple[int, ...] = ()) -> Any:
        res = None
        for stmt in self.s.split(sql):
            p = self.s.prepare(stmt, oids)
            res = self.s.execute(p, params)
            res.rows = list(res.rows)
        return res

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.run(sql, params).rows

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(sql, params)[0][0]

    def explain(self, sql: str) -> str:
        """EXPLAIN's text of ``sql``."""
        return "\n".join(r[0] for r in self.rows("explain " + sql))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Any]:
    d = open_database(Settings(data_dir=tmp_path / "db"))
    try:
        yield d
    finally:
        d.close()


@pytest.fixture
def sess(db: Any) -> Iterator[Runner]:
    s = db.session("rem", "rem", {"application_name": "pytest"})
    try:
        yield Runner(s)
    finally:
        s.close()


@pytest.fixture
def big_small(sess: Runner) -> Runner:
    """``sess`` with big(id, sid, category indexed, v) and small(id, x), NULLs in both (the join tests' tables)."""
    sess.run("create table big (id int primary key, sid int, category text, v int);"
             "create index on big (category);"
             "create table small (id int primary key, x int);"
             "insert into big values (1, 1, 'a', 1), (2, 2, 'b', 2), (3, null, 'a', null);"
             "insert into small values (1, 10), (2, null)")
    return sess
