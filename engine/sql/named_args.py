"""Named arguments in function calls (``f(x, depth => 2)``, also ``depth := 2``), bound to positions.

PostgreSQL's rules: positional arguments come first, then named ones; a name must be one of the function's
parameter names (``FunctionDef.arg_names``) and may appear once. Parameters skipped between the positional
ones and the last named one take the Python implementation's default (NULL when it has none), so the call
compiles like an ordinary positional one. ``rem_*(…, VARIADIC arr)`` passes ``arr`` (as text[]) as the last
argument: REM's variadic functions flatten arrays themselves.
"""

from __future__ import annotations

import inspect
from typing import Any

from sqlglot import exp

from engine.errors import SyntaxError_, UndefinedFunction

_NAMED = (exp.Kwarg, exp.PropertyEQ)


def _is_named(e: exp.Expression) -> bool:
    return isinstance(e, _NAMED) and isinstance(e.this, (exp.Var, exp.Identifier, exp.Column))


def bind(name: str, args: list[exp.Expression]) -> list[exp.Expression]:
    """``args`` of a call to ``name`` in positional order (unchanged when none is named)."""
    if args and isinstance(args[-1], exp.Variadic) and name.startswith("rem_"):
        # f(VARIADIC arr): REM's variadic functions flatten array arguments themselves
        args = args[:-1] + [exp.Cast(this=args[-1].this, to=exp.DataType.build("text[]"))]
    if not any(_is_named(a) for a in args):
        return args
    from engine.functions import lookup

    fds = [f for f in lookup(name) if f.arg_names]
    npos = 0
    while npos < len(args) and not _is_named(args[npos]):
        npos += 1
    if any(not _is_named(a) for a in args[npos:]):
        raise SyntaxError_("positional argument cannot follow named argument")
    if not fds:
        raise UndefinedFunction(f"function {name}() has no parameter names",
                                hint="Pass the arguments by position.")
    fd = fds[0]
    names = [n.lower() for n in fd.arg_names or ()]
    out: list[exp.Expression | None] = list(args[:npos]) + [None] * max(0, len(names) - npos)
    for a in args[npos:]:
        key = a.this.name.lower()
        if key not in names:
            raise UndefinedFunction(f'function {name}(…, {key} => …) does not exist',
                                    hint=f"{name} takes ({', '.join(names)}).")
        i = names.index(key)
        if out[i] is not None:
            what = "used more than once" if i >= npos else "is also given by position"
            raise SyntaxError_(f'argument name "{key}" {what}')
        out[i] = a.expression
    while out and out[-1] is None:
        out.pop()
    defaults = _defaults(fd.impl, fd.needs_ctx)
    return [e if e is not None else _literal(defaults.get(names[i])) for i, e in enumerate(out)]


def _defaults(impl: Any, needs_ctx: bool) -> dict[str, Any]:
    try:
        params = list(inspect.signature(impl).parameters.values())
    except (TypeError, ValueError):
        return {}
    if needs_ctx:
        params = params[1:]
    return {p.name.lower(): p.default for p in params if p.default is not inspect.Parameter.empty}


def _literal(v: Any) -> exp.Expression:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(v)
    if isinstance(v, str):
        return exp.Literal.string(v)
    return exp.Null()
