"""kill -9 during batch inserts with embeddings: after restart every acknowledged row is in the vector index,
with the vector RocksDB holds, and the index holds no row RocksDB does not (no ghosts)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from engine.database import open_database
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _round(path: Path, start: int, lines_before_kill: int) -> list[int]:
    p = subprocess.Popen([sys.executable, "-m", "tests.vector.crash_child", str(path), str(start)],
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)
    acked: list[int] = []
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        for _ in range(lines_before_kill):
            acked += [int(x) for x in p.stdout.readline().split()]
        os.kill(p.pid, signal.SIGKILL)
        for line in p.stdout.read().splitlines():  # written before the kill: acknowledged too
            acked += [int(x) for x in line.split()]
    finally:
        p.kill()
        p.wait()
    return acked


def test_acknowledged_rows_are_searchable_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "db"
    rnd = random.Random(5)
    acked: list[int] = []
    start = 0
    for _ in range(3):
        got = _round(path, start, rnd.randint(3, 14))
        acked += got
        start = (max(got) + 1 if got else start) + 1000
    db = open_database(Settings(data_dir=path))
    try:
        t = db.store.registry.get("notes")
        rows = {r["k"]: r for r in db.store.begin().scan(t)}
        assert {str(k) for k in acked} <= set(rows)
        idx = db.vectors.index(t)
        assert set(idx.ids()) == {r["id"] for r in rows.values()}  # every row indexed, no ghost
        for r in rows.values():
            np.testing.assert_allclose(idx.get(r["id"]), r["embedding"] / np.linalg.norm(r["embedding"]),
                                       atol=1e-6)
        some = list(rows.values())[:20]
        for r in some:
            assert db.vectors.search(t, "embedding", r["embedding"], 1)[0][1] < 1e-5
    finally:
        db.close()
