"""The edition page, its JSON, its export, and a librarian's split and join. Thin: the work is in catalog."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import database
from catalog import edition_decisions, edition_read, export, permissions
from catalog.changes import notify_changed
from catalog.marc_display import display
from catalog.views import download

bp = Blueprint("editions", __name__)


@bp.get("/editions/<key>")
def edition_page(key: str):
    db = database.session()
    found = edition_read.resolve(db, key)
    if found.moved_from:
        return _moved(found)
    detail = edition_read.detail(db, found.edition)
    may_decide = permissions.can_decide_edition(current_user, {record.library.code for record in detail.records})
    return render_template("edition.html", edition=detail, may_decide=may_decide, formats=export.FORMATS,
                           marc={record.id: display(record.marc) for record in detail.records})


@bp.get("/api/editions/<key>")
def edition_api(key: str):
    db = database.session()
    found = edition_read.resolve(db, key)
    if found.moved_from:
        return _moved(found)
    return jsonify(edition_json(edition_read.detail(db, found.edition)))


@bp.get("/editions/<key>/export")
def edition_export(key: str):
    fmt = export.export_format(request.args.get("format"))
    name, read = export.edition_export(database.session(), key)
    return download(fmt, name, read)


@bp.post("/editions/<key>/split")
@login_required
def split(key: str):
    record_id = request.form.get("record", type=int) or 0
    with database.transaction() as db:
        new_key = edition_decisions.split_record(db, key, record_id, current_user, request.form.get("note"))
    notify_changed()  # the index shows editions: both parts get their documents now
    flash(_("Đã tách biểu ghi thành ấn bản riêng %(key)s.", key=new_key), "success")
    return redirect(url_for("editions.edition_page", key=new_key))


@bp.post("/editions/<key>/join")
@login_required
def join(key: str):
    other = (request.form.get("other") or "").strip()
    with database.transaction() as db:
        joined = edition_decisions.join_editions(db, key, other, current_user, request.form.get("note"))
    notify_changed()
    flash(_("Đã gộp hai ấn bản thành %(key)s.", key=joined), "success")
    return redirect(url_for("editions.edition_page", key=joined))


def _moved(found: edition_read.Resolved):
    """A merged edition's key leads, permanently, to the same view of the edition it was merged into."""
    return redirect(url_for(request.endpoint, key=found.edition.key), 301)


def edition_json(detail: edition_read.EditionDetail) -> dict:
    best = detail.best
    return {
        "key": detail.key, "title": best.title, "authors": best.authors, "year": best.year,
        "publisher": best.publisher, "isbns": sorted({isbn for record in detail.records for isbn in record.isbns}),
        "edition_statement": best.edition_statement, "language": best.language, "best_record": best.id,
        "records": [{"id": record.id, "library": record.library.code, "org_code": record.org_code,
                     "control_number": record.control_number, "title": record.title, "year": record.year,
                     "isbns": record.isbns, "match": record.edition_link,
                     "import_file": detail.import_files.get(record.import_batch_id)} for record in detail.records],
        "holdings": [{"library": holding.library, "name": holding.name, "copies": holding.copies,
                      "items": [{"registration_number": item.registration_number, "call_number": item.call_number,
                                 "location": item.location, "status": item.status, "source": item.source}
                                for item in holding.items]} for holding in detail.holdings],
    }
