"""Transcript tests: ``send``/``until``/``expect`` files replayed on a raw socket, against REM and PostgreSQL 15.

Format (one directive per line, ``#`` comments)::

    send Parse {"name": "s", "query": "select $1::int4", "param_oids": [23]}
    send Sync
    until ReadyForQuery
    expect ParseComplete
    expect ReadyForQuery {"status": "I"}
    expect ErrorResponse {"C": "42P01"}

``send`` arguments are the message dataclass fields (bytes as UTF-8 strings, or ``{"hex": "00ff"}``).
``expect`` lists, in order, every message received up to the ``until`` message; its optional JSON gives fields
to compare (for ErrorResponse/NoticeResponse: field codes such as ``C``; for DataRow: ``values``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remwire.protocol import messages as m
from tests.wire.rawclient import RawClient

HERE = Path(__file__).parent / "transcripts"


@dataclass
class Block:
    sends: list[m.FrontendMessage] = field(default_factory=list)
    until: str = "ReadyForQuery"
    expects: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _value(v: Any) -> Any:
    if isinstance(v, dict) and "hex" in v:
        return bytes.fromhex(v["hex"])
    if isinstance(v, list):
        return tuple(_value(x) for x in v)
    return v


def _bytes_fields(cls: type, args: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in args.items():
        v = _value(v)
        if cls is m.Bind and k == "params":
            v = tuple(None if x is None else (x.encode() if isinstance(x, str) else x) for x in v)
        elif cls in (m.CopyData, m.PasswordMessage) and k == "data" and isinstance(v, str):
            v = v.encode()
        out[k] = v
    return out


def parse(path: Path) -> list[Block]:
    blocks: list[Block] = []
    cur: Block | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        name, _, arg = rest.strip().partition(" ")
        args = json.loads(arg) if arg.strip() else {}
        if verb == "send":
            if cur is None or cur.expects:
                cur = Block()
                blocks.append(cur)
            cls = getattr(m, name)
            cur.sends.append(cls(**_bytes_fields(cls, args)))
        elif verb == "until":
            assert cur is not None
            cur.until = name
        elif verb == "expect":
            assert cur is not None
            cur.expects.append((name, args))
        else:
            raise ValueError(f"{path.name}: unknown directive {verb!r}")
    return blocks


def _matches(msg: m.BackendMessage, name: str, fields: dict[str, Any]) -> str | None:
    if type(msg).__name__ != name:
        return f"expected {name}, got {msg!r}"
    for k, want in fields.items():
        if isinstance(msg, m.ErrorResponse | m.NoticeResponse) and len(k) == 1:
            got: Any = msg.get(k)
        elif k == "values" and isinstance(msg, m.DataRow):
            got = [None if v is None else v.decode() for v in msg.values]
        elif k == "data" and isinstance(msg, m.CopyData):
            got = msg.data.decode()
        else:
            got = getattr(msg, k)
            if isinstance(got, tuple):
                got = list(got)
        if got != want:
            return f"{name}.{k}: expected {want!r}, got {got!r}"
    return None


def run(path: Path, host: str, port: int, database: str) -> None:
    """Replay a transcript; raises AssertionError at the first difference."""
    c = RawClient(host, port)
    try:
        c.startup(database=database)
        for i, b in enumerate(parse(path), start=1):
            c.send(*b.sends)
            got = c.until(getattr(m, b.until))
            names = [type(x).__name__ for x in got]
            assert len(got) == len(b.expects), f"{path.name} block {i}: got {names}"
            for msg, (name, fields) in zip(got, b.expects, strict=True):
                err = _matches(msg, name, fields)
                assert err is None, f"{path.name} block {i}: {err} (all: {names})"
    finally:
        c.close()
