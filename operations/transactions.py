"""The two transactions of backup and restore, each on an engine of its own (disposed after).

A backup reads every table in one snapshot: REPEATABLE READ on PostgreSQL (pg_dump's own), one read transaction
on SQLite. A restore writes in one transaction, schema changes included, so that a failure anywhere leaves the
database as it was.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event

import database


@contextmanager
def snapshot(url: str) -> Iterator[Connection]:
    engine = _engine(url, begin="BEGIN")
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
    finally:
        engine.dispose()


@contextmanager
def writing(url: str) -> Iterator[Connection]:
    # IMMEDIATE: SQLite's write lock from the start, not at the first write (when another writer could have
    # come in between and one of the two would fail on the upgrade).
    engine = _engine(url, begin="BEGIN IMMEDIATE")
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _engine(url: str, begin: str) -> Engine:
    engine = database.make_engine(url)
    if engine.dialect.name == "sqlite":
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE: the reads of a backup would
        # each see the database as it then is, and a migration's CREATE TABLE would commit at once. As
        # SQLAlchemy's documentation advises, the driver is told to leave transactions alone and BEGIN is ours.
        event.listen(engine, "connect", _driver_leaves_transactions_alone)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


def _driver_leaves_transactions_alone(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
