"""Expression compiler: a sqlglot expression → a Python closure ``fn(row, state)`` with its result type.

NULL is None and operators follow PostgreSQL's three-valued logic; arithmetic goes through engine.sql.ops
(overflow, integer division, numeric scales); casts and named scalar functions go through the types engineer's
engine.sql.casts and the engine.functions registry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from engine import functions as F
from engine import types as T
from engine.errors import (
    CardinalityViolation,
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    IndeterminateDatatype,
    InvalidTextRepresentation,
    SyntaxError_,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedParameter,
)
from engine.sql import dialect as D
from engine.sql import ops
from engine.sql.scope import ExecState, Scope
from engine.sql.sqltypes import INTS, STRINGS, common_type, datatype_oid, family, numeric_result, type_name

Fn = Callable[[tuple[Any, ...], ExecState], Any]


@dataclass
class CE:
    """A compiled expression."""

    fn: Fn
    oid: int
    typmod: int = -1
    name: str = "?column?"
    strength: int = 0  # how strongly the expression names its column (PostgreSQL's FigureColname)
    const: bool = False
    value: Any = None
    fields: tuple[tuple[str, int], ...] | None = None  # a record's (field name, type OID) when known


def const(value: Any, oid: int, name: str = "?column?", strength: int = 0) -> CE:
    return CE(lambda r, st: value, oid, name=name, strength=strength, const=True, value=value)


def do_cast(v: Any, from_oid: int, to_oid: int, typmod: int = -1) -> Any:
    """``v::to_oid(typmod)`` through engine.sql.casts (the one cast table)."""
    from engine.sql.casts import cast

    return cast(v, from_oid, to_oid, typmod)


_CMP = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_CMP_FN: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}
_ARITH = {exp.Add: ("+", ops.add), exp.Sub: ("-", ops.sub), exp.Mul: ("*", ops.mul),
          exp.Div: ("/", ops.div), exp.Mod: ("%", ops.mod)}

# sqlglot function nodes → PostgreSQL function name and argument keys (in call order)
FUNC_MAP: dict[type, tuple[str, tuple[str, ...]]] = {
    exp.Length: ("length", ("this",)), exp.Upper: ("upper", ("this",)), exp.Lower: ("lower", ("this",)),
    exp.Substring: ("substring", ("this", "start", "length")), exp.Replace: ("replace", ("this", "expression", "replacement")),
    exp.StrPosition: ("position", ("this", "substr")), exp.Round: ("round", ("this", "decimals")),
    exp.Abs: ("abs", ("this",)), exp.Floor: ("floor", ("this",)), exp.Ceil: ("ceil", ("this",)),
    exp.Sqrt: ("sqrt", ("this",)), exp.Pow: ("power", ("this", "expression")), exp.Left: ("left", ("this", "expression")),
    exp.Right: ("right", ("this", "expression")), exp.TimestampTrunc: ("date_trunc", ("unit", "this")),
    exp.TimeToStr: ("to_char", ("this", "format")), exp.SplitPart: ("split_part", ("this", "delimiter", "part_index")),
    exp.MD5: ("md5", ("this",)), exp.Initcap: ("initcap", ("this",)), exp.Reverse: ("reverse", ("this",)),
    exp.Repeat: ("repeat", ("this", "times")), exp.Ln: ("ln", ("this",)), exp.Exp: ("exp", ("this",)),
    exp.Sign: ("sign", ("this",)), exp.Rand: ("random", ()), exp.Uuid: ("gen_random_uuid", ()),
    exp.ArraySize: ("array_length", ("this", "expression")), exp.UnixToTime: ("to_timestamp", ("this",)),
    exp.CurrentVersion: ("version", ()), exp.Chr: ("chr", ("expressions",)), exp.Ascii: ("ascii", ("this",)),
    exp.Encode: ("encode", ("this", "charset")), exp.StartsWith: ("starts_with", ("this", "expression")),
    exp.ArrayToString: ("array_to_string", ("this", "expression", "null")),
    exp.StringToArray: ("string_to_array", ("this", "expression", "null")),
    exp.ArrayPosition: ("array_position", ("this", "expression")), exp.ArrayRemove: ("array_remove", ("this", "expression")),
    exp.ArrayAppend: ("array_append", ("this", "expression")), exp.RegexpReplace: ("regexp_replace", ("this", "expression", "replacement", "modifiers")),
    exp.Translate: ("translate", ("this", "from_", "to")), exp.Format: ("format", ("this", "expressions")),
    exp.Trunc: ("trunc", ("this", "decimals")), exp.Cbrt: ("cbrt", ("this",)), exp.Degrees: ("degrees", ("this",)),
    exp.Pi: ("pi", ()), exp.BitLength: ("bit_length", ("this",)), exp.ToNumber: ("to_number", ("this", "format")),
    exp.ConcatWs: ("concat_ws", ("expressions",)), exp.Concat: ("concat", ("expressions",)),
    exp.Overlay: ("overlay", ("this", "expression", "from_", "for_")),
    exp.ExplodingGenerateSeries: ("generate_series", ("start", "end", "step")),
    exp.GenerateSeries: ("generate_series", ("start", "end", "step")),
    exp.Explode: ("unnest", ("this", "expressions")), exp.Typeof: ("pg_typeof", ("this",)),
    exp.Date: ("date", ("this",)), exp.Log: ("log", ("this", "expression")),
}
FUNC_MAP.update({
    exp.CurrentSchemas: ("current_schemas", ("this",)), exp.CurrentDatabase: ("current_database", ()),
    exp.RowNumber: ("row_number", ()), exp.Rank: ("rank", ()), exp.DenseRank: ("dense_rank", ()),
    exp.Lag: ("lag", ("this", "offset", "default")), exp.Lead: ("lead", ("this", "offset", "default")),
    exp.FirstValue: ("first_value", ("this",)), exp.LastValue: ("last_value", ("this",)),
    exp.NthValue: ("nth_value", ("this", "offset")), exp.Ntile: ("ntile", ("this",)),
    exp.PercentRank: ("percent_rank", ()), exp.CumeDist: ("cume_dist", ()),
})
FUNC_MAP.update({
    exp.Hex: ("to_hex", ("this",)), exp.TimeFromParts: ("make_time", ("hour", "min", "sec")),
    exp.JustifyDays: ("justify_days", ("this",)), exp.JustifyHours: ("justify_hours", ("this",)),
    exp.JustifyInterval: ("justify_interval", ("this",)), exp.Factorial: ("factorial", ("this",)),
    exp.Decode: ("decode", ("this", "charset")),
})
if hasattr(exp, "ArrayConcat"):
    FUNC_MAP[exp.ArrayConcat] = ("array_cat", ("this", "expressions"))

AGG_NODES: dict[type, str] = {
    exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max",
    exp.ArrayAgg: "array_agg", exp.GroupConcat: "string_agg", exp.LogicalAnd: "bool_and",
    exp.LogicalOr: "bool_or", exp.JSONArrayAgg: "json_agg", exp.Stddev: "stddev", exp.Variance: "variance",
    exp.StddevPop: "stddev_pop", exp.StddevSamp: "stddev_samp", exp.VariancePop: "var_pop",
    exp.BitwiseAndAgg: "bit_and", exp.BitwiseOrAgg: "bit_or", exp.BitwiseXorAgg: "bit_xor",
    exp.JSONObjectAgg: "json_object_agg", exp.JSONBObjectAgg: "jsonb_object_agg",
    exp.Corr: "corr", exp.CovarPop: "covar_pop", exp.CovarSamp: "covar_samp", exp.RegrSlope: "regr_slope",
    exp.RegrIntercept: "regr_intercept", exp.RegrR2: "regr_r2", exp.RegrCount: "regr_count",
    exp.RegrAvgx: "regr_avgx", exp.RegrAvgy: "regr_avgy", exp.RegrSxx: "regr_sxx", exp.RegrSyy: "regr_syy",
    exp.RegrSxy: "regr_sxy",
}
AGG_NAMES = {"count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every",
             "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "stddev", "stddev_samp",
             "stddev_pop", "variance", "var_samp", "var_pop", "bit_and", "bit_or", "bit_xor"}


def func_name(node: exp.Expression) -> str | None:
    """The PostgreSQL name of a function-call node (None when it is not a plain call)."""
    if isinstance(node, exp.WithinGroup):
        inner = node.this
        return _ORDERED_SET.get(type(inner)) or func_name(inner)
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if type(node) in AGG_NODES:
        return AGG_NODES[type(node)]
    if type(node) in FUNC_MAP:
        name = FUNC_MAP[type(node)][0]
        if isinstance(node, exp.Trim):
            return "btrim"
        return name
    if isinstance(node, exp.Pad):
        return "lpad" if node.args.get("is_left") else "rpad"
    if isinstance(node, exp.Trim):
        pos = (node.args.get("position") or "").upper() if isinstance(node.args.get("position"), str) else ""
        return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(pos, "btrim")
    return None


_ORDERED_SET: dict[type, str] = {exp.PercentileCont: "percentile_cont", exp.PercentileDisc: "percentile_disc",
                                  exp.Mode: "mode"}


def conjuncts(e: exp.Expression) -> list[exp.Expression]:
    """The AND-ed parts of ``e`` (parentheses looked through)."""
    if isinstance(e, exp.And):
        return conjuncts(e.this) + conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return conjuncts(e.this)
    return [e]


def walk_level(e: exp.Expression) -> Any:
    """The nodes of ``e`` without descending into nested queries (subqueries, SELECTs, set operations)."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        for child in n.iter_expressions():
            if not isinstance(child, (exp.Subquery, exp.Select, exp.SetOperation)):
                stack.append(child)


def is_aggregate(node: exp.Expression) -> bool:
    if isinstance(node, exp.Filter):
        return is_aggregate(node.this)
    if isinstance(node, exp.WithinGroup):
        return True
    if type(node) in AGG_NODES:
        return True
    return isinstance(node, exp.Anonymous) and str(node.this).lower() in AGG_NAMES


def func_args(node: exp.Expression) -> list[exp.Expression]:
    """Arguments of a function node in PostgreSQL call order."""
    if isinstance(node, exp.Anonymous):
        from engine.sql.named_args import bind

        return bind(str(node.this).lower(), list(node.expressions))
    if isinstance(node, exp.Pad):
        keys: tuple[str, ...] = ("this", "expression", "fill_pattern")
    elif isinstance(node, exp.Trim):
        keys = ("this", "expression")
    elif type(node) in FUNC_MAP:
        keys = FUNC_MAP[type(node)][1]
    else:
        keys = tuple(node.arg_types)
    out: list[exp.Expression] = []
    for k in keys:
        v = node.args.get(k)
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, list):
            out.extend(v)
        elif isinstance(v, exp.Expression):
            out.append(v)
    return out


def _truth(v: Any) -> bool | None:
    return None if v is None else bool(v)


class Compiler:
    """Compiles expressions of one scope; ``planner`` plans subqueries; ``params`` collects $n types."""

    def __init__(self, scope: Scope, planner: Any, params: dict[int, int]) -> None:
        self.scope = scope
        self.planner = planner
        self.params = params
        self.agg_hook: Callable[[exp.Expression], CE | None] | None = None

    def sub(self, scope: Scope) -> Compiler:
        c = Compiler(scope, self.planner, self.params)
        return c

    # ---- entry points
    def compile(self, node: exp.Expression, hint: int | None = None) -> CE:
        if self.scope.replacements is not None:
            hit = self._replacement(node)
            if hit is not None:
                return hit
        if node.args.get("negate") and not isinstance(node, exp.Is) and isinstance(
                node, (exp.Like, exp.ILike, exp.In, exp.Between, exp.SimilarTo, exp.RegexpLike, exp.RegexpILike)):
            inner = node.copy()
            inner.set("negate", None)
            a = self.compile(inner).fn
            return CE(lambda r, st: None if (x := a(r, st)) is None else not x, T.BOOL)
        m = getattr(self, "c_" + type(node).__name__, None)
        if m is not None:
            return m(node, hint)
        for cls in type(node).__mro__[1:]:
            m = getattr(self, "c_" + cls.__name__, None)
            if m is not None and cls not in (exp.Expression, exp.Func, exp.Binary, exp.Condition):
                return m(node, hint)
        if isinstance(node, exp.Func):
            return self.c_call(node, hint)
        raise FeatureNotSupported(f"expression not supported: {node.sql(dialect=D.DIALECT)[:80]}")

    def predicate(self, node: exp.Expression) -> Fn:
        """A boolean expression as a closure (NULL counts as false where a filter applies it)."""
        ce = self.compile(node, T.BOOL)
        if ce.oid not in (T.BOOL, T.UNKNOWN):
            raise DatatypeMismatch(f"argument of WHERE must be type boolean, not type {type_name(ce.oid)}")
        if ce.oid == T.UNKNOWN and ce.const and ce.value is not None:
            v = do_cast(ce.value, T.UNKNOWN, T.BOOL)
            return lambda r, st: v
        return ce.fn

    # ---- aggregate-output scopes
    def _replacement(self, node: exp.Expression) -> CE | None:
        reps = self.scope.replacements
        assert reps is not None
        key = self.expr_key(node)
        if key is not None and key in reps:
            i, oid, typmod = reps[key]
            name, strength = self._figure_name(node)
            fields = self.scope.cols[i].fields if i < len(self.scope.cols) else None
            return CE(lambda r, st: r[i], oid, typmod, name=name, strength=strength, fields=fields)
        if isinstance(node, exp.Column) and self.scope.grouped:
            inp = self.scope.input_scope
            assert inp is not None
            try:
                depth, idx, ci = inp.resolve(node.table or None, node.name)
            except UndefinedColumn:
                return None
            if depth == 0:
                raise GroupingError(f'column "{ci.qual + "." if ci.qual else ""}{ci.name}" must appear in the GROUP BY '
                                    "clause or be used in an aggregate function")
        return None

    def expr_key(self, node: exp.Expression) -> Any:
        """A key identifying an expression for GROUP BY matching (resolved columns, else SQL text)."""
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            inp = self.scope.input_scope or self.scope
            try:
                depth, idx, _ = inp.resolve(node.table or None, node.name)
            except Exception:
                return None
            return ("col", depth, idx)
        if isinstance(node, exp.Paren):
            return self.expr_key(node.this)
        return ("expr", node.sql(dialect=D.DIALECT))

    # ---- names
    def _figure_name(self, node: exp.Expression) -> tuple[str, int]:
        if isinstance(node, exp.Column):
            return node.name, 2
        if isinstance(node, exp.Paren):
            return self._figure_name(node.this)
        if isinstance(node, exp.Cast):
            n, s = self._figure_name(node.this)
            if s <= 1:
                return _cast_label(node.args["to"]), 1
            return n, s
        if isinstance(node, exp.Case):
            default = node.args.get("default")
            if default is not None:  # a strongly named ELSE result names the CASE (FigureColnameInternal)
                n, s = self._figure_name(default)
                if s > 1:
                    return n, s
            return "case", 1
        if isinstance(node, exp.Window):
            return self._figure_name(node.this)
        if isinstance(node, exp.Filter):
            return self._figure_name(node.this)
        if isinstance(node, exp.Exists):
            return "exists", 2
        if isinstance(node, exp.Array):
            return "array", 2
        if isinstance(node, exp.Subquery):
            sel = node.this
            if isinstance(sel, exp.Select) and sel.expressions:
                e = sel.expressions[0]
                return (e.alias, 2) if isinstance(e, exp.Alias) else self._figure_name(e)
            return "?column?", 0
        if isinstance(node, exp.CurrentTimestamp):
            return "now", 2
        if isinstance(node, (exp.CurrentDate, exp.CurrentUser, exp.SessionUser, exp.CurrentTime, exp.Localtimestamp)):
            return {exp.CurrentDate: "current_date", exp.CurrentUser: "current_user", exp.SessionUser: "session_user",
                    exp.CurrentTime: "current_time", exp.Localtimestamp: "localtimestamp"}[type(node)], 2
        if isinstance(node, (exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least)):
            return type(node).__name__.lower(), 2
        if isinstance(node, exp.Extract):
            return "extract", 2
        if isinstance(node, exp.Grouping):
            return "grouping", 2
        if type(node) in AGG_NODES:  # some are Binary nodes (corr(y, x))
            return AGG_NODES[type(node)], 2
        if isinstance(node, exp.WithinGroup):
            return (func_name(node) or "?column?"), 2
        if isinstance(node, exp.Interval):
            return "interval", 1
        if isinstance(node, exp.Bracket):
            return self._figure_name(node.this)
        if isinstance(node, exp.Dot) and isinstance(node.expression, (exp.Identifier, exp.Column)):
            return node.expression.name, 2
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):  # pg_catalog.f(...)
            return self._figure_name(node.expression)
        if isinstance(node, (exp.CurrentCatalog, exp.Localtime)):
            return ("current_catalog" if isinstance(node, exp.CurrentCatalog) else "localtime"), 2
        if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)):
            return "?column?", 0
        if isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Unary)):
            n = func_name(node)
            if n:
                return n, 2
        return "?column?", 0

    def named(self, ce: CE, node: exp.Expression) -> CE:
        ce.name, ce.strength = self._figure_name(node)
        return ce

    # ---- leaves
    def c_Literal(self, node: exp.Literal, hint: int | None) -> CE:
        if node.is_string:
            return const(node.this, T.UNKNOWN)
        s = node.this
        if any(c in s for c in ".eE") and not s.lower().startswith("0x"):
            try:
                if "e" in s.lower():
                    return const(Decimal(s), T.NUMERIC)
                return const(Decimal(s), T.NUMERIC)
            except Exception:
                raise InvalidTextRepresentation(f'invalid input syntax for type numeric: "{s}"') from None
        n = int(s.replace("_", ""), 0) if s[:2].lower() in ("0x", "0o", "0b") else int(s)
        if -(2**31) <= n < 2**31:
            return const(n, T.INT4)
        if -(2**63) <= n < 2**63:
            return const(n, T.INT8)
        return const(Decimal(n), T.NUMERIC)

    def c_ByteString(self, node: exp.Expression, hint: int | None) -> CE:
        """``E'…'``: sqlglot's tokenizer has already applied the backslash escapes."""
        return const(str(node.this), T.UNKNOWN)

    def c_RawString(self, node: exp.Expression, hint: int | None) -> CE:
        return const(str(node.this), T.UNKNOWN)

    def c_HexString(self, node: exp.Expression, hint: int | None) -> CE:
        return const(str(node.this), T.UNKNOWN)

    def c_National(self, node: exp.Expression, hint: int | None) -> CE:
        return const(str(node.this), T.UNKNOWN)

    def c_HeredocString(self, node: exp.Expression, hint: int | None) -> CE:
        return const(str(node.this), T.UNKNOWN)

    def c_Null(self, node: exp.Null, hint: int | None) -> CE:
        return const(None, T.UNKNOWN)

    def c_Boolean(self, node: exp.Boolean, hint: int | None) -> CE:
        return const(bool(node.this), T.BOOL)

    def c_Paren(self, node: exp.Paren, hint: int | None) -> CE:
        return self.compile(node.this, hint)

    def c_Alias(self, node: exp.Alias, hint: int | None) -> CE:
        ce = self.compile(node.this, hint)
        return CE(ce.fn, ce.oid, ce.typmod, node.alias, 3, ce.const, ce.value)

    def c_Parameter(self, node: exp.Expression, hint: int | None) -> CE:
        inner = node.this
        try:
            n = int(inner.this if isinstance(inner, exp.Literal) else inner.name)
        except (ValueError, AttributeError):
            raise SyntaxError_(f"syntax error at or near \"{node.sql()}\"") from None
        if n < 1 or n > 65535:
            raise UndefinedParameter(f"there is no parameter ${n}")
        oid = self.params.get(n, 0)
        if oid == 0:
            oid = hint if hint not in (None, T.UNKNOWN) else 0
            self.params[n] = oid
        idx = n - 1
        if oid == 0:
            # type decided later (text when nothing better): behaves like an unknown-type literal
            return CE(lambda r, st: st.params[idx], T.UNKNOWN)
        return CE(lambda r, st: st.params[idx], oid)

    def c_Placeholder(self, node: exp.Expression, hint: int | None) -> CE:
        raise SyntaxError_(f'syntax error at or near "{node.sql()}"')

    def c_Column(self, node: exp.Column, hint: int | None) -> CE:
        if isinstance(node.this, exp.Star):
            raise FeatureNotSupported("* is not allowed here")
        qual = node.table or None
        name = node.name
        try:
            depth, idx, ci = self.scope.resolve(qual, name)
        except UndefinedColumn:
            if qual is None and node.this.quoted is False and name.lower() in ("current_user", "session_user", "user",
                                                                                  "current_role"):
                ce = self.c_CurrentUser(node, hint)
                return CE(ce.fn, ce.oid, name=name.lower(), strength=2)
            if qual is None:
                whole = self._whole_row(name)
                if whole is not None:
                    return whole
            raise
        if depth == 0:
            fn: Fn = lambda r, st: r[idx]
            fn._col = idx  # type: ignore[attr-defined]  (lets steps read the column directly)
        else:
            d = depth
            fn = lambda r, st: st.outer[-d][idx]
        return CE(fn, ci.oid, ci.typmod, name=ci.name, strength=2, fields=ci.fields)

    def _whole_row(self, alias: str) -> CE | None:
        """A table alias used as a value (``row_to_json(t)``): the record of its visible columns."""
        s: Scope | None = self.scope
        depth = 0
        crossed: list[Scope] = []
        while s is not None:
            idxs = [i for i, c in enumerate(s.cols) if c.qual == alias and c.hidden is not True]
            if idxs:
                for c in crossed:
                    c.query.correlated = True
                names = tuple(s.cols[i].name for i in idxs)
                fields = tuple((s.cols[i].name, s.cols[i].oid) for i in idxs)
                if depth == 0:
                    fn: Fn = lambda r, st, ix=idxs, nm=names: T.Row([r[i] for i in ix], nm)
                else:
                    fn = lambda r, st, ix=idxs, nm=names, d=depth: T.Row([st.outer[-d][i] for i in ix], nm)
                return CE(fn, T.RECORD, name=alias, strength=2, fields=fields)
            crossed.append(s)
            s = s.parent
            depth += 1
        return None

    def c_Identifier(self, node: exp.Identifier, hint: int | None) -> CE:
        return self.c_Column(exp.Column(this=node), hint)

    def c_Var(self, node: exp.Var, hint: int | None) -> CE:
        return self.c_Column(exp.Column(this=exp.to_identifier(node.name)), hint)

    def c_Dot(self, node: exp.Dot, hint: int | None) -> CE:
        head, tail = node.this, node.expression
        schema = head.name.lower() if isinstance(head, (exp.Identifier, exp.Column, exp.Var)) else ""
        if schema in ("pg_catalog", "public", "information_schema") and isinstance(tail, exp.Func):
            return self.compile(tail, hint)
        if isinstance(head, exp.Paren) and isinstance(tail, (exp.Identifier, exp.Column)):
            return self._record_field(self.compile(head.this), tail.name)
        raise FeatureNotSupported(f"expression not supported: {node.sql(dialect=D.DIALECT)}")

    def _record_field(self, rec: CE, field: str) -> CE:
        """``(record).field`` on a record whose fields are known (set-returning functions with OUT columns)."""
        if not rec.fields:
            if rec.oid != T.RECORD:
                from engine.errors import error
                raise error("42809", f"column notation .{field} applied to type {type_name(rec.oid)}, "
                                     "which is not a composite type")
            raise FeatureNotSupported(f"field selection .{field} from a record of unknown fields is not supported")
        names = [n for n, _ in rec.fields]
        if field not in names:
            raise UndefinedColumn(f'column "{field}" not found in data type record')
        k = names.index(field)
        f = rec.fn
        return CE(lambda r, st: None if (v := f(r, st)) is None else v[k], rec.fields[k][1], name=field, strength=2)

    _OPERATOR_NODES: dict[str, type] = {
        "=": exp.EQ, "<>": exp.NEQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
        "~": exp.RegexpLike, "~*": exp.RegexpILike, "~~": exp.Like, "~~*": exp.ILike, "||": exp.DPipe,
        "+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "%": exp.Mod, "@>": exp.ArrayContainsAll,
    }

    def c_Operator(self, node: exp.Expression, hint: int | None) -> CE:
        """``a OPERATOR(pg_catalog.op) b`` as psql writes it."""
        op = str(node.args.get("operator") or "").split(".")[-1].strip()
        rhs = node.expression
        if isinstance(rhs, exp.Collate):
            rhs = rhs.this
        if op in ("!~", "!~*", "!~~", "!~~*"):
            cls = self._OPERATOR_NODES[op[1:]]
            return self.c_Not(exp.Not(this=cls(this=node.this, expression=rhs)), hint)
        cls = self._OPERATOR_NODES.get(op)
        if cls is None:
            raise FeatureNotSupported(f"operator {op} is not supported")
        return self.compile(cls(this=node.this, expression=rhs), hint)

    # ---- logic
    def c_And(self, node: exp.And, hint: int | None) -> CE:
        a = self.predicate(node.this)
        b = self.predicate(node.expression)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = a(r, st)
            if x is False:
                return False
            y = b(r, st)
            if y is False:
                return False
            if x is None or y is None:
                return None
            return True

        return CE(f, T.BOOL)

    def c_Or(self, node: exp.Or, hint: int | None) -> CE:
        a = self.predicate(node.this)
        b = self.predicate(node.expression)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = a(r, st)
            if x is True:
                return True
            y = b(r, st)
            if y is True:
                return True
            if x is None or y is None:
                return None
            return False

        return CE(f, T.BOOL)

    def c_Not(self, node: exp.Not, hint: int | None) -> CE:
        a = self.predicate(node.this)
        return CE(lambda r, st: None if (x := a(r, st)) is None else not x, T.BOOL)

    def c_Is(self, node: exp.Is, hint: int | None) -> CE:
        a = self.compile(node.this)
        target = node.expression
        fa = a.fn
        if isinstance(target, exp.Null) and a.oid == T.RECORD:
            # row IS NULL: every field is NULL; row IS NOT NULL: every field is non-NULL (not its negation)
            if node.args.get("negate"):
                return CE(lambda r, st: (v := fa(r, st)) is not None and all(x is not None for x in v), T.BOOL)
            return CE(lambda r, st: (v := fa(r, st)) is None or all(x is None for x in v), T.BOOL)
        if isinstance(target, exp.Null):
            f: Fn = lambda r, st: fa(r, st) is None
        elif isinstance(target, exp.Boolean):
            if a.oid not in (T.BOOL, T.UNKNOWN):
                raise DatatypeMismatch(f"argument of IS {'TRUE' if target.this else 'FALSE'} must be type boolean, "
                                       f"not type {type_name(a.oid)}")
            if a.oid == T.UNKNOWN:
                fa = self.cast_ce(a, T.BOOL).fn
            want = bool(target.this)
            f = lambda r, st: fa(r, st) is want
        elif isinstance(target, exp.Var) and target.name.upper() == "UNKNOWN":
            f = lambda r, st: fa(r, st) is None
        else:
            raise FeatureNotSupported(f"IS {target.sql()} is not supported")
        if node.args.get("negate"):
            g = f
            f = lambda r, st: not g(r, st)
        return CE(f, T.BOOL)

    # ---- comparisons
    def free_param(self, node: exp.Expression) -> bool:
        """True for a $n whose type is not known yet (it takes its type from the context)."""
        while isinstance(node, exp.Paren):
            node = node.this
        if not isinstance(node, exp.Parameter):
            return False
        try:
            n = int(node.this.this if isinstance(node.this, exp.Literal) else node.this.name)
        except (ValueError, AttributeError):
            return False
        return not self.params.get(n)

    def pair(self, an: exp.Expression, bn: exp.Expression) -> tuple[CE, CE]:
        """Compile two operands; a free $n takes the other operand's type."""
        if self.free_param(an) and not self.free_param(bn):
            b = self.compile(bn)
            a = self.compile(an, b.oid if b.oid != T.UNKNOWN else None)
            return a, b
        a = self.compile(an)
        b = self.compile(bn, a.oid if a.oid != T.UNKNOWN else None)
        return a, b

    def coerce_pair(self, an: exp.Expression, bn: exp.Expression, what: str) -> tuple[CE, CE]:
        """Compile two operands and bring them to a comparable type (unknown literals take the other's type)."""
        a, b = self.pair(an, bn)
        return self._unify(a, b, what)

    def _unify(self, a: CE, b: CE, what: str) -> tuple[CE, CE]:
        if a.oid == T.UNKNOWN and b.oid == T.UNKNOWN:
            return self.cast_ce(a, T.TEXT), self.cast_ce(b, T.TEXT)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, b.oid)
        elif b.oid == T.UNKNOWN:
            b = self.cast_ce(b, a.oid)
        if a.oid == b.oid:
            if a.oid == T.BPCHAR:
                return self._rstrip(a), self._rstrip(b)
            return a, b
        fa, fb = family(a.oid), family(b.oid)
        if fa != fb:
            if {fa, fb} == {"str", "json"} or T.RECORD in (a.oid, b.oid):
                pass
            else:
                raise UndefinedFunction(
                    f"operator does not exist: {type_name(a.oid)} {what} {type_name(b.oid)}",
                    hint="No operator matches the given name and argument types. You might need to add explicit type casts.")
        if fa == "time" and a.oid != b.oid:
            t = common_type([a.oid, b.oid])
            return self.cast_ce(a, t), self.cast_ce(b, t)
        if fa == "num" and a.oid != b.oid and (a.oid in (T.FLOAT4, T.FLOAT8)) != (b.oid in (T.FLOAT4, T.FLOAT8)):
            return self.cast_ce(a, T.FLOAT8), self.cast_ce(b, T.FLOAT8)
        if fa == "str" and T.BPCHAR in (a.oid, b.oid):
            # bpchar semantics: trailing blanks are insignificant
            a, b = self._rstrip(a), self._rstrip(b)
        return a, b

    def _rstrip(self, ce: CE) -> CE:
        f = ce.fn
        return CE(lambda r, st: None if (v := f(r, st)) is None else v.rstrip(" "), T.TEXT)

    def cast_ce(self, ce: CE, oid: int, typmod: int = -1) -> CE:
        if ce.oid == oid and typmod < 0:
            return ce
        src = ce.oid
        if ce.const and _tz_sensitive(src, oid):
            # depends on the session TimeZone: evaluated once per execution, not at plan time
            cv, marker = ce.value, object()
            key = id(marker)

            def once(r: tuple[Any, ...], st: ExecState, _m: object = marker) -> Any:
                cache = st.cache
                if key in cache:
                    return cache[key]
                v = cache[key] = do_cast(cv, src, oid, typmod)
                return v

            return CE(once, oid, typmod, ce.name, ce.strength)
        if ce.const:
            v = do_cast(ce.value, src, oid, typmod)
            return CE(lambda r, st: v, oid, typmod, ce.name, ce.strength, True, v)
        f = ce.fn
        if src in STRINGS and oid in STRINGS and typmod < 0:
            return CE(f, oid, typmod, ce.name, ce.strength)
        return CE(lambda r, st: None if (v := f(r, st)) is None else do_cast(v, src, oid, typmod), oid, typmod,
                  ce.name, ce.strength)

    def _compare(self, node: exp.Expression, op: str) -> CE:
        rhs = node.expression
        if isinstance(rhs, exp.Anonymous) and str(rhs.this).lower() in ("any", "some", "all") \
                and len(rhs.expressions) == 1:
            q = exp.All(this=rhs.expressions[0]) if str(rhs.this).lower() == "all" else exp.Any(this=rhs.expressions[0])
            return self._quantified(node.this, q, op)
        if isinstance(rhs, (exp.Any, exp.All)):
            return self._quantified(node.this, rhs, op)
        la, ra = _row_items(node.this), _row_items(rhs)
        if la is not None and ra is not None:
            return self._row_compare(la, ra, op)
        a, b = self.coerce_pair(node.this, rhs, op)
        cmp = _CMP_FN[op]
        fa, fb = a.fn, b.fn
        if _NAN_TYPES & {a.oid, b.oid}:
            # NaN equals NaN and sorts above every number (PostgreSQL's float and numeric comparisons)
            plain = cmp
            cmp = lambda x, y: plain(_nan_key(x), _nan_key(y)) if x != x or y != y else plain(x, y)
        if a.oid in (T.JSON, T.JSONB) or b.oid in (T.JSON, T.JSONB):
            from engine.sql.ops import sort_key_value
            raw = cmp
            cmp = lambda x, y: raw(sort_key_value(x), sort_key_value(y))
        if b.const:
            bv = b.value
            if bv is None:
                return CE(lambda r, st: None, T.BOOL)
            return CE(lambda r, st: None if (x := fa(r, st)) is None else cmp(x, bv), T.BOOL)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            if x is None:
                return None
            y = fb(r, st)
            if y is None:
                return None
            return cmp(x, y)

        return CE(f, T.BOOL)

    def _row_compare(self, left: list[exp.Expression], right: list[exp.Expression], op: str) -> CE:
        """``(a, b) op (c, d)``: fields compared pairwise after type resolution, as PostgreSQL's row comparison."""
        if len(left) != len(right):
            raise SyntaxError_("unequal number of entries in row expressions")
        pairs = [self.coerce_pair(x, y, op) for x, y in zip(left, right, strict=True)]
        fns = [(x.fn, y.fn) for x, y in pairs]
        cmp = _CMP_FN[op]

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            unknown = False
            for fx, fy in fns:
                x, y = fx(r, st), fy(r, st)
                if x is None or y is None:
                    if op in ("=", "<>"):
                        unknown = True
                        continue
                    return None
                if x != y:
                    if op == "=":
                        return False
                    if op == "<>":
                        return True
                    return cmp(x, y)
            if unknown:
                return None
            return op in ("=", "<=", ">=")

        return CE(f, T.BOOL)

    def c_EQ(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, "=")

    def c_NEQ(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, "<>")

    def c_LT(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, "<")

    def c_LTE(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, "<=")

    def c_GT(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, ">")

    def c_GTE(self, node: exp.Expression, hint: int | None) -> CE:
        return self._compare(node, ">=")

    def c_NullSafeEQ(self, node: exp.Expression, hint: int | None) -> CE:
        a, b = self.coerce_pair(node.this, node.expression, "=")
        fa, fb = a.fn, b.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x, y = fa(r, st), fb(r, st)
            if x is None or y is None:
                return x is None and y is None
            return x == y

        return CE(f, T.BOOL)

    def c_NullSafeNEQ(self, node: exp.Expression, hint: int | None) -> CE:
        eq = self.c_NullSafeEQ(node, hint).fn
        return CE(lambda r, st: not eq(r, st), T.BOOL)

    def c_Between(self, node: exp.Between, hint: int | None) -> CE:
        lo = exp.GTE(this=node.this, expression=node.args["low"])
        hi = exp.LTE(this=node.this, expression=node.args["high"])
        both = exp.And(this=lo, expression=hi)
        if node.args.get("symmetric"):  # either order of the bounds
            lo2 = exp.GTE(this=node.this, expression=node.args["high"])
            hi2 = exp.LTE(this=node.this, expression=node.args["low"])
            return self.c_Or(exp.Or(this=both, expression=exp.And(this=lo2, expression=hi2)), hint)
        return self.c_And(both, hint)

    def _values_in(self, a: CE, items: list[exp.Expression]) -> CE:
        ces = [self.compile(e, a.oid if a.oid != T.UNKNOWN else None) for e in items]
        oids = [a.oid] + [c.oid for c in ces]
        t = common_type(oids, "IN")
        a2 = self.cast_ce(a, t) if a.oid != t and family(a.oid) != "num" else a
        ces = [self.cast_ce(c, t) if c.oid != t and family(c.oid) != "num" else c for c in ces]
        fa = a2.fn
        if all(c.const for c in ces):
            vals = [c.value for c in ces]
            has_null = any(v is None for v in vals)
            try:
                s: Any = frozenset(v for v in vals if v is not None)
            except TypeError:
                s = [v for v in vals if v is not None]

            def f(r: tuple[Any, ...], st: ExecState) -> Any:
                x = fa(r, st)
                if x is None:
                    return None
                if x in s:
                    return True
                return None if has_null else False

            return CE(f, T.BOOL)
        fns = [c.fn for c in ces]

        def g(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            if x is None:
                return None
            null = False
            for fn in fns:
                y = fn(r, st)
                if y is None:
                    null = True
                elif x == y:
                    return True
            return None if null else False

        return CE(g, T.BOOL)

    def c_In(self, node: exp.In, hint: int | None) -> CE:
        a = self.compile(node.this)
        q = node.args.get("query")
        if q is not None:
            sub = q.this if isinstance(q, exp.Subquery) else q
            return self._in_subquery(a, sub)
        if node.args.get("unnest") or node.args.get("field"):
            raise FeatureNotSupported("IN UNNEST is not supported")
        if a.oid == T.UNKNOWN:
            first = self.compile(node.expressions[0])
            if first.oid != T.UNKNOWN:
                a = self.cast_ce(a, first.oid)
        return self._values_in(a, node.expressions)

    def c_Tuple(self, node: exp.Tuple, hint: int | None) -> CE:
        ces = [self.compile(e) for e in node.expressions]
        fns = [c.fn for c in ces]
        ce = CE(lambda r, st: tuple(fn(r, st) for fn in fns), T.RECORD, name="row", strength=2)
        ce.parts = ces  # type: ignore[attr-defined]
        return ce

    def _in_subquery(self, a: CE, sub: exp.Expression) -> CE:
        plan, corr = self.planner.subplan(sub, self.scope)
        parts = getattr(a, "parts", None)
        if parts is not None:
            if len(parts) != len(plan.cols):
                raise SyntaxError_("subquery has too many columns" if len(plan.cols) > len(parts)
                                   else "subquery has too few columns")
            parts = [self.cast_ce(p, c.oid) if p.oid == T.UNKNOWN else p for p, c in zip(parts, plan.cols, strict=True)]
            pf = [p.fn for p in parts]
            key = id(plan)

            def frows(r: tuple[Any, ...], st: ExecState) -> Any:
                if not corr and key in st.cache:
                    return st.cache[key]
                st.outer.append(r)
                try:
                    rows = plan.run(st)
                finally:
                    st.outer.pop()
                if not corr:
                    st.cache[key] = rows
                return rows

            def g(r: tuple[Any, ...], st: ExecState) -> Any:
                x = tuple(f(r, st) for f in pf)
                result: Any = False
                for row in frows(r, st):
                    eq: Any = True
                    for u, v in zip(x, row, strict=True):
                        if u is None or v is None:
                            eq = None
                        elif u != v:
                            eq = False
                            break
                    if eq is True:
                        return True
                    if eq is None:
                        result = None
                return result
            return CE(g, T.BOOL)
        if len(plan.cols) != 1:
            raise SyntaxError_("subquery has too many columns")
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, plan.cols[0].oid)
        elif family(a.oid) != family(plan.cols[0].oid) and plan.cols[0].oid != T.UNKNOWN:
            raise UndefinedFunction(f"operator does not exist: {type_name(a.oid)} = {type_name(plan.cols[0].oid)}")
        fa = a.fn
        key = id(plan)

        def values(r: tuple[Any, ...], st: ExecState) -> tuple[set[Any], bool]:
            if not corr and key in st.cache:
                return st.cache[key]
            st.outer.append(r)
            try:
                rows = plan.run(st)
            finally:
                st.outer.pop()
            vals = [row[0] for row in rows]
            try:
                res: Any = (set(v for v in vals if v is not None), any(v is None for v in vals))
            except TypeError:
                res = ([v for v in vals if v is not None], any(v is None for v in vals))
            if not corr:
                st.cache[key] = res
            return res

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            s, has_null = values(r, st)
            if x is None:
                return None if (s or has_null) else False
            if x in s:
                return True
            return None if has_null else False

        return CE(f, T.BOOL)

    def _quantified(self, left: exp.Expression, q: exp.Expression, op: str) -> CE:
        is_all = isinstance(q, exp.All)
        inner = q.this
        a = self.compile(left)
        cmp = _CMP_FN[op]
        if isinstance(inner, (exp.Subquery, exp.Select)) or (isinstance(inner, exp.Paren) and isinstance(inner.this, exp.Select)):
            sub = inner.this if isinstance(inner, (exp.Subquery, exp.Paren)) else inner
            plan, corr = self.planner.subplan(sub, self.scope)
            key = id(plan)

            def elems(r: tuple[Any, ...], st: ExecState) -> list[Any]:
                if not corr and key in st.cache:
                    return st.cache[key]
                st.outer.append(r)
                try:
                    v = [row[0] for row in plan.run(st)]
                finally:
                    st.outer.pop()
                if not corr:
                    st.cache[key] = v
                return v
            if a.oid == T.UNKNOWN:
                a = self.cast_ce(a, plan.cols[0].oid)
        else:
            arr = self.compile(inner)
            if arr.oid == T.UNKNOWN:
                arr = self.cast_ce(arr, T.array_of(a.oid if a.oid != T.UNKNOWN else T.TEXT))
            et = T.element_of(arr.oid)
            if et and a.oid == T.UNKNOWN:
                a = self.cast_ce(a, et)
            fa_arr = arr.fn
            elems = lambda r, st: fa_arr(r, st)
        fa = a.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            vs = elems(r, st)
            if vs is None:
                return None
            if not vs:
                return is_all
            if x is None:
                return None
            null = False
            for v in vs:
                if v is None:
                    null = True
                    continue
                res = cmp(x, v)
                if is_all and not res:
                    return False
                if not is_all and res:
                    return True
            if null:
                return None
            return is_all

        return CE(f, T.BOOL)

    def c_Like(self, node: exp.Expression, hint: int | None) -> CE:
        return self._like(node, False)

    def c_ILike(self, node: exp.Expression, hint: int | None) -> CE:
        return self._like(node, True)

    def c_Escape(self, node: exp.Expression, hint: int | None) -> CE:
        inner = node.this
        esc = self.compile(node.expression)
        if not esc.const:
            raise FeatureNotSupported("non-constant LIKE escape")
        if isinstance(inner, exp.SimilarTo):
            ce = self.c_SimilarTo(inner, hint, esc.value or None)
            if inner.args.get("negate"):
                g = ce.fn
                return CE(lambda r, st: None if (x := g(r, st)) is None else not x, T.BOOL)
            return ce
        if esc.value is not None and len(esc.value) > 1:
            from engine.errors import error
            raise error("22025", "invalid escape string", hint="Escape string must be empty or one character.")
        ce = self._like(inner, isinstance(inner, exp.ILike), esc.value or None)
        if inner.args.get("negate"):
            f = ce.fn
            return CE(lambda r, st: None if (x := f(r, st)) is None else not x, T.BOOL)
        return ce

    def _like(self, node: exp.Expression, ci: bool, escape: str | None = "\\") -> CE:
        rhs = node.expression
        if isinstance(rhs, (exp.Any, exp.All)):
            raise FeatureNotSupported("LIKE ANY/ALL is not supported")
        a = self.compile(node.this)
        b = self.compile(rhs)
        for ce in (a, b):
            if ce.oid not in STRINGS:
                raise UndefinedFunction(f"operator does not exist: {type_name(a.oid)} ~~ {type_name(b.oid)}",
                                        hint="No operator matches the given name and argument types. You might need to add explicit type casts.")
        fa, fb = a.fn, b.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            y = fb(r, st)
            if x is None or y is None:
                return None
            return ops.like(x, y, ci, escape)

        return CE(f, T.BOOL)

    def c_SimilarTo(self, node: exp.Expression, hint: int | None, escape: str | None = "\\") -> CE:
        """``s SIMILAR TO pattern [ESCAPE e]``: SQL regular expressions, matched against the whole string."""
        from engine.sql.operators import similar_regex  # compiled and cached per pattern; 2201B on a bad one

        a, b = self.compile(node.this), self.compile(node.expression)
        a = self.cast_ce(a, T.TEXT) if a.oid == T.UNKNOWN else a
        b = self.cast_ce(b, T.TEXT) if b.oid == T.UNKNOWN else b
        fa, fb = a.fn, b.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x, y = fa(r, st), fb(r, st)
            if x is None or y is None:
                return None
            return similar_regex(y, escape).fullmatch(x) is not None

        return CE(f, T.BOOL)

    def _regex(self, node: exp.Expression, ci: bool) -> CE:
        import re

        a = self.compile(node.this)
        b = self.compile(node.expression)
        fa, fb = a.fn, b.fn
        flags = re.I if ci else 0

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x, y = fa(r, st), fb(r, st)
            if x is None or y is None:
                return None
            try:
                return re.search(y, x, flags) is not None
            except re.error as e:
                from engine.errors import error
                raise error("2201B", f"invalid regular expression: {e}") from None

        return CE(f, T.BOOL)

    def c_RegexpLike(self, node: exp.Expression, hint: int | None) -> CE:
        return self._regex(node, False)

    def c_RegexpILike(self, node: exp.Expression, hint: int | None) -> CE:
        return self._regex(node, True)

    # ---- arithmetic
    def _arith(self, node: exp.Expression, hint: int | None) -> CE:
        sym, opf = _ARITH[type(node)]
        a, b = self.pair(node.this, node.expression)
        if a.oid == T.UNKNOWN and b.oid == T.UNKNOWN:
            raise UndefinedFunction(f"operator is not unique: unknown {sym} unknown")
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, b.oid if family(b.oid) == "num" else self._unknown_partner(b.oid, sym))
        if b.oid == T.UNKNOWN:
            b = self.cast_ce(b, a.oid if family(a.oid) == "num" else self._unknown_partner(a.oid, sym))
        fa_, fb_ = family(a.oid), family(b.oid)
        if fa_ == "num" and fb_ == "num":
            rt = numeric_result(a.oid, b.oid)
            if node.__class__ is exp.Div and node.args.get("safe"):
                pass
            fa, fb = a.fn, b.fn
            if a.const and b.const:
                if a.value is None or b.value is None:
                    return const(None, rt)
                v = opf(a.value, b.value, rt)
                return const(v, rt)

            def f(r: tuple[Any, ...], st: ExecState) -> Any:
                x = fa(r, st)
                if x is None:
                    return None
                y = fb(r, st)
                if y is None:
                    return None
                return opf(x, y, rt)

            return CE(f, rt)
        return self._datetime_arith(a, b, sym)

    def _unknown_partner(self, other: int, sym: str) -> int:
        if other in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ) and sym in "+-":
            return T.INTERVAL if sym == "+" or other != T.DATE else T.INTERVAL
        if other == T.INTERVAL:
            return T.INTERVAL
        if other in (T.JSON, T.JSONB):
            return T.TEXT
        return other

    def _datetime_arith(self, a: CE, b: CE, sym: str) -> CE:
        impl = None
        try:
            from engine.sql.operators import binary_op

            fn2, rt2 = binary_op(sym, a.oid, b.oid)
            impl = ((lambda x, y, _f=fn2: _f(x, y)), rt2)
        except ImportError:
            impl = None
        if impl is None:
            impl = self._builtin_datetime(a.oid, sym, b.oid)
        if impl is None:
            raise UndefinedFunction(
                f"operator does not exist: {type_name(a.oid)} {sym} {type_name(b.oid)}",
                hint="No operator matches the given name and argument types. You might need to add explicit type casts.")
        fn, rt = impl
        fa, fb = a.fn, b.fn
        return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None else fn(x, y), rt)

    def _builtin_datetime(self, ao: int, sym: str, bo: int) -> tuple[Callable[[Any, Any], Any], int] | None:
        def td(iv: T.Interval) -> dt.timedelta:
            return dt.timedelta(days=iv.days, microseconds=iv.microseconds)

        def add_months(d: Any, months: int) -> Any:
            if not months:
                return d
            y, m = divmod(d.month - 1 + months, 12)
            import calendar
            year = d.year + y
            day = min(d.day, calendar.monthrange(year, m + 1)[1])
            return d.replace(year=year, month=m + 1, day=day)

        def plus(d: Any, iv: T.Interval) -> Any:
            return add_months(d, iv.months) + td(iv)

        if ao == T.DATE and bo in INTS and sym in "+-":
            return ((lambda d, n: d + dt.timedelta(days=n)) if sym == "+" else (lambda d, n: d - dt.timedelta(days=n))), T.DATE
        if ao == T.DATE and bo == T.DATE and sym == "-":
            return (lambda x, y: (x - y).days), T.INT4
        if ao in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) and bo == T.INTERVAL and sym in "+-":
            rt = T.TIMESTAMP if ao == T.DATE else ao

            def f(d: Any, iv: T.Interval) -> Any:
                if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
                    d = dt.datetime(d.year, d.month, d.day)
                if sym == "+":
                    return plus(d, iv)
                return plus(d, T.Interval(-iv.months, -iv.days, -iv.microseconds))
            return f, rt
        if bo in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) and ao == T.INTERVAL and sym == "+":
            g, rt = self._builtin_datetime(bo, "+", ao)  # type: ignore[misc]
            return (lambda iv, d: g(d, iv)), rt
        if ao == bo and ao in (T.TIMESTAMP, T.TIMESTAMPTZ) and sym == "-":
            def diff(x: dt.datetime, y: dt.datetime) -> T.Interval:
                delta = x - y
                us = delta.days * 86400_000_000 + delta.seconds * 1_000_000 + delta.microseconds
                days, rem = divmod(abs(us), 86400_000_000)
                sign = -1 if us < 0 else 1
                return T.Interval(0, sign * days, sign * rem)
            return diff, T.INTERVAL
        if ao == bo == T.INTERVAL and sym in "+-":
            s = 1 if sym == "+" else -1
            return (lambda x, y: T.Interval(x.months + s * y.months, x.days + s * y.days,
                                            x.microseconds + s * y.microseconds)), T.INTERVAL
        return None

    c_Add = c_Sub = c_Mul = c_Div = c_Mod = _arith

    def _generic_op(self, node: exp.Expression, sym: str) -> CE:
        """An operator resolved by engine.sql.operators (vector distances and others the compiler leaves to it)."""
        from engine.sql.operators import binary_op

        a, b = self.pair(node.this, node.expression)
        if a.oid == T.UNKNOWN and b.oid != T.UNKNOWN:
            a = self.cast_ce(a, b.oid)
        if b.oid == T.UNKNOWN and a.oid != T.UNKNOWN:
            b = self.cast_ce(b, a.oid)
        impl, rt = binary_op(sym, a.oid, b.oid)
        fa, fb = a.fn, b.fn
        return CE(lambda r, st: impl(fa(r, st), fb(r, st)), rt)

    def c_CosineDistance(self, node: exp.Expression, hint: int | None) -> CE:
        return self._generic_op(node, "<=>")

    def c_NegInnerProduct(self, node: exp.Expression, hint: int | None) -> CE:
        return self._generic_op(node, "<#>")

    def c_Distance(self, node: exp.Expression, hint: int | None) -> CE:
        return self._generic_op(node, "<->")

    def c_IntDiv(self, node: exp.Expression, hint: int | None) -> CE:
        return self._arith(exp.Div(this=node.this, expression=node.expression), hint)

    def c_Neg(self, node: exp.Neg, hint: int | None) -> CE:
        a = self.compile(node.this, hint)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, T.NUMERIC)
        if a.const and a.value is not None and family(a.oid) == "num":
            v = -a.value
            oid = a.oid
            if oid == T.NUMERIC and isinstance(node.this, exp.Literal) and v == int(v) and "." not in node.this.this:
                pass
            if oid == T.INT8 and v == -(2**63):
                pass
            elif oid == T.NUMERIC and isinstance(node.this, exp.Literal) and isinstance(a.value, Decimal) \
                    and "." not in node.this.this and -(2**63) <= v < 2**63 and "e" not in node.this.this.lower():
                oid = T.INT8 if v < -(2**31) else T.INT4
                v = int(v)
            return const(v, oid)
        fa, oid = a.fn, a.oid
        if family(oid) == "num":
            return CE(lambda r, st: None if (x := fa(r, st)) is None else ops.neg(x, oid), oid)
        if oid == T.INTERVAL:
            return CE(lambda r, st: None if (x := fa(r, st)) is None else
                      T.Interval(-x.months, -x.days, -x.microseconds), oid)
        raise UndefinedFunction(f"operator does not exist: - {type_name(oid)}")

    def c_Pow(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this)
        b = self.compile(node.expression)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, T.FLOAT8)
        if b.oid == T.UNKNOWN:
            b = self.cast_ce(b, T.FLOAT8)
        rt = T.NUMERIC if T.NUMERIC in (a.oid, b.oid) and not ({a.oid, b.oid} & {T.FLOAT4, T.FLOAT8}) else T.FLOAT8
        fa, fb = a.fn, b.fn
        return self.named(CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None
                             else ops.power(x, y, rt), rt), node) if False else \
            CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None else ops.power(x, y, rt), rt)

    def _bitwise(self, node: exp.Expression, op: Callable[[int, int], int]) -> CE:
        a = self.compile(node.this)
        b = self.compile(node.expression, a.oid)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, b.oid)
        if b.oid == T.UNKNOWN:
            b = self.cast_ce(b, a.oid)
        if a.oid not in INTS or b.oid not in INTS:
            raise UndefinedFunction(f"operator does not exist: {type_name(a.oid)} & {type_name(b.oid)}")
        rt = numeric_result(a.oid, b.oid)
        fa, fb = a.fn, b.fn
        return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None
                  else ops.check_int(rt, op(x, y)), rt)

    def c_BitwiseNot(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this, hint)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, T.INT4)
        if a.oid not in INTS:
            raise UndefinedFunction(f"operator does not exist: ~ {type_name(a.oid)}",
                                    hint="No operator matches the given name and argument type. "
                                         "You might need to add an explicit type cast.")
        fa = a.fn
        return CE(lambda r, st: None if (x := fa(r, st)) is None else ~x, a.oid)

    def c_BitwiseAnd(self, node: exp.Expression, hint: int | None) -> CE:
        return self._bitwise(node, lambda x, y: x & y)

    def c_BitwiseOr(self, node: exp.Expression, hint: int | None) -> CE:
        return self._bitwise(node, lambda x, y: x | y)

    def c_BitwiseXor(self, node: exp.Expression, hint: int | None) -> CE:
        return self._bitwise(node, lambda x, y: x ^ y)

    def c_BitwiseLeftShift(self, node: exp.Expression, hint: int | None) -> CE:
        return self._bitwise(node, lambda x, y: x << y)

    def c_BitwiseRightShift(self, node: exp.Expression, hint: int | None) -> CE:
        return self._bitwise(node, lambda x, y: x >> y)

    def c_DPipe(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this)
        b = self.compile(node.expression)
        ea, eb = T.element_of(a.oid), T.element_of(b.oid)
        fa, fb = a.fn, b.fn
        if ea or eb:
            rt = a.oid if ea else b.oid
            if ea and eb:
                return CE(lambda r, st: (fa(r, st) if (y := fb(r, st)) is None else
                                         (y if (x := fa(r, st)) is None else x + y)), rt)
            if ea:
                return CE(lambda r, st: None if (x := fa(r, st)) is None else x + [fb(r, st)], rt)
            return CE(lambda r, st: None if (y := fb(r, st)) is None else [fa(r, st)] + y, rt)
        if (a.oid == T.JSONB and b.oid in (T.JSONB, T.UNKNOWN)) or (a.oid == T.UNKNOWN and b.oid == T.JSONB):
            from engine.sql.json_ops import concat

            fa, fb = self.cast_ce(a, T.JSONB).fn, self.cast_ce(b, T.JSONB).fn
            return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None else concat(x, y),
                      T.JSONB)
        if a.oid not in STRINGS and b.oid not in STRINGS:
            raise UndefinedFunction(f"operator does not exist: {type_name(a.oid)} || {type_name(b.oid)}",
                                    hint="No operator matches the given name and argument types. You might need to add explicit type casts.")
        ta, tb = self.cast_ce(a, T.TEXT).fn, self.cast_ce(b, T.TEXT).fn
        return CE(lambda r, st: None if (x := ta(r, st)) is None or (y := tb(r, st)) is None else x + y, T.TEXT)

    # ---- conditionals
    def c_Case(self, node: exp.Case, hint: int | None) -> CE:
        subject = node.this
        subj = self.compile(subject) if subject is not None else None
        conds: list[Fn] = []
        results: list[CE] = []
        for w in node.args.get("ifs") or []:
            if subj is not None:
                c = self._compare(exp.EQ(this=subject, expression=w.this), "=")
                conds.append(c.fn)
            else:
                conds.append(self.predicate(w.this))
            results.append(self.compile(w.args["true"], hint))
        default = node.args.get("default")
        dflt = self.compile(default, hint) if default is not None else const(None, T.UNKNOWN)
        rt = common_type([c.oid for c in results] + [dflt.oid], "CASE")
        results = [self.cast_ce(c, rt) if c.oid != rt else c for c in results]
        dflt = self.cast_ce(dflt, rt) if dflt.oid != rt else dflt
        pairs = list(zip(conds, [c.fn for c in results], strict=True))
        fd = dflt.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            for c, v in pairs:
                if c(r, st):
                    return v(r, st)
            return fd(r, st)

        return self.named(CE(f, rt), node)

    def c_If(self, node: exp.Expression, hint: int | None) -> CE:
        return self.c_Case(exp.Case(ifs=[exp.If(this=node.this, true=node.args["true"])],
                                    default=node.args.get("false")), hint)

    def _variadic(self, items: list[exp.Expression], what: str, hint: int | None) -> tuple[list[CE], int]:
        ces = [self.compile(e, hint) for e in items]
        rt = common_type([c.oid for c in ces], what)
        return [self.cast_ce(c, rt) if c.oid != rt else c for c in ces], rt

    def c_Coalesce(self, node: exp.Expression, hint: int | None) -> CE:
        ces, rt = self._variadic([node.this, *node.expressions], "COALESCE", hint)
        fns = [c.fn for c in ces]

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            for fn in fns:
                v = fn(r, st)
                if v is not None:
                    return v
            return None

        return CE(f, rt, name="coalesce", strength=2)

    def c_Nullif(self, node: exp.Expression, hint: int | None) -> CE:
        a, b = self.coerce_pair(node.this, node.expression, "=")
        fa, fb = a.fn, b.fn
        return CE(lambda r, st: None if (x := fa(r, st)) is not None and x == fb(r, st) else x, a.oid,
                  name="nullif", strength=2)

    def _greatest(self, node: exp.Expression, hint: int | None, pick: Callable[..., Any], name: str) -> CE:
        ces, rt = self._variadic([node.this, *node.expressions], name.upper(), hint)
        fns = [c.fn for c in ces]

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            vals = [v for fn in fns if (v := fn(r, st)) is not None]
            return pick(vals) if vals else None

        return CE(f, rt, name=name, strength=2)

    def c_Greatest(self, node: exp.Expression, hint: int | None) -> CE:
        return self._greatest(node, hint, max, "greatest")

    def c_Least(self, node: exp.Expression, hint: int | None) -> CE:
        return self._greatest(node, hint, min, "least")

    # ---- casts
    def c_Cast(self, node: exp.Cast, hint: int | None) -> CE:
        oid, typmod = datatype_oid(node.args["to"])
        inner = node.this
        if isinstance(inner, exp.Parameter):
            a = self.compile(inner, oid)
        elif isinstance(inner, exp.Array) and T.element_of(oid):
            a = self._array(inner, T.element_of(oid))
        else:
            a = self.compile(inner)
        out = self.cast_ce(a, oid, typmod)
        out = CE(out.fn, oid, typmod, out.name, out.strength, out.const, out.value)
        return self.named(out, node)

    c_TryCast = c_Cast

    def c_Interval(self, node: exp.Interval, hint: int | None) -> CE:
        text = node.this
        unit = node.args.get("unit")
        s = text.this if isinstance(text, exp.Literal) else text.sql()
        if unit is not None:
            s = f"{s} {unit.sql() if isinstance(unit, exp.Expression) else unit}"
        v = do_cast(s, T.UNKNOWN, T.INTERVAL)
        return const(v, T.INTERVAL, "interval", 1)

    # ---- arrays, subscripts
    def _array(self, node: exp.Array, elem_hint: int | None = None) -> CE:
        elem_hint = elem_hint or None  # 0: no usable hint
        # ARRAY[ARRAY[…], …] is a multi-dimensional array of the same type: the inner ones take the array type
        ces = [self.compile(e, T.array_of(elem_hint) if elem_hint and isinstance(e, exp.Array) else elem_hint)
               for e in node.expressions]
        if not ces:
            if elem_hint is None:
                raise IndeterminateDatatype("cannot determine type of empty array",
                                            hint="Explicitly cast to the desired type, for example ARRAY[]::integer[].")
            return const([], T.array_of(elem_hint))
        et = common_type([c.oid for c in ces], "ARRAY")
        if elem_hint is not None and all(c.oid == T.UNKNOWN for c in ces):
            et = elem_hint
        ces = [self.cast_ce(c, et) if c.oid != et else c for c in ces]
        fns = [c.fn for c in ces]
        at = T.array_of(et) if not T.element_of(et) else et
        return CE(lambda r, st: [fn(r, st) for fn in fns], at, name="array", strength=2)

    def c_Array(self, node: exp.Array, hint: int | None) -> CE:
        if len(node.expressions) == 1 and isinstance(node.expressions[0], (exp.Select, exp.SetOperation,
                                                                           exp.Subquery)):
            return self._array_subquery(node.expressions[0])
        return self._array(node, T.element_of(hint) if hint else None)

    def _array_subquery(self, sub: exp.Expression) -> CE:
        """``ARRAY(SELECT …)``: every row's single value, ``{}`` when there are none."""
        if isinstance(sub, exp.Subquery):
            sub = sub.this
        plan, corr = self.planner.subplan(sub, self.scope)
        if len(plan.cols) != 1:
            raise SyntaxError_("subquery must return only one column")
        et = plan.cols[0].oid if plan.cols[0].oid != T.UNKNOWN else T.TEXT
        key = id(plan)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            if not corr and key in st.cache:
                return list(st.cache[key])
            st.outer.append(r)
            try:
                vals = [row[0] for row in plan.run(st)]
            finally:
                st.outer.pop()
            if not corr:
                st.cache[key] = vals
            return list(vals)

        return CE(f, et if T.element_of(et) else T.array_of(et), name="array", strength=2)

    def c_Bracket(self, node: exp.Bracket, hint: int | None) -> CE:
        chain: list[exp.Bracket] = []
        base: exp.Expression = node
        while isinstance(base, exp.Bracket) and len(base.expressions) == 1 \
                and not isinstance(base.expressions[0], exp.Slice):
            chain.append(base)
            base = base.this
        if len(chain) > 1:  # a[i][j]… on a multi-dimensional array
            b = self.compile(base)
            et = T.element_of(b.oid)
            if et:
                subs = [self._int_subscript(self._subscript(br, br.expressions[0])).fn for br in reversed(chain)]
                return self._subscripts(b, subs, et, node)
        a = self.compile(node.this)
        if len(node.expressions) != 1:
            raise FeatureNotSupported("multi-dimensional subscripts are not supported")
        idx = node.expressions[0]
        if isinstance(idx, exp.Slice):
            lo = self.compile(idx.this, T.INT4).fn if idx.this is not None else (lambda r, st: 1)
            hi = self.compile(idx.expression, T.INT4).fn if idx.expression is not None else (lambda r, st: 10**9)
            fa = a.fn
            return self.named(CE(lambda r, st: None if (x := fa(r, st)) is None
                                 else x[max(lo(r, st), 1) - 1: hi(r, st)], a.oid), node)
        i = self.compile(self._subscript(node, idx), T.INT4)
        if a.oid not in (T.JSON, T.JSONB) and i.oid not in INTS:
            i = self._int_subscript(self._subscript(node, idx))
        if a.oid in (T.JSON, T.JSONB):
            return self.named(self._json_get(a, i, False), node)
        et = T.element_of(a.oid)
        if not et:
            raise DatatypeMismatch(f"cannot subscript type {type_name(a.oid)} because it does not support subscripting")
        return self._subscripts(a, [i.fn], et, node)

    def _subscripts(self, a: CE, subs: list[Fn], et: int, node: exp.Expression) -> CE:
        """``a[i][j]…``: one subscript per dimension (fewer than the array has gives NULL, as in PostgreSQL)."""
        fa = a.fn

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            for fi in subs:
                n = fi(r, st)
                if not isinstance(x, list) or n is None or n < 1 or n > len(x):
                    return None
                x = x[n - 1]
            return None if isinstance(x, list) else x

        return self.named(CE(f, et), node)

    def _int_subscript(self, idx: exp.Expression) -> CE:
        """An array subscript as an integer (numeric subscripts round, like an assignment to int4)."""
        ce = self.compile(idx, T.INT4)
        return ce if ce.oid in INTS else self.cast_ce(ce, T.INT4)

    @staticmethod
    def _subscript(node: exp.Bracket, idx: exp.Expression) -> exp.Expression:
        """The 1-based subscript: sqlglot stores PostgreSQL's literal subscripts 0-based where it typed the
        operand as an array (or did not know its type)."""
        t = node.this.type
        if isinstance(idx, exp.Literal) and not idx.is_string and str(idx.this).isdigit() and (
                t is None or t.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.ARRAY)):
            return exp.Literal.number(int(idx.this) + 1)
        return idx

    # ---- JSON operators
    def _json_get(self, a: CE, k: CE, as_text: bool) -> CE:
        fa, fk = a.fn, k.fn

        def get(x: Any, key: Any) -> Any:
            if isinstance(key, int) and isinstance(x, list):
                if key < 0:
                    key += len(x)
                return x[key] if 0 <= key < len(x) else None
            if isinstance(key, str) and isinstance(x, dict):
                return x.get(key)
            return None

        if as_text:

            def totext(v: Any) -> Any:
                if v is None or v is T.JSON_NULL:
                    return None
                if isinstance(v, str):
                    return v
                if isinstance(v, bool):
                    return "true" if v else "false"
                if isinstance(v, (dict, list)):
                    from engine.textio_json import format_json

                    return format_json(v) if a.oid == T.JSONB else format_json(v, sort=False, compact=True)
                if isinstance(v, (Decimal, float)):
                    from engine.textio_json import format_json_number

                    return format_json_number(v)
                return str(v)

            return CE(lambda r, st: None if (x := fa(r, st)) is None or (key := fk(r, st)) is None
                      else totext(get(x, key)), T.TEXT)

        def g(r: tuple[Any, ...], st: ExecState) -> Any:
            x = fa(r, st)
            key = fk(r, st)
            if x is None or key is None:
                return None
            v = get(x, key)
            return v

        return CE(g, a.oid)

    def _json_operand(self, node: exp.Expression) -> CE:
        a = self.compile(node)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, T.JSONB)
        if a.oid not in (T.JSON, T.JSONB):
            raise UndefinedFunction(f"operator does not exist: {type_name(a.oid)} -> unknown")
        return a

    def _json_key(self, node: exp.Expression) -> CE:
        if isinstance(node, exp.JSONPath):
            parts = [p for p in node.expressions if not isinstance(p, exp.JSONPathRoot)]
            if len(parts) == 1:
                p = parts[0]
                val = p.this
                if isinstance(p, exp.JSONPathSubscript):
                    return const(int(val), T.INT4)
                return const(str(val), T.TEXT)
            raise FeatureNotSupported("JSON path operand not supported")
        k = self.compile(node)
        if k.oid == T.UNKNOWN:
            k = self.cast_ce(k, T.TEXT)
        return k

    def c_JSONExtract(self, node: exp.Expression, hint: int | None) -> CE:
        return self._json_get(self._json_operand(node.this), self._json_key(node.expression), False)

    def c_JSONExtractScalar(self, node: exp.Expression, hint: int | None) -> CE:
        return self._json_get(self._json_operand(node.this), self._json_key(node.expression), True)

    def _json_path(self, node: exp.Expression, as_text: bool) -> CE:
        a = self._json_operand(node.this)
        p = self.compile(node.expression, T.array_of(T.TEXT))
        if p.oid == T.UNKNOWN:
            p = self.cast_ce(p, T.array_of(T.TEXT))
        fa, fp = a.fn, p.fn

        def walk(x: Any, path: list[Any]) -> Any:
            for k in path:
                if k is None:
                    return None
                if isinstance(x, dict):
                    x = x.get(k)
                elif isinstance(x, list):
                    try:
                        i = int(k)
                    except ValueError:
                        return None
                    x = x[i] if -len(x) <= i < len(x) else None
                else:
                    return None
                if x is None:
                    return None
            return x

        if as_text:
            tt = self._json_get(const({}, a.oid), const("", T.TEXT), True)
            del tt
        return CE(lambda r, st: None if (x := fa(r, st)) is None or (pp := fp(r, st)) is None
                  else walk(x, pp), a.oid)

    def c_JSONBExtract(self, node: exp.Expression, hint: int | None) -> CE:
        return self._json_path(node, False)

    def c_JSONBExtractScalar(self, node: exp.Expression, hint: int | None) -> CE:
        inner = self._json_path(node, False)
        f = inner.fn

        def t(v: Any) -> Any:
            if v is None or v is T.JSON_NULL:
                return None
            if isinstance(v, str):
                return v
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, (dict, list)):
                from engine.textio_json import format_json

                return format_json(v) if inner.oid == T.JSONB else format_json(v, sort=False, compact=True)
            if isinstance(v, (Decimal, float)):
                from engine.textio_json import format_json_number

                return format_json_number(v)
            return str(v)

        return CE(lambda r, st: t(f(r, st)), T.TEXT)

    def c_ArrayContainsAll(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this)
        b = self.compile(node.expression, a.oid)
        if a.oid == T.UNKNOWN:
            a = self.cast_ce(a, b.oid)
        if b.oid == T.UNKNOWN:
            b = self.cast_ce(b, a.oid)
        fa, fb = a.fn, b.fn
        if a.oid in (T.JSON, T.JSONB):
            def contains(x: Any, y: Any) -> bool:
                if isinstance(x, dict) and isinstance(y, dict):
                    return all(k in x and contains(x[k], v) for k, v in y.items())
                if isinstance(x, list) and isinstance(y, list):
                    return all(any(contains(xi, yi) for xi in x) for yi in y)
                if isinstance(x, list) and not isinstance(y, (dict, list)):
                    return y in x
                return x == y and type(x) is type(y) or (isinstance(x, (int, float, Decimal))
                                                          and isinstance(y, (int, float, Decimal))
                                                          and not isinstance(x, bool) and x == y)
            return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None
                      else contains(x, y), T.BOOL)
        return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None
                  else all(v in x for v in y), T.BOOL)

    def c_ArrayContainedBy(self, node: exp.Expression, hint: int | None) -> CE:
        return self.c_ArrayContainsAll(exp.ArrayContainsAll(this=node.expression, expression=node.this), hint)

    def c_JSONBContains(self, node: exp.Expression, hint: int | None) -> CE:
        return self.c_ArrayContainsAll(node, hint)

    def c_JSONBContainsTopKey(self, node: exp.Expression, hint: int | None) -> CE:
        a = self._json_operand(node.this)
        k = self.compile(node.expression, T.TEXT)
        fa, fk = a.fn, k.fn

        def has(x: Any, key: Any) -> bool:
            if isinstance(x, dict):
                return key in x
            if isinstance(x, list):
                return key in [v for v in x if isinstance(v, str)]
            return isinstance(x, str) and x == key

        return CE(lambda r, st: None if (x := fa(r, st)) is None or (key := fk(r, st)) is None
                  else has(x, key), T.BOOL)

    def _json_keys_test(self, node: exp.Expression, want_all: bool) -> CE:
        a = self._json_operand(node.this)
        k = self.compile(node.expression, T.array_of(T.TEXT))
        if k.oid == T.UNKNOWN:
            k = self.cast_ce(k, T.array_of(T.TEXT))
        fa, fk = a.fn, k.fn

        def has(x: Any, key: Any) -> bool:
            if isinstance(x, dict):
                return key in x
            if isinstance(x, list):
                return any(isinstance(v, str) and v == key for v in x)
            return isinstance(x, str) and x == key

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            x, keys = fa(r, st), fk(r, st)
            if x is None or keys is None:
                return None
            keys = [kk for kk in keys if kk is not None]
            return all(has(x, kk) for kk in keys) if want_all else any(has(x, kk) for kk in keys)

        return CE(f, T.BOOL)

    def c_JSONBContainsAnyTopKeys(self, node: exp.Expression, hint: int | None) -> CE:
        return self._json_keys_test(node, False)

    def c_JSONBContainsAllTopKeys(self, node: exp.Expression, hint: int | None) -> CE:
        return self._json_keys_test(node, True)

    def c_Overlaps(self, node: exp.Expression, hint: int | None) -> CE:
        """``(s1, e1) OVERLAPS (s2, e2)``; an end may be an interval (a length), ends may come in any order."""
        a, b = node.this, node.expression
        if not (isinstance(a, exp.Tuple) and isinstance(b, exp.Tuple) and len(a.expressions) == 2
                and len(b.expressions) == 2):
            raise SyntaxError_("wrong number of parameters on left side of OVERLAPS expression")
        ces = [self.compile(e) for e in (*a.expressions, *b.expressions)]
        t = common_type([c.oid for c in ces if c.oid not in (T.INTERVAL, T.UNKNOWN)] or [T.TIMESTAMP], "OVERLAPS")
        ends = []
        for i in (0, 2):
            s0 = self.cast_ce(ces[i], t) if ces[i].oid != t else ces[i]
            e0 = ces[i + 1]
            if e0.oid == T.INTERVAL:
                e0 = self._datetime_arith(s0, e0, "+")
                e0 = self.cast_ce(e0, t) if e0.oid != t else e0
            elif e0.oid != t:
                e0 = self.cast_ce(e0, t)
            ends.append((s0.fn, e0.fn))

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            (fs1, fe1), (fs2, fe2) = ends
            s1, e1, s2, e2 = fs1(r, st), fe1(r, st), fs2(r, st), fe2(r, st)
            if s1 is None:  # overlaps_timestamp: a NULL start takes the end's place
                if e1 is None:
                    return None
                s1, e1 = e1, None
            elif e1 is not None and e1 < s1:
                s1, e1 = e1, s1
            if s2 is None:
                if e2 is None:
                    return None
                s2, e2 = e2, None
            elif e2 is not None and e2 < s2:
                s2, e2 = e2, s2
            if s1 > s2:
                if e2 is None:
                    return None
                return s1 < e2 or (None if e1 is None else False)
            if s1 < s2:
                if e1 is None:
                    return None
                return s2 < e1 or (None if e2 is None else False)
            return None if e1 is None or e2 is None else True

        return CE(f, T.BOOL, name="overlaps", strength=2)

    def c_ArrayOverlaps(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this)
        b = self.compile(node.expression, a.oid)
        fa, fb = a.fn, b.fn
        return CE(lambda r, st: None if (x := fa(r, st)) is None or (y := fb(r, st)) is None
                  else any(v in x for v in y if v is not None), T.BOOL)

    # ---- subqueries
    def c_Subquery(self, node: exp.Subquery, hint: int | None) -> CE:
        plan, corr = self.planner.subplan(node.this, self.scope)
        if len(plan.cols) != 1:
            raise SyntaxError_("subquery must return only one column")
        key = id(plan)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            if not corr and key in st.cache:
                return st.cache[key]
            st.outer.append(r)
            try:
                rows = plan.run(st, limit=2)
            finally:
                st.outer.pop()
            if len(rows) > 1:
                raise CardinalityViolation("more than one row returned by a subquery used as an expression")
            v = rows[0][0] if rows else None
            if not corr:
                st.cache[key] = v
            return v

        oid = plan.cols[0].oid
        # named after the subquery's output column, as PostgreSQL names an EXPR sublink
        return CE(f, T.TEXT if oid == T.UNKNOWN else oid, plan.cols[0].typmod, plan.cols[0].name, 2)

    def c_Select(self, node: exp.Select, hint: int | None) -> CE:
        return self.c_Subquery(exp.Subquery(this=node), hint)

    def c_Exists(self, node: exp.Exists, hint: int | None) -> CE:
        sub = node.this
        if isinstance(sub, exp.Subquery):
            sub = sub.this
        plan, corr = self.planner.subplan(sub, self.scope)
        key = id(plan)

        def f(r: tuple[Any, ...], st: ExecState) -> Any:
            if not corr and key in st.cache:
                return st.cache[key]
            st.outer.append(r)
            try:
                v = bool(plan.run(st, limit=1))
            finally:
                st.outer.pop()
            if not corr:
                st.cache[key] = v
            return v

        return CE(f, T.BOOL, name="exists", strength=2)

    # ---- special functions
    def c_CurrentTimestamp(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.now, T.TIMESTAMPTZ, name="now", strength=2)

    def c_CurrentDate(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.now.date(), T.DATE, name="current_date", strength=2)

    def c_Localtimestamp(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.now.replace(tzinfo=None), T.TIMESTAMP, name="localtimestamp", strength=2)

    def c_CurrentTime(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.now.timetz(), T.TIMETZ, name="current_time", strength=2)

    def c_CurrentCatalog(self, node: exp.Expression, hint: int | None) -> CE:
        ce = self._call_named("current_database", [], None)
        return CE(ce.fn, ce.oid, name="current_catalog", strength=2)

    def c_Localtime(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: _local_now(st).time().replace(tzinfo=None), T.TIME, name="localtime", strength=2)

    def c_CurrentUser(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.ctx.session.user, T.NAME, name="current_user", strength=2)

    def c_SessionUser(self, node: exp.Expression, hint: int | None) -> CE:
        return CE(lambda r, st: st.ctx.session.user, T.NAME, name="session_user", strength=2)

    def c_CurrentSchema(self, node: exp.Expression, hint: int | None) -> CE:
        from engine.functions import lookup

        if lookup("current_schema"):  # the catalog's: first existing schema of search_path
            return self._call_named("current_schema", [], node)
        return CE(lambda r, st: "public", T.NAME, name="current_schema", strength=2)

    def c_Extract(self, node: exp.Expression, hint: int | None) -> CE:
        unit = node.this
        u = unit.name if isinstance(unit, (exp.Var, exp.Column, exp.Identifier)) else None
        field = const(u.lower(), T.TEXT) if u else self.compile(unit, T.TEXT)
        src = self.compile(node.expression)
        return self._call_named("extract", [field, src], node)

    def c_Collate(self, node: exp.Expression, hint: int | None) -> CE:
        return self.compile(node.this, hint)

    def c_CurrentSchemas(self, node: exp.Expression, hint: int | None) -> CE:
        return self.c_call(node, hint)

    def c_CurrentDatabase(self, node: exp.Expression, hint: int | None) -> CE:
        return self.c_call(node, hint)

    def c_AtTimeZone(self, node: exp.Expression, hint: int | None) -> CE:
        a = self.compile(node.this)
        z = self.compile(node.args["zone"], T.TEXT)
        return self._call_named("timezone", [self.cast_ce(z, T.TEXT), a], node)

    def c_Anonymous(self, node: exp.Anonymous, hint: int | None) -> CE:
        name = str(node.this).lower()
        if name == "date" and len(node.expressions) == 1:
            ce = self.cast_ce(self.compile(node.expressions[0]), T.DATE)
            return CE(ce.fn, T.DATE, name="date", strength=2)
        if name == "row":
            ces = [self.compile(e) for e in node.expressions]
            fns = [c.fn for c in ces]
            return CE(lambda r, st: tuple(fn(r, st) for fn in fns), T.RECORD, name="row", strength=2)
        return self.c_call(node, hint)

    _MAKE_INTERVAL = ("years", "months", "weeks", "days", "hours", "mins", "secs")
    _MAKE_INTERVAL_SLOTS = {"year": 0, "month": 1, "week": 2, "day": 3, "hour": 4, "minute": 5, "second": 6}

    def c_Substring(self, node: exp.Expression, hint: int | None) -> CE:
        """substring(s from n [for m]), and substring(s from pattern): the first match of a POSIX regex (its
        first parenthesized group when it has one)."""
        start, length = node.args.get("start"), node.args.get("length")
        if start is not None and length is None:
            pat = self.compile(start)
            if pat.oid in STRINGS or pat.oid == T.UNKNOWN:
                import re

                src = self.compile(node.this)
                src = self.cast_ce(src, T.TEXT) if src.oid == T.UNKNOWN else src
                pat = self.cast_ce(pat, T.TEXT) if pat.oid == T.UNKNOWN else pat
                fs, fp = src.fn, pat.fn

                def f(r: tuple[Any, ...], st: ExecState) -> Any:
                    x, y = fs(r, st), fp(r, st)
                    if x is None or y is None:
                        return None
                    m = re.search(y, x)
                    if m is None:
                        return None
                    return m.group(1) if m.re.groups else m.group(0)

                return CE(f, T.TEXT, name="substring", strength=2)
        return self.c_call(node, hint)

    def c_MakeInterval(self, node: exp.Expression, hint: int | None) -> CE:
        """``make_interval(years, months, weeks, days, hours, mins, secs)``, positional or named (``secs => 1.5``)."""
        vals: list[exp.Expression | None] = [None] * 7
        for key, v in node.args.items():
            if v is None or key not in self._MAKE_INTERVAL_SLOTS:
                continue
            slot = self._MAKE_INTERVAL_SLOTS[key]
            if isinstance(v, (exp.Kwarg, exp.PropertyEQ)):
                name = v.this.name.lower()
                if name not in self._MAKE_INTERVAL:
                    raise UndefinedFunction(f"function make_interval({name} => unknown) does not exist")
                slot, v = self._MAKE_INTERVAL.index(name), v.expression
            vals[slot] = v
        last = max((i for i, v in enumerate(vals) if v is not None), default=-1)
        args = [v if v is not None else exp.Literal.number(0) for v in vals[:last + 1]]
        return self._call_named("make_interval", [self.compile(a) for a in args], node)

    def c_Window(self, node: exp.Expression, hint: int | None) -> CE:
        raise FeatureNotSupported("window functions are not allowed here")

    def c_Star(self, node: exp.Expression, hint: int | None) -> CE:
        raise FeatureNotSupported("* is not allowed here")

    # ---- generic calls through engine.functions
    def c_call(self, node: exp.Expression, hint: int | None) -> CE:
        if is_aggregate(node):
            if self.agg_hook is not None:
                got = self.agg_hook(node)
                if got is not None:
                    return got
            raise GroupingError(f"aggregate functions are not allowed in {getattr(self, 'clause', 'this context')}")
        name = func_name(node)
        if name is None:
            raise FeatureNotSupported(f"function {type(node).__name__.lower()} is not supported")
        args = func_args(node)
        if isinstance(node, exp.Round) and node.args.get("decimals") is None and name == "round":
            args = [node.this]
        ces = [self.compile(a) for a in args]
        return self._call_named(name, ces, node)

    def _call_named(self, name: str, ces: list[CE], node: exp.Expression | None) -> CE:
        if name == "pg_typeof" and len(ces) == 1:  # the argument's resolved type, known at plan time
            toid = ces[0].oid
            return CE(lambda r, st: toid, T.REGTYPE, name=name, strength=2, const=True, value=toid)
        fd, arg_oids = resolve_function(name, [c.oid for c in ces])
        ces = [self.cast_ce(c, o) if o not in (0, c.oid) and c.oid != o else c for c, o in zip(ces, arg_oids, strict=False)]
        in_oids = [c.oid for c in ces]
        rt = fd.return_oid if isinstance(fd.return_oid, int) else fd.return_oid(in_oids)
        if fd.set_returning:
            raise FeatureNotSupported(f"set-returning function {name}() is only supported in FROM")
        fns = [c.fn for c in ces]
        impl = fd.impl
        strict = fd.strict
        label, strength = (name, 2)
        if fd.needs_ctx:
            if strict:
                def f(r: tuple[Any, ...], st: ExecState) -> Any:
                    vals = [fn(r, st) for fn in fns]
                    if any(v is None for v in vals):
                        return None
                    return impl(st.ctx, *vals)
            else:
                def f(r: tuple[Any, ...], st: ExecState) -> Any:
                    return impl(st.ctx, *[fn(r, st) for fn in fns])
        elif strict:
            def f(r: tuple[Any, ...], st: ExecState) -> Any:
                vals = [fn(r, st) for fn in fns]
                for v in vals:
                    if v is None:
                        return None
                return impl(*vals)
        else:
            def f(r: tuple[Any, ...], st: ExecState) -> Any:
                return impl(*[fn(r, st) for fn in fns])
        if not fd.volatile and not fd.needs_ctx and all(c.const for c in ces) and name not in ("random", "gen_random_uuid", "clock_timestamp", "timeofday"):
            try:
                v = f((), None)  # type: ignore[arg-type]
                return CE(lambda r, st: v, rt, name=label, strength=strength, const=True, value=v)
            except Exception:  # noqa: BLE001 - evaluate at run time to report the error there
                pass
        return CE(f, rt, name=label, strength=strength)


_IMPLICIT = {
    T.INT2: (T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8),
    T.INT4: (T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8, T.OID, T.REGCLASS),
    T.INT8: (T.NUMERIC, T.FLOAT4, T.FLOAT8),
    T.NUMERIC: (T.FLOAT4, T.FLOAT8),
    T.FLOAT4: (T.FLOAT8,),
    T.VARCHAR: (T.TEXT,), T.BPCHAR: (T.TEXT,), T.NAME: (T.TEXT,), T.TEXT: (T.VARCHAR, T.NAME, T.BPCHAR),
    T.DATE: (T.TIMESTAMP, T.TIMESTAMPTZ), T.TIMESTAMP: (T.TIMESTAMPTZ,), T.JSON: (), T.CHAR: (T.TEXT,),
    # the reg* types are binary coercible to and from oid (pg_table_is_visible('t'::regclass))
    T.OID: (T.REGCLASS, T.REGTYPE, T.REGPROC), T.REGCLASS: (T.OID,), T.REGTYPE: (T.OID,), T.REGPROC: (T.OID,),
    T.REGPROCEDURE: (T.OID,), T.REGOPER: (T.OID,), T.REGNAMESPACE: (T.OID,), T.REGROLE: (T.OID,),
}


def _cost(src: int, dst: int) -> int | None:
    if dst == 0 or src == dst:
        return 0
    if src == T.UNKNOWN:
        return 1 if dst in (T.TEXT, 0) else 2  # an unknown literal prefers the string category (text)
    if dst in (T.ANY, 2283, T.ANYARRAY, 5077, 5078) :
        return 1
    imp = _IMPLICIT.get(src, ())
    if dst in imp:
        # PostgreSQL prefers its category's preferred type (float8, text, timestamptz)
        return 2 if dst in (T.FLOAT8, T.TEXT, T.TIMESTAMPTZ) else 3 + imp.index(dst)
    if T.element_of(src) and T.element_of(dst):
        c = _cost(T.element_of(src), T.element_of(dst))
        return None if c is None else c + 1
    return None


def resolve_function(name: str, oids: list[int]) -> tuple[F.FunctionDef, list[int]]:
    """The best overload of ``name`` for argument types ``oids`` and the types to cast arguments to."""
    cands = F.lookup(name)
    best: tuple[int, F.FunctionDef, list[int]] | None = None
    for fd in cands:
        if fd.aggregate or (fd.set_returning and False):
            continue
        if fd.arg_oids is None:
            cost = 50
            if best is None or cost < best[0]:
                best = (cost, fd, [0] * len(oids))
            continue
        want = list(fd.arg_oids)
        if fd.variadic and len(oids) >= len(want) - 1:
            want = want[:-1] + [want[-1]] * (len(oids) - len(want) + 1)
        if len(want) != len(oids):
            continue
        total = 0
        ok = True
        for s, d in zip(oids, want, strict=True):
            c = _cost(s, d)
            if c is None:
                ok = False
                break
            total += c
        if ok and (best is None or total < best[0]):
            best = (total, fd, [d if d not in (T.ANY, 2283, T.ANYARRAY, 5077, 5078) else 0 for d in want])
    if best is None:
        sig = ", ".join(type_name(o) if o != T.UNKNOWN else "unknown" for o in oids)
        raise UndefinedFunction(f"function {name}({sig}) does not exist",
                                hint="No function matches the given name and argument types. "
                                     "You might need to add explicit type casts.")
    return best[1], best[2]


def is_uuid(v: Any) -> bool:
    return isinstance(v, uuid.UUID)


_NAN_TYPES = frozenset({T.NUMERIC, T.FLOAT4, T.FLOAT8})


def _nan_key(v: Any) -> tuple[int, Any]:
    return (1, 0) if v != v else (0, v)


def _row_items(node: exp.Expression) -> list[exp.Expression] | None:
    """The fields of a row constructor ``(a, b)`` / ``ROW(a, b)``, else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Tuple):
        return list(node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "row":
        return list(node.expressions)
    return None


def _tz_sensitive(src: int, dst: int) -> bool:
    from engine.sql.casts import timezone_sensitive

    return timezone_sensitive(T.TEXT if src == T.UNKNOWN else src, dst)


def _cast_label(to: exp.Expression) -> str:
    """The column name PostgreSQL gives a cast: the (last) name of the target type, arrays by their element."""
    oid, _ = datatype_oid(to)
    if oid in (T.INT2VECTOR, T.OIDVECTOR):
        t = T.by_oid(oid)
    else:
        t = T.by_oid(T.element_of(oid) or oid)
    if t is not None:
        return t.name
    kind = to.args.get("kind") if isinstance(to, exp.DataType) else None
    if isinstance(kind, str) and kind:
        return kind.split(".")[-1].rstrip("[]").strip('"').lower()
    return "?column?"


def _local_now(st: ExecState) -> dt.datetime:
    """The transaction timestamp in the session's TimeZone."""
    from engine.sql.casts import session_zone

    z = session_zone()
    return st.now.astimezone(z) if z is not None else st.now
