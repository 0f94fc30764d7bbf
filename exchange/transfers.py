"""Transfers: record, dispatch, receive or cancel a donation or exchange; every step in one transaction.

A step first claims the transfer with a conditional UPDATE (its state must still be the one read): of two
librarians acting at once, one wins and the other is told the transfer changed (on PostgreSQL the second
waits on the row lock, then finds the state moved). A copy on an open transfer is refused for another by a
unique index. Copies move through catalog.copies, which writes the change feed the search index follows.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from catalog import copies as catalog_copies
from catalog import permissions
from catalog.edition_read import best_record, live_records, resolve
from catalog.errors import CatalogError, NotAllowed
from catalog.imports import LARGEST_ID
from catalog.libraries import get_library
from catalog.models import Copy, Library, utcnow
from exchange import lifecycle
from exchange.errors import InvalidTransfer, TransferConflict, TransferNotFound
from exchange.models import KINDS, Transfer, TransferEvent, TransferLine

STATE_NAMES = {"draft": lazy_gettext("nháp"), "dispatched": lazy_gettext("đã gửi"),
               "received": lazy_gettext("đã nhận đủ"), "partly_received": lazy_gettext("nhận thiếu"),
               "cancelled": lazy_gettext("đã hủy")}
ACTION_NAMES = {"create": lazy_gettext("lập"), "edit": lazy_gettext("sửa"), "dispatch": lazy_gettext("gửi"),
                "receive": lazy_gettext("xác nhận nhận"), "cancel": lazy_gettext("hủy")}
MAX_LINES = 5000
MAX_QUANTITY = 10_000
MAX_COPIES = 20_000  # in one transfer: ten times the Union's largest donation, and a receipt stays seconds long
MAX_TEXT = 2000


@dataclass(frozen=True)
class LineSpec:
    """One line as asked: a copy by registration number, or an edition key or a title with a quantity."""

    copy: str | None = None
    edition: str | None = None
    title: str | None = None
    quantity: int = 1


@dataclass(frozen=True)
class LineReceipt:
    """What arrived of one line: counts, and the registration numbers given to new copies (optional)."""

    line: int
    received: int
    missing: int = 0
    damaged: int = 0
    numbers: tuple[str, ...] = ()


# --- recording -----------------------------------------------------------------------------------------------------

def create_transfer(db: Session, actor, *, kind: str, from_code: str, to_code: str, transfer_date: date,
                    occasion: str | None, note: str | None, lines: list[LineSpec],
                    counterpart: int | None = None) -> Transfer:
    """A draft transfer with its lines; only the sending library's librarians (or the coordinator) may."""
    if kind not in KINDS:
        raise InvalidTransfer(_("Loại phiếu phải là “donation” (tặng) hoặc “exchange” (trao đổi)."))
    sender, receiver = get_library(db, from_code), get_library(db, to_code)
    if sender.id == receiver.id:
        raise InvalidTransfer(_("Thư viện gửi và thư viện nhận phải khác nhau."))
    _allowed(actor, "create", sender.code, receiver.code)
    transfer = Transfer(kind=kind, from_library_id=sender.id, to_library_id=receiver.id, transfer_date=transfer_date,
                        occasion=_text(occasion), note=_text(note), state="draft", created_by=_name(actor))
    db.add(transfer)
    db.flush()
    if counterpart is not None:
        _link_exchange(db, transfer, counterpart)
    _add_lines(db, transfer, lines)
    _event(db, transfer, actor, "create", None, "draft", {"lines": len(lines)})
    return transfer


def update_draft(db: Session, actor, transfer_id: int, *, transfer_date: date, occasion: str | None,
                 note: str | None, lines: list[LineSpec]) -> Transfer:
    """Change a draft: its date, occasion, note and lines (replaced)."""
    transfer = _claim(db, actor, transfer_id, "edit")
    transfer.transfer_date, transfer.occasion, transfer.note = transfer_date, _text(occasion), _text(note)
    for line in list(transfer.lines):
        transfer.lines.remove(line)
    db.flush()
    _add_lines(db, transfer, lines)
    _event(db, transfer, actor, "edit", "draft", "draft", {"lines": len(lines)})
    return transfer


def dispatch(db: Session, actor, transfer_id: int) -> Transfer:
    """The books are on their way: named copies show as in transit at the sender until they arrive."""
    transfer = _claim(db, actor, transfer_id, "dispatch")
    conn = db.connection()
    named = [line for line in transfer.lines if line.copy_id is not None]
    statuses = dict(conn.execute(select(Copy.id, Copy.status)
                                 .where(Copy.id.in_([line.copy_id for line in named]))).all())
    for line in named:
        line.status_before = statuses.get(line.copy_id)
    catalog_copies.set_status(conn, {line.copy_id: catalog_copies.IN_TRANSIT for line in named})
    _event(db, transfer, actor, "dispatch", "draft", "dispatched", {"copies": _copies_sent(transfer)})
    return transfer


def receive(db: Session, actor, transfer_id: int, receipts: list[LineReceipt] | None = None) -> Transfer:
    """The receiving library confirms what arrived; without receipts, everything did.

    Named copies that arrived move to the receiver, missing ones stay the sender's, lost in transit; title
    lines become new copies at the receiver, numbered as given or from the receiver's own sequence."""
    transfer = _load(db, transfer_id)
    _allowed(actor, "receive", transfer.from_library.code, transfer.to_library.code)
    counts = _receipt_counts(transfer, receipts)
    state = "partly_received" if any(missing for _received, missing, _damaged, _numbers in counts.values()) \
        else "received"
    transfer = _claim(db, actor, transfer_id, "receive", state)
    conn, reference, receiver = db.connection(), f"transfer:{transfer.id}", transfer.to_library_id
    catalog_copies.lock_numbering(conn, receiver)  # receipts at one library check and number one at a time
    arriving = _arriving_numbers(transfer)
    typed = _check_typed_numbers(conn, transfer, counts, arriving)
    records = _records_for(db, transfer)
    unnumbered = sum(counts[line.id][0] for line in transfer.lines if line.copy_id is None and not counts[line.id][3])
    sequence = iter(catalog_copies.next_registration_numbers(conn, receiver, unnumbered, avoid=typed | arriving))
    arrived, statuses = [], {}
    for line in transfer.lines:
        received, missing, damaged, numbers = counts[line.id]
        line.received, line.missing, line.damaged, line.is_open = received, missing, damaged, False
        if line.copy_id is not None:
            if received:
                arrived.append(line.copy_id)
                statuses[line.copy_id] = catalog_copies.DAMAGED if damaged else _settled(line.status_before)
            else:
                statuses[line.copy_id] = catalog_copies.LOST_IN_TRANSIT
        elif received:
            numbers = list(numbers) or [next(sequence) for _ in range(received)]
            catalog_copies.create(conn, receiver, record_id=records.get(line.edition_id), title=line.title,
                                  numbers=numbers, reference=reference,
                                  statuses=[catalog_copies.DAMAGED] * damaged + [None] * (received - damaged))
    catalog_copies.set_status(conn, statuses)
    renumbered = catalog_copies.move(conn, arrived, receiver, reference)
    totals = {name: sum(count[index] for count in counts.values())
              for index, name in enumerate(("received", "missing", "damaged"))}
    if renumbered:  # the receiver already had books with these numbers
        totals["renumbered"] = [f"{old} → {new}" for old, new in sorted(renumbered.items())]
    _event(db, transfer, actor, "receive", "dispatched", state, totals)
    return transfer


def cancel(db: Session, actor, transfer_id: int, reason: str | None) -> Transfer:
    """Call a transfer off, with a reason; a dispatched one gives its copies back their status."""
    reason = _text(reason)
    if not reason:
        raise InvalidTransfer(_("Hãy ghi lý do hủy phiếu."))
    before = _load(db, transfer_id).state
    transfer = _claim(db, actor, transfer_id, "cancel")
    transfer.cancel_reason = reason
    if before == "dispatched":
        catalog_copies.set_status(db.connection(), {line.copy_id: line.status_before for line in transfer.lines
                                                    if line.copy_id is not None})
    for line in transfer.lines:
        line.is_open = False
    _event(db, transfer, actor, "cancel", before, "cancelled", {"reason": reason})
    return transfer


# --- reading -------------------------------------------------------------------------------------------------------

def get_transfer(db: Session, transfer_id: int) -> Transfer:
    return _load(db, transfer_id)


def list_transfers(db: Session, *, library: str | None = None, kind: str | None = None, state: str | None = None,
                   year: int | None = None, limit: int = 200) -> list[Transfer]:
    """Transfers from or to a library, of a kind, in a state, dated in a year; newest first."""
    query = select(Transfer).options(selectinload(Transfer.from_library), selectinload(Transfer.to_library))
    if library:
        found = get_library(db, library)
        query = query.where((Transfer.from_library_id == found.id) | (Transfer.to_library_id == found.id))
    if kind:
        query = query.where(Transfer.kind == kind)
    if state:
        query = query.where(Transfer.state == state)
    if year:
        query = query.where(Transfer.transfer_date >= date(year, 1, 1), Transfer.transfer_date <= date(year, 12, 31))
    return list(db.scalars(query.order_by(Transfer.transfer_date.desc(), Transfer.id.desc()).limit(limit)))


# --- the steps' parts ----------------------------------------------------------------------------------------------

def _load(db: Session, transfer_id: int) -> Transfer:
    transfer = db.get(Transfer, transfer_id) if 0 < transfer_id <= LARGEST_ID else None
    if transfer is None:
        raise TransferNotFound(_("Không có phiếu chuyển số %(id)s.", id=transfer_id))
    return transfer


def _claim(db: Session, actor, transfer_id: int, action: str, state: str | None = None) -> Transfer:
    """Check the actor may take the action and the state allows it, then move the state, atomically."""
    transfer = _load(db, transfer_id)
    _allowed(actor, action, transfer.from_library.code, transfer.to_library.code)
    current = transfer.state
    target = state or lifecycle.next_state(current, action)
    if lifecycle.next_state(current, action) is None:
        raise TransferConflict(_("Phiếu số %(id)s đang ở trạng thái “%(state)s”: không thể %(action)s.",
                                 id=transfer_id, state=str(STATE_NAMES[current]), action=str(ACTION_NAMES[action])))
    claimed = db.execute(update(Transfer).where(Transfer.id == transfer_id, Transfer.state == current)
                         .values(state=target, updated_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise TransferConflict(_("Phiếu số %(id)s vừa được người khác xử lý; hãy tải lại trang để xem trạng thái "
                                 "mới.", id=transfer_id))
    db.refresh(transfer)
    return transfer


def _allowed(actor, action: str, from_code: str, to_code: str) -> None:
    if not lifecycle.may(actor, action, from_code, to_code):
        side = _("thư viện nhận") if lifecycle.RULES[action][1] == "to" else _("thư viện gửi")
        raise NotAllowed(_("Chỉ thủ thư của %(side)s (hoặc điều phối viên) mới được %(action)s phiếu này.",
                           side=side, action=str(ACTION_NAMES[action])))


def _add_lines(db: Session, transfer: Transfer, lines: list[LineSpec]) -> None:
    if not lines:
        raise InvalidTransfer(_("Phiếu chuyển cần ít nhất một dòng: một bản sách (số ĐKCB) hoặc một nhan đề với "
                                "số lượng."))
    if len(lines) > MAX_LINES:
        raise InvalidTransfer(_("Một phiếu tối đa %(max)s dòng.", max=MAX_LINES))
    if sum(spec.quantity for spec in lines if isinstance(spec.quantity, int) and not (spec.copy or "").strip()) \
            > MAX_COPIES:
        raise InvalidTransfer(_("Một phiếu tối đa %(max)s bản sách.", max=MAX_COPIES))
    numbers = [spec.copy.strip() for spec in lines if spec.copy and spec.copy.strip()]
    if duplicated := sorted(number for number, times in Counter(numbers).items() if times > 1):
        raise InvalidTransfer(_("Số ĐKCB ghi hai lần: %(numbers)s.", numbers=", ".join(duplicated[:10])))
    found = catalog_copies.copies_by_number(db.connection(), transfer.from_library_id, numbers)
    _refuse_unknown_or_taken(db, transfer, numbers, found)
    for position, spec in enumerate(lines, 1):
        transfer.lines.append(_line(db, position, spec, found))
    try:
        db.flush()
    except IntegrityError:  # another transfer took one of the copies between the check and the write
        db.rollback()
        raise TransferConflict(_("Một bản sách trong phiếu vừa được đưa vào phiếu chuyển khác; hãy thử lại.")) \
            from None
    catalog_copies.track(db.connection(), [line.copy_id for line in transfer.lines if line.copy_id])


def _refuse_unknown_or_taken(db: Session, transfer: Transfer, numbers: list[str], found: dict) -> None:
    library = transfer.from_library or db.get(Library, transfer.from_library_id)
    if unknown := [number for number in numbers if number not in found]:
        raise InvalidTransfer(_("%(library)s không có bản sách số ĐKCB: %(numbers)s.", library=library.name,
                                numbers=", ".join(unknown[:10])))
    if ambiguous := [number for number in numbers if len(found[number]) > 1]:
        raise InvalidTransfer(_("Số ĐKCB %(numbers)s ghi cho nhiều bản sách ở %(library)s: hãy sửa trong mục lục "
                                "trước.", numbers=", ".join(ambiguous[:10]), library=library.name))
    copy_ids = [found[number][0].id for number in numbers]
    taken = db.execute(select(TransferLine.transfer_id, TransferLine.copy_id).where(
        TransferLine.is_open, TransferLine.copy_id.in_(copy_ids), TransferLine.transfer_id != transfer.id)).all()
    if taken:
        number_of = {found[number][0].id: number for number in numbers}
        raise TransferConflict(_("Bản sách %(number)s đang nằm trong phiếu chuyển số %(id)s chưa xong.",
                                 number=number_of[taken[0].copy_id], id=taken[0].transfer_id))


def _line(db: Session, position: int, spec: LineSpec, found: dict) -> TransferLine:
    if spec.copy and spec.copy.strip():
        return TransferLine(position=position, copy_id=found[spec.copy.strip()][0].id, quantity=1)
    if not isinstance(spec.quantity, int) or not 0 < spec.quantity <= MAX_QUANTITY:
        raise InvalidTransfer(_("Dòng %(n)s: số lượng phải là số nguyên từ 1 đến %(max)s.", n=position,
                                max=MAX_QUANTITY))
    if spec.edition and spec.edition.strip():
        try:
            edition = resolve(db, spec.edition).edition
        except CatalogError as error:
            raise InvalidTransfer(_("Dòng %(n)s: %(reason)s", n=position, reason=error.message)) from None
        return TransferLine(position=position, edition_id=edition.id, quantity=spec.quantity)
    title = _text(spec.title)
    if not title:
        raise InvalidTransfer(_("Dòng %(n)s: hãy ghi số ĐKCB, mã ấn bản, hoặc nhan đề sách.", n=position))
    return TransferLine(position=position, title=title[:500], quantity=spec.quantity)


def _receipt_counts(transfer: Transfer, receipts: list[LineReceipt] | None) -> dict[int, tuple]:
    """(received, missing, damaged, numbers) per line; lines not mentioned arrived whole."""
    given = {receipt.line: receipt for receipt in receipts or []}
    if unknown := sorted(set(given) - {line.id for line in transfer.lines}):
        raise InvalidTransfer(_("Phiếu không có dòng số %(lines)s.", lines=", ".join(map(str, unknown))))
    counts = {}
    for line in transfer.lines:
        receipt = given.get(line.id) or LineReceipt(line.id, line.quantity)
        received, missing, damaged = receipt.received, receipt.missing, receipt.damaged
        if min(received, missing, damaged) < 0 or received + missing != line.quantity or damaged > received:
            raise InvalidTransfer(_("Dòng %(n)s: gửi %(sent)s bản, nên số nhận cộng số thiếu phải bằng %(sent)s, "
                                    "và số hỏng không quá số nhận.", n=line.position, sent=line.quantity))
        numbers = tuple(number.strip() for number in receipt.numbers if number.strip())
        if numbers and (line.copy_id is not None or len(numbers) != received or len(set(numbers)) != len(numbers)):
            raise InvalidTransfer(_("Dòng %(n)s: cần đúng %(count)s số ĐKCB khác nhau cho các bản đã nhận.",
                                    n=line.position, count=received))
        counts[line.id] = (received, missing, damaged, numbers)
    return counts


def _arriving_numbers(transfer: Transfer) -> set[str]:
    return {line.copy.registration_number for line in transfer.lines
            if line.copy_id is not None and line.copy is not None and line.copy.registration_number}


def _check_typed_numbers(conn, transfer: Transfer, counts: dict[int, tuple], arriving: set[str]) -> set[str]:
    """Registration numbers typed at receipt, refused when the receiver already uses one, when one is typed
    twice, or when it is the number of a copy arriving on this transfer."""
    typed = [number for _counts in counts.values() for number in _counts[3]]
    held = catalog_copies.held_numbers(conn, transfer.to_library_id, typed)
    twice = {number for number, times in Counter(typed + sorted(arriving)).items() if times > 1}
    if clashing := sorted(number for number in set(typed) if number in held or number in twice):
        raise InvalidTransfer(_("Số ĐKCB %(numbers)s đã có ở %(library)s (hoặc ghi hai lần): hãy ghi số khác.",
                                numbers=", ".join(clashing[:10]), library=transfer.to_library.name))
    return set(typed)


def _settled(status: str | None) -> str | None:
    """The status a copy arrives with: its own from before the journey, but not one a transfer gave it (a copy
    once lost in transit that turns up and is sent again arrives found)."""
    return None if status in catalog_copies.TRACKER_STATUSES else status


def _records_for(db: Session, transfer: Transfer) -> dict[int, int]:
    """The record new copies of each edition line belong to: the receiver's own if it has one, else the best."""
    editions = {line.edition_id for line in transfer.lines if line.edition_id is not None}
    chosen = {}
    for edition_id, records in live_records(db, sorted(editions)).items():
        own = [record for record in records if record.library_id == transfer.to_library_id]
        if records:
            chosen[edition_id] = (own or [best_record(records)])[0].id
    return chosen


def _link_exchange(db: Session, transfer: Transfer, counterpart_id: int) -> None:
    other = _load(db, counterpart_id)
    if transfer.kind != "exchange" or other.kind != "exchange" \
            or (other.from_library_id, other.to_library_id) != (transfer.to_library_id, transfer.from_library_id):
        raise InvalidTransfer(_("Phiếu đối ứng phải là một phiếu trao đổi theo chiều ngược lại, chưa gắn với "
                                "phiếu nào."))
    if other.counterpart_id is not None:
        raise TransferConflict(_("Phiếu số %(id)s đã gắn với phiếu trao đổi số %(other)s.", id=other.id,
                                 other=other.counterpart_id))
    # Conditional, like a step's claim: of two transfers naming the same counterpart at once, one links.
    linked = db.execute(update(Transfer).where(Transfer.id == other.id, Transfer.counterpart_id.is_(None))
                        .values(counterpart_id=transfer.id).execution_options(synchronize_session=False))
    if linked.rowcount != 1:
        raise TransferConflict(_("Phiếu số %(id)s vừa được gắn với một phiếu trao đổi khác.", id=other.id))
    transfer.counterpart_id = other.id
    db.refresh(other)


def _event(db: Session, transfer: Transfer, actor, action: str, before: str | None, after: str, details: dict) -> None:
    db.add(TransferEvent(transfer_id=transfer.id, action=action, state_from=before, state_to=after,
                         username=_name(actor), details=details,
                         as_coordinator=permissions.role_of(actor) == permissions.COORDINATOR))


def _copies_sent(transfer: Transfer) -> int:
    return sum(line.quantity for line in transfer.lines)


def _text(value: str | None) -> str | None:
    text = " ".join((value or "").split())[:MAX_TEXT]
    return text or None


def _name(actor) -> str:
    return str(getattr(actor, "username", actor))[:100]



