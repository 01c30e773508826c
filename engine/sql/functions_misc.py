"""Miscellaneous built-ins: version(), uuids, encode/decode, convert_*, pg_typeof, and value helpers for the
executor's syntax forms (COALESCE, NULLIF, GREATEST, LEAST)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from engine import types as T
from engine.errors import InvalidParameterValue
from engine.functions import function
from engine.sql.operators import comparator
from engine.textio import guess_oid, parse_bytea

TX, BY, I4 = T.TEXT, T.BYTEA, T.INT4
VERSION = "PostgreSQL 15.0 (REM 0.1.0) on x86_64-pc-linux-gnu, compiled by Python 3.11, 64-bit"


@function("version", TX, arg_oids=())
def version() -> str:
    return VERSION


@function("gen_random_uuid", T.UUID, arg_oids=(), volatile=True)
@function("uuid_generate_v4", T.UUID, arg_oids=(), volatile=True)
def gen_random_uuid() -> uuid.UUID:
    return uuid.uuid4()


@function("octet_length", I4, arg_oids=(BY,))
@function("length", I4, arg_oids=(BY,))
def bytea_length(b: bytes) -> int:
    return len(b)


@function("sha256", BY, arg_oids=(BY,))
def sha256(b: bytes) -> bytes:
    return hashlib.sha256(bytes(b)).digest()


@function("encode", TX, arg_oids=(BY, TX))
def encode(b: bytes, fmt: str) -> str:
    f = fmt.lower()
    b = bytes(b)
    if f == "hex":
        return b.hex()
    if f == "base64":
        s = base64.b64encode(b).decode()
        return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))
    if f == "escape":
        out = []
        for c in b:
            if c == 0x5C:
                out.append("\\\\")
            elif c < 0x20 or c > 0x7E:
                out.append(f"\\{c:03o}")
            else:
                out.append(chr(c))
        return "".join(out)
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


@function("decode", BY, arg_oids=(TX, TX))
def decode(s: str, fmt: str) -> bytes:
    f = fmt.lower()
    try:
        if f == "hex":
            return bytes.fromhex(s)
        if f == "base64":
            return base64.b64decode("".join(s.split()), validate=True)
    except ValueError:
        raise InvalidParameterValue(f"invalid {f} data") from None
    if f == "escape":
        return parse_bytea(s) if not s.startswith("\\x") else s.encode()
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _codec(enc: str) -> str:
    e = enc.lower().replace("_", "").replace("-", "")
    table = {"utf8": "utf-8", "sqlascii": "latin-1", "latin1": "latin-1", "win1252": "cp1252", "ascii": "ascii",
             "latin9": "iso8859-15"}
    if e not in table:
        raise InvalidParameterValue(f'invalid destination encoding name "{enc}"')
    return table[e]


@function("convert_to", BY, arg_oids=(TX, TX))
def convert_to(s: str, enc: str) -> bytes:
    return s.encode(_codec(enc), errors="strict")


@function("convert_from", TX, arg_oids=(BY, TX))
def convert_from(b: bytes, enc: str) -> str:
    try:
        return bytes(b).decode(_codec(enc))
    except UnicodeDecodeError:
        from engine.errors import CharacterNotInRepertoire

        raise CharacterNotInRepertoire(f'invalid byte sequence for encoding "{enc.upper()}"') from None


@function("pg_typeof", T.REGTYPE, strict=False)
def pg_typeof(v: Any) -> int:
    """Fallback only: the executor should answer pg_typeof(expr) from the expression's resolved type."""
    return T.UNKNOWN if v is None else guess_oid(v)


def pg_typeof_oid(arg_oid: int) -> int:
    """pg_typeof at plan time: the argument's type OID (printed as a regtype)."""
    return arg_oid


@function("num_nulls", I4, strict=False, variadic=True)
def num_nulls(*args: Any) -> int:
    return sum(1 for a in args if a is None)


@function("num_nonnulls", I4, strict=False, variadic=True)
def num_nonnulls(*args: Any) -> int:
    return sum(1 for a in args if a is not None)


# --------------------------------------------------------------------------- helpers for syntax forms
def coalesce_values(values: list) -> Any:
    """COALESCE: the first non-NULL value (arguments already cast to the common type)."""
    return next((v for v in values if v is not None), None)


def nullif_value(a: Any, b: Any, oid: int) -> Any:
    """NULLIF(a, b) with ``oid`` the common type of both."""
    if a is None or b is None:
        return a
    return None if comparator(oid)(a, b) == 0 else a


def greatest_value(values: list, oid: int) -> Any:
    """GREATEST: NULLs ignored; NULL only if all are NULL (values already cast to ``oid``)."""
    cmp = comparator(oid)
    best = None
    for v in values:
        if v is not None and (best is None or cmp(v, best) > 0):
            best = v
    return best


def least_value(values: list, oid: int) -> Any:
    cmp = comparator(oid)
    best = None
    for v in values:
        if v is not None and (best is None or cmp(v, best) < 0):
            best = v
    return best
