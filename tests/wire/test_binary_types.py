"""Binary round trip of every listed type: ``SELECT $1::type`` with binary parameters and binary results."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import numpy as np
import psycopg
import pytest
from psycopg.types.json import Json, Jsonb

from tests.fix_server import RemServer

UTC = dt.UTC

CASES: list[tuple[str, Any]] = [
    ("bool", True),
    ("int2", -123),
    ("int4", 2_000_000_000),
    ("int8", -(2**62)),
    ("float4", 1.5),
    ("float8", 3.141592653589793),
    ("numeric", Decimal("12345.678900")),
    ("text", "héllo wörld"),
    ("varchar", "v"),
    ("bytea", b"\x00\x01\xff"),
    ("uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    ("date", dt.date(2024, 2, 29)),
    ("time", dt.time(12, 34, 56, 789000)),
    ("timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 678901)),
    ("timestamptz", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("interval", dt.timedelta(days=3, seconds=7200)),
    ("timetz", dt.time(1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
    ("int4[]", [1, None, 3]),
    ("text[]", ["a", "b c", None]),
    ("int8[]", [[1, 2], [3, 4]]),
    ("float8[]", [1.5, -2.0]),
    ("oid", 1259),
]


@pytest.mark.parametrize(("typ", "value"), CASES, ids=[c[0] for c in CASES])
def test_psycopg_binary_roundtrip(conn: psycopg.Connection, typ: str, value: Any) -> None:
    cur = conn.cursor(binary=True)
    got = cur.execute(f"select %b::{typ}", (value,)).fetchone()[0]
    assert got == value


@pytest.mark.parametrize(("typ", "value"), CASES, ids=[c[0] for c in CASES])
def test_psycopg_text_roundtrip(conn: psycopg.Connection, typ: str, value: Any) -> None:
    got = conn.execute(f"select %t::{typ}", (value,)).fetchone()[0]
    assert got == value


@pytest.mark.parametrize(("typ", "value"), [("json", {"a": [1, 2]}), ("jsonb", {"b": {"c": None}})])
@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_json(conn: psycopg.Connection, typ: str, value: Any, binary: bool) -> None:
    w = Json(value) if typ == "json" else Jsonb(value)
    got = conn.cursor(binary=binary).execute(f"select %s::{typ}", (w,)).fetchone()[0]
    assert got == value


ASYNCPG_CASES: list[tuple[str, Any]] = [c for c in CASES if c[0] not in ("oid",) and not c[0].endswith("[]")] + [
    ("name", "pg_type"), ("char", "x"),
]


def test_asyncpg_binary_roundtrip(rem_server: RemServer) -> None:
    async def main() -> None:
        c = await asyncpg.connect(rem_server.url)
        try:
            for typ, value in ASYNCPG_CASES:
                got = await c.fetchval(f"select $1::{typ}", value)
                assert got == value, typ
            for typ in ("json", "jsonb"):
                got = await c.fetchval(f"select $1::{typ}", '{"a": [1, null]}')
                assert json.loads(got) == {"a": [1, None]}, typ
        finally:
            await c.close()

    asyncio.run(main())


def test_vector_binary_and_text(conn: psycopg.Connection) -> None:
    text = conn.execute("select '[1,2.5,-3]'::vector").fetchone()[0]
    assert text == "[1,2.5,-3]"
    cur = conn.cursor(binary=True)
    cur.execute("select '[1,2.5,-3]'::vector")
    raw = cur.pgresult.get_value(0, 0)
    assert raw == b"\x00\x03\x00\x00" + np.array([1, 2.5, -3], dtype=">f4").tobytes()


@pytest.mark.parametrize(("expr", "value"), [
    ("array[26::oid, 1259::oid]", [26, 1259]),
    ("'{pg_class,pg_type}'::name[]", ["pg_class", "pg_type"]),
    ("'{a,NULL}'::text[]", ["a", None]),
    ("'{{1,2},{3,4}}'::int2[]", [[1, 2], [3, 4]]),
    ("'{1.5,NULL}'::numeric[]", [Decimal("1.5"), None]),
    ("'{2024-01-02}'::date[]", [dt.date(2024, 1, 2)]),
])
def test_binary_array_results(conn: psycopg.Connection, expr: str, value: Any) -> None:
    got_binary = conn.cursor(binary=True).execute(f"select {expr}").fetchone()[0]
    got_text = conn.execute(f"select {expr}").fetchone()[0]
    assert got_binary == value and got_text == value
