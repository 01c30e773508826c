"""`rem` as a real process: piped output, progress only on a terminal, finding a running server, the lock."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from remwire.cli_commands.client import LocalClient, ServerClient, connect
from tests.cli.conftest import REM, cli_env, start_server


def rem(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
    return subprocess.run([REM, *args], input=input, capture_output=True, text=True, env=env or cli_env(),
                          timeout=300)


def test_help_lists_every_command() -> None:
    r = rem("--help")
    assert r.returncode == 0
    for cmd in ("serve", "init", "schema", "insert", "get", "lookup", "query", "search", "traverse", "ingest"):
        assert cmd in r.stdout


def test_piped_output_is_json_and_quiet(tmp_path: Path) -> None:
    data = str(tmp_path / "db")
    assert rem("init", "--path", data).returncode == 0
    r = rem("query", "SELECT 40 + 2 AS answer", "--path", data)
    assert r.returncode == 0 and json.loads(r.stdout) == [{"answer": 42}] and r.stderr == ""
    lines = "".join(json.dumps({"name": f"e{i}", "properties": {"i": i}}) + "\n" for i in range(3000))
    r = rem("insert", "entities", "--batch", "--path", data, input=lines)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"table": "entities", "written": 3000}]
    assert r.stderr == ""  # no progress bar when piped


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    data = str(tmp_path / "db")
    assert rem("init", "--path", data).returncode == 0
    lines = "".join(json.dumps({"name": f"e{i}"}) + "\n" for i in range(3000))
    master, slave = pty.openpty()
    proc = subprocess.Popen([REM, "insert", "entities", "--batch", "--path", data],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave, text=True,
                            env=cli_env(TERM="xterm", COLUMNS="120"))
    os.close(slave)
    out, _ = proc.communicate(lines, timeout=300)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    assert proc.returncode == 0
    assert json.loads(out) == [{"table": "entities", "written": 3000}]
    shown = b"".join(chunks).decode(errors="replace")
    assert "insert entities" in shown and "rows/s" in shown


def test_cli_uses_the_running_server_then_the_store(tmp_path: Path) -> None:
    data = tmp_path / "db"
    server = start_server(data)
    try:
        info = json.loads((data / "server.json").read_text())
        assert info["port"] == server.port
        r = rem("init", "--path", str(data))
        assert r.returncode == 0, r.stderr
        assert {x["name"] for x in json.loads(r.stdout)} >= {"entities", "resources"}
        r = rem("insert", "entities", '{"name": "via-server"}', "--path", str(data))
        assert r.returncode == 0, r.stderr  # the server holds the store: the CLI went through it
        client = connect(data)
        assert isinstance(client, ServerClient)
        assert client.run("SELECT count(*) FROM entities WHERE name = $1", ["via-server"]).rows == [(1,)]
        client.close()
    finally:
        server.stop()
    assert not (data / "server.json").exists()
    (data / "server.json").write_text(json.dumps({"host": "127.0.0.1", "port": 1, "pid": 2 ** 22 + 11}))
    r = rem("query", "SELECT name FROM entities", "--path", str(data))  # stale file: opens the store itself
    assert r.returncode == 0 and json.loads(r.stdout) == [{"name": "via-server"}]


def test_second_process_gets_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "db"
    assert rem("init", "--path", str(data)).returncode == 0
    holder = connect(data)
    assert isinstance(holder, LocalClient)
    try:
        r = rem("query", "SELECT 1", "--path", str(data))
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert r.stderr.startswith(f'ERROR:  data dir "{data}" is in use by another process'), r.stderr
    finally:
        holder.close()
    assert rem("query", "SELECT 1", "--path", str(data)).returncode == 0


def test_dsn_from_environment_and_bad_server(tmp_path: Path) -> None:
    r = rem("query", "SELECT 1", env=cli_env(P8_DSN="host=127.0.0.1 port=1 connect_timeout=2"))
    assert r.returncode == 1 and r.stderr.startswith("ERROR:  could not connect to the REM server")
    assert "Traceback" not in r.stderr
