"""Who gave what to whom: copies and titles sent and received per library, by kind and year; exchange
balances between pairs; the flows between libraries. Aggregation is pure, over plain rows read once.

Sent counts what left (every transfer once dispatched: dispatched, received, partly received); received
counts what arrived. Drafts and cancelled transfers count for nothing.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.orm import Session

from catalog.models import Copy, Record
from exchange.models import Transfer, TransferLine

COUNTED_STATES = ("dispatched", "received", "partly_received")


@dataclass(frozen=True)
class TransferRow:
    """One dispatched transfer, as the reports need it."""

    id: int
    kind: str
    year: int
    sender: str  # library code
    receiver: str
    copies_sent: int
    copies_received: int
    titles: int


@dataclass
class LibraryTotals:
    library: str
    name: str
    sent: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # (kind, year) -> [copies, titles]
    received: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


@dataclass(frozen=True)
class Balance:
    """Copies one library received from another by exchange, against what it received back."""

    first: str
    second: str
    first_to_second: int
    second_to_first: int

    @property
    def difference(self) -> int:
        return self.first_to_second - self.second_to_first


def years(db: Session) -> list[int]:
    """The years with counted transfers, latest first."""
    year = extract("year", Transfer.transfer_date)
    return sorted((int(value) for value in db.scalars(select(distinct(year))
                                                      .where(Transfer.state.in_(COUNTED_STATES)))), reverse=True)


def copies_sent_and_received(db: Session, library_id: int) -> tuple[int, int]:
    """All the copies a library has sent (once dispatched) and received, over every year."""
    counted = Transfer.state.in_(COUNTED_STATES)
    sent = db.scalar(select(func.coalesce(func.sum(TransferLine.quantity), 0)).join(Transfer)
                     .where(counted, Transfer.from_library_id == library_id))
    received = db.scalar(select(func.coalesce(func.sum(TransferLine.received), 0)).join(Transfer)
                         .where(counted, Transfer.to_library_id == library_id))
    return int(sent or 0), int(received or 0)


def transfer_rows(db: Session, year: int | None = None) -> list[TransferRow]:
    """Every counted transfer (of a year, if given), with its copies and titles."""
    query = select(Transfer).where(Transfer.state.in_(COUNTED_STATES)).order_by(Transfer.transfer_date, Transfer.id)
    if year is not None:
        query = query.where(Transfer.transfer_date >= date(year, 1, 1), Transfer.transfer_date <= date(year, 12, 31))
    found = list(db.scalars(query))
    editions = _copy_editions(db, [line.copy_id for transfer in found for line in transfer.lines if line.copy_id])
    return [TransferRow(transfer.id, transfer.kind, transfer.transfer_date.year, transfer.from_library.code,
                        transfer.to_library.code, sum(line.quantity for line in transfer.lines),
                        sum(line.received or 0 for line in transfer.lines), _titles(transfer.lines, editions))
            for transfer in found]


def _titles(lines, editions: dict[int, object]) -> int:
    """Titles on a transfer: each title or edition line is one, named copies count once per edition."""
    named = {editions.get(line.copy_id, ("copy", line.copy_id)) for line in lines if line.copy_id is not None}
    return len(named) + sum(1 for line in lines if line.copy_id is None)


def _copy_editions(db: Session, copy_ids: list[int]) -> dict[int, object]:
    found = {}
    for start in range(0, len(copy_ids), 5000):
        part = copy_ids[start:start + 5000]
        rows = db.execute(select(Copy.id, Copy.record_id, Copy.title, Record.edition_id)
                          .outerjoin(Record, Record.id == Copy.record_id).where(Copy.id.in_(part)))
        for copy_id, record_id, title, edition_id in rows:
            found[copy_id] = ("edition", edition_id) if edition_id else ("title", title or record_id)
    return found


def library_totals(rows: list[TransferRow], names: dict[str, str]) -> list[LibraryTotals]:
    """Per library: copies and titles sent and received, by (kind, year)."""
    totals: dict[str, LibraryTotals] = {}
    for row in rows:
        sent = totals.setdefault(row.sender, LibraryTotals(row.sender, names.get(row.sender, row.sender)))
        sent.sent[(row.kind, row.year)][0] += row.copies_sent
        sent.sent[(row.kind, row.year)][1] += row.titles
        if row.copies_received:
            got = totals.setdefault(row.receiver, LibraryTotals(row.receiver, names.get(row.receiver, row.receiver)))
            got.received[(row.kind, row.year)][0] += row.copies_received
            got.received[(row.kind, row.year)][1] += row.titles
    return sorted(totals.values(), key=lambda totals_: totals_.library)


def exchange_balances(rows: list[TransferRow]) -> list[Balance]:
    """For each pair of libraries that exchanged: copies received each way."""
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if row.kind == "exchange":
            moved[(row.sender, row.receiver)] += row.copies_received
    pairs = sorted({tuple(sorted(pair)) for pair in moved})
    return [Balance(a, b, moved[(a, b)], moved[(b, a)]) for a, b in pairs]


def flows(rows: list[TransferRow]) -> list[tuple[str, str, int]]:
    """(sender, receiver, copies received) for every pair with something received, largest first."""
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        moved[(row.sender, row.receiver)] += row.copies_received
    return sorted(((a, b, n) for (a, b), n in moved.items() if n), key=lambda flow: (-flow[2], flow[0], flow[1]))


# --- files --------------------------------------------------------------------------------------------------------

COLUMNS = ("transfer", "kind", "year", "from", "to", "copies_sent", "copies_received", "titles")


def as_csv(rows: list[TransferRow]) -> str:
    """One line per transfer, UTF-8 with a BOM so that Excel opens Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow((row.id, row.kind, row.year, row.sender, row.receiver, row.copies_sent, row.copies_received,
                         row.titles))
    return "\ufeff" + out.getvalue()


def as_workbook(rows: list[TransferRow], totals: list[LibraryTotals], balances: list[Balance],
                labels: dict[str, str]) -> bytes:
    """An Excel workbook: the transfers, the totals per library, the exchange balances, one sheet each."""
    from openpyxl import Workbook  # only the Excel download needs it

    book = Workbook()
    sheet = book.active
    sheet.title = labels["transfers"]
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.id, row.kind, row.year, row.sender, row.receiver, row.copies_sent, row.copies_received,
                      row.titles])
    sheet = book.create_sheet(labels["libraries"])
    sheet.append(["library", "name", "kind", "year", "copies_sent", "titles_sent", "copies_received",
                  "titles_received"])
    for library in totals:
        for key in sorted(set(library.sent) | set(library.received)):
            sent, received = library.sent.get(key, [0, 0]), library.received.get(key, [0, 0])
            sheet.append([library.library, library.name, key[0], key[1], *sent, *received])
    sheet = book.create_sheet(labels["balances"])
    sheet.append(["library", "other", "copies_to_other", "copies_from_other", "difference"])
    for balance in balances:
        sheet.append([balance.first, balance.second, balance.first_to_second, balance.second_to_first,
                      balance.difference])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
