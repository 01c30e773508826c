"""Differential over the wire: a random graph written into REM through SQL (rows with ``edges``, keys with
``:``, ``/``, spaces and unicode) and into PostgreSQL 15 as a plain edge table; TRAVERSE (statement and
rem_traverse) equals PostgreSQL's recursive CTE for random start nodes, directions, depths and types."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pg_reference

N, M, RELS = 90, 260, ("cites", "Part_Of", "mentions")

CTE = (
    "WITH RECURSIVE r(node, depth) AS ("
    " SELECT n.node, 1 FROM ({step0}) AS n(node)"
    " UNION SELECT n.node, r.depth + 1 FROM r, LATERAL ({step1}) AS n(node) WHERE r.depth < %(depth)s)"
    " SELECT node, min(depth) FROM r WHERE node <> %(start)s GROUP BY node"
)


def _step(direction: str, x: str, typed: bool) -> str:
    filt = " AND e.rel = ANY(%(types)s)" if typed else ""
    one = {"out": f"SELECT e.dst FROM g_edges e WHERE e.src = {x}{filt}",
           "in": f"SELECT e.src FROM g_edges e WHERE e.dst = {x}{filt}"}
    return " UNION ALL ".join(one[d] for d in (("out", "in") if direction == "both" else (direction,)))


class Loaded:
    """The same graph in REM (over the wire) and PostgreSQL; REM ids by node number."""

    def __init__(self, rem: psycopg.Connection, pg: psycopg.Connection) -> None:
        rnd = random.Random(6)
        tag = uuid.uuid4().hex[:6]
        self.keys = [f"urn:{tag}:doc/{i} ü {i % 7}" if i % 3 else f"https://ex.org/{tag}/n{i}?a=b c" for i in range(N)]
        edges = sorted({(rnd.randrange(N), rnd.randrange(N), rnd.choice(RELS)) for _ in range(M)})
        self.edges = [(s, d, r) for s, d, r in edges if s != d]
        table = f"gd_{tag}"
        rem.execute(f"CREATE TABLE {table} (name text PRIMARY KEY, n int)")
        with rem.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} (name, n) VALUES (%s, %s)",
                            [(k, i + 1) for i, k in enumerate(self.keys)])
        by_src: dict[int, list[dict[str, Any]]] = {}
        for s, d, r in self.edges:
            by_src.setdefault(s, []).append({"dst": self.keys[d], "rel_type": r})
        for s, es in by_src.items():
            rem.execute(f"UPDATE {table} SET edges = %s WHERE name = %s", (json.dumps(es), self.keys[s]))
        ids = dict(rem.execute(f"SELECT name, id FROM {table}").fetchall())
        self.ids = [ids[k] for k in self.keys]
        pg.execute("DROP TABLE IF EXISTS g_edges")
        pg.execute("CREATE TABLE g_edges (src uuid, dst uuid, rel text)")
        with pg.cursor() as cur:
            cur.executemany("INSERT INTO g_edges VALUES (%s, %s, %s)",
                            [(self.ids[s], self.ids[d], r) for s, d, r in self.edges])
        self.rem, self.pg = rem, pg


@pytest.fixture(scope="module")
def loaded(rem_dsn: str, pg_dsn: str) -> Iterator[Loaded]:
    with psycopg.connect(rem_dsn, autocommit=True) as rem, psycopg.connect(pg_dsn, autocommit=True) as pg:
        yield Loaded(rem, pg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, N - 1), depth=st.integers(1, 5), direction=st.sampled_from(["out", "in", "both"]),
       types=st.none() | st.lists(st.sampled_from(RELS), min_size=1, max_size=2, unique=True),
       by_key=st.booleans())
def test_traverse_equals_recursive_cte(loaded: Loaded, start: int, depth: int, direction: str,
                                       types: list[str] | None, by_key: bool) -> None:
    typed = types is not None
    sql = CTE.format(step0=_step(direction, "%(start)s", typed), step1=_step(direction, "r.node", typed))
    want = set(loaded.pg.execute(sql, {"start": loaded.ids[start], "depth": depth, "types": types}).fetchall())
    ref = loaded.keys[start] if by_key else str(loaded.ids[start])
    stmt = f"TRAVERSE FROM %s DEPTH {depth} DIRECTION {direction}"
    if typed:
        stmt += " TYPE " + ", ".join(types)  # bare names, case kept (Part_Of)
    got = {(r[0], r[3]) for r in loaded.rem.execute(stmt, (ref,))}
    assert got == want
    fn = loaded.rem.execute("SELECT id, depth FROM rem_traverse(%s, depth => %s, direction => %s, types => %s)",
                            (ref, depth, direction, types)).fetchall()
    assert len(fn) == len(want) and set(fn) == want


def test_lookup_of_uri_and_unicode_keys(loaded: Loaded) -> None:
    for i in (0, 1, 5):
        rows = loaded.rem.execute("LOOKUP %s", (loaded.keys[i],)).fetchall()
        assert [(r[0], r[2], r[3]["n"]) for r in rows] == [(loaded.ids[i], loaded.keys[i], i + 1)]
