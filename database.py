"""The SQLAlchemy engine and session of the application, shared by every package."""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Every module of mapped classes (migrations/env.py loads them too).
MODEL_MODULES = ("accounts.models", "catalog.models", "exchange.models")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def load_models() -> None:
    """Import every mapped class. Before the first query SQLAlchemy configures all classes defined so far; a
    class whose related class is not defined yet fails, and that failure stays for every later query of the
    process (a thread querying while create_app is still importing the packages' models met it)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and WAL so readers never block the importer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Plain executemany lets psycopg pipeline one prepared statement; SQLAlchemy's multi-VALUES
    # rewriting makes psycopg re-parse a query with tens of thousands of placeholders per chunk.
    # A server that drops packets (rather than refusing) would hold each request for minutes of TCP retries.
    timeout = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=True, use_insertmanyvalues=False, connect_args=timeout)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-16384")  # 16 MB: more of a large catalog's index pages stay in memory
    cursor.close()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["db_engine"]


def session() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except DBAPIError:
        # The database went away after the request's last query (PostgreSQL restarting): the answer stands,
        # and the dead connection is discarded instead of going back to the pool.
        db_session.invalidate()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session in its own transaction: committed on success, rolled back on any error."""
    with current_app.extensions["db_sessionmaker"]() as db_session, db_session.begin():
        yield db_session
