"""What the fault tests import and transfer, and what the database must hold after a crash: whole chunks of the
file with every copy and identifier its MARC gives, and transfers either received in full or not at all."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from pymarc import Field, Indicators, Subfield
from sqlalchemy import func, select

import database
from catalog.importer import CHUNK_SIZE
from catalog.models import Copy, CopyMovement, Edition, Library, Record, RecordIdentifier
from exchange.models import Transfer, TransferEvent, TransferLine
from tests.factories import iso2709, make_record

IN_TRANSIT = "in_transit"


@dataclass(frozen=True)
class Expected:
    """One record of a file as its MARC describes it."""

    position: int
    isbn: str
    copies: frozenset[str]
    identifiers: frozenset[tuple[str, str]]


def isbn13(number: int) -> str:
    digits = f"978604{number:06d}"
    check = -sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(digits)) % 10
    return f"{digits}{check}"


def catalog_file(count: int, prefix: str, title: str, copies: int | None = None,
                 first: int = 0) -> tuple[bytes, dict[str, Expected]]:
    """count records of Quảng Trị, each its own edition (its own ISBN), with 1 to 3 copies (or `copies`); their
    positions (and ISBNs) start at `first`, so that files imported one after the other read as one."""
    records, expected = [], {}
    for position in range(first, first + count):
        number, isbn = f"{prefix}{position:05d}", isbn13(position)
        held = tuple(f"{prefix}.{position:05d}.{k}" for k in range(copies or 1 + position % 3))
        record = make_record(number, title=f"{title} số {position}", isbn=isbn,
                             copies=tuple(("TVQT", copy) for copy in held))
        record.add_field(Field(tag="035", indicators=Indicators(" ", " "),
                               subfields=[Subfield("a", f"(TVQT){number}")]))
        records.append(record)
        expected[number] = Expected(position, isbn, frozenset(held),
                                    frozenset({("isbn", isbn), ("035", f"(TVQT){number}")}))
    return iso2709(*records), expected


def check_catalog(app, expected: dict[str, Expected]) -> int:
    """Assert the catalog holds whole chunks of the file, in its order, each record once with its copies and
    identifiers; return how many of its records are stored."""
    with app.app_context():
        db = database.session()
        rows = db.execute(select(Record.id, Record.library_id, Record.org_code, Record.control_number)).all()
        copies = _grouped(db.execute(select(Copy.record_id, Copy.registration_number, Library.code)
                                     .join(Library, Library.id == Copy.library_id)))
        identifiers = _grouped(db.execute(select(RecordIdentifier.record_id, RecordIdentifier.kind,
                                                 RecordIdentifier.value)))
    keys = Counter((row.library_id, row.org_code, row.control_number) for row in rows)
    assert [key for key, times in keys.items() if times > 1] == [], "a record stored twice"
    stored = {row.control_number: row.id for row in rows}
    assert set(stored) <= set(expected), "records that are not in the file"
    assert sorted(expected[number].position for number in stored) == list(range(len(stored))), \
        "the stored records are not the file's first ones: a chunk was half written"
    assert len(stored) % CHUNK_SIZE == 0 or len(stored) == len(expected), f"{len(stored)} records: not whole chunks"
    for number, record_id in stored.items():
        assert copies.pop(record_id, set()) == {(copy, "TVQT") for copy in expected[number].copies}, number
        assert identifiers.pop(record_id, set()) == set(expected[number].identifiers), number
    assert not copies and not identifiers, "copies or identifiers of records that are not stored"
    return len(stored)


def _grouped(rows) -> dict[int, set[tuple]]:
    grouped = defaultdict(set)
    for record_id, *values in rows:
        grouped[record_id].add(tuple(values))
    return grouped


def check_editions(app) -> None:
    """After a sync: every live record is clustered, each in an edition of its own (every one has its ISBN)."""
    with app.app_context():
        db = database.session()
        pending = db.scalar(select(func.count()).where(Record.edition_pending | Record.edition_id.is_(None)))
        editions = db.scalar(select(func.count(func.distinct(Record.edition_id))))
        records = db.scalar(select(func.count()).select_from(Record))
        keys = db.scalar(select(func.count()).select_from(Edition).where(Edition.id.in_(select(Record.edition_id))))
    assert pending == 0 and editions == records == keys


@dataclass(frozen=True)
class TransferState:
    """What the database says of one transfer: its state, where its copies are, what was recorded."""

    state: str
    open_lines: int
    received_lines: int
    named_at: Counter  # (library code, status) of its named copies
    movements: int
    new_copies: int  # copies created by its receipt
    events: tuple[str, ...]
    duplicate_numbers: int  # registration numbers the receiver gives to two copies


def transfer_state(app, transfer_id: int, receiver: str) -> TransferState:
    reference = f"transfer:{transfer_id}"
    with app.app_context():
        db = database.session()
        transfer = db.get(Transfer, transfer_id)
        lines = db.scalars(select(TransferLine).where(TransferLine.transfer_id == transfer_id)).all()
        named = db.execute(select(Library.code, Copy.status).join(Library, Library.id == Copy.library_id)
                           .join(TransferLine, TransferLine.copy_id == Copy.id)
                           .where(TransferLine.transfer_id == transfer_id)).all()
        movements = db.scalar(select(func.count()).where(CopyMovement.reference == reference))
        new_copies = db.scalar(select(func.count()).where(CopyMovement.reference == reference,
                                                          CopyMovement.from_library_id.is_(None)))
        events = db.scalars(select(TransferEvent.action).where(TransferEvent.transfer_id == transfer_id)
                            .order_by(TransferEvent.id)).all()
        numbers = db.scalars(select(Copy.registration_number).join(Library, Library.id == Copy.library_id)
                             .where(Library.code == receiver)).all()
        return TransferState(transfer.state, sum(line.is_open for line in lines),
                             sum(line.received == line.quantity for line in lines), Counter(map(tuple, named)),
                             movements, new_copies, tuple(events),
                             sum(times - 1 for times in Counter(numbers).values()))


def check_received(found: TransferState, *, named: int, titled: int, lines: int, receiver: str) -> None:
    assert found.state == "received" and found.open_lines == 0 and found.received_lines == lines, found
    assert found.named_at == Counter({(receiver, None): named}), found
    assert found.movements == named + titled and found.new_copies == titled, found
    assert found.events == ("create", "dispatch", "receive") and found.duplicate_numbers == 0, found


def check_not_received(found: TransferState, *, named: int, lines: int, sender: str) -> None:
    assert found.state == "dispatched" and found.open_lines == lines and found.received_lines == 0, found
    assert found.named_at == Counter({(sender, IN_TRANSIT): named}), found
    assert found.movements == 0 and found.new_copies == 0, found
    assert found.events == ("create", "dispatch") and found.duplicate_numbers == 0, found
