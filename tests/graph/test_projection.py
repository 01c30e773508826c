"""Projection push-down of rem_traverse: only the columns a query reads are built; without ``data`` no row is
read (visibility then comes from the graph, or from the transaction when it has writes of its own)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import sqlglot

from engine.graph.service import TRAVERSE_COLUMNS
from engine.sql.dialect import DIALECT
from engine.sql.srf_columns import used_columns
from tests.graph.golden import EXPECTED
from tests.graph.test_wire import Graph

NAMES = [n for n, _ in TRAVERSE_COLUMNS]


def _used(sql: str) -> frozenset[str] | None:
    node = sqlglot.parse_one(sql, dialect=DIALECT)
    fn = next(f for f in node.find_all(sqlglot.exp.Anonymous) if f.name == "rem_traverse")
    table = fn.parent
    alias = table.alias_or_name if table.alias else "rem_traverse"
    cols = table.args["alias"].columns if table.args.get("alias") and table.args["alias"].columns else []
    out = [c.name for c in cols] + NAMES[len(cols):]
    return used_columns(fn, alias, NAMES, out)


@pytest.mark.parametrize("sql, want", [
    ("SELECT id, depth FROM rem_traverse('a', 3)", {"id", "depth"}),
    ("SELECT t.id FROM rem_traverse('a') t WHERE t.depth > 1 ORDER BY t.key", {"id", "depth", "key"}),
    ("SELECT t.key, d.note FROM rem_traverse('a') t JOIN docs d ON d.id = t.id", {"key", "id"}),
    ("SELECT x FROM rem_traverse('a') AS t(x, y)", {"id"}),
    ("SELECT count(*) FROM rem_traverse('a')", set()),
    ("SELECT data->>'name' FROM rem_traverse('a') WHERE path[2] IS NOT NULL", {"data", "path"}),
    ("SELECT * FROM rem_traverse('a')", None),
    ("SELECT t.* FROM rem_traverse('a') t", None),
    ("SELECT row_to_json(t) FROM rem_traverse('a') t", None),
    ("SELECT 1 FROM rem_traverse('a') t NATURAL JOIN docs", None),
    ("SELECT id FROM rem_traverse('a') t JOIN docs USING (key)", {"id", "key"}),
])
def test_used_columns(sql: str, want: set[str] | None) -> None:
    got = _used(sql)
    assert (None if got is None else set(got) & set(NAMES)) == want


def test_only_read_columns_are_built(golden) -> None:
    store, tables, ids, g = golden

    class NoReads:
        """A transaction that must not be read from."""

        has_writes = False

        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"txn.{name} used")

    want = EXPECTED[("alice", "out", 3, None)]
    rows = g.traverse_rows(ids["alice"], 3, columns={"id", "depth"}, txn=NoReads())  # type: ignore[arg-type]
    by_id = {v: k for k, v in ids.items()}
    assert [(by_id[r[0]], r[3]) for r in rows] == [(w[0], w[1]) for w in want]
    assert all(r[4] is None and r[7] is None for r in rows)
    full = g.traverse_rows(ids["alice"], 3)
    assert [r[:7] for r in g.traverse_rows(ids["alice"], 3, columns=set(NAMES) - {"data"})] == [r[:7] for r in full]
    assert [r[7]["note"] for r in full] == [f"about {w[0]}" for w in want]


def test_projected_traversal_sees_the_transactions_own_writes(golden) -> None:
    store, tables, ids, g = golden
    tx = store.begin()
    tx.delete(tables["meetings"], [ids["standup"]])
    by_id = {v: k for k, v in ids.items()}
    got = [by_id[r[0]] for r in g.traverse_rows(ids["alice"], 2, columns={"id"}, txn=tx)]
    assert got == ["carol", "retro"]  # standup is gone in this transaction: neither reported nor walked through
    assert got == [by_id[r[0]] for r in g.traverse_rows(ids["alice"], 2, txn=tx)]  # as with full rows
    assert [by_id[r[0]] for r in g.traverse_rows(ids["alice"], 2, columns={"id"})] == [
        "standup", "carol", "spec", "notes", "retro"]  # other transactions still see it
    tx.commit()
    assert [by_id[r[0]] for r in g.traverse_rows(ids["alice"], 2, columns={"id"})] == got  # as once committed


@pytest.fixture(scope="module")
def graph(rem_dsn: str):
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        yield Graph(c)


def test_projections_over_the_wire_agree_with_full_rows(graph: Graph) -> None:
    for start in ("alice", "notes", "retro"):
        k = graph.key(start)
        full = graph.conn.execute("SELECT * FROM rem_traverse(%s, 4, 'both')", (k,)).fetchall()
        assert graph.conn.execute("SELECT id, depth FROM rem_traverse(%s, 4, 'both')", (k,)).fetchall() == [
            (r[0], r[3]) for r in full]
        assert graph.conn.execute("SELECT t.key, t.path FROM rem_traverse(%s, 4, 'both') t", (k,)).fetchall() == [
            (r[2], r[4]) for r in full]
        assert graph.conn.execute("SELECT count(*) FROM rem_traverse(%s, 4, 'both')", (k,)).fetchone() == (len(full),)
        # column picks in any order, repeated, renamed: the batch path (no per-row projection)
        assert graph.conn.execute("SELECT depth, t.id AS x, depth, rel_type, weight FROM rem_traverse(%s, 4, 'both') t",
                                  (k,)).fetchall() == [(r[3], r[0], r[3], r[5], r[6]) for r in full]
        assert graph.conn.execute("SELECT * FROM rem_traverse(%s, 4, 'both')", (k,)).fetchall() == full
    assert graph.conn.execute("SELECT depth, id FROM rem_traverse(NULL, 2)").fetchall() == []
    assert graph.conn.execute("SELECT depth, id FROM rem_traverse('no such key', 2)").fetchall() == []


def test_projection_inside_a_transaction_with_deletes(graph: Graph) -> None:
    c = graph.conn
    k = graph.key("alice")
    before = [graph.names[i] for (i,) in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k,))]
    assert before == ["standup", "carol"]
    with c.transaction(force_rollback=True):
        c.execute(f"DELETE FROM {graph.tables['people']} WHERE name = %s", (graph.key("carol"),))
        assert [graph.names[i] for (i,) in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k,))] == ["standup"]
    assert [graph.names[i] for (i,) in c.execute("SELECT id FROM rem_traverse(%s, 1)", (k,))] == before
