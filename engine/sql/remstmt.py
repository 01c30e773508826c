"""REM statements served by the graph and vector services attached to the database:

``LOOKUP 'k1', 'k2'`` → graph.lookup; ``TRAVERSE FROM x [DEPTH n] [DIRECTION d] [TYPE 'a', 'b'] [LIMIT n]`` and
``TRAVERSE [rel, …] WITH LOOKUP 'key' …`` → graph.traverse (with ``WHERE``: planned as a SELECT over
``rem_traverse``); ``FUZZY 'text' [IN t] [THRESHOLD x] [LIMIT n]`` →
graph.fuzzy; ``SEARCH 'text' IN t [WHERE …] [LIMIT n]`` → vectors.search_text over the rows WHERE admits,
returning the table's columns plus ``score`` (cosine similarity). 0A000 when the service is not attached.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Column, Result
from engine.errors import FeatureNotSupported, InvalidParameterValue, UndefinedTable
from engine.sql.compiler import Compiler
from engine.sql.dialect import Fuzzy, Lookup, Search, Traverse
from engine.sql.scope import ExecState, Scope
from engine.sql.statements import Statement, finish_params, planner_for

_TRAVERSE = (("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("depth", T.INT4),
             ("path", T.array_of(T.UUID)), ("rel_type", T.TEXT), ("weight", T.FLOAT8), ("data", T.JSONB))
_LOOKUP = (("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("data", T.JSONB))
_FUZZY = (("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("similarity", T.FLOAT4), ("data", T.JSONB))


def _service(session: Any, name: str, what: str) -> Any:
    svc = getattr(session.db, name, None)
    if svc is None:
        raise FeatureNotSupported(f"{what} is not available: the {name} service is not running")
    return svc


def _cols(spec: tuple[tuple[str, int], ...]) -> list[Column]:
    try:
        from engine.graph import service as G

        spec = {id(_TRAVERSE): G.TRAVERSE_COLUMNS, id(_LOOKUP): G.LOOKUP_COLUMNS,
                id(_FUZZY): G.FUZZY_COLUMNS}.get(id(spec), spec)
    except ImportError:
        pass
    return [Column(n, o) for n, o in spec]


def prepare(session: Any, sql: str, node: exp.Expression, params: dict[int, int], given: list[int]) -> Statement:
    comp = Compiler(Scope([]), planner_for(session, params), params)

    def val(e: exp.Expression | None, oid: int, default: Any = None) -> Any:
        if e is None:
            return lambda st: default
        ce = comp.compile(e, oid)
        ce = comp.cast_ce(ce, oid) if ce.oid != oid else ce
        f = ce.fn
        return lambda st: f((), st)

    def limit_of(node: exp.Expression, default: int | None) -> Any:
        lim = node.args.get("limit")
        if lim is None:
            return lambda st: default
        return val(lim.args.get("expression") or lim.this, T.INT8)

    if isinstance(node, Lookup):
        keys = [val(k, T.TEXT) for k in node.expressions]
        cols = _cols(_LOOKUP)

        def run_lookup(s: Any, txn: Any, values: list[Any]) -> Result:
            g = _service(s, "graph", "LOOKUP")
            st = _state(s, txn, values)
            rows = g.lookup([k(st) for k in keys], txn=txn)
            return Result(tag="SELECT", columns=cols, rows=iter([tuple(r) for r in rows]), tag_counts_rows=True)
        return Statement(sql, finish_params(params, given), cols, run_lookup, needs_txn=True, kind="rem")

    if isinstance(node, Traverse):
        type_nodes = traverse_types(node)
        if node.args.get("where") is not None:
            return _traverse_where(session, sql, node, type_nodes, params, given)
        start = val(node.this, T.TEXT)
        depth = val(node.args.get("depth"), T.INT4, 1)
        direction = node.args.get("direction")
        dname = direction.name if direction is not None else "out"
        type_fns = [val(e, T.TEXT) for e in type_nodes]
        limit = limit_of(node, None)
        cols = _cols(_TRAVERSE)

        def run_traverse(s: Any, txn: Any, values: list[Any]) -> Result:
            g = _service(s, "graph", "TRAVERSE")
            st = _state(s, txn, values)
            types = [f(st) for f in type_fns] or None
            notes: list[str] = []
            rows = g.traverse_rows(start(st), depth(st), dname, types, limit(st), txn=txn, notice=notes.append)
            for n in notes:
                st.ctx.notice(n)
            return Result(tag="SELECT", columns=cols, rows=iter(rows), tag_counts_rows=True)
        return Statement(sql, finish_params(params, given), cols, run_traverse, needs_txn=True, kind="rem")

    if isinstance(node, Fuzzy):
        text = val(node.this, T.TEXT)
        table = node.args.get("table")
        tname = table.name if table is not None else None
        threshold = val(node.args.get("threshold"), T.FLOAT8, 0.3)
        limit = limit_of(node, 10)
        cols = _cols(_FUZZY)

        def run_fuzzy(s: Any, txn: Any, values: list[Any]) -> Result:
            g = _service(s, "graph", "FUZZY")
            st = _state(s, txn, values)
            if tname is not None and s.db.registry.get(tname) is None:
                raise UndefinedTable(f'relation "{tname}" does not exist')
            rows = g.fuzzy(text(st), tname, threshold(st), limit(st), txn=txn)
            return Result(tag="SELECT", columns=cols, rows=iter([tuple(r) for r in rows]), tag_counts_rows=True)
        return Statement(sql, finish_params(params, given), cols, run_fuzzy, needs_txn=True, kind="rem")

    if isinstance(node, Search):
        return _search(session, sql, node, params, given, val, limit_of)
    raise FeatureNotSupported(f"{type(node).__name__.upper()} is not supported")


def traverse_types(node: Traverse) -> list[exp.Expression]:
    """The relation types of a TRAVERSE (``TRAVERSE a, b WITH LOOKUP …`` and ``TYPE …``) as expressions."""
    out: list[exp.Expression] = []
    for part in (node.args.get("rels"), node.args.get("rel")):
        if part is None:
            continue
        for e in part.expressions if isinstance(part, exp.Tuple) else [part]:
            out.append(exp.Literal.string(e.name) if isinstance(e, exp.Column) and not e.table else e)
    return out


def _traverse_where(session: Any, sql: str, node: Traverse, types: list[exp.Expression], params: dict[int, int],
                    given: list[int]) -> Statement:
    """``TRAVERSE … WHERE p [LIMIT n]`` planned as ``SELECT * FROM rem_traverse(…) WHERE p [LIMIT n]``.

    The predicate sees TRAVERSE's columns; any other bare name that is a column of some table reads that
    field of the reached entity as text (``data->>'name'``). LIMIT counts the rows the predicate keeps."""
    from engine.sql.statements import prepare_query

    direction = node.args.get("direction")
    text = exp.DataType.build("text")
    args = [exp.Cast(this=node.this.copy(), to=text),
            node.args["depth"].copy() if node.args.get("depth") is not None else exp.Literal.number(1),
            exp.Literal.string(direction.name if direction is not None else "out"),
            exp.Array(expressions=[exp.Cast(this=t.copy(), to=text.copy()) for t in types]) if types
            else exp.Null()]
    pred = _entity_fields(session, node.args["where"].this.copy())
    sel = exp.Select(expressions=[exp.Star()],
                     where=exp.Where(this=pred), limit=node.args["limit"].copy() if node.args.get("limit") else None)
    sel.set("from_", exp.From(this=exp.Table(this=exp.Anonymous(this="rem_traverse", expressions=args))))
    st = prepare_query(session, sql, sel, params, given)
    st.kind = "rem"
    return st


def _entity_fields(session: Any, pred: exp.Expression) -> exp.Expression:
    """Bare column names that are not TRAVERSE columns but fields of some table → ``data->>'name'``."""
    own = {n for n, _ in _TRAVERSE}
    reg = getattr(session.db, "registry", None)
    fields = {c.name for t in (reg.tables() if reg is not None else []) for c in t.visible_columns}

    def swap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and not n.table and n.name not in own and n.name in fields:
            return exp.JSONExtractScalar(this=exp.column("data"), only_json_types=True,
                                         expression=exp.JSONPath(expressions=[exp.JSONPathRoot(),
                                                                              exp.JSONPathKey(this=n.name)]))
        return n
    return pred.transform(swap)


def _state(s: Any, txn: Any, values: list[Any]) -> ExecState:
    from engine.session import ExecCtx

    return ExecState(values, ExecCtx(s, txn))


def _search(session: Any, sql: str, node: Search, params: dict[int, int], given: list[int], val: Any,
            limit_of: Any) -> Statement:
    from engine.sql import plan
    from engine.sql.planner import pushdown, table_cols

    tnode = node.this
    planner = planner_for(session, params)
    kind, td = planner.resolve_table(tnode.name, tnode.db or None)
    if kind != "table":
        raise FeatureNotSupported("SEARCH needs a table with embedding fields")
    text = val(node.args.get("query"), T.TEXT)
    limit = limit_of(node, 10)
    cols_info, names = table_cols(td, tnode.alias_or_name)
    where = node.args.get("where")
    filt = None
    if where is not None:
        comp = Compiler(Scope(cols_info), planner, params)
        filt = pushdown(plan.Scan(td, tnode.alias_or_name, cols_info, names), where.this, comp)
    vis = [(i, c) for i, c in enumerate(cols_info) if not c.hidden]
    cols = [Column(c.name, c.oid, c.typmod, td.oid, c.attnum) for _, c in vis] + [Column("score", T.FLOAT8)]
    id_pos = names.index(td.id_column)

    def run(s: Any, txn: Any, values: list[Any]) -> Result:
        from engine.vector.sqlscan import session_ef_search

        v = _service(s, "vectors", "SEARCH")
        st = _state(s, txn, values)
        t = s.db.registry.get(td.name, td.schema) or td
        k = limit(st)
        if k is None or k < 0:
            raise InvalidParameterValue("SEARCH LIMIT must not be negative")
        allowed = None
        if filt is not None:
            allowed = [r[id_pos] for r in filt.run(st)]
            if not allowed:
                return Result(tag="SELECT", columns=cols, rows=iter(()), tag_counts_rows=True)
        hits = v.search_text(t, text(st), int(k), allowed_ids=allowed, ef_search=session_ef_search(st.ctx))
        rows = txn.get(t, [h[0] for h in hits])
        out = []
        for (_, score), row in zip(hits, rows, strict=True):
            if row is None:
                continue
            out.append(tuple(row.get(names[i]) for i, _ in vis) + (float(score),))
        return Result(tag="SELECT", columns=cols, rows=iter(out), tag_counts_rows=True)
    return Statement(sql, finish_params(params, given), cols, run, needs_txn=True, kind="rem")
