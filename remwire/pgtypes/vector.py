"""pgvector's ``vector``: binary int16 dim, int16 unused, dim × float4 (big-endian); value is float32 ndarray."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from engine.errors import InvalidBinaryRepresentation

_HDR = struct.Struct("!hh")
_BE = np.dtype(">f4")


def send_vector(v: Any) -> bytes:
    a = np.asarray(v, dtype=np.float32).reshape(-1)
    return _HDR.pack(a.shape[0], 0) + a.astype(_BE).tobytes()


def recv_vector(b: bytes) -> np.ndarray:
    if len(b) < 4:
        raise InvalidBinaryRepresentation("invalid binary data for type vector")
    dim, _unused = _HDR.unpack_from(b)
    if dim < 0 or len(b) != 4 + 4 * dim:
        raise InvalidBinaryRepresentation("invalid binary data for type vector")
    return np.frombuffer(b, dtype=_BE, count=dim, offset=4).astype(np.float32)
