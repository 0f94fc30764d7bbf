"""Where a Whoosh writer collects postings before it sorts them into a segment.

Whoosh's own pool estimates each posting's size as it arrives and, past its memory limit, pickles
sorted runs to disk one posting at a time. Indexing a catalog adds some two hundred postings per
record, so those per-posting steps are a large share of a rebuild. This pool counts postings
instead of estimating them, and writes and reads runs in chunks. Same order, same segment.
"""
from __future__ import annotations

import pickle

from whoosh.writing import PostingPool

POSTING_BYTES = 160  # what one (field, term, doc, weight, value) tuple costs in memory, roughly
RUN_CHUNK = 10_000


class ChunkedPostingPool(PostingPool):
    def __init__(self, tempstore, segment, limitmb=128, **options):
        super().__init__(tempstore, segment, limitmb=limitmb, **options)
        self.max_postings = max(self.limit // POSTING_BYTES, RUN_CHUNK)

    def add(self, item):
        if len(self.current) >= self.max_postings:
            self.save()
        self.fieldnames.add(item[0])
        self.current.append(item)

    def _write_run(self, f, items):
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == RUN_CHUNK:
                pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
                chunk = []
        if chunk:
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                yield from pickle.load(f)
        except EOFError:
            return
        finally:
            f.close()
            self._remove_run(path)
