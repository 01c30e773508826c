"""Every error a client can see: one class per SQLSTATE, registered by code.

The protocol layer turns a :class:`RemError` into an ErrorResponse; nothing else crosses the Session API.
Declare a new error as ``class Foo(RemError, code="XXXXX")``; :func:`lookup` finds it by SQLSTATE.
"""

from __future__ import annotations

_by_code: dict[str, type[RemError]] = {}


class RemError(Exception):
    """Base of all client-visible errors; carries the PostgreSQL error fields."""

    sqlstate: str = "XX000"

    def __init_subclass__(cls, code: str | None = None, **kw: object) -> None:
        super().__init_subclass__(**kw)
        if code is not None:
            cls.sqlstate = code
            _by_code.setdefault(code, cls)

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        severity: str = "ERROR",
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint
        self.position = position  # 1-based character position in the query text
        self.severity = severity
        if sqlstate is not None:
            self.sqlstate = sqlstate

    def __str__(self) -> str:
        return self.message


def lookup(code: str) -> type[RemError]:
    """The class registered for SQLSTATE ``code`` (or :class:`RemError`)."""
    return _by_code.get(code, RemError)


def error(code: str, message: str, **kw: object) -> RemError:
    """Build the registered error for ``code``; unknown codes keep their SQLSTATE."""
    cls = lookup(code)
    if cls is RemError:
        return RemError(message, sqlstate=code, **kw)  # type: ignore[arg-type]
    return cls(message, **kw)  # type: ignore[arg-type]


# --- class 08: connection exceptions / protocol
class ProtocolViolation(RemError, code="08P01"): ...


# --- class 0A: feature not supported
class FeatureNotSupported(RemError, code="0A000"): ...


# --- class 21/22: cardinality and data exceptions
class CardinalityViolation(RemError, code="21000"): ...


class DataException(RemError, code="22000"): ...


class StringDataRightTruncation(RemError, code="22001"): ...


class NumericValueOutOfRange(RemError, code="22003"): ...


class InvalidDatetimeFormat(RemError, code="22007"): ...


class DatetimeFieldOverflow(RemError, code="22008"): ...


class DivisionByZero(RemError, code="22012"): ...


class InvalidParameterValue(RemError, code="22023"): ...


class InvalidTextRepresentation(RemError, code="22P02"): ...


class InvalidBinaryRepresentation(RemError, code="22P03"): ...


class InvalidEscapeSequence(RemError, code="22025"): ...


class ArraySubscriptError(RemError, code="2202E"): ...


class InvalidJsonText(RemError, code="22P05"): ...


class BadCopyFileFormat(RemError, code="22P04"): ...


# --- class 23: integrity constraint violations
class NotNullViolation(RemError, code="23502"): ...


class ForeignKeyViolation(RemError, code="23503"): ...


class UniqueViolation(RemError, code="23505"): ...


class CheckViolation(RemError, code="23514"): ...


# --- class 25/26/28/34: transaction state, statements, auth, cursors
class ActiveSqlTransaction(RemError, code="25001"): ...


class NoActiveSqlTransaction(RemError, code="25P01"): ...


class InFailedSqlTransaction(RemError, code="25P02"): ...


class ReadOnlySqlTransaction(RemError, code="25006"): ...


class InvalidSqlStatementName(RemError, code="26000"): ...


class InvalidAuthorizationSpecification(RemError, code="28000"): ...


class InvalidPassword(RemError, code="28P01"): ...


class InvalidCursorName(RemError, code="34000"): ...


class InvalidCursorState(RemError, code="24000"): ...


class InvalidSavepointSpecification(RemError, code="3B001"): ...


# --- class 40: transaction rollback
class SerializationFailure(RemError, code="40001"): ...


# --- class 42: syntax errors and access rule violations
class SyntaxError_(RemError, code="42601"): ...


class InsufficientPrivilege(RemError, code="42501"): ...


class UndefinedColumn(RemError, code="42703"): ...


class UndefinedFunction(RemError, code="42883"): ...


class UndefinedTable(RemError, code="42P01"): ...


class UndefinedObject(RemError, code="42704"): ...


class UndefinedParameter(RemError, code="42P02"): ...


class DuplicateTable(RemError, code="42P07"): ...


class DuplicateColumn(RemError, code="42701"): ...


class DuplicateObject(RemError, code="42710"): ...


class DuplicatePreparedStatement(RemError, code="42P05"): ...


class DuplicateCursor(RemError, code="42P03"): ...


class AmbiguousColumn(RemError, code="42702"): ...


class AmbiguousFunction(RemError, code="42725"): ...


class DatatypeMismatch(RemError, code="42804"): ...


class WrongObjectType(RemError, code="42809"): ...


class GroupingError(RemError, code="42803"): ...


class InvalidColumnReference(RemError, code="42P10"): ...


class UndefinedSchema(RemError, code="3F000"): ...


class CannotCoerce(RemError, code="42846"): ...


class IndeterminateDatatype(RemError, code="42P18"): ...


# --- class 53/54/55/57: resources, limits, state, operator intervention
class OutOfMemory(RemError, code="53200"): ...


class ProgramLimitExceeded(RemError, code="54000"): ...


class ObjectInUse(RemError, code="55006"): ...


class LockNotAvailable(RemError, code="55P03"): ...


class QueryCanceled(RemError, code="57014"): ...


class AdminShutdown(RemError, code="57P01"): ...


# --- class 58/XX: system and internal errors
class IOError_(RemError, code="58030"): ...


class InternalError(RemError, code="XX000"): ...


class DataCorrupted(RemError, code="XX001"): ...


# --- added by the embeddings/vector engineer
class ExternalRoutineException(RemError, code="38000"):
    """An embedding provider (OpenAI-compatible server, local model) failed."""


# --- added for file ingest (CLI)
class CharacterNotInRepertoire(RemError, code="22021"): ...


class UndefinedFile(RemError, code="58P01"): ...


# --- added by the types engineer (value semantics)
class InvalidArgumentForLogarithm(RemError, code="2201E"): ...


class InvalidArgumentForPowerFunction(RemError, code="2201F"): ...


class InvalidArgumentForWidthBucketFunction(RemError, code="2201G"): ...


class InvalidRegularExpression(RemError, code="2201B"): ...


class NullValueNotAllowed(RemError, code="22004"): ...


class GeneratedAlways(RemError, code="428C9"): ...


class WindowingError(RemError, code="42P20"): ...


# --- DDL dependencies and schema objects (added for constraints, schemas, sequences)
class InvalidForeignKey(RemError, code="42830"): ...


class DuplicateSchema(RemError, code="42P06"): ...


class DependentObjectsStillExist(RemError, code="2BP01"): ...


class SequenceGeneratorLimitExceeded(RemError, code="2200H"): ...


class ObjectNotInPrerequisiteState(RemError, code="55000"): ...


class ReservedName(RemError, code="42939"): ...
