"""Differential tests against PostgreSQL 15: BFS vs a recursive CTE, trigram similarity vs pg_trgm."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.graph import traverse
from engine.graph.adjacency import Adjacency, Edge
from engine.graph.fuzzy import TrigramIndex, similarity, trigrams
from engine.graph.traverse import bfs, flatten, reached

pytestmark = pytest.mark.pg_reference

N_NODES, N_EDGES, RELS = 400, 1400, ("a", "b", "c")

CTE = {
    "out": "SELECT e.dst FROM g_edges e WHERE e.src = {x}",
    "in": "SELECT e.src FROM g_edges e WHERE e.dst = {x}",
}


def _cte(direction: str, typed: bool) -> str:
    filt = " AND e.rel = ANY(%(types)s)" if typed else ""
    def step(x: str) -> str:
        parts = [CTE[d].format(x=x) + filt for d in (("out", "in") if direction == "both" else (direction,))]
        return " UNION ALL ".join(parts)
    return (
        "WITH RECURSIVE r(node, depth) AS ("
        f" SELECT n.node, 1 FROM ({step('%(start)s')}) AS n(node)"
        f" UNION SELECT n.node, r.depth + 1 FROM r, LATERAL ({step('r.node')}) AS n(node)"
        " WHERE r.depth < %(depth)s)"
        " SELECT node, min(depth) FROM r WHERE node <> %(start)s GROUP BY node"
    )


def _graph(seed: int, n: int, m: int) -> list[tuple[int, int, str]]:
    rnd = random.Random(seed)
    edges = {(rnd.randrange(n), rnd.randrange(n), rnd.choice(RELS)) for _ in range(m)}
    return sorted((s, d, r) for s, d, r in edges if s != d)


def _ids(n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=random.Random(i).getrandbits(128)) for i in range(n)]


def _adjacency(n: int, edges: list[tuple[int, int, str]], compact: bool) -> Adjacency:
    ids = _ids(n)
    adj = Adjacency()
    for u in ids:
        adj.set_node(u, 1, None, True)
    by_src: dict[int, list[Edge]] = {}
    for s, d, r in edges:
        by_src.setdefault(s, []).append(Edge(ids[d], r))
    for s, es in by_src.items():
        adj.set_out_edges(ids[s], es)
    if compact:
        adj.compact()
    return adj


@pytest.fixture(scope="module")
def pgconn(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def loaded(pgconn: psycopg.Connection) -> tuple[Adjacency, Adjacency, list[uuid.UUID]]:
    edges = _graph(2026, N_NODES, N_EDGES)
    ids = _ids(N_NODES)
    pgconn.execute("DROP TABLE IF EXISTS g_edges")
    pgconn.execute("CREATE TABLE g_edges (src uuid, dst uuid, rel text)")
    with pgconn.cursor() as cur:
        cur.executemany("INSERT INTO g_edges VALUES (%s, %s, %s)", [(ids[s], ids[d], r) for s, d, r in edges])
    pgconn.execute("CREATE INDEX ON g_edges (src)")
    pgconn.execute("CREATE INDEX ON g_edges (dst)")
    pgconn.execute("ANALYZE g_edges")
    # half the edges written first, compacted, then the rest through the overlay
    half = _adjacency(N_NODES, edges, compact=False)
    return _adjacency(N_NODES, edges, compact=True), half, ids


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(0, N_NODES - 1),
    depth=st.integers(1, 6),
    direction=st.sampled_from(["out", "in", "both"]),
    types=st.none() | st.lists(st.sampled_from(RELS), min_size=1, max_size=2, unique=True),
)
def test_bfs_equals_recursive_cte(loaded, pgconn, start, depth, direction, types) -> None:
    compacted, overlay, ids = loaded
    sql = _cte(direction, types is not None)
    want = set(pgconn.execute(sql, {"start": ids[start], "depth": depth, "types": types}).fetchall())
    for adj in (compacted, overlay):
        rows = None
        for small, edges in ((0, 0), (48, 1024), (10**9, 10**9), (48, 4)):  # numpy / default / Python / mixed
            traverse.SMALL_FRONTIER, traverse.SMALL_EDGES = small, edges
            try:
                levels = bfs(adj, adj.index[ids[start]], depth, direction, types)
            finally:
                traverse.SMALL_FRONTIER, traverse.SMALL_EDGES = 48, 1024
            got = reached(levels)
            assert {(adj.ids[x], d) for x, d in got.items()} == want
            flat = [(x, d, p, r, w) for x, d, p, r, w in flatten(adj.index[ids[start]], levels)]
            assert rows is None or flat == rows  # same paths, rel types and weights in every mode
            rows = flat


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.sampled_from(RELS)), max_size=40),
    start=st.integers(0, 11),
    direction=st.sampled_from(["out", "in", "both"]),
)
def test_bfs_equals_recursive_cte_on_small_random_graphs(pgconn, edges, start, direction) -> None:
    edges = sorted({(s, d, r) for s, d, r in edges if s != d})
    ids = _ids(12)
    with pgconn.transaction():
        pgconn.execute("CREATE TEMP TABLE IF NOT EXISTS g_small (src uuid, dst uuid, rel text)")
        pgconn.execute("TRUNCATE g_small")
        with pgconn.cursor() as cur:
            cur.executemany("INSERT INTO g_small VALUES (%s, %s, %s)", [(ids[s], ids[d], r) for s, d, r in edges])
        sql = _cte(direction, False).replace("g_edges", "g_small")
        want = set(pgconn.execute(sql, {"start": ids[start], "depth": 10}).fetchall())
    adj = _adjacency(12, edges, compact=False)
    got = reached(bfs(adj, adj.index[ids[start]], 10, direction))
    assert {(adj.ids[x], d) for x, d in got.items()} == want


_word = st.text(alphabet="abcdefgxyz019 -_:/.", min_size=0, max_size=14)


@pytest.fixture(scope="module")
def trgm(pgconn: psycopg.Connection) -> psycopg.Connection:
    pgconn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return pgconn


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=_word, b=_word)
def test_similarity_equals_pg_trgm(trgm, a: str, b: str) -> None:
    row = trgm.execute("SELECT similarity(%s, %s), show_trgm(%s)", (a, b, a)).fetchone()
    assert row is not None
    assert similarity(a, b) == pytest.approx(row[0], abs=1e-6)
    assert sorted(trigrams(a)) == sorted(row[1])


def test_index_search_equals_pg_trgm_filter(trgm) -> None:
    rnd = random.Random(5)
    words = ["alpha", "alphabet", "alpine", "beta", "better", "bet", "gamma", "grammar", "delta", "deltas"]
    texts = sorted({" ".join(rnd.sample(words, rnd.randint(1, 3))) for _ in range(300)})
    idx = TrigramIndex()
    ids = {t: uuid.uuid5(uuid.NAMESPACE_URL, t) for t in texts}
    for t in texts:
        idx.set(ids[t], "docs", [t])
    trgm.execute("DROP TABLE IF EXISTS g_keys")
    trgm.execute("CREATE TABLE g_keys (k text)")
    with trgm.cursor() as cur:
        cur.executemany("INSERT INTO g_keys VALUES (%s)", [(t,) for t in texts])
    for q in ["alpha", "alphabet bet", "gamm", "delta better", "zzz", "be"]:
        for th in (0.1, 0.3, 0.6):
            want = trgm.execute(
                "SELECT k, similarity(k, %s) s FROM g_keys WHERE similarity(k, %s) >= %s AND similarity(k, %s) > 0"
                " ORDER BY s DESC, k", (q, q, th, q)).fetchall()
            got = idx.search(q, th, limit=None)
            assert [(m.text, round(m.similarity, 5)) for m in got] == [(k, round(s, 5)) for k, s in want]
