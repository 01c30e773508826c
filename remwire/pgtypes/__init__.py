"""Type I/O for the wire: encoders/decoders per (type OID, format code), one module per type family.

``encoder(oid, fmt)`` gives ``value -> bytes`` (fmt 0 text, 1 binary); ``decoder(oid, fmt)`` gives
``bytes -> value``. Text goes through the engine's text I/O (the same code as casts to/from text);
binary through the family modules here. Unknown OIDs fall back to text (binary: UTF-8 of the text form).
"""

from __future__ import annotations

import datetime as _datetime
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from engine import textio
from engine import types as t
from engine.errors import FeatureNotSupported, InvalidTextRepresentation
from remwire.pgtypes import array, numeric, text, vector
from remwire.pgtypes import bool as _bool
from remwire.pgtypes import datetime as _dt
from remwire.pgtypes import json as _json

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes], Any]

_SEND: dict[int, Encoder] = {
    t.BOOL: _bool.send_bool,
    t.INT2: numeric.send_int2,
    t.INT4: numeric.send_int4,
    t.INT8: numeric.send_int8,
    t.OID: numeric.send_oid,
    t.REGPROC: numeric.send_oid,
    t.REGCLASS: numeric.send_oid,
    t.REGTYPE: numeric.send_oid,
    t.REGPROCEDURE: numeric.send_oid,
    t.REGOPER: numeric.send_oid,
    t.REGNAMESPACE: numeric.send_oid,
    t.REGROLE: numeric.send_oid,
    t.FLOAT4: numeric.send_float4,
    t.FLOAT8: numeric.send_float8,
    t.NUMERIC: numeric.send_numeric,
    t.TEXT: text.send_text,
    t.VARCHAR: text.send_text,
    t.BPCHAR: text.send_text,
    t.NAME: text.send_text,
    t.CHAR: text.send_text,
    t.UNKNOWN: text.send_text,
    t.BYTEA: text.send_bytea,
    t.UUID: text.send_uuid,
    t.DATE: _dt.send_date,
    t.TIME: _dt.send_time,
    t.TIMESTAMP: _dt.send_timestamp,
    t.TIMESTAMPTZ: _dt.send_timestamptz,
    t.INTERVAL: _dt.send_interval,
    t.TIMETZ: _dt.send_timetz,
    t.JSON: _json.send_json,
    t.JSONB: _json.send_jsonb,
    t.VECTOR: vector.send_vector,
}

_RECV: dict[int, Decoder] = {
    t.BOOL: _bool.recv_bool,
    t.INT2: numeric.recv_int2,
    t.INT4: numeric.recv_int4,
    t.INT8: numeric.recv_int8,
    t.OID: numeric.recv_oid,
    t.REGPROC: numeric.recv_oid,
    t.REGCLASS: numeric.recv_oid,
    t.REGTYPE: numeric.recv_oid,
    t.REGPROCEDURE: numeric.recv_oid,
    t.REGOPER: numeric.recv_oid,
    t.REGNAMESPACE: numeric.recv_oid,
    t.REGROLE: numeric.recv_oid,
    t.FLOAT4: numeric.recv_float4,
    t.FLOAT8: numeric.recv_float8,
    t.NUMERIC: numeric.recv_numeric,
    t.TEXT: text.recv_text,
    t.VARCHAR: text.recv_text,
    t.BPCHAR: text.recv_text,
    t.NAME: text.recv_text,
    t.CHAR: text.recv_text,
    t.UNKNOWN: text.recv_text,
    0: text.recv_text,
    t.BYTEA: text.recv_bytea,
    t.UUID: text.recv_uuid,
    t.DATE: _dt.recv_date,
    t.TIME: _dt.recv_time,
    t.TIMESTAMP: _dt.recv_timestamp,
    t.TIMESTAMPTZ: _dt.recv_timestamptz,
    t.INTERVAL: _dt.recv_interval,
    t.TIMETZ: _dt.recv_timetz,
    t.JSON: _json.recv_json,
    t.JSONB: _json.recv_jsonb,
    t.VECTOR: vector.recv_vector,
}


TextOptions = tuple[str, str, str, int]
"""(DateStyle, TimeZone, IntervalStyle, extra_float_digits): the session settings text output depends on."""

DEFAULT_TEXT_OPTIONS: TextOptions = ("ISO, MDY", "UTC", "postgres", 1)


def format_text(oid: int, value: Any, opts: TextOptions = DEFAULT_TEXT_OPTIONS) -> str:
    """Text output of a value (PostgreSQL's typoutput, via engine.textio)."""
    return textio.format_text(oid, value, datestyle=opts[0], timezone=opts[1], intervalstyle=opts[2],
                              extra_float_digits=opts[3])


def parse_text(oid: int, s: str, timezone: str = "UTC") -> Any:
    """Value of a text input (PostgreSQL's typinput); OID 0/unknown gives the string itself."""
    if oid in (0, t.UNKNOWN):
        return s
    return textio.parse_text(oid, s, timezone=timezone)


def _vector_list_send(elem: int) -> Encoder:
    send = binary_encoder(elem)
    return lambda v: array.send_array(list(v), elem, send, lbound=0)


@cache
def binary_encoder(oid: int) -> Encoder:
    """``value -> bytes`` in binary format for type ``oid``."""
    f = _SEND.get(oid)
    if f is not None:
        return f
    if oid == t.INT2VECTOR:
        return _vector_list_send(t.INT2)
    if oid == t.OIDVECTOR:
        return _vector_list_send(t.OID)
    typ = t.by_oid(oid)
    if typ is not None and typ.is_array:
        elem = typ.elem
        send = binary_encoder(elem)
        return lambda v: array.send_array(v, elem, send)
    return lambda v: format_text(oid, v).encode()


@cache
def binary_decoder(oid: int) -> Decoder:
    """``bytes -> value`` in binary format for type ``oid``."""
    f = _RECV.get(oid)
    if f is not None:
        return f
    typ = t.by_oid(oid)
    if oid in (t.INT2VECTOR, t.OIDVECTOR) or (typ is not None and typ.is_array):
        return lambda b: array.recv_array(b, binary_decoder)
    if typ is None:
        raise FeatureNotSupported(f"no binary input function available for type {oid}")
    return lambda b: parse_text(oid, text.recv_text(b))


@cache
def text_encoder(oid: int, opts: TextOptions = DEFAULT_TEXT_OPTIONS) -> Encoder:
    """``value -> bytes`` in text format for type ``oid`` under session text options ``opts``."""
    if oid in (t.TEXT, t.VARCHAR, t.NAME, t.BPCHAR, t.UNKNOWN):
        return lambda v: v.encode() if type(v) is str else format_text(oid, v, opts).encode()
    if oid in (t.INT4, t.INT8, t.INT2):
        return lambda v: str(v).encode() if type(v) is int else format_text(oid, v, opts).encode()
    if oid == t.BOOL:
        return lambda v: b"t" if v else b"f"
    fast = _fast_text(oid, opts)
    if fast is not None:
        return fast
    return lambda v: format_text(oid, v, opts).encode()


def _fast_text(oid: int, opts: TextOptions) -> Encoder | None:
    """Direct text encoders of uuid, float8, jsonb, uuid[] (the columns of graph rows), numeric and ISO
    timestamptz: the same bytes as ``format_text`` without its dispatch."""
    from engine.textio import format_array, format_float8
    from engine.textio_json import format_json

    if oid == t.NUMERIC:
        return _numeric_text(lambda v: format_text(oid, v, opts).encode())
    if oid == t.TIMESTAMPTZ and opts[0][:3].upper() == "ISO":
        return _timestamptz_text(lambda v: format_text(oid, v, opts).encode())
    if oid == t.UUID:
        return lambda v: str(v).encode()
    if oid == t.FLOAT8:
        efd = opts[3]
        return lambda v: format_float8(float(v), efd).encode()
    if oid == t.JSONB:
        return lambda v: format_json(v).encode()
    if oid == t.array_of(t.UUID):
        return lambda v: format_array(t.UUID, v).encode() if type(v) is list else format_text(oid, v, opts).encode()
    return None


def _numeric_text(general: Encoder) -> Encoder:
    """Text of a numeric: a finite non-zero Decimal directly; zero (maybe -0), NaN, infinities and non-Decimals
    through ``general``."""
    def enc(v: Any) -> bytes:
        if type(v) is Decimal and v and v.is_finite():
            return format(v, "f").encode()
        return general(v)

    return enc


def _timestamptz_text(general: Encoder) -> Encoder:
    """Text of a timestamptz, remembered per value (rows often share timestamps; equal datetimes are the same
    instant, whose text under one set of text options is one string)."""
    memo: dict[_datetime.datetime, bytes] = {}

    def enc(v: Any) -> bytes:
        if type(v) is not _datetime.datetime:
            return general(v)
        b = memo.get(v)
        if b is None:
            b = general(v)
            if len(memo) > 4096:
                memo.clear()
            memo[v] = b
        return b

    return enc


@cache
def text_decoder(oid: int, timezone: str = "UTC") -> Decoder:
    """``bytes -> value`` in text format for type ``oid``."""

    def dec(b: bytes) -> Any:
        try:
            s = b.decode()
        except UnicodeDecodeError as e:
            raise InvalidTextRepresentation('invalid byte sequence for encoding "UTF8"') from e
        return parse_text(oid, s, timezone)

    return dec


def encoder(oid: int, fmt: int, opts: TextOptions = DEFAULT_TEXT_OPTIONS) -> Encoder:
    """The encoder for format code ``fmt`` (0 text, 1 binary)."""
    return binary_encoder(oid) if fmt == 1 else text_encoder(oid, opts)


def decoder(oid: int, fmt: int, timezone: str = "UTC") -> Decoder:
    """The decoder for format code ``fmt`` (0 text, 1 binary)."""
    return binary_decoder(oid) if fmt == 1 else text_decoder(oid, timezone)
