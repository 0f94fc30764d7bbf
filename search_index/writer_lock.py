"""One writer of the index at a time, across the processes of a deployment (gunicorn's workers, the CLI).

Whoosh's own lock guards one index folder, but a sync reads the change feed and the watermark before it opens
a writer, and a rebuild writes a new folder beside the one in use and then switches: two processes doing
either at once could index a change twice or delete each other's work. An advisory lock (flock) on a file in
INDEX_DIR serialises them. The kernel drops it when its process dies, so a killed worker never leaves the
index locked. Readers take no lock: they read committed segments, and a switch only after it is whole.
"""
from __future__ import annotations

import fcntl
import multiprocessing.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from search_index.store import BUSY, IndexBusy

LOCK_FILE = "writer.lock"
POLL_SECONDS = 0.05
_held = threading.local()  # how deep this thread is in the lock (a sync may rebuild: the lock is reentrant)


@contextmanager
def exclusive(directory: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock, waiting up to `wait` seconds for another writer; else IndexBusy."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    with open(Path(directory) / LOCK_FILE, "a+b") as handle:
        # A rebuild forks Whoosh's writing processes while the lock is held. Were they to keep this file open,
        # they would keep the lock too, for ever, if this process were killed and left them waiting.
        multiprocessing.util.register_after_fork(handle, _close_in_child)
        _acquire(handle, wait)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


def _close_in_child(handle) -> None:
    handle.close()


def held() -> bool:
    """Whether this thread holds the lock now."""
    return getattr(_held, "depth", 0) > 0


def _acquire(handle, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexBusy(BUSY) from None
            time.sleep(POLL_SECONDS)
