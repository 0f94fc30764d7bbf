"""Logs as one JSON object per line on stdout (LOG_FORMAT=json, as gunicorn.conf.py sets): what a log
collector reads without parsing prose. Every request gets an access line: method, path, status, duration,
user, address, and a request id (the proxy's X-Request-Id, or a new one) that the answer echoes."""
from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request
from flask_login import current_user

ACCESS = logging.getLogger("access")
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user", "remote_addr", "cache")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the access fields when present, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") != "json":
        return  # development: Flask's and werkzeug's own readable lines
    _log_to(app.config.get("LOG_STREAM") or sys.stdout, app.config.get("LOG_LEVEL") or "INFO")
    # First of all: a request that an earlier check stops (a query string too long, a refused token, a form
    # without its CSRF token) still gets its id and its duration.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_access_line)


def _log_to(stream, level: str) -> None:
    """One JSON handler on the root logger (replacing one an earlier app of this process set)."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler.formatter, JsonFormatter)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").propagate = False  # its own access lines would double ours


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]


def _access_line(response):
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    user = _username()
    ACCESS.info("%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": g.get("request_id"), "method": request.method, "path": request.path,
        "status": response.status_code, "duration_ms": duration, "user": user, "remote_addr": request.remote_addr,
        **({"cache": response.headers["X-Cache"]} if "X-Cache" in response.headers else {})})
    if g.get("request_id"):
        response.headers["X-Request-Id"] = g.request_id
    return response


def _username() -> str | None:
    """Who made the request, when known without a query that could fail (the database out: serving/outages.py)."""
    try:
        return current_user.username if getattr(current_user, "is_authenticated", False) else None
    except Exception:  # noqa: BLE001 - an access line is written whatever happened to the request
        return None
