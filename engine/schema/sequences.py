"""Sequence definitions (CREATE SEQUENCE, serial and identity columns) and their arithmetic.

A sequence's state is its last value (``meta`` key ``seq:<name>``; ``<schema>.<name>`` outside public). A sequence
that was never called stores ``start - increment`` so that the next value is always ``last + increment``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from engine import errors as E
from engine import types as T

_LIMITS = {T.INT2: (-(1 << 15), (1 << 15) - 1), T.INT4: (-(1 << 31), (1 << 31) - 1),
           T.INT8: (-(1 << 63), (1 << 63) - 1)}


@dataclass
class SequenceDef:
    """One sequence (pg_sequence + its pg_class row)."""

    name: str
    schema: str = "public"
    type_oid: int = T.INT8
    start: int | None = None
    increment: int = 1
    minvalue: int | None = None
    maxvalue: int | None = None
    cache: int = 1
    cycle: bool = False
    owner_table: str | None = None  # serial/identity: the owning table's name (same schema) and column
    owner_column: str | None = None
    oid: int = 0

    def __post_init__(self) -> None:
        lo, hi = _LIMITS.get(self.type_oid, _LIMITS[T.INT8])
        if self.increment == 0:
            raise E.InvalidParameterValue("INCREMENT must not be zero")
        if self.minvalue is None:
            self.minvalue = 1 if self.increment > 0 else lo
        if self.maxvalue is None:
            self.maxvalue = hi if self.increment > 0 else -1
        if self.start is None:
            self.start = self.minvalue if self.increment > 0 else self.maxvalue
        if self.minvalue >= self.maxvalue:
            raise E.InvalidParameterValue(
                f'MINVALUE ({self.minvalue}) must be less than MAXVALUE ({self.maxvalue})')
        if not self.minvalue <= self.start <= self.maxvalue:
            which = "less" if self.start < self.minvalue else "greater"
            bound = "MINVALUE" if which == "less" else "MAXVALUE"
            raise E.InvalidParameterValue(
                f"START value ({self.start}) cannot be {which} than {bound} "
                f"({self.minvalue if which == 'less' else self.maxvalue})")

    @property
    def key(self) -> str:
        """The name the value is stored under (``name``, or ``schema.name`` outside public)."""
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"

    @property
    def initial_last(self) -> int:
        assert self.start is not None
        return self.start - self.increment

    def advance(self, last: int) -> int:
        """The value after ``last`` (2200H at a bound unless CYCLE)."""
        v = last + self.increment
        assert self.minvalue is not None and self.maxvalue is not None
        if v > self.maxvalue or v < self.minvalue:
            if not self.cycle:
                which = "maximum" if v > self.maxvalue else "minimum"
                bound = self.maxvalue if v > self.maxvalue else self.minvalue
                raise E.SequenceGeneratorLimitExceeded(
                    f'nextval: reached {which} value of sequence "{self.name}" ({bound})')
            v = self.minvalue if self.increment > 0 else self.maxvalue
        return v

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SequenceDef:
        return cls(**d)
