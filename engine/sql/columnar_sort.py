"""ORDER BY [LIMIT/OFFSET] and SELECT DISTINCT over a (filtered) table scan on pyarrow.

Shapes served (plan steps of :mod:`engine.sql.plan`): ``Sort(Project(Scan | Filter(Scan)))`` — with a LIMIT
above it (:class:`plan.Limit` passes ``offset + count`` down) the sort is a top-k (``select_k_unstable``), without
one a full ``sort_indices`` — and ``Distinct(Project(Scan | Filter(Scan)))`` (``Table.group_by``). The scan is a
plain table scan, the filter has a columnar form (:class:`engine.sql.columnar.VecPred`), every sort key / DISTINCT
column is a plain column of the scan whose SQL type has an exact Arrow image (``columns.arrow_type``: integers,
floats without NaN, text/varchar/name, bool, numeric(p,s), date, timestamp[tz]); anything else returns None and the
row path runs.

Semantics equal the row path's (and PostgreSQL's with the reference server's C collation): text orders by code
point (UTF-8 byte order = Python ``str`` order), NULLs per key (default last for ASC, first for DESC), and ties
keep row-scan order — the sort is stable over the view when the view is in scan order, and otherwise the row ids
(:meth:`ColumnView.rank_key`) break ties, so both paths return the same rows in the same order. Only the rows
of the answer are materialized (the cached row dicts, through :meth:`ColumnView.rows_at`), then projected.
With a LIMIT the projection must be plain columns (an expression would be evaluated — and could fail — on
every row by the row path and by PostgreSQL).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.sql import columnar
from engine.storage.columns import ColumnView, Unavailable

Row = tuple[Any, ...]
STATS = {"sort": 0, "topk": 0, "distinct": 0}  # statements served (tests check the path is taken)
ENABLED = True  # benchmarks switch these paths off alone (columnar.ENABLED switches every Arrow path)


def source(step: Any) -> tuple[Any, Any] | None:
    """(scan, VecPred | None) when ``step`` is a plain table scan or a columnar-filtered one, else None."""
    from engine.sql import plan

    if isinstance(step, plan.Filter):
        scan = step.columnar_scan()
        return (scan, step.vec) if scan is not None else None
    if isinstance(step, plan.Scan) and step.access is None:
        return step, None
    return None


def _plain(fn: Any) -> int | None:
    return getattr(fn, "_col", None)


def sort_shape(sort: Any) -> tuple[Any, Any, Any, list[tuple[int, bool, bool]]] | None:
    """(project, scan, pred, [(scan column, descending, nulls first)]) when ``sort`` can run on Arrow."""
    from engine.sql import plan

    got = getattr(sort, "_columnar", False)
    if got is not False:
        return got  # type: ignore[no-any-return]
    got = None
    proj = sort.child
    if isinstance(proj, plan.Project):
        src = source(proj.child)
        if src is not None:
            keys = []
            for f, desc, nf in sort.keys:
                k = _plain(f)
                j = _plain(proj.fns[k]) if k is not None and k < len(proj.fns) else None
                if j is None or not _servable(src[0], j):
                    keys = None
                    break
                keys.append((j, desc, nf))
            if keys:
                got = (proj, src[0], src[1], keys)
    sort._columnar = got
    return got


def _servable(scan: Any, j: int) -> bool:
    from engine.storage.columns import arrow_type

    c = scan.cols[j]
    return arrow_type(c.oid, c.typmod) is not None


def _column(view: ColumnView, scan: Any, j: int) -> Any:
    c = scan.cols[j]
    a = view.column(scan.names[j], c.oid, c.typmod)
    if pa.types.is_floating(a.type):
        a = pc.add(a, 0.0)  # -0.0 → 0.0: SQL (and Python) treat them as equal
    return a


def _selected(view: ColumnView, pred: Any, st: Any) -> Any:
    """The view positions WHERE admits (None: every row)."""
    if pred is None:
        return None
    m = pred.mask(view, st)
    return pc.indices_nonzero(m.fill_null(False) if m.null_count else m)


BULK = 50_000  # materializing more rows than this runs with the cyclic GC paused


@contextmanager
def no_gc(n: int) -> Iterator[None]:
    """Pause the cyclic GC while ``n`` (if many) new row tuples are built: they hold no cycles, and with a large
    cache alive each young-generation pass would walk them (measured: 2/3 of a 200,000-row join's time)."""
    was = n >= BULK and gc.isenabled()
    if was:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _tuples(view: ColumnView, scan: Any, positions: Any) -> list[Row]:
    return _pick(view, scan.names, positions)


def _pick(view: ColumnView, names: list[str], positions: Any) -> list[Row]:
    """Tuples of columns ``names`` of the rows at view ``positions``."""
    with no_gc(len(positions)):
        rows = view.rows_at(positions)
        get = itemgetter(*names) if len(names) > 1 else (lambda r, n=names[0]: (r[n],))
        try:
            return [get(r) for r in rows]
        except KeyError:  # a row written before a column existed
            return [tuple(map(r.get, names)) for r in rows]


def _output(view: ColumnView, scan: Any, proj: Any, positions: Any, st: Any) -> list[Row]:
    """The projected rows at view ``positions``: plain columns straight from the row dicts, else through
    the scan tuples and the projection's row functions."""
    cols = [_plain(f) for f in proj.fns]
    if None in cols:
        return _project(proj, _tuples(view, scan, positions), st)
    return _pick(view, [scan.names[j] for j in cols], positions)  # type: ignore[index]


def _project(proj: Any, rows: list[Row], st: Any) -> list[Row]:
    fns = proj.fns
    if len(fns) == 1:
        f = fns[0]
        return [(f(r, st),) for r in rows]
    with no_gc(len(rows)):
        return [tuple([f(r, st) for f in fns]) for r in rows]


def sorted_rows(sort: Any, st: Any, limit: int | None) -> list[Row] | None:
    """The rows of ``sort`` (the first ``limit`` of them when given) computed on Arrow, or None."""
    shape = sort_shape(sort) if ENABLED else None
    if shape is None:
        return None
    proj, scan, pred, keys = shape
    if limit is not None and any(_plain(f) is None for f in proj.fns):
        return None
    view = columnar.view_for(scan, st)
    if view is None:
        return None
    if limit is not None and limit <= 0:
        return []
    try:
        sel = _selected(view, pred, st)
        arrays: dict[str, Any] = {}
        sort_keys: list[tuple[str, str, str]] = []
        for n, (j, desc, nf) in enumerate(keys):
            name = f"k{n}"
            a = _column(view, scan, j)
            arrays[name] = a if sel is None else a.take(sel)
            sort_keys.append((name, "descending" if desc else "ascending", "at_start" if nf else "at_end"))
        n = view.n if sel is None else len(sel)
        topk = limit is not None and limit < n
        if not view.scan_ordered():  # ties: row-scan order is key order of the ids
            r = view.rank_key()
            arrays["rank"] = r if sel is None else r.take(sel)
            sort_keys.append(("rank", "ascending", "at_end"))
        elif topk:  # select_k is not stable: view position breaks ties
            arrays["rank"] = pa.array(np.arange(n, dtype=np.int64)) if sel is None else sel
            sort_keys.append(("rank", "ascending", "at_end"))
        table = pa.table(arrays)
        st.ctx.check_interrupts()
        if topk:
            order = pc.select_k_unstable(table, limit, sort_keys=sort_keys)
        else:
            order = pc.sort_indices(table, sort_keys=sort_keys)
        positions = order if sel is None else sel.take(order)
    except Unavailable:
        return None
    except pa.ArrowException:  # a kernel Arrow lacks for this type: the row path answers
        return None
    STATS["topk" if topk else "sort"] += 1
    return _output(view, scan, proj, positions.to_numpy(), st)


def distinct_shape(dist: Any) -> tuple[Any, Any, Any, list[int]] | None:
    """(project, scan, pred, scan columns) when ``SELECT DISTINCT`` over plain columns can run on Arrow."""
    from engine.sql import plan

    got = getattr(dist, "_columnar", False)
    if got is not False:
        return got  # type: ignore[no-any-return]
    got = None
    proj = dist.child
    if dist.on is None and isinstance(proj, plan.Project) and proj.fns:
        src = source(proj.child)
        cols = [_plain(f) for f in proj.fns]
        if src is not None and all(j is not None and _servable(src[0], j) for j in cols):
            got = (proj, src[0], src[1], list(dict.fromkeys(cols)))  # type: ignore[arg-type]
    dist._columnar = got
    return got


def distinct_rows(dist: Any, st: Any) -> list[Row] | None:
    """``SELECT DISTINCT`` rows on Arrow, in the row path's order (first occurrence in a row scan), or None."""
    shape = distinct_shape(dist) if ENABLED else None
    if shape is None:
        return None
    proj, scan, pred, cols = shape
    view = columnar.view_for(scan, st)
    if view is None:
        return None
    try:
        sel = _selected(view, pred, st)
        n = view.n if sel is None else len(sel)
        arrays: dict[str, Any] = {}
        for j in cols:
            a = _column(view, scan, j)
            arrays[f"c{j}"] = a if sel is None else a.take(sel)
        arrays["pos"] = pa.array(np.arange(n, dtype=np.int64)) if sel is None else sel.cast(pa.int64())
        aggs = [("pos", "min")]
        if not view.scan_ordered():
            r = view.rank_key()
            arrays["rank"] = r if sel is None else r.take(sel)
            aggs.append(("rank", "min"))
        st.ctx.check_interrupts()
        groups = pa.table(arrays).group_by([f"c{j}" for j in cols], use_threads=False).aggregate(aggs)
        first = groups["rank_min" if len(aggs) > 1 else "pos_min"]
        positions = groups["pos_min"].take(pc.sort_indices(first))
    except Unavailable:
        return None
    except pa.ArrowException:
        return None
    STATS["distinct"] += 1
    return _output(view, scan, proj, positions.to_numpy(), st)
