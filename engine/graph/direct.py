"""Prepared traversals and key lookups run straight on the graph service, without the statement machinery.

``SELECT <columns of rem_traverse | *> FROM rem_traverse(<args>) [AS t]``,
``TRAVERSE FROM x [DEPTH n] [DIRECTION d] [TYPE …] [LIMIT n]`` (no WHERE) and ``LOOKUP k [, …]``, whose
arguments are parameters or constants, are recognized at prepare time (:func:`attach`). Executed outside a
transaction, their rows are then ``GraphService.traverse_rows`` / ``lookup`` of the bound arguments, exactly
what the general plan computes (its function scan or statement calls the same method with the same arguments),
without scope, plan or executor set-up. Whenever the general
path has more to say — a NOTICE (unknown start), an error, an argument of an unusual type — :meth:`rows` returns
None and the statement runs through the general plan, which reports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.graph.batch import TraverseBatch
from engine.graph.service import TRAVERSE_COLUMNS

_NAMES = tuple(n for n, _ in TRAVERSE_COLUMNS)
_FN = "rem_traverse"
_ALLOWED_ARGS = frozenset({"expressions", "from", "from_"})
_PARAM, _CONST = 0, 1
Arg = tuple[int, Any]  # (_PARAM, parameter index) or (_CONST, value)


class DirectTraverse:
    """One recognized traversal statement: its argument sources and output columns (TRAVERSE column numbers)."""

    __slots__ = ("args", "cols", "names", "dialect")

    def __init__(self, args: Sequence[Arg | None], cols: Sequence[int], dialect: bool) -> None:
        self.args = tuple(args)  # start, depth, direction, types, limit (None: the default)
        self.cols = tuple(cols)
        self.names = frozenset(_NAMES[c] for c in cols)
        self.dialect = dialect  # TRAVERSE: start and types are text, all columns

    def rows(self, session: Any, txn: Any, params: Sequence[Any]) -> Sequence[tuple[Any, ...]] | None:
        """The statement's rows for ``params`` as ``txn`` (a read-only transaction, no writes of its own) sees
        the graph, or None when the general plan must run it."""
        g = getattr(session.db, "graph", None)
        if g is None:
            return None
        start, depth, direction, types, limit = [
            None if a is None else (params[a[1]] if a[0] == _PARAM else a[1]) for a in self.args]
        if start is None:
            return None
        if self.dialect:
            if type(start) is not str or (types is not None and any(type(t) is not str for t in types)):
                return None
        elif type(start) is not uuid.UUID:
            start = str(start)
        if types is not None:
            if type(types) is str or any(type(t) is not str for t in types):
                return None  # '{a,b}' text, NULL elements: the function's own parsing
            types = list(types)
        notes: list[str] = []
        try:
            batch = g.traverse_rows(start, 1 if depth is None else depth, "out" if direction is None else direction,
                                    types, limit, txn=txn, notice=notes.append,
                                    columns=None if self.dialect else self.names)
        except Exception:  # noqa: BLE001 - the general plan runs it again and reports the error
            return None
        if notes or not isinstance(batch, TraverseBatch):
            return None
        return batch if self.dialect else batch.project(self.cols)


class DirectLookup:
    """One recognized ``LOOKUP``: the sources of its keys."""

    __slots__ = ("keys",)

    def __init__(self, keys: Sequence[Arg]) -> None:
        self.keys = tuple(keys)

    def rows(self, session: Any, txn: Any, params: Sequence[Any]) -> Sequence[tuple[Any, ...]] | None:
        """The LOOKUP's rows for ``params`` as ``txn`` sees them, or None when the general plan must run it."""
        g = getattr(session.db, "graph", None)
        keys = [params[a[1]] if a[0] == _PARAM else a[1] for a in self.keys]
        if g is None or any(k is not None and type(k) is not str for k in keys):
            return None
        try:
            return [tuple(r) for r in g.lookup(keys, txn=txn)]
        except Exception:  # noqa: BLE001 - the general plan runs it again and reports the error
            return None


def attach(session: Any, st: Any) -> Any:
    """``st`` with ``st.direct`` set to a :class:`DirectTraverse` or :class:`DirectLookup` when it is a recognized
    traversal or lookup; else ``st``."""
    if getattr(st, "direct", None) is not None or not st.columns:
        return st
    try:
        d = _recognize(st)
    except Exception:  # noqa: BLE001 - an unexpected shape just keeps the general plan
        d = None
    if d is not None:
        st.direct = d
    return st


def _recognize(st: Any) -> DirectTraverse | DirectLookup | None:
    from engine.sql.dialect import Lookup, Traverse
    from engine.sql.statements import parse_one

    if st.kind == "rem":
        node = parse_one(st.sql)
        if isinstance(node, Lookup):
            keys = [_arg(k, st.param_oids) for k in node.expressions]
            ok = all(k is not None and (k[1] is None or type(k[1]) is str if k[0] == _CONST
                                        else st.param_oids[k[1]] in (T.TEXT, T.VARCHAR)) for k in keys)
            return DirectLookup(keys) if ok and keys else None  # type: ignore[arg-type]
        return _dialect(node, st) if isinstance(node, Traverse) else None
    if st.kind != "select" or _FN not in st.sql.lower():
        return None
    node = parse_one(st.sql)
    if not isinstance(node, exp.Select) or any(v for k, v in node.args.items() if k not in _ALLOWED_ARGS):
        return None
    frm = node.args.get("from") or node.args.get("from_")
    tbl = frm.this if isinstance(frm, exp.From) else None
    if (not isinstance(tbl, exp.Table) or tbl.args.get("db") or tbl.args.get("catalog") or tbl.args.get("joins")
            or not isinstance(tbl.this, exp.Anonymous) or tbl.this.name.lower() != _FN):
        return None
    alias = tbl.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        return None
    explain = getattr(st, "explain", None)
    if explain is None or explain() != [f"Function Scan on {_FN}"]:
        return None
    cols = _columns(node, {tbl.alias_or_name, _FN})
    if cols is None or len(cols) != len(st.columns):
        return None
    if any(c.type_oid != TRAVERSE_COLUMNS[k][1] for c, k in zip(st.columns, cols, strict=True)):
        return None
    from engine.sql.named_args import bind

    args = [_arg(a, st.param_oids) for a in bind(_FN, list(tbl.this.expressions))]
    if len(args) > 5 or any(a is None for a in args):
        return None
    return DirectTraverse(args + [None] * (5 - len(args)), cols, dialect=False)


def _dialect(node: Any, st: Any) -> DirectTraverse | None:
    from engine.sql.remstmt import traverse_types

    if node.args.get("where") is not None:
        return None
    direction = node.args.get("direction")
    dname = direction.name if direction is not None else "out"  # as engine.sql.remstmt passes it
    lim = node.args.get("limit")
    limit = None if lim is None else _arg(lim.args.get("expression") or lim.this, st.param_oids)
    types = [_arg(e, st.param_oids) for e in traverse_types(node)]
    start = _arg(node.this, st.param_oids)
    depth = _arg(node.args["depth"], st.param_oids) if node.args.get("depth") is not None else (_CONST, 1)
    if start is None or depth is None or any(t is None or t[0] != _CONST for t in types) or (lim and limit is None):
        return None
    if start[0] == _PARAM and st.param_oids[start[1]] not in (T.TEXT, T.VARCHAR):
        return None
    tvals = (_CONST, [t[1] for t in types]) if types else None  # type: ignore[index]
    return DirectTraverse([start, depth, (_CONST, dname), tvals, limit], range(len(_NAMES)), dialect=True)


def _columns(node: exp.Select, quals: set[str]) -> list[int] | None:
    """TRAVERSE column numbers of the select list (plain columns of the function, ``*``), or None."""
    out: list[int] = []
    for e in node.expressions:
        if isinstance(e, exp.Star):
            out.extend(range(len(_NAMES)))
            continue
        c = e.this if isinstance(e, exp.Alias) else e
        if not (isinstance(c, exp.Column) and isinstance(c.this, exp.Identifier)) or c.args.get("db"):
            return None
        if c.table and c.table not in quals:
            return None
        name = c.this.name if c.this.quoted else c.this.name.lower()
        if name not in _NAMES:
            return None
        out.append(_NAMES.index(name))
    return out


def _arg(e: exp.Expression | None, param_oids: Sequence[int]) -> Arg | None:
    """Where an argument's value comes from: a parameter ``$n`` or a constant (string, integer, NULL, an
    ARRAY of strings); None for anything else."""
    if isinstance(e, exp.Parameter) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        i = int(e.this.name) - 1
        return (_PARAM, i) if 0 <= i < len(param_oids) else None
    if isinstance(e, exp.Null):
        return (_CONST, None)
    if isinstance(e, exp.Literal):
        if e.is_string:
            return (_CONST, e.name)
        return (_CONST, int(e.name)) if e.name.isdigit() else None
    if isinstance(e, exp.Array) and all(isinstance(x, exp.Literal) and x.is_string for x in e.expressions):
        return (_CONST, [x.name for x in e.expressions])
    return None
