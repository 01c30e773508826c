#!/usr/bin/env python3
# ruff: noqa  -- verbatim copy of ../shared/bench/graph_data.py (CI cannot reach that path); keep in sync
"""Graph datasets for REM traversal benchmarks. Writes nodes.tsv (id, name, kind) and edges.tsv (src, dst, rel)
under /tmp/bench-data/graph-<name>/ and prints counts + sha256 of the edge file.

debian     Debian bookworm main amd64 dependency graph from the local apt lists
           (/var/lib/apt/lists/*bookworm_main_binary-amd64_Packages[.lz4|.xz|.gz|]; run `apt-get update` first).
           nodes = every `Package:` name (kind 'package') plus every Depends target that is not a package
           (virtual packages, kind 'virtual'); ids = position in the sorted name list.
           edges = `Depends:` only (not Pre-Depends/Recommends); each alternative of `a | b` is its own edge;
           version constraints `(...)` and arch qualifiers `:any` are stripped; rel = 'depends';
           duplicates (src,dst) removed; self-loops kept out. If a package appears in several stanzas
           (several versions), the union of its Depends is used.
powerlaw   Directed Chung-Lu power-law graph, default 100,000 nodes / 1,000,000 edges (--sizes N:E, e.g. 100k:1m).
           rng = numpy.random.default_rng(2026); w_i = (i+1)^-0.8, p = w / sum(w);
           out_perm = rng.permutation(N); in_perm = rng.permutation(N);
           repeat: src = out_perm[rng.choice(N, 1_200_000, p=p)], dst = in_perm[rng.choice(N, 1_200_000, p=p)];
                   drop src == dst, append, drop duplicate (src,dst) keeping first occurrence
           until >= E edges; keep the first E in draw order. names 'n<id>', kind 'node', rel 'links'.
"""
import argparse
import glob
import gzip
import hashlib
import lzma
import os
import re
import subprocess
import sys

import numpy as np

OUT = "/tmp/bench-data"


def _read_packages():
    pats = glob.glob("/var/lib/apt/lists/*bookworm_main_binary-amd64_Packages*")
    if not pats:
        raise SystemExit("no bookworm main amd64 Packages list; run apt-get update")
    p = sorted(pats)[0]
    if p.endswith(".lz4"):
        data = subprocess.run(["lz4", "-dc", p], check=True, capture_output=True).stdout
    elif p.endswith(".xz"):
        data = lzma.open(p).read()
    elif p.endswith(".gz"):
        data = gzip.open(p).read()
    else:
        data = open(p, "rb").read()
    return p, data.decode("utf-8", "replace")


def debian():
    path, text = _read_packages()
    deps = {}
    for stanza in text.split("\n\n"):
        pkg, dep = None, None
        for line in stanza.split("\n"):
            if line.startswith("Package: "):
                pkg = line[9:].strip()
            elif line.startswith("Depends: "):
                dep = line[9:]
        if not pkg:
            continue
        s = deps.setdefault(pkg, set())
        if dep:
            for clause in dep.split(","):
                for alt in clause.split("|"):
                    name = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alt).strip().split(":")[0].strip()
                    if name and name != pkg:
                        s.add(name)
    names = set(deps)
    virtual = set().union(*deps.values()) - names
    allnames = sorted(names | virtual)
    nid = {n: i for i, n in enumerate(allnames)}
    nodes = [(nid[n], n, "package" if n in names else "virtual") for n in allnames]
    edges = sorted((nid[p], nid[d], "depends") for p, ds in deps.items() for d in ds)
    return nodes, edges, {"source": path}


def parse_size(s):
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def powerlaw(n=100_000, e=1_000_000, alpha=0.8, seed=2026, batch=1_200_000):
    rng = np.random.default_rng(seed)
    w = (np.arange(n, dtype=np.float64) + 1) ** -alpha
    p = w / w.sum()
    out_perm = rng.permutation(n)
    in_perm = rng.permutation(n)
    keys = np.empty(0, np.int64)
    while keys.size < e:
        src = out_perm[rng.choice(n, batch, p=p)]
        dst = in_perm[rng.choice(n, batch, p=p)]
        k = src.astype(np.int64) * n + dst
        k = k[src != dst]
        keys = np.concatenate([keys, k])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
    keys = keys[:e]
    nodes = [(i, f"n{i}", "node") for i in range(n)]
    edges = list(zip((keys // n).tolist(), (keys % n).tolist(), ["links"] * e))
    return nodes, edges, {"alpha": alpha, "seed": seed}


def write(name, nodes, edges, meta):
    d = os.path.join(OUT, "graph-" + name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "nodes.tsv"), "w") as f:
        f.writelines(f"{i}\t{n}\t{k}\n" for i, n, k in nodes)
    h = hashlib.sha256()
    with open(os.path.join(d, "edges.tsv"), "w") as f:
        for s, t, r in edges:
            line = f"{s}\t{t}\t{r}\n"
            f.write(line)
            h.update(line.encode())
    outdeg = np.bincount(np.array([s for s, _, _ in edges]), minlength=len(nodes))
    info = dict(meta, name=name, nodes=len(nodes), edges=len(edges), edges_sha256=h.hexdigest()[:16],
                max_out_degree=int(outdeg.max()), zero_out_degree=int((outdeg == 0).sum()),
                kinds={k: sum(1 for x in nodes if x[2] == k) for k in sorted({x[2] for x in nodes})})
    print(info)
    return d, info


def get(name, sizes="100k:1m", force=False):
    """Return (dir, info); generates if missing."""
    tag = name if name == "debian" else f"powerlaw-{sizes.replace(':', '-')}"
    d = os.path.join(OUT, "graph-" + tag)
    if not force and os.path.exists(os.path.join(d, "edges.tsv")):
        return d, None
    if name == "debian":
        nodes, edges, meta = debian()
    else:
        n, e = (parse_size(x) for x in sizes.split(":"))
        nodes, edges, meta = powerlaw(n, e)
    return write(tag, nodes, edges, meta)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", choices=["debian", "powerlaw"])
    ap.add_argument("--sizes", default="100k:1m", help="powerlaw nodes:edges")
    a = ap.parse_args()
    for name in a.dataset or ["debian", "powerlaw"]:
        get(name, a.sizes, force=True)
