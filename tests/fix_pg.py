"""A throwaway PostgreSQL 15 as the reference oracle (session-scoped), run as an unprivileged user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest


def _pg_bin() -> str:
    for d in (os.environ.get("PG_BIN", ""), "/usr/lib/postgresql/15/bin", "/usr/local/bin"):
        if d and os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("PostgreSQL 15 (initdb) not found: install postgresql-15")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ReferencePostgres:
    """A PostgreSQL 15 cluster in a temp dir; ``dsn`` connects as superuser ``rem`` to db ``postgres``."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.as_root = os.geteuid() == 0
        self.kw: dict = {"user": "postgres", "group": "postgres", "extra_groups": []} if self.as_root else {}
        self.base = tempfile.mkdtemp(prefix="rem-pg-")
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self.data = f"{self.base}/data"
        self.port = free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=rem dbname=postgres"

    def start(self) -> None:
        subprocess.run(
            [f"{self.bin}/initdb", "-D", self.data, "-U", "rem", "--auth=trust", "-E", "UTF8", "--locale=C",
             "--no-sync", "--no-instructions"],
            check=True, capture_output=True, **self.kw,
        )
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
        subprocess.run(
            [f"{self.bin}/pg_ctl", "-D", self.data, "-l", f"{self.base}/pg.log", "-o", opts, "-w", "-t", "60", "start"],
            check=True, capture_output=True, **self.kw,
        )

    def stop(self) -> None:
        subprocess.run([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, **self.kw)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg() -> Iterator[ReferencePostgres]:
    """The reference PostgreSQL 15 server."""
    ref = ReferencePostgres()
    ref.start()
    try:
        yield ref
    finally:
        ref.stop()


@pytest.fixture(scope="session")
def pg_dsn(pg: ReferencePostgres) -> str:
    """DSN of the reference PostgreSQL 15."""
    return pg.dsn
