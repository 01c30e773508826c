"""Strings and bytes: text/varchar/bpchar/name/"char"/unknown (UTF-8), bytea (raw), uuid (16 bytes)."""

from __future__ import annotations

import uuid
from typing import Any

from engine.errors import InvalidBinaryRepresentation


def send_text(v: Any) -> bytes:
    return v.encode() if isinstance(v, str) else str(v).encode()


def recv_text(b: bytes) -> str:
    try:
        return b.decode()
    except UnicodeDecodeError as e:
        raise InvalidBinaryRepresentation('invalid byte sequence for encoding "UTF8"') from e


def send_bytea(v: Any) -> bytes:
    return bytes(v)


def recv_bytea(b: bytes) -> bytes:
    return bytes(b)


def send_uuid(v: Any) -> bytes:
    return v.bytes if isinstance(v, uuid.UUID) else uuid.UUID(str(v)).bytes


def recv_uuid(b: bytes) -> uuid.UUID:
    if len(b) != 16:
        raise InvalidBinaryRepresentation("invalid length for type uuid")
    return uuid.UUID(bytes=bytes(b))
