"""SCRAM-SHA-256 authentication against a server started with ``--auth scram --password``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest

from engine.auth_verifier import build_scram_verifier, parse_scram_verifier
from tests.fix_server import RemServer


@pytest.fixture(scope="module")
def scram_server() -> Iterator[RemServer]:
    with RemServer(auth="scram", password="s3cret pw") as srv:
        yield srv


def _dsn(srv: RemServer, user: str, password: str) -> str:
    return f"host={srv.host} port={srv.port} user={user} dbname=rem password='{password}' sslmode=disable"


def test_right_password(scram_server: RemServer) -> None:
    with psycopg.connect(_dsn(scram_server, "rem", "s3cret pw")) as c:
        assert c.execute("select 1").fetchone() == (1,)


def test_wrong_password(scram_server: RemServer) -> None:
    with pytest.raises(psycopg.OperationalError) as e:
        psycopg.connect(_dsn(scram_server, "rem", "wrong"))
    assert "password authentication failed" in str(e.value)


def test_wrong_password_sqlstate_with_asyncpg(scram_server: RemServer) -> None:
    async def main() -> None:
        with pytest.raises(asyncpg.exceptions.InvalidPasswordError):
            await asyncpg.connect(host=scram_server.host, port=scram_server.port, user="rem",
                                  password="wrong", database="rem")
        c = await asyncpg.connect(host=scram_server.host, port=scram_server.port, user="rem",
                                  password="s3cret pw", database="rem")
        assert await c.fetchval("select 1") == 1
        await c.close()

    asyncio.run(main())


def test_unknown_user(scram_server: RemServer) -> None:
    async def main() -> None:
        with pytest.raises(asyncpg.exceptions.InvalidAuthorizationSpecificationError):
            await asyncpg.connect(host=scram_server.host, port=scram_server.port, user="nobody_here",
                                  password="x", database="rem")

    asyncio.run(main())


def test_verifier_format() -> None:
    v = build_scram_verifier("pencil", salt=b"0123456789abcdef", iterations=4096)
    assert v.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    parts = parse_scram_verifier(v)
    assert parts is not None and parts.iterations == 4096 and len(parts.stored_key) == 32
    assert parse_scram_verifier("md5abc") is None
