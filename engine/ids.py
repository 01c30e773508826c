"""Deterministic entity ids, compatible with the original REM.

Precedence: ``uri`` → key field → ``key`` → ``name`` → random UUIDv4. The hashed text is
``"{entity_type}:{uri}:{chunk_ordinal}"`` for uri, else ``"{entity_type}:{value}"`` (strings raw, numbers and
bools in plain text, other values as compact JSON); the id is the first 16 bytes of its blake3 digest with the
version nibble set to 5 and the RFC 4122 variant bits. A table's declared PRIMARY KEY is its key field (and
takes precedence over ``uri``, so that two rows with distinct primary keys never share an id).

>>> derive_id("articles", {"title": "Hello"}, "title") == derive_id("articles", {"title": "Hello"}, "title")
True
>>> derive_id("articles", {"title": "Hello"}, "title").version
5
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import orjson
from blake3 import blake3

from engine.types import JSON_NULL


def key_text(value: Any) -> str:
    """The text form of a key value as hashed and as stored in ``key_index``.

    >>> key_text("a b"), key_text(3), key_text(True), key_text(1.5), key_text([1, "x"])
    ('a b', '3', 'true', '1.5', '[1,"x"]')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if value is JSON_NULL:
        return "null"
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


def hash_id(text: str) -> uuid.UUID:
    """UUID (version 5 bits, RFC 4122 variant) from the first 16 bytes of blake3(text)."""
    b = bytearray(blake3(text.encode("utf-8", "surrogatepass")).digest(16))
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(b))


def id_source(
    row: dict[str, Any], key_field: str | None = None, primary_key: list[str] | None = None
) -> tuple[str, Any] | None:
    """(kind, value) the id derives from: ('pk'|'uri'|'key_field'|'key'|'name', value), or None for random."""
    if primary_key:
        vals = [row.get(c) for c in primary_key]
        if all(v is not None for v in vals):
            return ("pk", vals[0] if len(vals) == 1 else vals)
        return None
    if row.get("uri") is not None:
        return ("uri", row["uri"])
    for kind, f in (("key_field", key_field), ("key", "key"), ("name", "name")):
        if f and row.get(f) is not None:
            return (kind, row[f])
    return None


def derive_id(
    entity_type: str, row: dict[str, Any], key_field: str | None = None, primary_key: list[str] | None = None
) -> uuid.UUID:
    """The id of ``row`` in table ``entity_type`` (random UUIDv4 when no key is present)."""
    src = id_source(row, key_field, primary_key)
    if src is None:
        return uuid.uuid4()
    kind, value = src
    if kind == "uri":
        return hash_id(f"{entity_type}:{key_text(value)}:{int(row.get('chunk_ordinal') or 0)}")
    return hash_id(f"{entity_type}:{key_text(value)}")
