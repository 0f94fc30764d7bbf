"""The Mục lục liên hợp web application: configuration and wiring, nothing else."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import database
import i18n
import schema
import security
from accounts import init_app as init_accounts
from catalog import init_app as init_catalog
from exchange import init_app as init_exchange
from operations import init_app as init_operations
from overview import init_app as init_overview
from protocols import init_app as init_protocols
from search_index import init_app as init_search
from search_index import start_background_work
from serving import init_app as init_serving

HERE = Path(__file__).resolve().parent
SEARCH_SYNC_MODES = ("inline", "follower")


def default_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'catalog.sqlite3'}"),
        "INDEX_DIR": os.environ.get("INDEX_DIR", str(instance / "index")),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance / "uploads")),
        # How long an upload's request waits for its import; a longer import shows its progress page instead.
        "IMPORT_WAIT_SECONDS": float(os.environ.get("IMPORT_WAIT_SECONDS", "2")),
        # Postings each process keeps in memory for searching, and each indexing process's buffer.
        "SEARCH_CACHE_MB": int(os.environ.get("SEARCH_CACHE_MB", "256")),
        "SEARCH_WRITER_MB": int(os.environ.get("SEARCH_WRITER_MB", "256")),
        # Search answers kept for readers not signed in, one store per INDEX_DIR (serving/page_cache.py); 0 keeps
        # none. They serve while the index is unchanged, and once it changed until the grace's seconds old (20 in
        # production), then while the fresh one is made up to the stale limit's.
        "PUBLIC_PAGE_CACHE_MB": int(os.environ.get("PUBLIC_PAGE_CACHE_MB", "32")),
        "PUBLIC_PAGE_GRACE_SECONDS": float(os.environ.get("PUBLIC_PAGE_GRACE_SECONDS", "0")),
        # Past the grace and younger than this, a kept answer still serves while a fresh one is made in the
        # background (300 in production); 0: the reader waits for the fresh one.
        "PUBLIC_PAGE_STALE_SECONDS": float(os.environ.get("PUBLIC_PAGE_STALE_SECONDS", "0")),
        # None: the session cookie is Secure exactly when the request came over HTTPS (see security.py).
        "SESSION_COOKIE_SECURE": _flag(os.environ.get("SESSION_COOKIE_SECURE")),
        "TRUST_PROXY": int(os.environ.get("TRUST_PROXY", "0")),  # proxies in front whose X-Forwarded-* to believe
        # "inline": a process indexes what it changed before answering; "follower": web workers only commit, and
        # `flask search follow` (started by gunicorn.conf.py) indexes every change within about a second.
        "SEARCH_SYNC": os.environ.get("SEARCH_SYNC", "inline"),
        # Bring the index up to date when a process starts (production: gunicorn.conf.py turns it on).
        "SEARCH_SYNC_ON_START": _flag(os.environ.get("SEARCH_SYNC_ON_START")) or False,
        # "json": one JSON object per line on stdout, an access line per request (production); else Flask's own.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", ""),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
    }


def _flag(value: str | None) -> bool | None:
    return None if value in (None, "") else value.lower() in ("1", "true", "yes", "on")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_mapping(config or {})
    if app.config["SEARCH_SYNC"] not in SEARCH_SYNC_MODES:  # a misspelt mode would leave the index unfed
        raise ValueError(f"SEARCH_SYNC must be one of {', '.join(SEARCH_SYNC_MODES)}: "
                         f"not {app.config['SEARCH_SYNC']!r}")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    schema.init_app(app)
    init_catalog(app)
    init_search(app)
    init_accounts(app)
    init_exchange(app)
    init_overview(app)
    init_protocols(app)
    init_operations(app)
    init_serving(app)
    start_background_work(app)  # last: a thread querying while packages are still being imported fails
    return app
