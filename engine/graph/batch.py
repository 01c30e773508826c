"""TRAVERSE results column by column: numpy arrays per reached node, row tuples built only when iterated.

A :class:`TraverseBatch` is a read-only sequence of TRAVERSE rows (``TRAVERSE_COLUMNS`` order, or a projection
of them). Its iterator also offers ``text_columns(encoders)`` (the optional fast path of
:class:`engine.api.Result` rows): every column already in PostgreSQL text format, encoded a whole column at a
time with numpy (uuid text from a per-node table of the ids' text, path arrays from the parent links), so a
large traversal reaches the wire without per-row Python work.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

ID, ENTITY_TYPE, KEY, DEPTH, PATH, REL_TYPE, WEIGHT, DATA = range(8)
ALL = tuple(range(8))
_EMPTY_I = np.empty(0, np.int64)

TextColumn = tuple[bytes, np.ndarray]  # values back to back, each value's length (-1: NULL; a list for small ones)
# id(data object) → (that object, its encoder, its text): for ``data`` objects shared between statements and never
# changed (the graph's data cache); holding the object keeps its id from being reused while the entry lives
DataMemo = dict[int, tuple[Any, Any, bytes]]
MEMO_MAX = 200_000
SMALL = 24  # up to this many rows, columns are encoded in plain Python (above: numpy, fixed-width columns unpadded)
_DEPTH_TEXT = [str(d).encode() for d in range(64)]
_I32 = struct.Struct("!i").pack
_NULL_CELL = b"\xff\xff\xff\xff"
_LEN36 = _I32(36)


def fixed_lengths(width: int, n: int) -> np.ndarray:
    """The lengths of ``n`` values of ``width`` bytes each, as a read-only array with stride 0 (one int in memory;
    ``remwire.results.text_data_rows`` recognizes such a column as fixed-width and frames it without padding)."""
    return np.ndarray((n,), np.int64, np.array([width], np.int64), 0, (0,))


def _cell(text: bytes) -> bytes:
    """A DataRow cell: the value's length, then the value."""
    return _I32(len(text)) + text


_DEPTH_CELL = [_cell(t) for t in _DEPTH_TEXT]


class TraverseBatch:
    """Rows of one traversal: ``nodes``/``depths``/``rels``/``weights`` per row, ``paths`` a node matrix (row i:
    the nodes from the start to row i's node, ``depths[i] + 1`` of them, -1 after), ``hex_ids`` the text of every
    node's uuid; ``types``/``keys``/``data`` per row when built (else the column is NULL)."""

    def __init__(self, ids: Sequence[uuid.UUID], hex_ids: np.ndarray, nodes: np.ndarray, depths: np.ndarray,
                 rels: np.ndarray, weights: np.ndarray, *, rel_names: Sequence[str],
                 types: list[str | None] | None = None, keys: list[str | None] | None = None,
                 paths: np.ndarray | None = None, data: list[Any] | None = None,
                 cols: Sequence[int] = ALL) -> None:
        self.ids, self.hex_ids = ids, hex_ids
        self.nodes, self.depths, self.rels, self.weights = nodes, depths, rels, weights
        self.rel_names = rel_names
        self.types, self.keys, self.paths, self.data = types, keys, paths, data
        self.cols = tuple(cols)
        self._rows: list[tuple[Any, ...]] | None = None
        self.data_memo: DataMemo | None = None  # text of shared, never-changed ``data`` objects (see DataMemo)

    # --- the row view -------------------------------------------------------------------------------------------
    def column(self, c: int) -> list[Any]:
        """Column ``c`` (a TRAVERSE column number) as Python values (None when it was not built)."""
        n = len(self.nodes)
        if c == ID:
            ids = self.ids
            return [ids[x] for x in self.nodes.tolist()]
        if c == DEPTH:
            return self.depths.tolist()
        if c == REL_TYPE:
            names = self.rel_names
            return [names[r] for r in self.rels.tolist()]
        if c == WEIGHT:
            return self.weights.tolist()
        if c == PATH and self.paths is not None:
            ids = self.ids
            return [[ids[x] for x in p[: d + 1]] for p, d in zip(self.paths.tolist(), self.depths.tolist(), strict=True)]
        got = {ENTITY_TYPE: self.types, KEY: self.keys, DATA: self.data}.get(c)
        return list(got) if got is not None else [None] * n

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows as tuples (built once)."""
        if self._rows is None:
            cols = [self.column(c) for c in self.cols]
            self._rows = list(zip(*cols, strict=True)) if cols else [()] * len(self.nodes)
        return self._rows

    def project(self, cols: Sequence[int]) -> TraverseBatch:
        """The batch with columns ``cols`` (positions in this batch's columns) only."""
        b = object.__new__(TraverseBatch)  # a copy of the fields (cheaper than __init__'s keywords)
        b.__dict__.update(self.__dict__)
        mine = self.cols
        b.cols = tuple([mine[i] for i in cols])
        b._rows = None
        return b

    def take(self, keep: np.ndarray) -> TraverseBatch:
        """The rows where boolean ``keep`` is true (paths still run through the rows left out)."""
        idx = np.flatnonzero(keep)
        il = idx.tolist()

        def sub(v: list[Any] | None) -> list[Any] | None:
            return None if v is None else [v[i] for i in il]
        return TraverseBatch(self.ids, self.hex_ids, self.nodes[idx], self.depths[idx], self.rels[idx],
                             self.weights[idx], rel_names=self.rel_names, types=sub(self.types),
                             keys=sub(self.keys), data=sub(self.data),
                             paths=None if self.paths is None else self.paths[idx],
                             cols=self.cols)

    def __len__(self) -> int:
        return len(self.nodes)

    def __bool__(self) -> bool:
        return len(self.nodes) > 0

    def __getitem__(self, i: Any) -> Any:
        return self.rows()[i]

    def __iter__(self) -> BatchIterator:
        return BatchIterator(self)

    def __eq__(self, other: object) -> bool:
        return self.rows() == (list(other) if isinstance(other, (TraverseBatch, tuple)) else other)

    __hash__ = None  # type: ignore[assignment]

    # --- whole columns in text format ---------------------------------------------------------------------------
    def text_columns(self, encoders: Sequence[Callable[[Any], bytes]]) -> list[TextColumn]:
        """Each column in PostgreSQL text format (``encoders``: the per-value text encoders of the columns, used
        for the columns not encoded here: weight, data, and any column whose type the caller changed)."""
        small = len(self.nodes) <= SMALL
        return [self._text_column(c, enc, small) for c, enc in zip(self.cols, encoders, strict=True)]

    def text_cells(self, encoders: Sequence[Callable[[Any], bytes]]) -> list[list[bytes]] | None:
        """For a small batch (up to ``SMALL`` rows), each column as its DataRow cells (the 4-byte length then the
        text, ``\\xff\\xff\\xff\\xff`` for NULL), built in plain Python; None for a larger batch."""
        n = len(self.nodes)
        if n > SMALL:
            return None
        out: list[list[bytes]] = []
        for c, enc in zip(self.cols, encoders, strict=True):
            if c == ID:
                h = self.hex_ids.take(self.nodes, axis=0).tobytes()
                out.append([_LEN36 + h[i:i + 36] for i in range(0, 36 * n, 36)])
            elif c == DEPTH:
                cells = _DEPTH_CELL
                out.append([cells[d] if d < 64 else _cell(str(d).encode()) for d in self.depths.tolist()])
            elif c == REL_TYPE:
                names = self.rel_names
                memo: dict[int, bytes] = {}
                out.append([memo.get(r) or memo.setdefault(r, _cell(names[r].encode())) for r in self.rels.tolist()])
            elif c in (ENTITY_TYPE, KEY):
                v = self.types if c == ENTITY_TYPE else self.keys
                if v is None:
                    out.append([_NULL_CELL] * n)
                else:
                    smemo: dict[str, bytes] = {}
                    out.append([_NULL_CELL if x is None else smemo.get(x) or smemo.setdefault(x, _cell(x.encode()))
                                for x in v])
            elif c == PATH and self.paths is not None:
                out.append([_cell(t) for t in self._path_texts()])
            else:
                if c == DATA and self.data is not None and self.data_memo is not None:
                    parts = _memo_parts(self.data, enc, self.data_memo)
                else:
                    parts = _encoded_parts(self.column(c), enc)
                out.append([_NULL_CELL if b is None else _cell(b) for b in parts])
        return out

    def _path_texts(self) -> list[bytes]:
        """uuid[] text of every row's path, in plain Python (a small batch's)."""
        hx = self.hex_ids
        memo: dict[int, bytes] = {}
        out = []
        assert self.paths is not None
        for p, d in zip(self.paths.tolist(), self.depths.tolist(), strict=True):
            texts = []
            for x in p[:d + 1]:
                t = memo.get(x)
                if t is None:
                    t = memo[x] = hx[x].tobytes()
                texts.append(t)
            out.append(b"{" + b",".join(texts) + b"}")
        return out

    def _text_column(self, c: int, enc: Callable[[Any], bytes], small: bool) -> TextColumn:
        n = len(self.nodes)
        if small and c in (DEPTH, REL_TYPE):  # plain Python beats numpy's per-call cost here
            texts = ([_DEPTH_TEXT[d] for d in self.depths.tolist()] if c == DEPTH
                     else [self.rel_names[r].encode() for r in self.rels.tolist()])
            return b"".join(texts), [len(b) for b in texts]  # type: ignore[return-value]
        if c == ID and small:
            return self.hex_ids.take(self.nodes, axis=0).tobytes(), [36] * n  # type: ignore[return-value]
        if c == ID:
            return self.hex_ids.take(self.nodes, axis=0).tobytes(), fixed_lengths(36, n)
        if c == DEPTH:
            top = int(self.depths.max(initial=0))
            if top < 10:  # one digit each
                return (self.depths.astype(np.uint8) + 48).tobytes(), fixed_lengths(1, n)
            return _coded(self.depths, [str(d).encode() for d in range(top + 1)])
        if c == REL_TYPE:
            return _coded(self.rels, [r.encode() for r in self.rel_names])
        if c == PATH and self.paths is not None:
            return _path_text(self.hex_ids, self.paths, self.depths)
        if c in (ENTITY_TYPE, KEY) and (v := self.types if c == ENTITY_TYPE else self.keys) is not None:
            return _strings(v)
        if c == DATA and self.data is not None and self.data_memo is not None:
            return _memo_encoded(self.data, enc, self.data_memo)
        return _encoded(self.column(c), enc)


class BatchIterator:
    """Iterator over a batch's rows that also hands the batch's columns over as text (see the module doc)."""

    __slots__ = ("batch", "_it")

    def __init__(self, batch: TraverseBatch) -> None:
        self.batch = batch
        self._it: Iterator[tuple[Any, ...]] | None = None

    def __iter__(self) -> BatchIterator:
        return self

    def __next__(self) -> tuple[Any, ...]:
        if self._it is None:
            self._it = iter(self.batch.rows())
        return next(self._it)

    def __length_hint__(self) -> int:
        return len(self.batch) if self._it is None else 0

    def text_columns(self, encoders: Sequence[Callable[[Any], bytes]]) -> list[TextColumn] | None:
        """All the (not yet iterated) rows' columns in text format, consuming the iterator; None once iteration
        has started."""
        if self._it is not None:
            return None
        self._it = iter(())
        return self.batch.text_columns(encoders)

    def text_cells(self, encoders: Sequence[Callable[[Any], bytes]]) -> list[list[bytes]] | None:
        """A small batch's (not yet iterated) columns as DataRow cells (see :meth:`TraverseBatch.text_cells`),
        consuming the iterator; None (and nothing consumed) for a larger batch or once iteration has started."""
        if self._it is not None:
            return None
        cells = self.batch.text_cells(encoders)
        if cells is not None:
            self._it = iter(())
        return cells


# --- encoders ------------------------------------------------------------------------------------------------------

_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_DASHES = (8, 13, 18, 23)
_HEXPOS = np.array([i for i in range(36) if i not in _DASHES])


def uuid_text(raw: np.ndarray) -> np.ndarray:
    """(k, 16) uint8 uuid bytes → (k, 36) uint8 of their canonical text (``8-4-4-4-12`` lowercase hex)."""
    k = len(raw)
    out = np.full((k, 36), ord("-"), np.uint8)
    hexd = np.empty((k, 32), np.uint8)
    hexd[:, 0::2] = _HEX[raw >> 4]
    hexd[:, 1::2] = _HEX[raw & 15]
    out[:, _HEXPOS] = hexd
    return out


def _coded(codes: np.ndarray, table: list[bytes]) -> TextColumn:
    """A column of few distinct values: ``table[code]`` per row."""
    if not len(codes):
        return b"", _EMPTY_I
    lens = np.array([len(b) for b in table], np.int64)
    width = int(lens.max(initial=0))
    pad = np.zeros((len(table), max(width, 1)), np.uint8)
    for i, b in enumerate(table):
        pad[i, :len(b)] = np.frombuffer(b, np.uint8)
    ln = lens[codes]
    mask = np.arange(pad.shape[1]) < ln[:, None]
    return pad[codes][mask].tobytes(), ln


def _strings(values: list[str | None]) -> TextColumn:
    enc = [None if v is None else v.encode() for v in values]
    return b"".join([b for b in enc if b is not None]), np.array([-1 if b is None else len(b) for b in enc], np.int64)


def _joined(parts: list[bytes | None]) -> TextColumn:
    return (b"".join([b for b in parts if b is not None]),
            np.array([-1 if b is None else len(b) for b in parts], np.int64))


def _encoded(values: list[Any], enc: Callable[[Any], bytes]) -> TextColumn:
    return _joined(_encoded_parts(values, enc))


def _encoded_parts(values: list[Any], enc: Callable[[Any], bytes]) -> list[bytes | None]:
    """Each value's text (None for NULL), equal values encoded once."""
    cache: dict[Any, bytes] = {}
    parts: list[bytes | None] = []
    for v in values:
        if v is None:
            parts.append(None)
            continue
        try:
            b = cache.get(v)
        except TypeError:  # unhashable (dicts, lists)
            parts.append(enc(v))
            continue
        if b is None:
            b = cache[v] = enc(v)
        parts.append(b)
    return parts


def _memo_encoded(values: list[Any], enc: Callable[[Any], bytes], memo: DataMemo) -> TextColumn:
    return _joined(_memo_parts(values, enc, memo))


def _memo_parts(values: list[Any], enc: Callable[[Any], bytes], memo: DataMemo) -> list[bytes | None]:
    """Each value's text (None for NULL), from ``memo`` when the very object was encoded before (see DataMemo)."""
    parts: list[bytes | None] = []
    if len(memo) > MEMO_MAX:
        memo.clear()
    for v in values:
        if v is None:
            parts.append(None)
            continue
        hit = memo.get(id(v))
        if hit is not None and hit[0] is v and hit[1] is enc:
            parts.append(hit[2])
            continue
        b = enc(v)
        memo[id(v)] = (v, enc, b)
        parts.append(b)
    return parts


def _path_text(hex_ids: np.ndarray, m: np.ndarray, depths: np.ndarray) -> TextColumn:
    """uuid[] text ``{u1,u2,…}`` of every row's path (row i of ``m``: the nodes from the start, ``depths[i] + 1``
    of them), a group of rows of equal depth at a time."""
    n = len(depths)
    if not n:
        return b"", _EMPTY_I
    lens = 2 + 37 * (depths + 1) - 1
    chunks: list[tuple[np.ndarray, np.ndarray]] = []
    for d in np.unique(depths).tolist():
        rows = np.flatnonzero(depths == d)
        k, w = len(rows), d + 1
        cell = np.empty((k, w, 37), np.uint8)
        cell[:, :, :36] = hex_ids[m[rows, :w]]
        cell[:, :, 36] = ord(",")
        cell[:, -1, 36] = ord("}")
        text = np.empty((k, 1 + 37 * w), np.uint8)
        text[:, 0] = ord("{")
        text[:, 1:] = cell.reshape(k, 37 * w)
        chunks.append((rows, text))
    if len(chunks) == 1:
        return chunks[0][1].tobytes(), lens
    starts = np.zeros(n, np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    buf = np.empty(int(lens.sum()), np.uint8)
    for rows, text in chunks:
        w = text.shape[1]
        buf[(starts[rows][:, None] + np.arange(w)).ravel()] = text.ravel()
    return buf.tobytes(), lens
