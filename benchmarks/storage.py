"""Storage engine: raw store throughput (engine Txn API on RocksDB) next to bare rocksdict, and the row codec.

* value codec: msgpack+ext (REM's choice) vs orjson (+ schema-driven type restore) vs Arrow IPC, per row
* batched insert (1000 rows per transaction), point get, indexed lookup, full scan cold and cached,
  GROUP BY on the Arrow column cache (first build, then warm)
* one synchronous commit at a time vs group commit (8 threads), bare rocksdict put/get for reference

Prints a table, writes benchmarks/results/storage.json and the "Storage" section of docs/benchmarks.md.

    .venv/bin/python -m benchmarks.storage [--rows 100000] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.docsection import write_section

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "storage.json"
BEGIN, END = "<!-- BEGIN storage (benchmarks/storage.py) -->", "<!-- END storage -->"

CATS = ["news", "science", "sports", "tech", "art", "travel", "food", "health"]


def make_row(i: int, rnd: random.Random) -> dict[str, Any]:
    return {"name": f"item-{i}", "category": CATS[i % len(CATS)], "n": i, "score": rnd.random() * 100,
            "body": " ".join(rnd.choice(["lorem", "ipsum", "dolor", "sit", "amet", "rem", "db"]) for _ in range(30)),
            "tags": ["a", "b", CATS[i % 3]], "props": {"k": i % 10, "ok": True}}


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def codec_bench(n: int = 20000) -> list[tuple[str, float, float, int]]:
    """(codec, encode µs/row, decode µs/row, bytes/row) on stored rows with system fields."""
    import msgpack  # noqa: F401
    import orjson
    import pyarrow as pa

    from engine.storage import codec
    rnd = random.Random(1)
    now = dt.datetime.now(dt.UTC)
    rows = [dict(make_row(i, rnd), id=uuid.uuid4(), entity_type="bench", created_at=now, modified_at=now,
                 deleted_at=None, edges=[]) for i in range(n)]
    out = []
    enc = [codec.encode_row(r) for r in rows]
    te = timed(lambda: [codec.encode_row(r) for r in rows], 3)
    td = timed(lambda: [codec.decode_row(v) for v in enc], 3)
    out.append(("msgpack + ext types (chosen)", te / n * 1e6, td / n * 1e6, sum(map(len, enc)) // n))

    def oj_enc(r: dict[str, Any]) -> bytes:
        return orjson.dumps(r, default=str)

    def oj_dec(b: bytes) -> dict[str, Any]:
        d = orjson.loads(b)
        d["id"] = uuid.UUID(d["id"])
        for k in ("created_at", "modified_at"):
            d[k] = dt.datetime.fromisoformat(d[k])
        return d
    encj = [oj_enc(r) for r in rows]
    te = timed(lambda: [oj_enc(r) for r in rows], 3)
    td = timed(lambda: [oj_dec(v) for v in encj], 3)
    out.append(("orjson + per-column type restore", te / n * 1e6, td / n * 1e6, sum(map(len, encj)) // n))

    sample = rows[:2000]
    schema = pa.Table.from_pylist([dict(r, id=r["id"].bytes) for r in sample[:1]]).schema

    def ar_enc(r: dict[str, Any]) -> bytes:
        b = pa.RecordBatch.from_pylist([dict(r, id=r["id"].bytes)], schema=schema)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, schema) as w:
            w.write_batch(b)
        return sink.getvalue().to_pybytes()

    def ar_dec(b: bytes) -> dict[str, Any]:
        return pa.ipc.open_stream(b).read_all().to_pylist()[0]
    enca = [ar_enc(r) for r in sample]
    te = timed(lambda: [ar_enc(r) for r in sample])
    td = timed(lambda: [ar_dec(v) for v in enca])
    out.append(("Arrow IPC, one row per value", te / len(sample) * 1e6, td / len(sample) * 1e6,
                sum(map(len, enca)) // len(sample)))
    return out


def validate_bench(n: int = 5000) -> list[tuple[str, float]]:
    """(validator, µs/row) for the same rows and JSON Schema (with an enum, a pattern and bounds)."""
    import jsonschema

    from engine.schema.registry import table_from_json_schema
    from engine.schema.validate import RowValidator, to_json
    schema = {"title": "v", "type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1}, "category": {"type": "string", "enum": CATS},
        "n": {"type": "integer", "minimum": 0}, "score": {"type": "number"}, "body": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}}, "props": {"type": "object"},
        "lang": {"type": "string", "pattern": "^[a-z]{2}$"}}}
    rnd = random.Random(5)
    rows = [dict(make_row(i, rnd), lang="en") for i in range(n)]
    full = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    t_full = timed(lambda: [full.validate(to_json(r)) for r in rows])
    rv = RowValidator(table_from_json_schema(schema))
    t_rem = timed(lambda: [rv.check(r) for r in rows])
    return [("jsonschema, whole row (Draft 2020-12, compiled once)", t_full / n * 1e6),
            ("REM RowValidator: per-column coercers + jsonschema only where constrained", t_rem / n * 1e6)]


def store_bench(rows: int) -> list[tuple[str, str, str]]:
    from pyarrow import table as pa_table

    from engine.settings import Settings
    from engine.storage import open_store
    tmp = Path(tempfile.mkdtemp(prefix="rem-bench-storage-"))
    res: list[tuple[str, str, str]] = []
    try:
        st = open_store(Settings(data_dir=tmp / "db", extra={"P8_ROW_CACHE_ROWS": str(rows * 2)}))
        t = st.registry.register_json_schema({
            "title": "bench", "properties": {
                "name": {"type": "string"}, "category": {"type": "string"}, "n": {"type": "integer"},
                "score": {"type": "number"}, "body": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}, "props": {"type": "object"}},
            "json_schema_extra": {"key_field": "name", "indexed_fields": ["category", "n"]}})
        rnd = random.Random(7)
        data = [make_row(i, rnd) for i in range(rows)]

        def load() -> None:
            for i in range(0, rows, 1000):
                tx = st.begin()
                tx.insert(t, data[i:i + 1000])
                tx.commit()
        el = timed(load)
        res.append(("batched insert (1000 rows/txn, 2 field indexes + key index)", f"{rows / el:,.0f} rows/s",
                    f"{el:.2f} s for {rows:,}"))
        tx = st.begin()
        ids = [r["id"] for r in tx.scan(t)]
        st.cache.tables.clear()
        sample = random.Random(3).sample(ids, min(20000, len(ids)))
        tx = st.begin()
        el = timed(lambda: [tx.get(t, [i]) for i in sample])
        res.append(("point get by id (Txn.get, decoded row)", f"{el / len(sample) * 1e6:.1f} µs", ""))
        names = [f"item-{random.Random(4).randrange(rows)}" for _ in range(5000)]
        el = timed(lambda: [tx.lookup(t, "name", [x]) for x in names])
        res.append(("key lookup (Txn.lookup on key field → id)", f"{el / len(names) * 1e6:.1f} µs", ""))
        el = timed(lambda: tx.lookup(t, "category", ["tech"]))
        res.append(("indexed equality, 1/8 of rows (ids only)", f"{el * 1e3:.1f} ms",
                    f"{rows // 8:,} ids"))
        el = timed(lambda: tx.range(t, "n", 1000, 1999))
        res.append(("indexed range, 1000 rows (ids only)", f"{el * 1e3:.2f} ms", ""))
        st.cache.tables.clear()
        tx = st.begin()
        el = timed(lambda: sum(1 for _ in tx.scan(t)))
        res.append(("full scan, cold (RocksDB → decoded rows)", f"{rows / el:,.0f} rows/s", f"{el:.2f} s"))
        tx = st.begin()
        el = timed(lambda: sum(1 for _ in tx.scan(t)), 3)
        res.append(("full scan, cached (row cache, copies)", f"{rows / el:,.0f} rows/s", f"{el:.2f} s"))
        el = timed(lambda: tx.count(t), 3)
        res.append(("count(*) cached", f"{el * 1e3:.2f} ms", ""))
        from engine import types as T

        def columnar(tx: Any) -> Any:
            v = tx.column_view(t)
            tbl = pa_table({"c": v.column("category", T.TEXT), "n": v.column("n", T.INT8)})
            return tbl.group_by(["c"], use_threads=False).aggregate([("n", "sum"), ("n", "count")])
        tx = st.begin()
        el = timed(lambda: columnar(tx))  # the first read builds the column arrays from the cached rows
        res.append(("column cache build (2 columns from cached rows) + GROUP BY", f"{rows / el:,.0f} rows/s",
                    f"{el:.2f} s"))
        el = timed(lambda: columnar(tx), 3)
        res.append(("GROUP BY on the column cache (Arrow hash aggregate)", f"{rows / el:,.0f} rows/s",
                    f"{el * 1e3:.1f} ms"))

        # synchronous commits: one at a time vs 8 concurrent committers (group commit)
        k = [rows]

        def one_sync() -> None:
            k[0] += 1
            tx = st.begin(synchronous_commit=True)
            tx.insert(t, [make_row(k[0], rnd)])
            tx.commit()
        m = 300
        el = timed(lambda: [one_sync() for _ in range(m)])
        res.append(("single-row commit, synchronous_commit=on, 1 writer", f"{el / m * 1e6:.0f} µs/commit",
                    f"{m / el:,.0f} commits/s"))
        el = timed(lambda: [one_sync_async(st, t, k, rnd) for _ in range(m)])
        res.append(("single-row commit, synchronous_commit=off", f"{el / m * 1e6:.0f} µs/commit",
                    f"{m / el:,.0f} commits/s"))
        f0 = st.writer.group.fsyncs
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(m // 8 * 2):
                with lock:
                    k[0] += 1
                    kk = k[0]
                tx = st.begin(synchronous_commit=True)
                tx.insert(t, [make_row(kk, random.Random(kk))])
                tx.commit()
        ths = [threading.Thread(target=worker) for _ in range(8)]
        t0 = time.perf_counter()
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        el = time.perf_counter() - t0
        n = m // 8 * 2 * 8
        res.append(("group commit, synchronous_commit=on, 8 writers", f"{n / el:,.0f} commits/s",
                    f"{n} commits, {st.writer.group.fsyncs - f0} fsyncs"))
        st.close()
        gc.collect()

        # bare rocksdict reference
        from rocksdict import Options, Rdict, WriteBatch
        o = Options(raw_mode=True)
        o.create_if_missing(True)
        db = Rdict(str(tmp / "raw"), o)
        vals = [(uuid.uuid4().bytes, json.dumps(r).encode()) for r in data]

        def raw_load() -> None:
            for i in range(0, rows, 1000):
                wb = WriteBatch(raw_mode=True)
                for kk, vv in vals[i:i + 1000]:
                    wb.put(kk, vv)
                db.write(wb)
        el = timed(raw_load)
        res.append(("bare rocksdict: WriteBatch of 1000 puts", f"{rows / el:,.0f} rows/s", ""))
        keys = [kv[0] for kv in vals[:20000]]
        el = timed(lambda: [db.get(x) for x in keys])
        res.append(("bare rocksdict: get", f"{el / len(keys) * 1e6:.1f} µs", ""))
        el = timed(lambda: sum(1 for _ in db.items()))
        res.append(("bare rocksdict: iterate items", f"{rows / el:,.0f} rows/s", ""))
        db.close()
        gc.collect()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def one_sync_async(st: Any, t: Any, k: list[int], rnd: random.Random) -> None:
    k[0] += 1
    tx = st.begin(synchronous_commit=False)
    tx.insert(t, [make_row(k[0], rnd)])
    tx.commit()


def render(codecs: list[tuple[str, float, float, int]], store: list[tuple[str, str, str]], rows: int,
           validation: list[tuple[str, float]] | None = None) -> str:
    lines = ["| operation | result | note |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in store]
    lines += ["", "Row value codec (a 14-field row with uuid, timestamps, text, array, object):", "",
              "| codec | encode µs/row | decode µs/row | bytes/row |", "|---|---|---|---|"]
    lines += [f"| {n} | {e:.2f} | {d:.2f} | {b} |" for n, e, d, b in codecs]
    if validation:
        lines += ["", "Row validation (8 columns, an enum, a pattern, bounds):", "", "| validator | µs/row |",
                  "|---|---|"]
        lines += [f"| {n} | {us:.1f} |" for n, us in validation]
    return "\n".join(lines)


def write_doc(text: str, meta: str) -> None:
    write_section(BEGIN, END, (f"## Storage\n\n`make bench` → `benchmarks/storage.py`. {meta}\n\n{text}"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args(argv)
    codecs = codec_bench()
    validation = validate_bench()
    store = store_bench(a.rows)
    text = render(codecs, store, a.rows, validation)
    print(text)
    load = os.getloadavg()[0]
    meta = (f"{a.rows:,} rows, Python {platform.python_version()}, {platform.machine()}, measured "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d}; single runs on a shared 2-core machine (±30 %; load average "
            f"{load:.1f} at the end of the run).")
    if not a.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"rows": a.rows, "store": store, "validation": validation,
                                       "codecs": [list(c) for c in codecs]}, indent=1))
        write_doc(text, meta)


if __name__ == "__main__":
    main()
