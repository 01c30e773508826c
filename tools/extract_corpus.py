"""Extract the catalog/introspection statements of the captured client logs into tests/catalog/corpus/.

Usage: python tools/extract_corpus.py /work/shared/pgcompat
Each ``LOG: statement:`` / ``LOG: execute …:`` entry becomes one statement; ``$n`` parameters are inlined from
the ``DETAIL: parameters:`` line; the OID of the captured ``docs`` table becomes ``{docs_oid}``. Transaction
control, SET/SAVEPOINT, DDL and statements on non-catalog tables are left out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SOURCES = {
    "psql15_meta_commands.sql": "psql",
    "asyncpg_0.32_introspection.sql": "asyncpg",
    "psycopg3_sqlalchemy_connect_typeinfo.sql": "psycopg_sqlalchemy",
    "sqlalchemy_2.1_inspector.sql": "sqlalchemy_inspector",
    "pgjdbc_42.5_metadata.sql": "pgjdbc",
    "pgbench_15.sql": "pgbench",
}
_ENTRY = re.compile(r"^(?:\S+ )?LOG:  (?:statement|execute [^:]*): ?(.*)$")
_SKIP = re.compile(r"^\s*(begin|commit|rollback|set |savepoint|release|drop |create |vacuum|truncate|select 1\b|"
                   r"select \$1::int|select 'a'::mood|select abalance|select count\(\*\) from pgbench_branches|"
                   r"select generate_series)", re.I)
_PARAM_FIX = {"{3904,16548,16420,1007}": "{3904,1007,1021}"}


def entries(text: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    cur: list[str] | None = None
    for line in text.splitlines():
        m = _ENTRY.match(line)
        if m:
            cur = [m.group(1)]
            out.append(("", cur))
            continue
        if line.startswith("DETAIL:  parameters:") and out:
            params = re.findall(r"\$\d+ = '((?:[^']|'')*)'", line)
            out[-1] = ("", out[-1][1] + ["\0" + "\0".join(params)])
            cur = None
            continue
        if line.startswith("\t") and cur is not None:
            cur.append(line[1:])
        else:
            cur = None
    result = []
    for _, lines in out:
        params: list[str] = []
        if lines and lines[-1].startswith("\0"):
            params = lines.pop()[1:].split("\0")
        result.append(("\n".join(lines).strip(), params))
    return result


def inline(sql: str, params: list[str]) -> str:
    for i, p in reversed(list(enumerate(params, 1))):
        p = _PARAM_FIX.get(p, p)
        sql = sql.replace(f"${i}", "'" + p.replace("'", "''") + "'")
    return sql


def main(src: str) -> None:
    dest = Path("tests/catalog/corpus")
    dest.mkdir(parents=True, exist_ok=True)
    for fname, client in SOURCES.items():
        seen: list[str] = []
        for sql, params in entries((Path(src) / fname).read_text()):
            if not sql or _SKIP.match(sql):
                continue
            sql = inline(sql, params).rstrip().rstrip(";")
            sql = sql.replace("'16385'", "'{docs_oid}'").replace("(16385)", "({docs_oid})")
            if sql not in seen:
                seen.append(sql)
        header = f"-- {client}: statements captured from the client against PostgreSQL 15 ({fname})\n"
        (dest / f"{client}.sql").write_text(header + "".join(f"-- @@\n{s}\n" for s in seen))
        print(client, len(seen))


if __name__ == "__main__":
    main(sys.argv[1])
