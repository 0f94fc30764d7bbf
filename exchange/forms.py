"""The exchange pages' forms read into the service's terms (a date, LineSpec, LineReceipt) and back. Pure.

Every problem is an InvalidTransfer with a Vietnamese message; the page shows it above the form, with what
was typed kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from catalog.editions import KEY_ALPHABET, KEY_LENGTH
from exchange.errors import InvalidTransfer
from exchange.models import KINDS, STATES
from exchange.transfers import LineReceipt, LineSpec

FIELDS = ("kind", "from", "to", "date", "occasion", "note", "counterpart", "copies", "titles")
# A title line: "30 | Sách tặng của Thanh Hóa" or "2 | nk7jgp723py8" (an edition key, as its page shows it).
TITLE_LINE = re.compile(r"\s*([0-9]{1,7})\s*\|\s*(.+?)\s*")
EDITION_KEY = re.compile(f"[{KEY_ALPHABET}]{{{KEY_LENGTH}}}")
COUNT = re.compile(r"[0-9]{1,7}")  # ASCII digits: str.isdigit() also takes "²", which int() refuses
# Line breaks and tabs are typed into text areas; any other control character is no librarian's and is
# dropped (PostgreSQL would refuse a NUL outright).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
YEARS = range(1900, 2101)


@dataclass(frozen=True)
class Filters:
    """The transfer list's filters as chosen; empty strings for "all"."""

    library: str = ""
    kind: str = ""
    state: str = ""
    year: str = ""

    def query(self) -> dict:
        return {"library": self.library or None, "kind": self.kind or None, "state": self.state or None,
                "year": int(self.year) if self.year else None}


def read_filters(args) -> Filters:
    filters = Filters(*(_plain(args.get(name)).strip() for name in ("library", "kind", "state", "year")))
    if filters.kind and filters.kind not in KINDS or filters.state and filters.state not in STATES:
        raise InvalidTransfer(_("Loại phiếu hoặc trạng thái không có trong danh sách chọn."))
    if filters.year and not (COUNT.fullmatch(filters.year) and int(filters.year) in YEARS):
        raise InvalidTransfer(_("Năm phải là số có bốn chữ số."))
    return filters


def typed_fields(form) -> dict[str, str]:
    """What the transfer form sent, as text, to show again."""
    return {name: text(form, name) for name in FIELDS}


def text(form, name: str) -> str:
    """A field's text without control characters ("" when absent)."""
    return _plain(form.get(name))


def read_kind(typed: str) -> str:
    if typed not in KINDS:
        raise InvalidTransfer(_("Hãy chọn loại phiếu: tặng hoặc trao đổi."))
    return typed


def read_libraries(typed: dict[str, str]) -> tuple[str, str]:
    """The sending and the receiving library's codes (the service says which it does not know)."""
    if not typed["from"].strip() or not typed["to"].strip():
        raise InvalidTransfer(_("Hãy chọn bên giao và bên nhận."))
    return typed["from"], typed["to"]


def read_date(typed: str) -> date:
    """A date as the date field sends it (2021-03-26) or as typed by hand (26/03/2021)."""
    typed = typed.strip()
    for shape in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            found = datetime.strptime(typed, shape).date()
        except ValueError:
            continue
        if found.year in YEARS:
            return found
    raise InvalidTransfer(_("Ngày bàn giao phải viết dạng ngày/tháng/năm, ví dụ 26/03/2021."))


def read_counterpart(typed: str) -> int | None:
    typed = typed.strip().lstrip("#")
    if not typed:
        return None
    if not COUNT.fullmatch(typed):
        raise InvalidTransfer(_("Phiếu đối ứng là số của một phiếu trao đổi theo chiều ngược lại, ví dụ 12."))
    return int(typed)


def read_lines(copies: str, titles: str) -> list[LineSpec]:
    """Registration numbers one a line, then "quantity | edition key or title" lines."""
    specs = [LineSpec(copy=number) for number in _nonblank(copies)]
    for number, typed in enumerate(_nonblank(titles), 1):
        found = TITLE_LINE.fullmatch(typed)
        if not found:
            raise InvalidTransfer(_("Dòng %(n)s của danh sách nhan đề (“%(text)s”): hãy viết “số lượng | mã ấn bản "
                                    "hoặc nhan đề”, ví dụ “30 | Sách tặng của Thanh Hóa”.", n=number, text=typed[:80]))
        quantity, named = int(found.group(1)), found.group(2)
        if EDITION_KEY.fullmatch(named.lower()):
            specs.append(LineSpec(edition=named.lower(), quantity=quantity))
        else:
            specs.append(LineSpec(title=named, quantity=quantity))
    return specs


def lines_as_text(lines) -> dict[str, str]:
    """A transfer's lines as the two text areas hold them (to edit a draft)."""
    copies = [line.copy.registration_number for line in lines if line.copy is not None]
    titles = [f"{line.quantity} | {line.edition.key if line.edition is not None else line.title}"
              for line in lines if line.copy is None]
    return {"copies": "\n".join(copies), "titles": "\n".join(titles)}


def read_receipts(form, lines) -> list[LineReceipt]:
    """Per line: received (all, when left empty), missing (the rest, when left empty), damaged, new numbers."""
    return [_receipt(form, line) for line in lines]


def _receipt(form, line) -> LineReceipt:
    received = _count(form, f"received-{line.id}", line, line.quantity)
    missing = _count(form, f"missing-{line.id}", line, max(line.quantity - received, 0))
    damaged = _count(form, f"damaged-{line.id}", line, 0)
    numbers = tuple(_nonblank(_plain(form.get(f"numbers-{line.id}")))) if line.copy_id is None else ()
    return LineReceipt(line.id, received, missing, damaged, numbers)


def _count(form, name: str, line, default: int) -> int:
    value = _plain(form.get(name)).strip()
    if not value:
        return default
    if not COUNT.fullmatch(value):
        raise InvalidTransfer(_("Dòng %(n)s: số bản nhận, thiếu, hỏng phải là số nguyên không âm.", n=line.position))
    return int(value)


def _nonblank(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _plain(value) -> str:
    return CONTROL.sub("", value) if isinstance(value, str) else ""
