"""One version of the index as whole-catalog arrays, opened once per process and refreshed on change.

Document numbers are the searcher's: segment by segment, each offset by the documents before it.
Arrays read from a segment are kept in `SegmentMemory`, so a refresh after a sync re-reads only
the new segment; what spans segments (live documents, the title order) is built per version.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from search_index import store
from search_index.ranking import FacetIndex
from search_index.segments import FacetTable, Postings, SegmentMemory, read_column, read_facet, read_lengths

DEFAULT_CACHE_MB = 256
NO_YEAR = -1
WARM_FIELDS = ("title", "text", "text_exact")


@dataclass(frozen=True)
class _Part:
    reader: object
    offset: int
    segment_id: str


class IndexView:
    def __init__(self, ix, memory: SegmentMemory, version):
        self.ix, self.version, self.memory = ix, version, memory
        self.searcher = ix.searcher()
        self.schema = ix.schema
        self.lock = threading.RLock()  # Whoosh's readers share file positions: one reader at a time
        self.parts = [_Part(reader, offset, segment.segment_id())
                      for reader, offset in self.searcher.reader().leaf_readers()
                      if (segment := getattr(reader, "segment", lambda: None)()) is not None]
        self.doc_count = self.searcher.doc_count_all()
        self.live = self._live()
        self._memo: dict = {}
        memory.keep_only({part.segment_id for part in self.parts})

    def _live(self) -> np.ndarray:
        live = np.ones(self.doc_count, dtype=bool)
        for part in self.parts:
            if part.reader.has_deletions():
                deleted = part.reader.deleted_docs_set
                live[part.offset + np.fromiter(deleted, np.int64, count=len(deleted))] = False
        return live

    def warm(self, fields=WARM_FIELDS, facets=()) -> None:
        """Read now what every search needs, so that the first reader after a change does not wait."""
        for field in fields:
            self.lengths(field)
        for field in facets:
            self.facet(field)
        self.years()

    def postings(self, field: str, term: bytes | str) -> Postings:
        if isinstance(term, str):
            term = self.schema[field].to_bytes(term)
        # The lock only around reading a segment: kept postings are shared by the threads without waiting.
        pieces = [(part.offset, self.memory.postings(part.segment_id, part.reader, field, term, self.lock))
                  for part in self.parts]
        pieces = [(offset, postings) for offset, postings in pieces if len(postings.docs)]
        if len(pieces) == 1 and pieces[0][0] == 0:
            return pieces[0][1]
        if not pieces:
            return Postings(np.empty(0, np.int32), np.empty(0, np.float32))
        return Postings(np.concatenate([postings.docs + offset for offset, postings in pieces]),
                        np.concatenate([postings.weights for _offset, postings in pieces]))

    def lengths(self, field: str) -> np.ndarray:
        return self._whole("lengths", field, read_lengths)

    def average_length(self, field: str) -> float:
        key = ("average", field)
        if key not in self._memo:
            total = self.searcher.reader().field_length(field)
            self._memo[key] = max(total / max(self.doc_count, 1), 1.0)
        return self._memo[key]

    def years(self) -> np.ndarray:
        def read(reader, field):
            values = read_column(reader, field)
            return np.fromiter((value if isinstance(value, int) and 0 < value < 10_000 else NO_YEAR
                                for value in values), np.int32, count=len(values))
        return self._whole("column", "year", read)

    def title_rank(self) -> np.ndarray:
        """Each document's place in Vietnamese alphabetical order of titles."""
        if "title_rank" not in self._memo:
            keys = []
            for part in self.parts:
                with self.lock:
                    keys.extend(self.memory.per_segment(part.segment_id, "column", "title_sort",
                                                        lambda reader=part.reader: read_column(reader, "title_sort")))
            order = sorted(range(len(keys)), key=keys.__getitem__)
            rank = np.empty(len(keys), dtype=np.int32)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(keys), dtype=np.int32)
            self._memo["title_rank"] = rank
        return self._memo["title_rank"]

    def facet(self, field: str) -> FacetIndex:
        """The facet pairs of all segments, with one label list for the whole index."""
        key = ("facet", field)
        if key not in self._memo:
            labels: dict[str, int] = {}
            docs, values = [], []
            for part in self.parts:
                with self.lock:
                    table = self.memory.per_segment(part.segment_id, "facet", field,
                                                    lambda reader=part.reader: read_facet(reader, field))
                remap = np.array([labels.setdefault(label, len(labels)) for label in table.labels], dtype=np.int32)
                docs.append(table.docs + part.offset)
                values.append(remap[table.values] if len(table.values) else table.values)
            self._memo[key] = FacetIndex.build(FacetTable(
                np.concatenate(docs) if docs else np.empty(0, np.int32),
                np.concatenate(values) if values else np.empty(0, np.int32), list(labels)), self.doc_count)
        return self._memo[key]

    def expand(self, query) -> list[tuple[str, bytes]]:
        """The terms a prefix, wildcard or range query stands for."""
        with self.lock:
            return list(query.expanded_terms(self.searcher.reader()))

    def stored_fields(self, doc: int) -> dict:
        with self.lock:
            return self.searcher.stored_fields(doc)

    def _whole(self, kind: str, field: str, read) -> np.ndarray:
        key = (kind, field)
        if key not in self._memo:
            pieces = []
            for part in self.parts:
                with self.lock:
                    pieces.append(self.memory.per_segment(part.segment_id, kind, field,
                                                          lambda reader=part.reader: read(reader, field)))
            self._memo[key] = np.concatenate(pieces) if pieces else np.empty(0)
        return self._memo[key]


class _Open:
    """The view each index directory is searched through in this process."""

    def __init__(self, cache_mb: int = DEFAULT_CACHE_MB):
        self.cache_mb = cache_mb  # postings kept per index directory; create_app sets SEARCH_CACHE_MB
        self._views: dict[str, IndexView] = {}
        self._memories: dict[str, SegmentMemory] = {}
        self._lock = threading.Lock()

    def view(self, directory: str) -> IndexView:
        version = store.version(directory)
        with self._lock:
            current = self._views.get(directory)
            if current is not None and current.version == version:
                return current
            memory = self._memories.setdefault(directory, SegmentMemory(self.cache_mb * 2**20))
            view = self._open(directory, memory, version)
            self._views[directory] = view
            return view

    @staticmethod
    def _open(directory: str, memory: SegmentMemory, version, attempts: int = 3) -> IndexView:
        for _attempt in range(attempts - 1):
            try:
                return IndexView(store.open_index(directory), memory, version or store.version(directory))
            except FileNotFoundError:  # a commit replaced the table of contents between looking and opening
                version = store.version(directory)  # looked at before opening: a view is never labelled newer
        return IndexView(store.open_index(directory), memory, version or store.version(directory))

    def forget(self, directory: str) -> None:
        with self._lock:
            self._views.pop(directory, None)
            self._memories.pop(directory, None)


open_views = _Open()
