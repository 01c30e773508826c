"""bool: binary is one byte (0/1)."""

from __future__ import annotations

from typing import Any

from engine.errors import InvalidBinaryRepresentation


def send_bool(v: Any) -> bytes:
    return b"\x01" if v else b"\x00"


def recv_bool(b: bytes) -> bool:
    if len(b) != 1 or b[0] > 1:
        raise InvalidBinaryRepresentation("invalid binary data for type boolean")
    return b[0] == 1
