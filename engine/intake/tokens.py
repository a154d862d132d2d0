"""What the expression parsers share (engine/intake/juel.py, feel.py): splitting a text into
(kind, text) tokens by one regular expression, and walking them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

Token = tuple[str, str]
T = TypeVar("T")


def lex(text: str, pattern: re.Pattern[str], error: type[ValueError]) -> list[Token]:
    """(group name, text) of each match of `pattern`, whitespace (group 'ws') left out."""
    found: list[Token] = []
    pos = 0
    while pos < len(text):
        match = pattern.match(text, pos)
        if match is None:
            raise error(f"unexpected character {text[pos]!r}")
        pos = match.end()
        if match.lastgroup != "ws":
            found.append((match.lastgroup or "", match.group()))
    return found


class TokenParser:
    """A cursor over tokens; `error` is the exception a parse raises."""

    error: type[ValueError] = ValueError

    def __init__(self, toks: list[Token], names: Mapping[str, str]):
        self.toks = toks
        self.names = names
        self.i = 0

    def peek(self, offset: int = 0) -> Token:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> Token:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise self.error(f"expected '{value}' but found '{tok[1] or 'the end'}'")
        self.i += 1
        return tok

    def op(self, *values: str) -> bool:
        kind, value = self.peek()
        return kind == "op" and value in values

    def separated(self, opening: str, closing: str, item: Callable[[], T]) -> list[T]:
        """The comma-separated items between `opening` and `closing` (an argument list, a list literal)."""
        self.take(opening)
        items: list[T] = []
        while not self.op(closing):
            items.append(item())
            if not self.op(closing):
                self.take(",")
        self.take(closing)
        return items
