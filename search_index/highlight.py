"""Show a reader the words they searched for: <mark> around each word of a text that the query matched.

A word of the text matches when its folded form (no diacritics, đ → d, lower case) is a query word's,
or starts with it for a prefix word (`Quang Tr*`): the index matches the same way, so what is marked
is what was found. The text itself is shown as written.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from markupsafe import Markup, escape

from catalog.vietnamese import nfc
from search_index.analysis import WORD, folded_form
from search_index.search import FIELD_ALIASES, normalize_isbns

ELLIPSIS = "…"
SNIPPET_WIDTH = 200
LEAD = 3  # a snippet starts about a third of its width before the first match
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
FIELD_NAMES = {name for field, aliases in FIELD_ALIASES.items() for name in (field, *aliases)}

_WORD = re.compile(WORD)
_TYPED_WORD = re.compile(rf"({WORD})(\*?)")
_ISBN_TERM = re.compile(r"\bisbn:\S*", re.IGNORECASE)  # an ISBN is never shown in a title or summary
_RANGE = re.compile(r"[\[{][^\]}]*[\]}]")
_BOOST = re.compile(r"[\^~][0-9.]*")  # word^2, "phrase"~3
_FIELD = re.compile(r"(\w+):")


class QueryWord(NamedTuple):
    folded: str
    prefix: bool = False  # typed with a trailing * ("Tr*"): matches the words that start with it


def query_words(q: str) -> list[QueryWord]:
    """The words a reader typed, once each: no field names, operators, ranges, boosts, ISBNs or punctuation."""
    text = _ISBN_TERM.sub(" ", normalize_isbns(nfc(q or "")))
    text = _FIELD.sub(_without_field_name, _BOOST.sub(" ", _RANGE.sub(" ", text)))
    words = [QueryWord(folded_form(word), prefix=bool(star))
             for word, star in _TYPED_WORD.findall(text) if word not in OPERATORS]
    return list(dict.fromkeys(words))


def _without_field_name(match: re.Match) -> str:
    return " " if match.group(1).lower() in FIELD_NAMES else match.group(0)


def highlight(text: str | None, words: list[QueryWord]) -> Markup:
    """The text, HTML-escaped, with <mark> around each word a query word matches."""
    text = text or ""
    if not words:
        return escape(text)
    parts, shown = [], 0  # plain strings joined once: a search page highlights a hundred texts
    exact, prefixes = _matchers(words)
    for match in _WORD.finditer(text):
        folded = folded_form(match.group())
        if folded in exact or (prefixes and folded.startswith(prefixes)):
            parts += [escape(text[shown:match.start()]), "<mark>", escape(match.group()), "</mark>"]
            shown = match.end()
    if not parts:
        return escape(text)
    parts.append(escape(text[shown:]))
    return Markup("".join(parts))


def snippet(text: str | None, words: list[QueryWord], width: int = SNIPPET_WIDTH) -> Markup:
    """About `width` characters of a long text around its first matched word, highlighted, … where cut."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return highlight(text, words)
    start, end = _window(text, _first_match(text, words), width)
    ellipses = (ELLIPSIS if start > 0 else "", ELLIPSIS if end < len(text) else "")
    return Markup("").join([ellipses[0], highlight(text[start:end], words), ellipses[1]])


def _first_match(text: str, words: list[QueryWord]) -> int:
    exact, prefixes = _matchers(words)
    for match in _WORD.finditer(text):
        folded = folded_form(match.group())
        if folded in exact or (prefixes and folded.startswith(prefixes)):
            return match.start()
    return 0


def _matchers(words: list[QueryWord]) -> tuple[set[str], tuple[str, ...]]:
    """The query words as a set of whole words and a tuple of prefixes (for str.startswith)."""
    return {word.folded for word in words if not word.prefix}, tuple(word.folded for word in words if word.prefix)


def _window(text: str, first: int, width: int) -> tuple[int, int]:
    """Where to cut about `width` characters around position `first`, between words."""
    start = max(0, min(first - width // LEAD, len(text) - width))
    if start > 0 and text[start - 1] != " ":
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else first
    end = min(len(text), start + width)
    if end < len(text) and text[end] != " ":
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    return start, end
