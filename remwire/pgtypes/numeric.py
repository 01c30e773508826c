"""Numbers: int2/int4/int8/oid, float4/float8 and numeric (PostgreSQL's base-10000 binary form)."""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

from engine.errors import InvalidBinaryRepresentation, NumericValueOutOfRange, ProtocolViolation

_H = struct.Struct("!h")
_I = struct.Struct("!i")
_Q = struct.Struct("!q")
_U = struct.Struct("!I")
_F = struct.Struct("!f")
_D = struct.Struct("!d")


def _wrong_size(got: int, size: int, type_name: str) -> None:
    """PostgreSQL's errors for a fixed-size binary value of the wrong length (08P01 short, 22P03 long)."""
    if got < size:
        raise ProtocolViolation("insufficient data left in message")
    raise InvalidBinaryRepresentation(f"incorrect binary data format for type {type_name}")


def _packer(st: struct.Struct, type_name: str):  # type: ignore[no-untyped-def]
    pack = st.pack

    def send(v: Any) -> bytes:
        try:
            return pack(v)
        except struct.error as e:
            raise NumericValueOutOfRange(f"value {v} is out of range for type {type_name}") from e

    return send


def _unpacker(st: struct.Struct, type_name: str):  # type: ignore[no-untyped-def]
    unpack = st.unpack
    size = st.size

    def recv(b: bytes) -> Any:
        if len(b) != size:
            _wrong_size(len(b), size, type_name)
        return unpack(b)[0]

    return recv


send_int2 = _packer(_H, "smallint")
send_int4 = _packer(_I, "integer")
send_int8 = _packer(_Q, "bigint")
send_oid = _packer(_U, "oid")
recv_int2 = _unpacker(_H, "smallint")
recv_int4 = _unpacker(_I, "integer")
recv_int8 = _unpacker(_Q, "bigint")
recv_oid = _unpacker(_U, "oid")


def send_float4(v: Any) -> bytes:
    try:
        return _F.pack(v)
    except OverflowError as e:
        raise NumericValueOutOfRange(f'"{v}" is out of range for type real') from e


def send_float8(v: Any) -> bytes:
    return _D.pack(v)


recv_float4 = _unpacker(_F, "real")
recv_float8 = _unpacker(_D, "double precision")

_NUMERIC_POS = 0x0000
_NUMERIC_NEG = 0x4000
_NUMERIC_NAN = 0xC000
_NUMERIC_PINF = 0xD000
_NUMERIC_NINF = 0xF000
_NHDR = struct.Struct("!hhHh")


def send_numeric(v: Any) -> bytes:
    """Encode a Decimal (or int/float) as PostgreSQL numeric binary."""
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    if d.is_nan():
        return _NHDR.pack(0, 0, _NUMERIC_NAN, 0)
    if d.is_infinite():
        return _NHDR.pack(0, 0, _NUMERIC_NINF if d < 0 else _NUMERIC_PINF, 0)
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    s = "".join(map(str, digits))
    if exp > 0:
        s += "0" * exp
        exp = 0
    dscale = -exp
    if dscale > len(s):
        s = "0" * (dscale - len(s)) + s
    ipart, fpart = s[: len(s) - dscale], s[len(s) - dscale :]
    ipart = "0" * (-len(ipart) % 4) + ipart
    fpart = fpart + "0" * (-len(fpart) % 4)
    groups = [int(ipart[i : i + 4]) for i in range(0, len(ipart), 4)]
    weight = len(groups) - 1
    groups += [int(fpart[i : i + 4]) for i in range(0, len(fpart), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    head = _NHDR.pack(len(groups), weight, _NUMERIC_NEG if sign else _NUMERIC_POS, dscale)
    return head + struct.pack(f"!{len(groups)}h", *groups)


def recv_numeric(b: bytes) -> Decimal:
    """Decode PostgreSQL numeric binary into a Decimal."""
    if len(b) < 8:
        raise InvalidBinaryRepresentation("invalid binary data for type numeric")
    ndigits, weight, sign, dscale = _NHDR.unpack_from(b)
    if len(b) != 8 + 2 * ndigits or dscale < 0:
        raise InvalidBinaryRepresentation("invalid length in external \"numeric\" value")
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign == _NUMERIC_PINF:
        return Decimal("Infinity")
    if sign == _NUMERIC_NINF:
        return Decimal("-Infinity")
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG):
        raise InvalidBinaryRepresentation("invalid sign in external \"numeric\" value")
    groups = struct.unpack_from(f"!{ndigits}h", b, 8)
    if any(g < 0 or g > 9999 for g in groups):
        raise InvalidBinaryRepresentation("invalid digit in external \"numeric\" value")
    s = "".join(f"{g:04d}" for g in groups) or "0"
    e = (weight + 1 - ndigits) * 4 if ndigits else 0
    if e > -dscale:
        s += "0" * (e + dscale)
    elif e < -dscale:
        s = s[: len(s) - (-dscale - e)] or "0"
    return Decimal((1 if sign == _NUMERIC_NEG else 0, tuple(int(c) for c in s), -dscale))
