"""The catalog's change feed: which records changed, in commit order, for whatever derives from them."""
from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace
from flask import current_app, has_app_context
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from bulk import bulk_insert
from catalog.models import RecordChange


# Sent (sender: the Flask app) after a transaction that changed records has committed.
catalog_changed = Namespace().signal("catalog-changed")


# Taken by the last statement of a transaction that changed records, held until it commits (PostgreSQL): changes
# commit in the order of their ids. Last, always: after taking it a transaction writes no row that another writer
# of the feed could hold (only the feed's new rows, and a receipt its own transfer's), so the holder never waits
# for one that waits for it. (Taken first by an import's chunk, it deadlocked against a re-clustering that wrote
# rows before noting its changes.)
FEED_LOCK = 0x6D6C6C66  # "mllf"


def record_changed(conn: Connection, record_ids: Iterable[int]) -> None:
    """Note, in the caller's transaction and as its last write, that these records (or their copies) changed.

    Readers of the feed remember the last id they applied. On PostgreSQL a transaction that took id N and
    commits after another that took N+1 would slip under that mark and never be applied (SQLite has one
    writer at a time), so writers of the feed take a transaction lock first: ids are drawn, and committed,
    one transaction after another."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    bulk_insert(conn, RecordChange.__table__, [{"record_id": record_id} for record_id in set(record_ids)])


def changes_after(db: Session | Connection, change_id: int, limit: int) -> list[tuple[int, int]]:
    """(change id, record id) pairs after change_id, oldest first."""
    query = (select(RecordChange.id, RecordChange.record_id).where(RecordChange.id > change_id)
             .order_by(RecordChange.id).limit(limit))
    return [(row.id, row.record_id) for row in db.execute(query)]


def latest_change(db: Session | Connection) -> int:
    return db.execute(select(func.coalesce(func.max(RecordChange.id), 0))).scalar_one()


def notify_changed() -> None:
    """Tell whoever follows the catalog that committed changes are waiting in the feed."""
    if has_app_context():
        catalog_changed.send(current_app._get_current_object())
