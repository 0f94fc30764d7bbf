"""Ordering the matched documents for one page, and counting facet values over all of them."""
from __future__ import annotations

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


def facet_counts(table: FacetTable, matched: np.ndarray, limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent values among the matched documents, then in alphabetical order."""
    if not len(table.labels):
        return []
    counts = np.bincount(table.values[matched[table.docs]], minlength=len(table.labels))
    present = np.flatnonzero(counts)
    pairs = [(table.labels[value], int(counts[value])) for value in present if table.labels[value]]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:limit]
