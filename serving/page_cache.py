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
or a script with a token, always gets an answer made for them, with what they just changed in it.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, make_response, request

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


class PageCache:
    """Answers by key, least recently used dropped first past `max_bytes`. Thread-safe."""

    def __init__(self, max_bytes: int, grace_seconds: float, max_age: float = MAX_AGE_SECONDS):
        self.max_bytes, self.grace, self.max_age = max_bytes, grace_seconds, max_age
        self._entries: OrderedDict[tuple, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._versions: OrderedDict[tuple | None, float] = OrderedDict()  # each version and when it was first seen

    def get(self, key: tuple, version: tuple | None, now: float) -> tuple[Kept, str] | None:
        """The kept answer and whether it is a hit or stale; None when there is none to serve."""
        with self._lock:
            self._saw(version, now)
            kept = self._entries.get(key)
            if kept is None or now - kept.made > self.max_age:
                return None
            if kept.version == version:
                self._entries.move_to_end(key)
                return kept, "hit"
            changed = self._changed_after(kept.version)
            if changed is not None and now - changed < self.grace:
                self._entries.move_to_end(key)
                return kept, "stale"
            return None

    def _saw(self, version: tuple | None, now: float) -> None:
        if version not in self._versions:
            self._versions[version] = now
            while len(self._versions) > 1 and now - next(iter(self._versions.values())) > self.max_age:
                self._versions.popitem(last=False)  # no kept answer is older than that

    def _changed_after(self, version: tuple | None) -> float | None:
        """When this process first saw the version that followed `version`: when the index changed after it."""
        found = False
        for seen, when in self._versions.items():
            if found:
                return when
            found = seen == version
        return None

    def put(self, key: tuple, kept: Kept) -> None:
        size = len(kept.body)
        if size > self.max_bytes // 8:
            return  # one huge answer would push out dozens of ordinary ones
        with self._lock:
            self._saw(kept.version, kept.made)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = kept
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)


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
        key = (request.path, tuple(sorted(request.args.items(multi=True))), select_locale())
        version, now = store.version(current_app.config["INDEX_DIR"]), time.monotonic()
        if (found := cache.get(key, version, now)) is not None:
            kept, how = found
            return Response(kept.body, kept.status, mimetype=kept.mimetype, headers={HEADER: how})
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers:
            cache.put(key, Kept(version, now, response.status_code, response.mimetype, response.get_data()))
        response.headers[HEADER] = "miss"
        return response
    return answer


def _anonymous() -> bool:
    return request.method == "GET" and "Authorization" not in request.headers and \
        set(request.cookies) <= {LANGUAGE_COOKIE}
