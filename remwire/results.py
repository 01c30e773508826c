"""The one result adapter: engine Result rows → RowDescription / DataRow / CommandComplete / PortalSuspended.

Per-column format codes (text 0, binary 1), row limits (Execute max_rows → PortalSuspended, resumable) and
command tags (``SELECT n`` counts the rows sent) are handled here and nowhere else.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

from engine import types as t
from engine.api import Column, Result
from engine.errors import ProtocolViolation
from remwire import pgtypes
from remwire.protocol import messages as m
from remwire.protocol.datarow import row_encoder

_PORTAL_SUSPENDED = m.PortalSuspended().encode()
_NO_DATA = m.NoData().encode()


def resolve_formats(n: int, formats: Sequence[int]) -> list[int]:
    """Per-column format codes: none → all text, one → all that one, else one per column."""
    if not formats:
        return [0] * n
    if any(f not in (0, 1) for f in formats):
        raise ProtocolViolation(f"unsupported format code: {next(f for f in formats if f not in (0, 1))}")
    if len(formats) == 1:
        return [formats[0]] * n
    if len(formats) != n:
        raise ProtocolViolation(f"bind message has {len(formats)} result formats but query has {n} columns")
    return list(formats)


@cache
def _typlen(oid: int) -> int:
    typ = t.by_oid(oid)
    return typ.typlen if typ is not None else -1


class IdCache(dict[tuple[Any, ...], Any]):
    """Values per column list by identity: keys start with ``id(list)`` (then formats, options…), ``get`` is the
    plain dict lookup (the hot path: a prepared statement's list again), ``put`` also keeps the list alive so its
    id cannot be reused by another list while the entry stands; emptied when over ``size``."""

    __slots__ = ("size", "_keep")

    def __init__(self, size: int = 1024) -> None:
        super().__init__()
        self.size = size
        self._keep: dict[int, object] = {}

    def put(self, key: tuple[Any, ...], owner: object, value: Any) -> None:
        """Remember ``value`` under ``key`` (whose first item is ``id(owner)``)."""
        if len(self) > self.size:
            self.clear()
            self._keep.clear()
        self._keep[key[0]] = owner
        self[key] = value


_RD_CACHE: dict[tuple[tuple[Column, ...], tuple[int, ...]], bytes] = {}
_RD_BY_ID = IdCache()  # (id of a column list, formats) → bytes: a prepared statement's list skips hashing its columns


def row_description(columns: Sequence[Column], formats: Sequence[int] | None = None) -> bytes:
    """RowDescription bytes (format codes default to text, as in Describe of a statement); cached."""
    fmts = tuple(formats) if formats else (0,) * len(columns)
    idk = (id(columns), fmts)
    got = _RD_BY_ID.get(idk)
    if got is not None:
        return got
    data = _row_description(columns, fmts)
    _RD_BY_ID.put(idk, columns, data)
    return data


def _row_description(columns: Sequence[Column], fmts: tuple[int, ...]) -> bytes:
    key = (tuple(columns), fmts)
    hit = _RD_CACHE.get(key)
    if hit is not None:
        return hit
    if len(_RD_CACHE) > 4096:
        _RD_CACHE.clear()
    _RD_CACHE[key] = data = m.RowDescription(tuple(
        m.FieldDescription(c.name, c.table_oid, c.attnum, c.type_oid, _typlen(c.type_oid), c.typmod, f)
        for c, f in zip(columns, fmts, strict=True)
    )).encode()
    return data


def describe(columns: Sequence[Column] | None, formats: Sequence[int] | None = None) -> bytes:
    """RowDescription, or NoData for statements without rows."""
    return _NO_DATA if columns is None else row_description(columns, formats)


_ENC_CACHE = IdCache()  # (id of a result's column list, format codes, text options) → (formats, encoders)


def encoders_for(cols: Sequence[Column], formats: Sequence[int],
                 opts: pgtypes.TextOptions) -> tuple[list[int], list[Callable[[Any], bytes]]]:
    """(per-column format codes, per-column encoders) of a column list; cached per list (a prepared statement's)."""
    key = (id(cols), tuple(formats), opts)
    hit = _ENC_CACHE.get(key)
    if hit is not None:  # the same column list (a prepared statement's) again
        return hit
    fmts = resolve_formats(len(cols), formats)
    encs = [pgtypes.encoder(c.type_oid, f, opts) for c, f in zip(cols, fmts, strict=True)]
    if cols:
        _ENC_CACHE.put(key, cols, (fmts, encs))
    return fmts, encs


_INT_OIDS = frozenset({t.INT2, t.INT4, t.INT8})
_STR_OIDS = frozenset({t.TEXT, t.VARCHAR, t.NAME, t.BPCHAR, t.UNKNOWN})
_ROW_CACHE = IdCache()  # (id of a column list, format codes, text options) → DataRow encoder


def data_row_encoder(cols: Sequence[Column], formats: Sequence[int],
                     opts: pgtypes.TextOptions) -> Callable[[Any], bytes]:
    """``row -> DataRow bytes`` for rows of ``cols`` (remwire.protocol.datarow); cached per column list."""
    key = (id(cols), tuple(formats), opts)
    hit = _ROW_CACHE.get(key)
    if hit is not None:
        return hit
    fmts, encs = encoders_for(cols, formats, opts)
    inline = ["" if f else "int" if c.type_oid in _INT_OIDS else "str" if c.type_oid in _STR_OIDS else ""
              for c, f in zip(cols, fmts, strict=True)]
    enc = row_encoder(encs, inline)
    if cols:
        _ROW_CACHE.put(key, cols, enc)
    return enc


class ResultWriter:
    """Streams one Result's rows as DataRow messages, possibly across several Execute calls."""

    __slots__ = ("result", "formats", "encoders", "rows", "done", "total", "opts")

    def __init__(self, result: Result, formats: Sequence[int],
                 opts: pgtypes.TextOptions = pgtypes.DEFAULT_TEXT_OPTIONS) -> None:
        self.result = result
        self.opts = opts
        self.formats, self.encoders = encoders_for(result.columns or [], formats, opts)
        self.rows: Iterator[tuple[Any, ...]] = iter(result.rows)
        self.done = result.columns is None
        self.total = 0

    def write_rows(self, out: list[bytes], max_rows: int = 0, flush: Callable[[], None] | None = None) -> int:
        """Append up to ``max_rows`` DataRows (0: all) to ``out``; returns how many. Sets ``done`` at the end."""
        encs = self.encoders
        if not max_rows and not self.total and encs and not any(self.formats):
            cells = getattr(self.rows, "text_cells", None)  # a small result's columns as DataRow cells
            cols_c = cells(encs) if cells is not None else None
            if cols_c is not None:
                n = len(cols_c[0])
                if n:
                    out.append(cell_data_rows(cols_c))
                self.total, self.done = n, True
                return n
            whole = getattr(self.rows, "text_columns", None)  # rows that come a whole column at a time
            cols = whole(encs) if whole is not None else None
            if cols is not None:
                n = len(cols[0][1])
                if n:
                    out.append(text_data_rows(cols))
                self.total, self.done = n, True
                return n
        data_row = m.encode_data_row
        n = 0
        append = out.append
        if len(encs) == 1:
            enc = encs[0]
            for row in self.rows:
                v = row[0]
                append(data_row((None if v is None else enc(v),)))
                n += 1
                if n == max_rows:
                    break
                if flush is not None and not n & 1023:
                    flush()
            else:
                self.done = True
        else:
            encode_row = data_row_encoder(self.result.columns or [], self.formats, self.opts)
            for row in self.rows:
                append(encode_row(row))
                n += 1
                if n == max_rows:
                    break
                if flush is not None and not n & 1023:
                    flush()
            else:
                self.done = True
        self.total += n
        return n

    def complete(self, nrows: int) -> bytes:
        """CommandComplete for this execution (``nrows`` = rows sent by this Execute)."""
        return command_complete(command_tag(self.result, nrows))


_SMALL_FRAME = 48  # up to this many rows the frames are built in plain Python (numpy's per-call cost dominates)
_I32 = struct.Struct("!i").pack


def _small_data_rows(data: list[bytes], lens: list[list[int]]) -> bytes:
    """DataRows of columns ``data`` with per-column value lengths ``lens``, built in plain Python."""
    cols = []
    for d, col in zip(data, lens, strict=True):
        o = 0
        cells = []
        for ln in col:
            if ln < 0:
                cells.append(b"\xff\xff\xff\xff")
            else:
                cells.append(_I32(ln) + d[o:o + ln])
                o += ln
        cols.append(cells)
    ncol = len(data).to_bytes(2, "big")
    out = []
    for row in zip(*cols, strict=True):
        body = b"".join(row)
        out.append(b"D" + _I32(len(body) + 6) + ncol + body)
    return b"".join(out)


def cell_data_rows(cols: Sequence[list[bytes]]) -> bytes:
    """DataRow messages of columns given as their cells (each the 4-byte length then the text, or
    ``\\xff\\xff\\xff\\xff`` for NULL)."""
    head = len(cols).to_bytes(2, "big")
    i32 = _I32
    if len(cols) == 1:
        return b"".join([b"D" + i32(len(c) + 6) + head + c for c in cols[0]])
    return b"".join([b"D" + i32(len(body) + 6) + head + body for body in map(b"".join, zip(*cols, strict=True))])


def text_data_rows(cols: Sequence[tuple[bytes, Any]]) -> bytes:
    """DataRow messages of whole columns in text format: per column the values back to back and each value's
    length (-1: NULL). Small results are framed in plain Python, others with numpy: every row laid out in a
    padded matrix (each column at a fixed offset, as wide as its widest value) and the padding, if any, dropped by
    one boolean mask."""
    import numpy as np

    if all(type(ln) is np.ndarray and ln.strides == (0,) for _, ln in cols):
        return _fixed_data_rows(cols)
    if len(cols[0][1]) <= _SMALL_FRAME:
        return _small_data_rows([d for d, _ in cols], [ln.tolist() if hasattr(ln, "tolist") else ln for _, ln in cols])
    lens = np.stack([np.asarray(ln, np.int64) for _, ln in cols], axis=1)
    n, c = lens.shape
    cell = np.maximum(lens, 0)
    widths = cell.max(axis=0)
    total_w = 7 + int((4 + widths).sum())
    body = cell.sum(axis=1) + (6 + 4 * c)  # the length field counts itself, the column count and the cells
    if n * total_w > 4 * int(body.sum()) + (1 << 20):  # a few very wide values: padding would not pay
        return _small_data_rows([d for d, _ in cols], lens.T.tolist())
    mat = np.empty((n, total_w), np.uint8)
    keep = None  # where the padding is (allocated when a column's values differ in width)
    mat[:, 0] = ord("D")
    mat[:, 1:5] = body.astype(">i4").view(np.uint8).reshape(n, 4)
    mat[:, 5:7] = np.frombuffer(c.to_bytes(2, "big"), np.uint8)
    at = 7
    for j, (data, _) in enumerate(cols):
        w = int(widths[j])
        mat[:, at:at + 4] = lens[:, j].astype(">i4").view(np.uint8).reshape(n, 4)
        at += 4
        if w:
            raw = np.frombuffer(data, np.uint8, int(cell[:, j].sum()))
            if len(raw) == n * w:  # every value as wide as the widest
                mat[:, at:at + w] = raw.reshape(n, w)
            else:
                m_j = np.arange(w) < cell[:, j, None]
                mat[:, at:at + w][m_j] = raw
                if keep is None:
                    keep = np.ones((n, total_w), bool)
                keep[:, at:at + w] = m_j
        at += w
    return mat.tobytes() if keep is None else mat[keep].tobytes()


def _fixed_data_rows(cols: Sequence[tuple[bytes, Any]]) -> bytes:
    """text_data_rows of columns whose values all have one width per column (lengths given with stride 0, see
    engine.graph.batch.fixed_lengths; never NULL): every DataRow has the same layout, so the rows are one matrix
    of a constant row (the headers) with each column's values copied in."""
    import numpy as np

    n = len(cols[0][1])
    widths = [int(ln[0]) if n else 0 for _, ln in cols]
    head = [b"D" + _I32(6 + sum(4 + w for w in widths)) + len(cols).to_bytes(2, "big")]
    for w in widths:
        head += (_I32(w), bytes(w))
    row = np.frombuffer(b"".join(head), np.uint8)
    mat = np.empty((n, len(row)), np.uint8)
    mat[:] = row
    at = 7
    for (data, _), w in zip(cols, widths, strict=True):
        at += 4
        if w:
            mat[:, at:at + w] = np.frombuffer(data, np.uint8, n * w).reshape(n, w)
        at += w
    return mat.tobytes()


def command_tag(result: Result, nrows: int) -> str:
    """The CommandComplete tag: engine tags are complete, except row-counted ones (``SELECT`` → ``SELECT n``)."""
    tag = result.tag
    if result.tag_counts_rows or (result.columns is not None and tag in ("SELECT", "FETCH", "MOVE")):
        return f"{tag} {nrows}"
    return tag


PORTAL_SUSPENDED = _PORTAL_SUSPENDED
_CC_CACHE: dict[str, bytes] = {}


def command_complete(tag: str) -> bytes:
    """CommandComplete bytes for ``tag`` (common tags cached)."""
    b = _CC_CACHE.get(tag)
    if b is None:
        b = m.CommandComplete(tag).encode()
        if len(_CC_CACHE) < 1024:
            _CC_CACHE[tag] = b
    return b
