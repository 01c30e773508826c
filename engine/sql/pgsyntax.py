"""Token-level rewrites for PostgreSQL syntax sqlglot's parser does not read, applied before parsing.

* interval field restrictions and precisions — ``interval second(3)``, ``interval '1' day to second(2)``,
  ``interval(2) '1.5 s'``, ``CAST(x AS interval hour to minute)`` — become a cast to the quoted type name
  ``"rem.interval <typmod>"`` (typmod encoded like PostgreSQL's), which :func:`engine.sql.sqltypes.datatype_oid`
  reads back;
* a keyword used as a column label after ``AS`` (``SELECT 1 AS select``) becomes a plain name;
* ``date_part(…)`` is called as ``pg_catalog.date_part(…)`` (sqlglot turns it into EXTRACT, whose result
  type and column name differ: float8 ``date_part`` against numeric ``extract``).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

INTERVAL_PREFIX = "rem.interval "

# PostgreSQL's interval range bits (datetime.h) and the allowed field combinations
_BIT = {"month": 1, "year": 2, "day": 3, "hour": 10, "minute": 11, "second": 12}
_ORDER = ["year", "month", "day", "hour", "minute", "second"]
_ALLOWED = {("year", None), ("month", None), ("day", None), ("hour", None), ("minute", None), ("second", None),
            ("year", "month"), ("day", "hour"), ("day", "minute"), ("day", "second"), ("hour", "minute"),
            ("hour", "second"), ("minute", "second")}
FULL_RANGE = 0x7FFF
FULL_PRECISION = 0xFFFF
_LABEL_FOLLOW = {TokenType.COMMA, TokenType.FROM, TokenType.SEMICOLON}
_NOT_KEYWORDS = {TokenType.VAR, TokenType.IDENTIFIER, TokenType.STRING, TokenType.NUMBER, TokenType.L_PAREN,
                 TokenType.R_PAREN, TokenType.COMMA, TokenType.STAR, TokenType.PARAMETER, TokenType.PLACEHOLDER}


def interval_typmod(first: str | None, last: str | None, precision: int | None) -> int:
    """PostgreSQL's typmod of ``interval [first [TO last]] [(precision)]``."""
    if first is None:
        rng = FULL_RANGE
    else:
        lo, hi = _ORDER.index(first), _ORDER.index(last or first)
        rng = 0
        for f in _ORDER[lo:hi + 1]:
            rng |= 1 << _BIT[f]
    return (rng << 16) | (FULL_PRECISION if precision is None else precision)


def _word(t: Token) -> str:
    return t.text.lower() if t.token_type == TokenType.VAR else ""


def _field_spec(toks: list[Token], i: int) -> tuple[int, int] | None:
    """(index after, typmod) of ``field [TO field] [(n)]`` starting at ``toks[i]``, or None."""
    n = len(toks)
    if i >= n or _word(toks[i]) not in _BIT:
        return None
    first, last = _word(toks[i]), None
    i += 1
    if i + 1 < n and _word(toks[i]) == "to" and _word(toks[i + 1]) in _BIT:
        last = _word(toks[i + 1])
        i += 2
    if (first, last) not in _ALLOWED:
        return None
    prec = None
    if (last or first) == "second" and i + 2 < n and toks[i].token_type == TokenType.L_PAREN \
            and toks[i + 1].token_type == TokenType.NUMBER and toks[i + 2].token_type == TokenType.R_PAREN:
        prec = int(toks[i + 1].text)
        i += 3
    return i, interval_typmod(first, last, prec)


def _type_token(like: Token, typmod: int) -> Token:
    return Token(TokenType.IDENTIFIER, f"{INTERVAL_PREFIX}{typmod}", like.line, like.col, like.start, like.end)


def rewrite_tokens(toks: list[Token]) -> list[Token]:
    """The token list with the rewrites above (the input list is not modified)."""
    if not any(t.token_type in (TokenType.INTERVAL, TokenType.ALIAS)
               or (t.token_type == TokenType.VAR and t.text.lower() == "date_part") for t in toks):
        return toks
    out: list[Token] = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        if t.token_type == TokenType.INTERVAL:
            nxt = toks[i + 1] if i + 1 < n else None
            # interval(p) 'literal'
            if nxt is not None and nxt.token_type == TokenType.L_PAREN and i + 4 < n \
                    and toks[i + 2].token_type == TokenType.NUMBER and toks[i + 3].token_type == TokenType.R_PAREN \
                    and toks[i + 4].token_type == TokenType.STRING:
                out += [toks[i + 4], Token(TokenType.DCOLON, "::", t.line, t.col, t.start, t.end),
                        _type_token(t, interval_typmod(None, None, int(toks[i + 2].text)))]
                i += 5
                continue
            # interval 'literal' field [to field] [(p)]
            if nxt is not None and nxt.token_type == TokenType.STRING:
                # interval 'literal' [field …]: a cast of the whole text (sqlglot keeps only '1 day' of
                # '1 day 02:03:04')
                spec = _field_spec(toks, i + 2)
                typmod, end = (spec[1], spec[0]) if spec is not None else (-1, i + 2)
                out += [nxt, Token(TokenType.DCOLON, "::", t.line, t.col, t.start, t.end), _type_token(t, typmod)]
                i = end
                continue
            # the type interval field [to field] [(p)]
            spec = _field_spec(toks, i + 1)
            if spec is not None:
                out.append(_type_token(t, spec[1]))
                i = spec[0]
                continue
        elif t.token_type == TokenType.VAR and t.text.lower() == "date_part" and i + 1 < n \
                and toks[i + 1].token_type == TokenType.L_PAREN and (i == 0 or toks[i - 1].token_type != TokenType.DOT):
            out += [Token(TokenType.VAR, "pg_catalog", t.line, t.col, t.start, t.end),
                    Token(TokenType.DOT, ".", t.line, t.col, t.start, t.end), t]
            i += 1
            continue
        elif t.token_type == TokenType.ALIAS and i + 1 < n and toks[i + 1].token_type not in _NOT_KEYWORDS \
                and (i + 2 >= n or toks[i + 2].token_type in _LABEL_FOLLOW):
            lab = toks[i + 1]
            out += [t, Token(TokenType.VAR, lab.text, lab.line, lab.col, lab.start, lab.end)]
            i += 2
            continue
        out.append(t)
        i += 1
    return out


_CHAIN = (exp.Binary, exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)


def fix_arrows(node: exp.Expression) -> exp.Expression:
    """``f(col -> 'k')``: sqlglot reads an arrow inside a call's arguments as a lambda; PostgreSQL has no
    lambdas, so it is the JSON operator. ``col -> <expr>`` becomes ``(col -> first operand) <rest of expr>``."""
    lambdas = [n for n in node.find_all(exp.Lambda)]
    for lam in lambdas:
        params = lam.expressions
        if len(params) != 1 or not isinstance(params[0], exp.Identifier):
            continue
        body = lam.this
        col = exp.Column(this=params[0].copy())
        cur, parent = body, None
        while isinstance(cur, _CHAIN) and isinstance(cur.this, exp.Expression):
            parent, cur = cur, cur.this
        arrow = exp.JSONExtract(this=col, expression=cur.copy())
        if parent is None:
            lam.replace(arrow)
        else:
            parent.set("this", arrow)
            lam.replace(body)
    return node
