"""Hundreds of concurrent connections are served at once."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.fix_server import RemServer


def test_200_concurrent_connections(rem_server: RemServer) -> None:
    async def one(i: int) -> int:
        c = await asyncpg.connect(rem_server.url, timeout=120)
        try:
            v = await c.fetchval("select $1::int4", i)
            await asyncio.sleep(0.2)  # hold the connection open while the others connect
            return int(v) + int(await c.fetchval("select 1"))
        finally:
            await c.close()

    async def main() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(220)))

    assert asyncio.run(main()) == [i + 1 for i in range(220)]
