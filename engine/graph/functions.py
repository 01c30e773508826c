"""SQL functions of the graph: rem_traverse / rem_lookup / rem_fuzzy (set-returning) and the edge writers.

``rem_add_edge``, ``rem_remove_edge`` and ``rem_rebuild_edges`` change edges only by updating the owning
row's ``edges`` field in the statement's transaction (``ctx.txn.update``): the single write path then
maintains the ``edges`` / ``edges_reverse`` column families and the commit hook updates the graph service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from engine import types as T
from engine.errors import ForeignKeyViolation, InternalError, InvalidParameterValue
from engine.functions import FunctionDef, register
from engine.graph.service import FUZZY_COLUMNS, LOOKUP_COLUMNS, TRAVERSE_COLUMNS, GraphService
from engine.schema.model import TableDef

Row = dict[str, Any]


def service(ctx: Any) -> GraphService:
    """The database's graph service."""
    g = getattr(ctx.db, "graph", None)
    if g is None:
        raise InternalError("the graph service is not running")
    return g


def _flat(args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flat(tuple(a)))
        elif a is not None:
            out.append(a)
    return out


def _text_array(v: Any) -> list[Any]:
    """A text[] argument; a string in array syntax (``'{a,b}'``, an untyped parameter) is parsed as one."""
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("{") and s.endswith("}"):
            from engine.textio import parse_text

            return [x for x in parse_text(T.array_of(T.TEXT), s) if x is not None]
        return [v]
    return _flat((v,))


def rem_traverse(ctx: Any, start: Any = None, depth: Any = 1, direction: Any = "out", types: Any = None,
                 max_results: Any = None, *, columns: Collection[str] | None = None) -> Iterable[tuple[Any, ...]]:
    """rem_traverse(start, depth => 1, direction => 'out', types => NULL): TRAVERSE as a table.

    ``columns``: the output columns the query uses (the planner's projection; None = all): the others are
    NULL and never built, so ``SELECT id, depth FROM rem_traverse(…)`` reads no row."""
    if start is None:
        return iter(())
    rows = service(ctx).traverse_rows(
        start if isinstance(start, uuid.UUID) else str(start),
        1 if depth is None else depth, "out" if direction is None else direction,
        None if types is None else _text_array(types), max_results, txn=ctx.txn, notice=ctx.notice,
        columns=columns,
    )
    return rows  # a column batch (engine.graph.batch): iterable, and projectable by the planner


def rem_lookup(ctx: Any, *keys: Any) -> Iterator[tuple[Any, ...]]:
    """rem_lookup(VARIADIC keys text[]): LOOKUP as a table."""
    return iter([tuple(r) for r in service(ctx).lookup([str(k) for k in _flat(keys)], txn=ctx.txn)])


def rem_fuzzy(ctx: Any, query: Any = None, threshold: Any = 0.3, max_results: Any = 10,
              table_name: Any = None) -> Iterator[tuple[Any, ...]]:
    """rem_fuzzy(query, threshold => 0.3, max_results => 10, table_name => NULL): FUZZY as a table."""
    if query is None:
        return iter(())
    rows = service(ctx).fuzzy(str(query), table_name, 0.3 if threshold is None else threshold,
                              max_results, txn=ctx.txn)
    return iter([tuple(r) for r in rows])


# --- writers ---------------------------------------------------------------------------------------------------

def _owners(ctx: Any, ref: Any) -> list[tuple[TableDef, Row]]:
    """Rows named by ``ref`` (uuid or key) as the transaction sees them."""
    g = service(ctx)
    txn = ctx.txn
    try:
        u = ref if isinstance(ref, uuid.UUID) else uuid.UUID(str(ref))
    except ValueError:
        u = None
    if u is not None:
        i = g.adj.index.get(u)
        oid = int(g.adj.table[i]) if i is not None else 0
        known = g.registry.get_by_oid(oid) if oid else None
        for t in ([known] if known is not None else []) + g.registry.tables():
            row = txn.get(t, [u])[0]
            if row is not None:
                return [(t, row)]
    found: list[tuple[TableDef, Row]] = []
    for oid, nid in txn.lookup_key(str(ref)):
        t = g.registry.get_by_oid(oid)
        row = txn.get(t, [nid])[0] if t is not None else None
        if t is not None and row is not None:
            found.append((t, row))
    return found


def _one(ctx: Any, ref: Any, what: str) -> tuple[TableDef, Row]:
    rows = _owners(ctx, ref)
    if not rows:
        raise ForeignKeyViolation(f'{what} entity "{ref}" does not exist',
                                  detail=f"No entity has id or key ({ref}).")
    if len(rows) > 1:
        raise InvalidParameterValue(
            f'{what} key "{ref}" names {len(rows)} entities ({", ".join(t.name for t, _ in rows)})',
            hint="Pass the entity's uuid instead of its key.")
    return rows[0]


def _edges_of(t: TableDef, row: Row) -> list[dict[str, Any]]:
    return [dict(e) for e in (row.get(t.system_column("edges")) or []) if isinstance(e, dict)]


def rem_add_edge(ctx: Any, src: Any, dst: Any, rel_type: Any, weight: Any = 1.0,
                 properties: Any = None) -> bool:
    """Add (or replace, by (dst, rel_type)) an edge of ``src``; true when it was new."""
    if src is None or dst is None or rel_type is None:
        raise InvalidParameterValue("rem_add_edge: src, dst and rel_type must not be null")
    w = 1.0 if weight is None else float(weight)
    if not 0.0 <= w <= 1.0:
        raise InvalidParameterValue(f"edge weight must be between 0 and 1, got {weight}")
    if properties is not None and not isinstance(properties, dict):
        raise InvalidParameterValue("edge properties must be a JSON object")
    t, row = _one(ctx, src, "source")
    dtab, drow = _one(ctx, dst, "target")
    dst_id = drow[dtab.id_column]
    edges = _edges_of(t, row)
    new = {"dst": dst_id, "rel_type": str(rel_type), "weight": w, "properties": properties or {},
           "created_at": dt.datetime.now(dt.UTC)}
    added = True
    for i, e in enumerate(edges):
        if _same(e, dst_id, str(rel_type)):
            new["created_at"] = e.get("created_at") or new["created_at"]
            edges[i] = new
            added = False
            break
    else:
        edges.append(new)
    row = dict(row)
    row[t.system_column("edges")] = edges
    ctx.txn.update(t, [row])
    return added


def _same(e: dict[str, Any], dst: uuid.UUID, rel: str) -> bool:
    d = e.get("dst")
    return str(d) == str(dst) and str(e.get("rel_type")) == rel


def rem_remove_edge(ctx: Any, src: Any, dst: Any, rel_type: Any) -> bool:
    """Remove the edge (src, dst, rel_type); true when there was one."""
    t, row = _one(ctx, src, "source")
    dst_ids = [str(u) for u in service(ctx).resolve(dst if isinstance(dst, uuid.UUID) else str(dst))]
    if not dst_ids:
        dst_ids = [str(r[dt_.id_column]) for dt_, r in _owners(ctx, dst)] or [str(dst)]
    edges = _edges_of(t, row)
    kept = [e for e in edges if not (str(e.get("dst")) in dst_ids and str(e.get("rel_type")) == str(rel_type))]
    if len(kept) == len(edges):
        return False
    row = dict(row)
    row[t.system_column("edges")] = kept
    ctx.txn.update(t, [row])
    return True


def rem_rebuild_edges(ctx: Any) -> int:
    """Re-derive the ``edges`` / ``edges_reverse`` column families from the rows (the storage engine's
    ``rebuild_edges``, through its single writer), then rebuild the graph service from them."""
    g = service(ctx)
    n = int(g.store.rebuild_edges())
    g.rebuild()
    return n


def register_all() -> None:
    """Register the graph's SQL functions."""
    register(FunctionDef("rem_traverse", rem_traverse, T.RECORD, None, strict=False, set_returning=True,
                         columns=TRAVERSE_COLUMNS, needs_ctx=True, prunes_columns=True,
                         arg_names=("start", "depth", "direction", "types", "max_results"),
                         description="breadth-first traversal from an entity (id or key)"))
    register(FunctionDef("rem_lookup", rem_lookup, T.RECORD, None, strict=False, set_returning=True,
                         columns=LOOKUP_COLUMNS, needs_ctx=True, variadic=True, arg_names=("keys",),
                         description="entities by key across all tables"))
    register(FunctionDef("rem_fuzzy", rem_fuzzy, T.RECORD, None, strict=False, set_returning=True,
                         columns=FUZZY_COLUMNS, needs_ctx=True,
                         arg_names=("query", "threshold", "max_results", "table_name"),
                         description="trigram-similar keys and names (pg_trgm similarity)"))
    register(FunctionDef("rem_add_edge", rem_add_edge, T.BOOL, None, strict=False, volatile=True,
                         needs_ctx=True, arg_names=("src", "dst", "rel_type", "weight", "properties"),
                         description="add or replace an edge of the source entity"))
    register(FunctionDef("rem_remove_edge", rem_remove_edge, T.BOOL, None, volatile=True, needs_ctx=True,
                         arg_names=("src", "dst", "rel_type"), description="remove an edge"))
    register(FunctionDef("rem_rebuild_edges", rem_rebuild_edges, T.INT8, (), strict=False, volatile=True,
                         needs_ctx=True, description="re-derive the edges column families from the rows"))


register_all()
