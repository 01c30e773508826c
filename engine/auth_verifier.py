"""SCRAM-SHA-256 verifiers in PostgreSQL's text form ``SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>``.

Used by the engine to store passwords (``Database.set_password``) and by the wire layer to check them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

DEFAULT_ITERATIONS = 4096


@dataclass(frozen=True)
class ScramVerifier:
    """The parts of a stored SCRAM-SHA-256 verifier."""

    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes


def _normalize(password: str) -> bytes:
    """SASLprep, approximated: NFKC for non-ASCII passwords (ASCII passwords are unchanged, as in PostgreSQL)."""
    if password.isascii():
        return password.encode()
    return unicodedata.normalize("NFKC", password).encode()


def salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    """Hi(Normalize(password), salt, i) of RFC 5802."""
    return hashlib.pbkdf2_hmac("sha256", _normalize(password), salt, iterations)


def scram_keys(salted: bytes) -> tuple[bytes, bytes]:
    """StoredKey and ServerKey of RFC 5802 from a salted password."""
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    return hashlib.sha256(client_key).digest(), hmac.digest(salted, b"Server Key", "sha256")


def build_scram_verifier(password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """A new verifier for ``password`` (random 16-byte salt unless given)."""
    salt = os.urandom(16) if salt is None else salt
    stored_key, server_key = scram_keys(salted_password(password, salt, iterations))
    b64 = lambda b: base64.b64encode(b).decode()
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def parse_scram_verifier(text: str) -> ScramVerifier | None:
    """The parts of a verifier, or None if ``text`` is not a SCRAM-SHA-256 verifier."""
    try:
        method, rest = text.split("$", 1)
        params, keys = rest.split("$", 1)
        iters, salt = params.split(":", 1)
        stored, server = keys.split(":", 1)
        if method != "SCRAM-SHA-256":
            return None
        return ScramVerifier(int(iters), base64.b64decode(salt, validate=True),
                             base64.b64decode(stored, validate=True), base64.b64decode(server, validate=True))
    except (ValueError, TypeError):
        return None
