"""Fixtures for CLI tests: the CLI in-process (typer's runner) and as a real process, a real `rem serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from remwire.cli_commands import make_app

REM = str(Path(sys.executable).parent / "rem")
APP = make_app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RemProcess:
    """A `rem serve` child process on a data dir."""

    data: Path
    port: int
    proc: subprocess.Popen[str]

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=rem dbname=rem"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(data: Path) -> RemProcess:
    """Start `rem serve` on ``data`` and wait until it listens."""
    port = free_port()
    proc = subprocess.Popen(
        [REM, "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=cli_env(),
    )
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline() if proc.stderr else ""
        if not line and proc.poll() is not None:
            raise RuntimeError("rem serve exited: " + "".join(lines))
        lines.append(line)
        if "listening on" in line:
            return RemProcess(data, port, proc)
    proc.kill()
    raise RuntimeError("rem serve did not start: " + "".join(lines))


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("P8_")}
    env.update(extra)
    return env


@dataclass
class Cli:
    """Runs `rem` commands against one target (``--path DIR`` or ``--dsn DSN``)."""

    mode: str
    target: list[str]
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:  # noqa: A002
        return self.runner.invoke(APP, [*args, *self.target], input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:  # noqa: A002
        r = self(*args, input=input)
        assert r.exit_code == 0, f"rem {' '.join(args)} failed: {r.output}"
        return r


@pytest.fixture(scope="module")
def rem_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemProcess]:
    """A `rem serve` on its own data dir for this test module."""
    server = start_server(tmp_path_factory.mktemp("served"))
    yield server
    server.stop()


@pytest.fixture(params=["local", "server"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    """The CLI against a fresh in-process store, or against a running server (over psycopg)."""
    if request.param == "local":
        yield Cli("local", ["--path", str(tmp_path / "db")], CliRunner())
    else:
        server: RemProcess = request.getfixturevalue("rem_served")
        yield Cli("server", ["--dsn", server.dsn], CliRunner())
