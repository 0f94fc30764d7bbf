"""Pages of the catalog: libraries (and the coordinator's pages to manage them), MARC upload, import reports."""
from __future__ import annotations

import functools

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

import database
from catalog import export, imports, libraries, permissions
from catalog.errors import CatalogError, InvalidLibrary, LibraryExists, NotAllowed
from catalog.importer import ENCODING_CHOICES, ImportReport
from catalog.marc_reader import FORMATS
from security import csrf, error_response

bp = Blueprint("catalog", __name__)


@bp.app_errorhandler(CatalogError)
def catalog_error(error: CatalogError):
    return error_response(error.message, error.code)


@bp.get("/")
def home():
    db = database.session()
    return render_template("home.html", libraries=libraries.list_libraries(db),
                           batches=imports.recent_batches(db)[:5])


@bp.get("/libraries")
def library_list():
    return render_template("libraries.html", libraries=libraries.list_libraries(database.session()),
                           kinds=libraries.KIND_NAMES)


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
    report = _import_from_request()
    if report.dry_run:
        return render_template("import_report.html", summary=report, batch_id=None,
                               rejections=report.rejections, title=_("Kết quả nhập thử (không ghi gì)"))
    return redirect(url_for("catalog.import_detail", batch_id=report.batch_id))


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
    upload = request.files.get("file")
    return imports.import_for(
        current_user, database.engine(), database.session(), upload.stream if upload else None,
        upload.filename if upload else "", current_app.config["UPLOAD_DIR"], request.form.get("library"),
        fmt=_choice(request.form.get("format"), ("auto", *FORMATS)),
        encoding=_choice(request.form.get("encoding"), ENCODING_CHOICES),
        dry_run=bool(request.form.get("dry_run")))


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "auto"


@bp.get("/imports/<int:batch_id>")
def import_detail(batch_id: int):
    db = database.session()
    batch = imports.get_batch(db, batch_id)
    return render_template("import_report.html", summary=batch, batch_id=batch.id,
                           rejections=imports.batch_rejections(db, batch_id), title=_("Kết quả nhập"))


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
