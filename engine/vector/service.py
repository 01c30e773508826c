"""The vector service: embeddings for rows, one FAISS index per (table, vector column), background upkeep.

The storage write path calls :meth:`VectorService.embed_rows` (its embedder hook, before the WriteBatch) and
:meth:`VectorService.on_commit` (its after-commit hook, with the committed vectors and the storage sequence).
SQL calls :meth:`search` / :meth:`exact_search`. A background thread adds new vectors to the HNSW graphs,
compacts indexes whose tombstones pass a threshold and saves every index periodically (``persist``); on start
:meth:`open_index` loads the saved files and the caller replays what RocksDB holds beyond the saved sequence
(:meth:`replay` or :meth:`reconcile`). See docs/vectors.md.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3
import numpy as np

from engine.embeddings import EmbeddingProvider, get_provider
from engine.errors import DataException, InvalidParameterValue, UndefinedObject, WrongObjectType
from engine.vector import persist
from engine.vector.index import AllowedSet, IndexParams, VectorIndex
from engine.vector.jobs import Job, JobBoard

BUILD_CHUNK = 2048  # vectors added to a graph per step (a query waits at most one step)


@dataclass
class VectorChange:
    """What one commit did to one (table, vector column)."""

    table: str
    column: str
    upserts: list[tuple[uuid.UUID, np.ndarray]] = field(default_factory=list)
    deletes: list[uuid.UUID] = field(default_factory=list)


@dataclass
class VectorCommit:
    """The vector part of a commit summary: the storage sequence after the commit and the changes."""

    seq: int
    changes: list[VectorChange] = field(default_factory=list)


def table_key(table: Any) -> str:
    """``'name'`` for public tables, ``'schema.name'`` otherwise (TableDef or str)."""
    if isinstance(table, str):
        return table
    schema = getattr(table, "schema", "public")
    return table.name if schema == "public" else f"{schema}.{table.name}"


def embedding_text(table: Any, row: dict[str, Any]) -> str | None:
    """The text embedded for ``row``: its embedding fields joined by newlines (None when all are empty)."""
    parts = []
    for f in table.embedding_fields:
        v = row.get(f)
        if v is None or v == "":
            continue
        parts.append(v if isinstance(v, str) else str(v))
    return "\n".join(parts) if parts else None


class VectorService:
    """Embeddings + vector indexes of one database."""

    def __init__(self, settings: Any, *, index_dir: Path | None = None, background: bool = True,
                 save_interval: float = 60.0, compact_fraction: float = 0.2, compact_min: int = 1000) -> None:
        self.settings = settings
        self.index_dir = Path(index_dir) if index_dir is not None else Path(settings.data_dir) / "vectors"
        self.save_interval = save_interval
        self.compact_fraction = compact_fraction
        self.compact_min = compact_min
        self.jobs = JobBoard()
        self._indexes: dict[tuple[str, str], VectorIndex] = {}
        self._saved_version: dict[tuple[str, str], int] = {}
        self._saved_seq: dict[tuple[str, str], int] = {}  # the storage sequence the saved files include
        self._build_jobs: dict[tuple[str, str], Job] = {}
        self._lock = threading.RLock()
        self._work = threading.Lock()  # one background step at a time (worker thread or flush())
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._stop = threading.Event()
        self._last_save = time.monotonic()
        self._thread: threading.Thread | None = None
        self.binding: Any = None  # engine.vector.binding.StoreBinding when attached to a store
        if background:
            self._thread = threading.Thread(target=self._run, name="rem-vector", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ embeddings
    def provider_spec(self, table: Any) -> str:
        """The provider of ``table``: a field's ``embedding_provider``, else the table's recorded
        ``embedding_model``, else Settings.default_embedding."""
        for f in table.embedding_fields:
            col = table.column(f) if hasattr(table, "column") else None
            if col is not None and getattr(col, "embedding_provider", None):
                return str(col.embedding_provider)
        return str(getattr(table, "embedding_model", None) or self.settings.default_embedding)

    def provider(self, spec: str | None = None) -> EmbeddingProvider:
        """The provider for ``spec`` (default: Settings.default_embedding)."""
        return get_provider(spec or self.settings.default_embedding, self.settings)

    def provider_for(self, table: Any) -> EmbeddingProvider:
        """The provider that embeds ``table``; DataException (naming both) when it contradicts the model or
        dimension recorded in the table's schema."""
        spec = self.provider_spec(table)
        recorded = getattr(table, "embedding_model", None)
        if recorded and recorded != spec:
            raise DataException(
                f'table "{table_key(table)}" is embedded with {recorded} but the configured provider is {spec}',
                hint=f"SELECT rem_reembed('{table_key(table)}', '{spec}') re-embeds it")
        p = self.provider(spec)
        dim = getattr(table, "embedding_dim", None)
        if dim and dim != p.dim:
            raise DataException(
                f"different vector dimensions {dim} and {p.dim}",
                detail=f'table "{table_key(table)}" has {dim}-d embeddings ({recorded or "recorded"}), '
                       f"{spec} gives {p.dim}-d",
                hint=f"SELECT rem_reembed('{table_key(table)}', '{spec}') re-embeds it")
        return p

    def embed_rows(self, table: Any, rows: Sequence[dict[str, Any]]) -> list[np.ndarray | None]:
        """One embedding per row (None for rows whose embedding fields are all empty), in provider batches."""
        texts = [embedding_text(table, r) for r in rows]
        todo = [i for i, t in enumerate(texts) if t is not None]
        out: list[np.ndarray | None] = [None] * len(rows)
        if not todo:
            return out
        vecs = self.provider_for(table).embed([texts[i] for i in todo])  # type: ignore[misc]
        for j, i in enumerate(todo):
            out[i] = vecs[j]
        return out

    def embed_text(self, text: str, provider: str | None = None) -> np.ndarray:
        """One text's embedding (``rem_embed``)."""
        return self.provider(provider).embed([text])[0]

    # ------------------------------------------------------------------ index registry
    def _folder(self, table: str, column: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{table}.{column}")[:80]
        h = blake3.blake3(f"{table}\0{column}".encode()).hexdigest()[:10]
        return self.index_dir / f"{safe}-{h}"

    def index(self, table: Any, column: str = "embedding") -> VectorIndex | None:
        """The index of (table, column), or None."""
        return self._indexes.get((table_key(table), column))

    def _require(self, table: Any, column: str) -> VectorIndex:
        idx = self.index(table, column)
        if idx is None:
            raise UndefinedObject(f'no vector index on "{table_key(table)}"."{column}"')
        return idx

    def open_index(self, table: Any, column: str = "embedding", *, dim: int, metric: str = "cosine",
                   params: IndexParams | None = None) -> VectorIndex:
        """The index of (table, column): in memory, else loaded from its saved files, else new and empty.

        A loaded index whose dim/metric differ from the request is discarded (rebuilt by the caller)."""
        key = (table_key(table), column)
        with self._lock:
            idx = self._indexes.get(key)
            if idx is None:
                idx = persist.load(self._folder(*key))
                if idx is not None and (idx.dim != dim or idx.metric != metric):
                    idx = None
                if idx is None:
                    idx = VectorIndex(dim, metric, params)
                else:
                    self._saved_version[key] = idx.version
                    self._saved_seq[key] = idx.seq
                self._indexes[key] = idx
            else:
                if idx.dim != dim:
                    raise DataException(f"different vector dimensions {idx.dim} and {dim}")
            self._wake.set()
            return idx

    def drop_index(self, table: Any, column: str = "embedding") -> None:
        """Forget the index and delete its files."""
        key = (table_key(table), column)
        with self._lock:
            self._indexes.pop(key, None)
            self._saved_version.pop(key, None)
            folder = self._folder(*key)
            if folder.exists():
                for f in folder.iterdir():
                    f.unlink(missing_ok=True)
                folder.rmdir()

    def table_changed(self, table: Any) -> None:
        """After CREATE/DROP INDEX or ALTER: build the vector indexes ``table`` now declares, drop the others."""
        if self.binding is not None:
            self.binding.sync_table(table)

    def drop_table(self, table: Any) -> None:
        """Drop every index of ``table``."""
        t = table_key(table)
        for key in [k for k in list(self._indexes) if k[0] == t]:
            self.drop_index(*key)

    def build_index(self, table: Any, column: str, rows: Iterable[tuple[uuid.UUID, np.ndarray]], *, dim: int,
                    metric: str = "cosine", params: IndexParams | None = None, seq: int | None = None) -> Job:
        """(Re)build the index of (table, column) over existing ``rows``; the graph is built in the background.

        Queries are exact (and correct) until the graph catches up; progress is the returned job's."""
        key = (table_key(table), column)
        with self._lock:
            old = self._indexes.get(key)
            idx = VectorIndex(dim, metric, params or (old.params if old else None))
            batch_ids: list[uuid.UUID] = []
            batch_vecs: list[np.ndarray] = []
            for rid, vec in rows:
                batch_ids.append(rid)
                batch_vecs.append(vec)
                if len(batch_ids) >= 10_000:
                    idx.upsert(batch_ids, np.stack(batch_vecs))
                    batch_ids, batch_vecs = [], []
            if batch_ids:
                idx.upsert(batch_ids, np.stack(batch_vecs))
            if seq is not None:
                idx.seq = seq
            self._indexes[key] = idx
            self._saved_version.pop(key, None)
            job = self.jobs.start("index_build", key[0], column, total=idx.total)
            self._build_jobs[key] = job
            if idx.total == 0:
                job.finish()
        self._wake.set()
        return job

    # ------------------------------------------------------------------ writes
    def apply(self, table: Any, column: str, upserts: Sequence[tuple[uuid.UUID, np.ndarray]] = (),
              deletes: Sequence[uuid.UUID] = (), seq: int | None = None) -> None:
        """Apply one change to an existing index (no index: ignored)."""
        idx = self.index(table, column)
        if idx is None:
            return
        if deletes:
            idx.delete(deletes, seq)
        if upserts:
            idx.upsert([u for u, _ in upserts], np.stack([np.asarray(v, np.float32) for _, v in upserts]), seq)
        if seq is not None:
            idx.seq = max(idx.seq, seq)

    def on_commit(self, summary: VectorCommit | Any) -> None:
        """After-commit hook: apply the committed vector changes (and advance each index's sequence)."""
        commit = summary if isinstance(summary, VectorCommit) else adapt_commit(summary)
        if commit is None:
            return
        for ch in commit.changes:
            self.apply(ch.table, ch.column, ch.upserts, ch.deletes, commit.seq)
        if commit.changes:
            self._wake.set()

    def replay(self, table: Any, column: str, changes: Iterable[tuple[int, uuid.UUID, np.ndarray | None]]) -> int:
        """Re-apply ``(seq, row id, vector or None for deleted)`` newer than the index's saved sequence."""
        idx = self._require(table, column)
        n, covered = 0, idx.seq
        for seq, rid, vec in changes:
            if seq <= covered:
                continue
            if vec is None:
                idx.delete([rid], seq)
            else:
                idx.upsert([rid], np.asarray(vec, np.float32).reshape(1, -1), seq)
            n += 1
        self._wake.set()
        return n

    def reconcile(self, table: Any, column: str, rows: Iterable[tuple[uuid.UUID, np.ndarray]],
                  seq: int | None = None) -> tuple[int, int]:
        """Make the index hold exactly ``rows`` (the source of truth, e.g. a scan of the embeddings CF).

        Only differences are applied (no rebuild): returns (upserted, deleted)."""
        idx = self._require(table, column)
        seen: set[bytes] = set()
        changed_ids: list[uuid.UUID] = []
        changed_vecs: list[np.ndarray] = []
        batch: list[tuple[uuid.UUID, np.ndarray]] = []

        def flush() -> None:
            vecs = idx.prepare(np.stack([np.asarray(v, np.float32) for _, v in batch]))
            for (rid, _), v in zip(batch, vecs, strict=True):
                cur = idx.get(rid)
                if cur is None or not np.array_equal(cur, v):
                    changed_ids.append(rid)
                    changed_vecs.append(v)
            batch.clear()

        for rid, vec in rows:
            seen.add(rid.bytes)
            batch.append((rid, vec))
            if len(batch) >= 10_000:
                flush()
        if batch:
            flush()
        gone = [u for u in idx.ids() if u.bytes not in seen]
        if gone:
            idx.delete(gone)
        if changed_ids:
            idx.upsert(changed_ids, np.stack(changed_vecs))
        if seq is not None:
            idx.seq = max(idx.seq, seq)
        self._wake.set()
        return len(changed_ids), len(gone)

    # ------------------------------------------------------------------ search
    def allowed_set(self, table: Any, column: str, ids: Iterable[uuid.UUID]) -> AllowedSet:
        """Resolve a filter's row ids once, to reuse across several searches."""
        return self._require(table, column).allowed(ids)

    def search(self, table: Any, column: str, query: np.ndarray | Sequence[float], k: int, *,
               allowed_ids: AllowedSet | Iterable[uuid.UUID] | None = None, metric: str = "cosine",
               ef_search: int | None = None) -> list[tuple[uuid.UUID, float]]:
        """Top-k ``(row id, distance)`` best first (distance as pgvector's operator for ``metric``).

        ``allowed_ids`` restricts results to those rows (small sets exactly, large ones through HNSW with an
        ID selector and raised ef); never fewer than k results when k rows match."""
        idx = self._require(table, column)
        if metric != idx.metric:
            raise InvalidParameterValue(
                f'vector index on "{table_key(table)}"."{column}" uses {idx.metric} distance, not {metric}')
        if ef_search is not None and not (1 <= int(ef_search) <= 1000):
            raise InvalidParameterValue(f"{ef_search} is outside the valid range for parameter \"hnsw.ef_search\" "
                                        "(1 .. 1000)")
        return idx.search(query, k, allowed=allowed_ids, ef_search=ef_search)

    def search_text(self, table: Any, text: str, k: int = 10, *,
                    allowed_ids: AllowedSet | Iterable[uuid.UUID] | None = None, ef_search: int | None = None,
                    ) -> list[tuple[uuid.UUID, float]]:
        """``SEARCH 'text' IN table``: ``(row id, cosine similarity)`` best first, embedded with the table's provider.

        WrongObjectType 42809 for a table without embedding fields; InvalidParameterValue 22023 for empty text."""
        if not getattr(table, "embedding_fields", None):
            raise WrongObjectType(f'table "{table_key(table)}" has no embedding fields',
                                  hint="declare embedding_fields to search it semantically")
        if text is None or not str(text).strip():
            raise InvalidParameterValue("SEARCH needs a non-empty query text")
        column = table.system_column("embedding") if hasattr(table, "system_column") else "embedding"
        if self.index(table, column) is None:
            return []  # no row has an embedding yet
        q = self.provider_for(table).embed([str(text)])[0]
        return [(u, 1.0 - d) for u, d in self.search(table, column, q, k, allowed_ids=allowed_ids,
                                                      ef_search=ef_search)]

    def index_for(self, table: Any, column: str, op: str) -> VectorIndex | None:
        """The index that can serve ``ORDER BY column <op> q LIMIT k`` (its metric matches ``op``), or None."""
        from engine.vector.functions import OPERATOR_METRIC

        idx = self.index(table, column)
        return idx if idx is not None and OPERATOR_METRIC.get(op) == idx.metric else None

    def order_by(self, table: Any, column: str, op: str, query: np.ndarray | Sequence[float], k: int, *,
                 allowed_ids: AllowedSet | Iterable[uuid.UUID] | None = None, ef_search: int | None = None,
                 ) -> list[tuple[uuid.UUID, float]] | None:
        """``ORDER BY column <op> query LIMIT k`` through the index: ``(row id, operator value)`` ascending, or
        None when no index serves ``op`` on that column (the planner then sorts exactly)."""
        idx = self.index_for(table, column, op)
        if idx is None:
            return None
        return self.search(table, column, query, k, allowed_ids=allowed_ids, metric=idx.metric, ef_search=ef_search)

    def exact_search(self, table: Any, column: str, query: np.ndarray | Sequence[float], k: int, *,
                     allowed_ids: AllowedSet | Iterable[uuid.UUID] | None = None, metric: str = "cosine",
                     ) -> list[tuple[uuid.UUID, float]]:
        """Brute-force top-k (the reference answer)."""
        idx = self._require(table, column)
        if metric != idx.metric:
            raise InvalidParameterValue(f"vector index uses {idx.metric} distance, not {metric}")
        return idx.search(query, k, allowed=allowed_ids, exact=True)

    # ------------------------------------------------------------------ upkeep
    def _needs_compaction(self, idx: VectorIndex) -> bool:
        t = idx.tombstones
        return not idx.building and t >= self.compact_min and t >= self.compact_fraction * max(idx.total, 1)

    def step(self) -> bool:
        """One unit of background work (graph chunk, compaction or due save); False when there is none."""
        with self._work:
            return self._step()

    def _step(self) -> bool:
        for key, idx in list(self._indexes.items()):
            if idx.pending:
                added = idx.index_pending(BUILD_CHUNK)
                job = self._build_jobs.get(key)
                if job is not None:
                    job.total = idx.total
                    job.done = idx.indexed
                    if not idx.pending:
                        job.finish()
                        self._build_jobs.pop(key, None)
                if added:
                    return True
            if self._needs_compaction(idx):
                job = self.jobs.start("compaction", key[0], key[1], total=idx.total)
                try:
                    idx.compact()
                    job.finish()
                except Exception as e:  # keep the worker alive; the job shows the failure
                    job.finish(error=str(e))
                return True
        if time.monotonic() - self._last_save >= self.save_interval:
            self.save_all()
        return False

    def save_all(self) -> int:
        """Save every index that changed since its last save; returns how many were written."""
        n = 0
        for key, idx in list(self._indexes.items()):
            if (self._saved_version.get(key) == idx.version and self._saved_seq.get(key, idx.seq) == idx.seq
                    and self._folder(*key).exists()):
                continue  # (a recovery that found nothing to change still saves its newer sequence: no replay next time)
            version, seq = idx.version, idx.seq
            persist.save(idx, self._folder(*key))
            self._saved_version[key] = version
            self._saved_seq[key] = seq
            n += 1
        self._last_save = time.monotonic()
        return n

    def flush(self) -> None:
        """Do all pending background work now (graphs complete, compactions done)."""
        while self.step():
            pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the background thread has nothing left to do (True) or ``timeout`` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._busy or any(i.pending for i in self._indexes.values()):
                self._wake.set()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.05 if left is None else min(0.05, left))
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            with self._idle:
                self._busy = True
            try:
                while not self._stop.is_set() and self.step():
                    pass
            except Exception:  # a broken index must not kill the worker; jobs carry the details
                pass
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()

    def status(self) -> list[dict[str, Any]]:
        """Jobs and indexes for the ``rem_jobs`` view (one dict per job, then one per index)."""
        out: list[dict[str, Any]] = []
        for j in self.jobs.all():
            out.append({"job_id": j.id, "kind": j.kind, "table_name": j.table, "column_name": j.column,
                        "state": j.state, "progress": j.progress, "done": j.done, "total": j.total,
                        "error": j.error, "started_at": j.started_at, "finished_at": j.finished_at})
        return out

    def index_status(self) -> list[dict[str, Any]]:
        """One dict per index: sizes, parameters, saved sequence."""
        return [{"table_name": t, "column_name": c, "metric": i.metric, "dim": i.dim, "rows": len(i),
                 "indexed": i.indexed, "pending": i.pending, "tombstones": i.tombstones, "m": i.params.m,
                 "ef_construction": i.params.ef_construction, "ef_search": i.params.ef_search, "seq": i.seq}
                for (t, c), i in list(self._indexes.items())]

    def close(self, save: bool = True) -> None:
        """Stop the background thread and save every changed index."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if save:
            self.save_all()


def adapt_commit(summary: Any) -> VectorCommit | None:
    """Turn the storage layer's commit summary into a :class:`VectorCommit` (None: nothing vector-related).

    Accepted: an object or dict with ``seq`` and ``vectors`` (or ``changes``) holding VectorChange-like items
    (``table``, ``column``, ``upserts``, ``deletes``)."""
    get = (lambda k, d=None: summary.get(k, d)) if isinstance(summary, dict) else (
        lambda k, d=None: getattr(summary, k, d))
    items = get("vectors") or get("changes")
    if not items:
        return None
    changes = []
    for it in items:
        g = (lambda k, d=None, it=it: it.get(k, d)) if isinstance(it, dict) else (
            lambda k, d=None, it=it: getattr(it, k, d))
        changes.append(VectorChange(table_key(g("table")), g("column", "embedding"), list(g("upserts", []) or []),
                                    list(g("deletes", []) or [])))
    return VectorCommit(int(get("seq", 0) or 0), changes)
