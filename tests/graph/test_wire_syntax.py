"""The REM dialect's TRAVERSE forms over the wire (psycopg → rem serve), checked against the golden rows:
``TRAVERSE FROM … WHERE``, ``TRAVERSE rel, … WITH LOOKUP`` with bare relation names, named arguments of
``rem_traverse``, ``WITH RECURSIVE`` over ``rem_edges`` (with relation types and both directions) agreeing with
TRAVERSE, DEPTH bounds and syntax errors with the grammar as hint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.graph.golden import EXPECTED, NODES
from tests.graph.test_wire import Graph

CASES = list(EXPECTED)


@pytest.fixture(scope="module")
def graph(rem_dsn: str) -> Iterator[Graph]:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        yield Graph(c)


def _rows(graph: Graph, sql: str, params: Any) -> list[tuple]:
    cur = graph.conn.execute(sql, params)
    names = [d.name for d in cur.description]
    assert names == ["id", "entity_type", "key", "depth", "path", "rel_type", "weight", "data"]
    return [(graph.name(k), d, [graph.names[p] for p in path], r, w)
            for _, _, k, d, path, r, w, _ in cur.fetchall()]


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "out"], ids=str)
def test_with_lookup_bare_relation_names(graph: Graph, case) -> None:
    start, _, depth, types = case
    rels = ", ".join(types) if types else ""
    got = _rows(graph, f"TRAVERSE {rels} WITH LOOKUP %s DEPTH {depth}", (graph.key(start),))
    assert got == EXPECTED[case]
    if types:
        bracket = _rows(graph, f"TRAVERSE [{rels}] WITH LOOKUP %s DEPTH {depth} LIMIT 1", (graph.key(start),))
        assert bracket == EXPECTED[case][:1]
        bare_type = _rows(graph, f"TRAVERSE FROM %s DEPTH {depth} TYPE {rels}", (graph.key(start),))
        assert bare_type == EXPECTED[case]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_traverse_where_filters_reached_entities(graph: Graph, case) -> None:
    start, direction, depth, types = case
    tail = (" TYPE " + ", ".join(f"'{t}'" for t in types)) if types else ""
    sql = f"TRAVERSE FROM %s DEPTH {depth} DIRECTION {direction}{tail} WHERE entity_type = %s"
    for table in ("people", "documents"):
        want = [r for r in EXPECTED[case] if NODES[r[0]] == table]
        assert _rows(graph, sql, (graph.key(start), graph.tables[table])) == want
    deep = [r for r in EXPECTED[case] if r[1] >= 2]
    assert _rows(graph, sql.replace("entity_type = %s", "depth >= 2 LIMIT 2"), (graph.key(start),)) == deep[:2]


def test_traverse_where_on_entity_fields_and_data(graph: Graph) -> None:
    want = [r for r in EXPECTED[("alice", "out", 3, None)] if r[0] in ("spec", "standup")]
    start = (graph.key("alice"),)
    assert _rows(graph, "TRAVERSE FROM %s DEPTH 3 WHERE note LIKE 'about s%%'", start) == want
    assert _rows(graph, "TRAVERSE FROM %s DEPTH 3 WHERE data->>'note' LIKE 'about s%%'", start) == want
    assert _rows(graph, "TRAVERSE attended, discussed WITH LOOKUP %s DEPTH 3 WHERE weight < 0.9", start) == [
        ("spec", 2, ["alice", "standup", "spec"], "discussed", 0.8)]
    with pytest.raises(errors.UndefinedColumn):
        graph.conn.execute("TRAVERSE FROM %s DEPTH 3 WHERE no_such_field = 1", start)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rem_traverse_named_arguments(graph: Graph, case) -> None:
    start, direction, depth, types = case
    sql = "SELECT key, depth, path, rel_type, weight FROM rem_traverse(%s, depth => %s, direction => %s"
    params: list[Any] = [graph.key(start), depth, direction]
    if types:
        sql += ", types => %s"
        params.append(list(types))
    rows = graph.conn.execute(sql + ")", params).fetchall()
    assert [(graph.name(k), d, [graph.names[p] for p in path], r, w) for k, d, path, r, w in rows] == EXPECTED[case]


def test_rem_traverse_named_arguments_join_and_errors(graph: Graph) -> None:
    docs = graph.tables["documents"]
    rows = graph.conn.execute(
        f"SELECT t.depth, d.note FROM rem_traverse(%s, direction => 'out', types => ARRAY['attended', 'discussed'],"
        f" depth => 2) t JOIN {docs} d ON d.id = t.id", (graph.key("alice"),)).fetchall()
    assert rows == [(2, "about spec")]
    rows = graph.conn.execute("SELECT key FROM rem_traverse(%s, depth := 1, direction := 'in')",
                              (graph.key("alice"),)).fetchall()
    assert [graph.name(k) for (k,) in rows] == ["spec", "dave"]
    assert [graph.name(k) for (k,) in graph.conn.execute(
        "SELECT key FROM rem_lookup(VARIADIC %s)", ([graph.key("bob"), graph.key("spec")],))] == ["bob", "spec"]
    with pytest.raises(errors.UndefinedFunction):
        graph.conn.execute("SELECT * FROM rem_traverse(%s, hops => 2)", (graph.key("alice"),))
    with pytest.raises(errors.SyntaxError):
        graph.conn.execute("SELECT * FROM rem_traverse(depth => 2, %s)", (graph.key("alice"),))
    with pytest.raises(errors.InvalidParameterValue):
        graph.conn.execute("SELECT * FROM rem_traverse(%s, depth => 11)", (graph.key("alice"),))


def test_relation_types_and_identifiers_keep_their_case(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        g = Graph(c)
        assert g.one("SELECT rem_add_edge(%s, %s, 'Mentored_By')", (g.key("alice"), g.key("dave"))) is True
        k = (g.key("alice"),)
        assert [r[0] for r in _rows(g, "TRAVERSE Mentored_By WITH LOOKUP %s", k)] == ["dave"]
        assert [r[0] for r in _rows(g, 'TRAVERSE "Mentored_By" WITH LOOKUP %s', k)] == ["dave"]
        assert _rows(g, "TRAVERSE mentored_by WITH LOOKUP %s", k) == []
        assert [r[0] for r in _rows(g, "TRAVERSE FROM %s TYPE Mentored_By", k)] == ["dave"]
        assert g.conn.execute("SELECT key FROM rem_traverse(%s, types => ARRAY['MENTORED_BY'])", k).fetchall() == []


@pytest.mark.parametrize("direction", ["out", "in", "both"])
def test_with_recursive_over_rem_edges_agrees_with_traverse_statement(graph: Graph, direction: str) -> None:
    step = {"out": "SELECT dst AS nb, src AS me, rel_type FROM rem_edges",
            "in": "SELECT src AS nb, dst AS me, rel_type FROM rem_edges",
            "both": "SELECT dst AS nb, src AS me, rel_type FROM rem_edges"
                    " UNION ALL SELECT src, dst, rel_type FROM rem_edges"}[direction]
    for types in (None, ("attended", "discussed", "authored_by")):
        rel = "" if types is None else " WHERE rel_type = ANY(%(t)s)"
        cte = (f"WITH RECURSIVE e AS ({step}), r(id, depth) AS ("
               f" SELECT nb, 1 FROM (SELECT * FROM e{rel}) x WHERE me = %(s)s"
               f" UNION SELECT x.nb, r.depth + 1 FROM r JOIN (SELECT * FROM e{rel}) x ON x.me = r.id"
               " WHERE r.depth < %(d)s) SELECT id, min(depth) FROM r WHERE id <> %(s)s GROUP BY id")
        tail = "" if types is None else " TYPE " + ", ".join(types)
        for start in NODES:
            for depth in (1, 3, 10):
                want = set(graph.conn.execute(cte, {"s": graph.ids[start], "d": depth, "t": list(types or ())}))
                got = {(r[0], r[3]) for r in graph.conn.execute(
                    f"TRAVERSE FROM %s DEPTH {depth} DIRECTION {direction}{tail}", (str(graph.ids[start]),))}
                assert got == want, (start, depth, types)


@pytest.mark.parametrize("depth", ["0", "11", "-1"])
def test_depth_bounds(graph: Graph, depth: str) -> None:
    for sql in (f"TRAVERSE FROM %s DEPTH {depth}", f"TRAVERSE WITH LOOKUP %s DEPTH {depth}",
                f"TRAVERSE FROM %s DEPTH {depth} WHERE depth = 1"):
        with pytest.raises(errors.InvalidParameterValue):
            graph.conn.execute(sql, (graph.key("alice"),))
    assert len(_rows(graph, "TRAVERSE FROM %s DEPTH 10 DIRECTION both", (graph.key("alice"),))) == len(NODES) - 1


@pytest.mark.parametrize("sql, near", [
    ("TRAVERSE FROM 'x' DEPTH 2 sideways", "sideways"),
    ("TRAVERSE knows WITH 'x'", "'x'"),
    ("TRAVERSE FROM 'x' DIRECTION up", "up"),
    ("LOOKUP 'a', 'b' junk", "junk"),
    ("FUZZY 'a' THRESHOLD 0.3 extra", "extra"),
])
def test_malformed_statements_are_42601_with_position_and_grammar(conn: psycopg.Connection, sql: str,
                                                                   near: str) -> None:
    with pytest.raises(errors.SyntaxError) as e:
        conn.execute(sql)
    diag = e.value.diag
    assert diag.sqlstate == "42601"
    assert diag.message_primary == f'syntax error at or near "{near}"'
    assert int(diag.statement_position or 0) == sql.index(near) + 1
    word = sql.split()[0]
    assert (diag.message_hint or "").startswith(f"{word} grammar: {word} ")
