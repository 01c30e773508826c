"""How the CLI reaches the database: one ``run(sql, params)`` over two backends.

* :class:`ServerClient` — a running REM server, over the wire with psycopg (``--dsn`` / ``P8_DSN``, or the
  address a server recorded in ``<data dir>/server.json`` while it holds the data dir).
* :class:`LocalClient` — the data dir opened in this process through the engine's Session API.

Parameters are JSON-shaped Python values (str, int, float, bool, None, dict, list); each backend learns the
types the statement expects for ``$n`` and converts them (:func:`adapt`), so both give the same result.
"""

from __future__ import annotations

import decimal
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine import types as T
from engine.errors import InvalidTextRepresentation, ObjectInUse, RemError, error
from engine.settings import Settings

_TEXTISH = {T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.UNKNOWN, 0, T.CHAR}


@dataclass
class Result:
    """One statement's outcome: column names and type OIDs, rows, command tag."""

    columns: list[str] = field(default_factory=list)
    type_oids: list[int] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    tag: str = ""

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``columns, rows``."""
        yield self.columns
        yield self.rows

    @property
    def has_rows(self) -> bool:
        return bool(self.columns)


class Client(Protocol):
    """What every CLI command uses."""

    mode: str  # 'server' | 'local'
    where: str  # human description of the target

    def run(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement (``$n`` placeholders take ``params``)."""

    def run_script(self, sql: str) -> list[Result]:
        """Run every statement of ``sql`` in order (simple-query semantics)."""

    def close(self) -> None: ...


def adapt(value: Any, oid: int) -> Any:
    """A JSON-shaped value as the Python value of SQL type ``oid`` (see :mod:`engine.types`)."""
    from engine.textio import parse_text

    if value is None:
        return None
    if oid in (T.JSON, T.JSONB):
        return value
    if oid in _TEXTISH:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    elem = T.element_of(oid)
    if elem and isinstance(value, list):
        return [adapt(v, elem) for v in value]
    if oid == T.VECTOR and isinstance(value, list):
        import numpy as np

        return np.asarray(value, dtype=np.float32)
    if isinstance(value, bool):
        return value if oid == T.BOOL else parse_text(oid, "true" if value else "false")
    if isinstance(value, int | float) and oid in (T.INT2, T.INT4, T.INT8, T.OID):
        if isinstance(value, float) and not value.is_integer():
            raise InvalidTextRepresentation(f'invalid input syntax for type {T.by_oid(oid).name}: "{value}"')
        return int(value)
    if isinstance(value, int | float) and oid in (T.FLOAT4, T.FLOAT8):
        return float(value)
    if isinstance(value, int | float) and oid == T.NUMERIC:
        return decimal.Decimal(str(value))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return parse_text(oid, text)


def running_server(data_dir: Path) -> dict[str, Any] | None:
    """The address a live server recorded in ``data_dir/server.json`` (None if none or its process is gone)."""
    try:
        info = json.loads((data_dir / "server.json").read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return info


class LocalClient:
    """The data dir opened in this process (holds its lock until :meth:`close`)."""

    mode = "local"

    def __init__(self, settings: Settings) -> None:
        from engine.database import open_database

        self.where = str(settings.data_dir)
        try:
            self.db = open_database(settings)
        except RemError as e:
            if e.sqlstate in ("55006", "55P03") or "lock" in e.message.lower():
                raise ObjectInUse(
                    f'data dir "{settings.data_dir}" is in use by another process',
                    hint="stop that process, or run `rem serve` and the CLI will talk to the server",
                ) from None
            raise
        self.session = self.db.session(user=settings.admin_user, database="rem", params={"application_name": "rem"})

    def run(self, sql: str, params: Sequence[Any] = ()) -> Result:
        prepared = self.session.prepare(sql, [0] * len(params))
        values = [adapt(v, oid) for v, oid in zip(params, prepared.param_oids, strict=False)]
        return self._collect(self.session.execute(prepared, values))

    def run_script(self, sql: str) -> list[Result]:
        out = []
        for stmt in self.session.split(sql):
            prepared = self.session.prepare(stmt)
            out.append(self._collect(self.session.execute(prepared, [])))
        return out

    @staticmethod
    def _collect(r: Any) -> Result:
        rows = list(r.rows)
        cols = r.columns or []
        tag = f"{r.tag} {len(rows)}" if r.tag_counts_rows else r.tag
        return Result([c.name for c in cols], [c.type_oid for c in cols], rows, tag)

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            self.db.close()


class ServerClient:
    """A REM server over the wire (psycopg 3, autocommit)."""

    mode = "server"

    def __init__(self, dsn: str, settings: Settings) -> None:
        import psycopg

        self.where = dsn
        kw: dict[str, Any] = {"autocommit": True, "application_name": "rem",
                              "cursor_factory": psycopg.RawCursor}  # PostgreSQL's own $n placeholders
        if "user=" not in dsn and "@" not in dsn:
            kw["user"] = settings.admin_user
        if "dbname=" not in dsn and "://" not in dsn:
            kw["dbname"] = "rem"
        if settings.admin_password and "password" not in dsn:
            kw["password"] = settings.admin_password
        try:
            self.conn = psycopg.connect(dsn, **kw)
        except psycopg.Error as e:
            raise _rem_error(e, f"could not connect to the REM server ({dsn})") from None
        self._oids: dict[str, list[int]] = {}

    def _param_oids(self, sql: str) -> list[int]:
        from psycopg import pq

        if sql not in self._oids:
            pg = self.conn.pgconn
            res = pg.prepare(b"", sql.encode(), None)
            if res.status == pq.ExecStatus.COMMAND_OK:
                res = pg.describe_prepared(b"")
            if res.status != pq.ExecStatus.COMMAND_OK:
                code = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"XX000").decode()
                msg = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
                hint = res.error_field(pq.DiagnosticField.MESSAGE_HINT)
                raise error(code, msg, hint=hint.decode() if hint else None)
            self._oids[sql] = [res.param_type(i) for i in range(res.nparams)]
        return self._oids[sql]

    def run(self, sql: str, params: Sequence[Any] = ()) -> Result:
        import psycopg
        from psycopg.types.json import Json, Jsonb

        values: list[Any] = []
        if params:
            for v, oid in zip(params, self._param_oids(sql), strict=False):
                a = adapt(v, oid)
                if a is not None and oid == T.JSONB:
                    a = Jsonb(a)
                elif a is not None and oid == T.JSON:
                    a = Json(a)
                values.append(a)
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, values or None, prepare=False)
                return self._collect(cur)
        except psycopg.Error as e:
            raise _rem_error(e) from None

    def run_script(self, sql: str) -> list[Result]:
        import psycopg

        out = []
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.encode(), prepare=False)
                while True:
                    out.append(self._collect(cur))
                    if not cur.nextset():
                        break
        except psycopg.Error as e:
            raise _rem_error(e) from None
        return out

    @staticmethod
    def _collect(cur: Any) -> Result:
        desc = cur.description
        if not desc:
            return Result(tag=cur.statusmessage or "")
        rows = [tuple(r) for r in cur.fetchall()]
        return Result([d.name for d in desc], [d.type_code for d in desc], rows, cur.statusmessage or "")

    def close(self) -> None:
        self.conn.close()


def _rem_error(e: Any, fallback: str = "") -> RemError:
    diag = getattr(e, "diag", None)
    code = getattr(diag, "sqlstate", None) or getattr(e, "sqlstate", None) or "08006"
    msg = getattr(diag, "message_primary", None) or str(e).strip() or fallback
    if fallback and code == "08006":
        msg = f"{fallback}: {str(e).strip().splitlines()[0] if str(e).strip() else 'connection failed'}"
    return error(code, msg, hint=getattr(diag, "message_hint", None))


def connect(path: str | Path | None = None, dsn: str | None = None, settings: Settings | None = None) -> Client:
    """The client for these options: ``dsn`` (or P8_DSN) → that server; a live server on the data dir → it;
    otherwise the data dir opened in-process."""
    s = settings or Settings.from_env()
    if path:
        s.data_dir = Path(path).expanduser()
    dsn = dsn or s.dsn
    if dsn:
        return ServerClient(dsn, s)
    info = running_server(s.data_dir)
    if info:
        host = info.get("host", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "", None) else host
        return ServerClient(f"host={host} port={int(info['port'])}", s)
    return LocalClient(s)

