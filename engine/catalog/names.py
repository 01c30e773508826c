"""Identifiers as PostgreSQL spells them: quoting, parsing qualified names, and the session's search path."""

from __future__ import annotations

import re
from typing import Any

from engine.catalog import _pg_data
from engine.errors import InvalidTextRepresentation

_RESERVED = frozenset(w for w, cat, *_ in _pg_data.KEYWORDS if cat != "U")
_PLAIN = re.compile(r"[a-z_][a-z0-9_]*")


def quote_ident(name: str) -> str:
    """``name`` quoted the way PostgreSQL's quote_identifier does it.

    >>> quote_ident("docs"), quote_ident("Odd Name"), quote_ident("select")
    ('docs', '"Odd Name"', '"select"')
    """
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str, visible: bool) -> str:
    """``name`` (quoted), prefixed by its schema unless ``visible``."""
    return quote_ident(name) if visible else f"{quote_ident(schema)}.{quote_ident(name)}"


def parse_name(text: str) -> list[str]:
    """Split a possibly qualified, possibly quoted name into parts (unquoted parts are lower-cased).

    >>> parse_name('public."My T"'), parse_name('PG_CATALOG.pg_class')
    (['public', 'My T'], ['pg_catalog', 'pg_class'])
    """
    parts: list[str] = []
    i, s = 0, text.strip()
    while True:
        if i < len(s) and s[i] == '"':
            j, buf = i + 1, []
            while True:
                if j >= len(s):
                    raise InvalidTextRepresentation(f'invalid name syntax: "{text}"')
                if s[j] == '"':
                    if j + 1 < len(s) and s[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(s[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            j = i
            while j < len(s) and s[j] != ".":
                j += 1
            part = s[i:j].strip()
            if not part:
                raise InvalidTextRepresentation(f'invalid name syntax: "{text}"')
            parts.append(part.lower())
            i = j
        while i < len(s) and s[i] == " ":
            i += 1
        if i >= len(s):
            return parts
        if s[i] != ".":
            raise InvalidTextRepresentation(f'invalid name syntax: "{text}"')
        i += 1


def session_user(ctx: Any) -> str:
    """The session's user name."""
    return str(getattr(ctx.session, "user", None) or "rem")


def session_database(ctx: Any) -> str:
    """The database name the session connected to."""
    return str(getattr(ctx.session, "database", None) or "rem")


def setting(ctx: Any, name: str, default: str | None = None) -> str | None:
    """A GUC's value through the session, or ``default`` when the session does not know it."""
    get = getattr(ctx.session, "get_setting", None)
    if get is None:
        return default
    try:
        v = get(name)
    except Exception:  # an unknown GUC: the session raises UndefinedObject
        return default
    return default if v is None else str(v)


def _split_path(value: str) -> list[str]:
    out: list[str] = []
    for item in re.findall(r'"(?:[^"]|"")*"|[^,]+', value):
        item = item.strip()
        if not item:
            continue
        out.append(item[1:-1].replace('""', '"') if item.startswith('"') else item.lower())
    return out


def search_path(ctx: Any, existing: set[str], implicit: bool = True) -> list[str]:
    """Schemas searched for unqualified names, in order (current_schemas(implicit)).

    pg_catalog comes first unless the path names it elsewhere; ``$user`` and missing schemas are skipped.
    """
    raw = setting(ctx, "search_path", '"$user", public') or ""
    user = session_user(ctx)
    path: list[str] = []
    for s in _split_path(raw):
        s = user if s == "$user" else s
        if s in existing and s not in path:
            path.append(s)
    if implicit and "pg_catalog" not in path:
        path.insert(0, "pg_catalog")
    temp = getattr(ctx.session, "temp_schema", None)
    if implicit and temp and temp in existing and temp not in path:
        path.insert(0, temp)  # the session's temporary schema comes first, as in PostgreSQL
    return path
