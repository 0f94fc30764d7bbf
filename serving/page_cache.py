"""Finished search pages and API answers for readers who are not signed in, kept once for all the workers of
an application server.

Most searches of a public catalogue are the same few hundred (a province, a district, a famous name, a
subject), and answering one costs 15-30 ms of CPU (the search, the rows of its editions, highlighting, the
page), while a kept answer costs well under one. The answers live in one store beside the index
(INDEX_DIR/kept-answers, a diskcache: SQLite in WAL mode, so readers never wait for a writer), so an answer
made by one worker serves the readers of every worker, and survives a worker's restart.

An answer is kept while the search index is the version it was made from. Every import and every receipt
changes the index, so with writes every few seconds nothing would stay: an answer made before a change may
still serve readers until it is PUBLIC_PAGE_GRACE_SECONDS old (production sets 10: gunicorn.conf.py), so that
no reader misses a change older than that; then the next reader gets a fresh answer. Nothing is kept for more
than MAX_AGE_SECONDS, for what changes without changing the index (a library's name).

Bodies are kept gzip'd (a search page is about 26 KB, 4 KB gzip'd) and sent so to readers whose browser takes
gzip, which is every browser: the store holds six times as many answers, and a reader on the island's
connection waits for a sixth of the bytes.

Only for requests that carry no cookie but the language and no Authorization header: a signed-in librarian,
or a script with a token, always gets an answer made for them from the index as it is (which, under gunicorn,
takes a change about a second after it is committed: search_index/follower.py). The store is an aid: when it
cannot be read or written (a full disk, an unwritable directory), answers are made as if it were not there.
"""
from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import zlib
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

import diskcache
from flask import Response, current_app, make_response, request, session

from i18n import COOKIE as LANGUAGE_COOKIE
from i18n import select_locale
from search_index import store

MAX_AGE_SECONDS = 300
HEADER = "X-Cache"  # hit, stale (made before the index changed, within the grace), miss; for operators
STORE_DIRECTORY = "kept-answers"  # inside INDEX_DIR: its answers are about that index
COMPRESSION = 1  # gzip level: a sixth of the size at a fifth of a millisecond; higher levels gain little
WAIT_SECONDS = 0.25  # for another worker's write; past it the answer is made or not kept, never waited for
RETRY_SECONDS = 30  # after the store failed to open, before trying again
WARN_EVERY_SECONDS = 60
log = logging.getLogger(__name__)
clock = time.time  # seconds since the epoch, the same in every worker (tests turn it)


@dataclass(frozen=True)
class Kept:
    version: str  # the index version the answer was made from, as version_text gives it
    made: float  # seconds since the epoch: the workers of a server share it
    status: int
    mimetype: str
    gzipped: bytes


def version_text(version) -> str:
    return json.dumps(version)


class PageCache:
    """Answers by key in a store shared by the processes of one application server; thread- and fork-safe."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int, grace_seconds: float,
                 max_age: float = MAX_AGE_SECONDS):
        self.directory, self.max_bytes = Path(directory), max_bytes
        self.grace, self.max_age = grace_seconds, max_age
        self._store: diskcache.Cache | None = None
        self._store_pid: int | None = None
        self._failed_at: float | None = None
        self._warned_at: float | None = None
        self._lock = threading.Lock()

    def get(self, key: str, version: str, now: float) -> tuple[Kept, str] | None:
        """The kept answer and whether it is a hit or stale; None when there is none to serve."""
        kept = self._read(key)
        # Made "in the future": the clock was set back since, and the answer's age is unknown.
        if kept is None or not 0 <= now - kept.made <= self.max_age:
            return None
        if kept.version == version:
            return kept, "hit"
        # Made before the index changed, so the change is at most this old: a reader misses no change older
        # than the grace.
        if now - kept.made < self.grace:
            return kept, "stale"
        return None

    def put(self, key: str, kept: Kept) -> None:
        if len(kept.gzipped) + len(key) > self.max_bytes // 8:
            return  # one huge answer would push out dozens of ordinary ones
        header = json.dumps([kept.version, kept.made, kept.status, kept.mimetype]).encode()
        # No expiry of diskcache's own: age is judged in get, and the least recently stored go first when full.
        self._call(lambda cache: cache.set(key, header + b"\n" + kept.gzipped))

    def __len__(self) -> int:
        return self._call(len) or 0

    def _read(self, key: str) -> Kept | None:
        value = self._call(lambda cache: cache.get(key))
        if not isinstance(value, bytes):
            return None
        header, _newline, gzipped = value.partition(b"\n")
        try:
            version, made, status, mimetype = json.loads(header)
            return Kept(str(version), float(made), int(status), str(mimetype), gzipped)
        except (ValueError, TypeError):  # kept by another version of the application: made again
            self._call(lambda cache: cache.delete(key))
            return None

    def _call(self, action):
        """`action` on the store, or None when the store cannot serve: the answer is then made, not kept."""
        cache = self._open()
        if cache is None:
            return None
        try:
            return action(cache)
        except (diskcache.Timeout, sqlite3.Error, OSError) as error:
            self._warn(error)
            return None

    def _warn(self, error: Exception) -> None:
        """Say so in the log, once a minute at most: a full disk would otherwise write a line per search."""
        if isinstance(error, diskcache.Timeout):
            return  # another worker was writing: this answer is made or not kept, nothing is wrong
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at > WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("kept answers unavailable (searches are answered without them): %s", error)

    def _open(self) -> diskcache.Cache | None:
        # A store opened before gunicorn forked its workers would share SQLite connections across processes.
        if self._store is not None and self._store_pid == os.getpid():
            return self._store
        with self._lock:
            if self._store is not None and self._store_pid == os.getpid():
                return self._store
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
                return None
            try:
                self._store = diskcache.Cache(
                    str(self.directory), timeout=WAIT_SECONDS, size_limit=self.max_bytes,
                    eviction_policy="least-recently-stored",  # -used would write on every read
                    disk_min_file_size=self.max_bytes,  # every body in the SQLite file, none in files of its own
                    sqlite_cache_size=1024, sqlite_mmap_size=0)  # the OS caches the file once for all workers
            except (diskcache.Timeout, sqlite3.Error, OSError) as error:
                self._warn(error)
                self._failed_at, self._store = time.monotonic(), None
                return None
            self._store_pid, self._failed_at = os.getpid(), None
            return self._store

    def close(self) -> None:
        if self._store is not None and self._store_pid == os.getpid():
            self._store.close()
        self._store = None


def clear(index_dir: str | os.PathLike) -> None:
    """Forget every kept answer: a server (re)started may run new templates or a new API (gunicorn.conf.py)."""
    shutil.rmtree(Path(index_dir) / STORE_DIRECTORY, ignore_errors=True)


def init_app(app) -> None:
    megabytes = app.config.get("PUBLIC_PAGE_CACHE_MB", 0)
    if megabytes > 0:
        app.extensions["page_cache"] = PageCache(Path(app.config["INDEX_DIR"]) / STORE_DIRECTORY, megabytes * 2**20,
                                                 app.config.get("PUBLIC_PAGE_GRACE_SECONDS", 0))


def kept_for_readers(view):
    """Serve the view's answer from the kept answers to readers who are not signed in."""
    @wraps(view)
    def answer(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or not _anonymous():
            return view(*args, **kwargs)
        # The query string as sent: the search reads the first of repeated parameters, so their order matters.
        key = f"{select_locale()} {request.path}?{request.query_string.decode('latin-1')}"
        version, now = version_text(store.version(current_app.config["INDEX_DIR"])), clock()
        if (found := cache.get(key, version, now)) is not None:
            try:
                return _kept_response(*found)
            except zlib.error:  # damaged in the store: made again below, and replaced
                pass
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.is_streamed and not session.modified:
            body = gzip.compress(response.get_data(), COMPRESSION, mtime=0)
            cache.put(key, Kept(version, now, response.status_code, response.mimetype, body))
        response.headers[HEADER] = "miss"
        response.vary.add("Accept-Encoding")
        return response
    return answer


def _kept_response(kept: Kept, how: str) -> Response:
    if request.accept_encodings["gzip"] > 0:
        response = Response(kept.gzipped, kept.status, mimetype=kept.mimetype, headers={HEADER: how})
        response.content_encoding = "gzip"
    else:
        body = zlib.decompress(kept.gzipped, 16 + zlib.MAX_WBITS)  # gzip's header and trailer
        response = Response(body, kept.status, mimetype=kept.mimetype, headers={HEADER: how})
    response.vary.add("Accept-Encoding")
    return response


def _anonymous() -> bool:
    return request.method == "GET" and "Authorization" not in request.headers and \
        set(request.cookies) <= {LANGUAGE_COOKIE}
