"""Facet counts (search_index/ranking.py): for a few hits they are read document by document, for many in one
pass over every pair; both ways give what counting by hand gives, the most frequent first, ties alphabetically,
values without a label never shown."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from search_index.ranking import FacetIndex, facet_counts
from search_index.segments import FacetTable

DOCS = 2000
LABELS = ["Quảng Trị", "Quảng Bình", "", "Cồn Cỏ", "Huế", "Đông Hà", "Vĩnh Linh", "Gio Linh", "Hà Tĩnh", "Nghệ An"]


def catalog(seed: int) -> tuple[FacetIndex, list[list[int]]]:
    """Each document with zero to three values, the pairs in the order a segment gives them (by value)."""
    rng = random.Random(seed)
    values_of = [rng.sample(range(len(LABELS)), rng.choice((0, 1, 1, 2, 3))) for _doc in range(DOCS)]
    pairs = sorted((value, doc) for doc, values in enumerate(values_of) for value in values)
    table = FacetTable(np.array([doc for _value, doc in pairs], np.int32),
                       np.array([value for value, _doc in pairs], np.int32), LABELS)
    return FacetIndex.build(table, DOCS), values_of


def by_hand(values_of: list[list[int]], hits: list[int], limit: int) -> list[tuple[str, int]]:
    counts = Counter(LABELS[value] for doc in hits for value in values_of[doc] if LABELS[value])
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


@pytest.mark.parametrize("share", [0.0, 0.001, 0.02, 0.2, 0.9, 1.0], ids=lambda share: f"{share:.1%} hits")
@pytest.mark.parametrize("limit", [3, 20])
def test_counts_are_those_counted_by_hand(share, limit):
    facet, values_of = catalog(seed=int(share * 1000) + limit)
    rng = random.Random(limit)
    hits = sorted(rng.sample(range(DOCS), int(DOCS * share)))
    matched = np.zeros(DOCS, bool)
    matched[hits] = True
    assert facet_counts(facet, matched, np.array(hits, np.int64), limit) == by_hand(values_of, hits, limit)


def test_ties_at_the_limit_go_alphabetically():
    table = FacetTable(np.array([0, 1, 2, 3], np.int32), np.array([0, 1, 2, 3], np.int32), ["Huế", "Cồn Cỏ", "",
                                                                                             "Đông Hà"])
    facet = FacetIndex.build(table, 4)
    matched = np.ones(4, bool)
    assert facet_counts(facet, matched, np.arange(4), 2) == [("Cồn Cỏ", 1), ("Huế", 1)]
    assert facet_counts(facet, matched, np.arange(4), 5) == [("Cồn Cỏ", 1), ("Huế", 1), ("Đông Hà", 1)]
