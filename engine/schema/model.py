"""The shape of a table as the registry stores it: columns, keys, indexes, constraints, REM extras.

A :class:`TableDef` is built either from a JSON Schema (REM's way, `json_schema_extra` keys) or from
``CREATE TABLE`` (PostgreSQL's way); both end up here, versioned, in the ``schemas`` column family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# System fields present on every REM table (never declared by users). ``id`` is visible in SELECT * when the
# table declares no primary key of its own; the others behave like PostgreSQL's system columns.
SYSTEM_FIELDS: tuple[str, ...] = ("id", "entity_type", "created_at", "modified_at", "deleted_at", "edges")


@dataclass
class ColumnDef:
    """One column. ``typmod`` follows PostgreSQL (varchar(n) → n+4, vector(n) → n, -1 = none)."""

    name: str
    type_oid: int
    typmod: int = -1
    not_null: bool = False
    default: str | None = None  # SQL expression text, e.g. "now()" or "nextval('t_id_seq'::regclass)"
    identity: str | None = None  # 'a' (ALWAYS), 'd' (BY DEFAULT) or None
    system: bool = False  # a REM system field (hidden from SELECT * unless it is the visible id)
    hidden: bool = False  # not in SELECT * / catalogs' column lists
    attnum: int = 0  # 1-based position among user-visible columns; system columns get negative numbers
    description: str | None = None
    json_schema: dict[str, Any] | None = None  # the property's JSON Schema
    indexed: bool = False  # has a field index (equality/range lookups)
    embedding_provider: str | None = None  # per-field override of the default embedding provider
    role: str | None = None  # system columns: which system field this is ('id', 'entity_type', 'created_at', …)
    seq_options: dict[str, Any] | None = None  # identity: START/INCREMENT/MINVALUE/MAXVALUE/CACHE/CYCLE given
    generated: str | None = None  # GENERATED ALWAYS AS (expr) STORED: the expression, computed on every write
    enum_type: str | None = None  # "schema.name" of a CREATE TYPE … AS ENUM type (values stored as text)


@dataclass
class IndexDef:
    """A secondary index: btree-like field index (RocksDB ``indexes`` CF) or an HNSW vector index."""

    name: str
    columns: list[str]
    unique: bool = False
    method: str = "btree"  # 'btree' | 'hnsw'
    options: dict[str, Any] = field(default_factory=dict)  # hnsw: m, ef_construction, opclass
    oid: int = 0
    primary: bool = False


@dataclass
class ConstraintDef:
    """A table constraint: 'p' primary key, 'u' unique, 'c' check, 'f' foreign key, 'n' not null."""

    name: str
    kind: str
    columns: list[str] = field(default_factory=list)
    expr: str | None = None  # CHECK expression text
    ref_table: str | None = None  # foreign keys: referenced table, ``schema.name`` when not in the table's schema
    ref_columns: list[str] = field(default_factory=list)
    oid: int = 0
    on_delete: str = "a"  # foreign keys: pg_constraint.confdeltype ('a' no action, 'r', 'c', 'n', 'd')
    on_update: str = "a"  # foreign keys: confupdtype
    deferrable: bool = False
    deferred: bool = False
    ref_schema: str | None = None  # foreign keys: schema of ref_table (None: the table's own schema)
    description: str | None = None  # COMMENT ON CONSTRAINT


@dataclass
class TableDef:
    """A registered table (one schema version)."""

    name: str
    columns: list[ColumnDef]
    schema: str = "public"
    oid: int = 0
    primary_key: list[str] = field(default_factory=list)
    key_field: str | None = None  # field hashed into the deterministic id (uri/key_field/key/name)
    embedding_fields: list[str] = field(default_factory=list)
    indexes: list[IndexDef] = field(default_factory=list)
    constraints: list[ConstraintDef] = field(default_factory=list)
    json_schema: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    description: str | None = None
    fully_qualified_name: str | None = None
    short_name: str | None = None
    embedding_model: str | None = None  # e.g. "local:all-MiniLM-L6-v2"
    embedding_dim: int | None = None
    kind: str = "r"  # pg_class.relkind: 'r' table, 'v' view
    rowtype_oid: int = 0  # pg_type OID of the table's row type
    indexed_fields: list[str] = field(default_factory=list)  # fields with a field index (REM's indexed_fields)
    view_sql: str | None = None  # views: the defining query (expanded by the planner)
    temporary: bool = False  # CREATE TEMP TABLE / VIEW (pg_class.relpersistence 't'; dropped at session end)
    depends_on: list[list[str]] | None = None  # views: [schema, name] of each relation their query names

    def system_column(self, role: str) -> str:
        """The column name playing system role ``role`` ('id', 'created_at', …).

        It is the role's own name unless the user declared a column of that name (then ``_<role>``)."""
        cache = self.__dict__.get("_roles")
        if cache is None or cache[0] is not self.columns or cache[1] != len(self.columns):
            cache = (self.columns, len(self.columns), {c.role: c.name for c in self.columns if c.role})
            self.__dict__["_roles"] = cache
        return cache[2].get(role, role)

    @property
    def id_column(self) -> str:
        """Name of the uuid id column (``id``, or ``_id`` when the user declared an ``id`` column)."""
        return self.system_column("id")

    def column(self, name: str) -> ColumnDef | None:
        """The column called ``name`` (user or system), or None."""
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def visible_columns(self) -> list[ColumnDef]:
        """Columns of ``SELECT *`` in order."""
        return [c for c in self.columns if not c.hidden]
