"""The ``rem`` command line: ``rem serve`` here; the admin commands come from :mod:`remwire.cli_commands`."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import signal
import sys
from pathlib import Path

import typer

from engine.errors import RemError
from engine.settings import Settings

app = typer.Typer(help="REM: a PostgreSQL-wire database for documents, vectors and graphs.",
                  no_args_is_help=True, add_completion=False)


@app.callback()
def _main() -> None:
    """REM: Resources, Entities, Moments."""


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _write_server_file(data_dir: Path, host: str, port: int) -> Path:
    path = data_dir / "server.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid()}))
    tmp.replace(path)
    return path


_AUTH_METHODS = ("trust", "scram", "md5", "password")


def _tls_context(settings: Settings, ssl_on: bool, cert: Path | None, key: Path | None) -> object | None:
    """The server's SSLContext: from --ssl-cert/--ssl-key, or a self-signed pair in the data dir (--ssl)."""
    if cert is None and key is None and not ssl_on:
        return None
    from remwire import tls

    if (cert is None) != (key is None):
        raise ValueError("--ssl-cert and --ssl-key go together")
    if cert is None or key is None:
        cert, key = tls.self_signed(settings.data_dir, settings.host)
    return tls.server_context(cert, key)


async def _serve(settings: Settings, ssl_context: object | None = None) -> int:
    from engine.database import open_database
    from remwire.server import RemServer

    try:
        db = open_database(settings)
    except RemError as e:
        _say(f"rem: cannot open data dir {settings.data_dir}: {e.message}")
        return 1
    except OSError as e:
        _say(f"rem: cannot open data dir {settings.data_dir}: {e}")
        return 1
    try:
        if settings.core_schemas:
            from engine.coreschemas import ensure_core_schemas_on_first_start

            for name in ensure_core_schemas_on_first_start(db):
                _say(f"registered core schema {name}")
        if settings.admin_password:
            db.set_password(settings.admin_user, settings.admin_password)
        elif settings.auth != "trust":
            role = db.get_role(settings.admin_user)
            if role is None or not role.scram_verifier:
                _say(f"rem: warning: --auth {settings.auth} but role {settings.admin_user!r} has no password (use --password)")
        server = RemServer(db, host=settings.host, port=settings.port, auth=settings.auth,
                           max_message_size=settings.max_message_size,
                           worker_threads=max(64, 4 * settings.worker_threads),
                           ssl_context=ssl_context)  # type: ignore[arg-type]
        try:
            await server.start()
        except OSError as e:
            why = "address already in use" if e.errno == errno.EADDRINUSE else (e.strerror or str(e))
            _say(f"rem: could not listen on {settings.host}:{settings.port}: {why}")
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        info = _write_server_file(settings.data_dir, settings.host, server.port)
        _say(f"listening on {settings.host}:{server.port}")
        _say(f"connect with: psql -h {settings.host} -p {server.port} -U {settings.admin_user} rem")
        try:
            await stop.wait()
        finally:
            _say("rem: shutting down")
            await server.stop()
            info.unlink(missing_ok=True)
    finally:
        db.close()
    return 0


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on [default: $P8_HOST or 127.0.0.1]."),
    port: int = typer.Option(None, help="TCP port [default: $P8_PORT or 5433]."),
    data: Path = typer.Option(None, "--data", help="Data dir [default: $P8_DB_PATH, $P8_HOME/db, ~/.p8/db]."),
    auth: str = typer.Option(None, help="Authentication: trust, scram, md5 or password [default: $P8_AUTH or "
                                        "trust]."),
    password: str = typer.Option(None, help="Set the admin role's password (SCRAM-SHA-256 verifier)."),
    log_level: str = typer.Option("WARNING", help="Python log level for server messages."),
    ssl_on: bool = typer.Option(False, "--ssl", help="Serve TLS with a self-signed certificate kept in the data "
                                "dir (server.crt/server.key), unless --ssl-cert/--ssl-key are given."),
    ssl_cert: Path = typer.Option(None, "--ssl-cert", help="PEM certificate (chain) for TLS."),
    ssl_key: Path = typer.Option(None, "--ssl-key", help="PEM private key of --ssl-cert."),
) -> None:
    """Serve a REM data dir over the PostgreSQL wire protocol."""
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    s = Settings.from_env()
    if host is not None:
        s.host = host
    if port is not None:
        s.port = port
    if data is not None:
        s.data_dir = data.expanduser()
    if auth is not None:
        s.auth = auth
    if s.auth not in _AUTH_METHODS:
        _say(f"rem: unknown --auth {s.auth!r} ({', '.join(_AUTH_METHODS)})")
        raise typer.Exit(2)
    if password is not None:
        s.admin_password = password
    try:
        s.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        _say(f"rem: cannot create data dir {s.data_dir}: {e}")
        raise typer.Exit(1) from None
    try:
        ctx = _tls_context(s, ssl_on, ssl_cert, ssl_key)
    except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
        _say(f"rem: cannot set up TLS: {e}")
        raise typer.Exit(1) from None
    code = asyncio.run(_serve(s, ctx))
    if code:
        raise typer.Exit(code)


def _register_admin_commands() -> None:
    from remwire.cli_commands import register

    register(app)


_register_admin_commands()
