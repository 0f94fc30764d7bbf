"""The handover record (biên bản bàn giao) and the packing list of a transfer, as one plain document.

The print page and the PDF both render this, so the two never disagree. Pure: the caller gives the transfer
and each line's label (exchange.reading.line_labels).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from exchange.models import Transfer
from exchange.reading import KIND_NAMES, LineLabel
from exchange.transfers import STATE_NAMES

KINDS = ("handover", "packing")


@dataclass(frozen=True)
class Party:
    name: str
    code: str


@dataclass(frozen=True)
class Document:
    letterhead: tuple[str, str]  # the union, left; the national motto, right; lines split by "\n"
    title: str
    number: int
    kind: str  # tặng / trao đổi
    date: str  # dd/mm/yyyy
    state: str
    occasion: str | None
    note: str | None
    sender: Party
    receiver: Party
    intro: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]  # which columns hold numbers (aligned right)
    rows: list[tuple[str, ...]]
    totals: tuple[str, ...]
    signatures: tuple[str, str]
    signature_lines: tuple[str, ...]


def document(transfer: Transfer, labels: dict[int, LineLabel], kind: str = "handover") -> Document:
    """The handover record, or with kind="packing" the list of what goes in the boxes."""
    packing = kind == "packing"
    received = transfer.state in ("received", "partly_received") and not packing
    columns, numeric = _columns(packing, received)
    rows = [_row(position, line, labels.get(line.id), packing, received)
            for position, line in enumerate(transfer.lines, 1)]
    return Document(
        letterhead=(_("LIÊN HIỆP THƯ VIỆN\nBẮC MIỀN TRUNG"),
                    _("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc")),
        title=_("BẢNG KÊ SÁCH ĐÓNG GÓI") if packing else _("BIÊN BẢN BÀN GIAO SÁCH"),
        number=transfer.id, kind=str(KIND_NAMES[transfer.kind]), date=transfer.transfer_date.strftime("%d/%m/%Y"),
        state=str(STATE_NAMES[transfer.state]), occasion=transfer.occasion, note=transfer.note,
        sender=Party(transfer.from_library.name, transfer.from_library.code),
        receiver=Party(transfer.to_library.name, transfer.to_library.code),
        intro=_intro(packing, transfer), columns=columns, numeric=numeric, rows=rows,
        totals=_totals(transfer, packing, received),
        signatures=(_("Đại diện bên giao"), _("Đại diện bên nhận")),
        signature_lines=(_("Họ và tên:"), _("Chữ ký:"), _("Ngày:") + " ....../....../.........."))


def _columns(packing: bool, received: bool) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    columns = [_("STT"), _("Số ĐKCB / mã ấn bản"), _("Nhan đề"), _("Số lượng")]
    if packing:
        return (*columns, _("Thùng số"), _("Ghi chú")), (True, False, False, True, False, False)
    if received:
        return (*columns, _("Đã nhận"), _("Thiếu"), _("Hỏng")), (True, False, False, True, True, True, True)
    return tuple(columns), (True, False, False, True)


def _row(position: int, line, label: LineLabel | None, packing: bool, received: bool) -> tuple[str, ...]:
    if line.copy is not None:
        identifier = line.copy.registration_number or "—"
    else:
        identifier = line.edition.key if line.edition is not None else "—"
    title = (label.title if label else None) or line.title or _("(không có nhan đề)")
    row = (str(position), identifier, title, str(line.quantity))
    if packing:
        return (*row, "", "")
    if received:
        return (*row, str(line.received or 0), str(line.missing or 0), str(line.damaged or 0))
    return row


def _totals(transfer: Transfer, packing: bool, received: bool) -> tuple[str, ...]:
    lines = transfer.lines
    row = ("", _("Cộng"), _("%(n)s dòng", n=len(lines)), str(sum(line.quantity for line in lines)))
    if packing:
        return (*row, "", "")
    if received:
        return (*row, *(str(sum(getattr(line, name) or 0 for line in lines))
                        for name in ("received", "missing", "damaged")))
    return row


def _intro(packing: bool, transfer: Transfer) -> str:
    if packing:
        return _("Sách %(sender)s gửi %(receiver)s theo phiếu số %(id)s; ghi số thùng cho từng dòng khi đóng gói.",
                 sender=transfer.from_library.name, receiver=transfer.to_library.name, id=transfer.id)
    return _("Hai bên cùng kiểm đếm và bàn giao số sách dưới đây, theo phiếu số %(id)s.", id=transfer.id)
