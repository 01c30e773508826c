"""The asyncio TCP server: accepts connections and drives one :class:`Connection` per client.

The event loop only moves bytes. Engine work (``Connection.feed`` after startup) runs in a thread pool, one
feed at a time per connection, so a slow statement never blocks other sessions; idle connections are just
sockets in the selector and cost no CPU. Large results are streamed from the worker with back-pressure.

Latency: while a worker owns a connection, reading by the loop is paused and the worker writes the answer to
the socket itself, then lingers a moment (``LINGER``, only while the pool has spare threads) for the client's
next request, serving back-to-back statements without a thread hop per round trip.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from engine.api import Database
from remwire.connection import ClientGone, Connection, ConnState

log = logging.getLogger("remwire")

_PAUSE_READING_AT = 1 << 20
LINGER = 0.01  # seconds a worker waits for the next request on its connection (a thread blocked in poll is free)
_MAX_STICKY = 0.05  # seconds a worker may keep one connection before handing it back (fairness)


class _ClientProtocol(asyncio.Protocol):
    """Bytes in → Connection.feed (worker thread) → bytes out."""

    def __init__(self, server: RemServer) -> None:
        self.server = server
        self.loop = server.loop
        self.conn = Connection(server.db, auth=server.auth, max_message_size=server.max_message_size,
                               sink=self._sink_from_thread, tls=server.ssl_context is not None,
                               on_notify=self._notified)
        self.transport: asyncio.Transport | None = None
        self.inbox: list[bytes] = []
        self.inbox_size = 0
        self.busy = False
        self.lost = False
        self.reading_paused = False
        self.can_write = asyncio.Event()
        self.can_write.set()
        self.fd = -1
        self.direct = False  # the worker owns the socket (reads paused on the loop)
        self.upgrading = False  # TLS handshake in progress: hold incoming data until it is done

    # -- asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self.server.clients.add(self)

    def data_received(self, data: bytes) -> None:
        self.inbox.append(data)
        self.inbox_size += len(data)
        if not self.busy and not self.upgrading:
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
            if self.conn.tls_pending and not self.conn.closed:
                self._start_tls()
            return
        self.busy = True
        t = self.transport
        self.direct = (t is not None and self.fd >= 0 and t.get_write_buffer_size() == 0
                       and not self.reading_paused)
        if self.direct:
            t.pause_reading()  # type: ignore[union-attr]
        fut = self.loop.run_in_executor(self.server.pool, self._work, data)
        fut.add_done_callback(self._done)

    def _start_tls(self) -> None:
        """Answered 'S' to an SSLRequest: run the handshake; the plain socket is no longer used directly."""
        self.conn.tls_pending = False
        self.upgrading = True
        self.fd = -1  # no direct socket I/O from workers on a TLS connection
        t = self.transport
        assert t is not None

        async def upgrade() -> None:
            try:
                nt = await self.loop.start_tls(t, self, self.server.ssl_context, server_side=True)
            except Exception as e:  # noqa: BLE001 - a failed handshake ends this connection only
                log.info("TLS handshake failed: %s", e)
                t.close()
                self.lost = True
                self.server.clients.discard(self)
                return
            finally:
                self.upgrading = False
            if nt is None:
                t.close()
                return
            self.transport = nt
            if self.inbox and not self.busy and not self.lost:
                self._kick()

        self.loop.create_task(upgrade())

    def _notified(self) -> None:
        """A NOTIFY for this session (called from the notifier's thread): send it from the loop when idle."""
        try:
            self.loop.call_soon_threadsafe(self._push_notifications)
        except RuntimeError:
            pass  # loop closed

    def _push_notifications(self) -> None:
        if self.busy or self.lost or self.upgrading or self.transport is None:
            return  # a running request sends them before its ReadyForQuery (or _done comes back here)
        data = self.conn.idle_notifications()
        if data:
            self.transport.write(data)

    # -- worker thread side
    def _work(self, data: bytes) -> bytes:
        """Feed ``data``; in direct mode also write the answer and serve follow-up requests for a while."""
        out = self.conn.feed(data)
        if not self.direct:
            return out
        srv = self.server
        with srv.counter_lock:
            srv.active += 1
        try:
            self._write_direct(out)
            start = time.monotonic()
            poller = select.poll()
            poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            while (not self.conn.closed and not srv.stopping and srv.active <= srv.max_sticky
                   and time.monotonic() - start < _MAX_STICKY):
                if not poller.poll(LINGER * 1000):
                    break
                try:
                    data = os.read(self.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    break
                if not data:
                    break  # EOF: the loop sees it again once reading resumes
                self._write_direct(self.conn.feed(data))
        finally:
            with srv.counter_lock:
                srv.active -= 1
        return b""

    def _write_direct(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
            except OSError as e:
                raise ClientGone() from e

    def _done(self, fut: asyncio.Future[bytes]) -> None:
        self.busy = False
        if self.direct:
            self.direct = False
            if self.transport is not None and not self.lost and not self.conn.closed:
                self.transport.resume_reading()
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
        elif getattr(self.conn.session, "notifications", None):
            self._push_notifications()

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
        if self.direct:
            self._write_direct(data)
            return
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
                 max_message_size: int = 256 << 20, worker_threads: int = 64,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.db = db
        self.ssl_context = ssl_context  # set: SSLRequest is answered 'S' and the connection upgraded
        self.host = host
        self.port = port
        self.auth = auth
        self.max_message_size = max_message_size
        self.pool = ThreadPoolExecutor(max_workers=worker_threads, thread_name_prefix="rem-worker")
        self.workers = worker_threads
        # lingering workers (a thread per busy connection, like a backend per client); 8 stay free for the others
        self.max_sticky = max(4, worker_threads - 8)
        self.active = 0
        self.counter_lock = threading.Lock()
        self.stopping = False
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
        self.stopping = True
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
        closing = asyncio.gather(*(self.loop.run_in_executor(self.pool, c.conn.close) for c in clients),
                                 return_exceptions=True)
        try:
            await asyncio.wait_for(closing, timeout)
        except TimeoutError:
            log.warning("some sessions did not finish their statement; closing anyway")
        self.pool.shutdown(wait=False, cancel_futures=True)
