"""REM's built-in schemas: the JSON Schema files under ``schema/`` and the SQL surface the CLI relies on.

``schema/core/*.json`` are registered by :func:`ensure_core_schemas` (``rem init``, a server's first start;
idempotent). ``schema/templates/*.json`` are starting points for ``rem schema add --template``. The files are
found relative to the source tree (the project is installed editable, ``pip install -e .``).

SQL surface registered here: ``rem_register_schema(json)`` (returns the table name), ``rem_init()`` (registers
missing core schemas; rows name, version, status), the virtual table ``rem_schemas`` (one row per registered
table) and ``rem_get(uuid)`` (an entity by id, whatever its table: rows id, entity_type, data).
"""

from __future__ import annotations

import copy
import datetime as _dt
import decimal
import json
import re
import uuid
from pathlib import Path
from typing import Any

from engine import types as t
from engine.errors import InvalidParameterValue, UndefinedObject
from engine.functions import FunctionDef, lookup, register
from engine.virtual import VirtualTable, register_virtual

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
CORE_SCHEMAS = ("sessions", "messages", "moments", "resources", "entities", "agentlets")
EXTRA_KEYS = (
    "embedding_fields", "indexed_fields", "key_field", "fully_qualified_name", "short_name", "version",
    "description", "embedding_provider",
)


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InvalidParameterValue(f'cannot read built-in schema "{path}": {e}') from None


def core_schemas() -> list[dict[str, Any]]:
    """The core schemas, in registration order."""
    return [_load(SCHEMA_DIR / "core" / f"{n}.json") for n in CORE_SCHEMAS]


def templates() -> dict[str, dict[str, Any]]:
    """Every template by name."""
    return {p.stem: _load(p) for p in sorted((SCHEMA_DIR / "templates").glob("*.json"))}


def from_template(template: str, name: str, namespace: str = "user") -> dict[str, Any]:
    """A copy of ``template`` renamed to ``name`` (short_name, title, fully_qualified_name ``namespace.name``)."""
    all_t = templates()
    if template not in all_t:
        raise UndefinedObject(
            f'template "{template}" does not exist', hint=f"available templates: {', '.join(all_t)}"
        )
    doc = copy.deepcopy(all_t[template])
    doc["title"] = name
    doc["short_name"] = name
    doc["fully_qualified_name"] = f"{namespace}.{name}"
    return doc


def normalize(doc: Any) -> dict[str, Any]:
    """Check that ``doc`` is a JSON Schema of an object and lift ``json_schema_extra`` keys to the top level.

    Pydantic's ``model_json_schema()`` already puts the extras at the top level; hand-written files may nest
    them under ``json_schema_extra`` (per model and per property). Raises InvalidParameterValue (22023).
    """
    import jsonschema

    if not isinstance(doc, dict):
        raise InvalidParameterValue("invalid JSON Schema: expected a JSON object at the top level")
    doc = copy.deepcopy(doc)
    nested = doc.pop("json_schema_extra", None)
    if nested is not None:
        if not isinstance(nested, dict):
            raise InvalidParameterValue("invalid JSON Schema: json_schema_extra must be an object")
        for k, v in nested.items():
            doc.setdefault(k, v)
    props = doc.get("properties")
    if doc.get("type", "object") != "object" or not isinstance(props, dict) or not props:
        raise InvalidParameterValue(
            'invalid JSON Schema: expected {"type": "object", "properties": {...}} with at least one property'
        )
    for pname, prop in props.items():
        if isinstance(prop, dict) and isinstance(prop.get("json_schema_extra"), dict):
            extra = prop.pop("json_schema_extra")
            for k, v in extra.items():
                prop.setdefault(k, v)
        if not isinstance(prop, dict | bool):
            raise InvalidParameterValue(f'invalid JSON Schema: property "{pname}" must be an object')
    try:
        jsonschema.validators.validator_for(doc, default=jsonschema.Draft202012Validator).check_schema(doc)
    except jsonschema.SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise InvalidParameterValue(f"invalid JSON Schema at {where}: {e.message}") from None
    for key in ("embedding_fields", "indexed_fields"):
        fields = doc.get(key, [])
        if not isinstance(fields, list) or any(f not in props for f in fields):
            raise InvalidParameterValue(f"invalid JSON Schema: {key} must list properties of the schema, got {fields!r}")
    if doc.get("key_field") is not None and doc["key_field"] not in props:
        raise InvalidParameterValue(f'invalid JSON Schema: key_field "{doc["key_field"]}" is not a property')
    version = doc.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int | str) or not str(version).isdigit():
        raise InvalidParameterValue(f"invalid JSON Schema: version must be a positive integer, got {version!r}")
    table_name(doc)
    return doc


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^a-zA-Z0-9_]+", "_", s).strip("_").lower() or "t"


def table_name(doc: dict[str, Any]) -> str:
    """The table a schema defines, as the registry names it: ``name`` / ``table_name`` / ``short_name``, else the
    last part of ``fully_qualified_name`` or else ``title``, in snake case (``x.MyDoc`` → ``my_doc``), so that
    a Pydantic model's table is queried without quotes."""
    for key in ("name", "table_name", "short_name"):
        if isinstance(doc.get(key), str) and doc[key].strip():
            return doc[key]
    for derived in (doc.get("fully_qualified_name"), doc.get("title")):
        if isinstance(derived, str) and derived.strip():
            return _snake(derived.rsplit(".", 1)[-1])
    raise InvalidParameterValue("invalid JSON Schema: it needs a short_name (or a title) to name the table")


def ensure_core_schemas(db: Any) -> list[str]:
    """Register every core schema that is missing (or an older version of ours); returns the names registered.

    A table of the same name that the user created is left alone. Safe to call on every open.
    """
    _register_sql_surface()
    done = []
    for doc in core_schemas():
        name = table_name(doc)
        existing = db.registry.get(name)
        if existing is not None:
            js = existing.json_schema or {}
            ours = js.get("fully_qualified_name") == doc["fully_qualified_name"]
            if not ours or js.get("version") == doc.get("version"):
                continue
        db.registry.register_json_schema(doc)
        done.append(name)
    return done


def ensure_core_schemas_on_first_start(db: Any) -> list[str]:
    """Register the core schemas the first time a server opens this store (issue: "on first server start").

    A flag in the store's ``meta`` column family remembers it, so a core table the user later drops stays
    dropped; ``rem init`` / ``SELECT rem_init()`` register missing ones again on request.
    """
    store = db.store
    if store is None or store.get_flag("core_schemas_registered"):
        return []
    done = ensure_core_schemas(db)
    store.set_flag("core_schemas_registered", True)
    return done


# --- SQL surface ---------------------------------------------------------------------------------------------


def _register_schema(ctx: Any, schema: Any) -> str:
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as e:
            raise InvalidParameterValue(f"invalid JSON Schema: not valid JSON ({e})") from None
    return ctx.db.registry.register_json_schema(normalize(schema)).name


def _schemas_rows(ctx: Any) -> list[tuple[Any, ...]]:
    rows = []
    for td in sorted(ctx.db.registry.tables(), key=lambda d: (d.schema, d.name)):
        if td.kind != "r":
            continue
        js = td.json_schema or {}
        rows.append((
            td.name, td.fully_qualified_name or js.get("fully_qualified_name"), td.short_name or td.name,
            str(js.get("version", td.version)), td.key_field, list(td.embedding_fields),
            [c.name for c in td.columns if c.indexed], td.description or js.get("description"),
            js or None,
        ))
    return rows


def jsonable(v: Any) -> Any:
    """A Python SQL value as a JSON value (uuid/datetime as text, vectors as lists)."""
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, _dt.datetime | _dt.date | _dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return "\\x" + bytes(v).hex()
    if v is t.JSON_NULL:
        return None
    if isinstance(v, t.Interval | _dt.timedelta):
        from engine.textio import format_text

        return format_text(t.INTERVAL, v) if isinstance(v, t.Interval) else str(v)
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


def _get(ctx: Any, ident: Any) -> list[tuple[Any, ...]]:
    try:
        rid = ident if isinstance(ident, uuid.UUID) else uuid.UUID(str(ident))
    except ValueError:
        raise InvalidParameterValue(f'invalid input syntax for type uuid: "{ident}"') from None
    for td in ctx.db.registry.tables():
        if td.kind != "r":
            continue
        row = ctx.txn.get(td, [rid])[0]
        if row is not None:
            data = {k: jsonable(v) for k, v in row.items() if k not in ("embedding", "embedding_alt")}
            return [(rid, td.name, data)]
    return []


def _init(ctx: Any) -> list[tuple[Any, ...]]:
    registered = set(ensure_core_schemas(ctx.db))
    rows = []
    for doc in core_schemas():
        name = table_name(doc)
        rows.append((name, str(doc.get("version")), "registered" if name in registered else "present"))
    return rows


def _register_sql_surface() -> None:
    if not lookup("rem_register_schema"):
        register(FunctionDef(
            name="rem_register_schema", impl=_register_schema, return_oid=t.TEXT, needs_ctx=True, volatile=True,
            description="register (or re-version) a table from a JSON Schema; returns the table name",
        ))
    if not lookup("rem_get"):
        register(FunctionDef(
            name="rem_get", impl=_get, return_oid=t.RECORD, needs_ctx=True, set_returning=True,
            columns=(("id", t.UUID), ("entity_type", t.TEXT), ("data", t.JSONB)),
            description="the entity with this id, whatever its table",
        ))
    if not lookup("rem_init"):
        register(FunctionDef(
            name="rem_init", impl=_init, return_oid=t.RECORD, needs_ctx=True, set_returning=True, strict=False,
            arg_oids=(), volatile=True, columns=(("name", t.TEXT), ("version", t.TEXT), ("status", t.TEXT)),
            description="register the core schemas that are missing; one row per core schema",
        ))
    register_virtual(VirtualTable(
        schema="pg_catalog", name="rem_schemas", rows=_schemas_rows,
        columns=(
            ("name", t.TEXT), ("fully_qualified_name", t.TEXT), ("short_name", t.TEXT), ("version", t.TEXT),
            ("key_field", t.TEXT), ("embedding_fields", 1009), ("indexed_fields", 1009), ("description", t.TEXT),
            ("json_schema", t.JSONB),
        ),
    ))


_register_sql_surface()

__all__ = [
    "CORE_SCHEMAS", "SCHEMA_DIR", "core_schemas", "ensure_core_schemas", "ensure_core_schemas_on_first_start",
    "from_template",
    "jsonable", "normalize", "table_name", "templates",
]
