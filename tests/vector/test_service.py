"""VectorService: real model end to end, commits, background builds, persistence + replay, reconcile."""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np
import pytest

from engine.errors import DataException, InvalidParameterValue, UndefinedObject
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.vector import IndexParams, VectorChange, VectorCommit, VectorService
from engine.vector.service import adapt_commit
from tests.vector.data import clustered, ids
from tests.vector.test_embeddings import PAIRS

D, K = 64, 10


def docs_table(**kw) -> TableDef:
    cols = [ColumnDef("title", 25), ColumnDef("content", 25)]
    return TableDef("docs", cols, embedding_fields=["title", "content"], **kw)


@pytest.fixture
def svc(tmp_path):
    s = VectorService(replace(Settings(), data_dir=tmp_path), background=False)
    yield s
    s.close(save=False)


def test_real_model_end_to_end(svc):
    t = docs_table()
    rows = [{"title": None, "content": b} for _, b in PAIRS] + [{"title": "", "content": None}]
    vecs = svc.embed_rows(t, rows)
    assert vecs[-1] is None and all(v.shape == (384,) for v in vecs[:-1])
    rid = ids(len(PAIRS))
    svc.open_index(t, "embedding", dim=384)
    svc.on_commit(VectorCommit(5, [VectorChange("docs", "embedding", list(zip(rid, vecs[:-1], strict=True)))]))
    for i, (question, _) in enumerate(PAIRS):
        q = svc.embed_text(question)
        assert svc.search(t, "embedding", q, 3)[0][0] == rid[i]
        assert svc.exact_search(t, "embedding", q, 1)[0][0] == rid[i]
    assert svc.index(t).seq == 5


def test_model_mismatch_names_both(svc):
    t = docs_table(embedding_model="local:all-MiniLM-L6-v2")
    t.columns[1].embedding_provider = "openai:text-embedding-3-small"
    with pytest.raises(DataException) as ei:
        svc.embed_rows(t, [{"content": "x"}])
    assert "openai:text-embedding-3-small" in str(ei.value) and "local:all-MiniLM-L6-v2" in str(ei.value)
    t2 = docs_table(embedding_dim=768)
    with pytest.raises(DataException, match="768 and 384"):
        svc.embed_rows(t2, [{"title": "x"}])
    t3 = docs_table(embedding_model="local:all-MiniLM-L6-v2", embedding_dim=384)
    assert svc.embed_rows(t3, [{"title": "x"}])[0].shape == (384,)


def test_background_build_with_progress(tmp_path):
    svc = VectorService(replace(Settings(), data_dir=tmp_path), background=True, save_interval=3600)
    try:
        base, rid = clustered(5000, D), ids(5000)
        job = svc.build_index("t", "v", zip(rid, base, strict=True), dim=D, params=IndexParams(m=8,
                              ef_construction=32))
        # queries are correct while the graph is built: exact over what is not in the graph yet
        assert svc.search("t", "v", base[10], 1)[0][0] == rid[10]
        assert svc.wait_idle(timeout=120)
        assert job.state == "done" and job.progress == 1.0
        assert svc.index("t", "v").indexed == 5000
        st = svc.status()
        assert st[0]["kind"] == "index_build" and st[0]["table_name"] == "t" and st[0]["state"] == "done"
        assert svc.index_status()[0]["rows"] == 5000
    finally:
        svc.close(save=False)


def test_errors(svc):
    with pytest.raises(UndefinedObject):
        svc.search("nope", "embedding", np.ones(3), 1)
    svc.open_index("t", "v", dim=3, metric="l2")
    with pytest.raises(InvalidParameterValue):
        svc.search("t", "v", np.ones(3), 1, metric="cosine")
    with pytest.raises(InvalidParameterValue):
        svc.search("t", "v", np.ones(3), 1, metric="l2", ef_search=0)
    with pytest.raises(DataException, match="different vector dimensions 3 and 4"):
        svc.search("t", "v", np.ones(4), 1, metric="l2")


def test_persist_reload_replay(tmp_path):
    settings = replace(Settings(), data_dir=tmp_path)
    base, rid = clustered(3000, D), ids(3000)
    a = VectorService(settings, background=False)
    a.open_index("t", "v", dim=D)
    a.on_commit(VectorCommit(10, [VectorChange("t", "v", list(zip(rid[:2000], base[:2000], strict=True)))]))
    a.flush()
    assert a.save_all() == 1 and a.save_all() == 0  # unchanged: not written again
    # after the save: more commits the files do not cover (a crash would lose them from the index)
    log = [(11, rid[i], base[i]) for i in range(2000, 3000)] + [(12, rid[0], None), (13, rid[1], base[2999])]
    for seq, u, v in log:
        a.on_commit({"seq": seq, "vectors": [{"table": "t", "column": "v", "upserts": [] if v is None else
                                              [(u, v)], "deletes": [u] if v is None else []}]})
    want = [a.search("t", "v", q, K) for q in base[:20]]
    a.close(save=False)  # crash: nothing saved

    b = VectorService(settings, background=False)
    idx = b.open_index("t", "v", dim=D)
    assert idx.seq == 10 and len(idx) == 2000 and idx.indexed == 2000  # loaded, no rebuild
    assert b.replay("t", "v", [(10, rid[5], base[5])] + log) == len(log)  # seq 10 already covered
    assert idx.seq == 13 and len(idx) == 2999
    assert [b.search("t", "v", q, K) for q in base[:20]] == want
    b.close()

    c = VectorService(settings, background=False)  # clean shutdown saved everything
    idx = c.open_index("t", "v", dim=D)
    assert idx.seq == 13 and len(idx) == 2999 and idx.pending == 1001  # the unbuilt tail was saved too
    assert [c.search("t", "v", q, K) for q in base[:20]] == want
    assert c.reconcile("t", "v", [(rid[i], base[i]) for i in range(2, 3000)] + [(rid[1], base[2999])],
                       seq=20) == (0, 0)  # a recovery that changes nothing …
    assert c.save_all() == 1 and c.save_all() == 0  # … still saves its sequence (no replay at the next start)
    c.close(save=False)
    d = VectorService(settings, background=False)
    assert d.open_index("t", "v", dim=D).seq == 20
    d.drop_index("t", "v")
    assert d.index("t", "v") is None and not any((tmp_path / "vectors").iterdir())
    d.close(save=False)


def test_reconcile_applies_only_differences(svc):
    base, rid = clustered(1000, D), ids(1000)
    svc.open_index("t", "v", dim=D)
    svc.apply("t", "v", list(zip(rid, base, strict=True)))
    svc.flush()
    truth = [(rid[i], base[i]) for i in range(1, 1000)] + [(uuid.UUID(int=7), base[0])]
    truth[5] = (rid[6], base[999])
    assert svc.reconcile("t", "v", truth, seq=99) == (2, 1)
    idx = svc.index("t", "v")
    assert len(idx) == 1000 and idx.seq == 99 and idx.total == 1002
    assert svc.search("t", "v", base[0], 1)[0][0] == uuid.UUID(int=7)
    assert svc.reconcile("t", "v", truth) == (0, 0)


def test_compaction_in_background_step(svc):
    svc.compact_min = 100
    base, rid = clustered(1000, D), ids(1000)
    svc.open_index("t", "v", dim=D)
    svc.apply("t", "v", list(zip(rid, base, strict=True)))
    svc.apply("t", "v", deletes=rid[:400])
    svc.flush()
    idx = svc.index("t", "v")
    assert idx.tombstones == 0 and len(idx) == 600 and idx.total == 600
    assert any(j["kind"] == "compaction" and j["state"] == "done" for j in svc.status())


def test_adapt_commit_ignores_unrelated():
    assert adapt_commit({"seq": 3, "rows": []}) is None
    c = adapt_commit({"seq": 3, "changes": [{"table": "t", "upserts": [], "deletes": [uuid.UUID(int=1)]}]})
    assert c.seq == 3 and c.changes[0].column == "embedding"


def test_order_by_operator(svc):
    from engine.vector.functions import OPERATORS

    base, rid = clustered(300, D), ids(300)
    svc.open_index("t", "v", dim=D, metric="l2")
    svc.apply("t", "v", list(zip(rid, base * 2.0, strict=True)))
    assert svc.order_by("t", "v", "<=>", base[0], 5) is None  # an l2 index cannot order by cosine distance
    got = svc.order_by("t", "v", "<->", base[0], 5)
    assert got[0][0] == rid[0]
    for u, d in got:
        assert d == pytest.approx(OPERATORS["<->"](base[0], base[rid.index(u)] * 2.0), abs=1e-5)
    assert svc.order_by("nope", "v", "<->", base[0], 5) is None
