"""What one Whoosh segment holds, read out as numpy arrays: postings, field lengths, columns, facets.

Whoosh answers a query by walking postings one Python call at a time. Common Vietnamese syllables
(`quang`, `hoa`, `van`) occur in half a catalog, so that walk costs hundreds of milliseconds. A
segment never changes once written (deletions are kept beside it), so what is read from it here is
kept for as long as the segment lives and every later search works on whole arrays at once.

This is the one module that knows how Whoosh lays out its postings; everything it reads through a
private attribute has a slower public path it falls back on, and tests compare the two.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

NO_IDS = np.empty(0, np.int32)
NO_WEIGHTS = np.empty(0, np.float32)
BLOCK_API = ("_read_data", "_data", "_blocklength", "_lastblock", "_goto", "_nextoffset", "_byteids")


@dataclass(frozen=True)
class Postings:
    """Document numbers (ascending, deleted documents included) and the weight (frequency) of each."""
    docs: np.ndarray
    weights: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.docs.nbytes + self.weights.nbytes


@dataclass(frozen=True)
class FacetTable:
    """Every (document, value) pair of a facet field: counting a set of hits is one bincount."""
    docs: np.ndarray
    values: np.ndarray
    labels: list[str]


EMPTY = Postings(NO_IDS, NO_WEIGHTS)


def read_postings(reader, field: str, term: bytes | str) -> Postings:
    """One term's postings in one segment reader."""
    try:
        matcher = reader.postings(field, term)
    except TermNotFound:
        return EMPTY
    while isinstance(matcher, FilterMatcher):  # deletions: the caller masks them with its live set
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher) and all(hasattr(matcher, name) for name in BLOCK_API):
        return _read_blocks(matcher)
    return read_one_by_one(matcher)


def _read_blocks(matcher) -> Postings:
    """Whole blocks at a time: each block is one pickled tuple of delta-coded ids and weights."""
    docs, weights = [], []
    while True:
        matcher._read_data()
        ids, block_weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        ids = np.asarray(ids, dtype=np.int64)
        docs.append(ids if matcher._byteids else np.cumsum(ids))
        if block_weights is None or isinstance(block_weights, float):
            weights.append(np.full(count, 1.0 if block_weights is None else block_weights, np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return Postings(np.concatenate(docs).astype(np.int32), np.concatenate(weights))


def read_one_by_one(matcher) -> Postings:
    """The public, slower path: short inlined lists, or a Whoosh whose internals have moved."""
    docs, weights = [], []
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return Postings(np.asarray(docs, dtype=np.int32), np.asarray(weights, dtype=np.float32))


def read_lengths(reader, field: str) -> np.ndarray:
    count = reader.doc_count_all()
    return np.fromiter((reader.doc_field_length(doc, field, 0) for doc in range(count)), np.float32, count=count)


def read_column(reader, field: str) -> list:
    return list(reader.column_reader(field))


def read_facet(reader, field: str) -> FacetTable:
    labels, docs, values = [], [], []
    for term in reader.lexicon(field):
        postings = read_postings(reader, field, term)
        values.append(np.full(len(postings.docs), len(labels), np.int32))
        docs.append(postings.docs)
        labels.append(term.decode("utf-8"))
    if not labels:
        return FacetTable(NO_IDS, NO_IDS, [])
    return FacetTable(np.concatenate(docs), np.concatenate(values), labels)


class SegmentMemory:
    """What has been read from segments, by segment id, within a memory budget for postings.

    Postings are the bulk and are dropped least recently used first; the per-document arrays
    (lengths, columns, facets) are small and stay until their segment is merged away.
    """

    def __init__(self, budget_bytes: int):
        self.budget_bytes = budget_bytes
        self._postings: OrderedDict[tuple, Postings] = OrderedDict()
        self._postings_bytes = 0
        self._per_segment: dict[str, dict] = {}
        self._lock = threading.Lock()

    def postings(self, segment_id: str, reader, field: str, term: bytes, reading: threading.RLock) -> Postings:
        """A term's postings in one segment: kept, or read from `reader` holding `reading` (its file lock)."""
        key = (segment_id, field, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        with reading:
            postings = read_postings(reader, field, term)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = postings
                self._postings_bytes += postings.nbytes
                while self._postings_bytes > self.budget_bytes and len(self._postings) > 1:
                    _key, dropped = self._postings.popitem(last=False)
                    self._postings_bytes -= dropped.nbytes
        return postings

    def per_segment(self, segment_id: str, kind: str, field: str, read):
        """A per-document array of one segment, read once with `read()`."""
        arrays = self._per_segment.setdefault(segment_id, {})
        key = (kind, field)
        if key not in arrays:
            arrays[key] = read()
        return arrays[key]

    def keep_only(self, segment_ids: set[str]) -> None:
        """Forget segments that the index no longer has (merged or rebuilt away)."""
        with self._lock:
            for segment_id in list(self._per_segment):
                if segment_id not in segment_ids:
                    del self._per_segment[segment_id]
            for key in [key for key in self._postings if key[0] not in segment_ids]:
                self._postings_bytes -= self._postings.pop(key).nbytes
