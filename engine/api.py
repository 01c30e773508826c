"""The Session API: the one seam between the wire protocol (remwire) and the database (engine).

remwire calls only what is declared here; engine never imports remwire. Values crossing this seam are Python
values as documented in :mod:`engine.types`; every error is an :class:`engine.errors.RemError`.

Lifecycle::

    db = open_database(path, settings)           # one per data dir (holds the RocksDB lock)
    s = db.session(user="rem", database="rem", params={"application_name": "psql"})
    for stmt in s.split(sql): ...                # simple query: statements of one string, in order
    p = s.prepare(sql_of_one_statement, param_oids=[23, 0])   # Parse
    p.param_oids, p.columns                      # ParameterDescription / RowDescription (None: no rows)
    r = s.execute(p, [42, "x"])                  # Bind + Execute; r.rows is an iterator of tuples
    s.transaction_status                         # 'I' | 'T' | 'E' for ReadyForQuery
    s.take_parameter_changes()                   # {'application_name': 'x'} → ParameterStatus
    s.cancel()                                   # from another thread: the running statement raises QueryCanceled
    s.close(); db.close()

Optional session hooks the wire layer uses when present: ``s.take_notifications()`` → [(sender pid, channel,
payload)] of committed NOTIFYs for this session's LISTEN channels, and ``s.notifications.waker`` (a callable the
wire layer sets; called from the notifying thread so that an idle connection sends them at once);
``s.fail_transaction()`` for protocol-level errors inside a transaction block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Column:
    """One result column, as RowDescription describes it."""

    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0


@dataclass(frozen=True)
class Notice:
    """A NoticeResponse to send before the statement's completion."""

    message: str
    severity: str = "NOTICE"
    sqlstate: str = "00000"
    detail: str | None = None
    hint: str | None = None


@dataclass
class CopySpec:
    """A COPY statement's data transfer, done by the protocol layer.

    direction 'out': the protocol layer encodes ``rows`` (tuples of Python values) with ``columns``' types in
    ``format`` and sends them as CopyData. direction 'in': it decodes the client's CopyData into tuples of Python
    values of ``columns``' types and hands them to :meth:`Session.copy_in`.
    """

    direction: str  # 'in' | 'out'
    columns: list[Column]
    format: str = "text"  # 'text' | 'csv' | 'binary'
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    quote: str = '"'
    escape: str = '"'
    force_quote: bool = False
    rows: Iterator[tuple[Any, ...]] | None = None  # direction 'out'
    target: Any = None  # engine-private description of the destination (direction 'in')


class TextColumnRows(Protocol):
    """Optional extra of a ``Result.rows`` iterator: all its rows at once, column by column, in text format.

    ``text_columns(encoders)`` (``encoders``: the per-value text encoders of the result's columns, for columns
    the producer does not encode itself) returns per column ``(data, lengths)``: the values' bytes back to back
    and an int array of each value's length (-1: NULL), consuming the iterator; None when it cannot (then the
    rows are iterated as usual). The wire layer uses it for all-text results sent whole."""

    def text_columns(self, encoders: Sequence[Any]) -> list[tuple[bytes, Any]] | None: ...


@dataclass
class Result:
    """The outcome of executing one statement.

    ``columns`` is None for statements that return no rows (RowDescription is then NoData).
    ``rows`` yields tuples of Python values; the protocol layer may stop early (portal row limit) and resume.
    ``tag`` is the CommandComplete tag. Row-returning statements whose row count is only known at the end
    (``SELECT n``, ``FETCH n``) give ``tag`` without the count: ``"SELECT"``, and the protocol layer appends
    the number of rows it sent. Others give the full tag (``"INSERT 0 3"``, ``"UPDATE 2"``, ``"CREATE TABLE"``).
    ``rows`` may also offer :class:`TextColumnRows` (a vectorized producer's fast path).
    """

    tag: str
    columns: list[Column] | None = None
    rows: Iterator[tuple[Any, ...]] = field(default_factory=lambda: iter(()))
    notices: list[Notice] = field(default_factory=list)
    copy: CopySpec | None = None
    tag_counts_rows: bool = False  # True: append the number of rows sent to ``tag``
    deallocate: list[str] | None = None  # DEALLOCATE: protocol-level statement names to drop ('*' = all)


class Prepared(Protocol):
    """A parsed (and planned) single statement, reusable with different parameters."""

    sql: str
    param_oids: list[int]  # one per $n; unknown ones inferred (text when nothing better)
    columns: list[Column] | None  # result columns, None when the statement returns no rows
    is_empty: bool  # the statement text was empty (EmptyQueryResponse)


class Session(Protocol):
    """One client session: GUCs, transaction state, prepared plans, cursors."""

    transaction_status: str  # 'I' idle, 'T' in transaction, 'E' failed transaction
    process_id: int
    secret_key: int

    def split(self, sql: str) -> list[str]:
        """Split a simple-query string into its statements (an empty string gives [])."""

    def prepare(self, sql: str, param_oids: Sequence[int] = ()) -> Prepared:
        """Parse and plan one statement; raises RemError (42601 with position on syntax errors)."""

    def execute(self, prepared: Prepared, params: Sequence[Any] = ()) -> Result:
        """Run a prepared statement with parameters (Python values of ``prepared.param_oids``' types)."""

    def copy_in(self, spec: CopySpec, rows: Sequence[tuple[Any, ...]]) -> Result:
        """Finish a COPY FROM STDIN with the decoded rows: all or nothing. Returns tag ``COPY n``."""

    def parameter_status(self) -> dict[str, str]:
        """Every reportable GUC and its current value (sent after authentication)."""

    def take_parameter_changes(self) -> dict[str, str]:
        """Reportable GUCs changed since the last call (ParameterStatus to push)."""

    def get_setting(self, name: str) -> str:
        """Current value of a GUC (e.g. statement_timeout), as SHOW prints it."""

    def cancel(self) -> None:
        """Ask the running statement to stop; it raises QueryCanceled (57014). Thread-safe."""

    def close(self) -> None:
        """End the session: roll back an open transaction, drop prepared statements and cursors."""


@dataclass(frozen=True)
class Role:
    """A login role: name, SCRAM-SHA-256 verifier (PostgreSQL's text form) or None, superuser flag."""

    name: str
    scram_verifier: str | None
    superuser: bool = True
    can_login: bool = True


class Database(Protocol):
    """An open REM store (one data dir)."""

    def session(self, user: str, database: str, params: dict[str, str] | None = None) -> Session:
        """Start a session for an authenticated user."""

    def get_role(self, name: str) -> Role | None:
        """The login role ``name`` (for authentication), or None."""

    def set_password(self, role: str, password: str) -> None:
        """Create or update ``role`` with a SCRAM-SHA-256 verifier of ``password``."""

    def cancel(self, process_id: int, secret_key: int) -> bool:
        """Cancel the running statement of the session with this key pair; False if none matches."""

    def close(self) -> None:
        """Flush and close storage; releases the data dir lock."""
