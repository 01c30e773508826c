"""Arrow columns of cached tables: the columnar face of the row cache, derived and kept current by the write path.

A :class:`ColumnSet` hangs off one table's :class:`engine.storage.store.TableCache`. It holds a *base* (the cached
rows when it was built, in key order) and a *delta* (rows committed since, in commit order, append-only). The
commit hook that maintains the row cache maintains it too, under the commit lock: an upsert appends to the delta
and marks the superseded version dead (the ``alive`` mask over the base, ``dalive`` over the delta); a delete only
marks. Arrow arrays of a column are built on first use — from the base rows once, and for the delta
incrementally (only the rows appended since the last build are converted). When the delta and the dead rows
outgrow the base, the next reader compacts everything into a new base (carrying the built arrays over with Arrow).

Readers take a :class:`ColumnView` under the same lock and with the same validity rule as the row cache (a view at
commit sequence S may use it iff the table's last change L <= S). The view copies both masks and remembers the
delta length, so later commits never change what it sees; the transaction's own uncommitted rows (its overlay) are
masked out of the committed part and appended. ``column(name, oid, typmod)`` gives one Arrow array over every
visible row, in view order; ``take(mask)`` gives back the rows (the cached dicts) where a boolean mask is true, in
the order a row scan returns them (key order for committed rows, then the overlay's), so a query's row order does
not depend on which path served it. Only columns whose SQL type has an exact Arrow image are served
(:func:`arrow_type`); a value that does not convert (a numeric wider than its typmod, NaN) makes the column
unavailable and the caller falls back to the row path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine import types as T

Row = dict[str, Any]
_INTS = (T.INT2, T.INT4, T.INT8)
_FLOATS = (T.FLOAT4, T.FLOAT8)
_TEXT = (T.TEXT, T.VARCHAR, T.NAME)
COMPACT_MIN = 65_536  # compact when delta + dead rows exceed max(COMPACT_MIN, base rows)
ID_KEY = ("\x00id", "binary")  # memo key of the row ids as 16-byte big-endian binaries (key order)
_OVERLAY_ID = b"\xff" * 16  # prefix of an overlay row's rank key: after every committed id (a uuid is never all-ones)


class Unavailable(Exception):
    """A column cannot be served from Arrow (type without an exact image, or a value that does not convert)."""


def arrow_type(oid: int, typmod: int = -1) -> pa.DataType | None:
    """The Arrow type holding a SQL type's Python values exactly, or None."""
    if oid in _INTS:
        return pa.int64()
    if oid in _FLOATS:
        return pa.float64()
    if oid in _TEXT:
        return pa.string()
    if oid == T.BOOL:
        return pa.bool_()
    if oid == T.NUMERIC and typmod >= 4:
        p, s = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        return pa.decimal128(p, s) if 0 < p <= 38 and s <= p else None
    if oid == T.DATE:
        return pa.date32()
    if oid == T.TIMESTAMP:
        return pa.timestamp("us")
    if oid == T.TIMESTAMPTZ:
        return pa.timestamp("us", tz="UTC")
    return None


def to_arrow(values: Sequence[Any], typ: pa.DataType) -> pa.Array:
    """``values`` as an Arrow array of ``typ``; :class:`Unavailable` when one does not convert exactly, and for
    a float NaN (SQL orders NaN above every number and equal to itself; Arrow compares it as IEEE does)."""
    try:
        arr = pa.array(values, type=typ)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
        raise Unavailable(str(e)) from None
    if pa.types.is_floating(typ) and len(arr) and pc.any(pc.is_nan(arr)).as_py():
        raise Unavailable("NaN")
    return arr


def _positions(rows: list[Row], idc: str) -> dict[int, int]:
    return {r[idc].int: n for n, r in enumerate(rows)}


class ColumnSet:
    """Arrow columns over one table's cached rows (see the module docstring). Mutated only under the commit lock,
    except the array memos (``cols``, ``dcols``), which readers fill: building an array from rows that never
    change is idempotent."""

    __slots__ = ("rows", "idc", "keyorder", "cols", "alive", "ndead", "_pos", "delta", "dpos", "dalive",
                 "ddead", "dcols")

    def __init__(self, rows: list[Row], idc: str, keyorder: bool = True) -> None:
        self.rows = rows  # base rows (this list is never mutated)
        self.idc = idc
        self.keyorder = keyorder  # base rows are in key (uuid byte) order
        self.cols: dict[tuple[str, str], pa.Array | None] = {}  # base arrays (None: unavailable)
        self.alive: np.ndarray | None = None  # None: every base row is alive
        self.ndead = 0
        self._pos: dict[int, int] | None = None  # id.int → base position, built on the first update/delete
        self.delta: list[Row] = []  # rows committed since the base (append-only)
        self.dpos: dict[int, int] = {}  # id.int → delta position of its live version
        self.dalive = bytearray()  # 1 = the delta row is the live version
        self.ddead = 0
        self.dcols: dict[tuple[str, str], pa.Array | None] = {}  # arrays over a prefix of the delta

    # --- maintenance (commit hook, under the commit lock)
    def _base_pos(self) -> dict[int, int]:
        if self._pos is None:
            self._pos = _positions(self.rows, self.idc)
        return self._pos

    def _kill(self, i: uuid.UUID) -> None:
        k = i.int
        j = self.dpos.pop(k, None)
        if j is not None:
            self.dalive[j] = 0
            self.ddead += 1
            return
        p = self._base_pos().get(k)
        if p is None:
            return
        if self.alive is None:
            self.alive = np.ones(len(self.rows), dtype=bool)
        if self.alive[p]:
            self.alive[p] = False
            self.ndead += 1

    def upsert(self, i: uuid.UUID, r: Row, existed: bool) -> None:
        """A new version of row ``i`` (``existed``: the cache held a live version before)."""
        if existed:
            self._kill(i)
        self.dpos[i.int] = len(self.delta)
        self.delta.append(r)
        self.dalive.append(1)

    def delete(self, i: uuid.UUID) -> None:
        self._kill(i)

    def needs_compaction(self) -> bool:
        return len(self.delta) + self.ndead > max(COMPACT_MIN, len(self.rows))

    def compacted(self) -> ColumnSet:
        """A new base: the live base rows then the live delta rows (built arrays carried over with Arrow)."""
        dmask = np.frombuffer(bytes(self.dalive), dtype=bool) if self.delta else np.zeros(0, dtype=bool)
        drows = [r for r, a in zip(self.delta, dmask.tolist(), strict=True) if a]
        alive = self.alive
        if alive is None:
            rows = self.rows + drows
        else:
            rows = [r for r, a in zip(self.rows, alive.tolist(), strict=True) if a] + drows
        new = ColumnSet(rows, self.idc, keyorder=self.keyorder and not drows)
        bmask = pa.array(alive) if alive is not None else None
        dm = pa.array(dmask)
        for key, arr in list(self.cols.items()):  # readers may add entries concurrently
            if arr is None:
                continue
            try:
                d = self.delta_column(key, arr.type, len(self.delta)).filter(dm)
            except Unavailable:
                new.cols[key] = None
                continue
            base = arr.filter(bmask) if bmask is not None else arr
            new.cols[key] = pa.concat_arrays([base, d]) if len(d) else base
        return new

    # --- reading
    def _values(self, key: tuple[str, str], rows: list[Row]) -> list[Any]:
        if key == ID_KEY:
            idc = self.idc
            return [r[idc].bytes for r in rows]
        name = key[0]
        return [r.get(name) for r in rows]

    def base_column(self, key: tuple[str, str], typ: pa.DataType) -> pa.Array:
        got = self.cols.get(key, False)
        if got is False:
            try:
                got = to_arrow(self._values(key, self.rows), typ)
            except Unavailable:
                got = None
            self.cols[key] = got
        if got is None:
            raise Unavailable(key[0])
        return got

    def delta_column(self, key: tuple[str, str], typ: pa.DataType, n: int) -> pa.Array:
        """The array of ``delta[:n]`` (converting only the rows appended since the last call)."""
        got = self.dcols.get(key, False)
        if got is None:
            raise Unavailable(key[0])
        if n == 0:
            return pa.array([], type=typ)
        have = len(got) if got is not False else 0
        if have < n:
            try:
                more = to_arrow(self._values(key, self.delta[have:n]), typ)
            except Unavailable:
                self.dcols[key] = None
                raise
            got = pa.concat_arrays([got, more]) if have else more
            cur = self.dcols.get(key)
            if cur is None or cur is False or len(cur) < len(got):
                self.dcols[key] = got
        assert got is not False
        return got.slice(0, n) if len(got) > n else got

    def view(self, overlay: dict[uuid.UUID, Row | None] | None, dcol: str,
             cached: dict[uuid.UUID, Row]) -> ColumnView:
        """A reader's view (under the commit lock): this set as of now, merged with a transaction's overlay."""
        alive = self.alive.copy() if self.alive is not None else None
        nd = len(self.delta)
        dalive = np.frombuffer(bytes(self.dalive), dtype=bool).copy() if self.ddead else None
        orows: list[Row] = []
        if overlay:
            for i, r in overlay.items():
                if i in cached:  # the transaction changed a committed row: hide the committed version
                    k = i.int
                    j = self.dpos.get(k)
                    if j is not None:
                        if dalive is None:
                            dalive = np.ones(nd, dtype=bool)
                        dalive[j] = False
                    else:
                        p = self._base_pos().get(k)
                        if p is not None:
                            if alive is None:
                                alive = np.ones(len(self.rows), dtype=bool)
                            alive[p] = False
                if r is not None and r.get(dcol) is None:
                    orows.append(r)
        return ColumnView(self, alive, nd, dalive, orows)


def _mask(m: np.ndarray | None) -> np.ndarray | None:
    return m if m is not None and not m.all() else None


class ColumnView:
    """One reader's columns: base rows (masked), delta rows (masked), overlay rows — in that (view) order."""

    def __init__(self, cs: ColumnSet, alive: np.ndarray | None, nd: int, dalive: np.ndarray | None,
                 overlay: list[Row]) -> None:
        self.cs = cs
        self.alive = _mask(alive)
        self.nd = nd
        self.dalive = _mask(dalive)
        self.overlay = overlay
        self._idx: dict[str, np.ndarray] = {}
        self._arrow_masks: dict[str, pa.Array] = {}
        self.nbase = int(self.alive.sum()) if self.alive is not None else len(cs.rows)
        self.ndelta = int(self.dalive.sum()) if self.dalive is not None else nd
        self.n = self.nbase + self.ndelta + len(overlay)

    def _amask(self, which: str) -> pa.Array:
        m = self._arrow_masks.get(which)
        if m is None:
            m = self._arrow_masks[which] = pa.array(self.alive if which == "base" else self.dalive)
        return m

    def column(self, name: str, oid: int, typmod: int = -1) -> Any:
        """The values of column ``name`` for every row of the view, an Arrow Array or ChunkedArray
        (:class:`Unavailable` if not servable)."""
        typ = arrow_type(oid, typmod)
        if typ is None:
            raise Unavailable(name)
        parts = self._committed((name, str(typ)), typ)
        if self.overlay:
            parts.append(to_arrow([r.get(name) for r in self.overlay], typ))
        if len(parts) == 1:
            return parts[0]
        return pa.chunked_array(parts, type=typ)

    def _committed(self, key: Any, typ: Any) -> list[Any]:
        """The live committed values of column ``key``: the base's, then the delta's (each masked when rows died)."""
        cs = self.cs
        parts = []
        if cs.rows:
            base = cs.base_column(key, typ)
            parts.append(base.filter(self._amask("base")) if self.alive is not None else base)
        if self.nd:
            d = cs.delta_column(key, typ, self.nd)
            parts.append(d.filter(self._amask("delta")) if self.dalive is not None else d)
        return parts

    def scan_ordered(self) -> bool:
        """True when view order is row-scan order (committed rows in key order, then the overlay's)."""
        return self.cs.keyorder and self.ndelta == 0

    def rank_key(self) -> Any:
        """An Arrow binary array over the view that sorts in row-scan order: the committed rows' ids (16 bytes,
        big-endian: key order), then the overlay rows after them in overlay order."""
        parts = [p.cast(pa.binary()) for p in self._committed(ID_KEY, pa.binary(16))]
        if self.overlay:
            parts.append(pa.array([_OVERLAY_ID + i.to_bytes(4, "big") for i in range(len(self.overlay))],
                                  pa.binary()))
        if not parts:
            return pa.array([], pa.binary())
        return parts[0] if len(parts) == 1 else pa.chunked_array(parts, type=pa.binary())

    def rows_at(self, positions: Any) -> list[Row]:
        """The rows at view ``positions`` (an integer array), in that order."""
        sel = np.asarray(positions, dtype=np.int64)
        nb, nd = self.nbase, self.ndelta
        cs = self.cs
        if len(sel) and int(sel.max()) < nb:  # the common case: every row from the base
            if self.alive is not None:
                sel = self._index("base")[sel]
            rows = cs.rows
            return [rows[i] for i in sel.tolist()]
        bidx = self._index("base") if self.alive is not None else None
        didx = self._index("delta") if self.dalive is not None else None
        rows, delta, over = cs.rows, cs.delta, self.overlay
        out: list[Row] = []
        for p in sel.tolist():
            if p < nb:
                out.append(rows[int(bidx[p]) if bidx is not None else p])
            elif p < nb + nd:
                q = p - nb
                out.append(delta[int(didx[q]) if didx is not None else q])
            else:
                out.append(over[p - nb - nd])
        return out

    def _index(self, which: str) -> np.ndarray:
        got = self._idx.get(which)
        if got is None:
            got = self._idx[which] = np.flatnonzero(self.alive if which == "base" else self.dalive)
        return got

    def take(self, mask: Any = None) -> list[Row]:
        """The rows where ``mask`` (a boolean Arrow array over the view; None = all) is true, in row-scan order:
        committed rows in key order, then the transaction's own rows."""
        if mask is None:
            sel = np.arange(self.n)
        else:
            m = mask.fill_null(False) if mask.null_count else mask
            sel = np.flatnonzero(m.to_numpy(zero_copy_only=False))
        nb, nd = self.nbase, self.ndelta
        cut = int(np.searchsorted(sel, nb))
        cut2 = int(np.searchsorted(sel, nb + nd))
        cs = self.cs
        bsel = sel[:cut]
        if self.alive is not None:
            bsel = self._index("base")[bsel]
        rows = cs.rows
        out = [rows[i] for i in bsel.tolist()]
        if cut2 > cut:
            dsel = sel[cut:cut2] - nb
            if self.dalive is not None:
                dsel = self._index("delta")[dsel]
            d = cs.delta
            out.extend(d[i] for i in dsel.tolist())
        if (cut2 > cut or not cs.keyorder) and len(out) > 1:
            idc = cs.idc
            out.sort(key=lambda r: r[idc].int)
        if len(sel) > cut2:
            o = self.overlay
            base = nb + nd
            out.extend(o[i - base] for i in sel[cut2:].tolist())
        return out
