"""End to end: rows acknowledged to a psycopg client (CommandComplete received) survive SIGKILL of ``rem serve``
while the client keeps inserting."""

from __future__ import annotations

import random
import signal
import threading
from pathlib import Path

import psycopg

from tests.fix_server import RemServer


def _writer(dsn: str, start: int, acked: list[int], enough: threading.Event, want: int) -> None:
    k = start
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            while True:
                k += 1
                if k % 3 == 0:
                    c.execute("INSERT INTO crash_w VALUES (%s, %s, %s), (%s, %s, %s)",
                              (k, f"t{k % 5}", "x" * (k % 50), k + 1, f"t{(k + 1) % 5}", "y"))
                    acked.extend([k, k + 1])
                    k += 1
                else:
                    c.execute("INSERT INTO crash_w VALUES (%s, %s, %s)", (k, f"t{k % 5}", "z"))
                    acked.append(k)
                if len(acked) >= want:
                    enough.set()
    except psycopg.Error:
        enough.set()  # the server died under us: what was acknowledged so far is in ``acked``


def test_acknowledged_inserts_survive_server_sigkill(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    rnd = random.Random(99)
    acked: list[int] = []
    for rnd_no in range(4):
        srv = RemServer(data_dir=data)
        srv.start()
        try:
            with psycopg.connect(srv.dsn, autocommit=True) as c:
                if rnd_no == 0:
                    c.execute("CREATE TABLE crash_w (k int PRIMARY KEY, tag text, v text)")
                    c.execute("CREATE INDEX ON crash_w (tag)")
                got = {r[0] for r in c.execute("SELECT k FROM crash_w")}
                assert set(acked) <= got, f"round {rnd_no}: lost {sorted(set(acked) - got)[:5]}"
                n = c.execute("SELECT count(*) FROM crash_w").fetchone()[0]  # type: ignore[index]
                per_tag = sum(c.execute("SELECT count(*) FROM crash_w WHERE tag = %s", (f"t{i}",)).fetchone()[0]  # type: ignore[index]
                              for i in range(5))
                assert n == len(got) == per_tag
            if rnd_no == 3:
                break
            enough = threading.Event()
            th = threading.Thread(target=_writer, args=(srv.dsn, max(got, default=0) + 10, acked, enough,
                                                        len(acked) + rnd.randint(20, 200)))
            th.start()
            enough.wait(120)
            assert srv.proc is not None
            srv.proc.send_signal(signal.SIGKILL)  # mid-stream: the writer may be inside an INSERT
            srv.proc.wait(30)
            th.join(60)
        finally:
            srv.cleanup()
