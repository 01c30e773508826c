"""A minimal blocking protocol client over a raw socket, for tests that need exact messages."""

from __future__ import annotations

import socket
import struct

from remwire.protocol import messages as m
from remwire.protocol.codec import BackendReader


class RawClient:
    """Sends frontend messages and reads backend messages; ``startup()`` does trust login."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.reader = BackendReader()
        self.params: dict[str, str] = {}
        self.key: tuple[int, int] | None = None

    def send(self, *msgs: m.FrontendMessage | bytes) -> None:
        self.sock.sendall(b"".join(x if isinstance(x, bytes) else x.encode() for x in msgs))

    def recv(self) -> m.BackendMessage | None:
        """The next backend message, or None if the server closed the connection."""
        while True:
            msg = self.reader.next()
            if msg is not None:
                return msg
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.reader.feed(data)

    def recv_byte(self) -> bytes:
        return self.sock.recv(1)

    def until(self, kind: type = m.ReadyForQuery) -> list[m.BackendMessage]:
        """Messages up to and including the first of type ``kind`` (or until the server closes)."""
        out: list[m.BackendMessage] = []
        while True:
            msg = self.recv()
            if msg is None:
                return out
            out.append(msg)
            if isinstance(msg, kind):
                return out

    def startup(self, user: str = "rem", database: str = "rem", **params: str) -> list[m.BackendMessage]:
        self.send(m.StartupMessage(m.PROTOCOL_3_0, {"user": user, "database": database, **params}))
        msgs = self.until()
        for x in msgs:
            if isinstance(x, m.ParameterStatus):
                self.params[x.name] = x.value
            if isinstance(x, m.BackendKeyData):
                self.key = (x.process_id, x.secret_key)
        return msgs

    def query(self, sql: str) -> list[m.BackendMessage]:
        self.send(m.Query(sql))
        return self.until()

    def closed_by_server(self) -> bool:
        """True when the server has closed the connection (after any pending messages)."""
        while True:
            msg = self.recv()
            if msg is None:
                return True

    def close(self) -> None:
        try:
            self.send(m.Terminate())
        except OSError:
            pass
        self.sock.close()


def kinds(msgs: list[m.BackendMessage]) -> list[str]:
    """Message class names, for compact assertions."""
    return [type(x).__name__ for x in msgs]


def int4(v: int) -> bytes:
    return struct.pack("!i", v)
