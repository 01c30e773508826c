"""The schema registry: TableDefs persisted, versioned, in the ``schemas`` column family, with stable OIDs.

Keys in ``schemas``: ``T`` + oid (4 bytes) → current TableDef (JSON); ``V`` + oid + version (4 bytes) → every
version ever stored. ``meta`` holds the OID counter (``next_oid``, from :data:`engine.types.FIRST_USER_OID`) and
sequences (``seq:<name>``). Tables, indexes, constraints and row types each get an OID. Every write goes
through the store's single writer (:mod:`engine.write`).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import threading
from typing import TYPE_CHECKING, Any

import orjson

from engine import errors as E
from engine import types as T
from engine.schema import journal, typemap
from engine.schema.model import ColumnDef, ConstraintDef, IndexDef, TableDef
from engine.schema.sequences import SequenceDef
from engine.storage.keys import TABLE
from engine.write import count_key

if TYPE_CHECKING:
    from engine.storage.store import RemStore

# REM's model-level json_schema_extra keys
REM_KEYS = ("embedding_fields", "indexed_fields", "key_field", "fully_qualified_name", "short_name", "version",
            "description", "embedding_provider", "embedding_model", "embedding_dim", "name", "table_name",
            "primary_key", "unique")
SYSTEM_ROLES = ("id", "entity_type", "created_at", "modified_at", "deleted_at", "edges")
_NEXTVAL = re.compile(r"nextval\('([^']+)'")
DEFAULT_EMBEDDING_DIM = 384
SEQ_LOG_AHEAD = 32  # values logged ahead of the one handed out, as PostgreSQL's SEQ_LOG_VALS (log_cnt 32 after it)


def table_to_json(t: TableDef) -> bytes:
    return orjson.dumps(dataclasses.asdict(t), default=str)


def table_from_json(data: bytes) -> TableDef:
    d = orjson.loads(data)
    d["columns"] = [ColumnDef(**c) for c in d["columns"]]
    d["indexes"] = [IndexDef(**i) for i in d["indexes"]]
    d["constraints"] = [ConstraintDef(**c) for c in d["constraints"]]
    return TableDef(**d)


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^a-zA-Z0-9_]+", "_", s).strip("_").lower() or "t"


def key_column(t: TableDef) -> str | None:
    """The column whose values identify rows (single-column primary key, else uri/key_field/key/name)."""
    if len(t.primary_key) == 1:
        return t.primary_key[0]
    if t.primary_key:
        return None
    for f in ("uri", t.key_field, "key", "name"):
        if f and t.column(f) is not None and not t.column(f).system:  # type: ignore[union-attr]
            return f
    return None


class SchemaRegistry:
    """Implements :class:`engine.store.Registry` over the store's ``schemas`` and ``meta`` column families."""

    def __init__(self, store: RemStore) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._by_oid: dict[int, TableDef] = {}
        self._by_name: dict[tuple[str, str], int] = {}
        self._seq_last: dict[str, int] = {}  # last value handed out, per sequence
        self._seq_logged: dict[str, int] = {}  # value stored in meta (>= last)
        self._seqdefs: dict[str, SequenceDef] = {}  # by value key (name, or schema.name outside public)
        self._seq_uncalled: dict[str, int] = {}  # setval(…, false) / RESTART: the last value it stored (meta seqnc:)
        self._schemas: dict[str, int] = {}
        self._views: dict[tuple[str, str], TableDef] = {}
        self._enums: dict[tuple[str, str], dict[str, Any]] = {}  # (schema, name) → {oid, array_oid, labels}
        self.generation = 0  # bumped on every change (caches keyed on registry state)
        cf = store.rocks.cf["schemas"]
        for k, v in cf.items(from_key=b"T"):
            if not k.startswith(b"T"):
                break
            t = table_from_json(v)
            self._by_oid[t.oid] = t
            self._by_name[(t.schema, t.name)] = t.oid
        meta = store.rocks.cf["meta"]
        for prefix, load in ((b"seqdef:", self._load_seqdef), (b"nsp:", self._load_schema),
                             (b"view:", self._load_view), (b"enum:", self._load_enum),
                             (b"seqnc:", self._load_uncalled)):
            for k, v in meta.items(from_key=prefix):
                if not k.startswith(prefix):
                    break
                load(k[len(prefix):].decode(), v)

    def _load_seqdef(self, key: str, v: bytes) -> None:
        self._seqdefs[key] = SequenceDef.from_json(orjson.loads(v))

    def _load_uncalled(self, key: str, v: bytes) -> None:
        self._seq_uncalled[key] = int.from_bytes(v, "big", signed=True)

    def _load_schema(self, name: str, v: bytes) -> None:
        self._schemas[name] = int.from_bytes(v, "big")

    def _load_enum(self, key: str, v: bytes) -> None:
        d = orjson.loads(v)
        self._enums[(d["schema"], d["name"])] = d

    # --- enum types (CREATE TYPE … AS ENUM)
    def get_enum(self, name: str, schema: str = "public") -> dict[str, Any] | None:
        return self._enums.get((schema, name))

    def enums(self) -> list[dict[str, Any]]:
        return sorted(self._enums.values(), key=lambda d: d["oid"])

    def create_enum(self, schema: str, name: str, labels: list[str]) -> dict[str, Any]:
        with self._lock:
            if (schema, name) in self._enums:
                raise E.DuplicateObject(f'type "{name}" already exists')
            d = {"schema": schema, "name": name, "labels": list(labels), "oid": self.allocate_oids(1),
                 "array_oid": self.allocate_oids(1)}
            self._store.writer.apply([("meta", f"enum:{schema}.{name}".encode(), orjson.dumps(d))])
            self._enums[(schema, name)] = d
            self.generation += 1
            journal.record(lambda: self.drop_enum(schema, name))
            return d

    def drop_enum(self, schema: str, name: str) -> None:
        with self._lock:
            d = self._enums.pop((schema, name), None)
            if d is None:
                return
            self._store.writer.apply([("meta", f"enum:{schema}.{name}".encode(), None)])
            self.generation += 1
            journal.record(lambda: self.create_enum(schema, name, d["labels"]))

    def _load_view(self, key: str, v: bytes) -> None:
        t = table_from_json(v)
        self._views[(t.schema, t.name)] = t

    # --- reads
    def get(self, name: str, schema: str = "public") -> TableDef | None:
        oid = self._by_name.get((schema, name))
        return self._by_oid.get(oid) if oid is not None else None

    def get_by_oid(self, oid: int) -> TableDef | None:
        return self._by_oid.get(oid)

    def tables(self) -> list[TableDef]:
        return sorted(self._by_oid.values(), key=lambda t: t.oid)

    def versions(self, oid: int) -> list[TableDef]:
        """Every stored version of table ``oid``, oldest first."""
        p = b"V" + TABLE.pack(oid)
        out = []
        for k, v in self._store.rocks.cf["schemas"].items(from_key=p):
            if not k.startswith(p):
                break
            out.append(table_from_json(v))
        return out

    # --- OIDs and sequences
    def allocate_oids(self, n: int = 1) -> int:
        """Reserve ``n`` consecutive OIDs; returns the first."""
        with self._lock:
            raw = self._store.rocks.cf["meta"].get(b"next_oid")
            first = int.from_bytes(raw, "big") if raw else T.FIRST_USER_OID
            self._store.writer.apply([("meta", b"next_oid", (first + n).to_bytes(8, "big"))])
            return first

    @staticmethod
    def seq_key(sequence: str) -> str:
        """The stored key of a sequence name (``public.x`` and ``x`` are the same sequence)."""
        s = sequence.replace('"', "")
        return s[len("public."):] if s.startswith("public.") else s

    def _seq_load(self, sequence: str) -> None:
        if sequence not in self._seq_last:
            raw = self._store.rocks.cf["meta"].get(b"seq:" + sequence.encode())
            d = self._seqdefs.get(sequence)
            v = int.from_bytes(raw, "big", signed=True) if raw else (d.initial_last if d else 0)
            self._seq_last[sequence] = self._seq_logged[sequence] = v

    def _seq_write(self, sequence: str, value: int) -> None:
        self._store.writer.apply([("meta", b"seq:" + sequence.encode(), value.to_bytes(16, "big", signed=True))])

    def sequence_def(self, sequence: str) -> SequenceDef | None:
        """The definition of a sequence (None for a legacy serial sequence: start 1, increment 1)."""
        return self._seqdefs.get(self.seq_key(sequence))

    def nextval(self, sequence: str) -> int:
        """Advance a sequence. Like PostgreSQL, 32 values are logged ahead (one write per 32 calls); after a crash
        the sequence resumes past the logged value (a gap, never a reused value)."""
        with self._lock:
            sequence = self.seq_key(sequence)
            d = self._seqdefs.get(sequence)
            self._seq_load(sequence)
            last = self._seq_last[sequence]
            v = d.advance(last) if d else last + 1
            inc = d.increment if d else 1
            logged = self._seq_logged[sequence]
            if (v > logged if inc > 0 else v < logged) or (d is not None and d.cycle and v != last + inc):
                ahead = v + inc * SEQ_LOG_AHEAD
                if d is not None:
                    assert d.minvalue is not None and d.maxvalue is not None
                    ahead = min(max(ahead, d.minvalue), d.maxvalue)
                self._seq_write(sequence, ahead)
                self._seq_logged[sequence] = ahead
            self._seq_last[sequence] = v
            return v

    def setval(self, sequence: str, value: int, is_called: bool = True) -> int:
        """Set a sequence's last value (the next nextval returns value + increment, or value when not called)."""
        with self._lock:
            sequence = self.seq_key(sequence)
            d = self._seqdefs.get(sequence)
            if d is not None:
                assert d.minvalue is not None and d.maxvalue is not None
                if not d.minvalue <= value <= d.maxvalue:
                    raise E.NumericValueOutOfRange(
                        f'setval: value {value} is out of bounds for sequence "{d.name}" ({d.minvalue}..{d.maxvalue})')
            last = int(value) if is_called else int(value) - (d.increment if d else 1)
            self._seq_write(sequence, last)
            self._set_uncalled(sequence, None if is_called else last)
            self._seq_last[sequence] = self._seq_logged[sequence] = last
            return value

    def _set_uncalled(self, sequence: str, last: int | None) -> None:
        if last is None and sequence not in self._seq_uncalled:
            return
        self._store.writer.apply([("meta", b"seqnc:" + sequence.encode(),
                                   None if last is None else last.to_bytes(16, "big", signed=True))])
        if last is None:
            self._seq_uncalled.pop(sequence, None)
        else:
            self._seq_uncalled[sequence] = last

    def is_called(self, sequence: str) -> bool:
        """PostgreSQL's ``is_called``: false after CREATE, ``setval(…, false)`` or RESTART until the next nextval."""
        with self._lock:
            sequence = self.seq_key(sequence)
            self._seq_load(sequence)
            last = self._seq_last[sequence]
            mark = self._seq_uncalled.get(sequence)
            if mark is not None:
                return last != mark
            d = self._seqdefs.get(sequence)
            return last != (d.initial_last if d is not None else 0)

    def sequence_state(self, sequence: str) -> tuple[int, int]:
        """(last value handed out, value logged in meta): ``logged - last`` values remain before the next write
        (PostgreSQL's ``log_cnt`` times the increment)."""
        with self._lock:
            sequence = self.seq_key(sequence)
            self._seq_load(sequence)
            return self._seq_last[sequence], self._seq_logged[sequence]

    def restore_sequence_state(self, sequence: str, last: int, logged: int) -> None:
        """Put back a state read by :meth:`sequence_state` (ALTER SEQUENCE … START keeps value and log_cnt)."""
        with self._lock:
            sequence = self.seq_key(sequence)
            self._seq_write(sequence, logged)
            self._seq_last[sequence], self._seq_logged[sequence] = last, logged

    def currval(self, sequence: str) -> int | None:
        """The sequence's last value (None when not :meth:`is_called`, as pg_sequences.last_value)."""
        with self._lock:
            sequence = self.seq_key(sequence)
            return self._seq_last[sequence] if self.is_called(sequence) else None

    def flush_sequences(self) -> None:
        """Store every sequence's exact last value (clean shutdown: no gap after a restart)."""
        with self._lock:
            ops: list[tuple[str, bytes, bytes | None]] = [
                ("meta", b"seq:" + n.encode(), v.to_bytes(16, "big", signed=True))
                for n, v in self._seq_last.items() if self._seq_logged.get(n) != v]
            if ops:
                self._store.writer.apply(ops)
            self._seq_logged.update(self._seq_last)

    # --- sequences as objects (CREATE SEQUENCE, serial/identity)
    def sequence_defs(self) -> list[SequenceDef]:
        return sorted(self._seqdefs.values(), key=lambda d: d.oid)

    def create_sequence(self, d: SequenceDef, *, replace: bool = False) -> SequenceDef:
        """Register a sequence (42P07 if the name is taken, unless ``replace``); it starts over at START."""
        with self._lock:
            if not replace and (d.key in self._seqdefs or self.get(d.name, d.schema) is not None
                                or self.get_view(d.name, d.schema) is not None):
                raise E.DuplicateTable(f'relation "{d.name}" already exists')
            old = self._seqdefs.get(d.key)
            if old is not None:
                journal.record(self._sequence_restorer(old))
            else:
                journal.record(lambda k=d.key: self.drop_sequence(k))
            d.oid = old.oid if old is not None and old.oid else self.allocate_oids(1)
            self._store.writer.apply([("meta", b"seqdef:" + d.key.encode(), orjson.dumps(d.to_json())),
                                      ("meta", b"seq:" + d.key.encode(),
                                       d.initial_last.to_bytes(16, "big", signed=True))])
            self._seqdefs[d.key] = d
            self._set_uncalled(d.key, None)
            self._seq_last[d.key] = self._seq_logged[d.key] = d.initial_last
            self.generation += 1
            return d

    def _sequence_restorer(self, d: SequenceDef) -> Any:
        """An undo action putting sequence ``d`` back with its current state (value, log count, is_called)."""
        last, logged = self.sequence_state(d.key)
        mark = self._seq_uncalled.get(d.key)
        saved = copy.deepcopy(d)

        def restore() -> None:
            self.create_sequence(copy.deepcopy(saved), replace=True)
            self.restore_sequence_state(saved.key, last, logged)
            self._set_uncalled(saved.key, mark)
        return restore

    def drop_sequence(self, key: str) -> None:
        with self._lock:
            key = self.seq_key(key)
            if key in self._seqdefs:
                journal.record(self._sequence_restorer(self._seqdefs[key]))
            self._store.writer.apply([("meta", b"seqdef:" + key.encode(), None),
                                      ("meta", b"seq:" + key.encode(), None)])
            self._set_uncalled(key, None)
            self._seqdefs.pop(key, None)
            self._seq_last.pop(key, None)
            self._seq_logged.pop(key, None)
            self.generation += 1

    # --- schemas (namespaces)
    def schemas(self) -> dict[str, int]:
        """User schemas (name → OID); ``public`` always exists."""
        return {"public": 2200, **self._schemas}

    def create_schema(self, name: str) -> int:
        with self._lock:
            if name in self.schemas() or name in ("pg_catalog", "information_schema", "pg_toast"):
                raise E.DuplicateSchema(f'schema "{name}" already exists')
            oid = self.allocate_oids(1)
            self._store.writer.apply([("meta", b"nsp:" + name.encode(), oid.to_bytes(8, "big"))])
            self._schemas[name] = oid
            journal.record(lambda: self.drop_schema(name))
            self.generation += 1
            return oid

    def drop_schema(self, name: str) -> None:
        with self._lock:
            if name in self._schemas:
                journal.record(lambda: self.create_schema(name))
            self._store.writer.apply([("meta", b"nsp:" + name.encode(), None)])
            self._schemas.pop(name, None)
            self.generation += 1

    # --- views (stored as SQL, expanded by the planner)
    def get_view(self, name: str, schema: str = "public") -> TableDef | None:
        return self._views.get((schema, name))

    def views(self) -> list[TableDef]:
        return sorted(self._views.values(), key=lambda t: t.oid)

    def put_view(self, view: TableDef) -> TableDef:
        """Create or replace a view (kind 'v', ``view_sql`` set, columns as the query yields them)."""
        with self._lock:
            old = self._views.get((view.schema, view.name))
            if old is None:
                journal.record(lambda: self.drop_view(view.name, view.schema))
            else:
                journal.record(lambda: self.put_view(copy.deepcopy(old)))
            if old is None:
                view.oid = self.allocate_oids(1)
                view.rowtype_oid = self.allocate_oids(1)
            else:
                view.oid, view.rowtype_oid = old.oid, old.rowtype_oid
            for i, c in enumerate(view.columns, 1):
                c.attnum = i
            view.kind = "v"
            self._store.writer.apply([("meta", b"view:" + f"{view.schema}.{view.name}".encode(),
                                       table_to_json(view))])
            self._views[(view.schema, view.name)] = view
            self.generation += 1
            return view

    def drop_view(self, name: str, schema: str = "public") -> None:
        with self._lock:
            old = self._views.get((schema, name))
            if old is not None:
                journal.record(lambda: self.put_view(copy.deepcopy(old)))
            self._store.writer.apply([("meta", b"view:" + f"{schema}.{name}".encode(), None)])
            self._views.pop((schema, name), None)
            self.generation += 1

    def sequences(self) -> dict[str, int]:
        """Every sequence's last value."""
        out = {}
        for k, v in self._store.rocks.cf["meta"].items(from_key=b"seq:"):
            if not k.startswith(b"seq:"):
                break
            out[k[4:].decode()] = int.from_bytes(v, "big", signed=True)
        with self._lock:
            out.update(self._seq_last)
        return out

    # --- writes
    def create(self, table: TableDef, *, if_not_exists: bool = False) -> TableDef:
        with self._lock:
            existing = self.get(table.name, table.schema)
            if existing is not None:
                if if_not_exists:
                    return existing
                raise E.DuplicateTable(f'relation "{table.name}" already exists')
            t = self._normalize(copy.deepcopy(table))
            t.oid = self.allocate_oids(1)
            t.rowtype_oid = self.allocate_oids(1)
            self._assign_oids(t)
            t.version = max(1, table.version or 1)
            ops: list[tuple[str, bytes, bytes | None]] = [("meta", count_key(t.oid), (0).to_bytes(8, "big", signed=True))]
            self._persist(t, ops)
            for d in owned_sequences(t):
                prev = self._seqdefs.get(d.key)
                if prev is None or prev.owner_table == t.name:
                    self.create_sequence(d, replace=True)
            self._store.cache.start_empty(t)
            journal.record(lambda: self._drop_now(t.oid))
            return t

    def register_json_schema(self, schema: dict[str, Any]) -> TableDef:
        t = table_from_json_schema(schema)
        with self._lock:
            old = self.get(t.name, t.schema)
            if old is None:
                return self.create(t)
            t.version = max(old.version + 1, int(schema.get("version") or 0))
            t.oid = old.oid
            for c in t.columns:  # a JSON Schema names its fields: same name = same column (never a rename)
                prev = old.column(c.name)
                if prev is not None and not prev.system:
                    c.attnum = prev.attnum
            return self.alter(t)

    def alter(self, table: TableDef, *, defaults: dict[str, Any] | None = None) -> TableDef:
        """New version of an existing table. Rows are rewritten for renamed/dropped columns, new field
        indexes are backfilled, dropped ones purged. ``defaults`` fills added columns in existing rows."""
        with self._lock:
            old_oid = table.oid or self._by_name.get((table.schema, table.name))
            old = self._by_oid.get(old_oid) if old_oid else None
            if old is None:
                raise E.UndefinedTable(f'relation "{table.name}" does not exist')
            raw_old = self._store.rocks.cf["schemas"].get(b"T" + TABLE.pack(old.oid))
            prev = table_from_json(raw_old) if raw_old else old
            t = self._normalize(copy.deepcopy(table))
            t.oid, t.rowtype_oid = prev.oid, prev.rowtype_oid or t.rowtype_oid
            t.version = max(table.version, prev.version + 1)
            self._assign_oids(t)
            if (t.schema, t.name) != (prev.schema, prev.name):
                if self.get(t.name, t.schema) is not None:
                    raise E.DuplicateTable(f'relation "{t.name}" already exists')
            if journal.current() is not None:
                journal.record(self._alter_restorer(prev, t))
            self._store.migrate_table(prev, t, defaults or {})  # rows first: a conflict leaves the old version
            self._persist(t, [])
            if (t.schema, t.name) != (prev.schema, prev.name):
                self._by_name.pop((prev.schema, prev.name), None)
                self._by_name[(t.schema, t.name)] = t.oid
            return t

    def _alter_restorer(self, prev: TableDef, new: TableDef) -> Any:
        """An undo action for ALTER: the previous version back, with the values of columns the ALTER drops."""
        kept = {c.attnum for c in new.columns if not c.system}
        dropped = [c.name for c in prev.columns if not c.system and c.attnum > 0 and c.attnum not in kept]
        values: dict[Any, dict[str, Any]] = {}
        if dropped:
            txn = self._store.begin()
            try:
                for r in txn.scan(prev):
                    vals = {c: r.get(c) for c in dropped if r.get(c) is not None}
                    if vals:
                        values[r[prev.id_column]] = vals
            finally:
                txn.rollback()
        saved = copy.deepcopy(prev)

        def restore() -> None:
            cur = self._by_oid.get(saved.oid)
            if cur is None:
                return
            back = copy.deepcopy(saved)
            back.version = cur.version + 1
            back.json_schema = {}
            t = self.alter(back)
            if values:
                txn = self._store.begin()
                try:
                    rows = [r for r in txn.get(t, list(values)) if r is not None]
                    for r in rows:
                        r.update(values[r[t.id_column]])
                    txn.update(t, rows)
                    txn.commit()
                except BaseException:
                    txn.rollback()
                    raise
        return restore

    def set_description(self, table: TableDef) -> TableDef:
        """Store changed descriptions (COMMENT ON TABLE/COLUMN) of the current version; rows untouched."""
        with self._lock:
            cur = self._by_oid.get(table.oid)
            if cur is None:
                raise E.UndefinedTable(f'relation "{table.name}" does not exist')
            journal.record(lambda: self.set_description(copy.deepcopy(cur)))
            t = copy.deepcopy(cur)
            t.description = table.description
            for c in t.columns:
                src = table.column(c.name)
                if src is not None:
                    c.description = src.description
            given = {k.name: k.description for k in table.constraints}
            for k in t.constraints:
                if k.name in given:
                    k.description = given[k.name]
            self._persist(t, [])
            return t

    def drop(self, name: str, schema: str = "public", *, if_exists: bool = False) -> bool:
        """Drop a table; inside a transaction block it is hidden until COMMIT (ROLLBACK brings it back)."""
        with self._lock:
            t = self.get(name, schema)
            if t is None:
                if if_exists:
                    return False
                raise E.UndefinedTable(f'table "{name}" does not exist')
            if journal.current() is None:
                return self._drop_now(t.oid)
            self._by_oid.pop(t.oid, None)
            self._by_name.pop((t.schema, t.name), None)
            seqs = [d for d in self._seqdefs.values() if d.owner_table == t.name and d.schema == t.schema]
            restorers = [self._sequence_restorer(d) for d in seqs]
            for d in seqs:
                self._drop_sequence_quiet(d.key)
            self.generation += 1

            def unhide() -> None:
                with self._lock:
                    if self.get(t.name, t.schema) is not None:
                        raise E.DuplicateTable(f'relation "{t.name}" already exists')
                    self._by_oid[t.oid] = t
                    self._by_name[(t.schema, t.name)] = t.oid
                    self.generation += 1
                for r in restorers:
                    r()
                self._store.table_changed(t)

            def purge() -> None:
                with self._lock:
                    self._by_oid[t.oid] = t  # _drop_now works on a registered table
                    self._drop_now(t.oid, forget_name=False)
            journal.record(unhide, on_commit=purge)
            return True

    def _drop_sequence_quiet(self, key: str) -> None:
        self._store.writer.apply([("meta", b"seqdef:" + key.encode(), None), ("meta", b"seq:" + key.encode(), None)])
        self._set_uncalled(key, None)
        self._seqdefs.pop(key, None)
        self._seq_last.pop(key, None)
        self._seq_logged.pop(key, None)

    def _drop_now(self, oid: int, forget_name: bool = True) -> bool:
        """Drop table ``oid`` for good: rows, index entries, versions, owned sequences."""
        with self._lock:
            t = self._by_oid.get(oid)
            if t is None:
                return False
            name, schema = t.name, t.schema
            self._store.purge_table(t)
            ops: list[tuple[str, bytes, bytes | None]] = [("schemas", b"T" + TABLE.pack(t.oid), None),
                                                          ("meta", count_key(t.oid), None)]
            ops += [("schemas", v, None) for v in self._version_keys(t.oid)]
            self._store.writer.apply(ops)
            self._by_oid.pop(t.oid, None)
            if forget_name and self._by_name.get((schema, name)) == oid:
                self._by_name.pop((schema, name), None)
                for d in list(self._seqdefs.values()):
                    if d.owner_table == name and d.schema == schema:
                        self._drop_sequence_quiet(d.key)
            self.generation += 1
            return True

    # --- internals
    def _version_keys(self, oid: int) -> list[bytes]:
        p = b"V" + TABLE.pack(oid)
        out = []
        for k in self._store.rocks.cf["schemas"].keys(from_key=p):
            if not k.startswith(p):
                break
            out.append(k)
        return out

    def _persist(self, t: TableDef, ops: list[tuple[str, bytes, bytes | None]]) -> None:
        for cached in ("_tinfo", "_roles"):  # per-object caches (engine.write.tinfo, TableDef.system_column)
            t.__dict__.pop(cached, None)
        data = table_to_json(t)
        ops = ops + [("schemas", b"T" + TABLE.pack(t.oid), data),
                     ("schemas", b"V" + TABLE.pack(t.oid) + TABLE.pack(t.version), data)]
        self._store.writer.apply(ops)
        self._by_oid[t.oid] = t
        self._by_name[(t.schema, t.name)] = t.oid
        self.generation += 1
        self._store.table_changed(t)

    def _assign_oids(self, t: TableDef) -> None:
        for x in [*t.indexes, *t.constraints]:
            if not x.oid:
                x.oid = self.allocate_oids(1)

    def _normalize(self, t: TableDef) -> TableDef:
        """System columns, primary key, key field, field indexes, constraints, JSON Schema."""
        user = [c for c in t.columns if not c.system]
        names = {c.name for c in user}
        if len(names) != len(user):
            seen: set[str] = set()
            for c in user:
                if c.name in seen:
                    raise E.DuplicateColumn(f'column "{c.name}" specified more than once')
                seen.add(c.name)
        pk = list(t.primary_key)
        for con in t.constraints:
            if con.kind == "p" and not pk:
                pk = list(con.columns)
        for ix in t.indexes:
            if ix.primary and not pk:
                pk = list(ix.columns)
        for c in pk:
            if c not in names:
                raise E.UndefinedColumn(f'column "{c}" named in key does not exist')
        t.primary_key = pk
        for c in user:
            if c.name in pk:
                c.not_null = True
        if len(pk) == 1:
            t.key_field = pk[0]
        if t.key_field and t.key_field not in names and not pk:
            raise E.UndefinedColumn(f'key field "{t.key_field}" is not a column of "{t.name}"')
        for f in t.embedding_fields:
            if f not in names:
                raise E.UndefinedColumn(f'embedding field "{f}" is not a column of "{t.name}"')
        # system columns
        id_visible = not pk and "id" not in names and t.kind != "m"  # a materialized view shows its query's columns
        sys_cols: list[ColumnDef] = []
        sys_types = {"id": T.UUID, "entity_type": T.TEXT, "created_at": T.TIMESTAMPTZ, "modified_at": T.TIMESTAMPTZ,
                     "deleted_at": T.TIMESTAMPTZ, "edges": T.JSONB}
        for i, role in enumerate(SYSTEM_ROLES):
            cname = role if role not in names else "_" + role
            visible = role == "id" and id_visible
            sys_cols.append(ColumnDef(name=cname, type_oid=sys_types[role], system=True, hidden=not visible,
                                      role=role, attnum=1 if visible else -(i + 1), not_null=role == "id",
                                      json_schema=typemap.json_schema_of(sys_types[role])))
        if t.embedding_fields:
            if not t.embedding_dim:
                t.embedding_dim = DEFAULT_EMBEDDING_DIM
            cname = "embedding" if "embedding" not in names else "_embedding"
            sys_cols.append(ColumnDef(name=cname, type_oid=T.VECTOR, typmod=t.embedding_dim, system=True,
                                      hidden=True, role="embedding", attnum=-(len(SYSTEM_ROLES) + 1)))
        base = 1 if id_visible else 0
        given = [c.attnum for c in user if c.attnum > base]
        if len(set(given)) != len(given) or any(0 < c.attnum <= base for c in user):
            # numbering from elsewhere (e.g. 1-based without the visible id) or inconsistent: renumber in order
            for c in user:
                c.attnum = 0
            given = []
        nxt = max(given, default=base) + 1
        for c in user:  # existing columns keep their attnum (renames are matched by it); new ones go last
            c.system, c.hidden, c.role = False, False, None
            if c.attnum <= base:
                c.attnum = nxt
                nxt += 1
            if c.json_schema is None:
                c.json_schema = typemap.json_schema_of(c.type_oid, c.typmod)
            if c.name in t.indexed_fields:
                c.indexed = True
        vis_id = [c for c in sys_cols if not c.hidden]
        t.columns = vis_id + user + [c for c in sys_cols if c.hidden]
        t.indexed_fields = [c.name for c in user if c.indexed]
        # indexes: primary key, unique constraints, indexed fields, the key column
        by_cols = {tuple(ix.columns): ix for ix in t.indexes}
        if pk and tuple(pk) not in by_cols:
            ix = IndexDef(name=f"{t.name}_pkey", columns=list(pk), unique=True, primary=True)
            t.indexes.append(ix)
            by_cols[tuple(pk)] = ix
        elif pk:
            by_cols[tuple(pk)].primary = by_cols[tuple(pk)].unique = True
        if pk and not any(c.kind == "p" for c in t.constraints):
            t.constraints.append(ConstraintDef(name=by_cols[tuple(pk)].name, kind="p", columns=list(pk)))
        for con in t.constraints:
            if con.kind == "u" and tuple(con.columns) not in by_cols:
                ix = IndexDef(name=con.name, columns=list(con.columns), unique=True)
                t.indexes.append(ix)
                by_cols[tuple(con.columns)] = ix
        for c in user:
            if c.indexed and (c.name,) not in by_cols:
                ix = IndexDef(name=f"{t.name}_{c.name}_idx", columns=[c.name])
                t.indexes.append(ix)
                by_cols[(c.name,)] = ix
        kc = key_column(t)
        if kc and (kc,) not in by_cols:
            t.indexes.append(IndexDef(name=f"{t.name}_{kc}_key_idx", columns=[kc]))
        for ix in t.indexes:
            for c in ix.columns:
                if c not in names and ix.method == "btree":
                    raise E.UndefinedColumn(f'column "{c}" does not exist')
        if not t.json_schema:
            t.json_schema = schema_of_table(t)
        return t


def owned_sequences(t: TableDef) -> list[SequenceDef]:
    """The sequences behind a table's serial and identity columns (named ``<table>_<column>_seq``)."""
    out = []
    for c in t.columns:
        if c.system:
            continue
        m = _NEXTVAL.search(c.default or "")
        name = f"{t.name}_{c.name}_seq"
        if not c.identity and not (m and m.group(1).replace('"', "").split(".")[-1] == name):
            continue
        opts = dict(c.seq_options or {})
        typ = c.type_oid if c.type_oid in (T.INT2, T.INT4, T.INT8) else T.INT8
        out.append(SequenceDef(name=name, schema=t.schema, type_oid=typ, owner_table=t.name, owner_column=c.name,
                               **opts))
    return out


def schema_of_table(t: TableDef) -> dict[str, Any]:
    """A JSON Schema (with REM's json_schema_extra) describing a TableDef built from SQL."""
    props = {c.name: dict(c.json_schema or typemap.json_schema_of(c.type_oid, c.typmod))
             for c in t.columns if not c.system}
    extra: dict[str, Any] = {"name": t.name, "version": t.version}
    if t.key_field:
        extra["key_field"] = t.key_field
    if t.embedding_fields:
        extra["embedding_fields"] = list(t.embedding_fields)
    if t.indexed_fields:
        extra["indexed_fields"] = list(t.indexed_fields)
    return {"title": t.name, "type": "object", "properties": props,
            "required": [c.name for c in t.columns if not c.system and c.not_null],
            "json_schema_extra": extra}


def table_from_json_schema(schema: dict[str, Any]) -> TableDef:
    """A TableDef from a JSON Schema carrying REM's json_schema_extra keys (nested or at the top level)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties", {}), dict):
        raise E.InvalidParameterValue("a JSON Schema object with \"properties\" is required")
    nested = schema.get("json_schema_extra") or {}
    extra = {k: schema[k] for k in REM_KEYS if k in schema}
    extra.update(nested)
    name = (extra.get("name") or extra.get("table_name") or extra.get("short_name")
            or (str(extra["fully_qualified_name"]).rsplit(".", 1)[-1] if extra.get("fully_qualified_name") else None)
            or (_snake(schema["title"]) if schema.get("title") else None))
    if not name:
        raise E.InvalidParameterValue("JSON Schema needs a title or json_schema_extra.name")
    schema_name = "public"
    if "." in name:
        schema_name, name = name.split(".", 1)

    def _list(v: Any) -> list[str]:
        if v is None:
            return []
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        return [str(x) for x in v]

    indexed = _list(extra.get("indexed_fields"))
    embedding_fields = _list(extra.get("embedding_fields"))
    key_field = extra.get("key_field")
    required = set(schema.get("required") or [])
    cols: list[ColumnDef] = []
    for pname, prop in (schema.get("properties") or {}).items():
        if pname in SYSTEM_ROLES or pname == "embedding":
            continue
        prop = dict(prop) if isinstance(prop, dict) else {}
        pextra = prop.pop("json_schema_extra", None) or {}
        prop.update(pextra)
        oid, typmod = typemap.pg_type_of(prop)
        if prop.get("key_field") is True:
            key_field = pname
        if prop.get("indexed") is True and pname not in indexed:
            indexed.append(pname)
        if prop.get("embedding_field") is True and pname not in embedding_fields:
            embedding_fields.append(pname)
        cols.append(ColumnDef(
            name=pname, type_oid=oid, typmod=typmod,
            not_null=pname in required and not typemap.nullable(prop),
            description=prop.get("description"), json_schema=prop,
            indexed=pname in indexed, embedding_provider=prop.get("embedding_provider"),
        ))
    for c in cols:
        c.indexed = c.name in indexed
    pk = _list(extra.get("primary_key"))
    constraints = [ConstraintDef(name=f"{name}_{'_'.join(u)}_key", kind="u", columns=u)
                   for u in (_list(x) for x in (extra.get("unique") or []))]
    return TableDef(
        name=name, schema=schema_name, columns=cols, primary_key=pk, key_field=key_field,
        embedding_fields=embedding_fields, constraints=constraints, json_schema=schema,
        version=int(extra.get("version") or 1), description=extra.get("description") or schema.get("description"),
        fully_qualified_name=extra.get("fully_qualified_name"), short_name=extra.get("short_name"),
        embedding_model=extra.get("embedding_provider") or extra.get("embedding_model"),
        embedding_dim=extra.get("embedding_dim"), indexed_fields=indexed,
    )
