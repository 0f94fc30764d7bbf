"""Finished search pages and API answers for readers who are not signed in, kept once for all the workers of
an application server.

Most searches of a public catalogue are the same few hundred (a province, a district, a famous name, a
subject), and answering one costs 15-30 ms of CPU (the search, the rows of its editions, highlighting, the
page), while a kept answer costs well under one. The answers live in one store beside the index
(INDEX_DIR/kept-answers, a diskcache: SQLite in WAL mode, so readers never wait for a writer), so an answer
made by one worker serves the readers of every worker, and survives a worker's restart.

An answer is kept while the search index is the version it was made from. Every import and every receipt
changes the index, so with writes every few seconds nothing would stay: an answer made before a change may
still serve readers until it is PUBLIC_PAGE_GRACE_SECONDS old (production sets 20: gunicorn.conf.py). Past
the grace, the next reader gets a fresh answer made for them while they wait; or, when
PUBLIC_PAGE_STALE_SECONDS is set (production: 300) and the answer is younger than that, the kept answer at
once while one thread of the worker makes the fresh one for the readers after them (stale-while-revalidate).
Under librarians' writes the popular answers go stale every few seconds, and making them again while readers
waited is what made searches slow (bench/load_bench.py). Made in the background instead, one at a time per
worker, never while a reader of the worker waits for an answer made for them, and within a share of the
worker's time (REFRESH_SHARE), they cost readers no waiting; a server too busy to make them all serves
answers a little older (never older than the stale limit) rather than slower. The limit counts from when the
answer was made, which is all that is known of it: the index keeps no history of when each change came.
Nothing is kept for more than MAX_AGE_SECONDS, for what changes without changing the index (a library's name).

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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

import diskcache
from flask import Flask, Response, current_app, g, make_response, request, session
from werkzeug.test import EnvironBuilder

from i18n import COOKIE as LANGUAGE_COOKIE
from i18n import select_locale
from search_index import store

MAX_AGE_SECONDS = 300
# For operators: hit, stale (made before the index changed), miss; on the access line of an answer made in the
# background, refresh (or refresh-skipped: another worker had made it).
HEADER = "X-Cache"
STORE_DIRECTORY = "kept-answers"  # inside INDEX_DIR: its answers are about that index
COMPRESSION = 1  # gzip level: a sixth of the size at a fifth of a millisecond; higher levels gain little
WAIT_SECONDS = 0.25  # for another worker's write; past it the answer is made or not kept, never waited for
RETRY_SECONDS = 30  # after the store failed to open, before trying again
WARN_EVERY_SECONDS = 60
REFRESH_QUEUE = 64  # answers waiting to be made again in a worker: about two seconds of its work
# Of its worker's time, what the refresher takes at most: it rests between two answers for as long again as
# it took to make the last one, times (1 - share) / share. Under writes every few seconds the answers gone stale
# would otherwise take both cores from the readers (bench/load_bench.py); past this share they get older instead.
REFRESH_SHARE = 0.25
REFRESH_PAUSE_SECONDS = 10  # after a fresh answer failed (the database out): no more tries, and no log line each
REFRESHING = "refreshing_kept_answer"  # in flask.g of the refresher's own requests: the key it makes
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
                 max_age: float = MAX_AGE_SECONDS, stale_seconds: float = 0):
        self.directory, self.max_bytes = Path(directory), max_bytes
        self.grace, self.max_age, self.stale = grace_seconds, max_age, stale_seconds
        self._store: diskcache.Cache | None = None
        self._store_pid: int | None = None
        self._failed_at: float | None = None
        self._warned_at: float | None = None
        self._lock = threading.Lock()

    def get(self, key: str, version: str, now: float) -> tuple[Kept, str] | None:
        """The kept answer and whether it is a hit, stale, or stale and to be made again (refresh); None when
        there is none to serve."""
        kept = self._read(key)
        # Made "in the future": the clock was set back since, and the answer's age is unknown.
        if kept is None or not 0 <= now - kept.made <= self.max_age:
            return None
        if kept.version == version:
            return kept, "hit"
        # Made before the index changed, so the change is at most this old: a reader misses no change older
        # than the grace, and none older than the stale limit while the fresh answer is being made.
        age = now - kept.made
        if age < self.grace:
            return kept, "stale"
        if age < self.stale:
            return kept, "refresh"
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


class Refresher:
    """Makes again, on one thread of this process, the answers that readers were served stale.

    One at a time, oldest wish first, at most REFRESH_QUEUE waiting: a burst of changes is worked through at
    the pace of one thread, and what does not fit waits for a later reader. The answer is made by the
    application itself, as a request of a reader not signed in, in the language of the kept one (its access
    line says cache "refresh")."""

    def __init__(self, app: Flask, stale_seconds: float):
        self.app, self.stale = app, stale_seconds
        self._wanted: dict[str, tuple[str, str, str]] = {}  # key: path, query string, language
        self._busy = False
        self._readers_waiting = 0  # answers being made in this process for readers who wait for them
        self._paused_until = 0.0  # time.monotonic()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def want(self, key: str, path: str, query_string: str, language: str) -> None:
        """Make the answer again soon; a wish that cannot be taken now is dropped (a later reader asks again)."""
        with self._condition:
            if key in self._wanted or len(self._wanted) >= REFRESH_QUEUE or time.monotonic() < self._paused_until:
                return
            # Not alive: never started in this process (a thread of the process gunicorn forked from is not in
            # the worker), or ended by something no request should end it with.
            if self._thread is None or not self._thread.is_alive():
                thread = threading.Thread(target=self._work, name="kept-answers-refresher", daemon=True)
                try:
                    thread.start()
                except RuntimeError as error:  # no thread to be had: the reader still gets the kept answer
                    self._pause(f"no thread: {error}")
                    return
                self._thread = thread
            self._wanted[key] = (path, query_string, language)
            self._condition.notify()

    @contextmanager
    def reader_waiting(self):
        """Around making an answer a reader waits for: no refresh starts meanwhile."""
        with self._condition:
            self._readers_waiting += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers_waiting -= 1
                self._condition.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Whether every wish was made within `timeout` seconds."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._wanted and not self._busy, timeout)

    def _work(self) -> None:
        while True:
            with self._condition:
                # A reader waiting for an answer made for them goes first: nobody waits for a refresh.
                self._condition.wait_for(lambda: self._wanted and not self._readers_waiting)
                key = next(iter(self._wanted))
                path, query_string, language = self._wanted.pop(key)
                self._busy = True
            started = time.monotonic()
            try:
                status = self._make(key, path, query_string, language)
                if status >= 500:  # the database out, say: the answers kept serve on meanwhile
                    with self._condition:
                        self._pause(f"answered {status}: {path}?{query_string}")
            except Exception as error:  # noqa: BLE001 - the kept answer serves on; past the limit a reader waits
                with self._condition:
                    self._pause(f"{error!r}: {path}?{query_string}")
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()
            time.sleep((time.monotonic() - started) * (1 - REFRESH_SHARE) / REFRESH_SHARE)

    def _pause(self, why: str) -> None:
        """Stop making answers again for a while, and forget the wishes: held with the condition."""
        self._paused_until = time.monotonic() + REFRESH_PAUSE_SECONDS
        self._wanted.clear()
        log.warning("kept answers not made again for %s s (readers get them as kept, up to %s s old): %s",
                    REFRESH_PAUSE_SECONDS, self.stale, why)

    def _make(self, key: str, path: str, query_string: str, language: str) -> int:
        # The query string as the reader sent it: werkzeug would encode again what is not ASCII in it.
        environ = EnvironBuilder(path=path, headers={"Cookie": f"{LANGUAGE_COOKIE}={language}"},
                                 environ_overrides={"QUERY_STRING": query_string}).get_environ()
        with self.app.request_context(environ):
            g.setdefault(REFRESHING, key)
            return self.app.full_dispatch_request().status_code


def init_app(app) -> None:
    megabytes = app.config.get("PUBLIC_PAGE_CACHE_MB", 0)
    if megabytes > 0:
        grace = app.config.get("PUBLIC_PAGE_GRACE_SECONDS", 0)
        stale = min(max(app.config.get("PUBLIC_PAGE_STALE_SECONDS", 0), grace), MAX_AGE_SECONDS)
        app.extensions["page_cache"] = PageCache(Path(app.config["INDEX_DIR"]) / STORE_DIRECTORY, megabytes * 2**20,
                                                 grace, stale_seconds=stale)
        app.extensions["page_refresher"] = Refresher(app, stale)


def kept_for_readers(view):
    """Serve the view's answer from the kept answers to readers who are not signed in."""
    @wraps(view)
    def answer(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or not _anonymous():
            return view(*args, **kwargs)
        # The query string as sent: the search reads the first of repeated parameters, so their order matters.
        language, query_string = select_locale(), request.query_string.decode("latin-1")
        key = f"{language} {request.path}?{query_string}"
        version, now = version_text(store.version(current_app.config["INDEX_DIR"])), clock()
        refreshing = g.get(REFRESHING)
        if refreshing is not None and refreshing != key:  # never keep an answer under another request's key
            raise RuntimeError(f"a kept answer made again under another key: {key!r}, not {refreshing!r}")
        found = cache.get(key, version, now)
        if refreshing and found is not None and found[1] == "hit":
            # Another worker made it again meanwhile.
            return Response(status=204, headers={HEADER: "refresh-skipped"})
        if found is not None and not refreshing:
            kept, how = found
            try:
                response = _kept_response(kept, "stale" if how == "refresh" else how)
            except zlib.error:  # damaged in the store: made again below, and replaced
                pass
            else:
                if how == "refresh":
                    current_app.extensions["page_refresher"].want(key, request.path, query_string, language)
                return response
        with nullcontext() if refreshing else current_app.extensions["page_refresher"].reader_waiting():
            response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.is_streamed and not session.modified:
            body = gzip.compress(response.get_data(), COMPRESSION, mtime=0)
            cache.put(key, Kept(version, now, response.status_code, response.mimetype, body))
        response.headers[HEADER] = "refresh" if refreshing else "miss"
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
