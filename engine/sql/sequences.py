"""Sequences in SQL: CREATE / ALTER / DROP SEQUENCE, identity column options, nextval / currval / setval / lastval.

The registry (:mod:`engine.schema.registry`) stores definitions and values; this module parses statements (by
hand: sqlglot lacks ``NO MINVALUE``, identity option lists, multi-name DROP SEQUENCE) and registers the functions.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Notice
from engine.errors import (
    DuplicateTable,
    FeatureNotSupported,
    ObjectNotInPrerequisiteState,
    UndefinedTable,
    WrongObjectType,
)
from engine.functions import FunctionDef, register
from engine.schema.model import ColumnDef
from engine.schema.sequences import SequenceDef
from engine.sql.lexer import Cursor
from engine.sql.schemas import ddl_statement
from engine.sql.statements import Statement
from engine.virtual import VirtualTable

_TYPES = {"SMALLINT": T.INT2, "INT2": T.INT2, "INTEGER": T.INT4, "INT": T.INT4, "INT4": T.INT4,
          "BIGINT": T.INT8, "INT8": T.INT8}
_IDENTITY = re.compile(r"\bAS\s+IDENTITY\s*\(", re.I)


def _number(c: Cursor) -> int:
    t = c.next()
    if t.text == "-":
        return -int(c.next().text)
    if t.text == "+":
        return int(c.next().text)
    try:
        return int(t.text)
    except ValueError:
        c.i -= 1
        c.error()
        raise


def parse_options(c: Cursor, stop: str | None = None) -> dict[str, Any]:
    """Sequence options up to the end (or a ``stop`` token): the keys of :class:`SequenceDef` plus
    ``restart`` / ``owned_by`` for ALTER SEQUENCE."""
    out: dict[str, Any] = {}
    while not c.at_end() and not (stop and c.cur is not None and c.cur.text == stop):
        if c.match("AS"):
            w = c.next().text.upper()
            if w not in _TYPES:
                raise FeatureNotSupported("sequence type must be smallint, integer, or bigint")
            out["type_oid"] = _TYPES[w]
        elif c.match("START"):
            c.match("WITH")
            out["start"] = _number(c)
        elif c.match("INCREMENT"):
            c.match("BY")
            out["increment"] = _number(c)
        elif c.match("NO", "MINVALUE"):
            out["minvalue"] = None
        elif c.match("NO", "MAXVALUE"):
            out["maxvalue"] = None
        elif c.match("NO", "CYCLE"):
            out["cycle"] = False
        elif c.match("MINVALUE"):
            out["minvalue"] = _number(c)
        elif c.match("MAXVALUE"):
            out["maxvalue"] = _number(c)
        elif c.match("CACHE"):
            out["cache"] = _number(c)
        elif c.match("CYCLE"):
            out["cycle"] = True
        elif c.match("RESTART"):
            c.match("WITH")
            out["restart"] = _number(c) if c.cur is not None and c.cur.text != stop and \
                (c.cur.text.lstrip("-+").isdigit() or c.cur.text in "-+") else True
        elif c.match("OWNED", "BY"):
            out["owned_by"] = c.ident()
            while c.cur is not None and c.cur.text == ".":
                c.next()
                out["owned_by"] += "." + c.ident()
        elif c.match("SEQUENCE", "NAME"):
            c.ident()
        else:
            c.error()
    return out


def rewrite_identity(sql: str) -> tuple[str, list[dict[str, Any]]]:
    """``sql`` with each ``AS IDENTITY ( options )`` reduced to ``AS IDENTITY``, and the parsed options in order."""
    opts: list[dict[str, Any]] = []
    out, pos = [], 0
    for m in _IDENTITY.finditer(sql):
        if m.start() < pos:
            continue
        depth, j = 1, m.end()
        while j < len(sql) and depth:
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
        body = sql[m.end():j - 1]
        opts.append(parse_options(Cursor.of(body)))
        out.append(sql[pos:m.start()] + "AS IDENTITY")
        pos = j
    out.append(sql[pos:])
    return "".join(out), opts


def attach_identity_options(node: exp.Expression, opts: list[dict[str, Any]]) -> None:
    """Mark each identity column constraint of ``node`` with its parsed options (in order of appearance)."""
    ks = list(node.find_all(exp.GeneratedAsIdentityColumnConstraint))
    for k, o in zip(ks, opts, strict=False):
        k.meta["rem_seq_options"] = o


def identity_options(k: exp.Expression, col: ColumnDef) -> None:
    """Store the options of an identity column (from :func:`attach_identity_options` or sqlglot's own args)."""
    o = dict(k.meta.get("rem_seq_options") or {})
    for key, arg in (("start", "start"), ("increment", "increment"), ("minvalue", "minvalue"),
                     ("maxvalue", "maxvalue")):
        v = k.args.get(arg)
        if v is not None and key not in o:
            o[key] = int(v.sql())
    if k.args.get("cycle"):
        o["cycle"] = True
    o.pop("type_oid", None)
    o = {key: v for key, v in o.items() if v is not None and key in ("start", "increment", "minvalue", "maxvalue",
                                                                      "cache", "cycle")}
    col.seq_options = o or None


# ------------------------------------------------------------------ statements
def _qualified(c: Cursor) -> tuple[str | None, str]:
    name = c.ident()
    if c.cur is not None and c.cur.text == ".":
        c.next()
        return name, c.ident()
    return None, name




def _creation_schema(s: Any, schema: str | None, temporary: bool = False) -> str:
    from engine.sql.schemas import creation_schema

    return creation_schema(s, schema, temporary)


def _other_temp(s: Any, schema: str | None) -> None:
    """0A000 for another session's temporary sequence named by its schema (PostgreSQL's wording)."""
    from engine.sql.temp_relations import is_other

    if is_other(s, schema):
        raise FeatureNotSupported("cannot access temporary tables of other sessions")


def prepare(session: Any, sql: str, c: Cursor, word: str) -> Statement | None:
    """CREATE [TEMP] SEQUENCE, ALTER SEQUENCE, DROP SEQUENCE; None for other statements."""
    if word == "CREATE":
        j = 1
        temporary = c.peek_word(j) in ("TEMP", "TEMPORARY")
        if c.peek_word(j) in ("TEMP", "TEMPORARY", "UNLOGGED"):
            j += 1
        if c.peek_word(j) != "SEQUENCE":
            return None
        c.i += j + 1
        if_not = c.match("IF", "NOT", "EXISTS")
        schema, name = _qualified(c)
        opts = parse_options(c)
        opts.pop("restart", None)
        opts.pop("owned_by", None)

        def create(s: Any) -> list[Notice]:
            reg = s.db.registry
            sch = _creation_schema(s, schema, temporary)
            if if_not and (reg.sequence_def(f"{sch}.{name}") is not None or reg.get(name, sch) is not None):
                return [Notice(f'relation "{name}" already exists, skipping', sqlstate="42P07")]
            if reg.sequence_def(f"{sch}.{name}") is not None:
                raise DuplicateTable(f'relation "{name}" already exists')
            reg.create_sequence(SequenceDef(name=name, schema=sch, **opts))
            return []
        return ddl_statement(sql, "CREATE SEQUENCE", create)
    if word == "ALTER" and c.peek_word(1) == "SEQUENCE":
        c.i += 2
        if_exists = c.match("IF", "EXISTS")
        schema, name = _qualified(c)
        opts = parse_options(c)

        def alter(s: Any) -> list[Notice]:
            reg = s.db.registry
            d = _find(s, schema, name)
            if d is None:
                if if_exists:
                    return [Notice(f'relation "{name}" does not exist, skipping')]
                raise UndefinedTable(f'relation "{name}" does not exist')
            _other_temp(s, d.schema)
            restart = opts.pop("restart", None)
            opts.pop("owned_by", None)
            fields = d.to_json()
            fields.update({k: v for k, v in opts.items()})
            if "increment" in opts or "type_oid" in opts:
                for k in ("minvalue", "maxvalue"):
                    if k not in opts:
                        fields[k] = None
            last, _log, called = sequence_row(reg, d.key)
            state = reg.sequence_state(d.key)
            nd = SequenceDef.from_json(fields)
            reg.create_sequence(nd, replace=True)
            if restart is None and called and set(opts) <= {"start", "cache"} and nd.cache == d.cache:
                reg.restore_sequence_state(nd.key, *state)  # START alone keeps the value and log_cnt
            elif restart is not None:
                _restart(reg, nd, nd.start if restart is True else restart, False)
            else:
                _restart(reg, nd, last, called)  # ALTER without RESTART keeps the current value
            return []
        return ddl_statement(sql, "ALTER SEQUENCE", alter)
    if word == "DROP" and c.peek_word(1) == "SEQUENCE":
        c.i += 2
        if_exists = c.match("IF", "EXISTS")
        targets = [_qualified(c)]
        while c.cur is not None and c.cur.text == ",":
            c.next()
            targets.append(_qualified(c))
        cascade = c.match("CASCADE")
        c.match("RESTRICT")

        def drop(s: Any) -> list[Notice]:
            reg = s.db.registry
            notices = []
            for schema, name in targets:
                d = _find(s, schema, name)
                if d is None:
                    if if_exists:
                        notices.append(Notice(f'sequence "{name}" does not exist, skipping'))
                        continue
                    raise UndefinedTable(f'sequence "{name}" does not exist')
                if d.owner_table:
                    from engine.errors import DependentObjectsStillExist
                    raise DependentObjectsStillExist(
                        f"cannot drop sequence {d.name} because other objects depend on it",
                        detail=f"default value for column {d.owner_column} of table {d.owner_table} depends on "
                               f"sequence {d.name}",
                        hint="Use DROP ... CASCADE to drop the dependent objects too.")
                _drop_views(reg, d, cascade)
                reg.drop_sequence(d.key)
            return notices
        return ddl_statement(sql, "DROP SEQUENCE", drop)
    return None


def _drop_views(reg: Any, d: SequenceDef, cascade: bool) -> None:
    """The views selecting from sequence ``d``: dropped with CASCADE, else 2BP01 (PostgreSQL's wording)."""
    from types import SimpleNamespace

    from engine.errors import DependentObjectsStillExist
    from engine.sql.views import views_on

    deps = views_on(reg, SimpleNamespace(schema=d.schema, name=d.name, kind="S"))
    if not deps:
        return
    if cascade:
        for v, _, _ in deps:
            if reg.get_view(v.name, v.schema) is not None:
                reg.drop_view(v.name, v.schema)
        return
    raise DependentObjectsStillExist(
        f"cannot drop sequence {d.name} because other objects depend on it",
        detail="\n".join(f"view {v.name} depends on {'sequence' if kind == 'table' else kind} {name}"
                         for v, kind, name in deps),
        hint="Use DROP ... CASCADE to drop the dependent objects too.")


def _find(s: Any, schema: str | None, name: str) -> SequenceDef | None:
    from engine.sql.temp_relations import alias

    reg = s.db.registry
    if schema is not None:
        return reg.sequence_def(f"{alias(s, schema)}.{name}")  # type: ignore[no-any-return]
    from engine.sql.statements import search_path

    for sch in search_path(s):
        sch = s.user if sch == "$user" else sch
        d = reg.sequence_def(f"{sch}.{name}")
        if d is not None:
            return d  # type: ignore[no-any-return]
    return None


# ------------------------------------------------------------------ the sequence as a one-row relation
_COLUMNS = (("last_value", T.INT8), ("log_cnt", T.INT8), ("is_called", T.BOOL))
def _restart(reg: Any, d: SequenceDef, value: int, is_called: bool) -> None:
    """Set ``d``'s state as PostgreSQL's ALTER SEQUENCE does (22023 for a value outside the new bounds)."""
    from engine.errors import InvalidParameterValue

    assert d.minvalue is not None and d.maxvalue is not None
    if value < d.minvalue:
        raise InvalidParameterValue(f"RESTART value ({value}) cannot be less than MINVALUE ({d.minvalue})")
    if value > d.maxvalue:
        raise InvalidParameterValue(f"RESTART value ({value}) cannot be greater than MAXVALUE ({d.maxvalue})")
    reg.setval(d.key, value, is_called)


def sequence_row(reg: Any, key: str) -> tuple[int, int, bool]:
    """PostgreSQL's ``(last_value, log_cnt, is_called)`` of sequence ``key``."""
    d = reg.sequence_def(key)
    inc = d.increment if d is not None else 1
    last, logged = reg.sequence_state(key)
    log_cnt = max(0, (logged - last) // inc)
    if not reg.is_called(key):
        return last + inc, log_cnt, False
    return last, log_cnt, True


def sequence_relation(reg: Any, name: str, schema: str) -> VirtualTable | None:
    """Sequence ``schema.name`` as the one-row relation PostgreSQL shows (``SELECT * FROM s``), else None.

    The planner's relation lookup calls this after the virtual tables of ``schema``."""
    if reg is None or schema in ("pg_catalog", "information_schema"):
        return None
    d = reg.sequence_def(f"{schema}.{name}")
    if d is None:
        return None
    key = d.key

    def rows(ctx: Any) -> list[tuple[Any, ...]]:
        _other_temp(ctx.session, d.schema)
        return [sequence_row(ctx.db.registry, key)]
    return VirtualTable(schema, name, _COLUMNS, rows, oid=d.oid, kind="S")


# ------------------------------------------------------------------ functions
def _resolve(ctx: Any, seq: Any) -> str:
    """The registry key of a sequence given as regclass OID or (possibly qualified) name text."""
    reg = ctx.db.registry
    if isinstance(seq, int):
        for d in reg.sequence_defs():
            if d.oid == seq:
                return d.key  # type: ignore[no-any-return]
        from engine.catalog.objects import snapshot

        rel = snapshot(ctx).by_oid.get(seq)
        if rel is None:
            raise UndefinedTable(f"could not open relation with OID {seq}")
        if rel.kind != "S":
            raise WrongObjectType(f'"{rel.name}" is not a sequence')
        return rel.name if rel.schema == "public" else f"{rel.schema}.{rel.name}"
    from engine.catalog.names import parse_name

    parts = parse_name(str(seq))
    if len(parts) == 2:
        d = _find(ctx.session, parts[0], parts[1])
        if d is None:
            raise UndefinedTable(f'relation "{parts[0]}.{parts[1]}" does not exist')
        return d.key  # type: ignore[no-any-return]
    d = _find(ctx.session, None, parts[-1])
    if d is not None:
        return d.key
    from engine.catalog.objects import snapshot
    from engine.sql.temp_relations import is_other

    snap = snapshot(ctx)
    rels = [r for r in snap.rels if r.name == parts[-1] and not is_other(ctx.session, r.schema)]
    rel = next((r for r in rels if r.kind == "S"), None)
    if rel is None:
        if rels:
            raise WrongObjectType(f'"{parts[-1]}" is not a sequence')
        raise UndefinedTable(f'relation "{parts[-1]}" does not exist')
    return rel.name if rel.schema == "public" else f"{rel.schema}.{rel.name}"


def _session_values(ctx: Any) -> dict[str, int]:
    sess = ctx.session
    d = getattr(sess, "_rem_seq_values", None)
    if d is None:
        d = {}
        try:
            sess._rem_seq_values = d
        except AttributeError:
            pass
    return d  # type: ignore[no-any-return]


def discard(session: Any) -> None:
    """DISCARD SEQUENCES / ALL: forget the session's currval / lastval values."""
    vals = getattr(session, "_rem_seq_values", None)
    if vals is not None:
        vals.clear()


def _nextval(ctx: Any, seq: Any) -> int:
    key = _resolve(ctx, seq)
    _other_temp(ctx.session, key.rpartition(".")[0] or None)
    v = int(ctx.db.registry.nextval(key))
    vals = _session_values(ctx)
    vals[key] = v
    vals["\x00last"] = v
    vals["\x00lastkey"] = key
    return v


def _currval(ctx: Any, seq: Any) -> int:
    key = _resolve(ctx, seq)
    vals = _session_values(ctx)
    if key not in vals:
        raise ObjectNotInPrerequisiteState(f'currval of sequence "{key.split(".")[-1]}" is not yet defined in this session')
    return vals[key]


def _lastval(ctx: Any) -> int:
    from engine.sql.temp_relations import is_temp_schema

    vals = _session_values(ctx)
    key = vals.get("\x00lastkey", "")
    if is_temp_schema(key.rpartition(".")[0]) and ctx.db.registry.sequence_def(key) is None:
        vals.pop("\x00last", None)  # the temporary sequence is gone (DISCARD TEMP, DROP)
    if "\x00last" not in vals:
        raise ObjectNotInPrerequisiteState("lastval is not yet defined in this session")
    return vals["\x00last"]


def _setval(ctx: Any, seq: Any, value: int, is_called: bool = True) -> int:
    key = _resolve(ctx, seq)
    _other_temp(ctx.session, key.rpartition(".")[0] or None)
    ctx.db.registry.setval(key, int(value), bool(is_called))
    if is_called:
        _session_values(ctx)[key] = int(value)
    return int(value)


for _args in ((T.TEXT,), (T.REGCLASS,)):
    register(FunctionDef(name="nextval", impl=_nextval, return_oid=T.INT8, arg_oids=_args, needs_ctx=True,
                         volatile=True))
    register(FunctionDef(name="currval", impl=_currval, return_oid=T.INT8, arg_oids=_args, needs_ctx=True,
                         volatile=True))
    register(FunctionDef(name="setval", impl=_setval, return_oid=T.INT8, arg_oids=(_args[0], T.INT8),
                         needs_ctx=True, volatile=True))
    register(FunctionDef(name="setval", impl=_setval, return_oid=T.INT8, arg_oids=(_args[0], T.INT8, T.BOOL),
                         needs_ctx=True, volatile=True))
register(FunctionDef(name="lastval", impl=_lastval, return_oid=T.INT8, arg_oids=(), needs_ctx=True, volatile=True))


def prepare_with_identity(session: Any, sql: str, param_oids: list[int]) -> Statement | None:
    """CREATE TABLE / ALTER TABLE with ``AS IDENTITY ( options )``: parsed without the option list (sqlglot
    does not know all of it), the options attached to the identity constraints; None when there is none."""
    from engine.sql.statements import parse_one, prepare_ast

    text, opts = rewrite_identity(sql)
    if not opts:
        return None
    node = parse_one(text)
    attach_identity_options(node, opts)
    return prepare_ast(session, sql, node, param_oids)


def default_nextval(session: Any, name: str) -> Any:
    """The default of a serial/identity column: the sequence's next value, remembered for currval/lastval."""
    reg = session.db.registry
    key = reg.seq_key(name)

    def next_value(r: Any, st: Any) -> int:
        v = int(reg.nextval(key))
        vals = getattr(session, "_rem_seq_values", None)
        if vals is None:
            vals = {}
            try:
                session._rem_seq_values = vals
            except AttributeError:
                return v
        vals[key] = v
        vals["\x00last"] = v
        vals["\x00lastkey"] = key
        return v
    return next_value
