"""pg_proc: REM's SQL functions (engine.functions) with PostgreSQL's OIDs and signatures where they match."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import functions, types
from engine.catalog import _pg_data, oids
from engine.catalog._rows import register
from engine.catalog.regvalue import RegOid

# (oid, name, kind, retset, rettype, argtypes, nargs, variadic, nargdefaults, volatile, strict, lang)
_PG_BY_OID: dict[int, tuple] = {r[0]: r for r in _pg_data.PROCS}
_PG_BY_NAME: dict[str, list[tuple]] = {}
for _r in _pg_data.PROCS:
    _PG_BY_NAME.setdefault(_r[1], []).append(_r)


def proc_name(oid: int) -> str | None:
    """The name of the function with this OID (PostgreSQL's built-ins and REM's), or None."""
    r = _PG_BY_OID.get(oid)
    if r:
        return str(r[1])
    if oid >= oids.FIRST_DERIVED:
        for row in rem_procs():
            if row[0] == oid:
                return str(row[1])
    return None


def proc_oids(name: str) -> list[int]:
    """OIDs of every function called ``name``: PostgreSQL's built-ins of that name, else REM's own."""
    pg = _PG_BY_NAME.get(name)
    if pg:
        return [r[0] for r in pg]
    return [r[0] for r in rem_procs() if r[1] == name]


def regproc(name: str) -> RegOid:
    """A regproc value for the built-in function ``name`` (``-`` / 0 when there is none)."""
    if not name or name == "-":
        return RegOid(0, "-")
    hit = _REGPROC.get(name)
    if hit is None:
        oid = proc_oids(name)
        hit = RegOid(oid[0] if oid else oids.name_oid(oids.OTHER, f"proc:{name}"), name)
        if name in _PG_BY_NAME or not oid:
            _REGPROC[name] = hit
    return hit


_REGPROC: dict[str, RegOid] = {}


def regproc_by_oid(oid: int) -> RegOid:
    """A regproc value for a function OID."""
    return RegOid(oid, proc_name(oid) or "-") if oid else RegOid(0, "-")


_REM_CACHE: dict[str, Any] = {}


def rem_procs() -> list[tuple]:
    """pg_proc-shaped tuples for every function REM registers, PostgreSQL's rows where the name is built in."""
    reg = functions.all_functions()
    key = (len(reg), sum(map(len, reg.values())))
    if _REM_CACHE.get("key") == key:
        return _REM_CACHE["rows"]  # type: ignore[no-any-return]
    rows: list[tuple] = []
    for name in sorted(reg):
        overloads = reg[name]
        pg = _PG_BY_NAME.get(name)
        if pg:
            rows.extend(pg)
            continue
        for k, fn in enumerate(overloads):
            args = tuple(fn.arg_oids or ())
            ret = fn.return_oid if isinstance(fn.return_oid, int) else types.ANY
            kind = "a" if fn.aggregate else "f"
            rows.append((oids.name_oid(oids.OTHER, f"fn:{name}:{k}"), name, kind, fn.set_returning, ret, args,
                         len(args), types.ANY if fn.variadic else 0, 0, "v" if fn.volatile else "s", fn.strict,
                         oids.LANG_INTERNAL))
    _REM_CACHE["key"], _REM_CACHE["rows"] = key, rows
    return rows


def _pg_proc(ctx: Any) -> Iterator[dict[str, Any]]:
    for oid, name, kind, retset, ret, args, nargs, variadic, ndef, vol, strict, lang in rem_procs():
        yield {
            "oid": oid, "proname": name, "pronamespace": oids.PG_CATALOG if oid in _PG_BY_OID else oids.PUBLIC,
            "proowner": oids.BOOTSTRAP_SUPERUSER,
            "prolang": lang, "procost": 1.0, "prorows": 1000.0 if retset else 0.0, "provariadic": variadic,
            "prosupport": RegOid(0, "-"), "prokind": kind, "proisstrict": strict, "proretset": retset,
            "provolatile": vol, "proparallel": "s", "pronargs": nargs, "pronargdefaults": ndef,
            "prorettype": ret, "proargtypes": list(args), "prosrc": name,
        }


register("pg_catalog", "pg_proc", _pg_proc)
