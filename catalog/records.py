"""Reading the catalog's records and their holdings, for pages, the API and derived indexes."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from catalog.models import Copy, Library, Record


IN_CHUNK = 5000


@dataclass(frozen=True)
class LibraryHolding:
    """How many copies of a record one library holds."""

    library: str  # code
    name: str
    copies: int
    call_numbers: tuple[str, ...] = ()


def records_by_id(db: Session, ids) -> dict[int, Record]:
    query = select(Record).options(joinedload(Record.library)).where(Record.id.in_(list(ids)))
    return {record.id: record for record in db.scalars(query)}


def all_record_ids(db: Session, batch: int = 5000) -> Iterator[list[int]]:
    """Every record id, in batches, oldest first."""
    last = 0
    while ids := list(db.scalars(select(Record.id).where(Record.id > last).order_by(Record.id).limit(batch))):
        yield ids
        last = ids[-1]


def holdings_by_record(db: Session, ids) -> dict[int, list[LibraryHolding]]:
    """Copies per holding library for each record; a record without copies has no holdings here."""
    ids = list(ids)
    holdings: dict[int, list[LibraryHolding]] = defaultdict(list)
    for start in range(0, len(ids), IN_CHUNK):  # below every driver's limit of bound parameters
        query = (
            select(Copy.record_id, Library.code, Library.name, func.count(Copy.id),
                   func.min(Copy.call_number), func.max(Copy.call_number))
            .join(Library, Library.id == Copy.library_id)
            .where(Copy.record_id.in_(ids[start:start + IN_CHUNK]))
            .group_by(Copy.record_id, Library.code, Library.name)
            .order_by(Library.code)
        )
        for record_id, code, name, copies, first_call, last_call in db.execute(query):
            calls = tuple(dict.fromkeys(call for call in (first_call, last_call) if call))
            holdings[record_id].append(LibraryHolding(code, name, copies, calls))
    return holdings


def merge_holdings(records, holdings: dict[int, list[LibraryHolding]]) -> list[LibraryHolding]:
    """One line per holding library across several records (an edition's), from holdings_by_record."""
    by_library: dict[str, LibraryHolding] = {}
    for record in records:
        for holding in holdings.get(record.id, []):
            known = by_library.get(holding.library)
            by_library[holding.library] = holding if known is None else LibraryHolding(
                holding.library, holding.name, known.copies + holding.copies,
                tuple(dict.fromkeys(known.call_numbers + holding.call_numbers)))
    return sorted(by_library.values(), key=lambda holding: holding.library)
