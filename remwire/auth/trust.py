"""trust: every user is accepted without a password (the embedded local server's default)."""

from __future__ import annotations

from engine.errors import ProtocolViolation
from remwire.protocol.messages import Authentication


class TrustAuthenticator:
    """Accept at once."""

    done = True

    def begin(self, user: str) -> list[Authentication]:
        return []

    def step(self, data: bytes) -> list[Authentication]:
        raise ProtocolViolation("unexpected password message")
