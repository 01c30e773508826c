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


def _parse(line: str, acked: list[int], deleted: set[int], maybe: set[int]) -> None:
    """An ack line ("k k k [D k k]") or a delete intent ("W k k": those rows may be gone without an ack)."""
    if line.startswith("W "):
        maybe.update(int(x) for x in line[2:].split())
        return
    ins, _, dels = line.partition(" D ")
    acked.extend(int(x) for x in ins.split())
    deleted.update(int(x) for x in dels.split())


def _round(path: Path, start: int, sync: bool, lines_before_kill: int,
           deleted: set[int], maybe: set[int]) -> list[int]:
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
            _parse(line, acked, deleted, maybe)
        os.kill(p.pid, signal.SIGKILL)
        rest = p.stdout.read()  # lines written before the kill are acknowledged too
        for line in rest.splitlines(keepends=True):
            if line.endswith("\n"):  # a torn last line is not a complete acknowledgement
                _parse(line, acked, deleted, maybe)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == -signal.SIGKILL
    return acked


def test_acknowledged_rows_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "db"
    rnd = random.Random(1234)
    acked_all: list[int] = []
    deleted: set[int] = set()  # acknowledged deletes
    maybe: set[int] = set()  # rows a commit meant to delete (gone or not, if the ack was cut off)
    start = 1
    for rnd_no in range(6):
        acked = _round(path, start, sync=rnd_no % 2 == 1, lines_before_kill=rnd.randint(5, 400),
                       deleted=deleted, maybe=maybe)
        acked_all.extend(acked)
        st = open_store(Settings(data_dir=path))
        try:
            t = st.registry.get("crash")
            assert t is not None
            ids = [derive_id("crash", {"k": k}, None, ["k"]) for k in acked_all
                   if k not in deleted and k not in maybe]
            assert count_live(st, t.oid, ids) == len(ids), f"round {rnd_no}: acknowledged rows lost"
            gone = [derive_id("crash", {"k": k}, None, ["k"]) for k in deleted]
            assert count_live(st, t.oid, gone) == 0, f"round {rnd_no}: acknowledged deletes lost"
            assert verify(st) == []
            tx = st.begin()
            n = tx.count(t)
            assert n == len(list(tx.scan(t))) >= len(ids)
            assert sum(len(tx.lookup(t, "tag", [tag])) for tag in [*(f"t{i}" for i in range(7)), "upd"]) == n
            start = max([r["k"] for r in tx.scan(t)] + acked_all + list(maybe)) + 1
        finally:
            st.close()
    assert deleted and acked_all  # the rounds did delete and insert
