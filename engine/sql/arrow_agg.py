"""GROUP BY on pyarrow: for plain column keys and count/sum/min/max/avg over integer, text and fixed-scale
numeric columns (count over any column with an Arrow image), the grouping and accumulation run in Arrow's hash
aggregation (C++), with PostgreSQL's result types and NULL rules restored on the way out. ``plan_spec`` returns
None when the shape is not one it handles exactly.

Two entry points share the work: :func:`aggregate` takes row tuples (the row path), :func:`aggregate_arrays`
takes Arrow arrays already in columnar form (``engine.sql.columnar``, straight from the column cache)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute options)

from engine import types as T
from engine.sql import ops
from engine.storage.columns import arrow_type

_INTS = (T.INT2, T.INT4, T.INT8)
_TEXT = (T.TEXT, T.VARCHAR, T.NAME)
_KEYS = _INTS + _TEXT + (T.NUMERIC, T.BOOL)  # group keys whose Arrow values read back exactly
MIN_ROWS = 2000
_SUM_DECIMAL_MAX_PRECISION = 18  # a sum of < 10^20 such values fits decimal128(38)


def _arrow_type(oid: int, typmod: int) -> pa.DataType | None:
    """Arrow type of a key or min/max/sum/avg input (None: not handled here)."""
    return arrow_type(oid, typmod) if oid in _KEYS else None


def _decimal_precision(typmod: int) -> int:
    return (typmod - 4) >> 16


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
        if name == "count":
            if arrow_type(oid, typmod) is None:
                return None
            specs.append(("count", i))
            continue
        if _arrow_type(oid, typmod) is None:
            return None
        if name in ("min", "max") and oid != T.BOOL:
            specs.append((name, i))
        elif name in ("sum", "avg") and (oid in _INTS or (
                oid == T.NUMERIC and _decimal_precision(typmod) <= _SUM_DECIMAL_MAX_PRECISION)):
            specs.append((name, i))
        else:
            return None
    for i in kidx:
        if _arrow_type(cols[i].oid, cols[i].typmod) is None:
            return None
    return kidx, specs


def spec_columns(spec: Any) -> list[int]:
    """Input column indexes the aggregation reads."""
    kidx, specs = spec
    return sorted(set(kidx) | {i for _, i in specs if i is not None})


def aggregate(rows: list[tuple[Any, ...]], spec: Any, cols: list[Any], aggs: list[Any]) -> list[tuple[Any, ...]]:
    """The aggregation over row tuples (the caller handles zero rows without GROUP BY)."""
    arrays = {}
    for i in spec_columns(spec):
        arrays[i] = pa.array([r[i] for r in rows], type=arrow_type(cols[i].oid, cols[i].typmod))
    return aggregate_arrays(arrays, len(rows), spec, cols, True)


def aggregate_arrays(arrays: dict[int, Any], n: int, spec: Any, cols: list[Any],
                     grouped: bool) -> list[tuple[Any, ...]]:
    """The aggregation over Arrow arrays of ``n`` rows (``arrays``: input column index → array)."""
    kidx, specs = spec
    if n == 0:
        if grouped:
            return []
        return [tuple(0 if kind in ("count", "count_all") else None for kind, _ in specs)]
    data_cols: dict[str, Any] = {f"c{i}": arrays[i] for i in spec_columns(spec)}
    one = None
    reqs: list[tuple[Any, ...]] = []
    for j, (kind, i) in enumerate(specs):  # one input column per aggregate: output names stay unique
        col = f"a{j}"
        if i is None:
            if one is None:
                one = pa.repeat(pa.scalar(1, pa.int8()), n)
            data_cols[col] = one
        elif kind in ("sum", "avg") and cols[i].oid == T.INT8:  # int64 sums would wrap: sum exactly
            data_cols[col] = data_cols[f"c{i}"].cast(pa.decimal128(38, 0))
        else:
            data_cols[col] = data_cols[f"c{i}"]
        if kind == "count_all":
            reqs.append((col, "count", pa.compute.CountOptions(mode="all")))
        elif kind == "count":
            reqs.append((col, "count", pa.compute.CountOptions(mode="only_valid")))
        elif kind == "avg":
            reqs.append((col, "sum"))
            reqs.append((col, "count", pa.compute.CountOptions(mode="only_valid")))
        else:
            reqs.append((col, kind))
    table = pa.table(data_cols)
    keys = [f"c{i}" for i in kidx]
    res = table.group_by(keys, use_threads=False).aggregate(reqs)
    out_cols = res.column_names
    data = {c: res.column(c).to_pylist() for c in out_cols}
    agg_names = [c for c in out_cols if c not in keys]
    pos = 0
    columns = []
    for kind, i in specs:
        if kind == "avg":
            s, c = data[agg_names[pos]], data[agg_names[pos + 1]]
            columns.append([None if cn == 0 or sv is None else ops.numeric_div(Decimal(sv), Decimal(cn))
                            for sv, cn in zip(s, c, strict=True)])
            pos += 2
            continue
        vals = data[agg_names[pos]]
        pos += 1
        if kind == "sum":  # sum of int8 is numeric in PostgreSQL; of int2/int4 int8 (overflow checked)
            oid = cols[i].oid
            if oid == T.INT8:
                vals = [None if v is None else Decimal(v) for v in vals]
            elif oid in _INTS:
                vals = [None if v is None else ops.check_int(T.INT8, v) for v in vals]
        columns.append(vals)
    key_cols = [data[k] for k in keys]
    return [tuple(kc[r] for kc in key_cols) + tuple(c[r] for c in columns) for r in range(res.num_rows)]
