"""Two-argument statistics aggregates (``corr``, ``covar_*``, ``regr_*``) and ``bit_xor``, for names that
engine.sql.aggregates does not define.

The ``(y, x)`` aggregates accumulate N, Sx, Sxx, Sy, Syy and Sxy with the Youngs-Cramer update that PostgreSQL's
``float8_regr_accum`` uses. Their final functions are PostgreSQL's too, so results match it to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine import types as T
from engine.errors import UndefinedFunction
from engine.sql.aggregates import Agg
from engine.sql.sqltypes import INTS, type_name

_NUMS = (*INTS, T.NUMERIC, T.FLOAT4, T.FLOAT8, T.UNKNOWN)
State = list[float]


def _final(name: str) -> Callable[[State], Any]:
    def f(s: State) -> Any:
        n, sx, sxx, sy, syy, sxy = s
        if name == "regr_count":
            return int(n)
        if n < 1:
            return None
        if name == "covar_pop":
            return sxy / n
        if name == "covar_samp":
            return None if n < 2 else sxy / (n - 1.0)
        if name == "corr":
            return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)
        if name == "regr_slope":
            return None if sxx == 0 else sxy / sxx
        if name == "regr_intercept":
            return None if sxx == 0 else (sy - sx * sxy / sxx) / n
        if name == "regr_r2":
            if sxx == 0:
                return None
            return 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)
        return {"regr_avgx": sx / n, "regr_avgy": sy / n, "regr_sxx": sxx, "regr_syy": syy, "regr_sxy": sxy}[name]
    return f


def _accum(s: State, a: list[Any]) -> State:
    y, x = float(a[0]), float(a[1])
    old = s[0]
    n = old + 1.0
    s[0] = n
    s[1] += x
    s[3] += y
    if old > 0.0:
        tx, ty = x * n - s[1], y * n - s[3]
        scale = 1.0 / (n * old)
        s[2] += tx * tx * scale
        s[4] += ty * ty * scale
        s[5] += tx * ty * scale
    return s


NAMES = ("corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_count", "regr_avgx",
         "regr_avgy", "regr_sxx", "regr_syy", "regr_sxy", "bit_xor")


def make(name: str, oids: list[int]) -> Agg | None:
    """The aggregate ``name(oids)``, None when this module does not define ``name``."""
    if name not in NAMES:
        return None
    sig = ", ".join(type_name(o) for o in oids)
    if name == "bit_xor":
        if len(oids) != 1 or oids[0] not in INTS:
            raise UndefinedFunction(f"function bit_xor({sig}) does not exist")
        return Agg(name, oids[0], lambda: None, lambda s, a: a[0] if s is None else s ^ a[0], lambda s: s)
    if len(oids) != 2 or any(o not in _NUMS for o in oids):
        raise UndefinedFunction(f"function {name}({sig}) does not exist")
    return Agg(name, T.INT8 if name == "regr_count" else T.FLOAT8, lambda: [0.0] * 6, _accum, _final(name))
