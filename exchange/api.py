"""The exchange tracker's JSON API: the pages' rules, for scripts with an API token. Thin: the work is in
exchange.transfers; errors come back as JSON with a Vietnamese message and the right status."""
from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

import database
from catalog.changes import notify_changed
from exchange import transfers
from exchange.errors import InvalidTransfer
from exchange.forms import CONTROL
from exchange.models import KINDS, STATES
from security import csrf

YEAR = re.compile(r"[0-9]{4}")  # ASCII digits: str.isdigit() also takes ² and ٣, which int() refuses
bp = Blueprint("exchange_api", __name__, url_prefix="/api/transfers")


@bp.get("")
@login_required
def transfer_list():
    args = request.args
    kind, state = args.get("kind") or None, args.get("state") or None
    if kind is not None and kind not in KINDS:
        raise InvalidTransfer(_("Loại phiếu phải là một trong: %(kinds)s.", kinds=", ".join(KINDS)))
    if state is not None and state not in STATES:
        raise InvalidTransfer(_("Trạng thái phải là một trong: %(states)s.", states=", ".join(STATES)))
    year = _year(args.get("year"))
    found = transfers.list_transfers(database.session(), library=args.get("library") or None, kind=kind,
                                     state=state, year=year)
    return {"transfers": [transfer_json(transfer, lines=False) for transfer in found]}


@bp.get("/<int:transfer_id>")
@login_required
def transfer_detail(transfer_id: int):
    return transfer_json(transfers.get_transfer(database.session(), transfer_id))


@bp.post("")
@csrf.exempt  # bearer tokens only, never a browser's cookies
@login_required
def transfer_create():
    body = _body()
    with database.transaction() as db:
        transfer = transfers.create_transfer(
            db, current_user, kind=body.get("kind"), from_code=_string(body, "from"), to_code=_string(body, "to"),
            transfer_date=_date(body.get("date")), occasion=_optional(body, "occasion"),
            note=_optional(body, "note"), lines=_lines(body.get("lines")), counterpart=_counterpart(body))
        answer = transfer_json(transfer)
    return answer, 201


@bp.post("/<int:transfer_id>/dispatch")
@csrf.exempt
@login_required
def transfer_dispatch(transfer_id: int):
    return _step(transfers.dispatch, transfer_id)


@bp.post("/<int:transfer_id>/receive")
@csrf.exempt
@login_required
def transfer_receive(transfer_id: int):
    body = _body(optional=True)
    receipts = _receipts(body.get("lines")) if body.get("lines") is not None else None
    return _step(transfers.receive, transfer_id, receipts)


@bp.post("/<int:transfer_id>/cancel")
@csrf.exempt
@login_required
def transfer_cancel(transfer_id: int):
    return _step(transfers.cancel, transfer_id, _optional(_body(optional=True), "reason"))


def _step(action, transfer_id: int, *args):
    with database.transaction() as db:
        answer = transfer_json(action(db, current_user, transfer_id, *args))
    notify_changed()  # copies moved: the search index shows their new library
    return answer


# --- JSON in and out -----------------------------------------------------------------------------------------------

def transfer_json(transfer, lines: bool = True) -> dict:
    answer = {
        "id": transfer.id, "kind": transfer.kind, "from": transfer.from_library.code,
        "to": transfer.to_library.code, "date": transfer.transfer_date.isoformat(), "occasion": transfer.occasion,
        "note": transfer.note, "state": transfer.state, "counterpart": transfer.counterpart_id,
        "cancel_reason": transfer.cancel_reason, "created_by": transfer.created_by,
        "copies_sent": sum(line.quantity for line in transfer.lines),
    }
    if lines:
        answer["lines"] = [_line_json(line) for line in transfer.lines]
        answer["history"] = [{"action": event.action, "from": event.state_from, "to": event.state_to,
                              "by": event.username, "as_coordinator": event.as_coordinator,
                              "at": event.at.isoformat() + "Z", "details": event.details}
                             for event in transfer.events]
    return answer


def _line_json(line) -> dict:
    return {"line": line.id, "position": line.position, "copy": line.copy and line.copy.registration_number,
            "edition": line.edition and line.edition.key, "title": line.title, "quantity": line.quantity,
            "received": line.received, "missing": line.missing, "damaged": line.damaged}


def _body(optional: bool = False) -> dict:
    body = request.get_json(silent=True)
    if body is None and optional and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise InvalidTransfer(_("Cần một đối tượng JSON (Content-Type: application/json)."))
    return _clean(body)


def _counterpart(body: dict) -> int | None:
    value = body.get("counterpart")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidTransfer(_("“counterpart” phải là số của phiếu trao đổi chiều ngược lại."))
    return value


def _clean(value):
    """The body with control characters taken out of every string (PostgreSQL refuses a NUL outright)."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def _string(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidTransfer(_("Thiếu trường “%(name)s”.", name=name))
    return value


def _optional(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidTransfer(_("Trường “%(name)s” phải là chuỗi.", name=name))
    return value


def _date(value) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidTransfer(_("Ngày phải viết dạng YYYY-MM-DD, ví dụ 2021-03-26.")) from None


def _year(value: str | None) -> int | None:
    if not value:
        return None
    if not YEAR.fullmatch(value) or not 1900 <= int(value) <= 2100:
        raise InvalidTransfer(_("Năm phải là số có bốn chữ số."))
    return int(value)


def _lines(value) -> list[transfers.LineSpec]:
    if not isinstance(value, list):
        raise InvalidTransfer(_("“lines” phải là một danh sách dòng."))
    specs = []
    for number, line in enumerate(value, 1):
        if not isinstance(line, dict) or not set(line) <= {"copy", "edition", "title", "quantity"}:
            raise InvalidTransfer(_("Dòng %(n)s: mỗi dòng là {\"copy\": ...} hoặc {\"edition\": ..., \"quantity\": N} "
                                    "hoặc {\"title\": ..., \"quantity\": N}.", n=number))
        if any(line.get(name) is not None and not isinstance(line.get(name), str) for name in ("copy", "edition",
                                                                                              "title")):
            raise InvalidTransfer(_("Dòng %(n)s: số ĐKCB, mã ấn bản và nhan đề phải là chuỗi.", n=number))
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidTransfer(_("Dòng %(n)s: số lượng phải là số nguyên.", n=number))
        specs.append(transfers.LineSpec(line.get("copy"), line.get("edition"), line.get("title"), quantity))
    return specs


def _receipts(value) -> list[transfers.LineReceipt]:
    if not isinstance(value, list):
        raise InvalidTransfer(_("“lines” phải là một danh sách dòng."))
    receipts = []
    for item in value:
        counts = [item.get(name, 0) if isinstance(item, dict) else None for name in ("received", "missing", "damaged")]
        line = item.get("line") if isinstance(item, dict) else None
        numbers = item.get("numbers", []) if isinstance(item, dict) else None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in [line, *counts]) \
                or not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise InvalidTransfer(_("Mỗi dòng nhận là {\"line\": id, \"received\": N, \"missing\": N, "
                                    "\"damaged\": N}."))
        receipts.append(transfers.LineReceipt(line, *counts, numbers=tuple(numbers)))
    return receipts
