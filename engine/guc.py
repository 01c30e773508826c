"""The GUC table: every run-time setting behind SET/SHOW/RESET, current_setting/set_config and pg_settings.

:data:`GUCS` holds the definitions (type, default, unit, whether reported to the client by ParameterStatus);
:class:`GucState` holds one session's values, with transaction-scoped ``SET LOCAL`` and rollback of ``SET``
done inside a transaction that aborts, as PostgreSQL does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, available_timezones

from engine.errors import FeatureNotSupported, InvalidParameterValue, UndefinedObject


@dataclass(frozen=True)
class Guc:
    """One setting's definition."""

    name: str  # canonical spelling (e.g. 'DateStyle')
    default: str
    vartype: str = "string"  # 'bool' | 'integer' | 'real' | 'string' | 'enum'
    reportable: bool = False
    unit: str | None = None  # 'ms' | 's' | 'kB' | None
    context: str = "user"  # pg_settings.context
    category: str = "Client Connection Defaults"
    short_desc: str = ""
    enumvals: tuple[str, ...] = ()
    min_val: float | None = None
    max_val: float | None = None
    readonly: bool = False


def _g(*a: object, **k: object) -> Guc:
    return Guc(*a, **k)  # type: ignore[arg-type]


_DEFS: list[Guc] = [
    _g("application_name", "", reportable=True, category="Reporting and Logging / What to Log",
       short_desc="Sets the application name to be reported in statistics and logs."),
    _g("client_encoding", "UTF8", reportable=True, short_desc="Sets the client's character set encoding."),
    _g("server_encoding", "UTF8", reportable=True, readonly=True, context="internal",
       category="Preset Options", short_desc="Shows the server (database) character set encoding."),
    _g("DateStyle", "ISO, MDY", reportable=True, short_desc="Sets the display format for date and time values."),
    _g("IntervalStyle", "postgres", "enum", reportable=True, enumvals=("postgres", "postgres_verbose",
       "sql_standard", "iso_8601"), short_desc="Sets the display format for interval values."),
    _g("TimeZone", "UTC", reportable=True, short_desc="Sets the time zone for displaying and interpreting time stamps."),
    _g("integer_datetimes", "on", "bool", reportable=True, readonly=True, context="internal",
       category="Preset Options", short_desc="Shows whether datetimes are integer based."),
    _g("standard_conforming_strings", "on", "bool", reportable=True,
       short_desc="Causes '...' strings to treat backslashes literally."),
    _g("is_superuser", "on", "bool", reportable=True, readonly=True, context="internal",
       category="Preset Options", short_desc="Shows whether the current user is a superuser."),
    _g("session_authorization", "rem", reportable=True, readonly=True,
       short_desc="Sets the session user name."),
    _g("server_version", "15.0 (REM 0.1.0)", reportable=True, readonly=True, context="internal",
       category="Preset Options", short_desc="Shows the server version."),
    _g("server_version_num", "150000", "integer", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows the server version as an integer."),
    _g("default_transaction_read_only", "off", "bool", reportable=True,
       short_desc="Sets the default read-only status of new transactions."),
    _g("default_transaction_isolation", "read committed", "enum", enumvals=("serializable", "repeatable read",
       "read committed", "read uncommitted"), short_desc="Sets the transaction isolation level of each new transaction."),
    _g("transaction_isolation", "read committed", "enum", enumvals=("serializable", "repeatable read",
       "read committed", "read uncommitted"), short_desc="Sets the current transaction's isolation level."),
    _g("transaction_read_only", "off", "bool", short_desc="Sets the current transaction's read-only status."),
    _g("in_hot_standby", "off", "bool", reportable=True, readonly=True, context="internal",
       category="Preset Options", short_desc="Shows whether hot standby is currently active."),
    _g("search_path", '"$user", public', short_desc="Sets the schema search order for names that are not schema-qualified."),
    _g("extra_float_digits", "1", "integer", min_val=-15, max_val=3,
       short_desc="Sets the number of digits displayed for floating-point values."),
    _g("statement_timeout", "0", "integer", unit="ms", min_val=0, max_val=2147483647,
       short_desc="Sets the maximum allowed duration of any statement."),
    _g("lock_timeout", "0", "integer", unit="ms", min_val=0, max_val=2147483647,
       short_desc="Sets the maximum allowed duration of any wait for a lock."),
    _g("idle_in_transaction_session_timeout", "0", "integer", unit="ms", min_val=0, max_val=2147483647,
       short_desc="Sets the maximum allowed idle time between queries, when in a transaction."),
    _g("synchronous_commit", "off", "enum", enumvals=("local", "remote_write", "remote_apply", "on", "off"),
       category="Write-Ahead Log / Settings", short_desc="Sets the current transaction's synchronization level."),
    _g("jit", "off", "bool", category="Query Tuning / Other Planner Options", short_desc="Allow JIT compilation."),
    _g("max_identifier_length", "63", "integer", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows the maximum identifier length."),
    _g("max_connections", "1000", "integer", readonly=True, context="postmaster",
       category="Connections and Authentication / Connection Settings",
       short_desc="Sets the maximum number of concurrent connections."),
    _g("bytea_output", "hex", "enum", enumvals=("escape", "hex"), short_desc="Sets the output format for bytea."),
    _g("client_min_messages", "notice", "enum", enumvals=("debug5", "debug4", "debug3", "debug2", "debug1",
       "log", "notice", "warning", "error"), short_desc="Sets the message levels that are sent to the client."),
    _g("lc_messages", "C", short_desc="Sets the language in which messages are displayed."),
    _g("lc_monetary", "C", short_desc="Sets the locale for formatting monetary amounts."),
    _g("lc_numeric", "C", short_desc="Sets the locale for formatting numbers."),
    _g("lc_time", "C", short_desc="Sets the locale for formatting date and time values."),
    _g("lc_collate", "C", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows the collation order locale."),
    _g("lc_ctype", "C", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows the character classification and case conversion locale."),
    _g("datestyle", "ISO, MDY"),  # placeholder: aliases resolved below, never listed
    _g("work_mem", "4096", "integer", unit="kB", min_val=64, max_val=2147483647,
       category="Resource Usage / Memory", short_desc="Sets the maximum memory to be used for query workspaces."),
    _g("maintenance_work_mem", "65536", "integer", unit="kB", min_val=1024, max_val=2147483647,
       category="Resource Usage / Memory", short_desc="Sets the maximum memory to be used for maintenance operations."),
    _g("row_security", "on", "bool", short_desc="Enable row security."),
    _g("check_function_bodies", "on", "bool", short_desc="Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."),
    _g("escape_string_warning", "on", "bool", short_desc="Warn about backslash escapes in ordinary string literals."),
    _g("default_text_search_config", "pg_catalog.simple", short_desc="Sets default text search configuration."),
    _g("enable_seqscan", "on", "bool", category="Query Tuning / Planner Method Configuration",
       short_desc="Enables the planner's use of sequential-scan plans."),
    _g("random_page_cost", "4", "real", category="Query Tuning / Planner Cost Constants",
       short_desc="Sets the planner's estimate of the cost of a nonsequentially fetched disk page."),
    _g("geqo", "on", "bool", category="Query Tuning / Genetic Query Optimizer", short_desc="Enables genetic query optimization."),
    _g("block_size", "8192", "integer", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows the size of a disk block."),
    _g("password_encryption", "scram-sha-256", "enum", enumvals=("md5", "scram-sha-256"),
       short_desc="Chooses the algorithm for encrypting passwords."),
    _g("role", "none", short_desc="Sets the current role."),
    _g("ssl", "off", "bool", readonly=True, context="sighup", short_desc="Enables SSL connections."),
    _g("vacuum_cost_delay", "0", "real", unit="ms", short_desc="Vacuum cost delay in milliseconds."),
    _g("xmloption", "content", "enum", enumvals=("content", "document"), short_desc="Sets whether XML data is content or document."),
    _g("array_nulls", "on", "bool", short_desc="Enable input of NULL elements in arrays."),
    _g("quote_all_identifiers", "off", "bool", short_desc="When generating SQL fragments, quote all identifiers."),
    _g("plan_cache_mode", "auto", "enum", enumvals=("auto", "force_generic_plan", "force_custom_plan"),
       short_desc="Controls the planner's selection of custom or generic plan."),
    _g("default_table_access_method", "heap", short_desc="Sets the default table access method for new tables."),
    _g("default_tablespace", "", short_desc="Sets the default tablespace to create tables and indexes in."),
    _g("timezone_abbreviations", "Default", short_desc="Selects a file of time zone abbreviations."),
    # settings clients read (SHOW / current_setting / pg_settings) with PostgreSQL 15's defaults
    _g("transaction_deferrable", "off", "bool", category="Client Connection Defaults / Statement Behavior",
       short_desc="Whether to defer a read-only serializable transaction until it can be executed with no possible "
                  "serialization failures."),
    _g("default_transaction_deferrable", "off", "bool", category="Client Connection Defaults / Statement Behavior",
       short_desc="Sets the default deferrable status of new transactions."),
    _g("max_index_keys", "32", "integer", readonly=True, context="internal", category="Preset Options",
       min_val=32, max_val=32, short_desc="Shows the maximum number of index keys."),
    _g("max_function_args", "100", "integer", readonly=True, context="internal", category="Preset Options",
       min_val=100, max_val=100, short_desc="Shows the maximum number of function arguments."),
    _g("data_checksums", "off", "bool", readonly=True, context="internal", category="Preset Options",
       short_desc="Shows whether data checksums are turned on for this cluster."),
    *[_g(f"enable_{m}", "on", "bool", category="Query Tuning / Planner Method Configuration",
         short_desc=f"Enables the planner's use of {d}.")
      for m, d in (("hashjoin", "hash join plans"), ("indexscan", "index-scan plans"),
                   ("mergejoin", "merge join plans"), ("nestloop", "nested-loop join plans"),
                   ("bitmapscan", "bitmap-scan plans"), ("sort", "explicit sort steps"),
                   ("hashagg", "hashed aggregation plans"), ("material", "materialization"),
                   ("indexonlyscan", "index-only-scan plans"))],
    _g("effective_io_concurrency", "1", "integer", min_val=0, max_val=1000,
       category="Resource Usage / Asynchronous Behavior",
       short_desc="Number of simultaneous requests that can be handled efficiently by the disk subsystem."),
    _g("default_statistics_target", "100", "integer", min_val=1, max_val=10000,
       category="Query Tuning / Other Planner Options", short_desc="Sets the default statistics target."),
    _g("constraint_exclusion", "partition", "enum", enumvals=("partition", "on", "off"),
       category="Query Tuning / Other Planner Options",
       short_desc="Enables the planner to use constraints to optimize queries."),
    _g("cpu_tuple_cost", "0.01", "real", category="Query Tuning / Planner Cost Constants",
       short_desc="Sets the planner's estimate of the cost of processing each tuple (row)."),
    _g("seq_page_cost", "1", "real", category="Query Tuning / Planner Cost Constants",
       short_desc="Sets the planner's estimate of the cost of a sequentially fetched disk page."),
    _g("from_collapse_limit", "8", "integer", min_val=1, max_val=2147483647,
       category="Query Tuning / Other Planner Options",
       short_desc="Sets the FROM-list size beyond which subqueries are not collapsed."),
    _g("join_collapse_limit", "8", "integer", min_val=1, max_val=2147483647,
       category="Query Tuning / Other Planner Options",
       short_desc="Sets the FROM-list size beyond which JOIN constructs are not flattened."),
    _g("cursor_tuple_fraction", "0.1", "real", category="Query Tuning / Other Planner Options",
       short_desc="Sets the planner's estimate of the fraction of a cursor's rows that will be retrieved."),
    _g("temp_tablespaces", "", category="Client Connection Defaults / Statement Behavior",
       short_desc="Sets the tablespace(s) to use for temporary tables and sort files."),
    _g("idle_session_timeout", "0", "integer", unit="ms", min_val=0, max_val=2147483647,
       category="Client Connection Defaults / Statement Behavior",
       short_desc="Sets the maximum allowed idle time between queries, when not in a transaction."),
    _g("transform_null_equals", "off", "bool", category="Version and Platform Compatibility / Other Platforms and "
       "Clients", short_desc='Treats "expr=NULL" as "expr IS NULL".'),
    _g("backslash_quote", "safe_encoding", "enum", enumvals=("safe_encoding", "on", "off"),
       category="Version and Platform Compatibility / Previous PostgreSQL Versions",
       short_desc="Sets whether \"\\'\" is allowed in string literals."),
    _g("session_replication_role", "origin", "enum", enumvals=("origin", "replica", "local"), context="superuser",
       category="Client Connection Defaults / Statement Behavior",
       short_desc="Sets the session's behavior for triggers and rewrite rules."),
    _g("log_statement", "none", "enum", enumvals=("none", "ddl", "mod", "all"), context="superuser",
       category="Reporting and Logging / What to Log", short_desc="Sets the type of statements logged."),
    _g("log_min_duration_statement", "-1", "integer", unit="ms", min_val=-1, max_val=2147483647,
       context="superuser", category="Reporting and Logging / When to Log",
       short_desc="Sets the minimum execution time above which all statements will be logged."),
    _g("log_min_messages", "warning", "enum", enumvals=("debug5", "debug4", "debug3", "debug2", "debug1", "info",
       "notice", "warning", "error", "log", "fatal", "panic"), context="superuser",
       category="Reporting and Logging / When to Log", short_desc="Sets the message levels that are logged."),
    _g("deadlock_timeout", "1000", "integer", unit="ms", min_val=1, max_val=2147483647, context="superuser",
       category="Lock Management", short_desc="Sets the time to wait on a lock before checking for deadlock."),
    _g("max_locks_per_transaction", "64", "integer", readonly=True, context="postmaster", category="Lock Management",
       short_desc="Sets the maximum number of locks per transaction."),
    _g("max_prepared_transactions", "0", "integer", readonly=True, context="postmaster",
       category="Resource Usage / Memory", short_desc="Sets the maximum number of simultaneously prepared transactions."),
    _g("max_parallel_workers", "8", "integer", min_val=0, max_val=1024, category="Resource Usage / Asynchronous Behavior",
       short_desc="Sets the maximum number of parallel workers that can be active at one time."),
    _g("max_parallel_workers_per_gather", "2", "integer", min_val=0, max_val=1024,
       category="Resource Usage / Asynchronous Behavior",
       short_desc="Sets the maximum number of parallel processes per executor node."),
    _g("max_worker_processes", "8", "integer", readonly=True, context="postmaster",
       category="Resource Usage / Asynchronous Behavior", short_desc="Maximum number of concurrent worker processes."),
    _g("wal_level", "replica", "enum", enumvals=("minimal", "replica", "logical"), readonly=True, context="postmaster",
       category="Write-Ahead Log / Settings", short_desc="Sets the level of information written to the WAL."),
    _g("fsync", "on", "bool", readonly=True, context="sighup", category="Write-Ahead Log / Settings",
       short_desc="Forces synchronization of updates to disk."),
    _g("hot_standby", "on", "bool", readonly=True, context="postmaster", category="Replication / Standby Servers",
       short_desc="Allows connections and queries during recovery."),
    _g("track_commit_timestamp", "off", "bool", readonly=True, context="postmaster",
       category="Replication / Sending Servers", short_desc="Collects transaction commit time."),
    _g("autovacuum", "on", "bool", readonly=True, context="sighup", category="Autovacuum",
       short_desc="Starts the autovacuum subprocess."),
    _g("track_activities", "on", "bool", context="superuser",
       category="Statistics / Cumulative Query and Index Statistics",
       short_desc="Collects information about executing commands."),
    _g("track_counts", "on", "bool", context="superuser", category="Statistics / Cumulative Query and Index Statistics",
       short_desc="Collects statistics on database activity."),
    _g("log_timezone", "UTC", readonly=True, context="sighup", category="Reporting and Logging / What to Log",
       short_desc="Sets the time zone to use in log messages."),
    _g("cluster_name", "", readonly=True, context="postmaster", category="Reporting and Logging / Process Title",
       short_desc="Sets the name of the cluster, which is included in the process title."),
    _g("xmlbinary", "base64", "enum", enumvals=("base64", "hex"), category="Client Connection Defaults / Statement "
       "Behavior", short_desc="Sets how binary values are to be encoded in XML."),
    _g("gin_fuzzy_search_limit", "0", "integer", min_val=0, max_val=2147483647,
       category="Client Connection Defaults / Other Defaults",
       short_desc="Sets the maximum allowed result for exact search by GIN."),
    _g("default_toast_compression", "pglz", "enum", enumvals=("pglz", "lz4"),
       category="Client Connection Defaults / Statement Behavior",
       short_desc="Sets the default compression method for compressible values."),
    _g("lo_compat_privileges", "off", "bool", context="superuser",
       category="Version and Platform Compatibility / Previous PostgreSQL Versions",
       short_desc="Enables backward compatibility mode for privilege checks on large objects."),
    _g("trace_notify", "off", "bool", category="Developer Options",
       short_desc="Generates debugging output for LISTEN and NOTIFY."),
    _g("rem.embedding_provider", "local:all-MiniLM-L6-v2", category="Customized Options",
       short_desc="REM: the default embedding provider."),
]

GUCS: dict[str, Guc] = {g.name.lower(): g for g in _DEFS if g.name != "datestyle"}
"""Definitions by lower-case name."""

# settings of the current transaction: outside a transaction (or until set) they show the session default
_TXN_DEFAULTS = {"transaction_isolation": "default_transaction_isolation",
                 "transaction_read_only": "default_transaction_read_only",
                 "transaction_deferrable": "default_transaction_deferrable"}
_ALIASES = {"time zone": "timezone", "time_zone": "timezone", "names": "client_encoding"}
_TRUE = {"on", "true", "yes", "1", "t", "y", "tr", "tru", "ye"}
_FALSE = {"off", "false", "no", "0", "f", "n", "of", "fa", "fal", "fals"}
_TIME_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}
_MEM_UNITS = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
_UTF8 = {"utf8", "utf-8", "unicode"}


def canonical(name: str) -> str:
    """Lower-case lookup key of a setting name (``TIME ZONE`` → ``timezone``)."""
    n = name.strip().lower()
    return _ALIASES.get(n, n)


def definition(name: str) -> Guc | None:
    """The definition of ``name``, or None (custom ``a.b`` settings have none)."""
    return GUCS.get(canonical(name))


def _parse_bool(g: Guc, v: str) -> str:
    s = v.strip().lower()
    if s in _TRUE:
        return "on"
    if s in _FALSE:
        return "off"
    raise InvalidParameterValue(f'parameter "{g.name}" requires a Boolean value')


def _parse_int(g: Guc, v: str) -> str:
    s = v.strip()
    m = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)\s*([a-zA-Z]*)", s)
    if not m:
        raise InvalidParameterValue(f'invalid value for parameter "{g.name}": "{v}"')
    num, unit = float(m.group(1)), m.group(2)
    if unit:
        table = _TIME_UNITS if g.unit in ("ms", "s") else _MEM_UNITS if g.unit == "kB" else None
        if table is None or unit not in table:
            hint = ('Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'
                    if g.unit in ("ms", "s") else None)
            raise InvalidParameterValue(f'invalid value for parameter "{g.name}": "{v}"', hint=hint)
        num = num * table[unit] / (table[g.unit] if g.unit in table else 1)
    n = int(round(num))
    if (g.min_val is not None and n < g.min_val) or (g.max_val is not None and n > g.max_val):
        raise InvalidParameterValue(
            f'{n} is outside the valid range for parameter "{g.name}" ({int(g.min_val or 0)} .. {int(g.max_val or 0)})')
    return str(n)


def _parse_datestyle(current: str, v: str) -> str:
    style, order = (p.strip() for p in current.split(","))
    order_given = False
    for part in re.split(r"[,\s]+", v.strip()):
        p = part.lower()
        if not p:
            continue
        if p in ("iso", "sql", "postgres", "german"):
            style = {"iso": "ISO", "sql": "SQL", "postgres": "Postgres", "german": "German"}[p]
        elif p in ("dmy", "euro", "european"):
            order, order_given = "DMY", True
        elif p in ("mdy", "us", "noneuropean", "non-european"):
            order, order_given = "MDY", True
        elif p == "ymd":
            order, order_given = "YMD", True
        elif p == "default":
            style, order = "ISO", "MDY"
        else:
            raise InvalidParameterValue(f'invalid value for parameter "DateStyle": "{v}"',
                                        detail=f'Unrecognized key word: "{part}".')
    if style == "German" and not order_given:
        order = "DMY"  # PostgreSQL: German alone implies day-month-year
    return f"{style}, {order}"


_ZONES: set[str] | None = None


def _parse_timezone(v: str) -> str:
    global _ZONES
    s = v.strip()
    if s.lower() in ("utc", "gmt", "z", "zulu", "default", "local"):
        return "UTC" if s.lower() != "gmt" else "GMT"
    if re.fullmatch(r"[-+]?\d{1,2}(:\d\d)?", s):
        return s if not s.startswith("+") else s[1:]
    if _ZONES is None:
        _ZONES = available_timezones()
    for z in _ZONES:
        if z.lower() == s.lower():
            ZoneInfo(z)
            return z
    raise InvalidParameterValue(f'invalid value for parameter "TimeZone": "{v}"')


# settings of extensions REM emulates, checked at SET like the extension does (they stay unset until SET)
_EXTENSION_INTS = {"hnsw.ef_search": Guc("hnsw.ef_search", "40", "integer", min_val=1, max_val=1000)}


def normalize(name: str, value: str, current: str | None = None) -> str:
    """The stored form of ``value`` for setting ``name`` (raises 22023 on a bad value)."""
    g = definition(name)
    if g is None:
        ext = _EXTENSION_INTS.get(canonical(name))
        return _parse_int(ext, value) if ext is not None else value
    key = g.name.lower()
    if g.vartype == "bool":
        return _parse_bool(g, value)
    if g.vartype == "integer":
        return _parse_int(g, value)
    if g.vartype == "real":
        try:
            return repr(float(value)).removesuffix(".0")
        except ValueError:
            raise InvalidParameterValue(f'invalid value for parameter "{g.name}": "{value}"') from None
    if g.vartype == "enum":
        s = value.strip().lower()
        if key == "synchronous_commit" and s in _TRUE | _FALSE:
            return "on" if s in _TRUE else "off"
        if s not in g.enumvals:
            raise InvalidParameterValue(
                f'invalid value for parameter "{g.name}": "{value}"',
                hint="Available values: " + ", ".join(g.enumvals) + ".")
        return s
    if key == "datestyle":
        return _parse_datestyle(current or g.default, value)
    if key == "timezone":
        return _parse_timezone(value)
    if key == "client_encoding":
        if value.strip().lower().replace("_", "") not in _UTF8 | {"sqlascii"}:
            raise FeatureNotSupported(f'conversion between {value} and UTF8 is not supported')
        return "UTF8" if value.strip().lower().replace("_", "") in _UTF8 else "SQL_ASCII"
    return value


def display(g: Guc | None, value: str) -> str:
    """SHOW's rendering of a stored value (integers with units shown in the largest exact unit)."""
    if g is None or g.vartype != "integer" or not g.unit:
        return value
    n = int(value)
    if n <= 0:
        return str(n)
    if g.unit == "ms":
        for u, f in (("d", 86400000), ("h", 3600000), ("min", 60000), ("s", 1000)):
            if n % f == 0:
                return f"{n // f}{u}"
        return f"{n}ms"
    for u, f in (("TB", 1024**3), ("GB", 1024**2), ("MB", 1024)):
        if n % f == 0:
            return f"{n // f}{u}"
    return f"{n}kB"


@dataclass
class GucState:
    """One session's settings: session values, SET LOCAL overrides and the undo log of the open transaction."""

    values: dict[str, str] = field(default_factory=dict)  # canonical name → stored value
    reset_values: dict[str, str] = field(default_factory=dict)
    local: dict[str, str] = field(default_factory=dict)
    undo: dict[str, str | None] | None = None  # transaction start values of settings changed since BEGIN
    changed: set[str] = field(default_factory=set)  # reportable settings changed since last report

    @classmethod
    def initial(cls, overrides: dict[str, str]) -> GucState:
        """Defaults, then startup parameters / server settings in ``overrides``."""
        st = cls()
        for k, g in GUCS.items():
            st.values[k] = g.default
        for k, v in overrides.items():
            key = canonical(k)
            try:
                st.values[key] = normalize(key, v, st.values.get(key))
            except Exception:  # a bad startup value keeps the default, as a client would not be able to connect
                continue
        st.reset_values = dict(st.values)
        return st

    def get(self, name: str, missing_ok: bool = False) -> str | None:
        key = canonical(name)
        if key in self.local:
            return self.local[key]
        if key in _TXN_DEFAULTS:
            return self.values.get(_TXN_DEFAULTS[key], GUCS[key].default)
        if key in self.values:
            return self.values[key]
        if missing_ok:
            return None
        raise UndefinedObject(f'unrecognized configuration parameter "{name}"')

    def show(self, name: str) -> str:
        """The value as SHOW prints it."""
        v = self.get(name)
        assert v is not None
        return display(definition(name), v)

    def _check_settable(self, name: str) -> str:
        key = canonical(name)
        g = GUCS.get(key)
        if g is None and "." not in key:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
        if g is not None and g.readonly:
            raise InvalidParameterValue(f'parameter "{g.name}" cannot be changed', sqlstate="55P02")
        return key

    def set(self, name: str, value: str | None, *, local: bool = False, in_txn: bool = False) -> None:
        """SET [LOCAL] name = value (None: DEFAULT)."""
        key = self._check_settable(name)
        if key in _TXN_DEFAULTS:
            local = True  # SET transaction_isolation = … is SET TRANSACTION (this transaction only)
        new = self.reset_values.get(key, GUCS[key].default if key in GUCS else "") if value is None \
            else normalize(key, value, self.get(key, missing_ok=True))
        if local:
            if in_txn:
                self.local[key] = new
                self._mark(key)
            return
        if in_txn and self.undo is not None and key not in self.undo:
            self.undo[key] = self.values.get(key)
        self.values[key] = new
        self.local.pop(key, None)
        self._mark(key)

    def reset(self, name: str, in_txn: bool = False) -> None:
        """RESET name / RESET ALL."""
        if name.lower() == "all":
            for k in list(self.values):
                g = GUCS.get(k)
                if g is None or not g.readonly:
                    self.set(k, None, in_txn=in_txn) if g is not None else self.values.pop(k, None)
            return
        self.set(name, None, in_txn=in_txn)

    def _mark(self, key: str) -> None:
        g = GUCS.get(key)
        if g is not None and g.reportable:
            self.changed.add(key)

    def begin(self) -> None:
        self.undo = {}

    def end(self, commit: bool) -> None:
        """Transaction end: drop SET LOCAL values; on abort restore values SET inside the transaction."""
        for k in self.local:
            self._mark(k)
        self.local.clear()
        if not commit and self.undo:
            for k, v in self.undo.items():
                if v is None:
                    self.values.pop(k, None)
                else:
                    self.values[k] = v
                self._mark(k)
        self.undo = None

    def reportable(self) -> dict[str, str]:
        """Every reportable setting with its current value (canonical spelling)."""
        return {g.name: self.show(k) for k, g in GUCS.items() if g.reportable}

    def take_changes(self) -> dict[str, str]:
        out = {GUCS[k].name: self.show(k) for k in sorted(self.changed)}
        self.changed.clear()
        return out

    def all(self) -> list[tuple[str, str, str]]:
        """SHOW ALL rows: (name, setting, description), sorted by name."""
        rows = [(g.name, self.show(k), g.short_desc) for k, g in GUCS.items()]
        return sorted(rows, key=lambda r: r[0].lower())
