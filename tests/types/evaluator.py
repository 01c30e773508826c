"""A tiny SQL expression evaluator over engine.textio/casts/operators/functions, for differential tests.

It parses one scalar expression (literals, typed literals, casts, operators with PostgreSQL precedence, function
calls, ARRAY[…], EXTRACT/SUBSTRING/POSITION/TRIM/COALESCE/NULLIF/GREATEST/LEAST) and evaluates it in Python, so
the types layer is checked against PostgreSQL without the SQL engine. Returns (type OID, value or list of rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine import types as T
from engine.functions import FunctionDef, lookup
from engine.sql import builtin_functions  # noqa: F401 - registrations
from engine.sql import functions_misc as M
from engine.sql.casts import can_cast, cast, common_type
from engine.sql.operators import binary_op, unary_op
from engine.textio import parse_text

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|\d+(?:e[+-]?\d+)?)"
    r"|(?P<estr>[eE]'(?:[^'\\]|\\.|'')*')|(?P<str>'(?:[^']|'')*')|(?P<qid>\"[^\"]*\")"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>::|->>|->|#>>|#>|#-|\|\|/|\|/|\|\||<->|<=>|<#>|<=|>=|<>|!=|!~~\*|!~~|~~\*|~~|!~\*|!~|~\*|@>|<@|\?\||\?&|&&|\^@|<<|>>|[-+*/%^<>=~!@#&|?(),\[\]]))",
    re.IGNORECASE,
)
_STATE = {"tz": "UTC"}  # the session TimeZone of the expression being evaluated
_TYPE_WORDS = {"double", "precision", "character", "varying", "with", "without", "time", "zone", "timestamp"}


@dataclass
class Node:
    kind: str
    val: Any = None
    args: list | None = None


class Ctx:
    """A stand-in ExecContext: a session in UTC and fixed statement times."""

    class _Session:
        def get_setting(self, name: str) -> str:
            return {"timezone": _STATE["tz"]}.get(name.lower(), "")

    session = _Session()


def _unescape(body: str) -> str:
    return re.sub(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", lambda m: _esc(m.group(1)), body)


def _esc(s: str) -> str:
    table = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
    if s[0] == "x":
        return chr(int(s[1:], 16))
    if s[0].isdigit():
        return chr(int(s, 8))
    return table.get(s, s)


class Parser:
    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot tokenize at {text[pos:]!r}")
            pos = m.end()
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str]:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else ("eof", "")

    def take(self) -> tuple[str, str]:
        t = self.peek()
        self.i += 1
        return t

    def word(self, *ws: str) -> bool:
        k, v = self.peek()
        return k == "word" and v.lower() in ws

    def expect(self, v: str) -> None:
        k, got = self.take()
        if got.lower() != v.lower():
            raise ValueError(f"expected {v}, got {got}")

    # precedence climbing, lowest first
    def parse(self) -> Node:
        n = self.comparison()
        if self.peek()[0] != "eof":
            raise ValueError(f"junk: {self.peek()}")
        return n

    def comparison(self) -> Node:
        left = self.like()
        while self.peek()[1] in ("=", "<>", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            if self.word("any", "all", "some"):
                q = self.take()[1].lower()
                self.expect("(")
                arr = self.comparison()
                self.expect(")")
                left = Node("anyall", (op, "all" if q == "all" else "any"), [left, arr])
                continue
            left = Node("op", op, [left, self.like()])
        if self.word("is"):
            self.take()
            neg = self.word("not")
            if neg:
                self.take()
            self.expect("null")
            left = Node("isnull", neg, [left])
        return left

    def like(self) -> Node:
        left = self.other()
        while True:
            neg = False
            if self.word("not") and self.peek(1)[1].lower() in ("like", "ilike", "similar", "in", "between"):
                self.take()
                neg = True
            if self.word("like", "ilike"):
                op = self.take()[1].lower()
                right = self.other()
                esc = None
                if self.word("escape"):
                    self.take()
                    esc = self.other()
                left = Node("like", (op, neg), [left, right, esc])
            elif self.word("similar"):
                self.take()
                self.expect("to")
                right = self.other()
                left = Node("like", ("similar", neg), [left, right, None])
            else:
                return left

    def other(self) -> Node:
        left = self.additive()
        while True:
            k, v = self.peek()
            if k == "op" and v not in ("+", "-", "*", "/", "%", "^", "=", "<>", "!=", "<", ">", "<=", ">=", "(",
                                        ")", ",", "[", "]", "::"):
                self.take()
                if self.word("any", "all"):
                    q = self.take()[1].lower()
                    self.expect("(")
                    arr = self.comparison()
                    self.expect(")")
                    left = Node("anyall", (v, q), [left, arr])
                    continue
                left = Node("op", v, [left, self.additive()])
            else:
                return left

    def additive(self) -> Node:
        left = self.mult()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = Node("op", op, [left, self.mult()])
        return left

    def mult(self) -> Node:
        left = self.power()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = Node("op", op, [left, self.power()])
        return left

    def power(self) -> Node:
        left = self.unary()
        while self.peek()[1] == "^":
            self.take()
            left = Node("op", "^", [left, self.unary()])
        return left

    def unary(self) -> Node:
        if self.peek()[1] in ("-", "+", "@", "|/", "||/", "~"):
            op = self.take()[1]
            operand = self.unary()
            if op == "-" and operand.kind == "num":
                return Node("num", "-" + operand.val)
            return Node("uop", op, [operand])
        return self.postfix()

    def postfix(self) -> Node:
        n = self.primary()
        while self.peek()[1] in ("::", "["):
            if self.take()[1] == "::":
                n = Node("cast", self.typename(), [n])
            else:
                idx = self.comparison()
                self.expect("]")
                n = Node("subscript", None, [n, idx])
        return n

    def typename(self) -> tuple[int, int]:
        words = []
        quoted = self.peek()[0] == "qid"
        while self.peek()[0] in ("word", "qid") and (not words or self.peek()[1].lower() in _TYPE_WORDS):
            words.append(self.take()[1].strip('"'))
        name = " ".join(words).lower()
        mods: list[int] = []
        if self.peek()[1] == "(":
            self.take()
            while self.peek()[1] != ")":
                k, v = self.take()
                if k == "num":
                    mods.append(int(v))
            self.take()
            if self.word("with", "without"):
                name += " " + " ".join(self.take()[1].lower() for _ in range(3))
        arr = 0
        while self.peek()[1] == "[" and self.peek(1)[1] == "]":
            self.take()
            self.take()
            arr += 1
        base = name.replace('"', "")
        if base == "char" and not words[0].startswith('"'):
            base = "bpchar"
        t = T.by_name(base) if base != "char" else T.by_oid(T.CHAR)
        if words and words[0] == "char" and name == "char":
            t = T.by_oid(T.CHAR if quoted else T.BPCHAR)
        if t is None:
            raise ValueError(f"unknown type {name}")
        oid = t.oid
        typmod = -1
        if mods:
            if oid == T.NUMERIC:
                typmod = ((mods[0] << 16) | (mods[1] if len(mods) > 1 else 0)) + 4
            elif oid in (T.VARCHAR, T.BPCHAR):
                typmod = mods[0] + 4
            else:
                typmod = mods[0]
        elif oid == T.BPCHAR and name in ("char", "character") and not arr:
            typmod = 1 + 4
        for _ in range(arr):
            oid = T.array_of(oid)
        return oid, typmod

    def args(self) -> list[Node]:
        self.expect("(")
        out: list[Node] = []
        if self.peek()[1] == ")":
            self.take()
            return out
        while True:
            out.append(self.comparison())
            if self.take()[1] == ")":
                return out

    def primary(self) -> Node:
        k, v = self.peek()
        if k == "num":
            self.take()
            return Node("num", v)
        if k == "str":
            self.take()
            return Node("str", v[1:-1].replace("''", "'"))
        if k == "estr":
            self.take()
            return Node("str", _unescape(v[2:-1].replace("''", "'")))
        if v == "(":
            self.take()
            n = self.comparison()
            self.expect(")")
            return n
        if k != "word":
            raise ValueError(f"unexpected {v!r}")
        lw = v.lower()
        if lw in ("null", "true", "false"):
            self.take()
            return Node("const", lw)
        if lw == "array":
            self.take()
            self.expect("[")
            items: list[Node] = []
            if self.peek()[1] != "]":
                while True:
                    if self.word("array"):
                        self.take()
                    if self.peek()[1] == "[":
                        # nested bare [..] after ARRAY
                        self.take()
                        sub: list[Node] = []
                        while True:
                            sub.append(self.comparison())
                            if self.take()[1] == "]":
                                break
                        items.append(Node("array", None, sub))
                    else:
                        items.append(self.comparison())
                    if self.take()[1] == "]":
                        break
            else:
                self.take()
            return Node("array", None, items)
        if lw == "cast" and self.peek(1)[1] == "(":
            self.take()
            self.expect("(")
            e = self.comparison()
            self.expect("as")
            t = self.typename()
            self.expect(")")
            return Node("cast", t, [e])
        if lw == "extract" and self.peek(1)[1] == "(":
            self.take()
            self.expect("(")
            field = self.take()[1]
            self.expect("from")
            e = self.comparison()
            self.expect(")")
            return Node("call", "extract", [Node("str", field.strip("'")), e])
        if lw in ("substring", "position", "trim", "overlay") and self.peek(1)[1] == "(":
            return self.special_call(lw)
        if self.peek(1)[1] == "(":
            self.take()
            return Node("call", lw, self.args())
        # typed literal: date '…', interval '…', double precision '…'
        save = self.i
        try:
            t = self.typename()
            if self.peek()[0] in ("str", "estr"):
                s = self.primary()
                return Node("cast", t, [s])
        except ValueError:
            pass
        self.i = save
        raise ValueError(f"unexpected word {v!r}")

    def special_call(self, name: str) -> Node:
        self.take()
        self.expect("(")
        if name == "trim":
            mode = "both"
            if self.word("both", "leading", "trailing"):
                mode = self.take()[1].lower()
            chars = None
            if not self.word("from"):
                chars = self.comparison()
            if self.word("from"):
                self.take()
                src = self.comparison()
            else:
                src, chars = chars, None  # type: ignore[assignment]
            self.expect(")")
            fn = {"both": "btrim", "leading": "ltrim", "trailing": "rtrim"}[mode]
            return Node("call", fn, [src] + ([chars] if chars else []))
        first = self.comparison()
        if name == "position":
            self.expect("in")
            second = self.comparison()
            self.expect(")")
            return Node("call", "position", [second, first])
        args = [first]
        if self.peek()[1] == ",":
            while self.take()[1] == ",":
                args.append(self.comparison())
            return Node("call", name, args)
        if name == "overlay":
            self.expect("placing")
            args.append(self.comparison())
        for kw in ("from", "for"):
            if self.word(kw):
                self.take()
                args.append(self.comparison())
            elif kw == "from" and name == "substring" and self.word("for"):
                args.append(Node("num", "1"))
        self.expect(")")
        if name == "overlay":
            return Node("call", "overlay", args)
        return Node("call", "substring", args)


# --------------------------------------------------------------------------- evaluation
def evaluate(text: str, timezone: str = "UTC") -> tuple[int, Any]:
    _STATE["tz"] = timezone
    node = Parser(text).parse()
    oid, val = _eval(node)
    return (T.TEXT if oid == T.UNKNOWN else oid), val


def _num_literal(s: str) -> tuple[int, Any]:
    from decimal import Decimal

    if re.fullmatch(r"-?\d+", s):
        v = int(s)
        if -(2**31) <= v < 2**31:
            return T.INT4, v
        if -(2**63) <= v < 2**63:
            return T.INT8, v
    return T.NUMERIC, Decimal(s)


def _eval(n: Node) -> tuple[int, Any]:
    k = n.kind
    if k == "num":
        return _num_literal(n.val)
    if k == "str":
        return T.UNKNOWN, n.val
    if k == "const":
        return (T.UNKNOWN, None) if n.val == "null" else (T.BOOL, n.val == "true")
    if k == "cast":
        oid, typmod = n.val
        so, sv = _eval(n.args[0])  # type: ignore[index]
        if so == T.UNKNOWN and sv is not None:  # literal: input function, then an explicit length coercion
            return oid, cast(parse_text(oid, sv, timezone=_STATE['tz']), oid, oid, typmod, timezone=_STATE['tz'])
        return oid, cast(sv, so, oid, typmod, timezone=_STATE['tz'])
    if k == "op":
        lo, lv = _eval(n.args[0])  # type: ignore[index]
        ro, rv = _eval(n.args[1])  # type: ignore[index]
        impl, res = binary_op(n.val, lo, ro)
        return res, impl(lv, rv, _STATE["tz"])
    if k == "uop":
        o, v = _eval(n.args[0])  # type: ignore[index]
        impl, res = unary_op(n.val, o)
        if o == T.UNKNOWN and v is not None:
            v = parse_text(T.FLOAT8, v, timezone=_STATE['tz'])
        return res, impl(v)
    if k == "isnull":
        _, v = _eval(n.args[0])  # type: ignore[index]
        return T.BOOL, (v is not None) if n.val else (v is None)
    if k == "like":
        (op, neg) = n.val
        lo, lv = _eval(n.args[0])  # type: ignore[index]
        ro, rv = _eval(n.args[1])  # type: ignore[index]
        esc = _eval(n.args[2])[1] if n.args[2] is not None else "\\"  # type: ignore[index]
        if lv is None or rv is None:
            return T.BOOL, None
        from engine.sql.operators import like, similar_regex

        if op == "similar":
            r = similar_regex(rv, esc or None).fullmatch(lv) is not None
        else:
            r = like(lv, rv, esc or None, ci=op == "ilike")
        return T.BOOL, (not r) if neg else r
    if k == "anyall":
        from engine.sql.operators import compare_any

        op, q = n.val
        lo, lv = _eval(n.args[0])  # type: ignore[index]
        ao, av = _eval(n.args[1])  # type: ignore[index]
        if ao == T.UNKNOWN and av is not None:
            ao = T.array_of(lo if lo != T.UNKNOWN else T.TEXT)
            av = parse_text(ao, av, timezone=_STATE['tz'])
        impl, _ = binary_op(op, lo, T.element_of(ao))
        return T.BOOL, compare_any(impl, lv, av, all_=q == "all", timezone=_STATE["tz"])
    if k == "subscript":
        ao, av = _eval(n.args[0])  # type: ignore[index]
        _, iv = _eval(n.args[1])  # type: ignore[index]
        if av is None or iv is None:
            return T.element_of(ao), None
        return T.element_of(ao), av[iv - 1] if 1 <= iv <= len(av) else None
    if k == "array":
        vals = [_eval(a) for a in n.args]  # type: ignore[union-attr]
        if not vals:
            raise ValueError("empty ARRAY[] needs a cast")
        if all(T.element_of(o) for o, _ in vals):
            arr = common_type([o for o, _ in vals], "ARRAY")
            return arr, [cast(v, o, arr, timezone=_STATE['tz']) for o, v in vals]
        et = common_type([o for o, _ in vals], "ARRAY")
        return T.array_of(et), [cast(v, o, et, timezone=_STATE['tz']) if o != T.UNKNOWN or v is None else parse_text(et, v, timezone=_STATE['tz'])
                                for o, v in vals]
    if k == "call":
        return _call(n.val, [_eval(a) for a in n.args])  # type: ignore[union-attr]
    raise ValueError(k)


def _syntax_fn(name: str, args: list[tuple[int, Any]]) -> tuple[int, Any] | None:
    if name not in ("coalesce", "nullif", "greatest", "least"):
        return None
    ct = common_type([o for o, _ in args], name.upper())
    vals = [parse_text(ct, v, timezone=_STATE['tz']) if o == T.UNKNOWN and v is not None else cast(v, o, ct, timezone=_STATE['tz']) for o, v in args]
    if name == "coalesce":
        return ct, M.coalesce_values(vals)
    if name == "nullif":
        return ct, M.nullif_value(vals[0], vals[1], ct)
    return ct, (M.greatest_value if name == "greatest" else M.least_value)(vals, ct)


def _wanted(fd: FunctionDef, n: int) -> list[int]:
    """Parameter types for n arguments; a variadic function repeats its last (element) type."""
    want = list(fd.arg_oids or ())
    if fd.variadic and want and n >= len(want) - 1:
        want = want[:-1] + [want[-1]] * (n - len(want) + 1)
    return want


def _score(fd: FunctionDef, oids: list[int]) -> int | None:
    if fd.arg_oids is None:
        return 0
    want = _wanted(fd, len(oids))
    if len(want) != len(oids):
        return None
    score = 0
    for w, got in zip(want, oids, strict=True):
        if w == got:
            score += 2
        elif w == T.ANYARRAY and T.element_of(got):
            score += 1
        elif got == T.UNKNOWN or can_cast(got, w, "i"):
            score += 0
        else:
            return None
    return score


def _call(name: str, args: list[tuple[int, Any]]) -> tuple[int, Any]:
    r = _syntax_fn(name, args)
    if r is not None:
        return r
    if name == "row":
        return T.RECORD, tuple(v for _, v in args)
    if name == "pg_typeof":
        return T.REGTYPE, M.pg_typeof_oid(args[0][0] if args[0][0] != T.UNKNOWN else T.UNKNOWN)
    cands = [(s, fd) for fd in lookup(name) if (s := _score(fd, [o for o, _ in args])) is not None]
    if not cands:
        from engine.errors import UndefinedFunction

        raise UndefinedFunction(f"function {name} does not exist")
    cands.sort(key=lambda c: (c[0], sum(1 for a in (c[1].arg_oids or ()) if T.by_oid(a) and T.by_oid(a).preferred)),
               reverse=True)
    fd = cands[0][1]
    vals = []
    oids = []
    for i, (o, v) in enumerate(args):
        want = _wanted(fd, len(args))[i] if fd.arg_oids else (T.TEXT if o == T.UNKNOWN else o)
        if want == T.ANYARRAY:
            want = o
        if o == T.UNKNOWN and v is not None:
            v = parse_text(want, v, timezone=_STATE['tz'])
        elif o != want and v is not None:
            v = cast(v, o, want, timezone=_STATE['tz'])
        vals.append(v)
        oids.append(want)
    if fd.strict and any(v is None for v in vals):
        res = fd.return_oid(oids) if callable(fd.return_oid) else fd.return_oid
        return res, None
    call_args = ([Ctx()] if fd.needs_ctx else []) + vals
    out = fd.impl(*call_args)
    res = fd.return_oid(oids) if callable(fd.return_oid) else fd.return_oid
    if fd.set_returning:
        return res, ("rows", [row[0] for row in out])
    return res, out
