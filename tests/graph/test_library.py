"""The adjacency index and BFS on in-memory edge lists: golden rows, incremental = rebuilt, overlay updates."""

from __future__ import annotations

import pytest

from engine.errors import InvalidParameterValue
from engine.graph.adjacency import Adjacency, Edge
from engine.graph.traverse import bfs, flatten
from tests.graph.golden import EDGES, EXPECTED, EXPECTED_STANDUP_DELETED, NAMES, NODES, nid


def build(edges=EDGES, compact: bool = False) -> Adjacency:
    adj = Adjacency()
    for name in NODES:
        adj.set_node(nid(name), 1, name, True)
    by_src: dict[str, list[Edge]] = {}
    for s, d, r, w in edges:
        by_src.setdefault(s, []).append(Edge(nid(d), r, w))
    for s, es in by_src.items():
        adj.set_out_edges(nid(s), es)
    if compact:
        adj.compact()
    return adj


def run(adj: Adjacency, start: str, direction: str, depth: int, types=None, limit=None):
    rows = flatten(adj.index[nid(start)], bfs(adj, adj.index[nid(start)], depth, direction, types, limit))
    return [(NAMES[adj.ids[x]], d, [NAMES[adj.ids[p]] for p in path], adj.rels[r], w)
            for x, d, path, r, w in rows]


@pytest.mark.parametrize("compact", [False, True], ids=["overlay", "compacted"])
@pytest.mark.parametrize("case", list(EXPECTED), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_golden_rows(case, compact: bool) -> None:
    start, direction, depth, types = case
    assert run(build(compact=compact), start, direction, depth, types) == EXPECTED[case]


def test_spec_reached_at_smallest_depth_only() -> None:
    rows = run(build(), "alice", "out", 10)
    assert [r for r in rows if r[0] == "spec"] == [("spec", 2, ["alice", "standup", "spec"], "discussed", 0.8)]
    assert len({r[0] for r in rows}) == len(rows)
    assert "alice" not in {r[0] for r in rows}  # the start is not reported even though a cycle returns to it


def test_dead_node_is_skipped_and_not_walked_through() -> None:
    adj = build()
    adj.set_node(nid("standup"), 1, "standup", False)
    assert run(adj, "alice", "out", 4) == EXPECTED_STANDUP_DELETED
    adj.compact()
    assert run(adj, "alice", "out", 4) == EXPECTED_STANDUP_DELETED


def test_limit_and_unknown_type() -> None:
    adj = build()
    assert run(adj, "alice", "out", 3, limit=3) == EXPECTED[("alice", "out", 3, None)][:3]
    assert run(adj, "alice", "out", 3, limit=0) == []
    assert run(adj, "alice", "out", 3, types=["no_such_rel"]) == []


@pytest.mark.parametrize("bad", [0, 11, -1, "2", None, 2.5, True])
def test_depth_out_of_range_is_22023(bad) -> None:
    adj = build()
    with pytest.raises(InvalidParameterValue) as ei:
        bfs(adj, 0, bad)
    assert ei.value.sqlstate == "22023"


def test_bad_direction_and_limit_are_22023() -> None:
    adj = build()
    with pytest.raises(InvalidParameterValue):
        bfs(adj, 0, 1, "sideways")
    with pytest.raises(InvalidParameterValue):
        bfs(adj, 0, 1, "out", limit=-1)
    assert bfs(adj, adj.index[nid("alice")], 1, "OUT")  # direction is case-insensitive


def test_replacing_edges_updates_both_directions() -> None:
    adj = build()
    # retro no longer discusses the roadmap; it mentions the spec instead (weight 0.2)
    adj.set_out_edges(nid("retro"), [Edge(nid("spec"), "mentions", 0.2)])
    assert run(adj, "retro", "out", 1) == [("spec", 1, ["retro", "spec"], "mentions", 0.2)]
    assert [r[0] for r in run(adj, "roadmap", "in", 1)] == []
    assert run(adj, "spec", "in", 1) == [
        ("standup", 1, ["spec", "standup"], "discussed", 0.8),
        *sorted([("retro", 1, ["spec", "retro"], "mentions", 0.2),
                 ("roadmap", 1, ["spec", "roadmap"], "mentions", 0.3)], key=lambda r: nid(r[0]).bytes),
    ]
    before = {c: run(adj, *c[:3]) for c in [("alice", "both", 10), ("spec", "in", 10), ("carol", "out", 10)]}
    adj.compact()
    assert {c: run(adj, *c[:3]) for c in before} == before


def test_same_dst_two_relation_types_and_weight_change() -> None:
    adj = build()
    adj.set_out_edges(nid("alice"), [Edge(nid("carol"), "manages", 1.0), Edge(nid("carol"), "knows", 0.5)])
    assert run(adj, "alice", "out", 1) == [("carol", 1, ["alice", "carol"], "knows", 0.5)]
    assert run(adj, "carol", "in", 1, types=["manages"]) == [("alice", 1, ["carol", "alice"], "manages", 1.0)]
    adj.set_out_edges(nid("alice"), [Edge(nid("carol"), "manages", 0.25)])
    assert run(adj, "carol", "in", 1) == [("bob", 1, ["carol", "bob"], "knows", 0.4),
                                          ("alice", 1, ["carol", "alice"], "manages", 0.25)]


def test_incremental_equals_rebuilt_after_many_updates() -> None:
    import random

    rnd = random.Random(7)
    names = [f"n{i}" for i in range(60)]
    adj = Adjacency()
    for n in names:
        adj.set_node(nid(n), 1, n, True)
    state: dict[str, list[Edge]] = {}
    for _ in range(300):
        s = rnd.choice(names)
        es = [Edge(nid(rnd.choice(names)), rnd.choice("abc"), rnd.random()) for _ in range(rnd.randint(0, 4))]
        es = [e for e in es if e.dst != nid(s)]
        state[s] = es
        adj.set_out_edges(nid(s), es)
        if rnd.random() < 0.05:
            adj.set_node(nid(rnd.choice(names)), 1, None, rnd.random() < 0.7)
    fresh = Adjacency()
    for n in names:
        i = adj.index[nid(n)]
        fresh.set_node(nid(n), 1, None, bool(adj.alive[i]))
    for s, es in state.items():
        fresh.set_out_edges(nid(s), es)
    fresh.compact()
    for n in names[:20]:
        for direction in ("out", "in", "both"):
            a = flatten(adj.index[nid(n)], bfs(adj, adj.index[nid(n)], 10, direction))
            b = flatten(fresh.index[nid(n)], bfs(fresh, fresh.index[nid(n)], 10, direction))
            key = lambda rows, g: [(g.ids[x], d, [g.ids[p] for p in path], g.rels[r], w)  # noqa: E731
                                   for x, d, path, r, w in rows]
            assert key(a, adj) == key(b, fresh)
    assert sorted((s, d, r, w) for s, d, r, w in adj.edge_list()) == sorted(fresh.edge_list())


@pytest.mark.parametrize("compact", [False, True], ids=["overlay", "compacted"])
def test_a_fork_changes_alone(compact: bool) -> None:
    """Adjacency.fork: the fork's edge changes, new nodes and deaths never reach the adjacency it came from
    (shared CSR arrays and per-node deltas are copied on write), and the fork sees them all."""
    import uuid

    base = build(compact=compact)
    before = {(s, d): run(base, s, d, 3) for s in NODES for d in ("out", "in", "both")}
    f = base.fork()
    erin = uuid.uuid5(uuid.NAMESPACE_DNS, "erin")
    f.set_node(erin, 1, "erin", True)
    f.set_out_edges(erin, [Edge(nid("bob"), "knows")])
    f.set_out_edges(nid("alice"), [Edge(erin, "knows")])  # replaces alice's edges (base: standup, carol)
    f.alive[f.index[nid("retro")]] = False
    got = [f.ids[x] for lv in bfs(f, f.index[nid("alice")], 2) for x in lv.nodes.tolist()]
    assert got == [erin, nid("bob")]
    assert nid("retro") not in {f.ids[x] for lv in bfs(f, f.index[nid("carol")], 3, "both")
                                for x in lv.nodes.tolist()}
    assert {(s, d): run(base, s, d, 3) for s in NODES for d in ("out", "in", "both")} == before
    assert erin not in base.index and len(base.ids) == len(NODES)


@pytest.mark.parametrize("compact", [False, True], ids=["overlay", "compacted"])
def test_numpy_levels_equal_python_levels_and_leave_the_scratch_clean(compact: bool, monkeypatch) -> None:
    """Every level through numpy (no small-frontier path) gives the golden rows, limits included, and the
    adjacency's scratch arrays are back to all False / all int64-max afterwards, also after a failed traversal."""
    import numpy as np

    from engine.graph import traverse

    monkeypatch.setattr(traverse, "SMALL_FRONTIER", 0)
    adj = build(compact=compact)
    for case, rows in EXPECTED.items():
        start, direction, depth, types = case
        assert run(adj, start, direction, depth, types) == rows
        assert run(adj, start, direction, depth, types, limit=2) == rows[:2]
    seen, first = adj.scratch()
    assert not seen.any() and (first == np.iinfo(np.int64).max).all()
    real = adj.expand
    monkeypatch.setattr(adj, "expand", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        bfs(adj, adj.index[nid("alice")], 3)
    monkeypatch.setattr(adj, "expand", real)
    assert not adj.scratch()[0].any()
    assert run(adj, "alice", "out", 10) == run(build(compact=compact), "alice", "out", 10)
