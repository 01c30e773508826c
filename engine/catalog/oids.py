"""Stable OIDs: PostgreSQL's fixed ones for built-in objects, and derived ones for objects REM synthesizes.

User tables, indexes and constraints carry the OIDs the registry stores (stable across restarts). Objects REM
reports but does not store — a table's row type and its array type, serial/identity sequences, default
expressions, synthesized primary keys, schemas other than ``public`` — get OIDs computed from the owning
object's stored OID, so they are stable too. Derived OIDs live in [2**30, 2**31) and never collide with the
registry's (which count up from :data:`engine.types.FIRST_USER_OID`).
"""

from __future__ import annotations

import zlib

from engine.catalog import _pg_data

# namespaces
PG_CATALOG = 11
PG_TOAST = 99
PUBLIC = 2200
INFORMATION_SCHEMA = 13207
FIXED_NAMESPACES: dict[str, int] = {
    "pg_catalog": PG_CATALOG, "pg_toast": PG_TOAST, "public": PUBLIC, "information_schema": INFORMATION_SCHEMA,
}

# roles, databases, tablespaces, languages, access methods
BOOTSTRAP_SUPERUSER = 10
DATABASE = 5  # the one database of a REM store (PostgreSQL's oid of "postgres")
TEMPLATE1 = 1
PG_DEFAULT_TABLESPACE = 1663
PG_GLOBAL_TABLESPACE = 1664
LANG_INTERNAL = 12
LANG_C = 13
LANG_SQL = 14
LANG_PLPGSQL = 13563
EXT_PLPGSQL = 13559
HEAP_AM = 2
BTREE_AM = 403
HASH_AM = 405
# pgvector's objects: REM installs them with fixed OIDs next to the vector type (engine.types.VECTOR = 16385)
EXT_VECTOR = 16387
HNSW_AM = 16388
IVFFLAT_AM = 16389
DEFAULT_COLLATION = 100
C_COLLATION = 950

# catalog relations' own pg_class OIDs (pg_class 1259, pg_type 1247, pg_attribute 1249, pg_proc 1255 …)
RELATION_OIDS: dict[tuple[str, str], int] = {(r[0], r[1]): r[2] for r in _pg_data.RELATIONS}
PG_CLASS = RELATION_OIDS[("pg_catalog", "pg_class")]
PG_TYPE = RELATION_OIDS[("pg_catalog", "pg_type")]
PG_ATTRIBUTE = RELATION_OIDS[("pg_catalog", "pg_attribute")]
PG_PROC = RELATION_OIDS[("pg_catalog", "pg_proc")]
PG_NAMESPACE = RELATION_OIDS[("pg_catalog", "pg_namespace")]
PG_CONSTRAINT = RELATION_OIDS[("pg_catalog", "pg_constraint")]
PG_ATTRDEF = RELATION_OIDS[("pg_catalog", "pg_attrdef")]
PG_INDEX = RELATION_OIDS[("pg_catalog", "pg_index")]
PG_DATABASE = RELATION_OIDS[("pg_catalog", "pg_database")]
PG_AUTHID = RELATION_OIDS[("pg_catalog", "pg_authid")]
PG_EXTENSION = RELATION_OIDS[("pg_catalog", "pg_extension")]
PG_AM = RELATION_OIDS[("pg_catalog", "pg_am")]

# kinds of derived OIDs
ROW_TYPE = 0
ARRAY_TYPE = 1
SEQUENCE = 2
ATTRDEF = 3
INDEX = 4
CONSTRAINT = 5
NAMESPACE = 6
OTHER = 7

_BASE = 1 << 30
_SPAN = 1 << 27
FIRST_DERIVED = _BASE


def derived(kind: int, owner: int, sub: int = 0) -> int:
    """A stable OID for a synthesized object of ``kind`` owned by the object ``owner`` (``sub`` disambiguates).

    >>> derived(ROW_TYPE, 16400) == derived(ROW_TYPE, 16400)
    True
    """
    return _BASE + kind * _SPAN + (owner * 64 + sub) % _SPAN


def name_oid(kind: int, name: str) -> int:
    """A stable OID derived from a name (schemas and virtual relations that have no stored OID)."""
    return derived(kind, zlib.crc32(name.encode()) & 0xFFFFFF)


def namespace_oid(schema: str) -> int:
    """The pg_namespace OID of ``schema``."""
    return FIXED_NAMESPACES.get(schema) or name_oid(NAMESPACE, schema)
