"""bool: binary is one byte (0/1)."""

from __future__ import annotations

from typing import Any

from engine.errors import InvalidBinaryRepresentation, ProtocolViolation


def send_bool(v: Any) -> bytes:
    return b"\x01" if v else b"\x00"


def recv_bool(b: bytes) -> bool:
    if not b:
        raise ProtocolViolation("insufficient data left in message")
    if len(b) > 1:
        raise InvalidBinaryRepresentation("incorrect binary data format for type boolean")
    return b[0] != 0
