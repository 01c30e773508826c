"""The storage seam: what the SQL layer asks of the registry and of a transaction.

Implemented by engine.schema.registry (Registry) and engine.storage / engine.txn (Store, Txn). The SQL executor,
pg_catalog, vector and graph code depend only on these protocols.

Rows are ``dict[str, Any]`` keyed by column name with Python values (see :mod:`engine.types`), system fields
included: ``id`` (uuid.UUID), ``entity_type`` (str), ``created_at``/``modified_at``/``deleted_at`` (aware
datetime or None), ``edges`` (list of dicts), and ``embedding`` (numpy float32) on tables with embedding fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from engine.schema.model import TableDef

Row = dict[str, Any]


class Registry(Protocol):
    """Tables known to the database (the ``schemas`` column family), with stable OIDs."""

    def get(self, name: str, schema: str = "public") -> TableDef | None:
        """The current version of table ``schema.name``, or None."""

    def get_by_oid(self, oid: int) -> TableDef | None:
        """The table with this pg_class OID, or None."""

    def tables(self) -> list[TableDef]:
        """Every table, current versions."""

    def create(self, table: TableDef, *, if_not_exists: bool = False) -> TableDef:
        """Register a new table (assigns OIDs, system columns, ids); DuplicateTable if it exists."""

    def register_json_schema(self, schema: dict[str, Any]) -> TableDef:
        """Register (or re-version) a table from a JSON Schema with REM's json_schema_extra keys."""

    def alter(self, table: TableDef) -> TableDef:
        """Store a new version of an existing table (ADD/DROP/RENAME COLUMN, CREATE INDEX …)."""

    def drop(self, name: str, schema: str = "public", *, if_exists: bool = False) -> bool:
        """Drop a table and its rows and indexes; UndefinedTable unless if_exists."""

    def nextval(self, sequence: str) -> int:
        """Advance a sequence (serial / identity columns) and return its value."""


class Txn(Protocol):
    """One transaction's view: committed data as of the statement, plus this transaction's own writes.

    Writes are buffered and become visible to others together at :meth:`commit` (one RocksDB WriteBatch).
    """

    def new_statement(self) -> None:
        """A new statement begins: later reads see everything committed until now (READ COMMITTED)."""

    def scan(self, table: TableDef) -> Iterator[Row]:
        """Every visible (not soft-deleted) row of ``table``."""

    def scan_tuples(self, table: TableDef, names: Sequence[str]) -> list[tuple[Any, ...]]:
        """Every visible row as a tuple of the ``names`` columns (faster than ``scan``: no dict copies)."""

    def get(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        """Rows by id, in order (None where absent or deleted)."""

    def lookup(self, table: TableDef, column: str, values: Sequence[Any]) -> list[uuid.UUID]:
        """Ids of visible rows whose ``column`` equals one of ``values``, through the key/field index."""

    def range(
        self, table: TableDef, column: str, lo: Any = None, hi: Any = None,
        lo_inclusive: bool = True, hi_inclusive: bool = True,
    ) -> list[uuid.UUID]:
        """Ids of visible rows with ``lo <op> column <op> hi`` through the field index (None = unbounded)."""

    def count(self, table: TableDef) -> int:
        """Number of visible rows."""

    def find_conflict(self, table: TableDef, row: Row) -> Row | None:
        """The visible row that ``row`` would collide with (same id/key/primary key/unique columns), or None."""

    def conflicts(self, table: TableDef, rows: Sequence[Row], columns: Sequence[str] | None = None
                  ) -> list[tuple[Row | None, tuple[Any, ...]]]:
        """Per proposed row: the visible row it collides with on the arbiter ``columns`` (None: any unique
        constraint) and its hashable conflict keys; one batched read for all rows."""

    def upsert(self, table: TableDef, inserts: Sequence[Row], updates: Sequence[Row],
               olds: Sequence[Row] | None = None) -> tuple[list[Row], list[Row]]:
        """Buffer new rows and new versions (``olds``: the stored rows they replace) as one batch: edges of
        updated rows merge by (dst, rel_type); one embedder call for every new or changed embedded text."""

    def insert(self, table: TableDef, rows: Sequence[Row]) -> list[Row]:
        """Validate, assign ids and system fields, buffer; UniqueViolation on a key already present."""

    def update(self, table: TableDef, rows: Sequence[Row], olds: Sequence[Row] | None = None) -> list[Row]:
        """Replace rows (matched by ``id``) with new versions; validation as for insert. ``olds``, when given,
        are the rows' current visible versions (the caller read them in this statement: not read again)."""

    def delete(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row]:
        """Soft-delete rows (sets ``deleted_at``); returns the rows as they were."""

    def savepoint(self, name: str) -> None: ...

    def rollback_to(self, name: str) -> None: ...

    def release(self, name: str) -> None: ...

    def commit(self) -> None:
        """Apply every buffered write atomically (durable when this returns)."""

    def rollback(self) -> None:
        """Discard every buffered write."""


class Store(Protocol):
    """The open RocksDB store."""

    registry: Registry

    def begin(self) -> Txn:
        """Start a transaction."""

    def close(self) -> None: ...
