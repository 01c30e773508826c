"""Saving and loading a :class:`VectorIndex` as crash-safe generations of files in one folder.

A save writes ``g<N>.faiss`` (the HNSW graph, ``faiss.write_index``), ``g<N>.uuids.npy``, ``g<N>.alive.npy``,
``g<N>.tail.npy`` (vectors not yet in the graph) and ``g<N>.json`` (dim, metric, params, counts and the storage
sequence the files cover), fsyncs them, then atomically replaces ``CURRENT`` (which names ``g<N>``) and removes
older generations. A crash at any point leaves the previous generation intact; changes after the saved
sequence are replayed from RocksDB on start by the service.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import faiss
import numpy as np

from engine.vector.index import VectorIndex

FORMAT = 1


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation(folder: Path) -> str | None:
    """The generation named by ``CURRENT`` (None when nothing was saved)."""
    try:
        name = (folder / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name if re.fullmatch(r"g\d+", name) else None


def save(idx: VectorIndex, folder: Path) -> dict:
    """Write a new generation of ``idx`` into ``folder``; returns its metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    cur = current_generation(folder)
    gen = f"g{(int(cur[1:]) + 1) if cur else 1:06d}"
    snap = idx.snapshot()
    meta = {k: snap[k] for k in ("hnsw_n", "n", "seq", "dim", "metric", "params")}
    meta["format"] = FORMAT
    meta["has_graph"] = snap["graph"] is not None
    files = []
    if snap["graph"] is not None:
        p = folder / f"{gen}.faiss"
        snap["graph"].tofile(p)
        files.append(p)
    for part in ("uuids", "alive", "tail"):
        p = folder / f"{gen}.{part}.npy"
        np.save(p, snap[part])
        files.append(p)
    p = folder / f"{gen}.json"
    p.write_text(json.dumps(meta))
    files.append(p)
    for f in files:
        _fsync_file(f)
    tmp = folder / f"CURRENT.{os.getpid()}.tmp"
    tmp.write_text(gen + "\n")
    _fsync_file(tmp)
    os.replace(tmp, folder / "CURRENT")
    _fsync_dir(folder)
    for f in folder.iterdir():  # older generations and leftovers of interrupted saves
        if f.name != "CURRENT" and not f.name.startswith(gen + "."):
            f.unlink(missing_ok=True)
    return meta


def load(folder: Path) -> VectorIndex | None:
    """The index saved in ``folder`` (None when there is none)."""
    gen = current_generation(folder)
    if gen is None:
        return None
    meta = json.loads((folder / f"{gen}.json").read_text())
    graph = None
    if meta.get("has_graph"):
        graph = faiss.read_index(str(folder / f"{gen}.faiss"))
    uuids = np.load(folder / f"{gen}.uuids.npy")
    alive = np.load(folder / f"{gen}.alive.npy")
    tail = np.load(folder / f"{gen}.tail.npy")
    return VectorIndex.restore(meta, graph, uuids, alive, tail)
