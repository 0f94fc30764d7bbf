"""How text becomes index terms: the catalog's own Vietnamese rules, as Whoosh analyzers.

Two forms of every word: *exact* (NFC, one tone-mark placement, lower case) and *folded* (no
diacritics, đ → d). A query matches on the folded form and ranks higher where the exact form
matches too, so `duong` finds đường while `đường` puts đường before dương.
"""
from __future__ import annotations

from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer

from catalog.vietnamese import fold, normalize_tone_placement

WORD = r"\w+(?:[.'’]\w+)*"


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
