"""pg_authid, pg_roles, pg_user, pg_shadow: the REM admin role (OID 10, like PostgreSQL's bootstrap superuser)
and the session's user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.catalog import names, oids
from engine.catalog._rows import register

# PostgreSQL 15's predefined roles (no login); public is owned by pg_database_owner, as in PostgreSQL 15
PREDEFINED: dict[int, str] = {
    3373: "pg_monitor", 3374: "pg_read_all_settings", 3375: "pg_read_all_stats", 3377: "pg_stat_scan_tables",
    4200: "pg_signal_backend", 4544: "pg_checkpoint", 4569: "pg_read_server_files", 4570: "pg_write_server_files",
    4571: "pg_execute_server_program", 6171: "pg_database_owner", 6181: "pg_read_all_data",
    6182: "pg_write_all_data",
}
DATABASE_OWNER = 6171


def _stored_roles(ctx: Any) -> dict[str, dict[str, Any]]:
    store = getattr(getattr(ctx, "db", None), "store", None)
    list_roles = getattr(store, "roles", None)
    if not callable(list_roles):
        return {}
    try:
        return {str(r["name"]): r for r in list_roles()}
    except Exception:  # a store being closed: list the admin and session roles only
        return {}


def role_names(ctx: Any) -> list[str]:
    """Roles the catalogs list: the admin role first, then the stored roles and the session user."""
    settings = getattr(getattr(ctx, "db", None), "settings", None)
    admin = str(getattr(settings, "admin_user", None) or "rem")
    out = [admin]
    for n in [*sorted(_stored_roles(ctx)), names.session_user(ctx)]:
        if n not in out:
            out.append(n)
    return out


def role_oid(ctx: Any, name: str) -> int | None:
    """OID of role ``name`` (None when unknown)."""
    for oid, n in PREDEFINED.items():
        if n == name:
            return oid
    roles = role_names(ctx)
    if name not in roles:
        return None
    return oids.BOOTSTRAP_SUPERUSER if name == roles[0] else oids.name_oid(oids.OTHER, f"role:{name}")


def role_name(ctx: Any, oid: int) -> str | None:
    """Name of the role with this OID (None when unknown)."""
    if oid in PREDEFINED:
        return PREDEFINED[oid]
    for n in role_names(ctx):
        if role_oid(ctx, n) == oid:
            return n
    return None


def _roles(ctx: Any) -> Iterator[dict[str, Any]]:
    stored = _stored_roles(ctx)
    for k, n in enumerate(role_names(ctx)):
        r = stored.get(n, {})
        su = bool(r.get("superuser", True)) or k == 0
        yield {"oid": role_oid(ctx, n), "rolname": n, "rolsuper": su, "rolinherit": True, "rolcreaterole": su,
               "rolcreatedb": su, "rolcanlogin": bool(r.get("login", True)), "rolreplication": su,
               "rolbypassrls": su, "rolconnlimit": -1}
    for oid, n in PREDEFINED.items():
        yield {"oid": oid, "rolname": n, "rolinherit": True, "rolcanlogin": False, "rolconnlimit": -1}


register("pg_catalog", "pg_authid", _roles)
register("pg_catalog", "pg_roles", lambda ctx: ({**r, "rolpassword": "********"} for r in _roles(ctx)))
register("pg_catalog", "pg_user", lambda ctx: (
    {"usename": r["rolname"], "usesysid": r["oid"], "usecreatedb": r["rolcreatedb"], "usesuper": r["rolsuper"],
     "userepl": r["rolreplication"], "usebypassrls": r["rolbypassrls"], "passwd": "********"}
    for r in _roles(ctx) if r["rolcanlogin"]))
register("pg_catalog", "pg_shadow", lambda ctx: (
    {"usename": r["rolname"], "usesysid": r["oid"], "usecreatedb": r["rolcreatedb"], "usesuper": r["rolsuper"],
     "userepl": r["rolreplication"], "usebypassrls": r["rolbypassrls"]} for r in _roles(ctx) if r["rolcanlogin"]))
