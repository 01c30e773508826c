"""pg_settings: the session's GUC table (what SHOW / current_setting / set_config see) with PostgreSQL's
metadata (unit, category, description, context, type, bounds, enum values) for every GUC PostgreSQL also has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine.catalog import _pg_data, names
from engine.catalog._rows import register

# name → (unit, category, short_desc, extra_desc, context, vartype, min_val, max_val, enumvals, boot_val)
META: dict[str, tuple] = {r[0]: r[1:] for r in _pg_data.SETTINGS}
_MEM = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
_TIME = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}


def _guc_names(ctx: Any) -> list[str]:
    """Every GUC the session knows: from engine.guc when it lists them, else PostgreSQL's names it answers."""
    for attr in ("setting_names", "all_settings"):
        fn = getattr(ctx.session, attr, None)
        if callable(fn):
            got = fn()
            return sorted(got.keys() if isinstance(got, dict) else got)
    try:
        from engine import guc  # the query engineer's GUC table
    except ImportError:
        guc = None
    defs = getattr(guc, "GUCS", None) if guc else None
    if isinstance(defs, dict):
        return sorted((getattr(g, "name", k) for k, g in defs.items()), key=str.lower)
    return [n for n in META if names.setting(ctx, n) is not None]


def _definition(name: str) -> Any:
    try:
        from engine import guc
    except ImportError:
        return None
    return getattr(guc, "GUCS", {}).get(name.lower())


def _in_unit(value: str, unit: str | None) -> str:
    """``value`` as pg_settings.setting shows it: a number in the GUC's base unit (``4MB`` → ``4096`` kB)."""
    if not unit:
        return value
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
    if not m or not m.group(2):
        return value
    num, suf = float(m.group(1)), m.group(2)
    base = re.fullmatch(r"(\d*)(\w+)", unit)
    if base is None:
        return value
    mult, bunit = int(base.group(1) or 1), base.group(2)
    table = _MEM if bunit in _MEM else _TIME if bunit in _TIME else None
    if table is None or suf not in table:
        return value
    out = num * table[suf] / (table[bunit] * mult)
    return str(int(out)) if out == int(out) else str(out)


# Compile-time limits PostgreSQL reports as read-only "Preset Options" (pgjdbc reads max_index_keys); REM keeps
# PostgreSQL's limits, so they are listed with PostgreSQL's values when the GUC table does not define them.
PRESETS = ("block_size", "data_checksums", "lc_collate", "lc_ctype", "max_function_args", "max_identifier_length",
           "max_index_keys", "segment_size", "wal_block_size", "wal_segment_size")


def _pg_settings(ctx: Any) -> Iterator[dict[str, Any]]:
    gucs = _guc_names(ctx)
    known = {n.lower() for n in gucs}
    for name in sorted([*gucs, *(p for p in PRESETS if p not in known)], key=str.lower):
        value = names.setting(ctx, name)
        if value is None and name in PRESETS and name not in known:
            value = META[name][9]
        if value is None:
            continue
        meta = META.get(name)
        if meta is None:
            g = _definition(name)
            boot = getattr(g, "default", value)
            enums = list(getattr(g, "enumvals", ()) or ()) or None
            yield {"name": name, "setting": _in_unit(value, getattr(g, "unit", None)),
                   "unit": getattr(g, "unit", None), "category": getattr(g, "category", "Customized Options"),
                   "short_desc": getattr(g, "short_desc", None), "context": getattr(g, "context", "user"),
                   "vartype": getattr(g, "vartype", "string"), "source": "default" if value == boot else "session",
                   "enumvals": enums, "boot_val": boot, "reset_val": value, "sourceline": None,
                   "pending_restart": False}
            continue
        unit, category, short, extra, context, vartype, lo, hi, enumvals, boot = meta
        g = _definition(name)
        if g is not None:  # REM's own default (e.g. server_version, TimeZone) is the boot value
            boot = _in_unit(str(g.default), unit) if g.default is not None else boot
        setting = _in_unit(value, unit)
        yield {"name": name, "setting": setting, "unit": unit, "category": category, "short_desc": short,
               "extra_desc": extra, "context": context, "vartype": vartype,
               "source": "default" if setting == boot else "session", "min_val": lo, "max_val": hi,
               "enumvals": list(enumvals) if enumvals is not None else None, "boot_val": boot,
               "reset_val": setting, "sourceline": None, "pending_restart": False}


register("pg_catalog", "pg_settings", _pg_settings)
