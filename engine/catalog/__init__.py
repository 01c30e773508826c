"""The virtual pg_catalog and information_schema, catalog functions and reg* casts, built from REM's registry.

Importing this package registers everything (engine.virtual / engine.functions / the reg* hooks); the query
engine imports it once at startup. Every PostgreSQL 15 catalog relation exists with PostgreSQL's exact columns
and type OIDs; the ones REM has content for are filled from the registry, the others are empty.
"""

from __future__ import annotations

from engine.catalog._rows import register_all_empty

register_all_empty()

from engine.catalog import (  # noqa: E402  (registration order: the empty relations first)
    functions,
    information_schema,
    misc,
    namespaces,
    pg_types,
    procs,
    regcasts,
    relations,
    roles,
    settings_view,
)
from engine.catalog.regcasts import bind, reg_cast  # noqa: E402
from engine.catalog.regvalue import RegOid  # noqa: E402

regcasts.install()

__all__ = [
    "RegOid", "bind", "functions", "information_schema", "misc", "namespaces", "pg_types", "procs", "reg_cast",
    "regcasts", "relations", "roles", "settings_view",
]

import engine.sql.sequences  # noqa: E402,F401  (nextval / currval / setval / lastval over the registry)
