"""A real REM server (``rem serve`` subprocess) on a free port with a temporary data dir.

Fixtures: ``rem_server`` (session-scoped :class:`RemServer`), ``rem_dsn`` (libpq DSN string) and ``conn`` (a
psycopg connection in autocommit mode, closed after the test). ``RemServer(...)`` can also be used directly
to start extra servers (e.g. with ``auth="scram"``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.fix_pg import free_port

_START_TIMEOUT = 120.0


class RemServer:
    """A ``rem serve`` subprocess; ``dsn``/``url`` connect as ``rem`` to database ``rem``."""

    def __init__(self, *, auth: str = "trust", password: str | None = None, data_dir: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.base = tempfile.mkdtemp(prefix="rem-srv-")
        self.data_dir = data_dir or os.path.join(self.base, "data")
        self.host = "127.0.0.1"
        self.port = free_port()
        self.auth = auth
        self.password = password
        # Core schemas off unless asked: most tests compare catalogs with PostgreSQL and want none of ours.
        self.env = {**os.environ, "P8_CORE_SCHEMAS": "off", **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self.log: list[str] = []

    @property
    def dsn(self) -> str:
        pw = f" password={self.password}" if self.password else ""
        return f"host={self.host} port={self.port} user=rem dbname=rem{pw}"

    @property
    def url(self) -> str:
        pw = f":{self.password}" if self.password else ""
        return f"postgresql://rem{pw}@{self.host}:{self.port}/rem"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-c", "from remwire.cli import app; app()", "serve", "--host", self.host,
               "--port", str(self.port), "--data", self.data_dir, "--auth", self.auth]
        if self.password:
            cmd += ["--password", self.password]
        return cmd

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=self.env)
        ready = threading.Event()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.log.append(line)
                if line.startswith("listening on "):
                    ready.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("rem serve did not start:\n" + "".join(self.log))

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        elif self.proc is not None:
            code = self.proc.returncode
        if self._pump is not None:
            self._pump.join(10)
        return code

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> RemServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


@pytest.fixture(scope="session")
def rem_server() -> Iterator[RemServer]:
    """The shared REM server of the test session."""
    srv = RemServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.cleanup()


@pytest.fixture(scope="session")
def rem_dsn(rem_server: RemServer) -> str:
    """libpq DSN of the shared REM server."""
    return rem_server.dsn


@pytest.fixture
def conn(rem_dsn: str) -> Iterator[psycopg.Connection]:
    """A psycopg connection to the shared REM server, autocommit on."""
    c = psycopg.connect(rem_dsn, autocommit=True)
    try:
        yield c
    finally:
        c.close()
