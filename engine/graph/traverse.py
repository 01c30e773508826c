"""Breadth-first traversal over :class:`engine.graph.adjacency.Adjacency`, one frontier at a time in numpy.

Each node is reported once, at its smallest depth, reached by the first edge in BFS order (frontier order,
then the canonical edge order: relation type, neighbour id; out-edges before in-edges for ``both``).
Dead nodes (no visible entity: soft-deleted, never written) are neither reported nor walked through.
Start nodes (several when a key names entities of several tables) are never reported. Cycles are safe (a node is visited once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from engine.errors import InvalidParameterValue
from engine.graph.adjacency import IN, OUT, Adjacency

MAX_DEPTH = 10
SMALL_FRONTIER = 48  # up to this many frontier nodes a level runs in plain Python, above it in numpy
SMALL_EDGES = 1024  # … and up to this many edges leaving the frontier
DIRECTIONS = {"out": (OUT,), "in": (IN,), "both": (OUT, IN)}
_NOT_YET = np.iinfo(np.int64).max  # Adjacency.scratch's first-occurrence array between uses


class Level(NamedTuple):
    """Nodes first reached at ``depth``: node, the node it was reached from, the edge's rel id and weight (a
    named tuple: built per level of every traversal, it costs less than a frozen dataclass)."""

    depth: int
    nodes: np.ndarray
    parents: np.ndarray
    rels: np.ndarray
    weights: np.ndarray


def check_args(depth: object, direction: object, limit: object) -> tuple[int, str, int | None]:
    """Validated (depth, direction, limit); InvalidParameterValue (22023) otherwise."""
    if (type(depth) is int and 1 <= depth <= MAX_DEPTH and limit is None and type(direction) is str
            and direction in DIRECTIONS):
        return depth, direction, None  # the common case, checked at once
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer):
        raise InvalidParameterValue(f"traversal depth must be an integer, got {depth!r}")
    if not 1 <= int(depth) <= MAX_DEPTH:
        raise InvalidParameterValue(
            f"traversal depth must be between 1 and {MAX_DEPTH}, got {depth}",
            hint=f"Use DEPTH 1 … {MAX_DEPTH}.",
        )
    d = str(direction).lower() if isinstance(direction, str) else None
    if d not in DIRECTIONS:
        raise InvalidParameterValue(
            f"traversal direction must be 'out', 'in' or 'both', got {direction!r}",
        )
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or int(limit) < 0:
            raise InvalidParameterValue(f"traversal limit must be a non-negative integer, got {limit!r}")
        limit = int(limit)
    return int(depth), d, limit


def bfs(
    adj: Adjacency,
    start: int | Sequence[int],
    depth: int = 1,
    direction: str = "out",
    types: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[Level]:
    """Levels reached from node(s) ``start`` (dense ints), nearest first; at most ``limit`` nodes in all."""
    depth, direction, limit = check_args(depth, direction, limit)
    dirs = DIRECTIONS[direction]
    with adj.lock:
        alive = adj.alive
        relmask = None
        if types is not None:
            relmask = np.zeros(len(adj.rels), bool)
            for t in types:
                r = adj.rel_index.get(t)
                if r is not None:
                    relmask[r] = True
        starts = (sorted(set(start)) if isinstance(start, list)
                  else sorted({int(x) for x in np.atleast_1d(np.asarray(start, np.int64)).tolist()}))
        csr, dirty, n_base = adj.csr, adj.dirty, adj.n_base
        levels: list[Level] = []
        remaining = limit
        # small frontiers: plain Python over the neighbour lists (numpy's per-call cost dominates there); the rows
        # of all such levels go to flat lists, turned into arrays once at the end
        seen_set = set(starts)
        front = starts
        d = 1
        fn: list[int] = []  # node, parent, rel id, weight of every row, level after level
        fp: list[int] = []
        fr: list[int] = []
        fw: list[float] = []
        bounds: list[tuple[int, int, int]] = []  # (depth, first row, end)
        done = False
        while d <= depth and remaining != 0 and front and len(front) <= SMALL_FRONTIER:
            spans = []  # (parent, memoryviews of the arrays holding its edges, first, end): read in place
            total = 0
            for p in front:
                for x_dir in dirs:
                    if p < n_base and not dirty[x_dir].item(p):
                        c = csr[x_dir]
                        a, b = c.indptr.item(p), c.indptr.item(p + 1)
                        views = c.views
                    else:
                        lst = adj._list(x_dir, p)
                        a, b = 0, len(lst.nbr)
                        views = lst.views
                    if b > a:
                        spans.append((p, views, a, b))
                        total += b - a
            if total > SMALL_EDGES:
                break  # a hub in the frontier: this level goes to numpy
            first = len(fn)
            for p, (vn, vr, vw), a, b in spans:
                for x, r, w in zip(vn[a:b].tolist(), vr[a:b].tolist(), vw[a:b].tolist(), strict=True):
                    if x in seen_set or not alive.item(x) or (relmask is not None and not relmask.item(r)):
                        continue
                    seen_set.add(x)
                    fn.append(x)
                    fp.append(p)
                    fr.append(r)
                    fw.append(w)
            if remaining is not None:
                end = first + remaining
                del fn[end:], fp[end:], fr[end:], fw[end:]
                remaining -= len(fn) - first
            if len(fn) == first:
                done = True
                break
            bounds.append((d, first, len(fn)))
            front = fn[first:]
            d += 1
        if bounds:
            npr = np.array((fn, fp, fr), np.int64)  # one conversion for the three int columns
            wa = np.array(fw, np.float64)
            levels.extend(Level(dd, npr[0, a:b], npr[1, a:b], npr[2, a:b], wa[a:b]) for dd, a, b in bounds)
        if done or d > depth or remaining == 0 or not front:
            return levels
        frontier = np.array(front, np.int64)
        seen, first_at = adj.scratch()  # all False / all _NOT_YET outside a traversal (restored below)
        marked = [np.fromiter(seen_set, np.int64, len(seen_set))]
        seen[marked[0]] = True
        try:
            for level in range(d, depth + 1):
                if remaining == 0:
                    break
                if len(dirs) == 1:
                    fpos, nbr, rel, w = adj.expand(frontier, dirs[0])
                else:
                    parts = [adj.expand(frontier, x) for x in dirs]
                    fpos, nbr, rel, w = (np.concatenate(x) for x in zip(*parts, strict=True))
                    order = np.argsort(fpos, kind="stable")
                    fpos, nbr, rel, w = fpos[order], nbr[order], rel[order], w[order]
                keep = alive[nbr] & ~seen[nbr]
                if relmask is not None:
                    keep &= relmask[rel]
                if not keep.all():
                    fpos, nbr, rel, w = fpos[keep], nbr[keep], rel[keep], w[keep]
                if len(nbr) == 0:
                    break
                # index of each neighbour's first occurrence, in order (O(edges), no sort, no O(nodes) array)
                pos = np.arange(len(nbr), dtype=np.int64)
                np.minimum.at(first_at, nbr, pos)
                first = np.flatnonzero(first_at[nbr] == pos)
                first_at[nbr] = _NOT_YET
                if remaining is not None:
                    first = first[:remaining]
                    remaining -= len(first)
                new = nbr[first]
                seen[new] = True
                marked.append(new)
                levels.append(Level(level, new, frontier[fpos[first]], rel[first], w[first]))
                frontier = new
        finally:
            for x in marked:
                seen[x] = False
    return levels


def reached(levels: list[Level]) -> dict[int, int]:
    """{node: depth} of a traversal (for comparisons)."""
    return {int(x): lv.depth for lv in levels for x in lv.nodes.tolist()}


def flatten(start: int | Sequence[int], levels: list[Level]) -> list[tuple[int, int, list[int], int, float]]:
    """Rows (node, depth, path of nodes from its start, rel id, weight) in BFS order."""
    paths: dict[int, list[int]] = {int(s): [int(s)] for s in np.atleast_1d(np.asarray(start)).tolist()}
    out: list[tuple[int, int, list[int], int, float]] = []
    for lv in levels:
        for x, p, r, w in zip(lv.nodes.tolist(), lv.parents.tolist(), lv.rels.tolist(), lv.weights.tolist(),
                              strict=True):
            path = paths[p] + [x]
            paths[x] = path
            out.append((x, lv.depth, path, r, w))
    return out
