"""``ORDER BY col <=> $1 LIMIT k`` over the wire through the HNSW index: ``SET hnsw.ef_search`` reaches the
search, binary vector parameters, and filtered searches (the allowed set reused while nothing is committed)
always equal to numpy's exact answer."""

from __future__ import annotations

import time
import uuid

import numpy as np
import psycopg
import pytest

from benchmarks.vector_wire import copy_payload, use_binary_vectors
from tests.vector.data import clustered

N, D = 3000, 64


def exact_top(base: np.ndarray, q: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[int]:
    rows = np.arange(base.shape[0]) if rows is None else rows
    s = base[rows] @ (q / np.linalg.norm(q))
    return rows[np.argsort(-s, kind="stable")[:k]].tolist()


@pytest.fixture(scope="module")
def table(rem_dsn):
    t = f"ann_{uuid.uuid4().hex[:8]}"
    base = clustered(N, D, centres=30, seed=5)
    cat = (np.arange(N) % 10).astype(np.int32)  # category 0 = 10 % of the rows
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        c.execute(f"CREATE TABLE {t} (n int, category int, embedding vector({D}))")
        with c.cursor() as cur, cur.copy(f"COPY {t} (id, n, category, embedding) FROM STDIN WITH (FORMAT binary)") as cp:
            cp.write(copy_payload(0, base, cat))
        c.execute(f"CREATE INDEX ON {t} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")
        for _ in range(600):
            r = c.execute("SELECT pending FROM rem_vector_indexes WHERE table_name = %s", (t,)).fetchone()
            if r is not None and r[0] == 0:
                break
            time.sleep(0.1)
    return t, base, cat


def recall(conn, t, base, queries, k=10):
    hits = 0
    for q in queries:
        got = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT {k}", (q,))]
        hits += len(set(got) & set(exact_top(base, q, k)))
    return hits / (k * len(queries))


def test_ef_search_reaches_the_index(conn, table):
    t, base, _ = table
    use_binary_vectors(conn)
    queries = clustered(40, D, centres=30, seed=9)
    assert "Index Scan" in "\n".join(r[0] for r in conn.execute(
        f"EXPLAIN SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT 10", (queries[0],)))
    conn.execute("SET hnsw.ef_search = 1")
    low = recall(conn, t, base, queries)
    conn.execute("SET hnsw.ef_search = 400")
    high = recall(conn, t, base, queries)
    assert conn.execute("SHOW hnsw.ef_search").fetchone()[0] == "400"
    conn.execute("RESET hnsw.ef_search")
    assert low < high and high >= 0.99, (low, high)  # the setting changes what the graph search finds
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="hnsw.ef_search"):
        conn.execute("SET hnsw.ef_search = 0")  # checked at SET, like pgvector (1 .. 1000)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="hnsw.ef_search"):
        conn.execute("SET hnsw.ef_search = 'many'")
    conn.execute("RESET hnsw.ef_search")


def test_text_and_binary_parameters_agree(conn, table):
    t, base, _ = table
    use_binary_vectors(conn)
    q = clustered(1, D, centres=30, seed=11)[0]
    text = "[" + ",".join(repr(float(x)) for x in q) + "]"
    a = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT 10", (q,), prepare=True)]
    b = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %s::vector LIMIT 10", (text,),
                                    prepare=True)]
    assert a == b == exact_top(base, q, 10)


def test_filtered_equals_exact_and_follows_commits(conn, table):
    t, base, cat = table
    use_binary_vectors(conn)
    queries = clustered(15, D, centres=30, seed=13)
    sql = f"SELECT n FROM {t} WHERE category = %s ORDER BY embedding <=> %b LIMIT 10"
    for c in (0, 3):
        rows = np.nonzero(cat == c)[0]
        for q in queries:  # the same prepared plan and filter value: the allowed set is reused
            got = [r[0] for r in conn.execute(sql, (c, q), prepare=True)]
            assert got == exact_top(base, q, 10, rows)
    q = queries[0]
    best = exact_top(base, q, 1, np.nonzero(cat == 0)[0])[0]
    conn.execute(f"UPDATE {t} SET category = 7 WHERE n = %s", (best,))  # a commit: the next search sees it
    got = [r[0] for r in conn.execute(sql, (0, q), prepare=True)]
    assert best not in got and len(got) == 10
    conn.execute(f"UPDATE {t} SET category = 0 WHERE n = %s", (best,))
    got = [r[0] for r in conn.execute(sql, (0, q), prepare=True)]
    assert got[0] == best
    with conn.transaction():  # an uncommitted change of this transaction is seen by its own search
        conn.execute(f"UPDATE {t} SET category = 7 WHERE n = %s", (best,))
        got = [r[0] for r in conn.execute(sql, (0, q), prepare=True)]
        assert best not in got
        raise psycopg.Rollback()
    assert [r[0] for r in conn.execute(sql, (0, q), prepare=True)][0] == best


def test_projections_read_only_what_they_need_and_stay_exact(conn, table):
    """The top-k rows are decoded per projection (only the used columns): every shape of select list returns
    the same rows as the full row would, including ``*``, the vector itself, a whole-row reference and rows
    this transaction wrote."""
    t, base, cat = table
    use_binary_vectors(conn)
    conn.execute("SET hnsw.ef_search = 400")
    q = clustered(1, D, centres=30, seed=21)[0]
    want = exact_top(base, q, 5)
    order = "ORDER BY embedding <=> %b LIMIT 5"
    assert [r[0] for r in conn.execute(f"SELECT n FROM {t} {order}", (q,))] == want
    assert [tuple(r) for r in conn.execute(f"SELECT category, n * 2 FROM {t} {order}", (q,))] == [
        (int(cat[i]), 2 * i) for i in want]
    star = conn.execute(f"SELECT * FROM {t} {order}", (q,)).fetchall()
    assert [r[1] for r in star] == want and all(r[0] == uuid.UUID(int=i + 1) for r, i in zip(star, want, strict=True))
    vecs = [r[1] for r in conn.execute(f"SELECT n, embedding FROM {t} x {order}", (q,))]
    assert np.allclose(np.array([[float(x) for x in v.strip('[]').split(',')] for v in vecs]), base[want], atol=1e-6)
    whole = [r[0] for r in conn.execute(f"SELECT row_to_json({t}) FROM {t} {order}", (q,))]
    assert [w["n"] for w in whole] == want
    assert [r[0] for r in conn.execute(f"SELECT x.n FROM {t} AS x {order}", (q,))] == want
    with conn.transaction():
        conn.execute(f"UPDATE {t} SET category = 99 WHERE n = %s", (want[0],))
        got = conn.execute(f"SELECT n, category FROM {t} {order}", (q,)).fetchall()
        assert got[0] == (want[0], 99) and [r[0] for r in got] == want
        raise psycopg.Rollback()
    conn.execute("RESET hnsw.ef_search")
