"""The index follower: one process that applies the change feed as it grows (`flask search follow`).

In production (SEARCH_SYNC=follower, as gunicorn.conf.py sets) the web workers only commit: an import or a
receipt answers without indexing, and this process, started and watched by gunicorn's master at a lower CPU
priority, brings the index up to date within about a second. Readers' searches then never wait behind the
indexing of a librarian's import in their own worker, and the kernel gives them the cores first."""
from __future__ import annotations

import logging
import threading

from flask import Flask

import database
from catalog.changes import latest_change
from search_index import indexer, store
from search_index.store import IndexBusy

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
LOCK_WAIT_SECONDS = 2  # another writer (a CLI import's own sync, a rebuild) drains the feed meanwhile


def follow(app: Flask, stop: threading.Event, poll_seconds: float = POLL_SECONDS) -> None:
    """Apply new changes every `poll_seconds` until `stop` is set. A failure (the database restarting, a full
    disk) is logged and tried again on the next round: the feed keeps every change until it is applied."""
    failing = False
    while not stop.is_set():
        try:
            applied = catch_up(app)
            if applied:
                log.info("index follower applied %s editions", applied)
            if failing:
                log.info("index follower working again")
            failing = False
        except IndexBusy:
            pass
        except Exception:  # noqa: BLE001 - keep following; logged once per failing spell, not every round
            if not failing:
                log.exception("index follower: the change feed could not be applied; trying again")
            failing = True
        stop.wait(poll_seconds)


def catch_up(app: Flask) -> int:
    """One round: sync when the catalog holds changes the index lacks (one cheap query when it does not)."""
    directory = app.config["INDEX_DIR"]
    with app.app_context():
        db = database.session()
        if latest_change(db) == store.peek_watermark(directory) and store.version(directory) is not None:
            return 0
        return indexer.sync(db, directory, wait=LOCK_WAIT_SECONDS)
