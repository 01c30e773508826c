"""The asyncio TCP server: accepts connections and drives one :class:`Connection` per client.

The event loop only moves bytes. Engine work (``Connection.feed`` after startup) runs in a thread pool, one
feed at a time per connection, so a slow statement never blocks other sessions; idle connections are just
sockets in the selector and cost no CPU. Large results are streamed from the worker with back-pressure.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from concurrent.futures import ThreadPoolExecutor

from engine.api import Database
from remwire.connection import ClientGone, Connection, ConnState

log = logging.getLogger("remwire")

_PAUSE_READING_AT = 1 << 20


class _ClientProtocol(asyncio.Protocol):
    """Bytes in → Connection.feed (worker thread) → bytes out."""

    def __init__(self, server: RemServer) -> None:
        self.server = server
        self.loop = server.loop
        self.conn = Connection(server.db, auth=server.auth, max_message_size=server.max_message_size,
                               sink=self._sink_from_thread)
        self.transport: asyncio.Transport | None = None
        self.inbox: list[bytes] = []
        self.inbox_size = 0
        self.busy = False
        self.lost = False
        self.reading_paused = False
        self.can_write = asyncio.Event()
        self.can_write.set()

    # -- asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self.server.clients.add(self)

    def data_received(self, data: bytes) -> None:
        self.inbox.append(data)
        self.inbox_size += len(data)
        if not self.busy:
            self._kick()
        elif self.inbox_size > _PAUSE_READING_AT and not self.reading_paused and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.can_write.set()
        self.server.clients.discard(self)
        if self.busy:
            self.conn.cancel()  # the worker finishes, then _done closes the session
        else:
            self.server.run_blocking(self.conn.close)

    def pause_writing(self) -> None:
        self.can_write.clear()

    def resume_writing(self) -> None:
        self.can_write.set()

    # -- driving the connection
    def _kick(self) -> None:
        data = b"".join(self.inbox) if len(self.inbox) > 1 else self.inbox[0]
        self.inbox.clear()
        self.inbox_size = 0
        if self.reading_paused and self.transport is not None:
            self.transport.resume_reading()
            self.reading_paused = False
        if self.conn.state is ConnState.STARTUP:
            # SSLRequest, CancelRequest and trust startup are quick: answer them on the loop, so a cancel
            # request is served even when every worker is busy.
            self._deliver(self.conn.feed(data))
            return
        self.busy = True
        fut = self.loop.run_in_executor(self.server.pool, self.conn.feed, data)
        fut.add_done_callback(self._done)

    def _done(self, fut: asyncio.Future[bytes]) -> None:
        self.busy = False
        try:
            out = fut.result()
        except ClientGone:
            out = b""
        except Exception:  # noqa: BLE001 - a bug must not kill the server
            log.exception("connection crashed")
            out = b""
            self.conn.state = ConnState.CLOSED
        self._deliver(out)
        if self.lost:
            self.server.run_blocking(self.conn.close)
        elif self.inbox and not self.conn.closed:
            self._kick()

    def _deliver(self, out: bytes) -> None:
        t = self.transport
        if t is None or self.lost:
            return
        if out:
            t.write(out)
        if self.conn.closed:
            t.close()
            if not self.busy:
                self.server.run_blocking(self.conn.close)

    def _sink_from_thread(self, data: bytes) -> None:
        """Called by the worker to stream a large result: write, then wait until the socket drains."""
        fut = asyncio.run_coroutine_threadsafe(self._write_and_drain(data), self.loop)
        if not fut.result():
            raise ClientGone()

    async def _write_and_drain(self, data: bytes) -> bool:
        if self.lost or self.transport is None:
            return False
        self.transport.write(data)
        await self.can_write.wait()
        return not self.lost


class RemServer:
    """Listens on host:port and serves ``db`` until :meth:`stop`."""

    def __init__(self, db: Database, *, host: str = "127.0.0.1", port: int = 5433, auth: str = "trust",
                 max_message_size: int = 256 << 20, worker_threads: int = 64) -> None:
        self.db = db
        self.host = host
        self.port = port
        self.auth = auth
        self.max_message_size = max_message_size
        self.pool = ThreadPoolExecutor(max_workers=worker_threads, thread_name_prefix="rem-worker")
        self.clients: set[_ClientProtocol] = set()
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        """Bind and listen (raises OSError if the address is taken)."""
        self.loop = asyncio.get_running_loop()
        self._server = await self.loop.create_server(
            lambda: _ClientProtocol(self), self.host, self.port, reuse_address=True, backlog=1024
        )
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]

    def run_blocking(self, fn: object) -> None:
        """Run a blocking callable in the pool (fire and forget)."""
        try:
            self.loop.run_in_executor(self.pool, fn)  # type: ignore[arg-type]
        except RuntimeError:
            pass  # pool already shut down

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, cancel running statements, close every session."""
        if self._server is not None:
            self._server.close()
        clients = list(self.clients)
        for c in clients:
            c.conn.cancel()
        deadline = self.loop.time() + timeout
        while any(c.busy for c in clients) and self.loop.time() < deadline:
            await asyncio.sleep(0.02)
        for c in clients:
            if c.transport is not None:
                c.transport.close()
        await asyncio.gather(*(self.loop.run_in_executor(self.pool, c.conn.close) for c in clients),
                             return_exceptions=True)
        self.pool.shutdown(wait=False, cancel_futures=True)
