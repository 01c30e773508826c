"""Tokens of the Rem dialect: statement splitting that respects quotes/comments/dollar quotes, and a cursor
over the tokens of one statement for the hand-written utility-statement parsers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from engine.errors import SyntaxError_
from engine.sql.dialect import DIALECT, Rem


class _PlainTokenizer(Rem.Tokenizer):
    """Rem's tokenizer without sqlglot's 'rest of a command is one string' rule (for utility statements)."""

    COMMANDS: set[TokenType] = set()


def tokenize_plain(sql: str) -> list[Token]:
    try:
        return _PlainTokenizer(dialect=DIALECT).tokenize(sql)
    except TokenError:
        return tokenize(sql)

_STRINGS = (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.BYTE_STRING, TokenType.NATIONAL_STRING,
            TokenType.RAW_STRING)


def tokenize(sql: str) -> list[Token]:
    """Tokens of ``sql``; raises 42601 on an unterminated literal or comment."""
    try:
        return DIALECT.tokenize(sql)
    except TokenError as e:
        msg = str(e)
        pos = len(sql) + 1
        if "quote" in msg.lower() or "string" in msg.lower():
            raise SyntaxError_("unterminated quoted string at or near \"" + sql[-20:] + "\"", position=pos) from None
        if "comment" in msg.lower():
            raise SyntaxError_("unterminated /* comment at or near \"" + sql[-20:] + "\"", position=pos) from None
        raise SyntaxError_(f"syntax error: {msg}", position=pos) from None


def split(sql: str) -> list[str]:
    """The statements of a simple-query string, each its own text (empty statements dropped)."""
    plain = sql.isascii() and not any(c in sql for c in _QUOTING) and "--" not in sql and "/*" not in sql
    if ";" not in sql:
        if plain:  # no quotes or comments: any non-blank text holds tokens
            return [sql] if sql.strip() else []
        return [sql] if sql.strip() and _has_tokens(sql) else []
    if plain and sql.count(";") == 1 and sql.rstrip().endswith(";"):  # one statement and its terminator
        body = sql.rstrip()[:-1].strip()
        if not body:
            return []
        if body.split(None, 1)[0].upper() in _FAST_SPLIT:
            return [body]
    return split_tokens(sql)


def split_tokens(sql: str) -> list[str]:
    """:func:`split` by the tokenizer (the general path)."""
    if ";" not in sql:
        return [sql] if sql.strip() and _has_tokens(sql) else []
    try:
        tokens = DIALECT.tokenize(sql)
    except TokenError:
        return [sql]
    out: list[str] = []
    start: int | None = None
    end = 0
    for t in tokens:
        if t.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append(sql[start:end + 1])
            start = None
            continue
        if start is None:
            start = _token_start(sql, t)
        end = t.end
    if start is not None:
        out.append(sql[start:])
    return out


_QUOTING = ("'", '"', "$", "\\")
# first words whose statement text the tokenizer ends at its last token (others are sqlglot "commands" that keep
# the rest of the text, trailing blanks included)
_FAST_SPLIT = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "BEGIN", "END", "COMMIT",
                         "ROLLBACK"})


def _token_start(sql: str, t: Token) -> int:
    """Start offset of a token including its opening quote (sqlglot's start skips it)."""
    s = t.start
    if t.token_type in _STRINGS or t.token_type == TokenType.IDENTIFIER:
        while s > 0 and sql[s - 1] not in " \t\r\n;(,":
            s -= 1
    return s


def _has_tokens(sql: str) -> bool:
    try:
        return bool(DIALECT.tokenize(sql))
    except TokenError:
        return True


@dataclass
class Cursor:
    """Sequential access to a statement's tokens with case-insensitive keyword matching."""

    sql: str
    tokens: list[Token]
    i: int = 0

    @classmethod
    def of(cls, sql: str) -> Cursor:
        tokenize(sql)  # 42601 on unterminated literals
        toks = [t for t in tokenize_plain(sql) if t.token_type != TokenType.SEMICOLON]
        return cls(sql, toks)

    @property
    def cur(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def peek_word(self, k: int = 0) -> str:
        j = self.i + k
        if j >= len(self.tokens):
            return ""
        t = self.tokens[j]
        return "" if t.token_type in _STRINGS or t.token_type == TokenType.IDENTIFIER else t.text.upper()

    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def match(self, *words: str) -> bool:
        """Consume ``words`` if the next tokens are exactly these keywords."""
        for k, w in enumerate(words):
            if self.peek_word(k) != w:
                return False
        self.i += len(words)
        return True

    def expect(self, *words: str) -> None:
        if not self.match(*words):
            self.error()

    def error(self) -> SyntaxError_:
        t = self.cur
        if t is None:
            raise SyntaxError_("syntax error at end of input", position=len(self.sql.rstrip().rstrip(";")) + 1)
        raise SyntaxError_(f'syntax error at or near "{t.text}"', position=_token_start(self.sql, t) + 1)

    def next(self) -> Token:
        t = self.cur
        if t is None:
            self.error()
        self.i += 1
        return t  # type: ignore[return-value]

    def ident(self) -> str:
        """An identifier (quoted ones keep case, unquoted are lower-cased)."""
        t = self.next()
        if t.token_type == TokenType.IDENTIFIER:
            return t.text
        if t.token_type in _STRINGS or t.token_type in (TokenType.NUMBER, TokenType.COMMA, TokenType.L_PAREN,
                                                          TokenType.R_PAREN, TokenType.EQ):
            self.i -= 1
            self.error()
        return t.text.lower()

    def value(self) -> str:
        """A SET value item: string, number (signed), identifier or keyword."""
        t = self.next()
        if t.token_type == TokenType.DASH:
            n = self.next()
            return "-" + n.text
        if t.token_type == TokenType.PLUS:
            return self.next().text
        if t.token_type in _STRINGS or t.token_type == TokenType.IDENTIFIER or t.token_type == TokenType.NUMBER:
            return t.text
        if t.token_type in (TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN):
            self.i -= 1
            self.error()
        return t.text.lower()

    def is_string(self) -> bool:
        t = self.cur
        return t is not None and t.token_type in _STRINGS

    def rest(self) -> str:
        """The remaining statement text from the current token."""
        t = self.cur
        return "" if t is None else self.sql[_token_start(self.sql, t):]
