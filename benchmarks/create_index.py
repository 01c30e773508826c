"""CREATE INDEX backfill: time of ``CREATE INDEX ON t (category)`` on a table with a text and a 384-d vector column,
in process and over the wire (a ``rem serve`` on a copy of the same data dir, rows not cached), and of
``CREATE UNIQUE INDEX ON t (body)`` in process with the table in the row cache.

    .venv/bin/python -m benchmarks.create_index [--rows 200000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from engine.database import open_database  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.fix_server import RemServer  # noqa: E402

DDL = "create table t (id int primary key, category text, body text, v vector(384))"


def run(sess: Any, sql: str) -> list[Any]:
    rows: list[Any] = []
    for stmt in sess.split(sql):
        rows = list(sess.execute(sess.prepare(stmt, ()), ()).rows)
    return rows


def load(data: Path, rows: int) -> None:
    db = open_database(Settings(data_dir=data))
    s = db.session("rem", "rem", {})
    run(s, DDL)
    td = db.store.registry.get("t", "public")
    rng = np.random.default_rng(1)
    for start in range(0, rows, 10_000):
        n = min(rows, start + 10_000) - start
        vecs = rng.random((n, 384), dtype=np.float32)
        txn = db.store.begin()
        txn.insert(td, [{"id": start + i, "category": f"cat{(start + i) % 1000}", "body": f"item {start + i}",
                         "v": vecs[i]} for i in range(n)])
        txn.commit()
    s.close()
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="rem-cix-"))
    try:
        t0 = time.perf_counter()
        load(base / "a", a.rows)
        print(f"loaded {a.rows} rows in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f}")
        shutil.copytree(base / "a", base / "b")
        db = open_database(Settings(data_dir=base / "a"))
        s = db.session("rem", "rem", {})
        t0 = time.perf_counter()
        run(s, "create index on t (category)")
        dt_proc = time.perf_counter() - t0
        run(s, "select count(*) from t where body like 'item%'")  # a full scan: the row cache holds the table
        t0 = time.perf_counter()
        run(s, "create unique index on t (body)")
        dt_uniq = time.perf_counter() - t0
        n = run(s, "select count(*) from t where category = 'cat7'")[0][0]
        s.close()
        db.close()
        print(f"in process: CREATE INDEX ON t (category) {dt_proc:.2f} s (cat7 rows {n}); "
              f"CREATE UNIQUE INDEX ON t (body), rows cached, {dt_uniq:.2f} s")
        srv = RemServer(data_dir=str(base / "b"))
        srv.start()
        try:
            with psycopg.connect(srv.dsn, autocommit=True) as c:
                t0 = time.perf_counter()
                c.execute("create index on t (category)")
                dt_wire = time.perf_counter() - t0
                n = c.execute("select count(*) from t where category = 'cat7'").fetchone()[0]  # type: ignore[index]
        finally:
            srv.stop()
        print(f"over the wire: CREATE INDEX ON t (category) {dt_wire:.2f} s (cat7 rows {n}); "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
