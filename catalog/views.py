"""Pages of the catalog: libraries, MARC upload and import reports."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

import database
from catalog import imports, libraries, permissions
from catalog.errors import CatalogError
from catalog.importer import ENCODING_CHOICES
from catalog.marc_reader import FORMATS

bp = Blueprint("catalog", __name__)


@bp.app_errorhandler(CatalogError)
def catalog_error(error: CatalogError):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": error.message}, error.code
    return render_template("error.html", message=error.message), error.code


@bp.app_errorhandler(413)
def upload_too_large(_error):
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = _("Tệp quá lớn: giới hạn tải lên là %(limit)s MB. Hãy chia tệp hoặc nhập bằng dòng lệnh.", limit=limit)
    return render_template("error.html", message=message), 413


@bp.get("/")
def home():
    db = database.session()
    return render_template("home.html", libraries=libraries.list_libraries(db),
                           batches=imports.recent_batches(db)[:5])


@bp.get("/libraries")
def library_list():
    return render_template("libraries.html", libraries=libraries.list_libraries(database.session()))


@bp.get("/imports")
def import_list():
    return render_template("imports.html", batches=imports.recent_batches(database.session()))


@bp.get("/imports/new")
def import_form():
    return render_template("import_form.html", libraries=libraries.list_libraries(database.session()),
                           formats=FORMATS, encodings=ENCODING_CHOICES)


@bp.post("/imports")
def import_upload():
    library_code = request.form.get("library") or None
    if not permissions.can_import(None, library_code):
        abort(403)
    if library_code:
        library_code = libraries.get_library(database.session(), library_code).code
    upload = request.files.get("file")
    report = imports.import_upload(
        database.engine(), upload.stream if upload else None, upload.filename if upload else "",
        current_app.config["UPLOAD_DIR"], library_code=library_code,
        fmt=_choice(request.form.get("format"), ("auto", *FORMATS)),
        encoding=_choice(request.form.get("encoding"), ENCODING_CHOICES),
        dry_run=bool(request.form.get("dry_run")), user="web")
    if report.dry_run:
        return render_template("import_report.html", summary=report, batch_id=None,
                               rejections=report.rejections, title=_("Kết quả nhập thử (không ghi gì)"))
    return redirect(url_for("catalog.import_detail", batch_id=report.batch_id))


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
