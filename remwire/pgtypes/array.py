"""Arrays: PostgreSQL's binary array format and text ``{...}`` literal, for any element codec.

Values are (nested) Python lists with None for NULL elements. int2vector/oidvector use the same binary
layout (lower bound 0) and a space-separated text form.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from engine.errors import InvalidBinaryRepresentation, InvalidTextRepresentation

_I = struct.Struct("!i")
_HDR = struct.Struct("!iiI")
_DIM = struct.Struct("!ii")

Send = Callable[[Any], bytes]
Recv = Callable[[bytes], Any]


def _dims(v: Any) -> list[int]:
    """Dimensions of a nested list; any empty level makes the array empty (ndim 0), as in PostgreSQL."""
    dims = []
    while isinstance(v, list | tuple):
        if not v:
            return []
        dims.append(len(v))
        v = v[0]
    return dims


def send_array(v: Any, elem_oid: int, send: Send, lbound: int = 1) -> bytes:
    """Binary array: ndim, has-null flag, element OID, (size, lower bound) per dim, elements."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    dims = _dims(v)
    parts: list[bytes] = []
    has_null = 0

    def walk(x: Any, depth: int) -> None:
        nonlocal has_null
        if depth == len(dims):
            if x is None:
                has_null = 1
                parts.append(b"\xff\xff\xff\xff")
            else:
                e = send(x)
                parts.append(_I.pack(len(e)))
                parts.append(e)
            return
        if not isinstance(x, list | tuple) or len(x) != dims[depth]:
            raise InvalidTextRepresentation(
                "multidimensional arrays must have array expressions with matching dimensions"
            )
        for y in x:
            walk(y, depth + 1)

    if dims:
        walk(v, 0)
    head = _HDR.pack(len(dims), has_null, elem_oid) + b"".join(_DIM.pack(d, lbound) for d in dims)
    return head + b"".join(parts)


def recv_array(b: bytes, recv_for: Callable[[int], Recv]) -> list[Any]:
    """Decode a binary array; ``recv_for(elem_oid)`` gives the element decoder."""
    try:
        ndim, _flags, elem = _HDR.unpack_from(b)
        if ndim < 0 or ndim > 6:
            raise InvalidBinaryRepresentation(f"invalid number of dimensions: {ndim}")
        dims = [_DIM.unpack_from(b, 12 + 8 * i)[0] for i in range(ndim)]
        pos = 12 + 8 * ndim
        recv = recv_for(elem)
        flat: list[Any] = []
        total = 1
        for d in dims:
            total *= d
        if ndim == 0:
            total = 0
        for _ in range(total):
            ln = _I.unpack_from(b, pos)[0]
            pos += 4
            if ln == -1:
                flat.append(None)
                continue
            if ln < 0 or pos + ln > len(b):
                raise InvalidBinaryRepresentation("insufficient data left in message")
            flat.append(recv(b[pos : pos + ln]))
            pos += ln
        if pos != len(b):
            raise InvalidBinaryRepresentation("incorrect binary data format in array")
    except struct.error as e:
        raise InvalidBinaryRepresentation("insufficient data left in message") from e
    return _nest(flat, dims) if dims else []


def _nest(flat: list[Any], dims: list[int]) -> list[Any]:
    for d in reversed(dims[1:]):
        flat = [flat[i : i + d] for i in range(0, len(flat), d)]
    return flat
