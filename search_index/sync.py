"""Bring the index up to date after the catalog commits a change, and at a process's start."""
from __future__ import annotations

import logging
import threading

from flask import Flask

import database
from search_index import indexer
from search_index.search import warm
from search_index.store import IndexBusy

log = logging.getLogger(__name__)
# For another process's sync, which drains the feed and looks at it once more when it lets go of the lock, so
# waiting longer only holds the request (a librarian's receipt waited 30 s behind a long sync).
WAIT_SECONDS = 2


def sync_after_change(app: Flask, **_details) -> None:
    """Apply the change feed; if another process holds the index long, its sync or the next one takes these."""
    try:
        indexer.sync(database.session(), app.config["INDEX_DIR"], wait=WAIT_SECONDS)
        warm(app.config["INDEX_DIR"])
    except IndexBusy:
        log.info("index busy; changes stay in the feed for the next sync")
    except Exception:  # noqa: BLE001 - the catalog has committed; the feed keeps the changes for `search sync`
        log.exception("search index sync failed; run `flask --app app search sync` once the cause is fixed")


def catch_up_in_background(app: Flask) -> threading.Thread:
    """At start-up, apply what was committed while no process could index it (a server killed between a
    commit and its sync). Of several workers starting together one does it; the others find the lock taken
    and go on serving, searching the index as it is until it switches."""
    database.load_models()  # whoever calls this before every package is imported: the first query needs them all

    def run() -> None:
        with app.app_context():
            try:
                indexer.sync(database.session(), app.config["INDEX_DIR"])
                warm(app.config["INDEX_DIR"])
            except IndexBusy:
                log.info("another process is bringing the index up to date")
            except Exception:  # noqa: BLE001 - a worker serves on; /healthz shows the index behind
                log.exception("search index catch-up failed; run `flask --app app search sync`")
    thread = threading.Thread(target=run, name="search-catch-up", daemon=True)
    thread.start()
    return thread
