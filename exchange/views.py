"""The exchange tracker's pages: the transfer list, the form to record or edit one, the transfer page with the
actions the signed-in user may take, and the printable handover record and packing list (HTML and PDF).

Thin: forms are read by exchange.forms, the work is done by exchange.transfers (the same service as the API),
and typed errors are rendered by the catalog's error handler, except a form's own mistakes, which are shown
above the form with what was typed (400).
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

import database
from catalog import permissions
from catalog.changes import notify_changed
from catalog.errors import NotAllowed, UnknownLibrary
from catalog.libraries import list_libraries
from exchange import forms, handover, lifecycle, reading, transfers
from exchange.errors import InvalidTransfer, TransferConflict
from exchange.handover_pdf import handover_pdf

bp = Blueprint("exchange", __name__, url_prefix="/transfers")
LIST_LIMIT = 200
# Mistakes in what was typed: the form comes back with the message (a copy on another open transfer too).
FORM_ERRORS = (InvalidTransfer, UnknownLibrary, TransferConflict)


@bp.get("")
@login_required
def transfer_list():
    filters = forms.read_filters(request.args)
    db = database.session()
    found = transfers.list_transfers(db, **filters.query(), limit=LIST_LIMIT)
    return render_template("transfers.html", transfers=found, filters=filters, libraries=list_libraries(db),
                           kinds=reading.KIND_NAMES, states=transfers.STATE_NAMES, limit=LIST_LIMIT)


@bp.get("/new")
@login_required
def new_transfer():
    # The reverse direction of an exchange is opened from its transfer page with kind, from, to, counterpart.
    asked = {name: value for name, value in forms.typed_fields(request.args).items() if value}
    today = datetime.now(get_timezone()).date()  # the Union's day (Asia/Ho_Chi_Minh), not the server's
    typed = {"kind": "donation", "date": today.isoformat()} | asked
    return _form_page(typed | {"from": permissions.own_library(current_user) or typed.get("from")})


@bp.post("/new")
@login_required
def create_transfer():
    typed = forms.typed_fields(request.form)
    typed["from"] = permissions.own_library(current_user) or typed["from"]
    try:
        sender, receiver = forms.read_libraries(typed)
        transfer = _run(transfers.create_transfer, kind=forms.read_kind(typed["kind"]), from_code=sender,
                        to_code=receiver, counterpart=forms.read_counterpart(typed["counterpart"]),
                        **_draft_fields(typed))
    except FORM_ERRORS as error:
        return _form_page(typed, error=error.message), error.code
    flash(_("Đã lập phiếu số %(id)s (nháp). Khi sách lên đường, bấm “Gửi sách”.", id=transfer.id))
    return redirect(url_for("exchange.transfer_page", transfer_id=transfer.id))


@bp.get("/<int:transfer_id>")
@login_required
def transfer_page(transfer_id: int):
    return _transfer_page(transfer_id)


@bp.get("/<int:transfer_id>/edit")
@login_required
def edit_transfer(transfer_id: int):
    transfer = _editable(transfer_id)
    typed = {"kind": transfer.kind, "from": transfer.from_library.code, "to": transfer.to_library.code,
             "date": transfer.transfer_date.isoformat(), "occasion": transfer.occasion or "",
             "note": transfer.note or "", "counterpart": str(transfer.counterpart_id or "")}
    return _form_page(typed | forms.lines_as_text(transfer.lines), transfer=transfer)


@bp.post("/<int:transfer_id>/edit")
@login_required
def update_transfer(transfer_id: int):
    transfer = _editable(transfer_id)
    typed = forms.typed_fields(request.form)
    try:
        _run(transfers.update_draft, transfer_id, **_draft_fields(typed))
    except FORM_ERRORS as error:
        return _form_page(typed, error=error.message, transfer=transfer), error.code
    flash(_("Đã lưu phiếu nháp số %(id)s.", id=transfer_id))
    return redirect(url_for("exchange.transfer_page", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/dispatch")
@login_required
def dispatch(transfer_id: int):
    _run(transfers.dispatch, transfer_id)
    flash(_("Đã gửi phiếu số %(id)s: sách đang trên đường, chờ thư viện nhận xác nhận.", id=transfer_id))
    return redirect(url_for("exchange.transfer_page", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/receive")
@login_required
def receive(transfer_id: int):
    lines = transfers.get_transfer(database.session(), transfer_id).lines
    try:
        transfer = _run(transfers.receive, transfer_id, forms.read_receipts(request.form, lines))
    except InvalidTransfer as error:
        return _transfer_page(transfer_id, error=error.message, typed=request.form, status=error.code)
    flash(_("Đã xác nhận nhận phiếu số %(id)s (%(state)s); mục lục đã ghi sách về thư viện nhận.", id=transfer_id,
            state=transfers.STATE_NAMES[transfer.state]))
    return redirect(url_for("exchange.transfer_page", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/cancel")
@login_required
def cancel(transfer_id: int):
    try:
        _run(transfers.cancel, transfer_id, forms.text(request.form, "reason"))
    except InvalidTransfer as error:
        return _transfer_page(transfer_id, error=error.message, typed=request.form, status=error.code)
    flash(_("Đã hủy phiếu số %(id)s.", id=transfer_id))
    return redirect(url_for("exchange.transfer_page", transfer_id=transfer_id))


@bp.get("/<int:transfer_id>/handover")
@login_required
def handover_page(transfer_id: int):
    document, kind = _document(transfer_id)
    return render_template("handover.html", document=document, kind=kind, transfer_id=transfer_id)


@bp.get("/<int:transfer_id>/handover.pdf")
@login_required
def handover_file(transfer_id: int):
    document, kind = _document(transfer_id)
    name = f"{'bang-ke-dong-goi' if kind == 'packing' else 'bien-ban-ban-giao'}-{transfer_id}.pdf"
    return Response(handover_pdf(document), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# --- the parts ------------------------------------------------------------------------------------------------------

def _run(step, *args, **kwargs):
    """One service step as the signed-in user, in its own transaction; then the search follows moved copies."""
    with database.transaction() as db:
        transfer = step(db, current_user, *args, **kwargs)
    notify_changed()
    return transfer


def _draft_fields(typed: dict) -> dict:
    return {"transfer_date": forms.read_date(typed["date"]), "occasion": typed["occasion"], "note": typed["note"],
            "lines": forms.read_lines(typed["copies"], typed["titles"])}


def _editable(transfer_id: int):
    transfer = transfers.get_transfer(database.session(), transfer_id)
    if transfer.state != "draft":
        raise TransferConflict(_("Phiếu số %(id)s đã gửi hoặc đã xong: chỉ sửa được phiếu nháp.", id=transfer_id))
    if not lifecycle.may(current_user, "edit", transfer.from_library.code, transfer.to_library.code):
        raise NotAllowed(_("Chỉ thủ thư của thư viện gửi (hoặc điều phối viên) mới được sửa phiếu này."))
    return transfer


def _form_page(typed: dict, **shown):
    db = database.session()
    return render_template("transfer_form.html", typed={name: typed.get(name) or "" for name in forms.FIELDS},
                           libraries=list_libraries(db), kinds=reading.KIND_NAMES,
                           fixed_sender=permissions.own_library(current_user), **shown)


def _transfer_page(transfer_id: int, error: str | None = None, typed=None, status: int = 200):
    db = database.session()
    transfer = transfers.get_transfer(db, transfer_id)
    sender, receiver = transfer.from_library.code, transfer.to_library.code
    counterpart = transfers.get_transfer(db, transfer.counterpart_id) if transfer.counterpart_id else None
    return render_template(
        "transfer.html", transfer=transfer, labels=reading.line_labels(db, transfer), counterpart=counterpart,
        carried=reading.copies_carried, actions=lifecycle.actions_for(current_user, transfer.state, sender, receiver),
        may_answer=lifecycle.may(current_user, "create", receiver, sender), kinds=reading.KIND_NAMES,
        states=transfers.STATE_NAMES, action_names=transfers.ACTION_NAMES, error=error, typed=typed or {},
        as_coordinator=permissions.role_of(current_user) == permissions.COORDINATOR), status


def _document(transfer_id: int):
    kind = request.args.get("kind") or "handover"
    if kind not in handover.KINDS:
        raise InvalidTransfer(_("Giấy tờ in là “handover” (biên bản bàn giao) hoặc “packing” (bảng kê đóng gói)."))
    db = database.session()
    transfer = transfers.get_transfer(db, transfer_id)
    return handover.document(transfer, reading.line_labels(db, transfer), kind), kind
