"""RemSession: one client session behind the Session API (engine.api): GUCs, transaction state, the prepared
plan cache, cursors, cancel and statement_timeout. Statements are prepared by engine.sql.statements."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from engine import types as T
from engine.api import Column, CopySpec, Notice, Result
from engine.errors import (
    FeatureNotSupported,
    InFailedSqlTransaction,
    InternalError,
    QueryCanceled,
    RemError,
)
from engine.guc import GucState
from engine.sql.direct import attach as _attach_direct
from engine.sql.statements import Statement, first_word, prepare_statement
from engine.textio import parse_int

_pids = itertools.count(1000)
_CACHE_SIZE = 512
_FAILED_OK = frozenset({"ROLLBACK", "ABORT", "COMMIT", "END"})
_UNSAFE = "unsafe-template"
_TEMPLATE_KINDS = frozenset({"select", "insert", "update", "delete"})
_LIFTED_TYPES = frozenset({T.INT2, T.INT4, T.INT8, T.TEXT, T.VARCHAR, T.NAME})


def bind_literals(oids: Sequence[int], values: Sequence[int | str]) -> list[Any] | None:
    """Literal values as parameters of the template's types (strings through the type's input function);
    None when one does not convert (the full parse then reports the error as PostgreSQL would)."""
    out: list[Any] = []
    for oid, v in zip(oids, values, strict=True):
        if isinstance(v, str) and oid in (T.INT2, T.INT4, T.INT8):
            try:
                v = parse_int(v, oid)
            except RemError:
                return None
        elif isinstance(v, int) and oid not in (T.INT4, T.INT8):
            return None
        out.append(v)
    return out


try:  # reg* casts ('t'::regclass) resolve names in the context bound here (engine.catalog)
    from engine.catalog.regcasts import bind as _bind_catalog
except ImportError:  # pragma: no cover - catalog not installed
    _bind_catalog = None


class NotifyQueue(list):  # type: ignore[type-arg]
    """Notifications waiting to be sent to a session's client; ``waker`` (set by the wire layer) is called from
    the notifying thread so that an idle connection sends them at once."""

    waker: Any = None

    def append(self, item: Any) -> None:
        super().append(item)
        w = self.waker
        if w is not None:
            try:
                w()
            except Exception:  # noqa: BLE001 - a closed connection must not fail the notifier
                pass

    def take(self) -> list[Any]:
        n = len(self)
        out = self[:n]
        del self[:n]  # appended meanwhile: kept for the next take
        return out


class ExecCtx:
    """The per-statement context (engine.context.ExecContext) given to functions and virtual tables."""

    def __init__(self, session: RemSession, txn: Any) -> None:
        self.session = session
        self.db = session.db
        self.txn = txn
        self.txn_start = session.txn_start
        self.notices: list[Notice] = session._notices
        if _bind_catalog is not None:
            _bind_catalog(self)

    def check_interrupts(self) -> None:
        self.session.check_interrupts()

    def notice(self, message: str, **kw: Any) -> None:
        self.notices.append(Notice(message, **kw))


class Cursor:
    """A DECLAREd cursor: materialized rows and a position."""

    def __init__(self, name: str, columns: list[Column], rows: list[tuple[Any, ...]], hold: bool,
                 scroll: bool) -> None:
        self.name, self.columns, self.rows, self.hold, self.scroll = name, columns, rows, hold, scroll
        self.pos = 0  # rows before pos have been fetched


class RemSession:
    """One client session (implements engine.api.Session)."""

    normalize_literals = True  # reuse plans of simple-query statements that differ only in literals

    def __init__(self, db: Any, user: str, database: str, params: dict[str, str] | None = None) -> None:
        self.db = db
        self.user = user
        self.database = database
        self.process_id = next(_pids)
        self.secret_key = secrets.randbits(31)
        overrides = dict(getattr(db, "guc_defaults", {}) or {})
        overrides["session_authorization"] = user
        for k, v in (params or {}).items():
            if k not in ("user", "database", "replication"):
                overrides[k] = v
        if k := (params or {}).get("options"):
            del k
        self.guc = GucState.initial(overrides)
        from engine.guc import GUCS
        for k in ("session_authorization", "is_superuser", "server_version"):
            if k in overrides and k in GUCS:
                self.guc.values[k] = overrides[k]
        self.guc.changed.clear()
        self.transaction_status = "I"
        self.txn: Any = None  # the explicit transaction's store Txn
        self.txn_start: dt.datetime | None = None
        self.savepoints: list[str] = []
        self.cursors: dict[str, Cursor] = {}
        self.sql_prepared: dict[str, Statement] = {}  # PREPARE name AS …
        self.named_statements: dict[str, Any] = {}  # protocol-level statements the wire layer registers
        self.listening: set[str] = set()
        self.notifications: NotifyQueue = NotifyQueue()  # delivered to this session, not yet sent
        self._pending_notifies: list[tuple[str, str]] = []  # NOTIFYs of the open transaction block
        self._cache: OrderedDict[tuple[str, tuple[int, ...]], Statement] = OrderedDict()
        self._templates: OrderedDict[tuple[str, tuple[int, ...]], Statement] = OrderedDict()
        self._cancel = threading.Event()
        self._deadline: float | None = None
        self._notices: list[Notice] = []
        self._running = False
        self._implicit = False  # self.txn is the extended protocol's implicit transaction (up to Sync)
        self._ro_txn: Any = None  # the reused store transaction of statements that do not write (with_txn)
        self._ro_busy = False  # a statement is running in it (a nested one gets its own)
        self._casts: tuple[Any, Any, str, str, int] | None = None  # _cast_memo
        self.closed = False

    # ------------------------------------------------------------------ Session API
    def split(self, sql: str) -> list[str]:
        from engine.sql.lexer import split

        return split(sql)

    def prepare(self, sql: str, param_oids: Sequence[int] = ()) -> Statement:
        key = (sql, tuple(param_oids))
        st = self._cache.get(key)
        version = self.plan_version()
        if self.transaction_status == "E" and not (st.allowed_in_failed if st is not None
                                                   else first_word(sql) in _FAILED_OK):
            raise InFailedSqlTransaction("current transaction is aborted, commands ignored until end of transaction block")
        if st is not None and st.version == version:
            self._cache.move_to_end(key)
            return st
        if not param_oids and self.normalize_literals:
            st = self._prepare_normalized(sql, version)
            if st is not None:
                self._remember(key, st)
                return st
        if _bind_catalog is not None:
            _bind_catalog(ExecCtx(self, self.txn))
        try:
            st = prepare_statement(self, sql, list(param_oids))
        except RemError:
            self._fail()
            raise
        except RecursionError:
            self._fail()
            from engine.errors import ProgramLimitExceeded
            raise ProgramLimitExceeded("stack depth limit exceeded") from None
        except Exception as e:  # noqa: BLE001
            self._fail()
            import logging
            logging.getLogger("rem.engine").exception("internal error preparing %r", sql)
            raise InternalError(f"internal error: {type(e).__name__}: {e}") from e
        st.version = version
        _attach_direct(self, st)
        if st.cacheable:
            self._remember(key, st)
        return st

    def _remember(self, key: tuple[str, tuple[int, ...]], st: Statement) -> None:
        self._cache[key] = st
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def _prepare_normalized(self, sql: str, version: int) -> Statement | None:
        """``sql`` with its literals bound as parameters of a cached template plan (engine.sql.normalize), or
        None when the statement has no liftable literal or the template cannot stand for it."""
        from engine.sql.normalize import normalize

        norm = normalize(sql)
        if norm is None:
            return None
        tkey = (norm.template, norm.param_oids)
        tpl = self._templates.get(tkey)
        if tpl is None or tpl.version != version:
            tpl = self._plan_template(norm.template, list(norm.param_oids), version)
            self._templates[tkey] = tpl
            if len(self._templates) > _CACHE_SIZE:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(tkey)
        if tpl.kind == _UNSAFE:
            return None
        values = bind_literals(tpl.param_oids, norm.values)
        if values is None:
            return None
        run = tpl.run

        def bound(sess: Any, txn: Any, params: list[Any]) -> Result:
            return run(sess, txn, values)

        st = object.__new__(Statement)  # a shallow copy (dataclasses.replace re-runs __init__: slower)
        st.__dict__.update(tpl.__dict__)
        st.sql, st.param_oids, st.given_oids, st.run = sql, [], [], bound
        return st

    def _plan_template(self, template: str, oids: list[int], version: int) -> Statement:
        """The plan of a literal-free template; a marker statement (kind _UNSAFE) when it cannot be used."""
        if _bind_catalog is not None:
            _bind_catalog(ExecCtx(self, self.txn))
        try:
            tpl = prepare_statement(self, template, oids)
        except (RemError, RecursionError):
            tpl = None
        except Exception:  # noqa: BLE001 - the full path reports whatever this was
            tpl = None
        ok = (tpl is not None and tpl.cacheable and tpl.kind in _TEMPLATE_KINDS and not tpl.is_empty
              and len(tpl.param_oids) == len(oids)
              and all(o in _LIFTED_TYPES for o in tpl.param_oids))
        if not ok:
            tpl = Statement(template, [], None, kind=_UNSAFE)
        assert tpl is not None
        _attach_direct(self, tpl)
        tpl.version = version
        return tpl

    def execute(self, prepared: Any, params: Sequence[Any] = ()) -> Result:
        st: Statement = prepared
        if st.is_empty:
            return Result(tag="")
        if self.transaction_status == "E" and not st.allowed_in_failed:
            raise InFailedSqlTransaction("current transaction is aborted, commands ignored until end of transaction block")
        if st.version != self.plan_version() and st.replannable:
            st = self._replan(st)
        self._begin_statement()
        try:
            res = self._run(st, list(params))
        except RemError as e:
            self._fail()
            raise e
        except RecursionError:
            self._fail()
            from engine.errors import ProgramLimitExceeded
            raise ProgramLimitExceeded("stack depth limit exceeded") from None
        except Exception as e:  # noqa: BLE001 - never let a bare exception cross the Session API
            self._fail()
            import logging
            logging.getLogger("rem.engine").exception("internal error executing %r", st.sql)
            raise InternalError(f"internal error: {type(e).__name__}: {e}") from e
        finally:
            self._running = False
            self._deadline = None
        if self._notices:
            res.notices = self._notices + res.notices
            self._notices = []
        return res

    def read_direct(self, prepared: Any, params: Sequence[Any]) -> Sequence[tuple[Any, ...]] | None:
        """The rows of a prepared statement with a direct reader (``prepared.direct``: a point get by key,
        engine.sql.pointget, or a traversal, engine.graph.direct) executed outside any transaction, read in the
        session's reused read-only transaction with a fresh view. None when ``execute`` must run it instead (no
        direct reader, a transaction open, a stale plan, a pending cancel, anything the reader leaves to the
        general plan). Optional wire-layer hook."""
        d = getattr(prepared, "direct", None)
        if (d is None or self.txn is not None or self.transaction_status != "I" or self._cancel.is_set()
                or prepared.version != self.plan_version()):
            return None
        txn = self._ro_txn
        if txn is None or txn.closed or self._ro_busy:
            store = getattr(self.db, "store", None)
            if store is None:
                return None
            txn = self._ro_txn = store.begin()  # what _read_txn reuses: it never writes here
        try:
            return d.rows(self, txn, params)  # type: ignore[no-any-return]
        finally:
            txn.new_statement()  # drop the view: no snapshot stays pinned between reads

    def copy_in(self, spec: CopySpec, rows: Sequence[tuple[Any, ...]]) -> Result:
        from engine.sql.dml import copy_in

        if self.transaction_status == "E":
            raise InFailedSqlTransaction("current transaction is aborted, commands ignored until end of transaction block")
        self._begin_statement()
        try:
            return self.with_txn(lambda txn: copy_in(self, txn, spec, rows), writes=True)
        except RemError:
            self._fail()
            raise
        except Exception as e:  # noqa: BLE001
            self._fail()
            raise InternalError(f"internal error: {type(e).__name__}: {e}") from e
        finally:
            self._running = False
            self._deadline = None

    def parameter_status(self) -> dict[str, str]:
        return self.guc.reportable()

    def take_parameter_changes(self) -> dict[str, str]:
        return self.guc.take_changes() if self.guc.changed else {}

    def get_setting(self, name: str) -> str:
        if name == "TimeZone":  # read for every statement (engine.sql.scope): skip the name folding
            tz = self._guc("timezone")
            if tz is not None:
                return tz
        return self.guc.show(name)

    def _guc(self, key: str) -> str | None:
        """A plain setting by its canonical lower-case name, without GucState.get's name folding (hot paths)."""
        g = self.guc
        v = g.local.get(key)
        return v if v is not None else g.values.get(key)

    def set_setting(self, name: str, value: str | None, local: bool = False) -> None:
        self.guc.set(name, value, local=local, in_txn=self.transaction_status != "I")
        self._on_setting(name)

    def setting_names(self) -> list[str]:
        from engine.guc import GUCS

        return [g.name for g in GUCS.values()]

    def cancel(self) -> None:
        self._cancel.set()

    def take_notifications(self) -> list[tuple[int, str, str]]:
        """NOTIFY messages for this session's LISTEN channels since the last call: (sender pid, channel, payload).

        Optional protocol hook: the wire layer sends them as NotificationResponse when the session is idle."""
        q = self.notifications
        if not isinstance(q, NotifyQueue):  # replaced by someone: keep working
            out = list(q or [])
            self.notifications = NotifyQueue()
            return out
        return q.take()

    def queue_notify(self, channel: str, payload: str) -> None:
        """NOTIFY: delivered to the listeners now (autocommit) or when the transaction block commits."""
        if len(payload.encode()) >= 8000:
            from engine.errors import InvalidParameterValue

            raise InvalidParameterValue("payload string too long")
        if self.transaction_status == "I":
            self._deliver_notifies([(channel, payload)])
        elif (channel, payload) not in self._pending_notifies:  # PostgreSQL folds duplicates of a transaction
            self._pending_notifies.append((channel, payload))

    def _deliver_notifies(self, items: list[tuple[str, str]]) -> None:
        hub = getattr(self.db, "notify", None)
        if hub is None:
            return
        for channel, payload in items:
            hub(self, channel, payload)

    def fail_transaction(self) -> None:
        """An error outside the engine (protocol layer) inside a transaction block: the block fails."""
        self._fail()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.txn is not None:
            try:
                self.txn.rollback()
            except Exception:  # noqa: BLE001 - closing: nothing to report to
                pass
        try:
            from engine.schema import journal

            journal.finish(self, False)  # DDL of a transaction block left open is undone, as at ROLLBACK
        except Exception:  # noqa: BLE001 - closing: nothing to report to
            pass
        self.txn = None
        self._implicit = False
        self._ro_txn = None
        if getattr(self, "temp_schema", None):
            from engine.sql.temp_relations import drop_session_temps

            drop_session_temps(self)
        self.cursors.clear()
        self.sql_prepared.clear()
        self._cache.clear()
        self._templates.clear()
        unregister = getattr(self.db, "unregister_session", None)
        if unregister:
            unregister(self)

    # ------------------------------------------------------------------ internals
    def schema_version(self) -> int:
        return int(getattr(self.db, "schema_version", 0))

    def plan_version(self) -> int:
        """What cached plans depend on: the schema version and the TimeZone (literals cast to timestamptz are
        folded at plan time)."""
        return self.schema_version() ^ self._cast_memo()[4]

    def cast_settings(self) -> tuple[str, str]:
        """(TimeZone, DateStyle's field order MDY/DMY/YMD) that casts of the next statement use (ExecState);
        derived once per pair of stored values, so a SET (or its rollback) is seen by the next statement."""
        m = self._cast_memo()
        return m[2], m[3]

    def _cast_memo(self) -> tuple[Any, Any, str, str, int]:
        """(stored TimeZone, stored DateStyle, TimeZone, date field order, plan-version bits), remembered for
        the stored values it was derived from."""
        tz, ds = self._guc("timezone"), self._guc("datestyle")
        m = self._casts
        if m is not None and m[0] == tz and m[1] == ds:
            return m
        tzn, dsn = tz or "UTC", ds or "ISO, MDY"
        bits = 0 if tzn == "UTC" and dsn == "ISO, MDY" else zlib.crc32(f"{tzn}|{dsn}".encode()) << 40
        try:  # what the casts used before: the settings as SHOW gives them
            zone: str | None = self.get_setting("TimeZone")
            shown: str | None = self.get_setting("DateStyle")
        except Exception:  # noqa: BLE001 - unreadable settings cast in UTC, MDY
            zone = shown = None
        from engine.sql.casts import date_order

        m = self._casts = (tz, ds, zone or "UTC", date_order(shown), bits)
        return m

    def _replan(self, st: Statement) -> Statement:
        new = prepare_statement(self, st.sql, list(st.param_oids))
        if st.fixed_result and st.columns is not None and [(c.name, c.type_oid) for c in st.columns] != \
                [(c.name, c.type_oid) for c in new.columns or []]:
            raise FeatureNotSupported("cached plan must not change result type")
        new.version = self.plan_version()
        _attach_direct(self, new)
        if st.fixed_result:  # a named statement's own object: its holders (the wire layer) see the new plan
            new.fixed_result = True
            vars(st).clear()
            vars(st).update(vars(new))
            return st
        key = (st.sql, tuple(st.given_oids))
        if key in self._cache:
            self._cache[key] = new
        return new

    def _on_setting(self, name: str) -> None:
        pass

    def _begin_statement(self) -> None:
        if self._cancel.is_set():  # a cancel that arrived between statements is dropped
            self._cancel.clear()
        self._running = True
        ms = int(self._guc("statement_timeout") or 0)
        self._deadline = time.monotonic() + ms / 1000 if ms > 0 else None
        if self.txn is None:
            self.txn_start = dt.datetime.now(dt.UTC)

    def check_interrupts(self) -> None:
        if self._cancel.is_set():
            self._cancel.clear()
            raise QueryCanceled("canceling statement due to user request")
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise QueryCanceled("canceling statement due to statement timeout")

    def sleep(self, seconds: float) -> None:
        """pg_sleep: sleep in small slices, honouring cancel and statement_timeout."""
        end = time.monotonic() + max(0.0, seconds)
        while True:
            self.check_interrupts()
            left = end - time.monotonic()
            if left <= 0:
                return
            wait = min(left, 0.05)
            if self._deadline is not None:
                wait = max(0.0, min(wait, self._deadline - time.monotonic() + 0.001))
            self._cancel.wait(wait)

    def _fail(self) -> None:
        if self.transaction_status == "T":
            self.transaction_status = "E"

    def _run(self, st: Statement, params: list[Any]) -> Result:
        self.check_interrupts()
        if st.writes and self.guc.get("transaction_read_only", missing_ok=True) == "on":
            from engine.errors import ReadOnlySqlTransaction

            words = st.sql.split()
            what = st.kind.upper() if st.kind in ("insert", "update", "delete") else " ".join(words[:2]).upper()
            raise ReadOnlySqlTransaction(f"cannot execute {what} in a read-only transaction")
        if st.needs_txn:
            return self.with_txn(lambda txn: st.run(self, txn, params), writes=st.writes)
        return st.run(self, None, params)

    def with_txn(self, fn: Any, writes: bool = False) -> Any:
        """Run ``fn(txn)`` in the open transaction, or in a one-statement transaction (autocommit)."""
        store = getattr(self.db, "store", None)
        if self.txn is not None:
            nxt = getattr(self.txn, "new_statement", None)
            if nxt:
                nxt()
            return fn(self.txn)
        if store is None:
            return fn(None)
        if not writes:
            return self._read_txn(store, fn)
        txn = store.begin()
        try:
            out = fn(txn)
            self._commit_txn(txn)
            return out
        except BaseException:
            txn.rollback()
            raise

    def _read_txn(self, store: Any, fn: Any) -> Any:
        """``fn(txn)`` for a statement that does not declare writes, outside any transaction: in a reused store
        transaction (no begin/commit per statement). ``recycle`` afterwards drops its view, so the next statement
        takes a new snapshot (every commit acknowledged before it started); if it wrote after all (a SELECT of a
        writing function) it is committed (rolled back on an error) and not reused, as a one-statement one."""
        txn = self._ro_txn
        if txn is None or txn.closed or self._ro_busy:
            txn = store.begin()
        nested, self._ro_busy = self._ro_busy, True
        ok = False
        try:
            out = fn(txn)
            ok = True
        finally:
            self._ro_busy = nested
            recycle = getattr(txn, "recycle", None)
            if recycle is not None and recycle():
                if nested:
                    txn.rollback()
                else:
                    self._ro_txn = txn
            else:
                if txn is self._ro_txn:
                    self._ro_txn = None
                if not ok:
                    txn.rollback()
                else:
                    try:
                        self._commit_txn(txn)
                    except BaseException:
                        txn.rollback()
                        raise
        return out

    # the extended protocol's implicit transaction (optional hooks of engine.api.Session, called by the wire layer)
    def begin_implicit(self) -> None:
        """Statements executed from now until ``end_implicit`` (the client's Sync) share one store transaction,
        as PostgreSQL runs every Execute up to Sync in one implicit transaction: one commit for a pipelined
        executemany, and an error rolls back the statements before it."""
        if self.txn is not None or self.transaction_status != "I":
            return
        store = getattr(self.db, "store", None)
        if store is None:
            return
        self.txn = store.begin()
        self.txn_start = dt.datetime.now(dt.UTC)
        self._implicit = True

    def end_implicit(self, commit: bool) -> None:
        """Commit (at Sync, or before a statement that must not run in it) or roll back (on an error) the
        implicit transaction; nothing when none is open."""
        if not self._implicit:
            return
        self._implicit = False
        txn, self.txn = self.txn, None
        if txn is None:
            return
        if commit:
            try:
                self._commit_txn(txn)
            except BaseException:
                txn.rollback()
                raise
        else:
            txn.rollback()

    # transaction control (used by engine.sql.utility)
    def begin(self) -> None:
        store = getattr(self.db, "store", None)
        if self._implicit:  # BEGIN in a pipeline: the implicit transaction becomes the block (PostgreSQL)
            self._implicit = False
        else:
            self.txn = store.begin() if store is not None else None
        self.transaction_status = "T"
        self.txn_start = dt.datetime.now(dt.UTC)
        self.savepoints = []
        self.guc.begin()

    def _commit_txn(self, txn: Any) -> None:
        """Commit a store transaction; ``synchronous_commit`` (off/local/on/…) decides whether it waits for fsync."""
        if hasattr(txn, "synchronous_commit") and getattr(txn, "has_writes", True):
            v = (self._guc("synchronous_commit") or "").lower()
            txn.synchronous_commit = None if not v else v != "off"
        txn.commit()

    def end(self, commit: bool) -> None:
        txn, self.txn = self.txn, None
        pending, self._pending_notifies = self._pending_notifies, []
        try:
            if txn is not None:
                if commit:
                    self._commit_txn(txn)
                else:
                    txn.rollback()
            if commit and pending:
                self._deliver_notifies(pending)  # only once the transaction is committed
        finally:
            self.transaction_status = "I"
            self.savepoints = []
            self.guc.end(commit)
            for name in [n for n, c in self.cursors.items() if not c.hold]:
                del self.cursors[name]
