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
