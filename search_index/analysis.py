"""How text becomes index terms: the catalog's own Vietnamese rules, as Whoosh analyzers.

Two forms of every word: *exact* (NFC, one tone-mark placement, lower case) and *folded* (no
diacritics, đ → d). A query matches on the folded form and ranks higher where the exact form
matches too, so `duong` finds đường while `đường` puts đường before dương.
"""
from __future__ import annotations

from functools import lru_cache

import re
from collections import Counter

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


class _PairsTokenizer(Tokenizer):
    """Each two neighbouring words of a line, folded, as one token ("quang tri"): a phrase matches
    where all its pairs do. Lines are the document's separate values (title, each author...), so
    no pair spans two of them."""

    def __call__(self, value, mode="", **_options):
        token = Token(mode=mode)
        for line in value.split("\n"):
            words = [folded_form(word) for word in _WORDS.findall(line)]
            for first, second in zip(words, words[1:]):
                token.text = f"{first} {second}"
                token.boost = 1.0
                token.stopped = False
                yield token


def pairs_analyzer():
    return _PairsTokenizer()


def index_terms(value: str, form: str) -> Counter:
    """How often each term occurs in a value, as the analyzer of `form` would produce them, counted
    in one pass: indexing spends most of its time here, and Whoosh's token-by-token pipeline is
    several times slower. Tests hold the two to the same terms."""
    if form == "pairs":
        counts: Counter = Counter()
        for line in value.split("\n"):
            words = [folded_form(word) for word in _WORDS.findall(line)]
            counts.update(f"{first} {second}" for first, second in zip(words, words[1:]))
        return counts
    convert = folded_form if form == "folded" else exact_form
    return Counter(map(convert, _WORDS.findall(value)))
