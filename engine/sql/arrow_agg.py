"""GROUP BY on pyarrow: for plain column keys and count/sum/min/max/avg over integer, text and fixed-scale
numeric columns, the grouping and accumulation run in Arrow's hash aggregation (C++), with PostgreSQL's result
types and NULL rules restored on the way out. Returns None when the shape is not one it handles exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute options)

from engine import types as T
from engine.sql import ops

_INTS = (T.INT2, T.INT4, T.INT8)
_TEXT = (T.TEXT, T.VARCHAR, T.NAME)
MIN_ROWS = 2000


def _arrow_type(oid: int, typmod: int) -> pa.DataType | None:
    if oid in _INTS:
        return pa.int64()
    if oid in _TEXT:
        return pa.string()
    if oid == T.NUMERIC and typmod >= 4:
        p, sc = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        return pa.decimal128(max(p, 1), sc) if p <= 38 else None
    if oid == T.BOOL:
        return pa.bool_()
    return None


def plan_spec(keys: list[Any], aggs: list[Any], cols: list[Any]) -> Any:
    """A reusable description of the aggregation, or None when Arrow cannot reproduce PostgreSQL exactly."""
    kidx = [getattr(f, "_col", None) for f in keys]
    if any(i is None for i in kidx):
        return None
    specs = []
    for a in aggs:
        if a.distinct or a.order or a.filt is not None:
            return None
        name = a.agg.name
        if a.star:
            if name != "count":
                return None
            specs.append(("count_all", None))
            continue
        if len(a.args) != 1 or getattr(a.args[0], "_col", None) is None:
            return None
        i = a.args[0]._col
        oid, typmod = cols[i].oid, cols[i].typmod
        if _arrow_type(oid, typmod) is None:
            return None
        if name == "count":
            specs.append(("count", i))
        elif name in ("min", "max") and oid != T.BOOL:
            specs.append((name, i))
        elif name == "sum" and oid in _INTS:
            specs.append(("sum", i))
        elif name == "avg" and oid in _INTS:
            specs.append(("avg", i))
        else:
            return None
    for i in kidx:
        if _arrow_type(cols[i].oid, cols[i].typmod) is None:
            return None
    return kidx, specs


def aggregate(rows: list[tuple[Any, ...]], spec: Any, cols: list[Any], aggs: list[Any]) -> list[tuple[Any, ...]]:
    kidx, specs = spec
    needed = sorted(set(kidx) | {i for _, i in specs if i is not None})
    arrays = {}
    for i in needed:
        arrays[f"c{i}"] = pa.array([r[i] for r in rows], type=_arrow_type(cols[i].oid, cols[i].typmod))
    one = pa.array([1] * len(rows), type=pa.int8())
    reqs = []
    for j, (kind, i) in enumerate(specs):  # one input column per aggregate: output names stay unique
        col = f"a{j}"
        arrays[col] = one if i is None else arrays[f"c{i}"]
        if kind == "count_all":
            reqs.append((col, "count", pa.compute.CountOptions(mode="all")))
        elif kind == "count":
            reqs.append((col, "count", pa.compute.CountOptions(mode="only_valid")))
        elif kind == "avg":
            reqs.append((col, "sum"))
            reqs.append((col, "count", pa.compute.CountOptions(mode="only_valid")))
        else:
            reqs.append((col, kind))
    table = pa.table(arrays)
    keys = [f"c{i}" for i in kidx]
    if keys:
        res = table.group_by(keys, use_threads=False).aggregate(reqs)
        out_cols = res.column_names
    else:
        res = table.group_by([], use_threads=False).aggregate(reqs) if len(rows) else None
        out_cols = res.column_names if res is not None else []
    if res is None:
        return []
    data = {n: res.column(n).to_pylist() for n in out_cols}
    agg_names = [n for n in out_cols if n not in keys]
    nrows = res.num_rows
    out = []
    pos = 0
    columns = []
    for kind, _ in specs:
        if kind == "avg":
            s, c = data[agg_names[pos]], data[agg_names[pos + 1]]
            columns.append([None if cn == 0 or sv is None else ops.numeric_div(Decimal(sv), Decimal(cn))
                            for sv, cn in zip(s, c, strict=True)])
            pos += 2
        else:
            vals = data[agg_names[pos]]
            if kind == "sum":
                vals = [None if v is None else v for v in vals]
            columns.append(vals)
            pos += 1
    # sum of int8 is numeric in PostgreSQL; sum of int2/int4 is int8 (overflow checked)
    for j, (kind, i) in enumerate(specs):
        if kind == "sum":
            if cols[i].oid == T.INT8:
                columns[j] = [None if v is None else Decimal(v) for v in columns[j]]
            else:
                columns[j] = [None if v is None else ops.check_int(T.INT8, v) for v in columns[j]]
    key_cols = [data[k] for k in keys]
    for r in range(nrows):
        out.append(tuple(kc[r] for kc in key_cols) + tuple(c[r] for c in columns))
    return out
