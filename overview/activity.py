"""The Union's recent activity and each library's figures, read for the home and library pages."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.changes import latest_change
from catalog.libraries import get_library, library_summaries
from catalog.models import Copy, Edition, ImportBatch, Library, Record
from exchange import reports
from exchange.models import Transfer
from exchange.transfers import list_transfers

RECENT = 6


@dataclass(frozen=True)
class UnionTotals:
    libraries: int
    records: int
    editions: int
    copies: int


@dataclass(frozen=True)
class RecentRecord:
    title: str | None
    year: int | None
    library_code: str
    library_name: str
    edition_key: str | None  # None while the record waits to be grouped into an edition
    created_at: datetime


@dataclass(frozen=True)
class LibraryProfile:
    library: Library
    records: int
    editions: int
    copies: int
    copies_sent: int
    copies_received: int
    imports: list[ImportBatch]
    transfers: list[Transfer]
    new_records: list[RecentRecord]


def union_totals(db: Session) -> UnionTotals:
    return _while_unchanged(db, "totals", _count_union)


def _count_union(db: Session) -> UnionTotals:
    live = Record.deleted.is_(False)
    return UnionTotals(
        libraries=db.scalar(select(func.count()).select_from(Library)) or 0,
        records=db.scalar(select(func.count()).select_from(Record).where(live)) or 0,
        editions=db.scalar(select(func.count(func.distinct(Record.edition_id))).where(live)) or 0,
        copies=db.scalar(select(func.count()).select_from(Copy)) or 0)


def recent_records(db: Session, library_id: int | None = None, limit: int = RECENT) -> list[RecentRecord]:
    """The records last added to the catalog (by any library, or by one), newest first."""
    query = (select(Record.title, Record.year, Library.code, Library.name, Edition.key, Record.created_at)
             .join(Library, Library.id == Record.library_id)
             .outerjoin(Edition, Edition.id == Record.edition_id)
             .where(Record.deleted.is_(False)).order_by(Record.id.desc()).limit(limit))
    if library_id is not None:
        query = query.where(Record.library_id == library_id)
    return [RecentRecord(*row) for row in db.execute(query)]


def recent_transfers(db: Session, library: str | None = None, limit: int = RECENT) -> list[Transfer]:
    return list_transfers(db, library=library, limit=limit)


def recent_imports(db: Session, library_id: int | None = None, limit: int = RECENT) -> list[ImportBatch]:
    query = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if library_id is not None:
        query = query.where(ImportBatch.library_id == library_id)
    return list(db.scalars(query))


def library_profile(db: Session, code: str) -> LibraryProfile:
    """A library's collection in the union catalog, its recent imports and what it gave and received."""
    library = get_library(db, code)
    live = (Record.library_id == library.id, Record.deleted.is_(False))
    sent, received = reports.copies_sent_and_received(db, library.id)
    return LibraryProfile(
        library=library,
        records=db.scalar(select(func.count()).select_from(Record).where(*live)) or 0,
        editions=db.scalar(select(func.count(func.distinct(Record.edition_id))).where(*live)) or 0,
        copies=db.scalar(select(func.count()).select_from(Copy).where(Copy.library_id == library.id)) or 0,
        copies_sent=sent, copies_received=received,
        imports=recent_imports(db, library.id), transfers=recent_transfers(db, library.code),
        new_records=recent_records(db, library.id))


def libraries_with_counts(db: Session):
    """Every library in list order, with its live records and copies held."""
    return _while_unchanged(db, "libraries", library_summaries)


# The figures count the whole catalog (tens of milliseconds each at 100,000 records) and the home page is the
# most visited: each process keeps them while the change feed has not moved, for at most FIGURES_SECONDS
# (a library added, which the feed does not note, shows within that).
FIGURES_SECONDS = 60
_figures: dict[tuple, tuple[float, object]] = {}
_figures_lock = threading.Lock()


def _while_unchanged(db: Session, name: str, compute):
    key = (name, str(db.get_bind().url), latest_change(db))
    with _figures_lock:
        kept = _figures.get(key)
    if kept and time.monotonic() - kept[0] < FIGURES_SECONDS:
        return kept[1]
    value = compute(db)
    with _figures_lock:
        for old in [old for old in _figures if old[:2] == key[:2]]:
            del _figures[old]
        _figures[key] = (time.monotonic(), value)
    return value
