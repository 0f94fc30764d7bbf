"""Finished search pages and API answers for readers who are not signed in, kept in each worker process.

Most searches of a public catalogue are the same few hundred (a province, a district, a famous name, a
subject), and answering one costs 15-30 ms of CPU (the search, the rows of its editions, highlighting, the
page), while a kept answer costs well under one. An answer is kept while the search index is the version it
was made from. Every import and every receipt changes the index, so with writes every few seconds nothing
would stay: an answer made before a change may still serve readers for PUBLIC_PAGE_GRACE_SECONDS after that
change (production sets 10: gunicorn.conf.py), so that no reader misses a change older than that; then the
next reader gets a fresh answer. Nothing is kept for more than MAX_AGE_SECONDS, for what changes without
changing the index (a library's name).

Only for requests that carry no cookie but the language and no Authorization header: a signed-in librarian,
or a script with a token, always gets an answer made for them from the index as it is (which, under gunicorn,
takes a change about a second after it is committed: search_index/follower.py).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, make_response, request, session

from i18n import COOKIE as LANGUAGE_COOKIE
from i18n import select_locale
from search_index import store

MAX_AGE_SECONDS = 300
HEADER = "X-Cache"  # hit, stale (made before the index changed, within the grace), miss; for operators


@dataclass(frozen=True)
class Kept:
    version: tuple | None
    made: float
    status: int
    mimetype: str
    body: bytes


ENTRY_OVERHEAD = 400  # bytes an entry costs beside its key and body (the tuple, the dict slot, the object)


class PageCache:
    """Answers by key, least recently used dropped first past `max_bytes` (keys, bodies and their overhead).
    Thread-safe."""

    def __init__(self, max_bytes: int, grace_seconds: float, max_age: float = MAX_AGE_SECONDS):
        self.max_bytes, self.grace, self.max_age = max_bytes, grace_seconds, max_age
        self._entries: OrderedDict[tuple, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._last_current: dict[tuple | None, float] = {}  # each version: when this process last found it in use

    def get(self, key: tuple, version: tuple | None, now: float) -> tuple[Kept, str] | None:
        """The kept answer and whether it is a hit or stale; None when there is none to serve."""
        with self._lock:
            self._seen_current(version, now)
            kept = self._entries.get(key)
            if kept is None or now - kept.made > self.max_age:
                return None
            if kept.version == version:
                self._entries.move_to_end(key)
                return kept, "hit"
            # The index changed after this process last found the answer's version in use: not before then, so
            # the answer misses no change older than that.
            last = self._last_current.get(kept.version)
            if last is not None and now - last < self.grace:
                self._entries.move_to_end(key)
                return kept, "stale"
            return None

    def _seen_current(self, version: tuple | None, now: float) -> None:
        self._last_current[version] = now
        if len(self._last_current) > 64:  # versions no kept answer can be served for any more
            for old in [v for v, when in self._last_current.items() if now - when > self.grace and v != version]:
                del self._last_current[old]

    def put(self, key: tuple, kept: Kept) -> None:
        size = _size(key, kept)
        if size > self.max_bytes // 8:
            return  # one huge answer would push out dozens of ordinary ones
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= _size(key, old)
            self._entries[key] = kept
            self._bytes += size
            while self._bytes > self.max_bytes:
                dropped_key, dropped = self._entries.popitem(last=False)
                self._bytes -= _size(dropped_key, dropped)

    def __len__(self) -> int:
        return len(self._entries)


def _size(key: tuple, kept: Kept) -> int:
    return len(kept.body) + sum(len(part) for part in key) + ENTRY_OVERHEAD


def init_app(app) -> None:
    megabytes = app.config.get("PUBLIC_PAGE_CACHE_MB", 0)
    if megabytes > 0:
        app.extensions["page_cache"] = PageCache(megabytes * 2**20, app.config.get("PUBLIC_PAGE_GRACE_SECONDS", 0))


def kept_for_readers(view):
    """Serve the view's answer from the page cache to readers who are not signed in."""
    @wraps(view)
    def answer(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or not _anonymous():
            return view(*args, **kwargs)
        # The query string as sent: the search reads the first of repeated parameters, so their order matters.
        key = (request.path, request.query_string, select_locale())
        version, now = store.version(current_app.config["INDEX_DIR"]), time.monotonic()
        if (found := cache.get(key, version, now)) is not None:
            kept, how = found
            return Response(kept.body, kept.status, mimetype=kept.mimetype, headers={HEADER: how})
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.is_streamed and not session.modified:
            cache.put(key, Kept(version, now, response.status_code, response.mimetype, response.get_data()))
        response.headers[HEADER] = "miss"
        return response
    return answer


def _anonymous() -> bool:
    return request.method == "GET" and "Authorization" not in request.headers and \
        set(request.cookies) <= {LANGUAGE_COOKIE}
