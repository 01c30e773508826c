"""REM's statements through the Session API: LOOKUP, TRAVERSE (both forms), FUZZY and SEARCH (real embeddings),
plus pgvector distance operators in plain SQL."""

from __future__ import annotations

import pytest

from engine.errors import InvalidParameterValue, UndefinedTable, WrongObjectType


def test_lookup_traverse_fuzzy(sess):
    sess.run("create table people (name text primary key, city text)")
    sess.run("insert into people values ('alice', 'paris'), ('bob', 'rome'), ('carol', 'oslo')")
    sess.run("select rem_add_edge('alice', 'bob', 'knows')")
    sess.run("select rem_add_edge('bob', 'carol', 'likes')")
    r = sess.run("LOOKUP 'alice', 'nobody'")
    assert [c.name for c in r.columns] == ["id", "entity_type", "key", "data"]
    assert [(row[1], row[2], row[3]["city"]) for row in r.rows] == [("people", "alice", "paris")]
    rows = sess.rows("TRAVERSE FROM 'alice' DEPTH 2")
    assert [(x[2], x[3], x[5]) for x in rows] == [("bob", 1, "knows"), ("carol", 2, "likes")]
    rows = sess.rows("TRAVERSE knows WITH LOOKUP 'alice' DEPTH 2 LIMIT 5")
    assert [x[2] for x in rows] == ["bob"]
    rows = sess.rows("TRAVERSE FROM $1 DEPTH 1 DIRECTION in", ("bob",))
    assert [x[2] for x in rows] == ["alice"]
    rows = sess.rows("FUZZY 'alise' IN people LIMIT 1")
    assert rows[0][2] == "alice"
    with pytest.raises(UndefinedTable):
        sess.run("FUZZY 'x' IN nosuch")


def test_search_with_filter(sess):
    sess.run("create table notes (title text primary key, body text, lang text) "
             "with (embedding_fields = 'body', indexed_fields = 'lang')")
    sess.run("insert into notes values ('a', 'vector databases store embeddings', 'en'), "
             "('b', 'cats sleep all day', 'en'), ('c', 'les bases de données vectorielles', 'fr')")
    r = sess.run("SEARCH 'similarity search over embeddings' IN notes LIMIT 2")
    assert [c.name for c in r.columns] == ["title", "body", "lang", "score"]
    assert r.rows[0][0] == "a" and len(r.rows) == 2
    assert r.rows[0][3] >= r.rows[1][3]
    rows = sess.rows("SEARCH 'similarity search over embeddings' IN notes WHERE lang = 'fr' LIMIT 2")
    assert [x[0] for x in rows] == ["c"]
    with pytest.raises(InvalidParameterValue, match="outside the valid range"):
        sess.run("set hnsw.ef_search = 5000")
    seen = []  # SEARCH passes the session's ef to the vector service, like ORDER BY <=> does
    svc = sess.s.db.vectors
    real = svc.search_text
    svc.search_text = lambda *a, **k: seen.append(k.get("ef_search")) or real(*a, **k)
    try:
        sess.run("set hnsw.ef_search = 77")
        assert [x[0] for x in sess.rows("SEARCH 'similarity search over embeddings' IN notes LIMIT 1")] == ["a"]
        sess.run("reset hnsw.ef_search")
        sess.rows("SEARCH 'similarity search over embeddings' IN notes LIMIT 1")
    finally:
        del svc.search_text
    assert seen == [77, None]
    sess.run("create table plain (k text primary key)")
    with pytest.raises(WrongObjectType):
        sess.run("SEARCH 'x' IN plain")


def test_vector_operators(sess):
    rows = sess.rows("select '[1,0]'::vector <=> '[0,1]'::vector, '[1,2]'::vector <-> '[1,2]'::vector, "
                     "'[1,2]'::vector <#> '[3,4]'::vector")
    assert rows == [(1.0, 0.0, -11.0)]


def test_order_by_vector_distance_uses_the_index(sess):
    sess.run("create table vv (id int primary key, tag text, emb vector(2))")
    vals = ", ".join(f"({i}, '{'a' if i % 2 else 'b'}', '[{i}, {(i * 7) % 11 + 1}]')" for i in range(1, 120))
    sess.run("insert into vv values " + vals)
    exact = sess.rows("select id from vv order by emb <-> '[30, 3]', id limit 4")
    sess.run("create index on vv using hnsw (emb vector_l2_ops)")
    plan = [r[0] for r in sess.rows("explain select id from vv order by emb <-> '[30, 3]' limit 4")]
    assert any("Index Scan using vv_emb_hnsw" in line for line in plan)
    assert sess.rows("select id from vv order by emb <-> '[30, 3]', id limit 4") == exact
    odd = sess.rows("select id from vv where tag = 'a' order by emb <-> $1::text::vector limit 3", ("[30, 3]",))
    assert odd and all(r[0] % 2 == 1 for r in odd)


def test_named_arguments_variadic_and_traverse_where(sess):
    sess.run("create table nodes (name text primary key, color text)")
    sess.run("insert into nodes values ('a', 'red'), ('b', 'blue'), ('c', 'red')")
    assert sess.one("select rem_add_edge(src => 'a', rel_type => 'Next', dst => 'b')") is True
    assert sess.one("select rem_add_edge('b', 'c', rel_type => 'Next', weight => 0.5)") is True
    assert sess.rows("select key, depth, weight from rem_traverse('a', depth => 2, types => ARRAY['Next'])") == [
        ("b", 1, 1.0), ("c", 2, 0.5)]
    assert sess.rows("select key from rem_traverse('c', direction => 'in', depth => 3)") == [("b",), ("a",)]
    assert sess.rows("select key from rem_lookup(VARIADIC ARRAY['c', 'a'])") == [("c",), ("a",)]
    assert [r[2] for r in sess.rows("TRAVERSE FROM 'a' DEPTH 2 WHERE color = 'red'")] == ["c"]
    assert [r[2] for r in sess.rows("TRAVERSE Next WITH LOOKUP 'a' DEPTH 2 WHERE depth = 1")] == ["b"]
    assert sess.rows("TRAVERSE next WITH LOOKUP 'a' DEPTH 2") == []
