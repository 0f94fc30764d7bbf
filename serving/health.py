"""`/healthz`: whether this process can serve — the database answers and the search index is readable —
for a load balancer or a supervisor. 200 with the details, or 503 naming what failed. Not cached."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

import database
from catalog.changes import latest_change
from search_index import store

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    checks, healthy = {}, True
    latest = None
    try:
        configure_mappers()  # a class that failed to map fails every query of this process
        checks["models"] = {"status": "ok"}
    except Exception as error:  # noqa: BLE001 - whatever SQLAlchemy raised, this process cannot serve
        log.error("health check: mapped classes unusable: %s", error)
        checks["models"], healthy = {"status": "error", "error": type(error).__name__}, False
    try:
        with database.engine().connect() as connection:
            connection.execute(text("select 1"))
            latest = latest_change(connection)
        checks["database"] = {"status": "ok"}
    except Exception as error:  # noqa: BLE001 - any failure to reach the database makes this process unhealthy
        log.warning("health check: database unreachable: %s", error)
        checks["database"], healthy = {"status": "error", "error": type(error).__name__}, False
    index = _index_check(current_app.config["INDEX_DIR"], latest)
    checks["index"] = index
    healthy = healthy and index["status"] == "ok"
    body = {"status": "ok" if healthy else "error", "checks": checks}
    return body, 200 if healthy else 503, {"Cache-Control": "no-store"}


def _index_check(directory: str, latest: int | None) -> dict:
    """The index in use and how many catalog changes it has yet to take (its lag, not a failure)."""
    try:
        version = store.version(directory)
        watermark = store.peek_watermark(directory)
    except OSError as error:
        return {"status": "error", "error": type(error).__name__}
    if version is None:  # no index yet: fine for an empty catalog, the first sync makes one
        return {"status": "ok" if not latest else "error", "generation": None, "behind": latest}
    return {"status": "ok", "generation": f"{version[0]}/{version[1]}",
            "behind": None if latest is None else max(latest - watermark, 0)}
