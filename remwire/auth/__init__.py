"""Authentication methods: one module per method, each an :class:`Authenticator` (sans-I/O).

The connection calls ``begin(user)`` after the StartupMessage and ``step(body)`` for each PasswordMessage
('p') until ``done``; failures raise RemError (28000 unknown role, 28P01 wrong password).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.api import Role
from remwire.protocol.messages import Authentication

RoleLookup = Callable[[str], "Role | None"]


class Authenticator(Protocol):
    """One authentication exchange for one connection."""

    done: bool

    def begin(self, user: str) -> list[Authentication]:
        """Messages that open the exchange (empty when no client round trip is needed)."""

    def step(self, data: bytes) -> list[Authentication]:
        """Process a PasswordMessage body; returns the messages to send."""


def make_authenticator(method: str, get_role: RoleLookup) -> Authenticator:
    """The authenticator for ``method``: 'trust', 'scram', 'password' (cleartext) or 'md5'.

    Roles keep only SCRAM-SHA-256 verifiers, so 'md5' runs the SCRAM exchange, as PostgreSQL does for md5 in
    pg_hba.conf when the stored password is a SCRAM verifier.
    """
    from remwire.auth.password import CleartextAuthenticator
    from remwire.auth.scram import ScramAuthenticator
    from remwire.auth.trust import TrustAuthenticator

    if method in ("scram", "md5"):
        return ScramAuthenticator(get_role)
    if method == "password":
        return CleartextAuthenticator(get_role)
    if method == "trust":
        return TrustAuthenticator()
    raise ValueError(f"unknown auth method {method!r}")
