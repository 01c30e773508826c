"""json (UTF-8 text) and jsonb (version byte 1 + text); values as engine.textio parses/prints them."""

from __future__ import annotations

from typing import Any

from engine import textio
from engine import types as t
from engine.errors import InvalidBinaryRepresentation, InvalidTextRepresentation


def _text(b: bytes) -> str:
    try:
        return b.decode()
    except UnicodeDecodeError as e:
        raise InvalidTextRepresentation('invalid byte sequence for encoding "UTF8"') from e


def send_json(v: Any) -> bytes:
    return textio.format_text(t.JSON, v).encode()


def recv_json(b: bytes) -> Any:
    return textio.parse_text(t.JSON, _text(b))


def send_jsonb(v: Any) -> bytes:
    return b"\x01" + textio.format_text(t.JSONB, v).encode()


def recv_jsonb(b: bytes) -> Any:
    if not b or b[0] != 1:
        raise InvalidBinaryRepresentation("unsupported jsonb version number")
    return textio.parse_text(t.JSONB, _text(b[1:]))
