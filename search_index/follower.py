"""The index follower: one process that applies the change feed as it grows (`flask search follow`).

In production (SEARCH_SYNC=follower, as gunicorn.conf.py sets) the web workers only commit: an import or a
receipt answers without indexing, and this process, started and watched by gunicorn's master at a lower CPU
priority, brings the index up to date within about a second. Readers' searches then never wait behind the
indexing of a librarian's import in their own worker, and the kernel gives them the cores first."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from flask import Flask

import database
from catalog.changes import latest_change
from catalog.editions import clustering_pending
from search_index import indexer, store
from search_index.store import IndexBusy

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
LOCK_WAIT_SECONDS = 2  # another writer (a CLI import's own sync, a rebuild) drains the feed meanwhile
BUSY_WARNING_SECONDS = 60


def follow(app: Flask, should_stop: Callable[[], bool], poll_seconds: float = POLL_SECONDS) -> None:
    """Apply new changes every `poll_seconds` until `should_stop()`. A failure (the database restarting, a full
    disk) is logged and tried again on the next round: the feed keeps every change until it is applied."""
    failing, busy_since = False, None
    while not should_stop():
        try:
            applied = catch_up(app)
            if applied:
                log.info("index follower applied %s editions", applied)
            if failing:
                log.info("index follower working again")
            failing, busy_since = False, None
        except IndexBusy:  # another writer drains the feed; a lock held for long is worth a word
            busy_since = busy_since or time.monotonic()
            if time.monotonic() - busy_since > BUSY_WARNING_SECONDS:
                log.warning("index follower: the index writer lock has been held for over %s s", BUSY_WARNING_SECONDS)
                busy_since = time.monotonic()
        except Exception:  # noqa: BLE001 - keep following; logged once per failing spell, not every round
            if not failing:
                log.exception("index follower: the change feed could not be applied; trying again")
            failing = True
        deadline = time.monotonic() + poll_seconds
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.1, poll_seconds))


def parent_gone(parent: int) -> Callable[[], bool]:
    """True once this process's parent (gunicorn's master) has died, however it died."""
    return lambda: os.getppid() != parent


def catch_up(app: Flask) -> int:
    """One round: sync when the catalog holds changes the index lacks, or records not yet given an edition (two
    cheap queries when it does not). Those records: a sync that read the feed between an import's commit and its
    clustering passed over their changes (an edition-less record has no document); were the importer killed
    before clustering them, nothing else would ever note them again."""
    directory = app.config["INDEX_DIR"]
    with app.app_context():
        db = database.session()
        caught_up = latest_change(db) == store.peek_watermark(directory) and store.version(directory) is not None
        if caught_up and not clustering_pending(db.connection()):
            return 0
        return indexer.sync(db, directory, wait=LOCK_WAIT_SECONDS, memory_mb=app.config["SEARCH_WRITER_MB"])
