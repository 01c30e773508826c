"""``SELECT rem_reembed('table' [, 'provider'])``: re-embed a table online as a background job.

The job scans the rows, embeds them with the new provider in batches (progress in ``rem_jobs``) into a shadow
index while the old index keeps serving, then switches: rows changed meanwhile are re-embedded, the table's
``embedding_model``/``embedding_dim`` are updated, the shadow index replaces the old one, and every row's new
vector is written in ONE transaction (so RocksDB never holds a mix of models). The function returns the job id.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from engine import types as T
from engine.errors import UndefinedTable, WrongObjectType
from engine.functions import FunctionDef, register
from engine.vector.index import VectorIndex
from engine.vector.jobs import Job
from engine.vector.service import VectorService, embedding_text, table_key


def _table(db: Any, name: str) -> Any:
    schema, _, rel = name.rpartition(".")
    t = db.registry.get(rel, schema or "public")
    if t is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    if not t.embedding_fields:
        raise WrongObjectType(f'table "{name}" has no embedding fields')
    return t


def reembed(db: Any, name: str, spec: str | None = None, *, wait: bool = False) -> Job:
    """Start re-embedding table ``name`` with provider ``spec`` (default: the configured one); returns the job."""
    svc: VectorService = db.vectors
    t = _table(db, name)
    if spec is None:
        spec = str(db.settings.default_embedding)
    provider = svc.provider(spec)  # fails now (bad spec, missing files, no key) rather than in the job
    job = svc.jobs.start("reembed", table_key(t), t.system_column("embedding"))

    def run() -> None:
        try:
            _run(db, svc, t, spec, provider, job)
            job.finish()
        except Exception as e:  # the job row carries the failure
            job.finish(error=f"{type(e).__name__}: {e}")

    th = threading.Thread(target=run, name=f"rem-reembed-{t.name}", daemon=True)
    th.start()
    if wait:
        th.join()
    return job


def _run(db: Any, svc: VectorService, t: Any, spec: str, provider: Any, job: Job) -> None:
    col = t.system_column("embedding")
    idc = t.id_column
    mod = t.system_column("modified_at")
    rows = list(db.store.begin().scan(t))
    job.total = len(rows)
    shadow = VectorIndex(provider.dim, "cosine", svc.index(t, col).params if svc.index(t, col) else None)
    vectors: dict[Any, np.ndarray] = {}
    step = max(1, int(svc.settings.embedding_batch_size) * 8)
    for s in range(0, len(rows), step):
        chunk = rows[s:s + step]
        texts = [embedding_text(t, r) for r in chunk]
        todo = [i for i, x in enumerate(texts) if x is not None]
        if todo:
            vecs = provider.embed([texts[i] for i in todo])
            shadow.upsert([chunk[i][idc] for i in todo], vecs)
            for j, i in enumerate(todo):
                vectors[chunk[i][idc]] = vecs[j]
        job.done = s + len(chunk)
        shadow.index_pending()
    seen = {r[idc]: r.get(mod) for r in rows}
    with db.store.writer.lock, svc._lock:  # no other commit between the last scan and the switch
        tx = db.store.begin()
        current = list(tx.scan(t))
        changed = [r for r in current if r[idc] not in seen or seen[r[idc]] != r.get(mod)]
        if changed:  # written while we embedded: embed their current text now
            texts = [embedding_text(t, r) for r in changed]
            todo = [r for r, x in zip(changed, texts, strict=True) if x is not None]
            if todo:
                vecs = provider.embed([embedding_text(t, r) for r in todo])  # type: ignore[misc]
                for r, v in zip(todo, vecs, strict=True):
                    vectors[r[idc]] = v
                shadow.upsert([r[idc] for r in todo], vecs)
        live = {r[idc] for r in current}
        gone = [u for u in vectors if u not in live]
        shadow.delete(gone)
        for u in gone:
            vectors.pop(u)
        t2 = db.registry.get(t.name, t.schema)
        t2.embedding_model, t2.embedding_dim = spec, provider.dim
        for c in t2.columns:
            if c.name == col:
                c.typmod = provider.dim
        t2 = db.registry.alter(t2)
        svc._indexes[(table_key(t2), col)] = shadow
        svc._saved_version.pop((table_key(t2), col), None)
        tx.rollback()
        tx = db.store.begin()
        by_id = {r[idc]: r for r in current}
        tx.update(t2, [dict(by_id[u], **{col: v}) for u, v in vectors.items()])
        tx.commit()
    svc._wake.set()


def rem_reembed(ctx: Any, name: str, provider: str | None = None) -> int:
    """SQL: start re-embedding; returns the job id (follow it in rem_jobs)."""
    return reembed(ctx.db, name, provider).id


register(FunctionDef("rem_reembed", rem_reembed, T.INT8, (T.TEXT,), needs_ctx=True, volatile=True,
                     description="re-embed a table in the background with the default provider (job id)"))
register(FunctionDef("rem_reembed", rem_reembed, T.INT8, (T.TEXT, T.TEXT), needs_ctx=True, volatile=True,
                     description="re-embed a table in the background with the given provider (job id)"))
