"""Crash safety: a child inserts and reports acknowledged commits; SIGKILL at random moments; after reopening,
every acknowledged row is present and the derived entries (indexes, key index, edges) agree with the rows."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from engine.ids import derive_id
from engine.settings import Settings
from engine.storage import open_store
from engine.storage.check import count_live, verify

ROOT = Path(__file__).resolve().parents[2]


def _round(path: Path, start: int, sync: bool, lines_before_kill: int) -> list[int]:
    p = subprocess.Popen([sys.executable, "-m", "tests.storage.crash_child", str(path), str(start), "1" if sync else "0"],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    acked: list[int] = []
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        for _ in range(lines_before_kill):
            line = p.stdout.readline()
            if not line:
                break
            acked.extend(int(x) for x in line.split())
        os.kill(p.pid, signal.SIGKILL)
        rest = p.stdout.read()  # lines written before the kill are acknowledged too
        for line in rest.splitlines():
            if line.endswith(tuple("0123456789")) and line.strip():
                try:
                    acked.extend(int(x) for x in line.split())
                except ValueError:  # a torn last line: not a complete acknowledgement
                    pass
    finally:
        p.kill()
        p.wait()
    assert p.returncode == -signal.SIGKILL
    return acked


def test_acknowledged_rows_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "db"
    rnd = random.Random(1234)
    acked_all: list[int] = []
    start = 1
    for rnd_no in range(6):
        acked = _round(path, start, sync=rnd_no % 2 == 1, lines_before_kill=rnd.randint(5, 400))
        acked_all.extend(acked)
        st = open_store(Settings(data_dir=path))
        try:
            t = st.registry.get("crash")
            assert t is not None
            ids = [derive_id("crash", {"k": k}, None, ["k"]) for k in acked_all]
            assert count_live(st, t.oid, ids) == len(ids), f"round {rnd_no}: acknowledged rows lost"
            assert verify(st) == []
            tx = st.begin()
            n = tx.count(t)
            assert n >= len(acked_all)
            assert sum(len(tx.lookup(t, "tag", [f"t{i}"])) for i in range(7)) == n
            start = max(r["k"] for r in tx.scan(t)) + 1
        finally:
            st.close()
