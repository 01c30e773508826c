"""PostgreSQL identifier folding: unquoted names are case-insensitive because the parser lower-cases them.

``SELECT 1 AS Foo`` names its column ``foo``; ``CREATE TABLE T (A int)`` creates ``t`` with column ``a``;
``"Foo"`` stays ``Foo``. Only ASCII letters fold (PostgreSQL's ``downcase_identifier`` in a UTF8 database).
REM's own statements (SEARCH, TRAVERSE, LOOKUP, FUZZY) keep what they were given.
"""

from __future__ import annotations

from sqlglot import exp

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """``name`` as PostgreSQL stores an unquoted identifier."""
    return name.translate(_LOWER)


def fold_identifiers(node: exp.Expression) -> exp.Expression:
    """Lower-case (in place) every unquoted identifier of a parsed SQL statement; returns ``node``."""
    from engine.sql.dialect import Fuzzy, Lookup, Search, Traverse

    if isinstance(node, (Search, Traverse, Lookup, Fuzzy)):
        return node
    for n in node.walk():
        if isinstance(n, exp.Identifier) and not n.quoted:
            name = n.this
            if isinstance(name, str):
                low = name.translate(_LOWER)
                if low != name:
                    n.set("this", low)
    return node
