"""COPY data formats: encode rows for COPY TO STDOUT and decode CopyData for COPY FROM STDIN.

Text (backslash escapes, NULL marker), CSV (HEADER, DELIMITER, NULL, QUOTE, ESCAPE, FORCE_QUOTE) and binary
(PGCOPY header, per-field lengths). Decoding is all-or-nothing: the first bad line raises an error whose
context (``W`` field) names the line number, and no row is returned.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from engine.api import CopySpec
from engine.errors import BadCopyFileFormat, CharacterNotInRepertoire, RemError
from remwire import pgtypes

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")


def _bad_format(msg: str, line: int) -> RemError:
    e = BadCopyFileFormat(msg)
    e.where = f"COPY, line {line}"  # type: ignore[attr-defined]
    return e


def _annotate(e: RemError, line: int, column: str | None = None, raw: str | None = None) -> RemError:
    where = f"COPY, line {line}"
    if column is not None:
        where += f", column {column}"
        if raw is not None:
            where += f': "{raw}"'
    e.where = where  # type: ignore[attr-defined]
    return e


def format_code(spec: CopySpec) -> int:
    """Overall COPY format code: 1 binary, 0 text/CSV."""
    return 1 if spec.format == "binary" else 0


# --------------------------------------------------------------------------- COPY TO


def _text_escape(s: str, delim: str) -> str:
    if not any(c in s for c in ("\\", "\n", "\r", "\t", delim, "\b", "\f", "\v")):
        return s
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\b":
            out.append("\\b")
        elif c == "\f":
            out.append("\\f")
        elif c == "\v":
            out.append("\\v")
        elif c == delim:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def _csv_quote(s: str, spec: CopySpec, force: bool) -> str:
    q, esc, d = spec.quote, spec.escape, spec.delimiter
    if force or s == "" or s == spec.null or any(c in s for c in (d, q, "\n", "\r")) or s.startswith("\\."):
        body = s.replace(esc, esc + esc) if esc != q else s
        return q + body.replace(q, esc + q) + q
    return s


def encode_rows(spec: CopySpec, rows: Iterator[tuple[Any, ...]],
                opts: pgtypes.TextOptions = pgtypes.DEFAULT_TEXT_OPTIONS) -> Iterator[bytes]:
    """The COPY TO data, one chunk per row (plus CSV/text header line, binary trailer), one CopyData each."""
    cols = spec.columns
    if spec.format == "binary":
        encs = [pgtypes.binary_encoder(c.type_oid) for c in cols]
        header = BINARY_SIGNATURE + _I32.pack(0) + _I32.pack(0)  # sent with the first row, as PostgreSQL does
        for row in rows:
            parts = [_I16.pack(len(encs))]
            for e, v in zip(encs, row, strict=False):
                if v is None:
                    parts.append(b"\xff\xff\xff\xff")
                else:
                    b = e(v)
                    parts.append(_I32.pack(len(b)))
                    parts.append(b)
            yield header + b"".join(parts)
            header = b""
        yield header + _I16.pack(-1)
        return
    fmts: list[Callable[[Any], str]] = [
        (lambda oid: (lambda v: pgtypes.format_text(oid, v, opts)))(c.type_oid) for c in cols
    ]
    d = spec.delimiter
    if spec.format == "csv":
        if spec.header:
            yield (d.join(_csv_quote(c.name, spec, False) for c in cols) + "\n").encode()
        for row in rows:
            yield (d.join(spec.null if v is None else _csv_quote(f(v), spec, spec.force_quote)
                          for f, v in zip(fmts, row, strict=False)) + "\n").encode()
        return
    if spec.header:
        yield (d.join(_text_escape(c.name, d) for c in cols) + "\n").encode()
    for row in rows:
        yield (d.join(spec.null if v is None else _text_escape(f(v), d)
                      for f, v in zip(fmts, row, strict=False)) + "\n").encode()


# --------------------------------------------------------------------------- COPY FROM


def _text_unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out = []
    i, n = 0, len(s)
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        c = s[i + 1]
        i += 2
        if c in simple:
            out.append(simple[c])
        elif c in "01234567":
            j = i - 1
            while i < n and i - j < 3 and s[i] in "01234567":
                i += 1
            out.append(chr(int(s[j:i], 8)))
        elif c == "x" and i < n and s[i] in "0123456789abcdefABCDEF":
            j = i
            while i < n and i - j < 2 and s[i] in "0123456789abcdefABCDEF":
                i += 1
            out.append(chr(int(s[j:i], 16)))
        else:
            out.append(c)
    return "".join(out)


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _convert(spec: CopySpec, raw: Sequence[str | None], line: int,
             decs: Sequence[Callable[[str], Any]]) -> tuple[Any, ...]:
    cols = spec.columns
    if len(raw) < len(cols):
        raise _bad_format(f'missing data for column "{cols[len(raw)].name}"', line)
    if len(raw) > len(cols):
        raise _bad_format("extra data after last expected column", line)
    out = []
    for c, dec, v in zip(cols, decs, raw, strict=True):
        if v is None:
            out.append(None)
            continue
        try:
            out.append(dec(v))
        except RemError as e:
            raise _annotate(e, line, c.name, v) from None
    return tuple(out)


def _text_rows(spec: CopySpec, text: str, decs: Sequence[Callable[[str], Any]]) -> list[tuple[Any, ...]]:
    rows = []
    d = spec.delimiter
    for i, ln in enumerate(_split_lines(text), start=1):
        if ln == "\\.":
            break
        if i == 1 and spec.header:
            continue
        if len(spec.columns) == 0 and ln == "":
            rows.append(())
            continue
        fields = _split_text_fields(ln, d)
        rows.append(_convert(spec, [None if f == spec.null else _text_unescape(f) for f in fields], i, decs))
    return rows


def _split_text_fields(ln: str, d: str) -> list[str]:
    if "\\" not in ln:
        return ln.split(d)
    fields, cur, i = [], [], 0
    while i < len(ln):
        c = ln[i]
        if c == "\\" and i + 1 < len(ln):
            cur.append(ln[i : i + 2])
            i += 2
            continue
        if c == d:
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur))
    return fields


def _csv_rows(spec: CopySpec, text: str, decs: Sequence[Callable[[str], Any]]) -> list[tuple[Any, ...]]:
    q, esc, d, null = spec.quote, spec.escape, spec.delimiter, spec.null
    rows: list[tuple[Any, ...]] = []
    i, n, line = 0, len(text), 1
    first = True
    while i < n:
        start_line = line
        fields: list[str | None] = []
        cur: list[str] = []
        quoted_any = False
        in_quotes = False
        while True:
            if i >= n:
                if in_quotes:
                    raise _bad_format("unterminated CSV quoted field", start_line)
                break
            c = text[i]
            if in_quotes:
                if c == esc and esc != q and i + 1 < n and text[i + 1] in (q, esc):
                    cur.append(text[i + 1])
                    i += 2
                    continue
                if c == q:
                    if esc == q and i + 1 < n and text[i + 1] == q:
                        cur.append(q)
                        i += 2
                        continue
                    in_quotes = False
                    i += 1
                    continue
                if c == "\n":
                    line += 1
                cur.append(c)
                i += 1
                continue
            if c == q:
                in_quotes = True
                quoted_any = True
                i += 1
                continue
            if c == d:
                s = "".join(cur)
                fields.append(None if (s == null and not quoted_any) else s)
                cur, quoted_any = [], False
                i += 1
                continue
            if c in "\r\n":
                i += 2 if c == "\r" and i + 1 < n and text[i + 1] == "\n" else 1
                line += 1
                break
            cur.append(c)
            i += 1
        s = "".join(cur)
        fields.append(None if (s == null and not quoted_any) else s)
        if fields == ["\\."] and not quoted_any:
            break
        if first and spec.header:
            first = False
            continue
        first = False
        rows.append(_convert(spec, fields, start_line, decs))
    return rows


def _binary_rows(spec: CopySpec, data: bytes) -> list[tuple[Any, ...]]:
    if not data.startswith(BINARY_SIGNATURE):
        raise _bad_format("COPY file signature not recognized", 0)
    pos = len(BINARY_SIGNATURE)
    try:
        _flags, ext = struct.unpack_from("!ii", data, pos)
        pos += 8 + ext
        decs = [pgtypes.binary_decoder(c.type_oid) for c in spec.columns]
        rows = []
        line = 0
        while True:
            line += 1
            nf = _I16.unpack_from(data, pos)[0]
            pos += 2
            if nf == -1:
                break
            if nf != len(decs):
                raise _bad_format(f"row field count is {nf}, expected {len(decs)}", line)
            vals: list[Any] = []
            for c, dec in zip(spec.columns, decs, strict=True):
                ln = _I32.unpack_from(data, pos)[0]
                pos += 4
                if ln == -1:
                    vals.append(None)
                    continue
                if ln < 0 or pos + ln > len(data):
                    raise _bad_format("invalid field size", line)
                try:
                    vals.append(dec(data[pos : pos + ln]))
                except RemError as e:
                    raise _annotate(e, line, c.name) from None
                pos += ln
            rows.append(tuple(vals))
    except struct.error:
        raise _bad_format("unexpected EOF in COPY data", line) from None
    return rows


def decode_rows(spec: CopySpec, data: bytes, timezone: str = "UTC") -> list[tuple[Any, ...]]:
    """All rows of a COPY FROM STDIN payload, converted to the columns' Python values."""
    if spec.format == "binary":
        return _binary_rows(spec, data)
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8"') from None
    decs = [(lambda oid: (lambda s: pgtypes.parse_text(oid, s, timezone)))(c.type_oid) for c in spec.columns]
    if spec.format == "csv":
        return _csv_rows(spec, text, decs)
    return _text_rows(spec, text, decs)
