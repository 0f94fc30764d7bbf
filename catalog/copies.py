"""Copies as the exchange tracker moves them: found by registration number, held, moved, created, numbered.

Every change notes the copies' records in the change feed (the index shows holdings) and every move is
kept in copy_movement, so a copy's page can say where it came from. The caller owns the transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bulk import bulk_insert
from catalog.changes import record_changed
from catalog.models import Copy, CopyMovement, Library, RegistrationCounter, utcnow

TRACKED = "transfer"  # Copy.source of a copy the tracker holds: a MARC re-import leaves it alone
IN_TRANSIT = "in_transit"
LOST_IN_TRANSIT = "lost_in_transit"
DAMAGED = "damaged"
TRACKER_STATUSES = (IN_TRANSIT, LOST_IN_TRANSIT)  # set by a transfer, not by the library's own MARC


@dataclass(frozen=True)
class FoundCopy:
    id: int
    record_id: int | None
    library_id: int
    registration_number: str
    status: str | None


def copies_by_number(conn: Connection, library_id: int, numbers: Iterable[str]) -> dict[str, list[FoundCopy]]:
    """The library's copies with these registration numbers (a number may, wrongly, name several)."""
    numbers = sorted(set(numbers))
    found: dict[str, list[FoundCopy]] = {}
    for start in range(0, len(numbers), 5000):
        rows = conn.execute(select(Copy.id, Copy.record_id, Copy.library_id, Copy.registration_number, Copy.status)
                            .where(Copy.library_id == library_id,
                                   Copy.registration_number.in_(numbers[start:start + 5000]))
                            .with_for_update())
        for row in rows:
            found.setdefault(row.registration_number, []).append(FoundCopy(*row))
    return found


def track(conn: Connection, copy_ids: list[int]) -> None:
    """From now on the tracker holds these copies: re-importing their record's MARC neither deletes nor
    duplicates them (its 852 still lists a copy that has left)."""
    if copy_ids:
        conn.execute(update(Copy).where(Copy.id.in_(copy_ids)).values(source=TRACKED))


def set_status(conn: Connection, statuses: dict[int, str | None]) -> None:
    """Give each copy its status (copy id -> status). The search shows where copies are, not their status:
    the change feed is not told (a dispatch re-indexes nothing)."""
    for status in set(statuses.values()):
        ids = [copy_id for copy_id, wanted in statuses.items() if wanted == status]
        conn.execute(update(Copy).where(Copy.id.in_(ids)).values(status=status))


def move(conn: Connection, copy_ids: list[int], to_library_id: int, reference: str) -> dict[str, str]:
    """Hand copies to another library, keeping where each came from.

    A copy whose number the receiver already gives to one of its own takes the next number of the receiver's
    sequence (two books of one library never share a số ĐKCB); its movement keeps the old one. Returns
    those renumbered, old number -> new. The caller holds the receiver's numbering (lock_numbering)."""
    if not copy_ids:
        return {}
    rows = conn.execute(select(Copy.id, Copy.library_id, Copy.registration_number)
                        .where(Copy.id.in_(copy_ids))).all()
    arriving = {row.registration_number for row in rows if row.registration_number}
    clashing = held_numbers(conn, to_library_id, arriving)
    clashing_rows = [row for row in rows if row.registration_number in clashing]
    fresh = next_registration_numbers(conn, to_library_id, len(clashing_rows), avoid=arriving) \
        if clashing_rows else []
    renumbered = {row.id: number for row, number in zip(clashing_rows, fresh)}
    now = utcnow()
    bulk_insert(conn, CopyMovement.__table__, [
        {"copy_id": row.id, "from_library_id": row.library_id, "to_library_id": to_library_id,
         "reference": reference, "moved_at": now, "note": None,
         "number_before": row.registration_number if row.id in renumbered else None} for row in rows])
    conn.execute(update(Copy).where(Copy.id.in_(copy_ids)).values(library_id=to_library_id, source=TRACKED))
    if renumbered:
        conn.execute(update(Copy).where(Copy.id == bindparam("copy_id")).values(registration_number=bindparam("n")),
                     [{"copy_id": copy_id, "n": number} for copy_id, number in renumbered.items()])
    _changed(conn, copy_ids)
    return {row.registration_number: renumbered[row.id] for row in clashing_rows}


def create(conn: Connection, library_id: int, *, record_id: int | None, title: str | None,
           numbers: list[str], statuses: list[str | None], reference: str) -> list[int]:
    """New copies at a library (books that arrived uncatalogued one by one): their ids, in order.
    The numbers are the library's own and new to it (the caller checked), so they find the copies again."""
    if not numbers:
        return []
    now = utcnow()
    bulk_insert(conn, Copy.__table__, [
        {"record_id": record_id, "library_id": library_id, "registration_number": number, "status": status,
         "source": TRACKED, "title": title, "created_at": now, "call_number": None, "location": None}
        for number, status in zip(numbers, statuses)])
    found: dict[str, int] = {}
    for start in range(0, len(numbers), 5000):
        found.update((number, copy_id) for copy_id, number in conn.execute(
            select(Copy.id, Copy.registration_number).where(
                Copy.library_id == library_id, Copy.registration_number.in_(numbers[start:start + 5000]))))
    ids = [found[number] for number in numbers]
    bulk_insert(conn, CopyMovement.__table__, [
        {"copy_id": copy_id, "from_library_id": None, "to_library_id": library_id, "reference": reference,
         "moved_at": now, "note": None, "number_before": None} for copy_id in ids])
    _changed(conn, ids)
    return ids


def held_numbers(conn: Connection, library_id: int, numbers: Iterable[str]) -> set[str]:
    """Which of these registration numbers the library already gives to one of its copies."""
    numbers = sorted(set(numbers))
    held: set[str] = set()
    for start in range(0, len(numbers), 5000):
        held.update(conn.scalars(select(Copy.registration_number).where(
            Copy.library_id == library_id, Copy.registration_number.in_(numbers[start:start + 5000]))))
    return held


def next_registration_numbers(conn: Connection, library_id: int, count: int,
                              avoid: Iterable[str] = ()) -> list[str]:
    """The next count numbers of a library's own sequence, "<CODE>-000001" on, reserved in this transaction
    (the counter row is locked until it commits, so two receipts never take the same numbers).

    A number the library already holds (typed at an earlier receipt, or imported from its MARC) or one in
    avoid (typed for this receipt) is passed over, never given twice."""
    code = conn.scalar(select(Library.code).where(Library.id == library_id))
    last = _locked_counter(conn, library_id, code)
    avoid, numbers = set(avoid), []
    while len(numbers) < count:
        wanted = min(count - len(numbers), 5000)
        batch = [f"{code}-{number:06d}" for number in range(last + 1, last + wanted + 1)]
        last += wanted
        taken = held_numbers(conn, library_id, batch) | avoid
        numbers += [number for number in batch if number not in taken]
    conn.execute(update(RegistrationCounter).where(RegistrationCounter.library_id == library_id)
                 .values(last_number=last))
    return numbers


def lock_numbering(conn: Connection, library_id: int) -> None:
    """Take the library's numbering until the transaction ends: receipts at one library then check and give
    numbers one after the other (on PostgreSQL two receipts could otherwise both find a number free)."""
    _locked_counter(conn, library_id, conn.scalar(select(Library.code).where(Library.id == library_id)))


def _locked_counter(conn: Connection, library_id: int, code: str) -> int:
    """The library's last number, its counter row locked. Two first receipts at once both try to make the
    row: the database keeps one (ON CONFLICT DO NOTHING) and the other waits for it, then reads it."""
    locked = select(RegistrationCounter.last_number).where(RegistrationCounter.library_id == library_id) \
        .with_for_update()
    last = conn.scalar(locked)
    if last is None:
        dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(dialect_insert(RegistrationCounter)
                     .values(library_id=library_id, last_number=_highest_own_number(conn, library_id, code))
                     .on_conflict_do_nothing(index_elements=["library_id"]))
        last = conn.scalar(locked)
    return last


def _highest_own_number(conn: Connection, library_id: int, code: str) -> int:
    """Start past any number of the same form the library already has (typed in at an earlier receipt)."""
    numbers = conn.scalars(select(Copy.registration_number).where(
        Copy.library_id == library_id, Copy.registration_number.like(f"{code}-%"),
        func.length(Copy.registration_number) == len(code) + 7))
    return max((int(number[len(code) + 1:]) for number in numbers if number[len(code) + 1:].isdigit()), default=0)


def _changed(conn: Connection, copy_ids: list[int]) -> None:
    records = conn.scalars(select(Copy.record_id).where(Copy.id.in_(copy_ids), Copy.record_id.is_not(None)))
    record_changed(conn, set(records))
