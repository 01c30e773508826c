"""The vector service attached to a real store (open_database): embed on insert, commit hook, recovery."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine import types as T
from engine.database import open_database
from engine.schema.model import ColumnDef, IndexDef, TableDef
from engine.settings import Settings
from tests.vector.test_embeddings import PAIRS

SCHEMA = {"title": "Doc", "properties": {"name": {"type": "string"}, "body": {"type": "string"}},
          "json_schema_extra": {"name": "docs", "key_field": "name", "embedding_fields": ["body"]}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "db")


@pytest.fixture
def db(settings: Settings) -> Iterator:
    d = open_database(settings)
    yield d
    d.close()


def insert(db, table, rows):
    tx = db.store.begin()
    out = tx.insert(table, rows)
    tx.commit()
    return out


def top(db, text, k=1, table="docs"):
    return [u for u, _ in db.vectors.search(table, "embedding", db.vectors.embed_text(text), k)]


def test_insert_embeds_and_indexes(db):
    docs = db.store.registry.register_json_schema(SCHEMA)
    rows = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS)])
    assert rows[0]["embedding"].shape == (384,)
    idx = db.vectors.index(docs, "embedding")
    assert len(idx) == len(PAIRS) and idx.seq == db.store.writer.seq
    for i, (question, _) in enumerate(PAIRS):
        assert top(db, question) == [rows[i]["id"]]
    # update moves the vector (no duplicate), delete removes it
    tx = db.store.begin()
    [r0] = tx.get(docs, [rows[0]["id"]])
    tx.update(docs, [dict(r0, body=PAIRS[1][1])])
    tx.delete(docs, [rows[1]["id"]])
    tx.commit()
    assert top(db, PAIRS[1][0], 3)[0] == rows[0]["id"]
    assert rows[1]["id"] not in top(db, PAIRS[1][0], 20) and len(db.vectors.index(docs)) == len(PAIRS) - 1


def test_restart_loads_and_replays(settings):
    db = open_database(settings)
    docs = db.store.registry.register_json_schema(SCHEMA)
    first = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS[:4])])
    db.close()  # clean: index files saved
    db = open_database(settings)
    docs = db.store.registry.get("docs")
    idx = db.vectors.index(docs)
    assert len(idx) == 4 and not db.vectors.jobs.all()  # loaded from its files, nothing rebuilt
    saved_seq = idx.seq
    later = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS) if i >= 4])
    tx = db.store.begin()
    tx.delete(docs, [first[0]["id"]])
    tx.commit()
    db.vectors.close(save=False)  # a crash: the index files still say saved_seq
    db.vectors = None
    db.close()
    db = open_database(settings)
    try:
        idx = db.vectors.index("docs")
        assert idx.seq == db.store.writer.seq > saved_seq and not db.vectors.jobs.all()
        assert len(idx) == len(PAIRS) - 1
        assert set(idx.ids()) == {r["id"] for r in first[1:] + later}  # every committed row, no ghosts
        for i, (question, _) in enumerate(PAIRS):
            if i >= 4:
                assert top(db, question) == [later[i - 4]["id"]]
    finally:
        db.close()


def test_missing_index_files_rebuild_from_rocksdb(settings):
    db = open_database(settings)
    docs = db.store.registry.register_json_schema(SCHEMA)
    rows = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS)])
    db.close()
    shutil.rmtree(settings.data_dir / "vectors")
    db = open_database(settings)
    try:
        job = db.vectors.jobs.all()[0]
        assert job.kind == "index_build" and job.total == len(PAIRS)
        assert db.vectors.wait_idle(timeout=60) and job.state == "done"
        assert top(db, PAIRS[2][0]) == [rows[2]["id"]]
    finally:
        db.close()


def test_pgvector_column_with_hnsw_index(db):
    t = db.store.registry.create(TableDef(
        name="items", columns=[ColumnDef("n", T.INT4), ColumnDef("v", T.VECTOR, typmod=3)],
        indexes=[IndexDef("items_v_idx", ["v"], method="hnsw",
                          options={"opclass": "vector_l2_ops", "m": 8, "ef_construction": 32})]))
    db.vectors.table_changed(t)
    vals = np.array([[1, 2, 3], [4, 5, 6], [1, 1, 1], [-1, 0, 2]], np.float32)
    rows = insert(db, t, [{"n": i, "v": vals[i]} for i in range(4)])
    q = np.array([3, 1, 2], np.float32)
    got = db.vectors.search(t, "v", q, 4, metric="l2")
    order = np.argsort(np.linalg.norm(vals - q, axis=1))
    assert [u for u, _ in got] == [rows[i]["id"] for i in order]
    assert got[0][1] == pytest.approx(float(np.linalg.norm(vals[order[0]] - q)), rel=1e-5)
    assert db.vectors.index(t, "v").params.m == 8


def test_search_text_and_views(db):
    from engine.errors import InvalidParameterValue, WrongObjectType
    from engine.virtual import lookup_virtual

    docs = db.store.registry.register_json_schema(SCHEMA)
    rows = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS)])
    got = db.vectors.search_text(docs, PAIRS[3][0], 3)
    assert got[0][0] == rows[3]["id"] and 0.3 < got[0][1] <= 1.0 and got[0][1] >= got[1][1]
    with pytest.raises(InvalidParameterValue):
        db.vectors.search_text(docs, "  ")
    plain = db.store.registry.create(TableDef(name="plain", columns=[ColumnDef("n", T.INT4)]))
    with pytest.raises(WrongObjectType) as ei:
        db.vectors.search_text(plain, "x")
    assert ei.value.sqlstate == "42809" and "plain" in str(ei.value)
    ctx = type("Ctx", (), {"db": db})()
    idx_rows = list(lookup_virtual("pg_catalog", "rem_vector_indexes").rows(ctx))
    assert idx_rows[0][:5] == ("docs", "embedding", "cosine", 384, len(PAIRS))
    db.vectors.build_index("plain", "v", [], dim=3)
    jobs = list(lookup_virtual("pg_catalog", "rem_jobs").rows(ctx))
    assert jobs[-1][1:5] == ("index_build", "plain", "v", "done")


def test_reembed_switches_model_and_dimension(tmp_path):
    from engine.vector.reembed import reembed
    from tests.vector.fake_openai import GOOD_KEY, FakeOpenAI

    with FakeOpenAI() as srv:
        settings = Settings(data_dir=tmp_path / "db", openai_api_key=GOOD_KEY, openai_base_url=srv.base_url)
        db = open_database(settings)
        try:
            docs = db.store.registry.register_json_schema(SCHEMA)
            rows = insert(db, docs, [{"name": f"p{i}", "body": b} for i, (_, b) in enumerate(PAIRS)])
            assert db.vectors.index(docs).dim == 384
            job = reembed(db, "docs", "openai:text-embedding-3-small@16", wait=True)
            assert job.state == "done" and job.progress == 1.0, job.error
            docs = db.store.registry.get("docs")
            assert docs.embedding_model == "openai:text-embedding-3-small@16" and docs.embedding_dim == 16
            idx = db.vectors.index(docs)
            assert idx.dim == 16 and len(idx) == len(PAIRS)
            stored = {r["id"]: r["embedding"] for r in db.store.begin().scan(docs)}
            assert all(v.shape == (16,) for v in stored.values())
            # the fake server's vectors are a hash of the text: the row's own text finds the row
            for i, (_, body) in enumerate(PAIRS):
                assert db.vectors.search_text(docs, body, 1)[0][0] == rows[i]["id"]
            more = insert(db, docs, [{"name": "new", "body": "fresh text"}])  # new rows use the new model
            assert more[0]["embedding"].shape == (16,) and len(db.vectors.index(docs)) == len(PAIRS) + 1
        finally:
            db.close()
