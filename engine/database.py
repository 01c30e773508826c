"""RemDatabase: the open store behind the Session API (engine.api.Database): sessions, roles, cancel."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from engine.api import Role
from engine.settings import Settings


class RemDatabase:
    """One open data dir: the store, its registry, the vector/graph services, and the live sessions."""

    def __init__(self, settings: Settings, store: Any = None) -> None:
        self.settings = settings
        if store is None:
            from engine.storage import open_store

            store = open_store(settings)
        self.store = store
        self.registry = getattr(store, "registry", None)
        self.vectors: Any = None
        self.graph: Any = None
        self.guc_defaults: dict[str, str] = {
            "synchronous_commit": "on" if settings.synchronous_commit else "off",
            "max_connections": str(settings.max_connections),
            "rem.embedding_provider": settings.default_embedding,
        }
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._roles: dict[str, Role] = {}
        self._schema_version = 0
        self._attach_services()
        import engine.sql.builtins  # noqa: F401  (registers pg_sleep, current_setting, set_config)
        self._load_optional("engine.catalog")
        self._load_optional("engine.sql.builtin_functions")
        if settings.admin_password:
            self.set_password(settings.admin_user, settings.admin_password)
        from engine.sql.temp_relations import drop_orphans

        drop_orphans(self)

    def _load_optional(self, module: str) -> None:
        import importlib

        try:
            importlib.import_module(module)
        except ImportError:
            pass

    def _attach_services(self) -> None:
        for mod, attr in (("engine.vector", "vectors"), ("engine.graph", "graph")):
            try:
                import importlib

                m = importlib.import_module(mod)
            except ImportError:
                continue
            attach = getattr(m, "attach", None)
            if callable(attach):
                try:
                    setattr(self, attr, attach(self))
                except Exception:  # noqa: BLE001 - a service that cannot start leaves its statements 0A000
                    import logging

                    logging.getLogger("rem.engine").exception("could not start %s", mod)

    @property
    def schema_version(self) -> int:
        """Changes whenever a table definition changes (prepared plans re-plan)."""
        reg = self.registry
        v = getattr(reg, "version", None)
        if callable(v):
            v = v()
        return self._schema_version + (int(v) if isinstance(v, int) else 0)

    def bump_schema(self) -> None:
        self._schema_version += 1

    def session(self, user: str, database: str, params: dict[str, str] | None = None) -> Any:
        from engine.session import RemSession

        role = self.get_role(user)
        p = dict(params or {})
        if role is not None:
            p.setdefault("is_superuser", "on" if role.superuser else "off")
        s = RemSession(self, user, database, p)
        if role is not None and not role.superuser:
            s.guc.values["is_superuser"] = "off"
        with self._lock:
            self._sessions[s.process_id] = s
        return s

    def unregister_session(self, s: Any) -> None:
        with self._lock:
            self._sessions.pop(s.process_id, None)

    def get_role(self, name: str) -> Role | None:
        get = getattr(self.store, "get_role", None)
        if callable(get):
            r = get(name)
            if r is not None:
                return Role(r["name"], r.get("verifier"), bool(r.get("superuser", True)), bool(r.get("login", True)))
        elif name in self._roles:
            return self._roles[name]
        if name == self.settings.admin_user:
            return Role(name, None, True, True)
        return None

    def set_password(self, role: str, password: str) -> None:
        from engine.auth_verifier import build_scram_verifier

        verifier = build_scram_verifier(password)
        setter = getattr(self.store, "set_role", None)
        superuser = role == self.settings.admin_user
        if callable(setter):
            existing = self.store.get_role(role)
            setter(role, verifier=verifier, superuser=superuser if existing is None else None)
        else:
            old = self._roles.get(role)
            self._roles[role] = Role(role, verifier, old.superuser if old else superuser, True)

    def cancel(self, process_id: int, secret_key: int) -> bool:
        with self._lock:
            s = self._sessions.get(process_id)
        if s is None or s.secret_key != secret_key:
            return False
        s.cancel()
        return True

    def notify(self, sender: Any, channel: str, payload: str) -> None:
        """NOTIFY: queue the notification on every session listening to ``channel``."""
        with self._lock:
            targets = [s for s in self._sessions.values() if channel in s.listening]
        for s in targets:
            q = getattr(s, "notifications", None)
            if q is None:
                s.notifications = q = []
            q.append((sender.process_id, channel, payload))

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for s in sessions:
            s.close()
        for svc in (self.vectors, self.graph):
            close = getattr(svc, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001
                    pass
        if self.store is not None:
            self.store.close()


def open_database(settings: Settings | Path | str | None = None, path: Settings | Path | str | None = None, *,
                  store: Any = None) -> RemDatabase:
    """Open the database of ``settings.data_dir`` (accepts ``open_database(settings)`` or
    ``open_database(path, settings)``)."""
    s: Settings | None = None
    p: Path | None = None
    for a in (settings, path):
        if isinstance(a, Settings):
            s = a
        elif a is not None:
            p = Path(a)
    if s is None:
        s = Settings.from_env()
    if p is not None:
        import dataclasses

        s = dataclasses.replace(s, data_dir=p)
    return RemDatabase(s, store=store)
