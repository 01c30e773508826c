"""The Rem SQL dialect: sqlglot's PostgreSQL plus pgvector operators and REM's statements.

Adds ``<=>`` (cosine distance; sqlglot reads it as MySQL's null-safe equality), ``<#>`` (negative inner product),
and the statements ``SEARCH``, ``TRAVERSE``, ``LOOKUP`` and ``FUZZY``::

    SEARCH tbl 'text'|$1 [WHERE ...] [LIMIT n]          SEARCH 'text' IN tbl [WHERE ...] [LIMIT n]
    TRAVERSE FROM x [DEPTH n] [DIRECTION out|in|both] [TYPE r [, ...]] [WHERE condition] [LIMIT n]
    TRAVERSE [rel, ...] WITH LOOKUP 'key' [DEPTH n] [DIRECTION d] [WHERE condition] [LIMIT n]

Relation types are strings, parameters or bare names (kept as written, case included).
    LOOKUP 'k1', 'k2', ...
    FUZZY 'text' [IN tbl] [THRESHOLD x] [LIMIT n]
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.parsers.postgres import PostgresParser
from sqlglot.tokenizer_core import TokenizerCore
from sqlglot.tokens import TokenType


class CosineDistance(exp.Expression, exp.Binary):
    """``a <=> b`` (pgvector cosine distance)."""


class NegInnerProduct(exp.Expression, exp.Binary):
    """``a <#> b`` (pgvector negative inner product)."""


class Search(exp.Expression):
    """``SEARCH tbl 'text' [WHERE] [LIMIT]``."""

    arg_types = {"this": True, "query": True, "where": False, "limit": False}


class Traverse(exp.Expression):
    """``TRAVERSE FROM x …`` or ``TRAVERSE [rels] WITH LOOKUP 'key' …``."""

    arg_types = {"this": True, "depth": False, "direction": False, "rel": False, "where": False, "limit": False,
                 "rels": False}


class Lookup(exp.Expression):
    """``LOOKUP 'k1', 'k2'``."""

    arg_types = {"expressions": True}


class Fuzzy(exp.Expression):
    """``FUZZY 'text' [IN tbl] [THRESHOLD x] [LIMIT n]``."""

    arg_types = {"this": True, "table": False, "threshold": False, "limit": False}


_T_NEG_IP = TokenType.DCOLONQMARK  # a spare TokenType the Postgres dialect never uses
# words that end a relation-type list (a relation type spelled like one must be quoted)
_REM_WORDS = frozenset({"WITH", "FROM", "DEPTH", "DIRECTION", "TYPE", "WHERE", "LIMIT", "LOOKUP"})

# the grammar of each REM statement, shown as the hint of a 42601 syntax error
GRAMMAR = {
    "SEARCH": "SEARCH 'text' IN table [WHERE condition] [LIMIT n]  |  SEARCH table 'text' [WHERE condition] [LIMIT n]",
    "TRAVERSE": "TRAVERSE FROM 'id or key' [DEPTH n] [DIRECTION out|in|both] [TYPE 'rel' [, ...]] [WHERE condition]"
                " [LIMIT n]  |  TRAVERSE [rel [, ...]] WITH LOOKUP 'key' [DEPTH n] [DIRECTION out|in|both]"
                " [WHERE condition] [LIMIT n]",
    "LOOKUP": "LOOKUP 'key' [, 'key' ...]",
    "FUZZY": "FUZZY 'text' [IN table] [THRESHOLD x] [LIMIT n]",
}


class _RemTokenizerCore(TokenizerCore):
    """sqlglot's tokenizer core, except that ``$`` followed by a digit is always a positional parameter.

    sqlglot 30 reads ``$1,$2`` (psycopg's ``%s,%s``) as a dollar-quoted string with tag ``1,``; PostgreSQL's
    dollar-quote tags cannot start with a digit, so ``$<digit>`` never opens one.
    """

    __slots__ = ()

    def _scan_string(self, start: str) -> bool:
        if start == "$" and self._peek.isdigit():
            self._add(self.heredoc_string_alternative)  # the token '$'; the digits follow as a number
            return True
        return super()._scan_string(start)


class Rem(Postgres):
    """PostgreSQL + pgvector operators + SEARCH/TRAVERSE/LOOKUP/FUZZY."""

    class Tokenizer(Postgres.Tokenizer):
        KEYWORDS = {**Postgres.Tokenizer.KEYWORDS, "<=>": TokenType.NULLSAFE_EQ, "<#>": _T_NEG_IP}

        def _init_core(self) -> TokenizerCore:
            core = super()._init_core()
            core.__class__ = _RemTokenizerCore
            return core

    class Parser(PostgresParser):
        EQUALITY = {k: v for k, v in PostgresParser.EQUALITY.items() if k != TokenType.NULLSAFE_EQ}
        FACTOR = {**PostgresParser.FACTOR, TokenType.NULLSAFE_EQ: CosineDistance, _T_NEG_IP: NegInnerProduct}
        # keep these as plain calls (PostgreSQL names the result column after the function, not the operator)
        FUNCTIONS = {**PostgresParser.FUNCTIONS,
                     **{n: (lambda args, n=n: exp.Anonymous(this=n.lower(), expressions=args))
                        for n in ("POWER", "POW", "CHAR_LENGTH", "CHARACTER_LENGTH", "MOD", "DIV", "DATE_PART",
                                  "STRPOS", "SUBSTR", "CEILING", "LTRIM", "RTRIM", "BTRIM", "VARIANCE", "DATE_TRUNC",
                                  "TO_CHAR", "TO_TIMESTAMP", "TO_DATE", "TO_NUMBER", "LOG", "DATE", "AGE",
                                  "JSONB_AGG", "JSON_AGG", "MD5", "SPLIT_PART", "REGEXP_REPLACE", "INITCAP",
                                  "ARRAY_LENGTH", "CARDINALITY", "STRING_TO_ARRAY", "ARRAY_TO_STRING",
                                  "GEN_RANDOM_UUID", "RANDOM", "FORMAT", "CHR", "ASCII", "ENCODE", "DECODE",
                                  "TRANSLATE", "REPEAT", "REVERSE", "LPAD", "RPAD", "LEFT", "RIGHT",
                                  "STARTS_WITH", "TRUNC", "SIGN", "CBRT", "DEGREES", "RADIANS", "PI",
                                  "ARRAY_POSITION", "ARRAY_REMOVE", "ARRAY_APPEND", "ARRAY_PREPEND", "ARRAY_CAT",
                                  "CONCAT_WS", "CONCAT", "JSON_BUILD_OBJECT", "JSONB_BUILD_OBJECT", "VERSION",
                                  "PG_TYPEOF", "OCTET_LENGTH", "BIT_LENGTH", "SQRT", "EXP", "LN", "ABS",
                                  "FLOOR", "CEIL", "UPPER", "LOWER", "LENGTH", "REPLACE", "POSITION")}}

        def _parse_types(self, *args: Any, **kwargs: Any) -> Any:
            t = super()._parse_types(*args, **kwargs)
            if isinstance(t, (exp.ObjectIdentifier, exp.PseudoType)):  # oid[] / regtype[] (sqlglot stops at oid)
                dims = ""
                while (self._curr is not None and self._curr.token_type == TokenType.L_BRACKET
                       and self._next is not None and self._next.token_type == TokenType.R_BRACKET):
                    self._advance(2)
                    dims += "[]"
                if dims:
                    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=t.name.lower() + dims)
            return t

        def _parse_statement(self) -> Any:
            cur = self._curr
            nxt = self._next
            if cur is not None and cur.token_type == TokenType.VAR and (
                    nxt is None or nxt.token_type not in (TokenType.EQ, TokenType.DOT, TokenType.L_PAREN)):
                w = cur.text.upper()
                parse = {"SEARCH": self._parse_rem_search, "TRAVERSE": self._parse_rem_traverse,
                         "LOOKUP": self._parse_rem_lookup, "FUZZY": self._parse_rem_fuzzy}.get(w)
                if parse is not None:
                    self._advance()
                    try:
                        node = parse()
                        if (self._index < len(self._tokens) and self._curr is not None
                                and self._curr.token_type != TokenType.SEMICOLON):
                            self._rem_error(f"{self._curr.text!r} cannot follow {w}")
                        return node
                    except ParseError as e:
                        e.hint = f"{w} grammar: {GRAMMAR[w]}"  # type: ignore[attr-defined]
                        raise
            return super()._parse_statement()

        def _rem_error(self, message: str) -> None:
            """A syntax error in a REM statement, at the current token or at the end of the input."""
            self.raise_error(message if self._curr is not None else f"{message}: end of input")

        def _parse_rem_search(self) -> Any:
            if self._curr is not None and self._curr.token_type in (TokenType.STRING, TokenType.PARAMETER,
                                                                      TokenType.PLACEHOLDER):
                query = self._parse_bitwise()
                if not self._match(TokenType.IN):
                    self._rem_error("SEARCH 'text' needs IN <table>")
                table = self._parse_table_parts()
            else:
                table = self._parse_table_parts()
                query = self._parse_bitwise() or self._rem_error("SEARCH expects a query string")
            return self.expression(Search(this=table, query=query, where=self._parse_where(),
                                          limit=self._parse_limit()))

        def _parse_rem_traverse(self) -> Any:
            rels: list[exp.Expression] = []
            if self._match(TokenType.FROM):
                start = self._parse_bitwise()
            else:
                if not self._match(TokenType.WITH):
                    rels = self._parse_rem_rels()
                    if not self._match(TokenType.WITH):
                        self._rem_error("TRAVERSE needs FROM or WITH LOOKUP")
                if not self._match_text_seq("LOOKUP"):
                    self._rem_error("TRAVERSE ... WITH needs LOOKUP")
                start = self._parse_bitwise()
            if start is None:
                self._rem_error("TRAVERSE expects a start (an id or a key)")
            depth = direction = rel = None
            while self._curr is not None:
                if self._match_text_seq("DEPTH"):
                    depth = self._parse_bitwise() or self._rem_error("DEPTH expects a number")
                elif self._match_text_seq("DIRECTION"):
                    if not self._curr or self._curr.text.upper() not in ("OUT", "IN", "BOTH"):
                        self._rem_error("DIRECTION must be out, in or both")
                    direction = exp.var(self._curr.text.lower())
                    self._advance()
                elif self._match(TokenType.TYPE) or self._match_text_seq("TYPE"):
                    rels_t = self._parse_rem_rels()
                    rel = rels_t[0] if len(rels_t) == 1 else exp.Tuple(expressions=rels_t)
                else:
                    break
            return self.expression(Traverse(this=start, depth=depth, direction=direction, rel=rel,
                                            where=self._parse_where(), limit=self._parse_limit(),
                                            rels=exp.Tuple(expressions=rels) if rels else None))

        def _parse_rem_rels(self) -> list[exp.Expression]:
            """Relation types: strings, parameters or bare names (case kept), optionally in ``[...]``."""
            out: list[exp.Expression] = []
            while True:
                tok = self._curr
                if tok is None:
                    self._rem_error("a relation type is missing")
                    return out
                if tok.token_type == TokenType.L_BRACKET:
                    self._advance()
                    out += self._parse_rem_rels()
                    if not self._match(TokenType.R_BRACKET):
                        self._rem_error("the relation types need a closing ]")
                elif tok.token_type in (TokenType.STRING, TokenType.PARAMETER, TokenType.PLACEHOLDER):
                    out.append(self._parse_bitwise())
                elif (tok.token_type == TokenType.IDENTIFIER
                      or (tok.text.replace("$", "_").isidentifier() and tok.text.upper() not in _REM_WORDS)):
                    out.append(exp.Literal.string(tok.text))
                    self._advance()
                else:
                    self._rem_error("a relation type is a name or a string")
                if not self._match(TokenType.COMMA):
                    return out

        def _parse_rem_lookup(self) -> Any:
            keys = self._parse_csv(self._parse_bitwise)
            if not keys or any(k is None for k in keys):
                self._rem_error("LOOKUP expects one or more keys")
            return self.expression(Lookup(expressions=keys))

        def _parse_rem_fuzzy(self) -> Any:
            text = self._parse_bitwise() or self._rem_error("FUZZY expects a text")
            table = threshold = None
            while self._curr is not None:
                if self._match(TokenType.IN):
                    table = self._parse_table_parts()
                elif self._match_text_seq("THRESHOLD"):
                    threshold = self._parse_bitwise()
                else:
                    break
            return self.expression(Fuzzy(this=text, table=table, threshold=threshold, limit=self._parse_limit()))

    class Generator(PostgresGenerator):
        TRANSFORMS = {
            **PostgresGenerator.TRANSFORMS,
            CosineDistance: lambda self, e: self.binary(e, "<=>"),
            NegInnerProduct: lambda self, e: self.binary(e, "<#>"),
            Search: lambda self, e: f"SEARCH {self.sql(e, 'this')} {self.sql(e, 'query')}"
            + (" " + self.sql(e, "where").strip() if e.args.get("where") else "") + self.sql(e, "limit"),
            Traverse: lambda self, e: " ".join(filter(None, [
                (f"TRAVERSE {self.expressions(e.args['rels'], flat=True)} WITH LOOKUP {self.sql(e, 'this')}"
                 if e.args.get("rels") else f"TRAVERSE FROM {self.sql(e, 'this')}"),
                e.args.get("depth") and f"DEPTH {self.sql(e, 'depth')}",
                e.args.get("direction") and f"DIRECTION {self.sql(e, 'direction')}",
                e.args.get("rel") and "TYPE " + (self.expressions(e.args["rel"], flat=True)
                                                 if isinstance(e.args["rel"], exp.Tuple) else self.sql(e, "rel")),
                e.args.get("where") and self.sql(e, "where").strip()])) + self.sql(e, "limit"),
            Lookup: lambda self, e: f"LOOKUP {self.expressions(e, flat=True)}",
            Fuzzy: lambda self, e: " ".join(filter(None, [
                f"FUZZY {self.sql(e, 'this')}",
                e.args.get("table") and f"IN {self.sql(e, 'table')}",
                e.args.get("threshold") and f"THRESHOLD {self.sql(e, 'threshold')}"])) + self.sql(e, "limit"),
        }


DIALECT = Rem()
