"""Vectors over the wire: bulk load through COPY, HNSW build, ``ORDER BY embedding <=> $1 LIMIT 10`` next to raw FAISS.

Two phases against a real ``rem serve`` (psycopg, one client):

1. *load*: ``CREATE TABLE vb (n int, category int, embedding vector(d))``, binary COPY of the dataset in chunks
   (ids ``UUID(int=n+1)`` so results map back to dataset rows), a text-COPY and a multi-row-INSERT sample into a
   scratch table, then ``CREATE INDEX … USING hnsw`` and the background build until ``rem_vector_indexes``
   shows nothing pending; the server is stopped (it saves the index).
2. *query*: the server is restarted on the same data dir (time to load the saved index), and the saved graph
   is also loaded into this process (``engine.vector.persist.load``) as the raw-FAISS reference: the *same*
   HNSW graph, searched directly with one thread. Interleaved: ``SELECT 1`` (round trip), REM over
   the wire (binary ``vector`` parameter, as pgvector-python sends it; text at one ef), raw FAISS, in blocks of
   25 queries (each side searches a query cold: 24 other queries in between evict its graph nodes). Then
   exact search (numpy over all rows) and filtered search at 1 % / 10 % / 50 % (``WHERE category = c`` over
   the wire, and REM's index with a resolved allowed set in process next to raw FAISS + IDSelector).

Phase 2 can run again on a kept data dir (``--reuse DIR``), e.g. after changing the query path.

    .venv/bin/python -m benchmarks.vector_wire --dataset clustered-1m --n 1000000 --keep /tmp/rem-v1m
    .venv/bin/python -m benchmarks.vector_wire --dataset clustered-1m --reuse /tmp/rem-v1m
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import psycopg  # noqa: E402
from psycopg.adapt import Dumper  # noqa: E402
from psycopg.pq import Format  # noqa: E402

from benchmarks import datasets  # noqa: E402

K = 10
BLOCK = 25  # queries per turn of the interleaved wire / raw-FAISS passes
WARMUP = 200  # unmeasured queries (the dataset's last ones) after the restart
RESULTS = ROOT / "benchmarks" / "results"
COPY_SIG = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8


def pct(a: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(a), p)) if a else float("nan")


def stats(system: str, setting: str, found: list[list[int]] | None, gt: np.ndarray | None, lat: list[float],
          counts: list[int] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"system": system, "setting": setting, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                         "mean_ms": float(np.mean(lat)) if lat else float("nan"),
                         "qps": 1000.0 / float(np.mean(lat)) if lat else float("nan")}
    if found is not None and gt is not None:
        r["recall"] = datasets.recall(found, gt)
    if counts is not None:
        r["min_rows"] = int(min(counts)) if counts else 0
    return r


class Server:
    """A ``rem serve`` child process on a free port over ``data_dir``."""

    def __init__(self, data_dir: str) -> None:
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            self.port = so.getsockname()[1]
        self.data_dir = data_dir
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from remwire.cli import app; app()", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--data", data_dir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            env={**os.environ, "P8_CORE_SCHEMAS": "off"})
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("listening on "):
                break
        else:
            raise RuntimeError("rem serve did not start")
        self.start_s = time.perf_counter() - t
        self.dsn = f"host=127.0.0.1 port={self.port} user=rem dbname=rem"

    def cpu_s(self) -> float:
        """CPU seconds (user + system, all threads) the server process has used so far."""
        f = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        """SIGTERM and wait (the server saves its vector indexes); returns the seconds it took."""
        t = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(1800)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return time.perf_counter() - t


class VectorBinaryDumper(Dumper):
    """numpy float32 vector → pgvector binary (int16 dim, int16 0, big-endian float4s), as pgvector-python does."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        a = np.asarray(obj, dtype=">f4").reshape(-1)
        return np.array([a.shape[0], 0], ">i2").tobytes() + a.tobytes()


def use_binary_vectors(conn: psycopg.Connection) -> None:
    """Send numpy arrays as binary ``vector`` parameters on ``conn``."""
    oid = conn.execute("SELECT oid FROM pg_type WHERE typname = 'vector'").fetchone()[0]
    dumper = type("VecDumper", (VectorBinaryDumper,), {"oid": oid})
    conn.adapters.register_dumper(np.ndarray, dumper)


def copy_payload(n0: int, vecs: np.ndarray, cats: np.ndarray) -> bytes:
    """Binary COPY data for rows (id, n, category, embedding), built with numpy (no per-row Python)."""
    n, d = vecs.shape
    dt = np.dtype([("nf", ">i2"), ("l0", ">i4"), ("id", ">u8", (2,)), ("l1", ">i4"), ("n", ">i4"), ("l2", ">i4"),
                   ("cat", ">i4"), ("l3", ">i4"), ("dim", ">i2"), ("u", ">i2"), ("v", ">f4", (d,))])
    a = np.zeros(n, dt)
    rows = np.arange(n0, n0 + n, dtype=np.int64)
    a["nf"], a["l0"], a["l1"], a["l2"], a["l3"] = 4, 16, 4, 4, 4 + 4 * d
    a["id"][:, 1] = rows + 1  # UUID(int=n+1): high 64 bits 0
    a["n"], a["cat"], a["dim"], a["v"] = rows, cats, d, vecs
    return COPY_SIG + a.tobytes() + b"\xff\xff"


def vtext(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6g}" for x in v) + "]"


def load_phase(data_dir: str, base: np.ndarray, cat: np.ndarray, chunk: int, m: int, efc: int) -> dict[str, Any]:
    """Phase 1: COPY, samples of text COPY / INSERT, CREATE INDEX and the background build; server stopped."""
    out: dict[str, Any] = {}
    n, d = base.shape
    srv = Server(data_dir)
    try:
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            c.execute(f"CREATE TABLE vb (n int, category int, embedding vector({d}))")
            t = time.perf_counter()
            with c.cursor() as cur:
                for s0 in range(0, n, chunk):
                    e = min(n, s0 + chunk)
                    with cur.copy("COPY vb (id, n, category, embedding) FROM STDIN WITH (FORMAT binary)") as cp:
                        cp.write(copy_payload(s0, base[s0:e], cat[s0:e]))
                    print(f"  copied {e:,} rows, {e / (time.perf_counter() - t):,.0f} rows/s", file=sys.stderr)
            out["copy_s"] = time.perf_counter() - t
            out["copy_rows_s"] = n / out["copy_s"]
            out["copy_chunk"] = chunk
            sample = base[: min(n, 10_000)]
            c.execute(f"CREATE TABLE vscratch (n int, embedding vector({d}))")
            lines = "".join(f"{i}\t{vtext(v)}\n" for i, v in enumerate(sample))
            t = time.perf_counter()
            with c.cursor() as cur, cur.copy("COPY vscratch (n, embedding) FROM STDIN") as cp:
                cp.write(lines)
            out["text_copy_rows_s"] = len(sample) / (time.perf_counter() - t)
            stmts = [",".join(f"({i},'{vtext(sample[i])}')" for i in range(s0, s0 + 500)) for s0 in range(0, 2000, 500)]
            t = time.perf_counter()
            for s in stmts:
                c.execute("INSERT INTO vscratch (n, embedding) VALUES " + s)
            out["insert_rows_s"] = 2000 / (time.perf_counter() - t)
            c.execute("DROP TABLE vscratch")
            t = time.perf_counter()
            c.execute(f"CREATE INDEX ON vb USING hnsw (embedding vector_cosine_ops) WITH (m = {m}, "
                      f"ef_construction = {efc})")
            out["create_index_stmt_s"] = time.perf_counter() - t
            last = 0.0
            while True:
                r = c.execute("SELECT pending, indexed FROM rem_vector_indexes WHERE table_name = 'vb'").fetchone()
                if r is not None and r[0] == 0:
                    break
                if time.perf_counter() - last > 60 and r is not None:
                    last = time.perf_counter()
                    print(f"  index build: {r[1]:,} in the graph, {r[0]:,} pending, {last - t:.0f} s",
                          file=sys.stderr)
                time.sleep(0.5)
            out["index_build_s"] = time.perf_counter() - t
    finally:
        out["stop_save_s"] = srv.stop()
    return out


def index_folder(data_dir: str, table: str = "vb", column: str = "embedding") -> Path:
    found = sorted((Path(data_dir) / "vectors").glob(f"{table}.{column}-*"))
    if not found:
        raise SystemExit(f"no saved vector index under {data_dir}/vectors")
    return found[0]


def query_phase(data_dir: str, ds: dict[str, Any], n: int, efs: list[int], nq: int, nf: int, nfw: int,
                filtered: bool = True) -> dict[str, Any]:
    """Phase 2: restart, then latency/recall over the wire next to raw FAISS on the same saved graph."""
    from engine.vector import persist

    base = np.ascontiguousarray(ds["base"][:n])
    queries = np.ascontiguousarray(ds["queries"][:nq])
    cat = ds["category"][:n]
    gt = ds["gt"][:nq] if n == ds["base"].shape[0] else datasets.exact_topk(base, queries)
    out: dict[str, Any] = {"rows": []}
    t = time.perf_counter()
    idx = persist.load(index_folder(data_dir))
    assert idx is not None and idx.indexed == n, "the saved index does not hold every row in its graph"
    out["client_index_load_s"] = time.perf_counter() - t
    raw = idx._hnsw  # the very graph REM saved: IndexIDMap2(IndexHNSWFlat), labels → idx._uuids
    lab2n = np.frombuffer(idx._uuids[: idx.total].tobytes(), ">u8").reshape(-1, 2)[:, 1].astype(np.int64) - 1
    faiss.omp_set_num_threads(1)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    srv = Server(data_dir)
    out["restart_s"] = srv.start_s
    try:
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            use_binary_vectors(c)
            t = time.perf_counter()
            c.execute("SELECT n FROM vb ORDER BY embedding <=> %b LIMIT 10", (queries[0],), prepare=True).fetchall()
            out["first_query_s"] = time.perf_counter() - t
            wire_sql = "SELECT n FROM vb ORDER BY embedding <=> %b LIMIT 10"
            warm = ds["queries"][-WARMUP:]  # not among the measured queries: pages in the graph on both sides
            for q in warm:
                c.execute(wire_sql, (q,), prepare=True).fetchall()
                raw.search((q / np.linalg.norm(q)).reshape(1, -1).astype(np.float32), K)
            cpu0 = srv.cpu_s()
            for _ in range(len(queries)):
                c.execute("SELECT 1", prepare=True).fetchall()
            one_cpu_ms = (srv.cpu_s() - cpu0) * 1000 / len(queries)
            out["server_cpu_select1_ms"] = one_cpu_ms
            for ef in efs:
                c.execute(f"SET hnsw.ef_search = {ef}")
                cpu0 = srv.cpu_s()
                prm = faiss.SearchParametersHNSW(efSearch=ef)
                res: dict[str, tuple[list[Any], list[float], list[int]]] = {
                    k: ([], [], []) for k in ("one", "wire", "text", "raw")}
                def timed(key: str, fn: Any, res: dict[str, Any] = res) -> None:
                    t0 = time.perf_counter()
                    ids = fn()
                    res[key][1].append((time.perf_counter() - t0) * 1000)
                    res[key][0].append(ids)
                    res[key][2].append(len(ids))

                # Blocks of BLOCK queries, the raw-FAISS pass and the wire pass over each block in turns (which
                # goes first alternates): a query's second search would find the graph nodes it visits still
                # in the CPU caches, BLOCK - 1 other queries in between evict them, so both sides search cold.
                for b0 in range(0, len(queries), BLOCK):
                    block = list(zip(queries[b0:b0 + BLOCK], qn[b0:b0 + BLOCK], strict=True))

                    def raw_pass(block: list[Any] = block, prm: Any = prm) -> None:
                        for _, qq in block:
                            timed("raw", lambda qq=qq: lab2n[raw.search(qq.reshape(1, -1).astype(np.float32), K,
                                                                       params=prm)[1][0]].tolist())

                    def wire_pass(block: list[Any] = block, ef: int = ef) -> None:
                        for q, _ in block:
                            timed("one", lambda: c.execute("SELECT 1", prepare=True).fetchall() and [])
                            timed("wire", lambda q=q: [r[0] for r in c.execute(wire_sql, (q,), prepare=True)])
                            if ef == 40:
                                timed("text", lambda q=q: [r[0] for r in c.execute(
                                    "SELECT n FROM vb ORDER BY embedding <=> %s::vector LIMIT 10", (vtext(q),),
                                    prepare=True)])

                    for fn in ((raw_pass, wire_pass) if (b0 // BLOCK) % 2 else (wire_pass, raw_pass)):
                        fn()
                cpu_ms = (srv.cpu_s() - cpu0) * 1000 / len(queries) - one_cpu_ms * (1 + (ef == 40))
                one = stats("SELECT 1 round trip", "prepared", None, None, res["one"][1])
                w = stats("REM over the wire", f"ef_search {ef}, binary vector", res["wire"][0], gt, res["wire"][1],
                          res["wire"][2])
                r = stats("raw FAISS (same graph)", f"efSearch {ef}", res["raw"][0], gt, res["raw"][1], res["raw"][2])
                w["overhead_ms"] = w["p50_ms"] - r["p50_ms"] - one["p50_ms"]
                w["server_cpu_ms"] = cpu_ms  # mean server CPU per vector query (its SELECT 1 taken off)
                out["rows"] += [w, r, one]
                if res["text"][1]:
                    tx = stats("REM over the wire", f"ef_search {ef}, text vector", res["text"][0], gt,
                               res["text"][1], res["text"][2])
                    tx["overhead_ms"] = tx["p50_ms"] - r["p50_ms"] - one["p50_ms"]
                    out["rows"].append(tx)
                print(f"  ef {ef}: wire p50 {w['p50_ms']:.3f} ms recall {w['recall']:.3f}; raw {r['p50_ms']:.3f} ms;"
                      f" SELECT 1 {one['p50_ms']:.3f} ms; server CPU {cpu_ms:.3f} ms/query (raw mean "
                      f"{r['mean_ms']:.3f})", file=sys.stderr)
            c.execute("RESET hnsw.ef_search")
            if not filtered:
                return out
            # exact: numpy over every row (in process)
            nx = min(nq, 50)
            lat, found = [], []
            bn = base / np.linalg.norm(base, axis=1, keepdims=True)
            for q in qn[:nx]:
                t0 = time.perf_counter()
                s = bn @ q.astype(np.float32)
                top = np.argpartition(-s, K)[:K]
                found.append(top[np.argsort(-s[top])].tolist())
                lat.append((time.perf_counter() - t0) * 1000)
            out["rows"].append(stats("exact (numpy, in process)", "all rows", found, gt[:nx], lat, [K] * nx))
            del bn
            # filtered: category 0 / 1 / 2 = 1 % / 10 % / 50 %, through a field index on category (the planner
            # then resolves the admitted ids from it, no row is read; without one the first query per value
            # scans the table)
            t = time.perf_counter()
            c.execute("CREATE INDEX IF NOT EXISTS vb_category_idx ON vb (category)")
            out["category_index_s"] = time.perf_counter() - t
            for value, label in ((0, "1 %"), (1, "10 %"), (2, "50 %")):
                fgt = datasets.filtered_gt({"base": base, "queries": queries[:nf], "category": cat}, value)
                members = np.nonzero(cat == value)[0]
                lat, found, counts = [], [], []
                for q in queries[:nfw]:
                    t0 = time.perf_counter()
                    ids = [r[0] for r in c.execute("SELECT n FROM vb WHERE category = %s ORDER BY embedding <=> %b "
                                                   "LIMIT 10", (value, q), prepare=True)]
                    lat.append((time.perf_counter() - t0) * 1000)
                    found.append(ids)
                    counts.append(len(ids))
                out["rows"].append(stats("REM over the wire filtered", f"{label} (WHERE category = {value}, "
                                         "indexed)", found, fgt[:nfw], lat, counts))
                out["rows"][-1]["first_ms"] = lat[0]  # resolves the allowed set; later ones reuse it
                t0 = time.perf_counter()
                aset = idx.allowed([uuid.UUID(int=int(i) + 1) for i in members])
                resolve_ms = (time.perf_counter() - t0) * 1000
                bm = np.zeros(idx.indexed, bool)
                bm[np.nonzero(np.isin(lab2n[: idx.indexed], members))[0]] = True
                packed = np.packbits(bm, bitorder="little")
                sel = faiss.IDSelectorBitmap(idx.indexed, faiss.swig_ptr(packed))
                prm = faiss.SearchParametersHNSW(sel=sel, efSearch=128)
                rl, rf, rc, sl, sf, sc = [], [], [], [], [], []
                for q, qq in zip(queries[:nf], qn[:nf], strict=True):
                    t0 = time.perf_counter()
                    hits = idx.search(q, K, allowed=aset)
                    rl.append((time.perf_counter() - t0) * 1000)
                    rf.append([h[0].int - 1 for h in hits])
                    rc.append(len(hits))
                    t0 = time.perf_counter()
                    ii = raw.search(qq.reshape(1, -1).astype(np.float32), K, params=prm)[1][0]
                    sl.append((time.perf_counter() - t0) * 1000)
                    ii = ii[ii >= 0]
                    sf.append(lab2n[ii].tolist())
                    sc.append(len(ii))
                r = stats("REM index filtered (in process)", f"{label} allowed", rf, fgt, rl, rc)
                r["resolve_ms"] = resolve_ms
                out["rows"].append(r)
                out["rows"].append(stats("raw FAISS + IDSelector", f"{label} allowed, efSearch 128", sf, fgt, sl, sc))
                print(f"  filtered {label}: wire p50 {out['rows'][-3]['p50_ms']:.1f} ms (first "
                      f"{out['rows'][-3]['first_ms']:.0f} ms), in process "
                      f"{r['p50_ms']:.2f} ms recall {r['recall']:.3f}", file=sys.stderr)
    finally:
        srv.stop()
    return out


def table_text(res: dict[str, Any]) -> str:
    """Markdown for docs/benchmarks.md."""
    ld = res.get("load", {})
    lines = [f"**Over the wire, {res['dataset']}** ({res['n']:,} rows × {res['dim']}, {res['queries']} queries, "
             f"psycopg, one client, prepared, M={res['m']}, ef_construction={res['ef_construction']})", ""]
    if ld:
        lines.append(f"Bulk load: binary COPY {ld['copy_rows_s']:,.0f} rows/s ({ld['copy_s']:.1f} s in "
                     f"{ld['copy_chunk']:,}-row COPY statements); text COPY {ld['text_copy_rows_s']:,.0f} rows/s, "
                     f"500-row INSERTs of text vectors {ld['insert_rows_s']:,.0f} rows/s (10k / 2k-row samples). "
                     f"`CREATE INDEX … USING hnsw` + background build {ld['index_build_s']:.1f} s (the statement itself, "
                     f"which scans the rows, {ld.get('create_index_stmt_s', float('nan')):.1f} s); "
                     f"stop (saves the index) {ld['stop_save_s']:.1f} s.")
    q = res["query"]
    if "category_index_s" in q:
        lines.append(f"`CREATE INDEX IF NOT EXISTS vb_category_idx ON vb (category)`: {q['category_index_s']:.1f} s "
                     "(0 when kept from an earlier run).")
    lines.append(f"Restart with the saved index: {q['restart_s']:.1f} s to listening; first query "
                 f"{q['first_query_s'] * 1000:.0f} ms. Load average at the end {res.get('load_average', [0])[0]:.1f}. "
                 f"Server CPU per prepared `SELECT 1`: {q.get('server_cpu_select1_ms', float('nan')):.3f} ms.")
    lines += ["", "| system | setting | recall@10 | p50 ms | p99 ms | QPS | fewest rows | REM − raw − RTT (p50) | "
              "server CPU / query |", "|---|---|---|---|---|---|---|---|---|"]
    for r in q["rows"]:
        rec = f"{r['recall']:.3f}" if "recall" in r else ""
        ov = f"{r['overhead_ms']:+.3f} ms" if "overhead_ms" in r else ""
        mr = r.get("min_rows", "")
        cpu = f"{r['server_cpu_ms']:.3f} ms" if "server_cpu_ms" in r else ""
        lines.append(f"| {r['system']} | {r['setting']} | {rec} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                     f"{r['qps']:,.0f} | {mr} | {ov} | {cpu} |")
    lines.append("")
    return "\n".join(lines)


def runs_table(runs: list[dict[str, Any]]) -> str:
    """Markdown: several runs of the unfiltered wire rows side by side (``a / b / c`` per cell)."""
    efs = sorted({int(r["setting"].split()[1].rstrip(",")) for run in runs for r in run["query"]["rows"]
                  if r["system"] == "REM over the wire" and "binary" in r["setting"]})
    dates = ", ".join(r.get("date", "?") for r in runs)
    loads = ", ".join(f"{r.get('load_average', [float('nan')])[0]:.1f}" for r in runs)
    lines = [f"{len(runs)} runs of the same queries ({dates}; load average at their ends {loads}): REM over the wire "
             "p50, raw FAISS p50 (the same graph, searched cold in its own 25-query blocks), `SELECT 1` p50, "
             "REM − raw − RTT, and the server's mean CPU per vector query (all its threads):", "",
             "| ef_search | recall@10 | REM p50 ms | raw FAISS p50 ms | SELECT 1 p50 ms | REM − raw − RTT ms | "
             "server CPU ms/query |", "|---|---|---|---|---|---|---|"]
    for ef in efs:
        cells: dict[str, list[str]] = {k: [] for k in ("rem", "raw", "one", "ov", "cpu")}
        rec = float("nan")
        for run in runs:
            rows = run["query"]["rows"]
            w = next((x for x in rows if x["system"] == "REM over the wire"
                      and x["setting"] == f"ef_search {ef}, binary vector"), None)
            raw = next((x for x in rows if x["system"].startswith("raw FAISS (same")
                        and x["setting"] == f"efSearch {ef}"), None)
            if w is None or raw is None:
                continue
            one = rows[rows.index(raw) + 1]
            rec = w["recall"]
            cells["rem"].append(f"{w['p50_ms']:.3f}")
            cells["raw"].append(f"{raw['p50_ms']:.3f}")
            cells["one"].append(f"{one['p50_ms']:.3f}")
            cells["ov"].append(f"{w['overhead_ms']:.2f}")
            cells["cpu"].append(f"{w['server_cpu_ms']:.2f}" if "server_cpu_ms" in w else "")
        lines.append(f"| {ef} | {rec:.3f} | " + " | ".join(" / ".join(cells[k]) for k in cells) + " |")
    lines.append("")
    return "\n".join(lines)


def run(name: str, n: int | None, efs: list[int], nq: int, nf: int, nfw: int, m: int, efc: int, chunk: int,
        cache: str, keep: str | None = None, reuse: str | None = None, filtered: bool = True) -> dict[str, Any]:
    ds = datasets.load(name, cache)
    n = n or ds["base"].shape[0]
    res: dict[str, Any] = {"dataset": name, "n": n, "dim": int(ds["base"].shape[1]), "queries": nq, "m": m,
                           "ef_construction": efc}
    base_dir = reuse or keep or tempfile.mkdtemp(prefix="rem-vwire-")
    data_dir = os.path.join(base_dir, "data")
    try:
        if reuse is None:
            res["load"] = load_phase(data_dir, np.ascontiguousarray(ds["base"][:n]), ds["category"][:n], chunk, m,
                                     efc)
            print(f"[{name}] load: {json.dumps(res['load'])}", file=sys.stderr)
        else:
            prev = RESULTS / f"vector_wire_{name}.json"
            if prev.exists():
                res["load"] = json.loads(prev.read_text()).get("load", {})
        res["query"] = query_phase(data_dir, ds, n, efs, nq, nf, nfw, filtered)
    finally:
        if keep is None and reuse is None:
            shutil.rmtree(base_dir, ignore_errors=True)
    res["load_average"] = os.getloadavg()
    res["date"] = time.strftime("%Y-%m-%d %H:%M")
    return res


def cli(argv: list[str] | None = None) -> int:
    """Command line (not ``main``: benchmarks/run.py runs it through benchmarks/vector.py)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="clustered-100k", choices=datasets.DATASETS)
    ap.add_argument("--n", type=int, default=0, help="rows (default: the whole dataset)")
    ap.add_argument("--ef", default="16,40,100,200")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--filtered-queries", type=int, default=200, help="in-process filtered queries")
    ap.add_argument("--wire-filtered-queries", type=int, default=200)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=50_000, help="rows per COPY statement")
    ap.add_argument("--cache", default=datasets.CACHE)
    ap.add_argument("--keep", help="keep the data dir under this path (to --reuse it)")
    ap.add_argument("--reuse", help="skip phase 1: query a data dir kept by --keep")
    ap.add_argument("--no-filtered", action="store_true", help="only the unfiltered wire / raw-FAISS rows")
    ap.add_argument("--out", help="results file (default benchmarks/results/vector_wire_<dataset>.json)")
    a = ap.parse_args(argv)
    res = run(a.dataset, a.n or None, [int(x) for x in a.ef.split(",") if x], a.queries, a.filtered_queries,
              a.wire_filtered_queries, a.m, a.ef_construction, a.chunk, a.cache, a.keep, a.reuse,
              not a.no_filtered)
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(a.out or RESULTS / f"vector_wire_{a.dataset}.json").write_text(json.dumps(res, indent=1))
    print(table_text(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
