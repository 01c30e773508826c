"""One client connection's protocol state machine (sans-I/O): bytes in, bytes out.

``Connection.feed(data)`` decodes every complete message, runs it against the engine Session (blocking; the
server calls it from a worker thread) and returns the bytes to send. Large outputs may be handed to ``sink``
on the way. The transitions (see docs/protocol.md)::

    STARTUP        --SSLRequest--> STARTUP ('S' and TLS handshake with a certificate, else 'N')
    STARTUP        --GSSENCRequest--> STARTUP ('N')
    STARTUP        --CancelRequest--> CLOSED
    STARTUP        --StartupMessage--> AUTHENTICATING | READY
    AUTHENTICATING --PasswordMessage (done)--> READY
    READY          --Query/Parse/Bind/Describe/Execute/Close/Flush--> READY
    READY          --error in an extended-query message--> AWAITING_SYNC
    READY          --COPY FROM STDIN--> COPY_IN --CopyDone/CopyFail--> READY (simple: rest of the query, RFQ)
    AWAITING_SYNC  --Sync--> READY;  other messages are discarded
    any            --Terminate / framing fault / FATAL--> CLOSED
"""

from __future__ import annotations

import copy
import enum
import logging
import struct
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from engine.api import CopySpec, Database, Prepared, Result, Session
from engine.errors import (
    DuplicateCursor,
    DuplicatePreparedStatement,
    FeatureNotSupported,
    InvalidAuthorizationSpecification,
    InvalidBinaryRepresentation,
    InvalidCursorName,
    InvalidSqlStatementName,
    ProtocolViolation,
    QueryCanceled,
    RemError,
)
from engine.sql.statements import first_word
from remwire import copy as copyfmt
from remwire import pgtypes
from remwire.auth import Authenticator, make_authenticator
from remwire.errors import error_response, notice_response
from remwire.protocol import messages as m
from remwire.protocol.codec import BindParts, FramingError, FrontendReader, split_bind
from remwire.results import (
    PORTAL_SUSPENDED,
    ResultWriter,
    cell_data_rows,
    command_complete,
    data_row_encoder,
    describe,
    encoders_for,
    resolve_formats,
    row_description,
)
from remwire.timer import TimerHandle, call_later

log = logging.getLogger("remwire")

_PARSE_COMPLETE = m.ParseComplete().encode()
_BIND_COMPLETE = m.BindComplete().encode()
_CLOSE_COMPLETE = m.CloseComplete().encode()
_EMPTY_QUERY = m.EmptyQueryResponse().encode()
_SELECT_1 = command_complete("SELECT 1")
_RFQ = {s: m.ReadyForQuery(s).encode() for s in "ITE"}
_FLUSH_BYTES = 1 << 18
# what libpq sends after the Bind of a prepared execution (PQsendQueryPrepared): Describe portal "", Execute "" (all
# rows), Sync
_PREPARED_TAIL = b"D\0\0\0\x06P\0" + b"E\0\0\0\x09\0\0\0\0\0" + b"S\0\0\0\x04"
_I32 = struct.Struct("!i")
_UTF8_NAMES = {"utf8", "utf-8", "unicode"}
# tags of statements that may change settings (SET LOCAL and settings in a transaction end with it)
_GUC_TAGS = frozenset({"SET", "RESET", "DISCARD ALL", "COMMIT", "ROLLBACK", "RELEASE", "SAVEPOINT", "BEGIN",
                       "START TRANSACTION", "PREPARE TRANSACTION"})


class ConnState(enum.Enum):
    """Where a connection is in the protocol."""

    STARTUP = "startup"
    AUTHENTICATING = "authenticating"
    READY = "ready"
    COPY_IN = "copy_in"
    AWAITING_SYNC = "awaiting_sync"
    CLOSED = "closed"


class ClientGone(Exception):
    """Raised by a sink when the client disconnected while output was being streamed."""


class Portal:
    """A bound statement: parameters, result formats, and the result being streamed."""

    __slots__ = ("prepared", "params", "formats", "writer", "tag_done")

    def __init__(self, prepared: Prepared, params: list[Any], formats: Sequence[int]) -> None:
        self.prepared = prepared
        self.params = params
        self.formats = formats
        self.writer: ResultWriter | None = None
        self.tag_done: str | None = None


class CopyIn:
    """A COPY FROM STDIN in progress."""

    __slots__ = ("spec", "chunks", "extended")

    def __init__(self, spec: CopySpec, extended: bool) -> None:
        self.spec = spec
        self.chunks: list[bytes] = []
        self.extended = extended


def parse_options(options: str) -> dict[str, str]:
    """Settings from a startup ``options`` string (``-c key=value``, ``--key=value``; ``\\`` escapes)."""
    words, cur, esc = [], [], False
    for ch in options:
        if esc:
            cur.append(ch)
            esc = False
        elif ch == "\\":
            esc = True
        elif ch.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        w = words[i]
        kv = None
        if w == "-c" and i + 1 < len(words):
            kv = words[i + 1]
            i += 1
        elif w.startswith("-c"):
            kv = w[2:]
        elif w.startswith("--"):
            kv = w[2:]
        if kv and "=" in kv:
            k, v = kv.split("=", 1)
            out[k.replace("-", "_")] = v
        i += 1
    return out


def parse_timeout_ms(value: str) -> float:
    """Milliseconds of a duration GUC as SHOW prints it (``0``, ``150ms``, ``5s``, ``2min``, ``1h``)."""
    v = value.strip().lower()
    units = (("ms", 1.0), ("min", 60000.0), ("s", 1000.0), ("h", 3600000.0), ("d", 86400000.0), ("us", 0.001))
    for suffix, mult in units:
        if v.endswith(suffix):
            try:
                return float(v[: -len(suffix)].strip()) * mult
            except ValueError:
                return 0.0
    try:
        return float(v)
    except ValueError:
        return 0.0


class Connection:
    """Protocol state for one client; ``feed`` bytes, get bytes back."""

    def __init__(self, db: Database, *, auth: str = "trust", max_message_size: int = 256 << 20,
                 sink: Callable[[bytes], None] | None = None, tls: bool = False,
                 on_notify: Callable[[], None] | None = None) -> None:
        self.db = db
        self.auth_method = auth
        self.tls = tls  # the server has a certificate: SSLRequest is answered 'S'
        self.tls_pending = False  # 'S' was sent: the I/O layer must start the TLS handshake before reading on
        self.tls_active = False
        self.on_notify = on_notify  # called (any thread) when a NOTIFY for this session arrives
        self.reader = FrontendReader(max_message_size)
        self.sink = sink
        self.state = ConnState.STARTUP
        self.session: Session | None = None
        self.auth: Authenticator | None = None
        self.user = ""
        self.database = ""
        self.startup_params: dict[str, str] = {}
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.pending: deque[str] = deque()
        self.copy: CopyIn | None = None
        self.out: list[bytes] = []
        self.out_size = 0
        self.text_opts: pgtypes.TextOptions = pgtypes.DEFAULT_TEXT_OPTIONS
        self._split_cache: dict[str, list[str]] = {}
        self._point_plans: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # Connection._point_plan by Bind shape
        self._timed_out = False
        self._timeout_ms: float | None = None  # cached statement_timeout; None: read it again
        self._lone = False  # running the single Execute of a Bind…Sync batch (_prepared_batch)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ driving

    @property
    def closed(self) -> bool:
        return self.state is ConnState.CLOSED

    def feed(self, data: bytes) -> bytes:
        """Process ``data`` (any split of the byte stream); returns what to send to the client."""
        with self._lock:
            reader = self.reader
            ready = ConnState.READY
            if (self.state is ready and data[:1] == b"B" and data.endswith(_PREPARED_TAIL) and not reader.pending
                    and not self.tls_pending):
                try:
                    if self._prepared_batch(data):
                        return self._take()
                except ClientGone:
                    self.state = ConnState.CLOSED
                    return self._take()
            reader.feed(data)
            try:
                while self.state is not ConnState.CLOSED and not self.tls_pending:
                    msg = reader.next()
                    if msg is None:
                        break
                    if self.state is ready:  # the common case inline: READY and an extended-query message
                        h = _EXTENDED_HANDLERS.get(type(msg))
                        if h is not None:
                            try:
                                h(self, msg)
                            except ClientGone:
                                raise
                            except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
                                self._error(e)
                                self.state = ConnState.AWAITING_SYNC
                                self._end_implicit(False)  # the error aborts the implicit transaction
                            continue
                    self._dispatch(msg)
            except FramingError as e:
                self._fatal(e)
            except ClientGone:
                self.state = ConnState.CLOSED
            return self._take()

    def _prepared_batch(self, data: bytes) -> bool:
        """Bind + Describe portal + Execute + Sync in one read (a prepared statement's execution by libpq), run
        without the message loop; exactly what the loop would do. False (nothing done): not that batch."""
        ln = _I32.unpack_from(data, 1)[0]
        if ln < 4 or ln > self.reader.max_message_size or 1 + ln + len(_PREPARED_TAIL) != len(data):
            return False
        try:
            parts = split_bind(data[5 : 1 + ln])
        except FramingError:
            return False  # the loop reports it
        if parts[0]:
            return False
        p = self.statements.get(parts[1])
        if p is not None and getattr(p, "direct", None) is not None and self._direct_batch(p, parts):
            return True
        if p is not None and p.kind == "select" and not p.writes and self._read_batch(p, parts):
            return True
        self._lone = True  # the only Execute before Sync: a read needs no implicit transaction (_implicit_txn)
        try:
            self._bind(m.Bind(*parts))
            portal = self.portals[""]
            cols = portal.prepared.columns
            self._send(describe(cols, portal.formats if cols is not None else None))
            self._execute(_EXECUTE_ALL)
        except ClientGone:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
            self._error(e)
            self._end_implicit(False)  # the error aborts the implicit transaction
        finally:
            self._lone = False
        if self.state is ConnState.READY:
            self._sync(_SYNC)
        elif self.state is not ConnState.CLOSED:
            self._dispatch(_SYNC)  # e.g. a COPY FROM STDIN started: the loop's state machine takes the Sync
        return True

    def _direct_batch(self, p: Prepared, parts: BindParts) -> bool:
        """A prepared statement with a direct reader (a point get by key, a traversal: ``Session.read_direct``)
        outside a transaction: its rows straight from the reader. False (nothing sent) whenever the general path
        must run it: an error of any kind (it reports it), a reader's None, a transaction open, a
        statement_timeout to arm."""
        s = self.session
        params = parts[3]
        if s is None or self._timeout_ms != 0.0 or len(params) != len(p.param_oids):
            return False
        try:
            plan, values = self._bound(p, parts)
            rows = s.read_direct(p, values)  # type: ignore[attr-defined]
            if rows is None:
                return False
            cells = getattr(rows, "text_cells", None) if plan[6] else None
            cols = cells(plan[5]) if cells is not None else None
            if cols is not None:  # a small column batch in text format: its DataRow cells
                n = len(cols[0])
                data = cell_data_rows(cols) if n else b""
                tag = command_complete(f"SELECT {n}")  # (cached per tag text)
            elif len(rows) == 1:
                data = plan[2](rows[0])
                tag = _SELECT_1
            else:
                out: list[bytes] = []
                w = ResultWriter(Result(tag="SELECT", columns=p.columns, rows=iter(rows), tag_counts_rows=True),
                                 plan[4], self.text_opts)
                tag = w.complete(w.write_rows(out))
                data = b"".join(out)
        except Exception:  # noqa: BLE001 - the general path runs it again and reports the error
            return False
        self.portals.clear()  # Sync outside a transaction block drops every portal
        self.out += (_BIND_COMPLETE, plan[3], data, tag)
        self._ready()
        return True

    def _read_batch(self, p: Prepared, parts: BindParts) -> bool:
        """A prepared SELECT that reads tables and declares no writes, outside a transaction: what the loop does
        (BindComplete, RowDescription, the rows, CommandComplete, ReadyForQuery; an error reported before
        ReadyForQuery) without Bind/Portal/Execute/Sync bookkeeping and without the implicit transaction (the
        statement runs in the session's read transaction). False (nothing sent): the loop must run it (a
        transaction open, a statement_timeout to arm, parameters it cannot decode, unusual formats)."""
        s = self.session
        params = parts[3]
        if (s is None or self._timeout_ms != 0.0 or p.columns is None or len(params) != len(p.param_oids)
                or s.transaction_status != "I" or getattr(s, "txn", None) is not None):
            return False
        try:
            plan, values = self._bound(p, parts)
        except Exception:  # noqa: BLE001 - the loop decodes them again and reports the error
            return False
        self.out += (_BIND_COMPLETE, plan[3])
        try:
            result = s.execute(p, values)
            if result.notices:
                self._notices(result)
            w = ResultWriter(result, plan[4], self.text_opts)
            n = w.write_rows(self.out, 0, self._maybe_flush)
            self._send(w.complete(n))
        except ClientGone:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
            self._error(e)
        self.portals.clear()  # Sync outside a transaction block drops every portal
        self._ready()
        return True

    def _bound(self, p: Prepared, parts: BindParts) -> tuple[tuple[Any, ...], list[Any]]:
        """The cached plan of ``p``'s Bind shape (see _point_plan) and the Bind's decoded parameter values."""
        key = (id(p), parts[2], parts[4], self.text_opts)
        plan = self._point_plans.get(key)
        if plan is None or plan[0] is not p:
            plan = self._point_plan(p, key, parts[2], parts[4])
        return plan, [None if raw is None else d(raw) for d, raw in zip(plan[1], parts[3], strict=True)]

    def _point_plan(self, p: Prepared, key: tuple[Any, ...], pfmts: Sequence[int], rfmts: Sequence[int]) -> tuple[Any, ...]:
        """(statement, parameter decoders, DataRow encoder, RowDescription, result formats, value encoders, all
        text?) of a prepared statement's Bind shape (a direct read's, or a read's: _read_batch)."""
        n = len(p.param_oids)
        if len(pfmts) not in (0, 1, n) or any(f not in (0, 1) for f in pfmts):
            raise ProtocolViolation("unsupported parameter formats")  # the general path says which
        tz = self.text_opts[1]
        decs = [pgtypes.decoder(o, pfmts[i] if len(pfmts) > 1 else (pfmts[0] if pfmts else 0), tz)
                for i, o in enumerate(p.param_oids)]
        cols = p.columns
        assert cols is not None
        fmts, encs = encoders_for(cols, rfmts, self.text_opts)
        plan = (p, decs, data_row_encoder(cols, rfmts, self.text_opts), row_description(cols, fmts),
                fmts, encs, not any(fmts))
        if len(self._point_plans) > 256:
            self._point_plans.clear()
        self._point_plans[key] = plan
        return plan

    def close(self) -> None:
        """End the session (rolls back an open transaction). Idempotent."""
        with self._lock:
            self.state = ConnState.CLOSED
            s, self.session = self.session, None
            self.portals.clear()
            self.statements.clear()
        if s is not None:
            try:
                s.close()
            except Exception:  # noqa: BLE001 - closing must not raise
                log.exception("error closing session")

    def cancel(self) -> None:
        """Cancel the running statement (from another thread)."""
        s = self.session
        if s is not None:
            s.cancel()

    def _take(self) -> bytes:
        data = b"".join(self.out)
        self.out.clear()
        self.out_size = 0
        return data

    def _send(self, data: bytes) -> None:
        self.out.append(data)

    def _maybe_flush(self) -> None:
        if self.sink is not None and len(self.out) > 64:
            data = self._take()
            if len(data) >= _FLUSH_BYTES:
                self.sink(data)
            else:
                self.out.append(data)

    def _fatal(self, exc: BaseException) -> None:
        self._send(error_response(exc, fatal=True).encode())
        self.state = ConnState.CLOSED

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, msg: m.FrontendMessage) -> None:
        st = self.state
        if st is ConnState.READY:
            h = _READY_HANDLERS.get(type(msg))
            if h is None:
                self._fatal(ProtocolViolation(f"unexpected message {type(msg).__name__}"))
                return
            if type(msg) in _EXTENDED:
                try:
                    h(self, msg)
                except ClientGone:
                    raise
                except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
                    self._error(e)
                    self.state = ConnState.AWAITING_SYNC
                    self._end_implicit(False)  # the error aborts the implicit transaction, as in PostgreSQL
            else:
                h(self, msg)
        elif st is ConnState.AWAITING_SYNC:
            if isinstance(msg, m.Sync):
                self.state = ConnState.READY
                self._sync(msg)
            elif isinstance(msg, m.Terminate):
                self.state = ConnState.CLOSED
        elif st is ConnState.COPY_IN:
            self._copy_message(msg)
        elif st is ConnState.STARTUP:
            self._startup_message(msg)
        elif st is ConnState.AUTHENTICATING:
            self._auth_message(msg)

    # ------------------------------------------------------------------ startup and authentication

    def _startup_message(self, msg: m.FrontendMessage) -> None:
        if isinstance(msg, m.SSLRequest) and self.tls and not self.tls_active:
            self._send(b"S")
            self.tls_pending = self.tls_active = True
            if self.reader.pending:
                self._fatal(ProtocolViolation("received unencrypted data after SSL request"))
        elif isinstance(msg, m.SSLRequest | m.GSSENCRequest):
            self._send(b"N")
        elif isinstance(msg, m.CancelRequest):
            try:
                self.db.cancel(msg.process_id, msg.secret_key)
            except Exception:  # noqa: BLE001 - a cancel request gets no answer either way
                log.exception("cancel request failed")
            self.state = ConnState.CLOSED
        elif isinstance(msg, m.StartupMessage):
            self._startup(msg)
        else:
            self._fatal(ProtocolViolation("unexpected message before startup"))

    def _startup(self, msg: m.StartupMessage) -> None:
        major, minor = msg.version >> 16, msg.version & 0xFFFF
        if major != 3:
            self._fatal(FeatureNotSupported(f"unsupported frontend protocol {major}.{minor}: "
                                            "server supports 3.0 to 3.0"))
            return
        self.reader.startup_done()
        params = dict(msg.params)
        pq_opts = tuple(k for k in params if k.startswith("_pq_."))
        if minor > 0 or pq_opts:
            self._send(m.NegotiateProtocolVersion(0, pq_opts).encode())
            for k in pq_opts:
                params.pop(k)
        user = params.pop("user", "")
        if not user:
            self._fatal(InvalidAuthorizationSpecification("no PostgreSQL user name specified in startup packet"))
            return
        database = params.pop("database", "") or user
        options = params.pop("options", "")
        params.pop("replication", None)
        if options:
            params.update(parse_options(options))
        enc = params.get("client_encoding")
        if enc is not None:
            enc = enc.strip().strip("'\"")
            params["client_encoding"] = "UTF8" if enc.lower() in _UTF8_NAMES else enc
        self.user, self.database, self.startup_params = user, database, params
        try:
            self.auth = make_authenticator(self.auth_method, self.db.get_role)
            first = self.auth.begin(user)
        except RemError as e:
            self._fatal(e)
            return
        if self.auth.done:
            self._authenticated()
        else:
            for a in first:
                self._send(a.encode())
            self.state = ConnState.AUTHENTICATING

    def _auth_message(self, msg: m.FrontendMessage) -> None:
        if not isinstance(msg, m.PasswordMessage) or self.auth is None:
            self._fatal(ProtocolViolation(f"expected password response, got {type(msg).__name__}"))
            return
        try:
            replies = self.auth.step(msg.data)
        except RemError as e:
            self._fatal(e)
            return
        for a in replies:
            self._send(a.encode())
        if self.auth.done:
            self._authenticated()

    def _authenticated(self) -> None:
        try:
            self.session = self.db.session(self.user, self.database, self.startup_params)
        except Exception as e:  # noqa: BLE001 - any failure here is FATAL for this connection
            self._fatal(e)
            return
        s = self.session
        queue = getattr(s, "notifications", None)
        if self.on_notify is not None and hasattr(queue, "waker"):
            queue.waker = self.on_notify  # type: ignore[union-attr]
        self._send(m.Authentication(m.AuthCode.OK).encode())
        status = s.parameter_status()
        for k, v in status.items():
            self._send(m.ParameterStatus(k, v).encode())
        s.take_parameter_changes()
        self._update_text_opts(status)
        self._send(m.BackendKeyData(s.process_id, s.secret_key).encode())
        self._send(_RFQ[s.transaction_status])
        self.state = ConnState.READY

    # ------------------------------------------------------------------ session helpers

    def _update_text_opts(self, changed: dict[str, str], refresh_float: bool = False) -> None:
        ds, tz, ivs, efd = self.text_opts
        ds = changed.get("DateStyle", ds)
        tz = changed.get("TimeZone", tz)
        ivs = changed.get("IntervalStyle", ivs)
        if refresh_float and self.session is not None:
            try:
                efd = int(self.session.get_setting("extra_float_digits"))
            except (RemError, ValueError):
                pass
        self.text_opts = (ds, tz, ivs, efd)

    def _push_parameter_changes(self, tag: str | None = None) -> None:
        """Send ParameterStatus for changed reportable settings; refresh cached settings after GUC commands.

        Called with the tag after each statement (only GUC-affecting tags do work) and with None before
        ReadyForQuery (always asks the engine).
        """
        assert self.session is not None
        if tag is not None and tag not in _GUC_TAGS:
            return
        changes = self.session.take_parameter_changes()
        if changes:
            for k, v in changes.items():
                self._send(m.ParameterStatus(k, v).encode())
        if changes or tag is not None:
            self._update_text_opts(changes, refresh_float=True)
            self._timeout_ms = None

    def _ready(self) -> None:
        s = self.session
        assert s is not None
        self._push_parameter_changes()
        status = s.transaction_status
        if status == "I" and getattr(s, "notifications", None):
            self._send_notifications()
        self._send(_RFQ[status])

    def _send_notifications(self) -> None:
        take = getattr(self.session, "take_notifications", None)
        if take is not None:
            for pid, channel, payload in take():
                self._send(m.NotificationResponse(pid, channel, payload).encode())

    def idle_notifications(self) -> bytes:
        """NotificationResponses for an idle connection (outside a transaction block), to send right away."""
        with self._lock:
            s = self.session
            if self.state is not ConnState.READY or s is None or s.transaction_status != "I":
                return b""
            if getattr(s, "notifications", None):
                self._send_notifications()
            return self._take()

    def _error(self, exc: BaseException) -> None:
        if isinstance(exc, QueryCanceled) and self._timed_out:
            exc.message = "canceling statement due to statement timeout"
        self._send(error_response(exc).encode())
        s = self.session
        if s is not None and s.transaction_status == "T":
            # an error raised here (not by the engine) still fails the block, as in PostgreSQL; optional hook
            fail = getattr(s, "fail_transaction", None)
            if fail is not None:
                fail()

    def _start_timer(self) -> TimerHandle | None:
        assert self.session is not None
        self._timed_out = False
        ms = self._timeout_ms
        if ms is None:
            try:
                ms = parse_timeout_ms(self.session.get_setting("statement_timeout"))
            except RemError:
                ms = 0.0
            self._timeout_ms = ms
        if ms <= 0:
            return None
        session = self.session

        def fire() -> None:
            self._timed_out = True
            session.cancel()

        return call_later(ms / 1000.0, fire)

    def _notices(self, result: Result) -> None:
        """Send the result's notices; apply a DEALLOCATE of protocol-level statements."""
        for n in result.notices:
            self._send(notice_response(n).encode())
        names = getattr(result, "deallocate", None)
        if names:
            if "*" in names:
                self.statements.clear()
            else:
                for name in names:
                    self.statements.pop(name, None)

    # ------------------------------------------------------------------ simple query

    def _split(self, sql: str) -> list[str]:
        cached = self._split_cache.get(sql)
        if cached is None:
            assert self.session is not None
            cached = self.session.split(sql)
            if len(self._split_cache) > 256:
                self._split_cache.clear()
            self._split_cache[sql] = cached
        return cached

    def _query(self, msg: m.Query) -> None:
        try:
            self._end_implicit(True)  # a simple Query after Executes without Sync: what they wrote is kept
        except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
            self._error(e)
        self.statements.pop("", None)
        self.portals.pop("", None)
        try:
            stmts = self._split(msg.sql)
        except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
            self._error(e)
            self._ready()
            return
        if not stmts:
            self._send(_EMPTY_QUERY)
            self._ready()
            return
        self.pending = deque(stmts)
        self._run_pending()

    def _run_pending(self) -> None:
        s = self.session
        assert s is not None
        while self.pending:
            sql = self.pending.popleft()
            timer = None
            try:
                p = s.prepare(sql)
                if p.is_empty:
                    self._send(_EMPTY_QUERY)
                    continue
                timer = self._start_timer() if self._timeout_ms != 0.0 else None
                result = s.execute(p, ())
                if result.notices or result.deallocate:
                    self._notices(result)
                if result.copy is not None:
                    if timer is not None:
                        timer.cancel()
                        timer = None
                    if self._start_copy(result, extended=False):
                        return  # resumed after CopyDone/CopyFail
                    self._push_parameter_changes(result.tag)
                    continue
                if result.columns is not None:
                    self._send(describe(result.columns))
                w = ResultWriter(result, (), self.text_opts)
                n = w.write_rows(self.out, 0, self._maybe_flush)
                self._send(w.complete(n))
                self._push_parameter_changes(result.tag)
            except ClientGone:
                raise
            except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
                self.pending.clear()
                self._error(e)
            finally:
                if timer is not None:
                    timer.cancel()
        self._ready()

    # ------------------------------------------------------------------ extended query

    def _parse(self, msg: m.Parse) -> None:
        assert self.session is not None
        if msg.name and msg.name in self.statements:
            raise DuplicatePreparedStatement(f'prepared statement "{msg.name}" already exists')
        p = self.session.prepare(msg.query, list(msg.param_oids))
        if msg.name and hasattr(p, "fixed_result"):
            p = copy.copy(p)  # its own object (the session's statement cache keeps sharing the original)
            p.fixed_result = True  # the client may have described its result: re-planning must keep it
        self.statements[msg.name] = p
        self._send(_PARSE_COMPLETE)

    def _bind(self, msg: m.Bind) -> None:
        p = self.statements.get(msg.statement)
        if p is None:
            raise InvalidSqlStatementName(
                f'prepared statement "{msg.statement}" does not exist' if msg.statement
                else "unnamed prepared statement does not exist")
        if msg.portal and msg.portal in self.portals:
            raise DuplicateCursor(f'cursor "{msg.portal}" already exists')
        oids = p.param_oids
        n = len(msg.params)
        if n != len(oids):
            raise ProtocolViolation(f'bind message supplies {n} parameters, but prepared statement '
                                    f'"{msg.statement}" requires {len(oids)}')
        values = self._bind_values(oids, msg.param_formats, msg.params)
        cols = p.columns
        rfmts = resolve_formats(len(cols), msg.result_formats) if cols is not None else list(msg.result_formats)
        self.portals[msg.portal] = Portal(p, values, rfmts)
        self._send(_BIND_COMPLETE)

    def _bind_values(self, oids: Sequence[int], fmts: Sequence[int], params: Sequence[bytes | None]) -> list[Any]:
        """A Bind's parameter values, decoded for the statement's parameter types."""
        n = len(params)
        if len(fmts) not in (0, 1, n):
            raise ProtocolViolation(f"bind message has {len(fmts)} parameter formats but {n} parameters")
        values: list[Any] = []
        tz = self.text_opts[1]
        for i, raw in enumerate(params):
            if raw is None:
                values.append(None)
                continue
            f = fmts[i] if len(fmts) > 1 else (fmts[0] if fmts else 0)
            if f not in (0, 1):
                raise ProtocolViolation(f"unsupported format code: {f}")
            try:
                values.append(pgtypes.decoder(oids[i], f, tz)(raw))
            except RemError as e:
                if f == 1 and isinstance(e, InvalidBinaryRepresentation):
                    e.message = f"incorrect binary data format in bind parameter {i + 1}"
                raise
        return values

    def _describe(self, msg: m.Describe) -> None:
        if msg.kind == "S":
            p = self.statements.get(msg.name)
            if p is None:
                raise InvalidSqlStatementName(f'prepared statement "{msg.name}" does not exist')
            self._send(m.ParameterDescription(tuple(p.param_oids)).encode())
            self._send(describe(p.columns))
            return
        portal = self.portals.get(msg.name)
        if portal is not None:
            cols = portal.writer.result.columns if portal.writer is not None else portal.prepared.columns
            self._send(describe(cols, portal.formats if cols is not None else None))
            return
        if not msg.name:
            raise InvalidCursorName('portal "" does not exist')
        # a cursor opened with DECLARE is a portal too: learn its columns from the engine
        assert self.session is not None
        quoted = '"' + msg.name.replace('"', '""') + '"'
        p = self.session.prepare(f"FETCH FORWARD 0 FROM {quoted}")
        self._send(describe(p.columns))

    def _execute(self, msg: m.Execute) -> None:
        s = self.session
        assert s is not None
        portal = self.portals.get(msg.portal)
        if portal is None:
            raise InvalidCursorName(f'portal "{msg.portal}" does not exist')
        if portal.prepared.is_empty:
            self._send(_EMPTY_QUERY)
            return
        if portal.tag_done is not None:
            self._send(m.CommandComplete(portal.tag_done).encode())
            return
        timer = self._start_timer() if self._timeout_ms != 0.0 else None
        try:
            w = portal.writer
            if w is None:
                self._implicit_txn(portal.prepared)
                result = s.execute(portal.prepared, portal.params)
                if result.notices or result.deallocate:
                    self._notices(result)
                if result.copy is not None:
                    if timer is not None:
                        timer.cancel()
                        timer = None
                    portal.tag_done = result.tag
                    self._start_copy(result, extended=True)
                    return
                w = portal.writer = ResultWriter(result, portal.formats if result.columns is not None else (),
                                                 self.text_opts)
            n = w.write_rows(self.out, msg.max_rows, self._maybe_flush)
            if not w.done:
                self._send(PORTAL_SUSPENDED)
                return
            tag = w.complete(n)
            self._send(tag)
            if w.result.columns is None:
                portal.tag_done = w.result.tag
            self._push_parameter_changes(w.result.tag)
        finally:
            if timer is not None:
                timer.cancel()

    def _close(self, msg: m.Close) -> None:
        if msg.kind == "S":
            self.statements.pop(msg.name, None)
        else:
            self.portals.pop(msg.name, None)
        self._send(_CLOSE_COMPLETE)

    def _implicit_txn(self, p: Any) -> None:
        """Data statements up to Sync share one implicit transaction (PostgreSQL's behaviour: one commit for a
        pipeline); any other statement first commits what the pipeline wrote and runs on its own."""
        s = self.session
        if getattr(p, "kind", None) in _IMPLICIT_KINDS:
            if not getattr(p, "needs_txn", True):
                return  # a constant SELECT reads and writes nothing: no transaction to open
            if self._lone and not getattr(p, "writes", True):
                return  # alone up to Sync and not a write: its own statement transaction is the implicit one
            begin = getattr(s, "begin_implicit", None)
            if begin is not None:
                begin()
            return
        word = first_word(getattr(p, "sql", "") or "")
        if word in ("BEGIN", "START"):
            return  # the session turns the implicit transaction into the block BEGIN opens
        self._end_implicit(word not in ("ROLLBACK", "ABORT"))  # ROLLBACK discards it, as in PostgreSQL

    def _end_implicit(self, commit: bool) -> None:
        end = getattr(self.session, "end_implicit", None)
        if end is None:
            return
        if commit:
            end(True)
            return
        try:
            end(False)
        except Exception:  # noqa: BLE001 - a failed rollback leaves nothing to report beyond the error sent
            log.exception("rollback of the implicit transaction failed")

    def _sync(self, msg: m.Sync) -> None:
        s = self.session
        assert s is not None
        try:
            self._end_implicit(True)
        except ClientGone:
            raise
        except Exception as e:  # noqa: BLE001 - a failed commit is reported before ReadyForQuery
            self._error(e)
        if s.transaction_status == "I":
            self.portals.clear()
        self._ready()

    def _flush(self, msg: m.Flush) -> None:
        """Output is sent at the end of every feed; nothing is held back."""

    def _terminate(self, msg: m.Terminate) -> None:
        self.state = ConnState.CLOSED

    def _function_call(self, msg: m.FunctionCall) -> None:
        self._error(FeatureNotSupported("the fast-path function call interface is not supported"))
        self._ready()

    def _ignore(self, msg: m.FrontendMessage) -> None:
        """CopyData/CopyDone/CopyFail outside COPY are ignored, as in PostgreSQL."""

    # ------------------------------------------------------------------ COPY

    def _start_copy(self, result: Result, *, extended: bool) -> bool:
        """Begin a COPY; returns True when waiting for the client's COPY data (COPY FROM STDIN)."""
        spec = result.copy
        assert spec is not None
        fmt = copyfmt.format_code(spec)
        colfmts = tuple([fmt] * len(spec.columns))
        if spec.direction == "in":
            self._send(m.CopyInResponse(fmt, colfmts).encode())
            self.copy = CopyIn(spec, extended)
            self.state = ConnState.COPY_IN
            return True
        self._send(m.CopyOutResponse(fmt, colfmts).encode())
        n = 0
        for chunk in copyfmt.encode_rows(spec, spec.rows or iter(()), self.text_opts):
            self._send(m.frame(b"d", chunk))
            n += 1
            self._maybe_flush()
        n -= 1 if spec.format == "binary" or spec.header else 0  # the binary trailer / the header line
        self._send(m.CopyDone().encode())
        tag = result.tag if result.tag != "COPY" else f"COPY {max(n, 0)}"
        self._send(m.CommandComplete(tag).encode())
        return False

    def _copy_message(self, msg: m.FrontendMessage) -> None:
        cp = self.copy
        assert cp is not None and self.session is not None
        if isinstance(msg, m.CopyData):
            cp.chunks.append(msg.data)
            return
        if isinstance(msg, m.Flush | m.Sync):
            return
        self.copy = None
        self.state = ConnState.READY
        failed: BaseException | None = None
        if isinstance(msg, m.CopyDone):
            try:
                rows = copyfmt.decode_rows(cp.spec, b"".join(cp.chunks), self.text_opts[1])
                result = self.session.copy_in(cp.spec, rows)
                self._notices(result)
                self._send(m.CommandComplete(result.tag).encode())
            except ClientGone:
                raise
            except Exception as e:  # noqa: BLE001 - every failure becomes an ErrorResponse
                failed = e
        elif isinstance(msg, m.CopyFail):
            failed = QueryCanceled(f"COPY from stdin failed: {msg.message}")
        elif isinstance(msg, m.Terminate):
            self.state = ConnState.CLOSED
            return
        else:
            failed = ProtocolViolation(f"unexpected message type 0x{_type_byte(msg):02X} during COPY from stdin")
        if failed is not None:
            self._error(failed)
            if cp.extended:
                self.state = ConnState.AWAITING_SYNC
                return
            self.pending.clear()
        if not cp.extended:
            self._run_pending()
        else:
            self._push_parameter_changes()


def _type_byte(msg: m.FrontendMessage) -> int:
    enc = msg.encode()
    return enc[0] if enc else 0


_READY_HANDLERS: dict[type, Callable[[Connection, Any], None]] = {
    m.Query: Connection._query,
    m.Parse: Connection._parse,
    m.Bind: Connection._bind,
    m.Describe: Connection._describe,
    m.Execute: Connection._execute,
    m.Close: Connection._close,
    m.Sync: Connection._sync,
    m.Flush: Connection._flush,
    m.Terminate: Connection._terminate,
    m.FunctionCall: Connection._function_call,
    m.CopyData: Connection._ignore,
    m.CopyDone: Connection._ignore,
    m.CopyFail: Connection._ignore,
}
_EXECUTE_ALL = m.Execute("", 0)
_SYNC = m.Sync()
_IMPLICIT_KINDS = frozenset({"select", "insert", "update", "delete"})  # run in the implicit transaction
_EXTENDED = frozenset({m.Parse, m.Bind, m.Describe, m.Execute, m.Close})  # errors → skip to Sync
_EXTENDED_HANDLERS = {t: h for t, h in _READY_HANDLERS.items() if t in _EXTENDED}
