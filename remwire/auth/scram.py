"""SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL does it: SASL over AuthenticationSASL/Continue/Final.

Channel binding (SCRAM-SHA-256-PLUS) is not offered since TLS is not served. The username inside the SCRAM
message is ignored; the StartupMessage user is authenticated, as in PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct

from engine.auth_verifier import ScramVerifier, parse_scram_verifier
from engine.errors import InvalidAuthorizationSpecification, InvalidPassword, ProtocolViolation
from remwire.auth import RoleLookup
from remwire.protocol.messages import AuthCode, Authentication

MECHANISM = "SCRAM-SHA-256"


def _attrs(msg: str) -> dict[str, str]:
    out = {}
    for part in msg.split(","):
        if len(part) < 2 or part[1] != "=":
            raise ProtocolViolation("malformed SCRAM message", detail=f"Attribute expected in {msg!r}.")
        out[part[0]] = part[2:]
    return out


class ScramAuthenticator:
    """Server side of one SCRAM-SHA-256 exchange."""

    def __init__(self, get_role: RoleLookup) -> None:
        self.get_role = get_role
        self.done = False
        self.user = ""
        self.verifier: ScramVerifier | None = None
        self.stage = 0
        self.gs2_header = ""
        self.client_first_bare = ""
        self.server_first = ""
        self.nonce = ""

    def _fail(self) -> InvalidPassword:
        return InvalidPassword(f'password authentication failed for user "{self.user}"')

    def begin(self, user: str) -> list[Authentication]:
        self.user = user
        role = self.get_role(user)
        if role is None:
            raise InvalidAuthorizationSpecification(f'role "{user}" does not exist')
        if not role.can_login:
            raise InvalidAuthorizationSpecification(f'role "{user}" is not permitted to log in')
        self.verifier = parse_scram_verifier(role.scram_verifier) if role.scram_verifier else None
        if self.verifier is None:
            raise InvalidPassword(f'password authentication failed for user "{user}"',
                                  detail=f'User "{user}" has no password assigned.')
        return [Authentication(AuthCode.SASL, MECHANISM.encode() + b"\0\0")]

    def step(self, data: bytes) -> list[Authentication]:
        if self.stage == 0:
            return self._first(data)
        if self.stage == 1:
            return self._final(data)
        raise ProtocolViolation("unexpected SASL response")

    def _first(self, data: bytes) -> list[Authentication]:
        end = data.find(b"\0")
        if end < 0 or len(data) < end + 5:
            raise ProtocolViolation("malformed SASLInitialResponse message")
        mech = data[:end].decode(errors="replace")
        if mech != MECHANISM:
            raise ProtocolViolation("client selected an invalid SASL authentication mechanism")
        ln = struct.unpack_from("!i", data, end + 1)[0]
        msg = data[end + 5 :].decode(errors="replace")
        if ln != len(data) - end - 5:
            raise ProtocolViolation("malformed SASLInitialResponse message")
        parts = msg.split(",", 2)
        if len(parts) != 3 or parts[0] not in ("n", "y") or parts[1] != "":
            if parts and parts[0].startswith("p"):
                raise ProtocolViolation("channel binding is not supported by this server")
            raise ProtocolViolation("malformed SCRAM message", detail="Unexpected GS2 header.")
        self.gs2_header = parts[0] + "," + parts[1] + ","
        self.client_first_bare = parts[2]
        attrs = _attrs(self.client_first_bare)
        if "r" not in attrs or not attrs["r"]:
            raise ProtocolViolation("malformed SCRAM message", detail="Client nonce missing.")
        assert self.verifier is not None
        self.nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
        salt = base64.b64encode(self.verifier.salt).decode()
        self.server_first = f"r={self.nonce},s={salt},i={self.verifier.iterations}"
        self.stage = 1
        return [Authentication(AuthCode.SASL_CONTINUE, self.server_first.encode())]

    def _final(self, data: bytes) -> list[Authentication]:
        msg = data.decode(errors="replace")
        idx = msg.rfind(",p=")
        if idx < 0:
            raise ProtocolViolation("malformed SCRAM message", detail="Proof missing.")
        without_proof = msg[:idx]
        attrs = _attrs(msg)
        if attrs.get("c") != base64.b64encode(self.gs2_header.encode()).decode():
            raise ProtocolViolation("SCRAM channel binding check failed")
        if attrs.get("r") != self.nonce:
            raise ProtocolViolation("malformed SCRAM message", detail="Nonce does not match.")
        try:
            proof = base64.b64decode(attrs["p"], validate=True)
        except (ValueError, KeyError) as e:
            raise ProtocolViolation("malformed SCRAM message", detail="Malformed proof.") from e
        assert self.verifier is not None
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        client_sig = hmac.digest(self.verifier.stored_key, auth_message, "sha256")
        if len(proof) != len(client_sig):
            raise self._fail()
        client_key = bytes(a ^ b for a, b in zip(proof, client_sig, strict=True))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.verifier.stored_key):
            raise self._fail()
        server_sig = hmac.digest(self.verifier.server_key, auth_message, "sha256")
        self.stage = 2
        self.done = True
        return [Authentication(AuthCode.SASL_FINAL, b"v=" + base64.b64encode(server_sig))]
