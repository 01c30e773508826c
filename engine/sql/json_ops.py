"""json/jsonb operator semantics: -> ->> #> #>> @> <@ ? ?| ?& || - #- and jsonb ordering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.errors import DataException, InvalidParameterValue
from engine.textio_json import format_json, normalize_jsonb
from engine.types import JSON_NULL


def is_null(v: Any) -> bool:
    return v is None or v is JSON_NULL


def box(v: Any) -> Any:
    """A JSON value as a top-level SQL value (JSON null → JSON_NULL)."""
    return JSON_NULL if v is None else v


def get_field(v: Any, key: Any) -> Any:
    """``v -> key`` (text key or int index); SQL NULL when absent."""
    if isinstance(key, str):
        if isinstance(v, dict) and key in v:
            return box(v[key])
        return None
    if isinstance(v, list):
        i = int(key)
        if i < 0:
            i += len(v)
        if 0 <= i < len(v):
            return box(v[i])
    return None


def as_text(v: Any, jsonb: bool = True) -> str | None:
    """``->>`` of an extracted value: strings unquoted, JSON null → SQL NULL, others as JSON text."""
    if is_null(v):
        return None
    if isinstance(v, str):
        return v
    return format_json(v, sort=jsonb, compact=not jsonb)


def get_text(v: Any, key: Any, jsonb: bool = True) -> str | None:
    return as_text(get_field(v, key), jsonb)


def get_path(v: Any, path: list) -> Any:
    """``v #> path``."""
    cur = v
    for p in path:
        if p is None:
            return None
        if isinstance(cur, dict):
            cur = cur.get(p, _MISSING)
        elif isinstance(cur, list):
            try:
                i = int(p)
            except (TypeError, ValueError):
                return None
            if i < 0:
                i += len(cur)
            cur = cur[i] if 0 <= i < len(cur) else _MISSING
        else:
            return None
        if cur is _MISSING:
            return None
    return box(cur)


_MISSING = object()


def get_path_text(v: Any, path: list, jsonb: bool = True) -> str | None:
    return as_text(get_path(v, path), jsonb)


# --------------------------------------------------------------------------- equality and ordering
def _kind(v: Any) -> int:
    if is_null(v):
        return 0
    if isinstance(v, str):
        return 1
    if isinstance(v, bool):
        return 3
    if isinstance(v, (int, float, Decimal)):
        return 2
    if isinstance(v, list):
        return 4
    return 5


def _num(v: Any) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def jsonb_cmp(a: Any, b: Any) -> int:
    """PostgreSQL's jsonb ordering: object > array > boolean > number > string > null."""
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return -1 if ka < kb else 1
    if ka == 0:
        return 0
    if ka == 1:
        ba, bb = a.encode(), b.encode()
        return (ba > bb) - (ba < bb)
    if ka == 2:
        na, nb = _num(a), _num(b)
        return (na > nb) - (na < nb)
    if ka == 3:
        return (a > b) - (a < b)
    if ka == 4:
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
        for x, y in zip(a, b, strict=True):
            c = jsonb_cmp(x, y)
            if c:
                return c
        return 0
    if len(a) != len(b):
        return -1 if len(a) < len(b) else 1
    na, nb = normalize_jsonb(a), normalize_jsonb(b)
    for k1, k2 in zip(na, nb, strict=True):
        c = jsonb_cmp(k1, k2)
        if c:
            return c
    for (_, v1), (_, v2) in zip(na.items(), nb.items(), strict=True):
        c = jsonb_cmp(v1, v2)
        if c:
            return c
    return 0


def jsonb_eq(a: Any, b: Any) -> bool:
    return jsonb_cmp(a, b) == 0


def contains(a: Any, b: Any, top: bool = True) -> bool:
    """``a @> b``."""
    if isinstance(a, dict):
        if not isinstance(b, dict):
            return False
        for k, bv in b.items():
            if k not in a or not contains(a[k], bv, False):
                return False
        return True
    if isinstance(a, list):
        if isinstance(b, list):
            for bv in b:
                if isinstance(bv, (list, dict)):
                    if not any(isinstance(av, type(bv)) and contains(av, bv, False) for av in a):
                        return False
                elif not any(_kind(av) == _kind(bv) and jsonb_eq(av, bv) for av in a):
                    return False
            return True
        if top and not isinstance(b, dict):  # a raw scalar is contained in a top-level array
            return any(_kind(av) == _kind(b) and jsonb_eq(av, b) for av in a)
        return False
    if isinstance(b, (list, dict)):
        return False
    return _kind(a) == _kind(b) and jsonb_eq(a, b)


def exists(v: Any, key: str) -> bool:
    """``v ? key``: a top-level key, or a string element of an array, or the string itself."""
    if isinstance(v, dict):
        return key in v
    if isinstance(v, list):
        return any(isinstance(x, str) and x == key for x in v)
    return isinstance(v, str) and v == key


def exists_any(v: Any, keys: list) -> bool:
    return any(k is not None and exists(v, k) for k in keys)


def exists_all(v: Any, keys: list) -> bool:
    return all(k is None or exists(v, k) for k in keys)


def concat(a: Any, b: Any) -> Any:
    """``jsonb || jsonb``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return normalize_jsonb({**a, **b})
    la = a if isinstance(a, list) else [None if a is JSON_NULL else a]
    lb = b if isinstance(b, list) else [None if b is JSON_NULL else b]
    return la + lb


def delete(v: Any, key: Any) -> Any:
    """``jsonb - text``, ``jsonb - int``, ``jsonb - text[]``."""
    if isinstance(key, list):
        out = v
        for k in key:
            if k is not None:
                out = delete(out, k)
        return out
    if isinstance(key, str):
        if isinstance(v, dict):
            return {k: x for k, x in v.items() if k != key}
        if isinstance(v, list):
            return [x for x in v if not (isinstance(x, str) and x == key)]
        raise InvalidParameterValue("cannot delete from scalar")
    if isinstance(v, list):
        i = int(key)
        if i < 0:
            i += len(v)
        return [x for j, x in enumerate(v) if j != i]
    if isinstance(v, dict):
        raise InvalidParameterValue("cannot delete from object using integer index")
    raise InvalidParameterValue("cannot delete from scalar")


def delete_path(v: Any, path: list) -> Any:
    """``jsonb #- text[]``."""
    if not path or not isinstance(v, (dict, list)):
        if not isinstance(v, (dict, list)):
            raise InvalidParameterValue("cannot delete path in scalar")
        return v
    head, rest = path[0], path[1:]
    if isinstance(v, dict):
        if head not in v:
            return v
        if not rest:
            return {k: x for k, x in v.items() if k != head}
        child = v[head]
        return {**v, head: delete_path(child, rest) if isinstance(child, (dict, list)) else child}
    try:
        i = int(head)
    except (TypeError, ValueError):
        raise DataException(f'path element at position 1 is not an integer: "{head}"') from None
    if i < 0:
        i += len(v)
    if not 0 <= i < len(v):
        return v
    if not rest:
        return v[:i] + v[i + 1:]
    child = v[i]
    return v[:i] + [delete_path(child, rest) if isinstance(child, (dict, list)) else child] + v[i + 1:]
