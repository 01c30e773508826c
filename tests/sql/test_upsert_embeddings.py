"""Embeddings on multi-row writes, with the real local model on a real store: every statement embeds its rows
with ONE embedder call (the provider cuts it into P8_EMBEDDING_BATCH_SIZE batches), an upsert embeds only rows
whose embedded text is new or changed (unchanged text keeps its stored vector), and an embedding failure fails
the statement with nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import RemError

DDL = "create table docs (name text primary key, body text, tag text) with (embedding_fields = 'body')"
UPSERT = ("insert into docs (name, body, tag) values {} on conflict (name) do update "
          "set body = excluded.body, tag = excluded.tag returning name")


@pytest.fixture
def calls(db):
    """Sizes of the embedder calls made through the store (the real model underneath)."""
    seen: list[int] = []
    real = db.store.embedder
    assert real is not None

    def counting(table, rows):
        seen.append(len(rows))
        return real(table, rows)

    db.store.set_embedder(counting)
    yield seen
    db.store.set_embedder(real)


def vectors(sess) -> dict[str, np.ndarray]:
    return {n: np.asarray(e) for n, e in sess.rows("select name, embedding from docs")}


def values(rows: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"('{a}', '{b}', '{c}')" for a, b, c in rows)


def test_upsert_embeds_only_new_and_changed_text(sess, calls):
    sess.run(DDL)
    sess.run("insert into docs (name, body, tag) values " + values(
        [(f"d{i}", f"a sentence about topic number {i}", "v1") for i in range(6)]))
    assert calls == [6]
    before = vectors(sess)
    calls.clear()
    rows = [("d0", "a sentence about topic number 0", "v2"),  # same text: keeps its vector
            ("d1", "a sentence about topic number 1", "v2"),
            ("d2", "the weather in the mountains is cold", "v2"),  # changed text
            ("n1", "a brand new document about cooking", "v2"),  # new rows
            ("n2", "another new one about the sea", "v2")]
    r = sess.run(UPSERT.format(values(rows)))
    assert r.tag == "INSERT 0 5" and [x[0] for x in r.rows] == ["d0", "d1", "d2", "n1", "n2"]
    assert calls == [3]  # d2, n1, n2 in one call
    after = vectors(sess)
    assert np.array_equal(after["d0"], before["d0"]) and np.array_equal(after["d1"], before["d1"])
    assert not np.allclose(after["d2"], before["d2"])
    assert after["n1"].shape == (384,)
    assert sess.rows("select name, tag from docs where name in ('d0', 'd2', 'n2') order by name") == [
        ("d0", "v2"), ("d2", "v2"), ("n2", "v2")]
    calls.clear()
    sess.run(UPSERT.format(values(rows)))  # nothing changed: no model call at all
    assert calls == []
    assert sess.one("select name from docs order by embedding <=> rem_embed('cold mountain weather') "
                    "limit 1") == "d2"


def test_every_multi_row_statement_embeds_in_one_call(sess, calls):
    sess.run(DDL)
    sess.run("insert into docs (name, body) values " + ", ".join(f"('s{i}', 'text {i}')" for i in range(10)))
    sess.run("insert into docs (name, body) select 'c' || name, body || ' copied' from docs")
    sess.run("update docs set body = body || ' again' where name like 'c%'")
    sess.run("update docs set tag = 'x'")  # no embedded field changes: no call
    sess.run("insert into docs (name, body) values ('s1', 'x'), ('z1', 'y') on conflict (name) do nothing")
    copy = sess.run("copy docs (name, body) from stdin").copy
    assert sess.s.copy_in(copy, [(f"p{i}", f"copied text {i}") for i in range(7)]).tag == "COPY 7"
    assert calls == [10, 10, 10, 1, 7]
    assert sess.one("select count(*) from docs where embedding is not null") == 28


def test_embedding_failure_writes_nothing(sess, db, calls):
    sess.run(DDL)
    sess.run("insert into docs (name, body, tag) values ('k1', 'kept text', 'v1')")
    real = db.store.embedder

    def broken(table, rows):
        raise RemError("embedding provider unavailable")

    db.store.set_embedder(broken)
    try:
        with pytest.raises(RemError):
            sess.run(UPSERT.format(values([("k1", "changed text", "v2"), ("k2", "new text", "v2")])))
        with pytest.raises(RemError):
            sess.run("insert into docs (name, body) values ('k3', 'a'), ('k4', 'b')")
    finally:
        db.store.set_embedder(real)
    assert sess.rows("select name, body, tag from docs") == [("k1", "kept text", "v1")]


def test_explicit_vectors_in_update_and_upsert(sess, calls):
    sess.run("create table vdocs (name text primary key, body text) with (embedding_fields = 'body')")
    sess.run("insert into vdocs (name, body) values ('a', 'first text'), ('b', 'second text')")
    calls.clear()
    one = "[" + ", ".join(["1"] + ["0"] * 383) + "]"
    sess.run(f"update vdocs set embedding = '{one}' where name = 'a'")
    sess.run(f"insert into vdocs (name, body, embedding) values ('b', 'second text', '{one}') "
             "on conflict (name) do update set embedding = excluded.embedding")
    assert calls == []
    got = vectors_of(sess, "vdocs")
    assert got["a"][0] == 1 and got["b"][0] == 1 and not got["a"][1:].any()
    assert sess.one(f"select count(*) from vdocs where embedding <=> '{one}'::vector < 0.001") == 2


def vectors_of(sess, table: str) -> dict[str, np.ndarray]:
    return {n: np.asarray(e) for n, e in sess.rows(f"select name, embedding from {table}")}
