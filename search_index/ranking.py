"""Ordering the matched documents for one page, and counting facet values over all of them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search_index.segments import FacetTable

NO_YEAR = -1


def page(view, docs: np.ndarray, scores: np.ndarray, sort: str, start: int, count: int) -> list[int]:
    """The documents at positions start..start+count in the chosen order; ties go to the lower
    document number, so pages never overlap or skip."""
    wanted = start + count
    if start >= len(docs):
        return []
    keys = _keys(view, docs, scores, sort)  # smaller sorts first
    if wanted < len(docs):  # only the first `wanted` need ordering: keep those, and every tie at the border
        threshold = np.partition(keys[0], wanted - 1)[wanted - 1]
        kept = np.flatnonzero(keys[0] <= threshold)
        docs, keys = docs[kept], [key[kept] for key in keys]
    order = np.lexsort((docs, *reversed(keys)))
    return [int(doc) for doc in docs[order][start:wanted]]


def _keys(view, docs: np.ndarray, scores: np.ndarray, sort: str) -> list[np.ndarray]:
    """Sort keys, most significant first."""
    relevance = -scores[docs]
    if sort == "year":
        years = view.years()[docs]
        # Newest first; records without a year last.
        return [np.where(years == NO_YEAR, np.iinfo(np.int32).max, -years.astype(np.int64)), relevance]
    if sort == "title":
        return [view.title_rank()[docs]]
    return [relevance]


@dataclass(frozen=True)
class FacetIndex:
    """A facet's (document, value) pairs of the whole index, twice: as they were read, for counting most of the
    catalog with one bincount, and grouped by document, for counting a few thousand hits by reading only
    theirs (a typical search matches a few percent of the catalog)."""
    pairs: FacetTable
    starts: np.ndarray  # document d's values are by_doc[starts[d]:starts[d + 1]]
    by_doc: np.ndarray
    label_rank: np.ndarray  # each label's place in alphabetical order: ties in count go alphabetically
    unlabelled: np.ndarray  # the values whose label is empty, never shown

    @classmethod
    def build(cls, pairs: FacetTable, doc_count: int) -> FacetIndex:
        order = np.argsort(pairs.docs, kind="stable")
        starts = np.searchsorted(pairs.docs[order], np.arange(doc_count + 1)).astype(np.int64)
        rank = np.empty(len(pairs.labels), dtype=np.int64)
        rank[np.asarray(sorted(range(len(pairs.labels)), key=pairs.labels.__getitem__), dtype=np.int64)] = \
            np.arange(len(pairs.labels))
        unlabelled = np.asarray([value for value, label in enumerate(pairs.labels) if not label], dtype=np.int64)
        return cls(pairs, starts, pairs.values[order], rank, unlabelled)

    @property
    def labels(self) -> list[str]:
        return self.pairs.labels


def facet_counts(facet: FacetIndex, matched: np.ndarray, hits: np.ndarray, limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent values among the matched documents (`hits` are their numbers), then in
    alphabetical order."""
    if not len(facet.labels):
        return []
    counts = np.bincount(_values_of(facet, matched, hits), minlength=len(facet.labels))
    counts[facet.unlabelled] = 0
    present = np.flatnonzero(counts)
    if len(present) > limit:  # only those that can be among the first `limit`, ties at the border included
        border = np.partition(counts[present], len(present) - limit)[len(present) - limit]
        present = present[counts[present] >= border]
    first = present[np.lexsort((facet.label_rank[present], -counts[present]))][:limit]
    return [(facet.labels[value], int(counts[value])) for value in first]


def _values_of(facet: FacetIndex, matched: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """The values of every pair whose document matched."""
    pairs = facet.pairs
    expected = len(hits) * len(pairs.docs) / max(len(matched), 1)
    if expected * 4 > len(pairs.docs):  # a broad search: one pass over all pairs is cheaper than gathering
        return pairs.values[matched[pairs.docs]]
    starts, ends = facet.starts[hits], facet.starts[hits + 1]
    lengths = ends - starts
    # Positions starts[i], starts[i]+1, ..., ends[i]-1 for every hit, without a Python loop.
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    return facet.by_doc[positions]
