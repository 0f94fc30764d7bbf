"""Pages of the catalog: libraries (and the coordinator's pages to manage them), MARC upload, import reports."""
from __future__ import annotations

import functools
from typing import BinaryIO

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

import database
from catalog import export, imports, libraries, permissions
from catalog.errors import CatalogError, ImportNotFound, InvalidLibrary, LibraryExists, NotAllowed
from catalog.importer import ENCODING_CHOICES, ImportReport
from catalog.marc_reader import FORMATS
from security import csrf, error_response

bp = Blueprint("catalog", __name__)


@bp.app_errorhandler(CatalogError)
def catalog_error(error: CatalogError):
    return error_response(error.message, error.code)


# --- the coordinator's pages of libraries -------------------------------------------------------------------------

LIBRARY_FIELDS = ("name", "province", "kind", "org_code")


def library_manager(view):
    """A page for whoever may manage libraries: a visitor signs in first, anyone else is refused."""
    @functools.wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not permissions.can_manage_libraries(current_user):
            raise NotAllowed(_("Chỉ điều phối viên của Liên hiệp mới quản lý thư viện."))
        return view(*args, **kwargs)
    return guarded


@bp.get("/admin/libraries")
@library_manager
def library_admin():
    return _library_admin_page()


@bp.post("/admin/libraries")
@library_manager
def create_library():
    form = request.form
    try:
        with database.transaction() as db:
            library = libraries.add_library(db, form.get("code", ""), form.get("name", ""), form.get("kind", ""),
                                            form.get("org_code"), form.get("province"), actor=current_user)
    except (InvalidLibrary, LibraryExists) as error:  # shown above the form, with what was typed
        return _library_admin_page(error=error.message, typed=form), error.code
    flash(_("Đã thêm thư viện %(code)s: %(name)s.", code=library.code, name=library.name))
    return redirect(url_for("catalog.library_admin"))


@bp.get("/admin/libraries/<code>/edit")
@library_manager
def edit_library(code: str):
    library = libraries.get_library(database.session(), code)
    return _edit_page(library, {field: getattr(library, field) or "" for field in LIBRARY_FIELDS})


@bp.post("/admin/libraries/<code>/edit")
@library_manager
def update_library(code: str):
    typed = {field: request.form.get(field, "") for field in LIBRARY_FIELDS}
    try:
        with database.transaction() as db:
            library = libraries.update_library(db, code, **typed, actor=current_user)
    except (InvalidLibrary, LibraryExists) as error:
        return _edit_page(libraries.get_library(database.session(), code), typed, error=error.message), error.code
    flash(_("Đã lưu thư viện %(code)s: %(name)s.", code=library.code, name=library.name))
    return redirect(url_for("catalog.library_admin"))


def _library_admin_page(**shown):
    return render_template("admin_libraries.html", summaries=libraries.library_summaries(database.session()),
                           kinds=libraries.KIND_NAMES, typed=shown.pop("typed", {}), **shown)


def _edit_page(library, typed: dict, **shown):
    return render_template("admin_library_edit.html", library=library, typed=typed, kinds=libraries.KIND_NAMES,
                           **shown)


@bp.get("/imports")
def import_list():
    return render_template("imports.html", batches=imports.recent_batches(database.session()))


@bp.get("/imports/new")
@login_required
def import_form():
    choices = imports.importable_libraries(database.session(), current_user)
    return render_template("import_form.html", libraries=choices, formats=FORMATS, encodings=ENCODING_CHOICES,
                           by_record=permissions.can_import(current_user, None))


@bp.post("/imports")
@login_required
def import_upload():
    if request.form.get("dry_run"):  # nothing is stored, so nothing to come back to: the report at once
        report = _import_from_request()
        return render_template("import_report.html", summary=report, batch_id=None,
                               rejections=report.rejections, title=_("Kết quả nhập thử (không ghi gì)"))
    job = imports.start_import_for(current_user, database.engine(), database.session(), *_uploaded_file(),
                                   current_app.config["UPLOAD_DIR"], request.form.get("library"), **_import_options())
    # A short import's report at once; a long one's page shows its progress until it ends.
    job.wait(current_app.config.get("IMPORT_WAIT_SECONDS", imports.WAIT_SECONDS))
    return redirect(url_for("catalog.import_detail", batch_id=job.batch_id))


@bp.post("/api/imports")
@csrf.exempt  # the API answers to bearer tokens only, never to a browser's cookies
@login_required
def api_import():
    """The upload for scripts (a bearer API token): the same rules, the counts as JSON."""
    report = _import_from_request()
    answer = {name: getattr(report, name) for name in ("dry_run", "total", "new", "updated", "unchanged",
                                                       "deleted", "rejected")}
    if report.dry_run:
        return answer
    return {"batch": report.batch_id, **answer,
            "report": url_for("catalog.import_detail", batch_id=report.batch_id, _external=True)}, 201


def _import_from_request() -> ImportReport:
    return imports.import_for(current_user, database.engine(), database.session(), *_uploaded_file(),
                              current_app.config["UPLOAD_DIR"], request.form.get("library"),
                              dry_run=bool(request.form.get("dry_run")), **_import_options())


def _uploaded_file() -> tuple[BinaryIO | None, str]:
    upload = request.files.get("file")
    return (upload.stream, upload.filename or "") if upload else (None, "")


def _import_options() -> dict[str, str]:
    return {"fmt": _choice(request.form.get("format"), ("auto", *FORMATS)),
            "encoding": _choice(request.form.get("encoding"), ENCODING_CHOICES)}


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "auto"


@bp.get("/imports/<int:batch_id>")
def import_detail(batch_id: int):
    """The batch's report; while it runs, its progress (the page reloads into the report when it ends)."""
    db = database.session()
    batch = imports.get_batch(db, batch_id)
    running = batch.state == "running"
    return render_template("import_report.html", summary=batch, batch=batch, batch_id=batch.id,
                           rejections=[] if running else imports.batch_rejections(db, batch_id),
                           title=_report_title(batch.state))


def _report_title(state: str) -> str:
    titles = {"running": _("Đang nhập"), "interrupted": _("Lần nhập bị gián đoạn")}
    return titles.get(state, _("Kết quả nhập"))


@bp.get("/imports/<int:batch_id>/progress")
def import_progress(batch_id: int):
    """What the progress page's script polls: state, percent and counts, and the report's address once done."""
    try:
        progress = imports.batch_progress(database.session(), batch_id)
    except ImportNotFound as error:  # JSON whatever the Accept header says: only scripts read this address
        return {"error": error.message}, error.code
    if progress["status"] != "running":
        progress["report"] = url_for("catalog.import_detail", batch_id=batch_id)
    return progress


@bp.get("/imports/<int:batch_id>/rejected")
def rejected_download(batch_id: int):
    body, file_name, mimetype = imports.rejected_file(database.session(), batch_id)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={file_name}"})


# --- export: public, streamed ---------------------------------------------------------------------------------------

@bp.get("/records/<int:record_id>/export")
def record_export(record_id: int):
    fmt = export.export_format(request.args.get("format"))
    name, read = export.record_export(database.session(), record_id)
    return download(fmt, name, read)


@bp.get("/libraries/<code>/export")
def library_export(code: str):
    fmt = export.export_format(request.args.get("format"))
    name, read = export.library_export(database.session(), code)
    return download(fmt, name, read)


def download(fmt: export.ExportFormat, name: str, read: export.Reader) -> Response:
    return Response(stream_with_context(export.stream(fmt, read)), content_type=fmt.content_type,
                    headers={"Content-Disposition": f"attachment; filename={name}.{fmt.extension}"})
