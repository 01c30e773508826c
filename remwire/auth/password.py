"""password: the client sends the password in clear (AuthenticationCleartextPassword); it is checked against the
role's stored SCRAM-SHA-256 verifier. Use it only over TLS (``rem serve --ssl``)."""

from __future__ import annotations

import hmac

from engine.auth_verifier import ScramVerifier, parse_scram_verifier, salted_password, scram_keys
from engine.errors import InvalidAuthorizationSpecification, InvalidPassword
from remwire.auth import RoleLookup
from remwire.protocol.messages import AuthCode, Authentication


def check_password(verifier: ScramVerifier, password: str) -> bool:
    """True if ``password`` derives the verifier's StoredKey and ServerKey."""
    stored, server = scram_keys(salted_password(password, verifier.salt, verifier.iterations))
    return hmac.compare_digest(stored, verifier.stored_key) and hmac.compare_digest(server, verifier.server_key)


class CleartextAuthenticator:
    """Ask for the password, check it against the SCRAM verifier."""

    def __init__(self, get_role: RoleLookup) -> None:
        self.get_role = get_role
        self.done = False
        self.user = ""
        self.verifier: ScramVerifier | None = None

    def begin(self, user: str) -> list[Authentication]:
        self.user = user
        role = self.get_role(user)
        if role is None:
            raise InvalidAuthorizationSpecification(f'role "{user}" does not exist')
        if not role.can_login:
            raise InvalidAuthorizationSpecification(f'role "{user}" is not permitted to log in')
        self.verifier = parse_scram_verifier(role.scram_verifier) if role.scram_verifier else None
        return [Authentication(AuthCode.CLEARTEXT, b"")]

    def step(self, data: bytes) -> list[Authentication]:
        password = data[:-1] if data.endswith(b"\0") else data
        fail = InvalidPassword(f'password authentication failed for user "{self.user}"')
        if self.verifier is None:
            fail.detail = f'User "{self.user}" has no password assigned.'
            raise fail
        try:
            text = password.decode()
        except UnicodeDecodeError:
            raise fail from None
        if not text or not check_password(self.verifier, text):
            raise fail
        self.done = True
        return []
