"""``rem serve`` as a process: ready line, server.json, clean SIGTERM, refusal when the port or data dir is taken."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import psycopg

from tests.fix_server import RemServer


def test_server_json_and_clean_shutdown() -> None:
    srv = RemServer()
    srv.start()
    try:
        info = json.loads(open(os.path.join(srv.data_dir, "server.json")).read())
        assert info["host"] == srv.host and info["port"] == srv.port and info["pid"] == srv.proc.pid
        c = psycopg.connect(srv.dsn, autocommit=True)
        c.execute("begin")  # an open transaction does not prevent shutdown
        assert srv.stop() == 0
        assert not os.path.exists(os.path.join(srv.data_dir, "server.json"))
        assert sum(line.startswith("listening on ") for line in srv.log) == 1
        assert any(line.startswith("connect with: psql -h ") for line in srv.log)
    finally:
        srv.cleanup()


def test_port_taken() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        srv = RemServer()
        srv.port = port
        try:
            out = subprocess.run(srv.command(), capture_output=True, text=True, timeout=120)
        finally:
            srv.cleanup()
    assert out.returncode != 0
    assert "address already in use" in out.stderr


def test_data_dir_locked(rem_server: RemServer) -> None:
    second = RemServer(data_dir=rem_server.data_dir)
    try:
        out = subprocess.run(second.command(), capture_output=True, text=True, timeout=120)
    finally:
        second.cleanup()
    assert out.returncode != 0
    assert "lock" in out.stderr.lower()
    # the first server is unaffected
    with psycopg.connect(rem_server.dsn) as c:
        assert c.execute("select 1").fetchone() == (1,)


def test_help_lists_serve() -> None:
    out = subprocess.run([sys.executable, "-c", "from remwire.cli import app; app()", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "serve" in out.stdout
