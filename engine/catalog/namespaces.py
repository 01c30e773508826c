"""pg_namespace: pg_catalog, pg_toast, information_schema, public and every schema holding a REM table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.catalog import oids
from engine.catalog._rows import register
from engine.catalog.objects import snapshot
from engine.catalog.roles import DATABASE_OWNER


def _pg_namespace(ctx: Any) -> Iterator[dict[str, Any]]:
    for name, oid in snapshot(ctx).schemas.items():
        owner = DATABASE_OWNER if name == "public" else oids.BOOTSTRAP_SUPERUSER
        yield {"oid": oid, "nspname": name, "nspowner": owner}


register("pg_catalog", "pg_namespace", _pg_namespace, per_snapshot=True)
