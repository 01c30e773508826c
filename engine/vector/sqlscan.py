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
from operator import itemgetter
from typing import Any

from engine import types as T
from engine.errors import InvalidParameterValue
from engine.sql import plan
from engine.storage.codec import decode_row, decode_row_without_vectors

EF_GUC = "hnsw.ef_search"
EF_MIN, EF_MAX = 1, 1000
ALLOWED_CACHE = 8  # filters remembered per plan step


_EF_PARSED: dict[str, int] = {}  # raw setting text → checked ef (a handful of distinct values)


def session_ef_search(ctx: Any) -> int | None:
    """``SET hnsw.ef_search`` of the session (None: not set, the index's own default applies)."""
    guc = getattr(getattr(ctx, "session", None), "guc", None)
    if guc is None:
        return None
    raw = guc.get(EF_GUC, missing_ok=True)
    if raw is None:
        return None
    ef = _EF_PARSED.get(raw)
    if ef is None:
        if str(raw).strip() == "":
            return None
        try:
            ef = int(str(raw).strip())
        except ValueError:
            raise InvalidParameterValue(f'invalid value for parameter "{EF_GUC}": "{raw}"') from None
        if not EF_MIN <= ef <= EF_MAX:
            raise InvalidParameterValue(
                f'{ef} is outside the valid range for parameter "{EF_GUC}" ({EF_MIN} .. {EF_MAX})')
        if len(_EF_PARSED) < 256:
            _EF_PARSED[raw] = ef
    return ef


def _filter_params(child: Any) -> list[int]:
    """0-based indexes of the ``$n`` parameters a filter's text mentions."""
    text = getattr(child, "text", "") or ""
    return sorted({int(m) - 1 for m in re.findall(r"\$(\d+)", text)})


class VectorTopK(plan.Step):
    """Rows of a table nearest to a query vector, from the vector service's index (ANN, like pgvector's HNSW).

    With ``key`` (the ORDER BY value of a row, compiled over the child's columns) the step returns its rows in
    ORDER BY order, and the planner puts no Sort above it: the index path keeps the index's order (distance,
    then insertion), the exact path (no usable index, no LIMIT) sorts by ``key`` itself. Without ``key``
    (ORDER BY with more keys) a Sort above orders the rows."""

    label = "Index Scan"

    def __init__(self, child: Any, scan: Any, column: str, metric: str, q: Any, k: Any, offset: Any,
                 key: Any = None, select: Any = None) -> None:
        self.child, self.scan, self.column, self.metric = child, scan, column, metric
        self.q, self.k, self.offset, self.key = q, k, offset, key
        self.ordered = key is not None
        # rows fetched for the ordered index path skip their stored vectors when the SELECT reads none
        self._decode = decode_row_without_vectors if (
            self.ordered and select is not None and not reads_vectors(select, scan)) else decode_row
        self.cols = child.cols
        self._allowed: OrderedDict[tuple[Any, ...], tuple[Any, dict[Any, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._fparams = _filter_params(child) if child is not scan else []
        self._get: Any = None  # row dict → scan tuple (itemgetter over the scan's names)

    def detail(self) -> str:
        return f"using {self.scan.table.name}_{self.column}_hnsw on {self.scan.table.name} (vector {self.metric})"

    def children(self) -> list[Any]:
        return [self.child] if self.child is not self.scan else []

    def _lookup_only(self) -> bool:
        """Whether the WHERE is exactly the scan's field-index lookup (``category = $1`` on an indexed column):
        the index then gives the admitted ids without reading a row."""
        f, scan = self.child, self.scan
        acc = scan.access
        return (isinstance(f, plan.Filter) and f.child is scan and acc is not None and acc[0] == "lookup"
                and scan.access_text == f"({f.text})")

    def _allowed_set(self, st: Any, svc: Any, td: Any, lookup: bool) -> tuple[Any, dict[Any, Any] | None]:
        """(allowed set, id → filtered row) for this execution's filter, reused while nothing was committed.
        ``lookup``: from the field index alone (no rows: the k hits are read afterwards)."""
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
        if lookup:
            got = (svc.allowed_set(td, self.column, self.scan.lookup_ids(st)), None)
        else:
            id_pos = self.scan.names.index(td.id_column)
            rows = {r[id_pos]: r for r in self.child.run(st)}
            got = (svc.allowed_set(td, self.column, rows.keys()), rows)
        if key is not None:
            with self._lock:
                self._allowed[key] = got
                while len(self._allowed) > ALLOWED_CACHE:
                    self._allowed.popitem(last=False)
        return got

    def run(self, st: Any, limit: int | None = None) -> list[Any]:
        ctx = st.ctx
        k = self.k((), st)
        if k is not None and self.offset is not None:
            k += self.offset((), st) or 0
        svc = getattr(ctx.db, "vectors", None)
        table = self.scan.table
        td = ctx.db.registry.get(table.name, table.schema) if svc is not None else None
        index = svc.index(td, self.column) if td is not None else None
        if index is None or index.metric != self.metric or k is None:
            return self._exact(st, k)  # no usable index: exact order
        q = self.q((), st)
        if q is None or k <= 0:
            return []
        ef = session_ef_search(ctx)
        if self.child is not self.scan:
            lookup = self._lookup_only()
            allowed, filtered = self._allowed_set(st, svc, td, lookup)
            if filtered is None:  # admitted ids from the field index: read the k hits
                return self._fetch(ctx.txn, td, index.search_ids(q, int(k), allowed=allowed, ef_search=ef))
            if not filtered:
                return []
            hits = index.search_ids(q, int(k), allowed=allowed, ef_search=ef)
            return [filtered[h] for h in hits if h in filtered]
        ids = index.search_ids(q, int(k), ef_search=ef)
        return self._fetch(ctx.txn, td, ids)

    def _exact(self, st: Any, k: int | None) -> list[Any]:
        """The child's rows; with ``key``, the first ``k`` in ORDER BY order (as the Sort this step replaces)."""
        rows = self.child.run(st)
        if self.key is None:
            return rows
        out = plan.sort_rows(rows, [(self.key, False, False)], st)
        return out if k is None else out[: max(k, 0)]

    def _fetch(self, txn: Any, td: Any, ids: list[Any]) -> list[Any]:
        """The k result rows as scan tuples, in ``ids``' order, read-only in one pass over the statement's
        snapshot: each stored row decoded once by the C msgpack decoder, no dict copies. Auto-embedded tables
        keep vectors apart: whole rows then."""
        partial = getattr(txn, "get_partial", None)
        if partial is None or td.embedding_fields:
            rows = getattr(txn, "get_shared", txn.get)(td, ids)
        else:
            rows = partial(td, ids, self._decode)
        names = self.scan.names
        get = self._get
        if get is None:
            get = self._get = itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
        out = []
        for r in rows:
            if r is None:
                continue
            try:
                out.append(get(r))
            except KeyError:  # a column added after the row was written
                out.append(tuple([r.get(n) for n in names]))
        return out


def reads_vectors(select: Any, scan: Any) -> bool:
    """Whether the statement ``select`` can read a ``vector`` column of ``scan`` (over-approximated by name; a
    ``*`` or a whole-row reference reads every column)."""
    from sqlglot import exp

    vec = {c.name.lower() for c in scan.cols if c.oid == T.VECTOR}
    if not vec:
        return False
    whole = {str(scan.alias).lower(), str(scan.table.name).lower()}
    for node in select.walk():
        if isinstance(node, exp.Star):
            return True
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return True
            name = node.name.lower()
            if name in vec or name in whole:
                return True
    return False


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if hasattr(v, "tobytes") and hasattr(v, "dtype"):
        return (str(v.dtype), v.tobytes())
    return v


