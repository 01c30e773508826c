"""Vectors through SQL over the wire (a real ``rem serve``, psycopg): pgvector's README statements, SEARCH,
rem_embed, errors — results checked against numpy."""

from __future__ import annotations

import uuid

import numpy as np
import psycopg
import pytest

from tests.vector.test_embeddings import PAIRS


def name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def vec(text: str) -> np.ndarray:
    return np.array([float(x) for x in text.strip("[]").split(",")], np.float64)


def test_pgvector_readme(conn):
    t = name("items")
    conn.execute(f"CREATE TABLE {t} (id bigserial PRIMARY KEY, embedding vector(3))")
    conn.execute(f"INSERT INTO {t} (embedding) VALUES ('[1,2,3]'), ('[4,5,6]'), ('[1,1,1]'), ('[-1,0,2]')")
    data = {i + 1: np.array(v, np.float64) for i, v in enumerate([[1, 2, 3], [4, 5, 6], [1, 1, 1], [-1, 0, 2]])}
    q = np.array([3, 1, 2], np.float64)
    exact = {
        "<->": lambda v: np.linalg.norm(v - q),
        "<=>": lambda v: 1 - v @ q / np.linalg.norm(v) / np.linalg.norm(q),
        "<#>": lambda v: -(v @ q),
    }

    def check(op: str) -> None:
        rows = conn.execute(f"SELECT id, embedding {op} '[3,1,2]' FROM {t} ORDER BY embedding {op} '[3,1,2]' "
                            "LIMIT 5").fetchall()
        want = sorted(data, key=lambda i: (exact[op](data[i]), i))
        assert [r[0] for r in rows] == want
        for i, d in rows:
            assert d == pytest.approx(exact[op](data[i]), abs=1e-6)

    for op in exact:
        check(op)
    conn.execute(f"CREATE INDEX ON {t} USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)")
    check("<->")
    row = conn.execute(f"SELECT embedding, l2_distance(embedding, '[3,1,2]'), cosine_distance(embedding, "
                       f"'[3,1,2]'), inner_product(embedding, '[3,1,2]'), vector_dims(embedding), "
                       f"vector_norm(embedding) FROM {t} WHERE id = 2").fetchone()
    v = vec(row[0])
    assert v.tolist() == [4, 5, 6]
    assert row[1:] == pytest.approx((np.linalg.norm(v - q), 1 - v @ q / np.linalg.norm(v) / np.linalg.norm(q),
                                     v @ q, 3, np.linalg.norm(v)), abs=1e-6)


def test_dimension_mismatch(conn):
    with pytest.raises(psycopg.errors.DataException) as ei:
        conn.execute("SELECT l2_distance('[1,2,3]'::vector, '[1,2]'::vector)")
    assert ei.value.sqlstate == "22000" and "3" in str(ei.value) and "2" in str(ei.value)


def test_search_and_rem_embed(conn):
    t = name("docs")
    conn.execute(f"CREATE TABLE {t} (title text, content text) WITH (embedding_fields = 'content')")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {t} (title, content) VALUES (%s, %s)",
                        [(f"p{i}", b) for i, (_, b) in enumerate(PAIRS)])
    for i, (question, _) in enumerate(PAIRS):
        rows = conn.execute(f"SEARCH %s IN {t} LIMIT 3", (question,)).fetchall()
        assert rows[0][1] == f"p{i}" and len(rows) == 3
        score = rows[0][-1]
        assert 0.0 < score <= 1.0 and score >= rows[1][-1]
    rows = conn.execute(f"SELECT title FROM {t} ORDER BY embedding <=> rem_embed(%s) LIMIT 2",
                        (PAIRS[2][0],)).fetchall()
    assert rows[0][0] == "p2"
    jobs = conn.execute("SELECT kind, state FROM rem_jobs").fetchall()
    assert all(state in ("running", "done", "failed", "queued") for _, state in jobs)


def test_search_errors(conn):
    t = name("plain")
    conn.execute(f"CREATE TABLE {t} (n int)")
    with pytest.raises(psycopg.errors.WrongObjectType):
        conn.execute(f"SEARCH 'anything' IN {t}")


def test_rem_search_joins(conn):
    t = name("docs")
    conn.execute(f"CREATE TABLE {t} (title text, content text) WITH (embedding_fields = 'content')")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {t} (title, content) VALUES (%s, %s)",
                        [(f"p{i}", b) for i, (_, b) in enumerate(PAIRS)])
    for i, (question, _) in enumerate(PAIRS):
        rows = conn.execute(f"SELECT d.title, s.score, s.rank FROM rem_search('{t}', %s, 3) s JOIN {t} d "
                            "ON d.id = s.id ORDER BY s.rank", (question,)).fetchall()
        assert [r[2] for r in rows] == [1, 2, 3] and rows[0][0] == f"p{i}"
        want = conn.execute(f"SEARCH %s IN {t} LIMIT 3", (question,)).fetchall()
        assert [r[1] for r in want] == [r[0] for r in rows]
        assert [r[-1] for r in want] == pytest.approx([r[1] for r in rows])
    with pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute("SELECT * FROM rem_search('no_such_table', 'x', 3)")
    with pytest.raises(psycopg.errors.WrongObjectType):
        conn.execute(f"CREATE TABLE {t}_plain (n int)")
        conn.execute(f"SELECT * FROM rem_search('{t}_plain', 'x', 3)")
