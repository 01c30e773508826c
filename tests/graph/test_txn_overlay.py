"""TRAVERSE / rem_traverse inside a transaction see that transaction's own uncommitted graph changes (edges
added and removed, entities inserted and deleted), as PostgreSQL's recursive CTE over rem_edges does in the
same transaction; after ROLLBACK the committed graph is back."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.graph.golden import NODES
from tests.graph.test_wire import Graph

EDGES_BY_DIR = {
    "out": "SELECT src AS a, dst AS b FROM rem_edges",
    "in": "SELECT dst AS a, src AS b FROM rem_edges",
    "both": "SELECT src AS a, dst AS b FROM rem_edges UNION ALL SELECT dst, src FROM rem_edges",
}


@pytest.fixture(scope="module")
def graph(rem_dsn: str) -> Iterator[Graph]:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        yield Graph(c)


def _cte(c: psycopg.Connection, start: object, depth: int, direction: str) -> set[tuple]:
    e = EDGES_BY_DIR[direction]
    sql = (f"WITH RECURSIVE e AS ({e}), r(id, depth) AS (SELECT b, 1 FROM e WHERE a = %(s)s"
           " UNION SELECT e.b, r.depth + 1 FROM r JOIN e ON e.a = r.id WHERE r.depth < %(d)s)"
           " SELECT id, min(depth) FROM r WHERE id <> %(s)s GROUP BY id")
    return set(c.execute(sql, {"s": start, "d": depth}).fetchall())


def _agree(graph: Graph, starts: list[object]) -> None:
    c = graph.conn
    for start in starts:
        for direction in ("out", "in", "both"):
            for depth in (1, 3):
                want = _cte(c, start, depth, direction)
                got = set(c.execute("SELECT id, depth FROM rem_traverse(%s, %s, %s)",
                                    (str(start), depth, direction)).fetchall())
                assert got == want, (start, direction, depth)
                full = {(r[0], r[3]) for r in c.execute(f"TRAVERSE FROM %s DEPTH {depth} DIRECTION {direction}",
                                                         (str(start),))}
                assert full == want, (start, direction, depth)


def test_traversal_sees_the_transactions_own_edges(graph: Graph) -> None:
    c, k = graph.conn, graph.key
    before = {n: set(c.execute("SELECT id, depth FROM rem_traverse(%s, 3, 'both')", (k(n),)).fetchall())
              for n in NODES}
    with c.transaction(force_rollback=True):
        assert c.execute("SELECT rem_add_edge(%s, %s, 'cites', 0.5)", (k("roadmap"), k("dave"))).fetchone() == (True,)
        assert c.execute("SELECT rem_remove_edge(%s, %s, 'manages')", (k("alice"), k("carol"))).fetchone() == (True,)
        got = {r[0] for r in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k("roadmap"),))}
        assert graph.ids["dave"] in got
        assert graph.ids["carol"] not in {r[0] for r in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k("alice"),))}
        # a new entity with edges, written in this transaction only
        t = graph.tables["people"]
        [(new,)] = c.execute(f"INSERT INTO {t} (name, note) VALUES (%s, 'new') RETURNING id", (k("erin"),)).fetchall()
        c.execute("SELECT rem_add_edge(%s, %s, 'knows')", (k("erin"), k("bob")))
        c.execute("SELECT rem_add_edge(%s, %s, 'knows')", (k("dave"), k("erin")))
        assert [r[0] for r in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k("erin"),))] == [graph.ids["bob"]]
        assert (new, 1) in set(c.execute("SELECT id, depth FROM rem_traverse(%s, 1)", (k("dave"),)).fetchall())
        # a deleted entity is neither reported nor walked through
        c.execute(f"DELETE FROM {graph.tables['meetings']} WHERE name = %s", (k("standup"),))
        _agree(graph, [graph.ids[n] for n in NODES if n != "standup"] + [new])
    after = {n: set(c.execute("SELECT id, depth FROM rem_traverse(%s, 3, 'both')", (k(n),)).fetchall())
             for n in NODES}
    assert after == before


def test_the_fork_is_reused_until_the_writes_or_the_graph_change(golden) -> None:
    store, tables, ids, g = golden
    people, meetings = tables["people"], tables["meetings"]
    by_id = {v: k for k, v in ids.items()}

    def out(tx) -> list[str]:
        return [by_id[r[0]] for r in g.traverse_rows(ids["dave"], 1, columns={"id"}, txn=tx)]

    tx = store.begin()
    [dave] = tx.get(people, [ids["dave"]])
    tx.update(people, [dict(dave, edges=[{"dst": ids["bob"], "rel_type": "knows"}])])
    fork = g._view(tx)
    assert fork is not g.adj and g._view(tx) is fork and out(tx) == ["bob"]
    tx.update(people, [dict(dave, edges=[{"dst": ids["carol"], "rel_type": "knows"}])])
    assert g._view(tx) is not fork and out(tx) == ["carol"]
    fork = g._view(tx)
    other = store.begin()  # another transaction commits: the committed graph moved on
    [retro] = other.get(meetings, [ids["retro"]])
    other.update(meetings, [dict(retro, edges=[])])
    other.commit()
    assert g._view(tx) is not fork and out(tx) == ["carol"]
    assert out(None) == ["alice"]  # committed: dave knows alice
    tx.rollback()
