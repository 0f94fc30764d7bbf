"""The catalog as an OAI-PMH repository sees it: records by id with their library and datestamp, a page at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, null, select
from sqlalchemy.orm import Session

from catalog.libraries import list_libraries
from catalog.models import Library, Record
from protocols.oai_request import Selection


@dataclass(frozen=True)
class Item:
    id: int
    library: str  # its code: the record's set
    updated_at: datetime  # the datestamp
    deleted: bool
    marc: bytes | None  # None when only headers are asked for


def _items(with_marc: bool) -> Select:
    columns = [Record.id, Library.code, Record.updated_at, Record.deleted]
    marc = Record.marc if with_marc else null()
    return select(*columns, marc).join(Library, Library.id == Record.library_id)


def _selected(query: Select, chosen: Selection) -> Select:
    if chosen.start is not None:
        query = query.where(Record.updated_at >= chosen.start)
    if chosen.end is not None:
        query = query.where(Record.updated_at < chosen.end)
    if chosen.set_spec is not None:
        query = query.where(Library.code == chosen.set_spec)
    return query


def page(db: Session, chosen: Selection, size: int, with_marc: bool) -> list[Item]:
    """Up to size + 1 items after the selection's last id, so the caller knows whether more follow."""
    query = _selected(_items(with_marc), chosen).where(Record.id > chosen.after).order_by(Record.id).limit(size + 1)
    return [Item(*row) for row in db.execute(query)]


def list_size(db: Session, chosen: Selection) -> int:
    query = _selected(select(func.count()).select_from(Record).join(Library, Library.id == Record.library_id), chosen)
    return db.execute(query).scalar_one()


def item(db: Session, record_id: int, with_marc: bool = True) -> Item | None:
    row = db.execute(_items(with_marc).where(Record.id == record_id)).one_or_none()
    return None if row is None else Item(*row)


def earliest_datestamp(db: Session) -> datetime | None:
    return db.execute(select(func.min(Record.updated_at))).scalar_one()


def library_sets(db: Session) -> list[tuple[str, str]]:
    """(setSpec, setName): every library of the Union, each a set of its records."""
    return [(library.code, library.name) for library in list_libraries(db)]
