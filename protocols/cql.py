"""CQL, the query language of SRU, read into a tree. Pure: query text in, a tree or a Diagnostic out.

The grammar of CQL 1.2 (http://www.loc.gov/standards/sru/cql/): booleans all of one precedence, read left to
right; a search clause is `index relation[/modifiers] term`, a bare term, or a query in parentheses;
`>prefix="uri"` assigns a prefix to the query after it. Translation is cql_search's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from protocols import diagnostics as d

MAX_QUERY_LENGTH = 1000  # as the search page allows (search_index.service)
MAX_DEPTH = 20  # parentheses within parentheses; deeper is no one's real query
MAX_BOOLEANS = 50
BOOLEANS = ("and", "or", "not", "prox")
COMPARATORS = ("=", "==", "<>", "<", ">", "<=", ">=")
SORTBY = "sortby"
SERVER_CHOICE = "cql.serverChoice"

_TOKENS = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<symbol>==|<>|<=|>=|[=<>()/])'
                     r'|(?P<word>[^\s()=<>"/]+)|(?P<unclosed>"))', re.DOTALL)


@dataclass(frozen=True)
class Modifier:
    name: str
    comparison: str = ""
    value: str = ""


@dataclass(frozen=True)
class SearchClause:
    index: str  # as written; SERVER_CHOICE for a bare term
    relation: str  # lower case, without a cql. prefix
    term: str  # as written, backslash escapes kept: they tell a literal * from a mask
    modifiers: tuple[Modifier, ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()  # (prefix, uri) assigned around the clause, innermost first


@dataclass(frozen=True)
class BooleanClause:
    operator: str  # and, or, not, prox
    left: SearchClause | BooleanClause
    right: SearchClause | BooleanClause
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class _Token:
    kind: str  # "string" (a word or a quoted string), "symbol" or "end"
    text: str
    quoted: bool = False


def parse(query: str) -> SearchClause | BooleanClause:
    if len(query) > MAX_QUERY_LENGTH:
        raise d.Diagnostic(d.TOO_MANY_CHARACTERS_IN_QUERY, str(MAX_QUERY_LENGTH))
    parser = _Parser(tokens(query))
    tree = parser.query(())
    if parser.peek().kind != "end":
        parser.unexpected()
    return tree


def tokens(query: str) -> list[_Token]:
    found, position = [], 0
    while match := _TOKENS.match(query, position):
        if match.group("unclosed"):
            raise d.Diagnostic(d.INVALID_QUOTES, query[match.start("unclosed"):][:40])
        if match.group("quoted"):
            found.append(_Token("string", match.group("quoted")[1:-1], quoted=True))
        elif match.group("symbol"):
            found.append(_Token("symbol", match.group("symbol")))
        else:
            found.append(_Token("string", match.group("word")))
        position = match.end()
    return [*found, _Token("end", "")]


class _Parser:
    def __init__(self, found: list[_Token]):
        self.tokens, self.position, self.depth, self.booleans = found, 0, 0, 0

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += min(1, len(self.tokens) - 1 - self.position)
        return token

    def at(self, symbol: str) -> bool:
        return self.peek().kind == "symbol" and self.peek().text == symbol

    def unexpected(self):
        token = self.peek()
        if token.kind == "symbol" and token.text in "()":
            raise d.Diagnostic(d.INVALID_PARENTHESES, token.text)
        if _is_word(token, SORTBY):
            raise d.Diagnostic(d.SORT_NOT_SUPPORTED, SORTBY)
        raise d.Diagnostic(d.QUERY_SYNTAX_ERROR, token.text or "end of query")

    def query(self, prefixes: tuple) -> SearchClause | BooleanClause:
        while self.at(">"):
            prefixes = (self.prefix_assignment(), *prefixes)
        tree = self.search_clause(prefixes)
        while (operator := self.boolean()) is not None:
            self.booleans += 1
            if self.booleans > MAX_BOOLEANS:
                raise d.Diagnostic(d.TOO_MANY_BOOLEANS, str(MAX_BOOLEANS))
            modifiers = self.modifiers()
            tree = BooleanClause(operator, tree, self.search_clause(prefixes), modifiers)
        return tree

    def prefix_assignment(self) -> tuple[str, str]:
        self.take()
        name = self.string()
        if not self.at("="):
            return "", name  # the default context set, for indexes without a prefix
        self.take()
        return name.lower(), self.string()

    def boolean(self) -> str | None:
        token = self.peek()
        if token.kind == "string" and not token.quoted and token.text.lower() in BOOLEANS:
            return self.take().text.lower()
        return None

    def search_clause(self, prefixes: tuple) -> SearchClause | BooleanClause:
        if self.at("("):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise d.Diagnostic(d.INVALID_PARENTHESES, str(MAX_DEPTH))
            tree = self.query(prefixes)
            if not self.at(")"):
                raise d.Diagnostic(d.INVALID_PARENTHESES, "(")
            self.take()
            self.depth -= 1
            return tree
        first = self.string()
        if not self.at_relation():
            return SearchClause(SERVER_CHOICE, "=", first, (), prefixes)
        relation = self.take().text.lower().removeprefix("cql.")
        modifiers = self.modifiers()
        return SearchClause(first, relation, self.string(), modifiers, prefixes)

    def at_relation(self) -> bool:
        token = self.peek()
        if token.kind == "symbol":
            return token.text in COMPARATORS
        return token.kind == "string" and not token.quoted and token.text.lower() not in (*BOOLEANS, SORTBY)

    def modifiers(self) -> tuple[Modifier, ...]:
        found = []
        while self.at("/"):
            self.take()
            name = self.string().lower().removeprefix("cql.")
            if self.peek().kind == "symbol" and self.peek().text in COMPARATORS:
                found.append(Modifier(name, self.take().text, self.string()))
            else:
                found.append(Modifier(name))
        return tuple(found)

    def string(self) -> str:
        if self.peek().kind != "string":
            self.unexpected()
        return self.take().text


def _is_word(token: _Token, word: str) -> bool:
    return token.kind == "string" and not token.quoted and token.text.lower() == word
