"""Bring the index up to date after the catalog commits a change, and at start-up."""
from __future__ import annotations

import logging

from flask import Flask

import database
from search_index import indexer
from search_index.search import warm
from search_index.store import IndexBusy

log = logging.getLogger(__name__)


def sync_after_change(app: Flask, **_details) -> None:
    """Apply the change feed; if another process holds the index, its sync will include these changes."""
    try:
        indexer.sync(database.session(), app.config["INDEX_DIR"])
        warm(app.config["INDEX_DIR"])
    except IndexBusy:
        log.info("index busy; changes stay in the feed for the next sync")
    except Exception:  # noqa: BLE001 - the catalog has committed; the feed keeps the changes for `search sync`
        log.exception("search index sync failed; run `flask --app app search sync` once the cause is fixed")
