"""String functions of PostgreSQL 15 (length, substr, trim, lpad, split_part, format, regexp_*, …)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from engine import types as T
from engine.errors import (
    InvalidParameterValue,
    ProgramLimitExceeded,
    RemError,
)
from engine.functions import function
from engine.sql.operators import pg_regex
from engine.textio import format_text, guess_oid

TX, I4, I8, B = T.TEXT, T.INT4, T.INT8, T.BOOL
TEXT_ARRAY = 1009


# Case mapping of the C locale (REM's collation/ctype, like the reference clusters): ASCII letters only.
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class SubstringError(RemError, code="22011"):
    """substring_error: negative substring length."""


@function("length", I4, arg_oids=(TX,))
@function("char_length", I4, arg_oids=(TX,))
@function("character_length", I4, arg_oids=(TX,))
def length(s: str) -> int:
    return len(s)


@function("octet_length", I4, arg_oids=(TX,))
def octet_length(s: str) -> int:
    return len(s.encode())


@function("bit_length", I4, arg_oids=(TX,))
def bit_length(s: str) -> int:
    return 8 * len(s.encode())


@function("lower", TX, arg_oids=(TX,))
def lower(s: str) -> str:
    return s.translate(_LOWER)


@function("upper", TX, arg_oids=(TX,))
def upper(s: str) -> str:
    return s.translate(_UPPER)


@function("initcap", TX, arg_oids=(TX,))
def initcap(s: str) -> str:
    out, prev_alnum = [], False
    for ch in s:
        out.append(ch.translate(_LOWER) if prev_alnum else ch.translate(_UPPER))
        prev_alnum = ch.isalnum()
    return "".join(out)


def _substr(s: Any, start: int, count: int | None = None) -> Any:
    if count is not None and count < 0:
        raise SubstringError("negative substring length not allowed")
    begin = start - 1
    end = None if count is None else begin + count
    begin = max(begin, 0)
    if end is not None and end <= begin:
        return s[:0]
    return s[begin:end]


@function("substr", TX, arg_oids=(TX, I4))
@function("substring", TX, arg_oids=(TX, I4))
def substr2(s: str, start: int) -> str:
    return _substr(s, start)


@function("substr", TX, arg_oids=(TX, I4, I4))
@function("substring", TX, arg_oids=(TX, I4, I4))
def substr3(s: str, start: int, count: int) -> str:
    return _substr(s, start, count)


@function("substr", T.BYTEA, arg_oids=(T.BYTEA, I4))
@function("substring", T.BYTEA, arg_oids=(T.BYTEA, I4))
def substr_bytea2(s: bytes, start: int) -> bytes:
    return bytes(_substr(bytes(s), start))


@function("substr", T.BYTEA, arg_oids=(T.BYTEA, I4, I4))
@function("substring", T.BYTEA, arg_oids=(T.BYTEA, I4, I4))
def substr_bytea3(s: bytes, start: int, count: int) -> bytes:
    return bytes(_substr(bytes(s), start, count))


@function("substring", TX, arg_oids=(TX, TX))
def substring_regex(s: str, pattern: str) -> str | None:
    """substring(s FROM pattern): the first parenthesized group, or the whole match."""
    m = pg_regex(pattern).search(s)
    if not m:
        return None
    return m.group(1) if m.re.groups else m.group(0)


@function("strpos", I4, arg_oids=(TX, TX))
@function("position", I4, arg_oids=(TX, TX))
def strpos(s: str, sub: str) -> int:
    """position(sub IN s) is position(s, sub)."""
    return s.find(sub) + 1


@function("replace", TX, arg_oids=(TX, TX, TX))
def replace(s: str, old: str, new: str) -> str:
    return s.replace(old, new) if old else s


def _trim(s: str, chars: str, left: bool, right: bool) -> str:
    if left:
        s = s.lstrip(chars)
    if right:
        s = s.rstrip(chars)
    return s


@function("btrim", TX, arg_oids=(TX,))
@function("trim", TX, arg_oids=(TX,))
def btrim1(s: str) -> str:
    return s.strip(" ")


@function("btrim", TX, arg_oids=(TX, TX))
@function("trim", TX, arg_oids=(TX, TX))
def btrim2(s: str, chars: str) -> str:
    return _trim(s, chars, True, True)


@function("ltrim", TX, arg_oids=(TX,))
def ltrim1(s: str) -> str:
    return s.lstrip(" ")


@function("ltrim", TX, arg_oids=(TX, TX))
def ltrim2(s: str, chars: str) -> str:
    return s.lstrip(chars)


@function("rtrim", TX, arg_oids=(TX,))
def rtrim1(s: str) -> str:
    return s.rstrip(" ")


@function("rtrim", TX, arg_oids=(TX, TX))
def rtrim2(s: str, chars: str) -> str:
    return s.rstrip(chars)


_MAX_LEN = 1_073_741_823  # PostgreSQL's MaxAllocSize - 1


def _pad(s: str, n: int, fill: str, left: bool) -> str:
    n = max(n, 0)
    if n * 4 > _MAX_LEN:
        raise ProgramLimitExceeded("requested length too large")
    if len(s) >= n:
        return s[:n]
    if not fill:
        return s
    need = n - len(s)
    pad = (fill * (need // len(fill) + 1))[:need]
    return pad + s if left else s + pad


@function("lpad", TX, arg_oids=(TX, I4))
def lpad2(s: str, n: int) -> str:
    return _pad(s, n, " ", True)


@function("lpad", TX, arg_oids=(TX, I4, TX))
def lpad3(s: str, n: int, fill: str) -> str:
    return _pad(s, n, fill, True)


@function("rpad", TX, arg_oids=(TX, I4))
def rpad2(s: str, n: int) -> str:
    return _pad(s, n, " ", False)


@function("rpad", TX, arg_oids=(TX, I4, TX))
def rpad3(s: str, n: int, fill: str) -> str:
    return _pad(s, n, fill, False)


@function("left", TX, arg_oids=(TX, I4))
def left(s: str, n: int) -> str:
    return s[:n] if n >= 0 else s[: max(len(s) + n, 0)]


@function("right", TX, arg_oids=(TX, I4))
def right(s: str, n: int) -> str:
    if n >= 0:
        return s[len(s) - n:] if n else ""
    return s[-n:]


@function("repeat", TX, arg_oids=(TX, I4))
def repeat(s: str, n: int) -> str:
    if n > 0 and len(s.encode()) * n > _MAX_LEN:
        raise ProgramLimitExceeded("requested length too large")
    return s * max(n, 0)


@function("reverse", TX, arg_oids=(TX,))
def reverse(s: str) -> str:
    return s[::-1]


@function("split_part", TX, arg_oids=(TX, TX, I4))
def split_part(s: str, delim: str, n: int) -> str:
    if n == 0:
        raise InvalidParameterValue("field position must not be zero")
    parts = s.split(delim) if delim else [s]
    if s == "":
        return ""
    idx = n - 1 if n > 0 else len(parts) + n
    return parts[idx] if 0 <= idx < len(parts) else ""


def _text_of(v: Any) -> str:
    """A value as concat()/format() print it: the type's output function."""
    return format_text(guess_oid(v), v)


@function("concat", TX, strict=False, variadic=True)
def concat(*args: Any) -> str:
    return "".join(_text_of(a) for a in args if a is not None)


@function("concat_ws", TX, strict=False, variadic=True)
def concat_ws(sep: str | None, *args: Any) -> str | None:
    if sep is None:
        return None
    return sep.join(_text_of(a) for a in args if a is not None)


_FMT = re.compile(r"%(?:(\d+)\$)?(-)?(\d+|\*)?([sIL%])")


@function("format", TX, strict=False, variadic=True)
def format_(fmt: str | None, *args: Any) -> str | None:
    """format('%s %I %L', …) with positions (%1$s) and widths (%-10s)."""
    if fmt is None:
        return None
    out, pos, argi = [], 0, 0
    for m in _FMT.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        if m[4] == "%":
            out.append("%")
            continue
        if m[1]:
            argi = int(m[1]) - 1
        if argi >= len(args):
            raise InvalidParameterValue("too few arguments for format()")
        v = args[argi]
        argi += 1
        if m[4] == "s":
            s = "" if v is None else _text_of(v)
        elif m[4] == "I":
            if v is None:
                raise InvalidParameterValue("null values cannot be formatted as an SQL identifier")
            s = quote_ident(_text_of(v))
        else:
            s = "NULL" if v is None else quote_literal(_text_of(v))
        if m[3] and m[3] != "*":
            w = int(m[3])
            s = s.ljust(w) if m[2] else s.rjust(w)
        out.append(s)
    rest = fmt[pos:]
    if "%" in rest:
        raise InvalidParameterValue("unterminated format() type specifier",
                                    hint='For a single "%" use "%%".')
    out.append(rest)
    return "".join(out)


@function("md5", TX, arg_oids=(TX,))
def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


@function("md5", TX, arg_oids=(T.BYTEA,))
def md5_bytea(b: bytes) -> str:
    return hashlib.md5(bytes(b)).hexdigest()


def _pg_repl(repl: str) -> str:
    """PostgreSQL replacement string (\\1, \\&) → Python's (\\g<1>, \\g<0>)."""
    out, i = [], 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            n = repl[i + 1]
            if n.isdigit():
                out.append(f"\\g<{n}>")
            elif n == "&":
                out.append("\\g<0>")
            else:
                out.append(n.replace("\\", "\\\\"))
            i += 2
            continue
        out.append("\\\\" if c == "\\" else c)
        i += 1
    return "".join(out)


@function("regexp_replace", TX, arg_oids=(TX, TX, TX))
def regexp_replace3(s: str, pattern: str, repl: str) -> str:
    return regexp_replace4(s, pattern, repl, "")


@function("regexp_replace", TX, arg_oids=(TX, TX, TX, TX))
def regexp_replace4(s: str, pattern: str, repl: str, flags: str) -> str:
    rx = pg_regex(pattern, flags)
    try:
        return rx.sub(_pg_repl(repl), s, count=0 if "g" in flags else 1)
    except (re.error, IndexError):
        return rx.sub(lambda m: m.group(0), s)


def _match_groups(m: re.Match[str]) -> list[str | None]:
    return list(m.groups()) if m.re.groups else [m.group(0)]


@function("regexp_match", TEXT_ARRAY, arg_oids=(TX, TX))
def regexp_match2(s: str, pattern: str) -> list | None:
    return regexp_match3(s, pattern, "")


@function("regexp_match", TEXT_ARRAY, arg_oids=(TX, TX, TX))
def regexp_match3(s: str, pattern: str, flags: str) -> list | None:
    if "g" in flags:
        raise InvalidParameterValue("regexp_match() does not support the \"global\" option",
                                    hint="Use the regexp_matches function instead.")
    m = pg_regex(pattern, flags).search(s)
    return _match_groups(m) if m else None


@function("regexp_matches", TEXT_ARRAY, arg_oids=(TX, TX), set_returning=True,
          columns=(("regexp_matches", TEXT_ARRAY),))
def regexp_matches2(s: str, pattern: str) -> list[tuple]:
    return regexp_matches3(s, pattern, "")


@function("regexp_matches", TEXT_ARRAY, arg_oids=(TX, TX, TX), set_returning=True,
          columns=(("regexp_matches", TEXT_ARRAY),))
def regexp_matches3(s: str, pattern: str, flags: str) -> list[tuple]:
    rx = pg_regex(pattern, flags)
    if "g" in flags:
        return [(_match_groups(m),) for m in rx.finditer(s)]
    m = rx.search(s)
    return [(_match_groups(m),)] if m else []


@function("regexp_split_to_array", TEXT_ARRAY, arg_oids=(TX, TX))
def regexp_split_to_array(s: str, pattern: str) -> list:
    return [p for p in pg_regex(pattern).split(s) if p is not None] if s else [""] if not pattern else [s]


@function("regexp_split_to_table", TX, arg_oids=(TX, TX), set_returning=True,
          columns=(("regexp_split_to_table", TX),))
def regexp_split_to_table(s: str, pattern: str) -> list[tuple]:
    return [(p,) for p in regexp_split_to_array(s, pattern)]


@function("string_to_array", TEXT_ARRAY, strict=False, arg_oids=(TX, TX))
def string_to_array2(s: str | None, delim: str | None) -> list | None:
    return string_to_array3(s, delim, None)


@function("string_to_array", TEXT_ARRAY, strict=False, arg_oids=(TX, TX, TX))
def string_to_array3(s: str | None, delim: str | None, null_str: str | None) -> list | None:
    if s is None:
        return None
    if s == "":
        return []
    parts = list(s) if delim is None else ([s] if delim == "" else s.split(delim))
    return [None if (null_str is not None and p == null_str) else p for p in parts]


@function("starts_with", B, arg_oids=(TX, TX))
def starts_with(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


@function("ascii", I4, arg_oids=(TX,))
def ascii_(s: str) -> int:
    return ord(s[0]) if s else 0


@function("chr", TX, arg_oids=(I4,))
def chr_(n: int) -> str:
    if n == 0:
        raise ProgramLimitExceeded("null character not permitted")
    if n < 0 or n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise ProgramLimitExceeded(f"requested character too large for encoding: {n}" if n > 0 else
                                   "character number must be positive")
    return chr(n)


_KEYWORDS = frozenset(
    "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate "
    "collation column concurrently constraint create cross current_catalog current_date current_role "
    "current_schema current_time current_timestamp current_user default deferrable desc distinct do else end "
    "except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into "
    "is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on "
    "only or order outer overlaps placing primary references returning right select session_user similar some "
    "symmetric table tablesample then to trailing true union unique user using variadic verbose when where "
    "window with between bigint bit boolean char character coalesce dec decimal exists extract float greatest "
    "grouping inout int integer interval least national nchar none normalize nullif numeric out overlay position "
    "precision real row setof smallint substring time timestamp treat trim values varchar xmlattributes".split()
)


@function("quote_ident", TX, arg_oids=(TX,))
def quote_ident(s: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", s) and s not in _KEYWORDS:
        return s
    return '"' + s.replace('"', '""') + '"'


@function("quote_literal", TX, arg_oids=(TX,))
def quote_literal(s: str) -> str:
    body = s.replace("'", "''")
    if "\\" in s:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


@function("quote_nullable", TX, strict=False, arg_oids=(TX,))
def quote_nullable(s: str | None) -> str:
    return "NULL" if s is None else quote_literal(s)


@function("quote_literal", TX, arg_oids=(2283,))
def quote_literal_any(v: Any) -> str:
    """quote_literal(anyelement): the value's text form, quoted."""
    return quote_literal(v if isinstance(v, str) else format_text(guess_oid(v), v))


@function("quote_nullable", TX, strict=False, arg_oids=(2283,))
def quote_nullable_any(v: Any) -> str:
    return "NULL" if v is None else quote_literal_any(v)


@function("to_hex", TX, arg_oids=(I4,))
def to_hex4(n: int) -> str:
    return format(n & 0xFFFFFFFF, "x")


@function("to_hex", TX, arg_oids=(I8,))
def to_hex8(n: int) -> str:
    return format(n & 0xFFFFFFFFFFFFFFFF, "x")


@function("translate", TX, arg_oids=(TX, TX, TX))
def translate(s: str, frm: str, to: str) -> str:
    table: dict[str, str | None] = {}
    for i, ch in enumerate(frm):
        if ch not in table:
            table[ch] = to[i] if i < len(to) else None
    return "".join(c if c not in table else (table[c] or "") for c in s)


@function("overlay", TX, arg_oids=(TX, TX, I4))
def overlay3(s: str, repl: str, start: int) -> str:
    return overlay4(s, repl, start, len(repl))


@function("overlay", TX, arg_oids=(TX, TX, I4, I4))
def overlay4(s: str, repl: str, start: int, count: int) -> str:
    return _substr(s, 1, start - 1) + repl + _substr(s, start + count)
