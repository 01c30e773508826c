"""Open the RocksDB database of a data dir through rocksdict: column families, per-CF options, handles.

Every column family gets its own configured ``Options`` (rocksdict does not inherit DB-level options,
stack-feasibility §2.4). :meth:`Rocks.close` drops every handle so the LOCK is released (§2.5).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from rocksdict import (
    BlockBasedOptions,
    Cache,
    DBCompressionType,
    Options,
    Rdict,
    WriteBatch,
    WriteOptions,
)

from engine.errors import IOError_, LockNotAvailable
from engine.settings import Settings

CF_NAMES: tuple[str, ...] = (
    "entities", "key_index", "indexes", "edges", "edges_reverse", "embeddings", "schemas", "wal", "meta",
)
# column families a statement reads together (one snapshot each, taken under the commit lock)
READ_CFS: tuple[str, ...] = ("entities", "key_index", "indexes", "edges", "edges_reverse", "embeddings", "meta")


def _compression(name: str) -> DBCompressionType:
    return {
        "lz4": DBCompressionType.lz4, "zstd": DBCompressionType.zstd, "snappy": DBCompressionType.snappy,
        "none": DBCompressionType.none, "zlib": DBCompressionType.zlib, "lz4hc": DBCompressionType.lz4hc,
    }.get(name.lower(), DBCompressionType.lz4)()


def _cf_options(settings: Settings, cache: Cache, cf: str) -> Options:
    """Options of one column family (compression, memtable, bloom filters, block cache)."""
    o = Options(raw_mode=True)
    o.create_if_missing(True)
    o.create_missing_column_families(True)
    t = BlockBasedOptions()
    t.set_block_cache(cache)
    t.set_cache_index_and_filter_blocks(True)
    if cf in ("entities", "key_index", "embeddings", "meta", "schemas"):
        t.set_bloom_filter(10, False)  # point gets by full key
    o.set_block_based_table_factory(t)
    big = cf in ("entities", "indexes", "key_index", "embeddings", "edges", "edges_reverse")
    o.set_write_buffer_size(settings.rocksdb_write_buffer_size if big else 4 << 20)
    if cf == "embeddings":
        o.set_compression_type(DBCompressionType.none())  # float32 vectors do not compress
    else:
        o.set_compression_type(_compression(settings.rocksdb_compression))
        if cf in ("entities", "wal"):
            o.set_bottommost_compression_type(DBCompressionType.zstd())
    o.set_level_compaction_dynamic_level_bytes(True)
    return o


class Rocks:
    """The open database: ``db``, one read handle and one batch handle per column family."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise IOError_(f'could not create data directory "{self.path}": {e.strerror or e}') from None
        self._cache = Cache(max(64 << 20, settings.rocksdb_write_buffer_size * 2))
        opts = _cf_options(settings, self._cache, "default")
        opts.set_max_background_jobs(max(1, settings.rocksdb_max_background_jobs))
        opts.increase_parallelism(max(1, settings.rocksdb_max_background_jobs))
        opts.set_keep_log_file_num(3)
        cfs = {name: _cf_options(settings, self._cache, name) for name in CF_NAMES}
        try:
            self.db: Any = Rdict(str(self.path), opts, column_families=cfs)
        except Exception as e:  # rocksdict raises a plain Exception
            msg = str(e)
            if "lock" in msg.lower():
                raise LockNotAvailable(
                    f'data directory "{self.path}" is locked by another REM process',
                    detail=msg, hint="Stop the other server (or use a different P8_DB_PATH).",
                ) from None
            raise IOError_(f'could not open data directory "{self.path}": {msg}') from None
        self.cf: dict[str, Any] = {n: self.db.get_column_family(n) for n in CF_NAMES}
        self.h: dict[str, Any] = {n: self.db.get_column_family_handle(n) for n in CF_NAMES}
        self.wo = WriteOptions()  # WAL on, no sync: survives a process kill
        self.wo_sync = WriteOptions()
        self.wo_sync.sync = True

    def batch(self) -> WriteBatch:
        return WriteBatch(raw_mode=True)

    def write(self, wb: WriteBatch, sync: bool = False) -> None:
        self.db.write(wb, self.wo_sync if sync else self.wo)

    def flush_wal(self) -> None:
        """fsync the WAL (everything written so far becomes durable against power loss)."""
        self.db.flush_wal(True)

    def statement_view(self, names: tuple[str, ...] = READ_CFS) -> dict[str, tuple[Any, Any]]:
        """Per column family an (iterator, snapshot) pair; callers hold the commit lock so all are one point.

        rocksdict's Snapshot honours point gets only: its items()/iter() read the LATEST data (measured,
        docs/storage.md). A RocksDB iterator pins the state at its creation, so range reads use iterators."""
        return {n: (self.cf[n].iter(), self.cf[n].snapshot()) for n in names}

    def close(self) -> None:
        """Close and drop every handle (so the LOCK file is released)."""
        db = getattr(self, "db", None)
        if db is None:
            return
        self.cf.clear()
        self.h.clear()
        try:
            db.close()
        finally:
            self.db = None
            del db
            gc.collect()
