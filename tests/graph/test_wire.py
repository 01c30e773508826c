"""The graph over the wire (psycopg → rem serve): rem_traverse / rem_lookup / rem_fuzzy, edge functions,
rem_edges, and WITH RECURSIVE over rem_edges agreeing with rem_traverse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.graph.golden import EDGES, EXPECTED, EXPECTED_STANDUP_DELETED, NODES

TRAVERSE_COLS = "key, depth, path, rel_type, weight"


class Graph:
    """The golden graph loaded into uniquely named tables; keys carry a run tag (other tests share the server)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.tag = uuid.uuid4().hex[:8]
        self.tables = {t: f"g_{t}_{self.tag}" for t in set(NODES.values())}
        for t in self.tables.values():
            conn.execute(f"CREATE TABLE {t} (name text, note text)")
        for n, t in NODES.items():
            conn.execute(f"INSERT INTO {self.tables[t]} (name, note) VALUES (%s, %s)", (self.key(n), f"about {n}"))
        for s, d, rel, w in EDGES:
            assert conn.execute("SELECT rem_add_edge(%s, %s, %s, %s)",
                                (self.key(s), self.key(d), rel, w)).fetchone() == (True,)
        self.ids = {n: self.one(f"SELECT id FROM {self.tables[t]} WHERE name = %s", (self.key(n),))
                    for n, t in NODES.items()}
        self.names = {v: k for k, v in self.ids.items()}

    def key(self, name: str) -> str:
        return f"{self.tag}:{name}/é"

    def name(self, key: str) -> str:
        return key.split(":", 1)[1].rsplit("/", 1)[0]

    def one(self, sql: str, params: Any = None) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        assert row is not None
        return row[0]

    def traverse(self, start: str, direction: str, depth: int, types=None) -> list[tuple]:
        if types is None:
            sql, params = f"SELECT {TRAVERSE_COLS} FROM rem_traverse(%s, %s, %s)", (self.key(start), depth, direction)
        else:
            sql = f"SELECT {TRAVERSE_COLS} FROM rem_traverse(%s, %s, %s, %s)"
            params = (self.key(start), depth, direction, list(types))
        return [(self.name(k), d, [self.names[p] for p in path], r, w)
                for k, d, path, r, w in self.conn.execute(sql, params).fetchall()]


@pytest.fixture(scope="module")
def graph(rem_dsn: str) -> Iterator[Graph]:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        yield Graph(c)


@pytest.mark.parametrize("case", list(EXPECTED), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_rem_traverse_golden_rows(graph: Graph, case) -> None:
    start, direction, depth, types = case
    assert graph.traverse(start, direction, depth, types) == EXPECTED[case]


@pytest.mark.parametrize("direction", ["out", "in"])
def test_with_recursive_over_rem_edges_agrees_with_traverse(graph: Graph, direction: str) -> None:
    a, b = ("src", "dst") if direction == "out" else ("dst", "src")
    cte = (f"WITH RECURSIVE r(id, depth) AS (SELECT {b}, 1 FROM rem_edges WHERE {a} = %(s)s"
           f" UNION SELECT e.{b}, r.depth + 1 FROM r JOIN rem_edges e ON e.{a} = r.id WHERE r.depth < %(d)s)"
           " SELECT id, min(depth) FROM r WHERE id <> %(s)s GROUP BY id")
    for start in NODES:
        for depth in (1, 2, 4):
            want = set(graph.conn.execute(cte, {"s": graph.ids[start], "d": depth}).fetchall())
            got = set(graph.conn.execute("SELECT id, depth FROM rem_traverse(%s, %s, %s)",
                                         (str(graph.ids[start]), depth, direction)).fetchall())
            assert got == want, (start, depth)


def test_traverse_joins_with_tables(graph: Graph) -> None:
    docs = graph.tables["documents"]
    rows = graph.conn.execute(
        f"SELECT t.key, t.depth, d.note FROM rem_traverse(%s, 3) t JOIN {docs} d ON d.id = t.id ORDER BY t.depth, d.note",
        (graph.key("alice"),)).fetchall()
    assert [(graph.name(k), dep, note) for k, dep, note in rows] == [
        ("notes", 2, "about notes"), ("spec", 2, "about spec"), ("roadmap", 3, "about roadmap")]
    row = graph.conn.execute("SELECT entity_type, data->>'note' FROM rem_traverse(%s) WHERE key = %s",
                             (graph.key("dave"), graph.key("alice"))).fetchone()
    assert row == (graph.tables["people"], "about alice")


def test_rem_edges_is_filterable(graph: Graph) -> None:
    rows = graph.conn.execute("SELECT dst, rel_type, weight, properties FROM rem_edges WHERE src = %s ORDER BY rel_type",
                              (graph.ids["standup"],)).fetchall()
    assert [(graph.names[d], r, w, p) for d, r, w, p in rows] == [
        ("spec", "discussed", 0.8, {}), ("notes", "produced", 0.9, {})]
    assert graph.one("SELECT count(*) FROM rem_edges WHERE dst = %s", (graph.ids["standup"],)) == 2


def test_lookup_and_fuzzy_functions(graph: Graph) -> None:
    rows = graph.conn.execute("SELECT key, entity_type, data->>'note' FROM rem_lookup(%s, %s, %s)",
                              (graph.key("bob"), "no such key", graph.key("spec"))).fetchall()
    assert [(graph.name(k), t, n) for k, t, n in rows] == [
        ("bob", graph.tables["people"], "about bob"), ("spec", graph.tables["documents"], "about spec")]
    rows = graph.conn.execute("SELECT key, similarity FROM rem_fuzzy(%s)", (graph.key("roadmaps"),)).fetchall()
    assert graph.name(rows[0][0]) == "roadmap" and 0.3 <= rows[0][1] < 1


def test_errors_and_notice(graph: Graph, conn: psycopg.Connection) -> None:
    with pytest.raises(errors.InvalidParameterValue):
        conn.execute("SELECT * FROM rem_traverse(%s, 11)", (graph.key("alice"),))
    with pytest.raises(errors.InvalidParameterValue):
        conn.execute("SELECT * FROM rem_traverse(%s, 1, 'sideways')", (graph.key("alice"),))
    with pytest.raises(errors.ForeignKeyViolation):
        conn.execute("SELECT rem_add_edge(%s, %s, 'x')", (graph.key("alice"), "no such key " + graph.tag))
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    assert conn.execute("SELECT * FROM rem_traverse('nobody here')").fetchall() == []
    assert any("nobody here" in n for n in notices)


def test_add_remove_rebuild_and_soft_delete(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        g = Graph(c)
        # replacing an edge keeps one edge per (dst, rel_type)
        assert g.one("SELECT rem_add_edge(%s, %s, 'attended', 0.5)", (g.key("alice"), g.key("standup"))) is False
        assert g.traverse("alice", "out", 1)[0] == ("standup", 1, ["alice", "standup"], "attended", 0.5)
        assert g.one("SELECT count(*) FROM rem_edges WHERE src = %s", (g.ids["alice"],)) == 2
        assert g.one("SELECT rem_remove_edge(%s, %s, 'attended')", (g.key("alice"), g.key("standup"))) is True
        assert g.one("SELECT rem_remove_edge(%s, %s, 'attended')", (g.key("alice"), g.key("standup"))) is False
        assert [r[0] for r in g.traverse("alice", "out", 1)] == ["carol"]
        assert g.one("SELECT rem_add_edge(%s, %s, 'attended', 1.0)", (g.key("alice"), g.key("standup"))) is True
        before = g.traverse("alice", "out", 3)
        assert before == EXPECTED[("alice", "out", 3, None)]
        # an edge added in a rolled-back transaction never shows
        with c.transaction(force_rollback=True):
            c.execute("SELECT rem_add_edge(%s, %s, 'x')", (g.key("alice"), g.key("dave")))
        assert "dave" not in [r[0] for r in g.traverse("alice", "out", 1)]
        assert g.one("SELECT rem_rebuild_edges()") >= len(EDGES)
        assert g.traverse("alice", "out", 3) == before
        c.execute(f"DELETE FROM {g.tables['meetings']} WHERE name = %s", (g.key("standup"),))
        assert g.traverse("alice", "out", 4) == EXPECTED_STANDUP_DELETED
        assert g.one("SELECT count(*) FROM rem_edges WHERE dst = %s OR src = %s",
                     (g.ids["standup"], g.ids["standup"])) == 0


def _statement(graph: Graph, start: str, direction: str, depth: int, types=None, limit=None) -> list[tuple]:
    sql = f"TRAVERSE FROM %s DEPTH {depth} DIRECTION {direction}"
    params: list[Any] = [graph.key(start)]
    if types:
        sql += " TYPE " + ", ".join(["%s"] * len(types))
        params += list(types)
    if limit is not None:
        sql += f" LIMIT {limit}"
    cur = graph.conn.execute(sql, params)
    assert [d.name for d in cur.description] == ["id", "entity_type", "key", "depth", "path", "rel_type",
                                                 "weight", "data"]
    return [(graph.name(k), d, [graph.names[p] for p in path], r, w)
            for _, _, k, d, path, r, w, _ in cur.fetchall()]


@pytest.mark.parametrize("case", list(EXPECTED), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_traverse_statement_golden_rows(graph: Graph, case) -> None:
    start, direction, depth, types = case
    assert _statement(graph, start, direction, depth, types) == EXPECTED[case]


def test_traverse_statement_limit_errors_and_notice(graph: Graph, conn: psycopg.Connection) -> None:
    assert _statement(graph, "alice", "out", 3, limit=3) == EXPECTED[("alice", "out", 3, None)][:3]
    with pytest.raises(errors.InvalidParameterValue):
        conn.execute("TRAVERSE FROM %s DEPTH 11", (graph.key("alice"),))
    with pytest.raises(errors.SyntaxError):
        conn.execute("TRAVERSE %s", (graph.key("alice"),))
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    assert conn.execute("TRAVERSE FROM 'nobody at all' DEPTH 2").fetchall() == []
    assert any("nobody at all" in n for n in notices)


def test_traverse_statement_agrees_with_recursive_cte(graph: Graph) -> None:
    cte = ("WITH RECURSIVE r(id, depth) AS (SELECT dst, 1 FROM rem_edges WHERE src = %(s)s"
           " UNION SELECT e.dst, r.depth + 1 FROM r JOIN rem_edges e ON e.src = r.id WHERE r.depth < 3)"
           " SELECT id, min(depth) FROM r WHERE id <> %(s)s GROUP BY id")
    for start in NODES:
        want = set(graph.conn.execute(cte, {"s": graph.ids[start]}).fetchall())
        got = {(r[0], r[3]) for r in graph.conn.execute("TRAVERSE FROM %s DEPTH 3", (str(graph.ids[start]),))}
        assert got == want, start


def test_lookup_and_fuzzy_statements(graph: Graph) -> None:
    rows = graph.conn.execute("LOOKUP %s, %s, %s", (graph.key("carol"), "absent key", graph.key("retro"))).fetchall()
    assert [(graph.name(k), t, d["note"]) for _, t, k, d in rows] == [
        ("carol", graph.tables["people"], "about carol"), ("retro", graph.tables["meetings"], "about retro")]
    people = graph.tables["people"]
    rows = graph.conn.execute(f"FUZZY %s IN {people} THRESHOLD 0.5 LIMIT 1", (graph.key("alicia"),)).fetchall()
    assert [(graph.name(k), t) for _, t, k, _, _ in rows] == [("alice", people)]
    assert graph.conn.execute(f"FUZZY %s IN {graph.tables['documents']} THRESHOLD 0.9",
                              (graph.key("alice"),)).fetchall() == []
