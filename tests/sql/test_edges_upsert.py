"""The ``edges`` system column through SQL over the wire (psycopg → rem serve): an upsert merges edges by
(dst, rel_type), a plain UPDATE replaces the list, the edges/edges_reverse column families always equal a
rebuild from the rows (``rem_rebuild_edges()``), and a soft-deleted entity's edges leave traversal."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest


@pytest.fixture
def people(conn):
    t = f"people_{uuid.uuid4().hex[:8]}"
    conn.execute(f"create table {t} (name text primary key, note text)")
    conn.execute(f"insert into {t} values ('{t}-a', 'x'), ('{t}-b', 'x'), ('{t}-c', 'x'), ('{t}-d', 'x')")
    yield t
    conn.execute(f"drop table if exists {t}")


def upsert(conn, t: str, name: str, edges: list[dict] | None, note: str = "x") -> None:
    if edges is None:
        conn.execute(f"insert into {t} (name, note) values (%s, %s) on conflict (name) do update "
                     "set note = excluded.note", (f"{t}-{name}", note))
    else:
        conn.execute(f"insert into {t} (name, note, edges) values (%s, %s, %s) on conflict (name) do update "
                     "set note = excluded.note, edges = excluded.edges",
                     (f"{t}-{name}", note, json.dumps([dict(e, dst=f"{t}-{e['dst']}") for e in edges])))


def out_edges(conn, t: str, src: str) -> list[tuple]:
    """(dst key, rel_type, weight, properties) of the edges leaving ``src``, from the edges CF (rem_edges)."""
    return conn.execute(
        f"select d.name, e.rel_type, e.weight, e.properties from rem_edges e join {t} s on s.id = e.src "
        f"join {t} d on d.id = e.dst where s.name = %s order by d.name, e.rel_type", (f"{t}-{src}",)).fetchall()


def keys(t: str, rows: list[tuple]) -> list[tuple]:
    return [(r[0].removeprefix(f"{t}-"),) + tuple(r[1:]) for r in rows]


def all_edges(conn) -> list[tuple]:
    return conn.execute("select src, dst, rel_type, weight, properties::text from rem_edges "
                        "order by src, rel_type, dst").fetchall()


def test_upsert_merges_update_replaces(conn, people):
    t = people
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "knows"}])
    assert keys(t, out_edges(conn, t, "a")) == [("b", "knows", 1.0, {})]
    created = conn.execute(f"select edges->0->>'created_at' from {t} where name = %s", (f"{t}-a",)).fetchone()[0]
    # same (dst, rel_type) replaced, a new edge added
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "knows", "weight": 0.5, "properties": {"since": 2020}},
                          {"dst": "c", "rel_type": "likes"}])
    assert keys(t, out_edges(conn, t, "a")) == [("b", "knows", 0.5, {"since": 2020}), ("c", "likes", 1.0, {})]
    assert conn.execute(f"select edges->0->>'created_at' from {t} where name = %s",
                        (f"{t}-a",)).fetchone()[0] == created
    # an upsert that does not set edges keeps them; a different rel_type to the same dst is another edge
    upsert(conn, t, "a", None, note="y")
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "works_with"}, {"dst": "d", "rel_type": "knows"}])
    assert keys(t, out_edges(conn, t, "a")) == [
        ("b", "knows", 0.5, {"since": 2020}), ("b", "works_with", 1.0, {}), ("c", "likes", 1.0, {}),
        ("d", "knows", 1.0, {})]
    assert conn.execute(f"select note, jsonb_array_length(edges) from {t} where name = %s",
                        (f"{t}-a",)).fetchone() == ("x", 4)
    # a plain UPDATE replaces the list, like any column
    conn.execute(f"update {t} set edges = %s where name = %s",
                 (json.dumps([{"dst": f"{t}-c", "rel_type": "knows", "weight": 0.25}]), f"{t}-a"))
    assert keys(t, out_edges(conn, t, "a")) == [("c", "knows", 0.25, {})]
    conn.execute(f"update {t} set edges = '[]' where name = %s", (f"{t}-a",))
    assert out_edges(conn, t, "a") == []
    # reverse index agrees: c's incoming edges
    upsert(conn, t, "b", [{"dst": "c", "rel_type": "knows"}])
    into_c = conn.execute(f"select s.name from rem_traverse(%s, depth => 1, direction => 'in') r "
                          f"join {t} s on s.id = r.id", (f"{t}-c",)).fetchall()
    assert into_c == [(f"{t}-b",)]


def test_edges_column_families_equal_a_rebuild(conn, people):
    t = people
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "knows"}, {"dst": "c", "rel_type": "knows"}])
    upsert(conn, t, "b", [{"dst": "c", "rel_type": "knows", "weight": 0.3}])
    upsert(conn, t, "a", [{"dst": "c", "rel_type": "knows", "weight": 0.7}, {"dst": "d", "rel_type": "cites"}])
    conn.execute(f"update {t} set edges = %s where name = %s",
                 (json.dumps([{"dst": f"{t}-a", "rel_type": "knows"}]), f"{t}-b"))
    conn.execute(f"insert into {t} (name, edges) values (%s, %s), (%s, %s) on conflict (name) do update "
                 "set edges = excluded.edges",
                 (f"{t}-c", json.dumps([{"dst": f"{t}-d", "rel_type": "x"}]),
                  f"{t}-e", json.dumps([{"dst": f"{t}-a", "rel_type": "x"}])))
    before = all_edges(conn)
    conn.execute("select rem_rebuild_edges()")
    assert all_edges(conn) == before
    mine = [e for e in before if e[2] in ("knows", "cites", "x")]
    assert len(mine) >= 6


def test_soft_deleted_entity_leaves_traversal(conn, people):
    t = people
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "knows"}])
    upsert(conn, t, "b", [{"dst": "c", "rel_type": "knows"}])
    upsert(conn, t, "c", [{"dst": "d", "rel_type": "knows"}])

    def reach(start: str) -> list[str]:
        return sorted(r[0].removeprefix(f"{t}-") for r in conn.execute(
            "select key from rem_traverse(%s, depth => 5, direction => 'out')", (f"{t}-{start}",)).fetchall())

    assert reach("a") == ["b", "c", "d"]
    conn.execute(f"delete from {t} where name = %s", (f"{t}-c",))
    assert reach("a") == ["b"]
    assert out_edges(conn, t, "c") == []
    assert reach("c") == []
    before = all_edges(conn)
    conn.execute("select rem_rebuild_edges()")
    assert all_edges(conn) == before


def test_edge_to_unknown_key_fails_the_statement(conn, people):
    t = people
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(f"insert into {t} (name, edges) values (%s, %s), (%s, %s) on conflict (name) do update "
                     "set edges = excluded.edges",
                     (f"{t}-z", "[]", f"{t}-a", json.dumps([{"dst": "no-such-key", "rel_type": "knows"}])))
    assert conn.execute(f"select count(*) from {t} where name = %s", (f"{t}-z",)).fetchone()[0] == 0
    assert out_edges(conn, t, "a") == []


def test_repeated_pair_in_one_list_keeps_the_last(conn, people):
    t = people
    upsert(conn, t, "a", [{"dst": "b", "rel_type": "knows", "weight": 0.2},
                          {"dst": "c", "rel_type": "knows"},
                          {"dst": "b", "rel_type": "knows", "weight": 0.9}])
    assert keys(t, out_edges(conn, t, "a")) == [("b", "knows", 0.9, {}), ("c", "knows", 1.0, {})]
    assert conn.execute(f"select jsonb_array_length(edges) from {t} where name = %s",
                        (f"{t}-a",)).fetchone()[0] == 2
