"""How text becomes index terms: the catalog's own Vietnamese rules, as Whoosh analyzers.

Two forms of every word: *exact* (NFC, one tone-mark placement, lower case) and *folded* (no
diacritics, đ → d). A query matches on the folded form and ranks higher where the exact form
matches too, so `duong` finds đường while `đường` puts đường before dương.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, Token, Tokenizer

from catalog.vietnamese import fold, normalize_tone_placement

WORD = r"\w+(?:[.'’]\w+)*"
_WORDS = re.compile(WORD)


class _Exact(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = exact_form(token.text)
            yield token


class _Folded(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = folded_form(token.text)
            yield token


# Vietnamese has a few thousand syllables: caching each word's forms saves most of the analysis time.
@lru_cache(maxsize=200_000)
def exact_form(word: str) -> str:
    return normalize_tone_placement(word).lower()


@lru_cache(maxsize=200_000)
def folded_form(word: str) -> str:
    return fold(word)


def exact_analyzer():
    return RegexTokenizer(WORD) | _Exact()


def folded_analyzer():
    return RegexTokenizer(WORD) | _Folded()


class _ShinglesTokenizer(Tokenizer):
    """Each two and each three neighbouring words of a value, folded, as one token after the value's
    field name (`author:vo ngoc`, `author:vo ngoc chau`). A phrase matches where its words stand
    together: two words as a pair, longer phrases as their runs of three. Lines are the document's
    separate values (documents.shingles_value), so no run spans two of them; runs of three keep two
    names that share a word (Võ Ngọc Lan, Trần Ngọc Châu) from making a third (Võ Ngọc Châu)."""

    def __call__(self, value, mode="", **_options):
        token = Token(mode=mode)
        for term in value_shingles(value):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            yield token


def value_shingles(value: str):
    for line in value.split("\n"):
        field, _colon, text = line.partition(":")
        words = [folded_form(word) for word in _WORDS.findall(text)]
        for start in range(len(words) - 1):
            yield shingle_term(field, words[start:start + 2])
            if start + 2 < len(words):
                yield shingle_term(field, words[start:start + 3])


def phrase_shingles(words: list[str]) -> list[list[str]]:
    """The runs of words a phrase is looked up by: itself when two words, else its runs of three."""
    if len(words) < 3:
        return [words]
    return [words[start:start + 3] for start in range(len(words) - 2)]


def shingle_term(field: str, words) -> str:
    return f"{field}:{' '.join(words)}"


def shingles_analyzer():
    return _ShinglesTokenizer()


def index_terms(value: str, form: str) -> Counter:
    """How often each term occurs in a value, as the analyzer of `form` would produce them, counted
    in one pass: indexing spends most of its time here, and Whoosh's token-by-token pipeline is
    several times slower. Tests hold the two to the same terms."""
    if form == "shingles":
        return Counter(value_shingles(value))
    convert = folded_form if form == "folded" else exact_form
    return Counter(map(convert, _WORDS.findall(value)))
