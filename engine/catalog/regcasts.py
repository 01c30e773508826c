"""The reg* types: text ↔ OID through the catalogs (``'pg_class'::regclass``, ``oid::regtype::text``).

Fills the types engineer's hooks: :data:`engine.textio.REG_PARSE` / :data:`engine.textio.REG_FORMAT` (input and
output functions) and :data:`engine.sql.casts.REG_CASTS` (casts from/to the string types). Those hooks get no
ExecContext, so name resolution uses the context bound by :func:`bind` (the executor calls it per statement;
every catalog scan and catalog function binds too), falling back to the last database seen.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from engine import types
from engine.catalog import names
from engine.catalog.objects import snapshot
from engine.catalog.pg_types import lookup_type, type_name
from engine.catalog.procs import proc_name, proc_oids
from engine.catalog.regvalue import RegOid
from engine.errors import (
    AmbiguousFunction,
    FeatureNotSupported,
    UndefinedFunction,
    UndefinedObject,
    UndefinedSchema,
    UndefinedTable,
)

_CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("rem_catalog_ctx", default=None)
_LAST: dict[str, Any] = {}


class _Detached:
    """What name resolution sees outside any statement: the last database, the default search path."""

    def __init__(self, db: Any = None) -> None:
        self.db = db
        self.session = None
        self.txn = None


def bind(ctx: Any) -> None:
    """Make ``ctx`` the context reg* conversions resolve names in (for this thread / task)."""
    _CURRENT.set(ctx)
    if getattr(ctx, "db", None) is not None:
        _LAST["db"] = ctx.db


def current() -> Any:
    """The bound context, or a detached one over the last database seen."""
    ctx = _CURRENT.get()
    return ctx if ctx is not None else _Detached(_LAST.get("db"))


# --- name → oid --------------------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    parts = names.parse_name(text)
    if len(parts) > 2:
        raise FeatureNotSupported(f"cross-database references are not implemented: {text}")
    return parts


def lookup_relation(ctx: Any, text: str) -> int | None:
    """The OID of relation ``text`` (qualified or found through the search path), or None."""
    parts = _split(text)
    snap = snapshot(ctx)
    from engine.sql.temp_relations import alias  # pg_temp.x: the session's temporary schema

    path = [alias(ctx.session, parts[0])] if len(parts) == 2 else names.search_path(ctx, set(snap.schemas))
    for schema in path:
        rel = snap.by_name.get((schema, parts[-1]))
        if rel is not None:
            return rel.oid
    return None


def lookup_proc(ctx: Any, text: str) -> int | None:
    """The OID of the one function named ``text``; AmbiguousFunction when several exist, None when none."""
    s = text.strip()
    if "(" in s:
        s = s[: s.index("(")]
    parts = _split(s)
    if len(parts) == 2 and parts[0] not in ("pg_catalog", "public"):
        return None
    found = proc_oids(parts[-1])
    if len(found) > 1:
        raise AmbiguousFunction(f'more than one function named "{text.strip()}"')
    return found[0] if found else None


def lookup_namespace(ctx: Any, text: str) -> int | None:
    """The OID of schema ``text``, or None."""
    parts = _split(text)
    if len(parts) != 1:
        raise UndefinedSchema(f'invalid name syntax: "{text}"')
    return snapshot(ctx).schemas.get(parts[0])


def lookup_role(ctx: Any, text: str) -> int | None:
    """The OID of role ``text``, or None."""
    from engine.catalog.roles import role_oid

    return role_oid(ctx, names.parse_name(text)[-1])


# --- oid → name --------------------------------------------------------------------------------------

def relation_text(ctx: Any, oid: int) -> str:
    from engine.catalog.deparse import rel_name

    return rel_name(ctx, oid) or str(oid)


def namespace_text(ctx: Any, oid: int) -> str:
    for name, noid in snapshot(ctx).schemas.items():
        if noid == oid:
            return names.quote_ident(name)
    return str(oid)


def role_text(ctx: Any, oid: int) -> str:
    from engine.catalog.roles import role_name

    n = role_name(ctx, oid)
    return names.quote_ident(n) if n else str(oid)


def proc_text(ctx: Any, oid: int) -> str:
    return proc_name(oid) or str(oid)


def procedure_text(ctx: Any, oid: int) -> str:
    from engine.catalog.procs import _PG_BY_OID, rem_procs

    row = _PG_BY_OID.get(oid) or next((r for r in rem_procs() if r[0] == oid), None)
    if row is None:
        return str(oid)
    return f"{row[1]}(" + ",".join(type_name(ctx, a) for a in row[5]) + ")"


_IN: dict[int, tuple[Callable[[Any, str], int | None], Callable[[str], Exception]]] = {
    types.REGCLASS: (lookup_relation, lambda t: UndefinedTable(f'relation "{t}" does not exist')),
    types.REGTYPE: (lookup_type, lambda t: UndefinedObject(f'type "{t}" does not exist')),
    types.REGPROC: (lookup_proc, lambda t: UndefinedFunction(f'function "{t}" does not exist')),
    types.REGPROCEDURE: (lookup_proc, lambda t: UndefinedFunction(f'function "{t}" does not exist')),
    types.REGNAMESPACE: (lookup_namespace, lambda t: UndefinedSchema(f'schema "{t}" does not exist')),
    types.REGROLE: (lookup_role, lambda t: UndefinedObject(f'role "{t}" does not exist')),
}
_OUT: dict[int, Callable[[Any, int], str]] = {
    types.REGCLASS: relation_text, types.REGTYPE: type_name, types.REGPROC: proc_text,
    types.REGPROCEDURE: procedure_text, types.REGNAMESPACE: namespace_text, types.REGROLE: role_text,
}


def reg_in(ctx: Any, reg_oid: int, text: str, missing_ok: bool = False) -> RegOid | None:
    """A reg* input function: digits are an OID as is; ``-`` is 0; else the name is looked up."""
    s = text.strip()
    if s.isdigit():
        oid = int(s)
        return RegOid(oid, reg_out(ctx, reg_oid, oid))
    if s == "-" and reg_oid in (types.REGPROC, types.REGPROCEDURE):
        return RegOid(0, "-")
    find, err = _IN[reg_oid]
    try:
        oid = find(ctx, s)
    except Exception:
        if missing_ok:
            return None
        raise
    if oid is None:
        if missing_ok:
            return None
        raise err(s)
    return RegOid(oid, reg_out(ctx, reg_oid, oid))


def reg_out(ctx: Any, reg_oid: int, oid: int) -> str:
    """A reg* output function: the object's name (``-`` for 0, digits for an unknown OID)."""
    if oid == 0:
        return "-"
    return _OUT[reg_oid](ctx, int(oid))


def reg_cast(value: Any, from_oid: int, to_oid: int, ctx: Any = None) -> Any:
    """``value::to_oid`` where one side is a reg* type and the other a string / integer / oid / reg* type."""
    ctx = ctx or current()
    if to_oid in _IN and isinstance(value, str):
        return reg_in(ctx, to_oid, value)
    if to_oid in _IN:
        return RegOid(int(value), reg_out(ctx, to_oid, int(value)))
    if from_oid in _OUT and to_oid in _STRINGS:
        return reg_out(ctx, from_oid, int(value))
    return int(value)


_STRINGS = (types.TEXT, types.VARCHAR, types.BPCHAR, types.NAME, types.UNKNOWN, types.CSTRING)


def install() -> None:
    """Fill the reg* hooks of engine.textio and engine.sql.casts (when those modules exist)."""
    try:
        from engine import textio
    except ImportError:
        textio = None  # type: ignore[assignment]
    if textio is not None:
        for reg in _IN:
            textio.REG_PARSE[reg] = lambda text, _r=reg: reg_in(current(), _r, text)  # type: ignore[misc]
            textio.REG_FORMAT[reg] = lambda oid, _r=reg: reg_out(current(), _r, oid)
    try:
        from engine.sql import casts
    except ImportError:
        return
    for reg in _IN:
        for s in _STRINGS:
            casts.REG_CASTS[(s, reg)] = lambda v, _s=s, _r=reg: reg_cast(v, _s, _r)
            casts.REG_CASTS[(reg, s)] = lambda v, _s=s, _r=reg: reg_cast(v, _r, _s)

