"""Virtual tables of the vector service: ``rem_jobs`` (background jobs with progress) and ``rem_vector_indexes``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import types as T
from engine.virtual import VirtualTable, register_virtual

JOB_COLUMNS = (("job_id", T.INT8), ("kind", T.TEXT), ("table_name", T.TEXT), ("column_name", T.TEXT),
               ("state", T.TEXT), ("progress", T.FLOAT8), ("done", T.INT8), ("total", T.INT8), ("error", T.TEXT),
               ("started_at", T.TIMESTAMPTZ), ("finished_at", T.TIMESTAMPTZ))
INDEX_COLUMNS = (("table_name", T.TEXT), ("column_name", T.TEXT), ("metric", T.TEXT), ("dim", T.INT4),
                 ("rows", T.INT8), ("indexed", T.INT8), ("pending", T.INT8), ("tombstones", T.INT8), ("m", T.INT4),
                 ("ef_construction", T.INT4), ("ef_search", T.INT4), ("seq", T.INT8))


def _svc(ctx: Any) -> Any:
    return getattr(getattr(ctx, "db", None), "vectors", None)


def job_rows(ctx: Any) -> Iterator[tuple[Any, ...]]:
    """One tuple per job of the vector service (other services may add theirs through ``extra_jobs``)."""
    svc = _svc(ctx)
    if svc is None:
        return
    for j in sorted(svc.status(), key=lambda d: d["job_id"]):
        yield tuple(j[name] for name, _ in JOB_COLUMNS)


def index_rows(ctx: Any) -> Iterator[tuple[Any, ...]]:
    svc = _svc(ctx)
    if svc is None:
        return
    for d in svc.index_status():
        yield tuple(d[name] for name, _ in INDEX_COLUMNS)


register_virtual(VirtualTable("pg_catalog", "rem_jobs", JOB_COLUMNS, job_rows))
register_virtual(VirtualTable("pg_catalog", "rem_vector_indexes", INDEX_COLUMNS, index_rows))
