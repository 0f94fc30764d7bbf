"""Reading editions: a key to its edition (following merges), its records, its copies by library."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog.errors import EditionNotFound, EditionRetired
from catalog.models import Copy, Edition, ImportBatch, Library, Record

KEY_SHAPE = re.compile(r"[0-9a-z]{1,16}")
MAX_REDIRECTS = 20  # merges are flattened as they happen; this only guards against a cycle in old data
COPY_SOURCES = {"marc": lazy_gettext("Nhập từ biểu ghi MARC (852/952)")}


@dataclass
class Resolved:
    edition: Edition
    moved_from: str | None = None  # the key asked for, when it was merged into this edition


@dataclass(frozen=True)
class Item:
    """One copy as the edition page lists it."""

    registration_number: str | None
    call_number: str | None
    location: str | None
    status: str | None
    source: str  # where the copy came from
    record_id: int | None


@dataclass
class Holding:
    library: str  # code
    name: str
    items: list[Item] = field(default_factory=list)

    @property
    def copies(self) -> int:
        return len(self.items)


@dataclass
class EditionDetail:
    key: str
    best: Record  # the most complete description
    records: list[Record]  # live records, the best first, then by library
    holdings: list[Holding]
    import_files: dict[int, str]  # import batch id -> file name, for "where a record came from"


def resolve(db: Session, key: str) -> Resolved:
    """The edition a key names now: merged keys lead to where their records went."""
    wanted = (key or "").strip().lower()
    # Only a key's own characters reach the database (PostgreSQL refuses a NUL in a string outright).
    edition = db.scalar(select(Edition).where(Edition.key == wanted)) if KEY_SHAPE.fullmatch(wanted) else None
    if edition is None:
        raise EditionNotFound(_("Không có ấn bản mã “%(key)s” trong mục lục liên hợp.", key=key))
    asked = edition.key
    for _step in range(MAX_REDIRECTS):
        if edition.merged_into_id is None:
            break
        edition = db.get(Edition, edition.merged_into_id)
    if edition.retired_at is not None:
        raise EditionRetired(_("Ấn bản “%(key)s” không còn trong mục lục: mọi biểu ghi của nó đã bị xóa.", key=key))
    return Resolved(edition, asked if edition.key != asked else None)


def live_records(db: Session, edition_ids) -> dict[int, list[Record]]:
    """Each edition's live records, by edition id."""
    query = (select(Record).options(joinedload(Record.library))
             .where(Record.edition_id.in_(list(edition_ids)), Record.deleted.is_(False)).order_by(Record.id))
    found: dict[int, list[Record]] = defaultdict(list)
    for record in db.scalars(query):
        found[record.edition_id].append(record)
    return found


def edition_keys(db: Session, edition_ids) -> dict[int, str]:
    return dict(db.execute(select(Edition.id, Edition.key).where(Edition.id.in_(list(edition_ids)))).all())


def detail(db: Session, edition: Edition) -> EditionDetail:
    records = live_records(db, [edition.id]).get(edition.id, [])
    if not records:
        raise EditionRetired(_("Ấn bản “%(key)s” không còn biểu ghi nào.", key=edition.key))
    best = best_record(records)
    ordered = [best] + sorted((r for r in records if r is not best), key=lambda r: (r.library.code, r.id))
    batches = {record.import_batch_id for record in records if record.import_batch_id}
    files = dict(db.execute(select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.id.in_(batches))).all())
    return EditionDetail(edition.key, best, ordered, holdings(db, [record.id for record in records]), files)


def holdings(db: Session, record_ids: list[int]) -> list[Holding]:
    """The copies of these records, by holding library (the library that has the copy, not the cataloguer)."""
    query = (select(Copy, Library.code, Library.name).join(Library, Library.id == Copy.library_id)
             .where(Copy.record_id.in_(record_ids)).order_by(Library.code, Copy.registration_number, Copy.id))
    by_library: dict[str, Holding] = {}
    for copy, code, name in db.execute(query):
        holding = by_library.setdefault(code, Holding(code, name))
        holding.items.append(Item(copy.registration_number, copy.call_number, copy.location, copy.status,
                                  str(COPY_SOURCES.get(copy.source, copy.source)), copy.record_id))
    return list(by_library.values())


def best_record(records: list[Record]) -> Record:
    """The most complete description: most fields filled, then the longest MARC, then the oldest record."""
    return max(records, key=lambda record: (completeness(record), len(record.marc or b""), -record.id))


def completeness(record: Record) -> int:
    values = (record.title, record.authors, record.year, record.publisher, record.isbns, record.language,
              record.subjects, record.places, record.series, record.edition_statement, record.summary)
    return sum(1 for value in values if value)


def all_edition_ids(db: Session, batch: int = 5000) -> Iterator[list[int]]:
    """The ids of every current edition (neither merged nor retired), in batches, oldest first."""
    last = 0
    while ids := list(db.scalars(select(Edition.id).where(Edition.id > last, Edition.merged_into_id.is_(None),
                                                          Edition.retired_at.is_(None))
                                 .order_by(Edition.id).limit(batch))):
        yield ids
        last = ids[-1]


def editions_of_records(db: Session, record_ids) -> set[int]:
    """The editions these records belong to now (a deleted record: the last one it belonged to)."""
    return set(db.scalars(select(Record.edition_id).where(Record.id.in_(list(record_ids)),
                                                          Record.edition_id.is_not(None))))


def editions_by_key(db: Session, keys: list[str]) -> dict[str, list[Record]]:
    """The live records of the editions with these keys, the best description first, by key."""
    ids = dict(db.execute(select(Edition.key, Edition.id).where(Edition.key.in_(keys))).all())
    members = live_records(db, ids.values())
    found = {}
    for key, edition_id in ids.items():
        records = members.get(edition_id)
        if records:
            best = best_record(records)
            found[key] = [best] + sorted((r for r in records if r is not best), key=lambda r: (r.library.code, r.id))
    return found
