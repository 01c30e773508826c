"""``ORDER BY vec <op> q LIMIT k`` without a Sort above the vector step: the index path keeps the index's order,
the exact path (no index yet) sorts itself, and both give the rows (and order) numpy gives, with the distance
selected, under a WHERE filter, with OFFSET, with k larger than the table and with tied distances."""

from __future__ import annotations

import time
import uuid

import numpy as np
import psycopg
import pytest

from benchmarks.vector_wire import copy_payload, use_binary_vectors
from tests.vector.data import clustered

N, D = 400, 16
METRICS = {"<=>": "vector_cosine_ops", "<->": "vector_l2_ops", "<#>": "vector_ip_ops"}


def numpy_order(base: np.ndarray, q: np.ndarray, op: str, rows: np.ndarray | None = None) -> tuple[list[int], list[float]]:
    """Row numbers best first (ties by row number, which is id order) and their distances, as pgvector defines
    them."""
    rows = np.arange(base.shape[0]) if rows is None else rows
    b, qq = base[rows].astype(np.float64), q.astype(np.float64)
    if op == "<=>":
        d = 1.0 - (b @ qq) / (np.linalg.norm(b, axis=1) * np.linalg.norm(qq))
    elif op == "<->":
        d = np.linalg.norm(b - qq, axis=1)
    else:
        d = -(b @ qq)
    order = np.lexsort((rows, np.round(d, 9)))
    return rows[order].tolist(), d[order].tolist()


def wait_built(c: psycopg.Connection, t: str) -> None:
    for _ in range(600):
        r = c.execute("SELECT pending FROM rem_vector_indexes WHERE table_name = %s", (t,)).fetchone()
        if r is not None and r[0] == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the index build did not finish")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    base = clustered(N, D, centres=8, seed=31)
    base[10] = base[11] = base[12] = base[3]  # four rows with one vector: tied distances
    cat = (np.arange(N) % 4).astype(np.int32)
    return base, cat


def make_table(c: psycopg.Connection, base: np.ndarray, cat: np.ndarray) -> str:
    t = f"vord_{uuid.uuid4().hex[:8]}"
    c.execute(f"CREATE TABLE {t} (n int, category int, embedding vector({D}))")
    with c.cursor() as cur, cur.copy(f"COPY {t} (id, n, category, embedding) FROM STDIN WITH (FORMAT binary)") as cp:
        cp.write(copy_payload(0, base, cat))
    return t


def index_and_wait(c: psycopg.Connection, t: str, op: str) -> None:
    c.execute(f"CREATE INDEX ON {t} USING hnsw (embedding {METRICS[op]})")
    wait_built(c, t)
    c.execute("SET hnsw.ef_search = 400")  # the graph of 400 rows is searched exhaustively: exact answers


def answers(c: psycopg.Connection, t: str, op: str, qs: np.ndarray) -> list[list[tuple]]:
    out = []
    for q in qs:
        out.append([tuple(r) for r in c.execute(f"SELECT n FROM {t} ORDER BY embedding {op} %b LIMIT 7", (q,))])
        out.append([tuple(r) for r in c.execute(
            f"SELECT n, embedding {op} %b AS d FROM {t} ORDER BY d LIMIT 5", (q,))])
        out.append([tuple(r) for r in c.execute(
            f"SELECT n, embedding {op} %b FROM {t} WHERE category = 2 ORDER BY embedding {op} %b LIMIT 6", (q, q))])
        out.append([tuple(r) for r in c.execute(
            f"SELECT n FROM {t} ORDER BY embedding {op} %b LIMIT 4 OFFSET 3", (q,))])
    return out


@pytest.mark.parametrize("op", ["<=>", "<->", "<#>"])
def test_same_rows_and_order_with_and_without_the_index(conn, data, op):
    base, cat = data
    use_binary_vectors(conn)
    t = make_table(conn, base, cat)
    qs = clustered(6, D, centres=8, seed=37)
    qs[0] = base[3]  # the tied group is the nearest
    before = answers(conn, t, op, qs)
    plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT n FROM {t} ORDER BY embedding {op} %b LIMIT 7",
                                                (qs[0],)))
    assert "Sort" not in plan, plan  # the vector step orders its rows itself
    index_and_wait(conn, t, op)
    plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT n FROM {t} ORDER BY embedding {op} %b LIMIT 7",
                                                (qs[0],)))
    assert "Index Scan" in plan and "Sort" not in plan, plan
    after = answers(conn, t, op, qs)
    conn.execute("RESET hnsw.ef_search")
    for i, q in enumerate(qs):
        want, dist = numpy_order(base, q, op)
        fwant, fdist = numpy_order(base, q, op, np.nonzero(cat == 2)[0])
        for got in (before, after):
            plain, with_d, filt, off = got[4 * i: 4 * i + 4]
            assert [r[0] for r in plain] == want[:7]
            assert [r[0] for r in with_d] == want[:5]
            assert np.allclose([r[1] for r in with_d], dist[:5], atol=1e-5)
            assert [r[1] for r in with_d] == sorted(r[1] for r in with_d)
            assert [r[0] for r in filt] == fwant[:6]
            assert np.allclose([r[1] for r in filt], fdist[:6], atol=1e-5)
            assert [r[0] for r in off] == want[3:7]
    assert before == after
    assert [r[0] for r in before[0][:4]] == [3, 10, 11, 12]  # ties: id order, on both paths


def test_k_larger_than_the_table_and_null_vectors(conn, data):
    base, cat = data
    use_binary_vectors(conn)
    t = make_table(conn, base[:20], cat[:20])
    conn.execute(f"INSERT INTO {t} (id, n, category) VALUES (%s, 99, 0)", (uuid.UUID(int=10_000),))
    q = base[5]
    want, _ = numpy_order(base[:20], q, "<=>")
    got = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT 50", (q,))]
    assert got == want + [99]  # exact path: a NULL distance sorts last (as PostgreSQL without an index)
    index_and_wait(conn, t, "<=>")
    got = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT 50", (q,))]
    assert got == want  # index path: rows without a vector are not in the index (as pgvector's index scan)
    got = [r[0] for r in conn.execute(f"SELECT n FROM {t} WHERE category = 0 ORDER BY embedding <=> %b LIMIT 50",
                                      (q,))]
    assert got == [n for n in want if cat[n] == 0]
    assert conn.execute(f"SELECT count(*) FROM (SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT 0) s",
                        (q,)).fetchone()[0] == 0
    with pytest.raises(psycopg.errors.InvalidRowCountInLimitClause):
        conn.execute(f"SELECT n FROM {t} ORDER BY embedding <=> %b LIMIT -1", (q,))
    conn.execute("RESET hnsw.ef_search")


def test_more_order_keys_keep_the_sort(conn, data):
    base, cat = data
    use_binary_vectors(conn)
    t = make_table(conn, base[:50], cat[:50])
    q = base[3]
    want, _ = numpy_order(base[:50], q, "<->")
    sql = f"SELECT n FROM {t} ORDER BY embedding <-> %b, n DESC LIMIT 6"
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, (q,)))
    assert "Sort" in plan
    got = [r[0] for r in conn.execute(sql, (q,))]
    assert got[:4] == [12, 11, 10, 3] and got[4:] == want[4:6]  # the tie broken by the second key
    got = [r[0] for r in conn.execute(f"SELECT n FROM {t} ORDER BY embedding <-> %b DESC LIMIT 3", (q,))]
    assert got == list(reversed(want))[:3]


def test_filter_on_an_indexed_column_reads_only_the_hits(conn, data):
    """``WHERE category = $1`` on an indexed column: the admitted ids come from the field index (no row is
    read to build the allowed set), the answers equal numpy's, follow commits and this transaction's writes."""
    base, cat = data
    use_binary_vectors(conn)
    t = make_table(conn, base, cat)
    conn.execute(f"CREATE INDEX ON {t} (category)")
    index_and_wait(conn, t, "<=>")
    sql = f"SELECT n, category FROM {t} WHERE category = %s ORDER BY embedding <=> %b LIMIT 5"
    assert "Index Scan" in "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, (1, base[0])))
    qs = clustered(5, D, centres=8, seed=41)
    for c in (1, 3, 7):
        for q in qs:
            got = conn.execute(sql, (c, q), prepare=True).fetchall()
            want, _ = numpy_order(base, q, "<=>", np.nonzero(cat == c)[0])
            assert got == [(n, c) for n in want[:5]]
    q = qs[0]
    best = numpy_order(base, q, "<=>", np.nonzero(cat == 1)[0])[0][0]
    conn.execute(f"UPDATE {t} SET category = 0 WHERE n = %s", (best,))
    assert best not in [r[0] for r in conn.execute(sql, (1, q), prepare=True)]
    with conn.transaction():
        conn.execute(f"UPDATE {t} SET category = 1 WHERE n = %s", (best,))
        assert conn.execute(sql, (1, q), prepare=True).fetchone() == (best, 1)
        raise psycopg.Rollback()
    assert best not in [r[0] for r in conn.execute(sql, (1, q), prepare=True)]
    mixed = f"SELECT n FROM {t} WHERE category = %s AND n %% 2 = 0 ORDER BY embedding <=> %b LIMIT 5"
    want, _ = numpy_order(base, q, "<=>", np.nonzero((cat == 3) & (np.arange(N) % 2 == 0))[0])
    assert [r[0] for r in conn.execute(mixed, (3, q))] == want[:5]  # a residual condition: rows are read
    conn.execute("RESET hnsw.ef_search")
