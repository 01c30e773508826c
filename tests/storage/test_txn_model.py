"""Model-based property test: random insert/update/delete/savepoint/rollback sequences on a real store agree with a
dict model, through scan, count, get, field-index lookup and range, before and after commit."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import errors as E
from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.storage import open_store

keys = st.integers(min_value=0, max_value=12)
ops = st.lists(st.one_of(
    st.tuples(st.just("ins"), keys, st.integers(0, 5)),
    st.tuples(st.just("upd"), keys, st.integers(0, 5)),
    st.tuples(st.just("del"), keys, st.just(0)),
    st.tuples(st.just("sp"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("rb"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("commit"), st.just(0), st.just(0)),
), max_size=40)


def _check(tx, t: TableDef, model: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert sorted((r["k"], r["g"]) for r in tx.scan(t)) == sorted(model.items())
    assert tx.count(t) == len(model)
    for g in range(6):
        want = sorted(k for k, v in model.items() if v == g)
        assert sorted(r["k"] for r in tx.get(t, tx.lookup(t, "g", [g]))) == want
    assert sorted(r["k"] for r in tx.get(t, tx.range(t, "g", 2, 4))) == sorted(k for k, v in model.items() if 2 <= v <= 4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_overlay_matches_model(seq: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Settings(data_dir=Path(d) / "db"))
        try:
            t = store.registry.create(TableDef(name="m", columns=[ColumnDef("k", T.INT4), ColumnDef("g", T.INT4, indexed=True)],
                                               primary_key=["k"]))
            committed: dict[int, int] = {}
            model: dict[int, int] = {}
            sps: list[tuple[int, dict[int, int]]] = []  # savepoint stack: (name, model at that point)
            tx = store.begin()
            for op, a, b in seq:
                if op == "ins":
                    if a in model:
                        try:
                            tx.insert(t, [{"k": a, "g": b}])
                            raise AssertionError("duplicate accepted")
                        except E.UniqueViolation:
                            pass
                    else:
                        tx.insert(t, [{"k": a, "g": b}])
                        model[a] = b
                elif op == "upd" and a in model:
                    [r] = tx.get(t, tx.lookup(t, "k", [a]))
                    tx.update(t, [dict(r, g=b)])
                    model[a] = b
                elif op == "del":
                    tx.delete(t, tx.lookup(t, "k", [a]))
                    model.pop(a, None)
                elif op == "sp":
                    tx.savepoint(f"s{a}")
                    sps.append((a, dict(model)))
                elif op == "rb":
                    pos = max((i for i, (n, _) in enumerate(sps) if n == a), default=None)
                    if pos is None:
                        try:
                            tx.rollback_to(f"s{a}")
                            raise AssertionError("unknown savepoint accepted")
                        except E.InvalidSavepointSpecification:
                            pass
                    else:
                        tx.rollback_to(f"s{a}")
                        model = dict(sps[pos][1])
                        del sps[pos + 1:]  # later savepoints are destroyed, this one stays
                elif op == "commit":
                    tx.commit()
                    committed = dict(model)
                    sps = []
                    tx = store.begin()
                _check(tx, t, model)
            tx.rollback()
            _check(store.begin(), t, committed)
        finally:
            store.close()
