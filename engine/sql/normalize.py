"""Literal normalization for simple-query statements: ``select * from t where id = 42`` becomes the template
``select * from t where id = $1`` plus the value 42, so that a statement sent with its literals inline (psql,
psycopg2, ``pgbench -M simple``) reuses the plan of an earlier statement of the same shape.

Statements starting with SELECT, INSERT, UPDATE or DELETE are considered (INSERTs longer than
``MAX_INSERT_CHARS``, i.e. bulk multi-row VALUES, are not: scanning them costs more than planning them). The scanner is deliberately conservative: it gives up (returns None) on anything it does not fully understand
(dollar quotes, ``$n`` parameters, block comments, unterminated quotes), and only lifts literals in positions where
a parameter is planned exactly like the literal:

* integers (digits only) anywhere except positional references (``ORDER BY 1``, ``GROUP BY 1``, ``DISTINCT ON``),
  ``LIMIT``/``OFFSET``/``FETCH`` counts, array subscripts, type modifiers (``varchar(10)``), and before ``::``;
  they become parameters typed int4 or int8 by value, as the planner types the literal;
* plain ``'...'`` strings right after a comparison operator, inside an ``IN (...)`` list or as a whole element of
  an ``INSERT … VALUES`` row, not before ``::``,
  ``COLLATE`` or a subscript; they become parameters of unknown type that take the context's type, and are bound
  only when that type is a text or integer type (else the caller plans the statement in full).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine import types as T

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<lc>--[^\n]*)
    |(?P<str>'(?:[^']|'')*')
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<word>[A-Za-z_\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*)
    |(?P<op>[+\-*/<>=~!@#%^&|`?:]+)
    |(?P<punct>[(),;\[\].])""",
    re.X,
)
_COMPARE = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
_NO_NUMBER_AFTER = frozenset({"LIMIT", "OFFSET", "FETCH", "FIRST", "NEXT", "INTERVAL", "[", ":", ".", "ROWS",
                              "ROW", "PRECISION", "SCALE", "ABSOLUTE", "RELATIVE", "FORWARD", "BACKWARD"})
_NO_LITERAL_BEFORE = frozenset({"::", "[", ".", "COLLATE", "("})
_BY_END = frozenset({"LIMIT", "OFFSET", "HAVING", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "FETCH", "FOR",
                     "RETURNING", "ROWS", "RANGE", "GROUPS", "WHERE", "FROM", "SELECT", "ON", "USING", ";"})
_TYPE_WORDS = frozenset({"VARCHAR", "CHAR", "CHARACTER", "VARYING", "NUMERIC", "DECIMAL", "TIMESTAMP",
                         "TIMESTAMPTZ", "TIME", "TIMETZ", "INTERVAL", "BIT", "VARBIT", "VECTOR", "FLOAT", "BPCHAR",
                         "NCHAR", "DEC", "HALFVEC", "SPARSEVEC", "PRECISION", "ZONE"})
_NO_NUMBER_IN = _TYPE_WORDS | {"ON", "[", "SECOND"}  # inside varchar(…), DISTINCT ON (…), a[…], interval second(…)
_STATEMENTS = frozenset({"SELECT", "UPDATE", "DELETE", "INSERT"})
INT_TYPES = (T.INT2, T.INT4, T.INT8)
TEXT_TYPES = (T.TEXT, T.VARCHAR)
MAX_INSERT_CHARS = 2048  # longer INSERTs (multi-row VALUES) are planned as they are (engine.sql.fastinsert)


@dataclass(frozen=True)
class Normalized:
    """A statement's template text, its literal values (Python ints or strings) and the parameter OIDs to plan the
    template with (int4/int8 for integers, 0 for strings: the type comes from the context)."""

    template: str
    values: tuple[int | str, ...]
    param_oids: tuple[int, ...]


def normalize(sql: str) -> Normalized | None:
    """The template of ``sql`` with its liftable literals as ``$1..$n``; None when nothing is lifted or unsure."""
    if "$" in sql or "/*" in sql or "?" in sql:
        return None
    if len(sql) > MAX_INSERT_CHARS and sql.lstrip()[:6].upper() == "INSERT":
        return None  # a bulk INSERT: its template is rarely reused and scanning it costs ~90 us a row
    toks: list[tuple[str, str, int, int]] = []  # kind, upper-cased text (ops/punct as is), start, end
    pos, n = 0, len(sql)
    match = _TOKEN.match
    while pos < n:
        mt = match(sql, pos)
        if mt is None:
            return None
        kind = mt.lastgroup or ""
        end = mt.end()
        if kind not in ("ws", "lc"):
            text = mt.group()
            toks.append((kind, text.upper() if kind == "word" else text, pos, end))
        pos = end
    if not toks or toks[0][0] != "word" or toks[0][1] not in _STATEMENTS:
        return None
    out: list[str] = []
    values: list[int | str] = []
    oids: list[int] = []
    last = 0
    parens: list[str] = []  # the significant token before each open paren
    by_depth: int | None = None  # paren depth of an ORDER BY / GROUP BY / PARTITION BY list
    values_depth: int | None = None  # paren depth of an INSERT's VALUES keyword while its rows are read
    prev_kind = prev_text = ""
    prev_end = -1
    for i, (kind, text, start, end) in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        nxt_text = nxt[1] if nxt is not None else ""
        lift: int | str | None = None
        if kind == "punct":
            if text == "(":
                parens.append(prev_text)
            elif text == ")":
                if by_depth is not None and len(parens) <= by_depth:
                    by_depth = None
                if parens:
                    parens.pop()
        elif kind == "word":
            if text == "VALUES" and toks[0][1] == "INSERT" and values_depth is None:
                values_depth = len(parens)
            elif values_depth is not None and len(parens) == values_depth:
                values_depth = None  # ON CONFLICT, RETURNING, …: the rows are over
            if text == "BY":
                by_depth = len(parens)
            elif by_depth is not None and text in _BY_END and len(parens) == by_depth:
                by_depth = None
        elif kind == "num":
            if (text.isdigit() and by_depth is None and prev_text not in _NO_NUMBER_AFTER
                    and nxt_text not in _NO_LITERAL_BEFORE and nxt_text not in ("]", ":")
                    and not (prev_kind in ("word", "num") and start == prev_end)
                    and not (nxt is not None and nxt[2] == end and nxt[0] in ("word", "num", "str"))
                    and not (parens and parens[-1] in _NO_NUMBER_IN)):
                lift = int(text)
        elif kind == "str":
            in_list = prev_text in ("(", ",") and bool(parens) and parens[-1] == "IN"
            # a whole element of an INSERT … VALUES row: takes the target column's type
            in_row = (values_depth is not None and len(parens) == values_depth + 1 and prev_text in ("(", ",")
                      and nxt_text in (",", ")"))
            if ((prev_text in _COMPARE or in_list or in_row) and not (prev_kind in ("word", "num") and start == prev_end)
                    and nxt_text not in _NO_LITERAL_BEFORE):
                lift = text[1:-1].replace("''", "'")
        if lift is not None:
            out.append(sql[last:start])
            values.append(lift)
            if isinstance(lift, str):
                oids.append(0)
            else:
                oids.append(T.INT4 if -(2**31) <= lift < 2**31 else T.INT8 if lift < 2**63 else -1)
                if oids[-1] == -1:
                    return None
            out.append(f"${len(values)}")
            last = end
        prev_kind, prev_text, prev_end = kind, text, end
    if not values:
        return None
    out.append(sql[last:])
    return Normalized("".join(out), tuple(values), tuple(oids))
