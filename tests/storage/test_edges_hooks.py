"""Edges (both column families, key resolution, rebuild), the embedder hook and commit hooks."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from engine import errors as E
from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.storage import RemStore
from engine.write import CommitSummary


@pytest.fixture
def docs(store: RemStore) -> TableDef:
    return store.registry.register_json_schema({
        "title": "Doc", "properties": {"name": {"type": "string"}, "body": {"type": "string"}},
        "json_schema_extra": {"name": "docs", "key_field": "name", "embedding_fields": ["body"], "embedding_dim": 4}})


def test_edges_resolve_keys_and_fill_both_cfs(store: RemStore, docs: TableDef) -> None:
    tx = store.begin()
    [a] = tx.insert(docs, [{"name": "a: the/first one", "body": "x"}])
    [b] = tx.insert(docs, [{"name": "b", "body": "y", "edges": [
        {"dst": "a: the/first one", "rel_type": "cites", "properties": {"p": 1}},
        {"dst": str(a["id"]), "rel_type": "likes", "weight": 0.5}]}])
    tx.commit()
    assert b["edges"][0]["dst"] == a["id"] and b["edges"][1]["weight"] == 0.5
    out = store.edges_from([b["id"]])
    assert {(e.rel_type, e.dst, e.weight) for e in out} == {("cites", a["id"], 1.0), ("likes", a["id"], 0.5)}
    assert [e.rel_type for e in store.edges_from([b["id"]], "cites")] == ["cites"]
    inc = store.edges_to([a["id"]])
    assert {(e.src, e.rel_type) for e in inc} == {(b["id"], "cites"), (b["id"], "likes")}
    assert next(e for e in inc if e.rel_type == "cites").properties == {"p": 1}
    # updating the edges list replaces the stored edges
    tx = store.begin()
    [cur] = tx.get(docs, [b["id"]])
    tx.update(docs, [dict(cur, edges=[{"dst": a["id"], "rel_type": "cites"}])])
    tx.commit()
    assert [e.rel_type for e in store.edges_to([a["id"]])] == ["cites"]
    # deleting the source removes its edges
    tx = store.begin()
    tx.delete(docs, [b["id"]])
    tx.commit()
    assert store.edges_to([a["id"]]) == [] and list(store.scan_edges()) == []


def test_unknown_edge_key_is_foreign_key_violation(store: RemStore, docs: TableDef) -> None:
    tx = store.begin()
    with pytest.raises(E.ForeignKeyViolation) as e:
        tx.insert(docs, [{"name": "x", "edges": [{"dst": "nope", "rel_type": "r"}]}])
    assert e.value.sqlstate == "23503" and e.value.detail == "Key (dst)=(nope) is not present in any table."


def test_rebuild_edges(store: RemStore, docs: TableDef) -> None:
    tx = store.begin()
    tx.insert(docs, [{"name": "a"}, {"name": "b", "edges": [{"dst": "a", "rel_type": "r"}]}])
    tx.commit()
    before = list(store.scan_edges())
    wb = store.rocks.batch()
    for k in list(store.rocks.cf["edges"].keys()):
        wb.delete(k, store.rocks.h["edges"])
    store.rocks.write(wb)
    assert list(store.scan_edges()) == []
    assert store.rebuild_edges() == 1
    assert list(store.scan_edges()) == before and len(store.edges_to([before[0].dst])) == 1


def test_embedder_called_once_per_statement_and_stored(store: RemStore, docs: TableDef) -> None:
    calls: list[int] = []

    def embed(t: TableDef, rows: list[dict]) -> list[np.ndarray]:
        calls.append(len(rows))
        return [np.full(4, len(r["body"] or ""), dtype=np.float32) for r in rows]

    store.set_embedder(embed)
    tx = store.begin()
    tx.insert(docs, [{"name": f"n{i}", "body": "b" * i} for i in range(5)])
    tx.insert(docs, [{"name": "given", "body": "zz", "embedding": [1, 2, 3, 4]}])
    tx.commit()
    assert calls == [5]
    rows = {r["name"]: r for r in store.begin().scan(docs)}
    assert rows["n3"]["embedding"].tolist() == [3, 3, 3, 3] and rows["given"]["embedding"].tolist() == [1, 2, 3, 4]
    tx = store.begin()
    [r] = tx.get(docs, [rows["n3"]["id"]])
    tx.update(docs, [dict(r, name="n3")])  # embedding field unchanged: no call
    tx.update(docs, [dict(r, body="bbbbbbb")])  # changed: recomputed
    tx.commit()
    assert calls == [5, 1]
    [r] = store.begin().get(docs, [rows["n3"]["id"]])
    assert r is not None and r["embedding"].tolist() == [7, 7, 7, 7]
    assert len(list(store.rocks.cf["embeddings"].keys())) == 6


def test_commit_hooks_get_summary(store: RemStore, docs: TableDef) -> None:
    seen: list[CommitSummary] = []
    store.add_commit_hook(seen.append)
    tx = store.begin()
    [a] = tx.insert(docs, [{"name": "a"}])
    tx.insert(docs, [{"name": "b", "edges": [{"dst": "a", "rel_type": "r"}]}])
    tx.commit()
    tx = store.begin()
    tx.delete(docs, [a["id"]])
    tx.commit()
    assert len(seen) == 2 and seen[1].seq > seen[0].seq
    tc = seen[0].tables[docs.oid]
    assert sorted(r["name"] for r in tc.upserted) == ["a", "b"] and len(tc.edges_added) == 1
    assert seen[1].tables[docs.oid].deleted == [a["id"]]
    store.remove_commit_hook(seen.append)


def test_lookup_key_across_tables(store: RemStore, docs: TableDef) -> None:
    other = store.registry.create(TableDef(name="o", columns=[ColumnDef("uri", T.TEXT)]))
    tx = store.begin()
    tx.insert(docs, [{"name": "https://x.org/a b"}])
    tx.insert(other, [{"uri": "https://x.org/a b"}])
    tx.commit()
    hits = store.lookup_key("https://x.org/a b")
    assert sorted(t.name for t, _ in hits) == ["docs", "o"] and all(isinstance(i, uuid.UUID) for _, i in hits)


def test_roles(store: RemStore) -> None:
    assert store.get_role("alice") is None
    store.set_role("alice", verifier="SCRAM-SHA-256$4096:abc", superuser=True)
    store.set_role("alice", login=False)
    r = store.get_role("alice")
    assert r == {"name": "alice", "verifier": "SCRAM-SHA-256$4096:abc", "superuser": True, "login": False}
    assert [x["name"] for x in store.roles()] == ["alice"]
    assert store.drop_role("alice") and store.get_role("alice") is None


def test_failing_hook_does_not_fail_the_commit(store: RemStore, docs: TableDef) -> None:
    def bad(_: CommitSummary) -> None:
        raise RuntimeError("follower bug")

    store.add_commit_hook(bad)
    tx = store.begin()
    tx.insert(docs, [{"name": "a"}])
    tx.commit()
    store.remove_commit_hook(bad)
    assert store.begin().count(docs) == 1


def test_unstorable_value_is_a_data_exception(store: RemStore) -> None:
    t = store.registry.create(TableDef(name="j", columns=[ColumnDef("doc", T.JSONB)]))
    tx = store.begin()
    tx.insert(t, [{"doc": {"x": object()}}])
    with pytest.raises(E.DataException):
        tx.commit()
