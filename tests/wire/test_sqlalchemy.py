"""SQLAlchemy 2 connects (psycopg, psycopg2, asyncpg dialects) and runs parameterised statements."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy
from sqlalchemy.ext.asyncio import create_async_engine

from tests.fix_server import RemServer


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy(rem_server: RemServer, driver: str) -> None:
    eng = sqlalchemy.create_engine(
        f"postgresql+{driver}://rem@{rem_server.host}:{rem_server.port}/rem", poolclass=sqlalchemy.NullPool)
    with eng.connect() as c:
        assert c.execute(sqlalchemy.text("select :x"), {"x": 5}).scalar() == 5
        assert c.execute(sqlalchemy.text("select :s"), {"s": "é"}).scalar() == "é"
        assert c.execute(sqlalchemy.text("select cast(:x as integer) + 1"), {"x": 5}).scalar() == 6
    eng.dispose()


def test_sqlalchemy_asyncpg(rem_server: RemServer) -> None:
    async def main() -> None:
        eng = create_async_engine(f"postgresql+asyncpg://rem@{rem_server.host}:{rem_server.port}/rem",
                                  poolclass=sqlalchemy.NullPool)
        async with eng.connect() as c:
            r = await c.execute(sqlalchemy.text("select cast(:x as integer) * 2"), {"x": 21})
            assert r.scalar() == 42
        await eng.dispose()

    asyncio.run(main())
