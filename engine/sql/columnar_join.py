"""Inner and left equi-joins of two (filtered) table scans on pyarrow (``Table.join``: Acero's hash join).

Shape served: ``Join(kind inner|left, equality keys only)`` whose sides are each a plain table scan or a scan with a
columnar WHERE (:func:`engine.sql.columnar_sort.source`), every key a plain column of its side, both key columns of
one Arrow type (``columns.arrow_type``; floats normalized so -0.0 matches 0.0). NULL keys never match (Acero's
default equality, as SQL's ``=``); a left join keeps its unmatched left rows with NULLs. Anything else — residual or
non-equi conditions, right/full joins, expressions or casts on a key, joins over joins or subqueries, types without
an exact Arrow image — returns None and the row path (:class:`engine.sql.plan.Join`) runs.

The join computes view positions only; the answer's rows are then materialized from the cached row dicts and put
in the row path's order (the left side's scan order, or — where the row path probes a hash of the larger,
outer-independent left side with the right rows — the right side's), so both paths give identical results.
The result depends on no outer row (a columnar filter never reads one), so it is computed once per statement.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.sql import columnar
from engine.sql.columnar_sort import _column, _plain, _selected, _servable, _tuples, no_gc, source
from engine.storage.columns import ColumnView, Unavailable, arrow_type

Row = tuple[Any, ...]
STATS = {"join": 0, "join_aggregate": 0}  # statements served (tests check the path is taken)
ENABLED = True  # benchmarks switch this path off alone (columnar.ENABLED switches every Arrow path)


def join_shape(join: Any) -> tuple[Any, Any, Any, Any, list[tuple[int, int]]] | None:
    """(left scan, left pred, right scan, right pred, [(left col, right col)]) when ``join`` can run on Arrow."""
    got = getattr(join, "_columnar", False)
    if got is not False:
        return got  # type: ignore[no-any-return]
    got = None
    if join.kind in ("inner", "left") and join.lkeys and join.residual is None:
        ls, rs = source(join.left), source(join.right)
        if ls is not None and rs is not None:
            pairs = [(_plain(a), _plain(b)) for a, b in zip(join.lkeys, join.rkeys, strict=True)]
            if all(i is not None and j is not None and _same_type(ls[0], i, rs[0], j) for i, j in pairs):
                got = (ls[0], ls[1], rs[0], rs[1], pairs)
    join._columnar = got
    return got


def _same_type(lscan: Any, i: int, rscan: Any, j: int) -> bool:
    if not (0 <= i < len(lscan.cols) and 0 <= j < len(rscan.cols)):
        return False
    if not (_servable(lscan, i) and _servable(rscan, j)):
        return False
    a, b = lscan.cols[i], rscan.cols[j]
    return arrow_type(a.oid, a.typmod) == arrow_type(b.oid, b.typmod)


def _rank(view: ColumnView, positions: Any) -> Any:
    """Keys ordering view ``positions`` as a row scan returns them."""
    if view.scan_ordered():
        return positions
    return view.rank_key().take(positions)


def _positions(join: Any, st: Any) -> tuple[Any, Any, Any, Any, Any, Any] | None:
    """(left scan, left view, right scan, right view, left positions, right positions) of the joined rows in the
    row path's order (right positions NULL for a left join's unmatched rows), or None."""
    shape = join_shape(join) if ENABLED else None
    if shape is None:
        return None
    lscan, lpred, rscan, rpred, pairs = shape
    lv, rv = columnar.view_for(lscan, st, 0), columnar.view_for(rscan, st, 0)
    if lv is None or rv is None or max(lv.n, rv.n) < columnar.MIN_ROWS:
        return None
    try:
        lsel, rsel = _selected(lv, lpred, st), _selected(rv, rpred, st)
        lt: dict[str, Any] = {}
        rt: dict[str, Any] = {}
        for n, (i, j) in enumerate(pairs):
            a, b = _column(lv, lscan, i), _column(rv, rscan, j)
            lt[f"k{n}"] = a if lsel is None else a.take(lsel)
            rt[f"k{n}"] = b if rsel is None else b.take(rsel)
        nl = lv.n if lsel is None else len(lsel)
        nr = rv.n if rsel is None else len(rsel)
        lt["l"] = pa.array(np.arange(nl, dtype=np.int64)) if lsel is None else lsel.cast(pa.int64())
        rt["r"] = pa.array(np.arange(nr, dtype=np.int64)) if rsel is None else rsel.cast(pa.int64())
        st.ctx.check_interrupts()
        out = pa.table(lt).join(pa.table(rt), keys=list(lt)[:-1], join_type=(
            "inner" if join.kind == "inner" else "left outer"))
        lpos, rpos = out["l"], out["r"]
        from engine.sql import plan

        order_t = {"a": _rank(lv, lpos), "b": _rank(rv, rpos)}
        probe_left = join.kind == "inner" and nl > nr and plan._pure(join.left)
        keys = [("b", "ascending"), ("a", "ascending")] if probe_left else [("a", "ascending"), ("b", "ascending")]
        order = pc.sort_indices(pa.table(order_t), sort_keys=keys)
        lpos, rpos = lpos.take(order), rpos.take(order)
    except Unavailable:
        return None
    except pa.ArrowException:  # a key type Acero cannot hash: the row path answers
        return None
    st.ctx.check_interrupts()
    return lscan, lv, rscan, rv, lpos, rpos


def joined_rows(join: Any, st: Any) -> list[Row] | None:
    """The rows of ``join`` (left row + right row) computed on Arrow, or None when the row path must run."""
    key = ("vt", "cjoin", id(join))
    got = st.cache.get(key)
    if got is not None:
        return got  # type: ignore[no-any-return]
    pos = _positions(join, st)
    if pos is None:
        return None
    lscan, lv, rscan, rv, lpos, rpos = pos
    STATS["join"] += 1
    left = _tuples(lv, lscan, lpos.to_numpy())
    if rpos.null_count:
        valid = pc.is_valid(rpos)
        matched = _tuples(rv, rscan, rpos.filter(valid).to_numpy())
        rnull = (None,) * len(rscan.names)
        it = iter(matched)
        with no_gc(len(matched)):
            right = [next(it) if v else rnull for v in valid.to_pylist()]
    else:
        right = _tuples(rv, rscan, rpos.to_numpy())
    with no_gc(len(left)):
        rows = [a + b for a, b in zip(left, right, strict=True)]
    st.cache[key] = rows
    return rows


def aggregate(join: Any, spec: Any, cols: list[Any], grouped: bool, st: Any) -> list[Row] | None:
    """GROUP BY directly above a columnar join, on Arrow: the aggregated columns are taken from both sides' column
    views at the joined positions (a left join's unmatched rows read NULLs), and no joined row is materialized."""
    from engine.sql import arrow_agg

    pos = _positions(join, st)
    if pos is None:
        return None
    lscan, lv, rscan, rv, lpos, rpos = pos
    nl = len(lscan.names)
    arrays: dict[int, Any] = {}
    try:
        for i in arrow_agg.spec_columns(spec):
            c = cols[i]
            if i < nl:
                arrays[i] = lv.column(lscan.names[i], c.oid, c.typmod).take(lpos)
            else:
                arrays[i] = rv.column(rscan.names[i - nl], c.oid, c.typmod).take(rpos)
        out = arrow_agg.aggregate_arrays(arrays, len(lpos), spec, cols, grouped)
    except Unavailable:
        return None
    except pa.ArrowException:
        return None
    STATS["join_aggregate"] += 1
    return out
