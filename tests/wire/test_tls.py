"""TLS (SSLRequest → 'S' and a handshake) and the cleartext/md5 password methods, through psycopg and psql."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from remwire import tls
from remwire.protocol import messages as m
from tests.fix_server import RemServer


class _Server(RemServer):
    """``rem serve`` with extra command-line flags."""

    def __init__(self, flags: list[str], **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.flags = flags

    def command(self) -> list[str]:
        return super().command() + self.flags


@pytest.fixture(scope="module")
def tls_server() -> Iterator[_Server]:
    srv = _Server(["--ssl"], auth="password", password="s3cret")
    srv.start()
    try:
        yield srv
    finally:
        srv.cleanup()


def _psql(dsn: str, sql: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "20"}
    if password:
        env["PGPASSWORD"] = password
    return subprocess.run(["psql", "-X", "-At", dsn, "-c", sql], capture_output=True, text=True, env=env,
                          timeout=60)


def test_sslmode_require_with_psycopg_and_psql(tls_server: _Server) -> None:
    assert (Path(tls_server.data_dir) / tls.CERT_FILE).exists()
    assert (Path(tls_server.data_dir) / tls.KEY_FILE).stat().st_mode & 0o077 == 0
    with psycopg.connect(tls_server.dsn + " sslmode=require", autocommit=True) as c:
        assert c.pgconn.ssl_in_use
        assert c.execute("select 40 + 2").fetchone() == (42,)
        rows = c.execute("select g from generate_series(1, 20000) g").fetchall()  # a result over many records
        assert len(rows) == 20000 and rows[-1] == (20000,)
    base = f"host={tls_server.host} port={tls_server.port} user=rem dbname=rem"
    r = _psql(base + " sslmode=require", "select 'over tls'", password="s3cret")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "over tls"


def test_asyncpg_over_tls(tls_server: _Server, rem_server: RemServer) -> None:
    """asyncpg with an SSLContext requires TLS: it works with a certificate, fails without one."""
    import asyncio
    import ssl

    import asyncpg

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    async def query(url: str) -> int:
        c = await asyncpg.connect(url, ssl=ctx)
        try:
            return await c.fetchval("select 6 * 7")
        finally:
            await c.close()

    assert asyncio.run(query(tls_server.url)) == 42
    with pytest.raises(ConnectionError, match="rejected SSL"):
        asyncio.run(query(rem_server.url))


def test_copy_both_ways_over_tls(tls_server: _Server) -> None:
    with psycopg.connect(tls_server.dsn + " sslmode=require", autocommit=True) as c:
        c.execute("create table tls_copy (id int primary key, v text)")
        with c.cursor().copy("copy tls_copy from stdin") as cp:
            for i in range(5000):
                cp.write_row((i, f"row {i}"))
        out = bytearray()
        with c.cursor().copy("copy (select * from tls_copy order by id) to stdout") as cp:
            for chunk in cp:
                out += chunk
        lines = bytes(out).decode().splitlines()
        assert len(lines) == 5000 and lines[4999] == "4999\trow 4999"
        c.execute("drop table tls_copy")


def test_sslmode_disable_still_works(tls_server: _Server) -> None:
    with psycopg.connect(tls_server.dsn + " sslmode=disable", autocommit=True) as c:
        assert not c.pgconn.ssl_in_use
        assert c.execute("select 1").fetchone() == (1,)


def test_cleartext_password_method_checks_the_password(tls_server: _Server) -> None:
    bad = f"host={tls_server.host} port={tls_server.port} user=rem dbname=rem password=wrong sslmode=require"
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "rem"'):
        psycopg.connect(bad)
    nobody = f"host={tls_server.host} port={tls_server.port} user=nobody dbname=rem password=x sslmode=require"
    with pytest.raises(psycopg.OperationalError, match='role "nobody" does not exist'):
        psycopg.connect(nobody)


def test_given_certificate_and_md5_method(tmp_path: Path) -> None:
    cert, key = tls.self_signed(tmp_path / "certs", "127.0.0.1")
    srv = _Server(["--ssl-cert", str(cert), "--ssl-key", str(key)], auth="md5", password="pw")
    srv.start()
    try:
        with psycopg.connect(srv.dsn + f" sslmode=verify-ca sslrootcert={cert}", autocommit=True) as c:
            assert c.pgconn.ssl_in_use
            assert c.execute("select current_user").fetchone() == ("rem",)
        r = _psql(f"host={srv.host} port={srv.port} user=rem dbname=rem sslmode=require", "select 7",
                  password="pw")
        assert r.returncode == 0 and r.stdout.strip() == "7", r.stderr
    finally:
        srv.cleanup()


def test_no_certificate_answers_n(rem_server: RemServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="server does not support SSL"):
        psycopg.connect(rem_server.dsn + " sslmode=require")
    with psycopg.connect(rem_server.dsn + " sslmode=prefer", autocommit=True) as c:
        assert not c.pgconn.ssl_in_use


def test_plaintext_pipelined_after_ssl_request_is_refused(tls_server: _Server) -> None:
    s = socket.create_connection((tls_server.host, tls_server.port), timeout=30)
    startup = m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem", "database": "rem"}).encode()
    s.sendall(struct.pack("!ii", 8, m.SSL_REQUEST_CODE) + startup)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data[:1] == b"S" and b"received unencrypted data after SSL request" in data


def test_failed_handshake_closes_only_that_connection(tls_server: _Server) -> None:
    s = socket.create_connection((tls_server.host, tls_server.port), timeout=30)
    s.sendall(struct.pack("!ii", 8, m.SSL_REQUEST_CODE))
    assert s.recv(1) == b"S"
    s.sendall(b"this is not a TLS ClientHello\n" * 4)
    rest = b""
    try:
        while chunk := s.recv(4096):
            rest += chunk
    except ConnectionResetError:
        pass
    s.close()
    assert rest[:1] != b"R"  # no authentication request: at most a TLS alert, then the close
    with psycopg.connect(tls_server.dsn + " sslmode=require", autocommit=True) as c:
        assert c.execute("select 1").fetchone() == (1,)
