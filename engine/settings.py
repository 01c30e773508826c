"""Configuration's one home: ``P8_*`` environment variables read once into a :class:`Settings` object.

No other module reads ``os.environ``; they receive a Settings (or its values through GUCs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_data_dir(env: dict[str, str]) -> Path:
    if env.get("P8_DB_PATH"):
        return Path(env["P8_DB_PATH"]).expanduser()
    if env.get("P8_HOME"):
        return Path(env["P8_HOME"]).expanduser() / "db"
    return Path("~/.p8/db").expanduser()


@dataclass
class Settings:
    """Server and engine settings (defaults, then ``P8_*`` environment variables, then CLI flags)."""

    data_dir: Path = field(default_factory=lambda: Path("~/.p8/db").expanduser())
    host: str = "127.0.0.1"
    port: int = 5433
    auth: str = "trust"  # 'trust' | 'scram'
    admin_user: str = "rem"
    admin_password: str | None = None
    max_message_size: int = 256 << 20  # bytes; larger messages are refused (08P01 / 54000) and the connection closed
    max_connections: int = 1000
    synchronous_commit: bool = False  # fsync before acknowledging (group commit)
    rocksdb_write_buffer_size: int = 64 << 20
    rocksdb_max_background_jobs: int = 2
    rocksdb_compression: str = "lz4"
    default_embedding: str = "local:all-MiniLM-L6-v2"
    alt_embedding: str | None = None
    embedding_batch_size: int = 64
    batch_size: int = 1000
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    worker_threads: int = 8
    dsn: str | None = None  # P8_DSN: the CLI talks to this server instead of opening the data dir
    core_schemas: bool = True  # P8_CORE_SCHEMAS: register the core schemas on a server's first start
    extra: dict[str, str] = field(default_factory=dict)  # every P8_* variable as read

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Settings from the process environment (or ``env``)."""
        e = dict(os.environ if env is None else env)

        def get_int(name: str, default: int) -> int:
            v = e.get(name)
            return int(v) if v not in (None, "") else default

        return cls(
            data_dir=_default_data_dir(e),
            host=e.get("P8_HOST", "127.0.0.1"),
            port=get_int("P8_PORT", 5433),
            auth=e.get("P8_AUTH", "trust"),
            admin_user=e.get("P8_ADMIN_USER", "rem"),
            admin_password=e.get("P8_ADMIN_PASSWORD") or None,
            max_message_size=get_int("P8_MAX_MESSAGE_SIZE", 256 << 20),
            synchronous_commit=e.get("P8_SYNCHRONOUS_COMMIT", "off").lower() in ("on", "true", "1", "yes"),
            rocksdb_write_buffer_size=get_int("P8_ROCKSDB_WRITE_BUFFER_SIZE", 64 << 20),
            rocksdb_max_background_jobs=get_int("P8_ROCKSDB_MAX_BACKGROUND_JOBS", 2),
            rocksdb_compression=e.get("P8_ROCKSDB_COMPRESSION", "lz4"),
            default_embedding=e.get("P8_DEFAULT_EMBEDDING", "local:all-MiniLM-L6-v2"),
            alt_embedding=e.get("P8_ALT_EMBEDDING") or None,
            embedding_batch_size=get_int("P8_EMBEDDING_BATCH_SIZE", 64),
            batch_size=get_int("P8_BATCH_SIZE", 1000),
            openai_api_key=e.get("P8_OPENAI_API_KEY") or e.get("OPENAI_API_KEY") or None,
            openai_base_url=e.get("P8_OPENAI_BASE_URL") or None,
            worker_threads=get_int("P8_WORKER_THREADS", 8),
            dsn=e.get("P8_DSN") or None,
            core_schemas=e.get("P8_CORE_SCHEMAS", "on").lower() not in ("off", "false", "0", "no"),
            extra={k: v for k, v in e.items() if k.startswith("P8_")},
        )
