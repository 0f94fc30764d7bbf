"""The exchange reports: a page of tables and a picture of the flows, and the same as CSV and Excel."""
from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

import database
from catalog.libraries import library_names
from exchange import reports
from exchange.errors import InvalidTransfer
from exchange.flow_chart import flow_svg

YEAR = re.compile(r"[0-9]{4}")  # ASCII digits: str.isdigit() also takes ² and ٣, which int() refuses
bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("")
@login_required
def report_page():
    year = _year()
    rows, names = _rows(year)
    return render_template("reports.html", year=year, rows=rows, names=names,
                           totals=reports.library_totals(rows, names), balances=reports.exchange_balances(rows),
                           flows=reports.flows(rows), years=_years())


@bp.get("/flows.svg")
@login_required
def flow_picture():
    rows, names = _rows(_year())
    svg = flow_svg(reports.flows(rows), names, _("Sách chuyển giữa các thư viện (số bản đã nhận)"),
                   _("Chưa có sách nào được nhận."))
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


@bp.get("/transfers.csv")
@login_required
def transfers_csv():
    rows, _names = _rows(_year())
    return Response(reports.as_csv(rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=trao-doi-tang-sach.csv"})


@bp.get("/transfers.xlsx")
@login_required
def transfers_xlsx():
    rows, names = _rows(_year())
    labels = {"transfers": _("Phiếu chuyển"), "libraries": _("Theo thư viện"), "balances": _("Cân đối trao đổi")}
    book = reports.as_workbook(rows, reports.library_totals(rows, names), reports.exchange_balances(rows), labels)
    return Response(book, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=trao-doi-tang-sach.xlsx"})


def _rows(year: int | None):
    db = database.session()
    return reports.transfer_rows(db, year), library_names(db)


def _years() -> list[int]:
    return reports.years(database.session())


def _year() -> int | None:
    value = request.args.get("year") or ""
    if not value:
        return None
    if not YEAR.fullmatch(value) or not 1900 <= int(value) <= 2100:
        raise InvalidTransfer(_("Năm phải là số có bốn chữ số."))
    return int(value)
