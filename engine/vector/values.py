"""pgvector's ``vector`` values on the engine side: numpy float32 1-d arrays, text form ``'[1,2,3]'``.

``to_vector`` accepts what SQL may hand a vector function (ndarray, list, or the text form) and checks it the
way pgvector does (SQLSTATEs 22P02 / 22000); ``format_vector`` prints pgvector's output text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.errors import DataException, InvalidTextRepresentation, ProgramLimitExceeded

VECTOR_MAX_DIM = 16000
_NUM = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*|\s*[-+]?(?:inf(?:inity)?|nan)\s*", re.I)


def _check(v: np.ndarray) -> np.ndarray:
    if v.ndim != 1:
        raise DataException("vector must have one dimension")
    if v.shape[0] < 1:
        raise DataException("vector must have at least 1 dimension")
    if v.shape[0] > VECTOR_MAX_DIM:
        raise ProgramLimitExceeded(f"vector cannot have more than {VECTOR_MAX_DIM} dimensions")
    if not np.all(np.isfinite(v)):
        if np.any(np.isnan(v)):
            raise DataException("NaN not allowed in vector")
        raise DataException("infinite value not allowed in vector")
    return v


def parse_vector(text: str) -> np.ndarray:
    """pgvector's input function.

    >>> parse_vector(" [1, 2.5,-3e0] ").tolist()
    [1.0, 2.5, -3.0]
    """
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise InvalidTextRepresentation(f'invalid input syntax for type vector: "{text}"',
                                        detail='Vector contents must start with "[".' if not s.startswith("[")
                                        else 'Unexpected end of input.')
    body = s[1:-1]
    if not body.strip():
        raise DataException("vector must have at least 1 dimension")
    parts = body.split(",")
    for p in parts:
        if not _NUM.fullmatch(p):
            raise InvalidTextRepresentation(f'invalid input syntax for type vector: "{text}"')
    vals = [float(p) for p in parts]
    for x in vals:
        if math.isnan(x):
            raise DataException("NaN not allowed in vector")
        if math.isinf(x) or abs(x) > 3.4028234663852886e38:
            raise DataException(f'"{x}" is out of range for type vector' if not math.isinf(x)
                                else "infinite value not allowed in vector")
    return _check(np.asarray(vals, np.float32))


def _fmt(x: np.float32) -> str:
    s = str(x)
    return s[:-2] if s.endswith(".0") else s


def format_vector(v: np.ndarray) -> str:
    """pgvector's output function (shortest float4 text of each element).

    >>> format_vector(np.array([1, 2.5, 0.1], np.float32))
    '[1,2.5,0.1]'
    """
    return "[" + ",".join(_fmt(x) for x in np.asarray(v, np.float32)) + "]"


def to_vector(value: Any) -> np.ndarray:
    """A float32 1-d array from an ndarray, a sequence of numbers or the text form."""
    if isinstance(value, np.ndarray):
        return _check(np.ascontiguousarray(value.reshape(-1) if value.ndim > 1 else value, dtype=np.float32))
    if isinstance(value, str):
        return parse_vector(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise DataException("cannot interpret bytes as a vector")
    if isinstance(value, Sequence):
        return _check(np.asarray([float(x) for x in value], np.float32))
    raise DataException(f"cannot interpret {type(value).__name__} as a vector")


def check_typmod(v: np.ndarray, typmod: int) -> np.ndarray:
    """A ``vector(n)`` column's check: ``expected n dimensions, not m`` (22000)."""
    if typmod is not None and typmod > 0 and v.shape[0] != typmod:
        raise DataException(f"expected {typmod} dimensions, not {v.shape[0]}")
    return v
