"""The answers to recent searches: the same page asked again (the next reader, the back button)
costs nothing until the index changes, which changes the key."""
from __future__ import annotations

import threading
from collections import OrderedDict


class RecentResults:
    def __init__(self, size: int):
        self.size = size
        self._results: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
            return found

    def put(self, key, result) -> None:
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self.size:
                self._results.popitem(last=False)
