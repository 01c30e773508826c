"""The plan step behind ``ORDER BY vec <op> q LIMIT k``: nearest neighbours from the vector index.

The planner (engine.sql.planner) builds :class:`VectorTopK` over the table scan (optionally under a WHERE
filter). At run time it asks the vector service for the top k (``hnsw.ef_search`` from the session, as
pgvector), fetches only those rows, and falls back to the exact plan (its child, sorted above) when no index
serves the operator. With a WHERE, the rows the filter admits are resolved to an allowed set once per
(filter parameters, committed state): repeated searches under the same filter skip the scan.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from engine.errors import InvalidParameterValue
from engine.sql import plan
from engine.storage.codec import decode_row

EF_GUC = "hnsw.ef_search"
EF_MIN, EF_MAX = 1, 1000
ALLOWED_CACHE = 8  # filters remembered per plan step


def session_ef_search(ctx: Any) -> int | None:
    """``SET hnsw.ef_search`` of the session (None: not set, the index's own default applies)."""
    sess = getattr(ctx, "session", None)
    guc = getattr(sess, "guc", None)
    raw = guc.get(EF_GUC, missing_ok=True) if guc is not None else None
    if raw is None or str(raw).strip() == "":
        return None
    try:
        ef = int(str(raw).strip())
    except ValueError:
        raise InvalidParameterValue(f'invalid value for parameter "{EF_GUC}": "{raw}"') from None
    if not EF_MIN <= ef <= EF_MAX:
        raise InvalidParameterValue(f'{ef} is outside the valid range for parameter "{EF_GUC}" ({EF_MIN} .. {EF_MAX})')
    return ef


def _filter_params(child: Any) -> list[int]:
    """0-based indexes of the ``$n`` parameters a filter's text mentions."""
    text = getattr(child, "text", "") or ""
    return sorted({int(m) - 1 for m in re.findall(r"\$(\d+)", text)})


class VectorTopK(plan.Step):
    """Rows of a table nearest to a query vector, from the vector service's index (ANN, like pgvector's HNSW)."""

    label = "Index Scan"

    def __init__(self, child: Any, scan: Any, column: str, metric: str, q: Any, k: Any, offset: Any) -> None:
        self.child, self.scan, self.column, self.metric = child, scan, column, metric
        self.q, self.k, self.offset = q, k, offset
        self.cols = child.cols
        self._allowed: OrderedDict[tuple[Any, ...], tuple[Any, dict[Any, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._fparams = _filter_params(child) if child is not scan else []

    def detail(self) -> str:
        return f"using {self.scan.table.name}_{self.column}_hnsw on {self.scan.table.name} (vector {self.metric})"

    def children(self) -> list[Any]:
        return [self.child] if self.child is not self.scan else []

    def _allowed_set(self, st: Any, svc: Any, td: Any, id_pos: int) -> tuple[Any, dict[Any, Any]]:
        """(allowed set, id → filtered row) for this execution's filter, reused while nothing was committed."""
        txn = st.ctx.txn
        store = st.ctx.db.store
        ov = getattr(txn, "_ov", None)
        cacheable = not (ov and ov.get(td.oid)) and hasattr(store, "writer")
        key: tuple[Any, ...] | None = None
        if cacheable:
            try:
                fp = tuple(_hashable(st.params[i]) for i in self._fparams)
                key = (int(store.writer.seq), td.oid, fp)
                hash(key)
            except (IndexError, TypeError):
                key = None
        if key is not None:
            with self._lock:
                got = self._allowed.get(key)
                if got is not None:
                    self._allowed.move_to_end(key)
                    return got
        rows = {r[id_pos]: r for r in self.child.run(st)}
        got = (svc.allowed_set(td, self.column, rows.keys()), rows)
        if key is not None:
            with self._lock:
                self._allowed[key] = got
                while len(self._allowed) > ALLOWED_CACHE:
                    self._allowed.popitem(last=False)
        return got

    def run(self, st: Any, limit: int | None = None) -> list[Any]:
        svc = getattr(st.ctx.db, "vectors", None)
        td = st.ctx.db.registry.get(self.scan.table.name, self.scan.table.schema) if svc is not None else None
        index = svc.index(td, self.column) if td is not None else None
        if index is None or getattr(index, "metric", self.metric) != self.metric:
            return self.child.run(st)  # no usable index: exact order by the Sort above
        k = self.k((), st)
        if k is None:
            return self.child.run(st)
        k += (self.offset((), st) or 0) if self.offset else 0
        q = self.q((), st)
        if q is None or k <= 0:
            return []
        ef = session_ef_search(st.ctx)
        names = self.scan.names
        id_pos = names.index(td.id_column)
        if self.child is not self.scan:
            allowed, filtered = self._allowed_set(st, svc, td, id_pos)
            if not filtered:
                return []
            hits = svc.search(td, self.column, q, int(k), allowed_ids=allowed, metric=self.metric, ef_search=ef)
            return [filtered[h[0]] for h in hits if h[0] in filtered]
        hits = svc.search(td, self.column, q, int(k), metric=self.metric, ef_search=ef)
        rows = self._fetch(st.ctx.txn, td, [h[0] for h in hits])
        return [tuple([r.get(n) for n in names]) for r in rows if r is not None]

    def _fetch(self, txn: Any, td: Any, ids: list[Any]) -> list[Any]:
        """The k result rows, read-only, in one pass over the statement's snapshot: each stored row decoded
        once by the C msgpack decoder, no dict copies. (Every column is needed: the ORDER BY above re-computes
        the distance from the stored vector.) Auto-embedded tables keep vectors apart: whole rows then."""
        partial = getattr(txn, "get_partial", None)
        if partial is None or td.embedding_fields:
            return list(getattr(txn, "get_shared", txn.get)(td, ids))
        return list(partial(td, ids, decode_row))


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if hasattr(v, "tobytes") and hasattr(v, "dtype"):
        return (str(v.dtype), v.tobytes())
    return v


