"""A fast front end for the commonest bulk statement: ``INSERT INTO t [(cols)] VALUES (literals), …``.

sqlglot's pure-Python tokenizer and parser cost ~0.3 ms per row of a large VALUES list; this regex scanner builds
the same sqlglot tree directly for rows made only of numbers, strings, NULL/TRUE/FALSE/DEFAULT and $n. Anything
else (expressions, casts, comments) returns None and the statement takes the normal path. A trailing
``ON CONFLICT …`` / ``RETURNING …`` is parsed by sqlglot with one dummy row, and the scanned rows grafted in.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

_HEAD = re.compile(
    r'\s*insert\s+into\s+((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?)\s*'
    r'(?:\(([^()]*)\)\s*)?values\s*', re.I | re.S)
_TOKEN = re.compile(r"""\s*(?:
    (?P<num>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))
  | '(?P<str>(?:[^']|'')*)'
  | (?P<kw>null|true|false|default)\b
  | \$(?P<param>\d+)
  | (?P<punct>[(),;])
)""", re.I | re.X | re.S)


_TAIL = re.compile(r"\s*(?:on\s+conflict|returning)\b", re.I)
_VAL = r"""[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|'(?:[^']|'')*'|(?:null|true|false|default)\b|\$\d+"""
_ROW = re.compile(rf"\s*\(\s*((?:{_VAL})(?:\s*,\s*(?:{_VAL}))*)\s*\)\s*(,?)", re.I | re.S)
_VALS = re.compile(_VAL, re.I | re.S)


def _ident(text: str) -> exp.Identifier:
    text = text.strip()
    if text.startswith('"'):
        return exp.to_identifier(text[1:-1], quoted=True)
    return exp.to_identifier(text.lower())


def parse_insert_values(sql: str) -> exp.Insert | None:
    """The sqlglot tree of a literal-only multi-row INSERT, or None when the statement is anything else."""
    m = _HEAD.match(sql)
    if m is None or "--" in sql or "/*" in sql:
        return None
    parts = m.group(1).split(".")
    table = exp.Table(this=_ident(parts[-1]), db=_ident(parts[0]) if len(parts) > 1 else None)
    target: exp.Expression = table
    if m.group(2) is not None:
        cols = [c for c in m.group(2).split(",")]
        if not all(re.fullmatch(r'\s*(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)\s*', c) for c in cols):
            return None
        target = exp.Schema(this=table, expressions=[_ident(c) for c in cols])
    pos = m.end()
    fast = _fast_rows(sql, pos)
    if fast is not None:
        rows_, rest = fast
        values = exp.Values(expressions=rows_)
        if rest is not None:
            return _with_tail(sql[:m.end()], rest, values)
        return exp.Insert(this=target, expression=values)
    n = len(sql)
    rows: list[exp.Expression] = []
    cur: list[exp.Expression] | None = None
    expect_value = False
    between = False  # a comma separated the last row from the next one
    tok = _TOKEN.match
    tail = None  # ON CONFLICT … / RETURNING … after the rows: parsed by sqlglot on its own
    while pos < n:
        t = tok(sql, pos)
        if t is None:
            if sql[pos:].strip() == "":
                break
            if cur is None and rows and not between and _TAIL.match(sql, pos):
                tail = sql[pos:]
                break
            return None
        pos = t.end()
        g = t.lastgroup
        if g == "punct":
            p = t.group("punct")
            if p == "(":
                if cur is not None:
                    return None
                if rows and not between:
                    return None
                between = False
                cur = []
                expect_value = True
            elif p == ",":
                if cur is None:
                    if not rows or between:
                        return None
                    between = True
                    continue
                if expect_value:
                    return None
                expect_value = True
            elif p == ")":
                if cur is None or expect_value and cur:
                    return None
                rows.append(exp.Tuple(expressions=cur))
                cur = None
                expect_value = False
            else:  # ';'
                if sql[pos:].strip():
                    return None
                break
            continue
        if cur is None or not expect_value:
            return None
        expect_value = False
        if g == "num":
            v = t.group("num")
            if v[0] in "+-":
                lit = exp.Literal.number(v[1:])
                cur.append(exp.Neg(this=lit) if v[0] == "-" else lit)
            else:
                cur.append(exp.Literal.number(v))
        elif g == "str":
            cur.append(exp.Literal.string(t.group("str").replace("''", "'")))
        elif g == "kw":
            k = t.group("kw").lower()
            cur.append(exp.Null() if k == "null" else exp.Boolean(this=k == "true") if k in ("true", "false")
                       else exp.Column(this=exp.to_identifier("DEFAULT")))
        else:
            cur.append(exp.Parameter(this=exp.Literal.number(t.group("param"))))
    if cur is not None or not rows or between:
        return None
    values = exp.Values(expressions=rows)
    if tail is not None:
        return _with_tail(sql[:m.end()], tail, values)
    return exp.Insert(this=target, expression=values)


def _with_tail(head: str, tail: str, values: exp.Values) -> exp.Insert | None:
    """``head`` (INSERT INTO … VALUES) + one dummy row + ``tail`` parsed by sqlglot, the real rows grafted in."""
    from engine.sql.statements import parse_one

    node = parse_one(head + "(NULL) " + tail)
    if not isinstance(node, exp.Insert) or not isinstance(node.expression, exp.Values):
        return None
    node.set("expression", values)
    return node


def _value(v: str) -> exp.Expression:
    """One scanned literal as the node sqlglot would build."""
    c = v[0]
    if c == "'":
        return exp.Literal(this=v[1:-1].replace("''", "'"), is_string=True)
    if c == "$":
        return exp.Parameter(this=exp.Literal(this=v[1:], is_string=False))
    if c in "+-":
        lit = exp.Literal(this="0" + v[1:] if v[1] == "." else v[1:], is_string=False)
        return exp.Neg(this=lit) if c == "-" else lit
    if c.isdigit():
        return exp.Literal(this=v, is_string=False)
    if c == ".":
        return exp.Literal(this="0" + v, is_string=False)
    k = v.lower()
    if k == "null":
        return exp.Null()
    if k in ("true", "false"):
        return exp.Boolean(this=k == "true")
    return exp.Var(this="DEFAULT")


def _fast_rows(sql: str, pos: int) -> tuple[list[exp.Expression], str | None] | None:
    """The rows from ``pos`` on with one regex match per row, and the ON CONFLICT/RETURNING tail (or None);
    None when anything is unusual (the token scanner then decides)."""
    rows: list[exp.Expression] = []
    row = _ROW.match
    vals = _VALS.findall
    n = len(sql)
    while True:
        m = row(sql, pos)
        if m is None:
            return None
        rows.append(exp.Tuple(expressions=[_value(v) for v in vals(m.group(1))]))
        pos = m.end()
        if not m.group(2):
            break
    rest = sql[pos:n]
    if not rest.strip() or rest.strip() == ";":
        return rows, None
    if _TAIL.match(rest):
        return rows, rest
    return None


_IMMUTABLE = (int, str, float, bool, Decimal, dt.date, dt.time, dt.timedelta, uuid.UUID)
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def literal_converter() -> Callable[[exp.Expression, Any], Callable[..., Any] | None]:
    """A converter for one INSERT's VALUES rows: ``conv(node, column)`` is the constant row function of a plain
    literal (string, unsigned number, NULL) assigned to the column, or None for anything else (the caller compiles
    it). Same values and errors as compiling the literal and applying the assignment cast; conversions of equal
    literals into the same column are done once per statement (bulk rows repeat categories, dates, prices)."""
    from engine import types as T
    from engine.sql.dml import assign, check_assignable

    memo: dict[tuple[str, bool, str], Any] = {}

    def null(r: Any, st: Any) -> None:
        return None

    def conv(node: exp.Expression, col: Any) -> Callable[..., Any] | None:
        t = type(node)
        if t is exp.Null:
            return null
        if t is not exp.Literal:
            return None
        text = node.this
        if not isinstance(text, str):
            return None
        key = (col.name, node.is_string, text)
        v = memo.get(key, memo)
        if v is memo:
            if node.is_string:
                v, src = text, T.UNKNOWN
            elif _PLAIN_NUMBER.fullmatch(text) is None:
                return None
            elif "." in text:
                v, src = Decimal(text), T.NUMERIC
            else:
                n = int(text)
                v, src = (n, T.INT4) if n < 2**31 else (n, T.INT8) if n < 2**63 else (Decimal(n), T.NUMERIC)
            if src != col.type_oid or col.typmod >= 0:
                if src != T.UNKNOWN:
                    check_assignable(src, col)
                v = assign(v, src, col)
            if isinstance(v, _IMMUTABLE) or v is None:
                memo[key] = v
        return lambda r, st: v

    return conv
