"""Import batches as librarians see them: the upload, its progress, the report, the rejected records."""
from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO

from flask import current_app, request
from flask.ctx import RequestContext
from flask_babel import gettext as _
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import permissions
from catalog.errors import ImportNotFound, NotAllowed, UnreadableFile
from catalog.importer import ImportReport, import_file
from catalog.iso2709 import RECORD_TERMINATOR
from catalog.libraries import get_library, list_libraries
from catalog.models import ImportBatch, ImportRejection, Library

log = logging.getLogger(__name__)

RECENT = 50
WAIT_SECONDS = 2  # how long the upload's request waits for its import before showing the progress instead
THREAD_NAME = "catalog-import"
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
STALE_UPLOAD_SECONDS = 24 * 3600  # an upload this old was left by an import whose process died (killed, a crash)
COUNTS = ("total", "new", "updated", "unchanged", "deleted", "rejected")
DOWNLOAD_TYPES = {
    "iso2709": ("mrc", "application/marc"),
    "marcxml": ("xml", "application/marcxml+xml"),
    "json": ("jsonl", "application/x-ndjson"),
}


def import_upload(engine: Engine, upload: BinaryIO | None, file_name: str, upload_dir: str, **options) -> ImportReport:
    """Keep the upload in a temporary file (imports stream from disk), import it, then remove it."""
    path = save_upload(upload, file_name, upload_dir)
    try:
        return import_file(engine, path, file_name=file_name, **options)
    finally:
        path.unlink(missing_ok=True)


def save_upload(upload: BinaryIO | None, file_name: str, upload_dir: str) -> Path:
    """Write the upload to a file of its own under upload_dir; whoever imports it removes it."""
    if upload is None or not file_name:
        raise UnreadableFile(_("Chưa chọn tệp MARC để nhập."))
    Path(upload_dir).mkdir(parents=True, exist_ok=True)
    _remove_stale_uploads(Path(upload_dir))
    handle, name = tempfile.mkstemp(dir=upload_dir, suffix=".upload")
    try:
        with os.fdopen(handle, "wb") as saved:
            while block := upload.read(1 << 20):
                saved.write(block)
    except BaseException:
        Path(name).unlink(missing_ok=True)  # a full disk keeps no part of the upload, and gets its space back
        raise
    return Path(name)


def _remove_stale_uploads(folder: Path) -> None:
    """Uploads that a killed process left: an import removes its own however it ends, unless its process dies."""
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for path in folder.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another process removed it first
            pass


class BackgroundImport:
    """An import running in a thread of the web process, so that a large file need not hold its request."""

    def __init__(self, engine: Engine, path: Path, context: RequestContext, options: dict):
        self.batch_id: int | None = None
        self._error: BaseException | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(engine, path, context, options),
                                        name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        """Start, and wait until the batch is open: an error before that is raised here, to the request."""
        self._thread.start()
        self._opened.wait()
        if self._error is not None:
            raise self._error

    def wait(self, seconds: float) -> None:
        """Wait up to `seconds` for the import to end (its page shows the progress meanwhile)."""
        self._thread.join(seconds)

    def _run(self, engine: Engine, path: Path, context: RequestContext, options: dict) -> None:
        try:
            with context:
                import_file(engine, path, opened=self._batch_opened, **options)
        except BaseException as error:  # noqa: BLE001 - a thread has no caller: hand it over, or log it
            if self._opened.is_set():  # the importer has marked the batch interrupted; its page says so
                log.exception("import of batch %s stopped", self.batch_id)
            else:
                self._error = error
        finally:
            path.unlink(missing_ok=True)
            self._opened.set()

    def _batch_opened(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self._opened.set()


def start_import_for(actor, engine: Engine, db: Session, upload: BinaryIO | None, file_name: str,
                     upload_dir: str, library_code: str | None, **options) -> BackgroundImport:
    """Start an actor's import in the background, once its batch is open; earlier errors are raised here."""
    library_code = import_library(db, actor, library_code)
    context = _request_context_for_thread()
    path = save_upload(upload, file_name, upload_dir)
    job = BackgroundImport(engine, path, context, dict(options, file_name=file_name, library_code=library_code,
                                                        user=actor.username))
    job.start()
    return job


def _request_context_for_thread() -> RequestContext:
    """A request context of the thread's own, built from this request's headers.

    The import goes on after the response, yet acts for the same user, from the same address, in the same
    language (its audit row, its messages). Flask's request object may not be shared with another thread, so
    the thread gets a new one, without the body: only the environment's plain values are kept.
    """
    environ = {key: value for key, value in request.environ.items() if isinstance(value, str)}
    return current_app.request_context({**environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})


def import_for(actor, engine: Engine, db: Session, upload: BinaryIO | None, file_name: str, upload_dir: str,
               library_code: str | None, **options) -> ImportReport:
    """Import an upload on behalf of a signed-in actor, into a library the actor may import for."""
    library_code = import_library(db, actor, library_code)
    return import_upload(engine, upload, file_name, upload_dir, library_code=library_code, user=actor.username,
                         **options)


def import_library(db: Session, actor, library_code: str | None) -> str | None:
    """The library an actor's import goes to: the one named, else a librarian's own, else None (from 003)."""
    library_code = (library_code or "").strip().upper() or permissions.own_library(actor)
    if not permissions.can_import(actor, library_code):
        own = permissions.own_library(actor)
        raise NotAllowed(_("Bạn chỉ được nhập biểu ghi cho thư viện của mình (%(own)s).", own=own) if own else
                         _("Bạn không có quyền nhập biểu ghi."))
    return get_library(db, library_code).code if library_code else None


def importable_libraries(db: Session, actor) -> list[Library]:
    """The libraries an actor may choose on the upload page."""
    return [library for library in list_libraries(db) if permissions.can_import(actor, library.code)]


def recent_batches(db: Session) -> list[ImportBatch]:
    return list(db.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(RECENT)))


def get_batch(db: Session, batch_id: int) -> ImportBatch:
    # A number beyond the id column's range is no batch; the database would refuse to compare with it.
    batch = db.get(ImportBatch, batch_id) if 0 < batch_id <= LARGEST_ID else None
    if batch is None:
        raise ImportNotFound(_("Không có lần nhập số %(number)s.", number=batch_id))
    return batch


def batch_progress(db: Session, batch_id: int) -> dict:
    """How far a batch has come: its state, the percent of its file read and its counts so far."""
    batch = get_batch(db, batch_id)
    return {"batch": batch.id, "status": batch.state, "percent": batch.percent, "file_size": batch.file_size,
            "bytes_read": batch.bytes_read, **{name: getattr(batch, name) for name in COUNTS}}


def batch_rejections(db: Session, batch_id: int) -> list[ImportRejection]:
    query = select(ImportRejection).where(ImportRejection.batch_id == batch_id).order_by(ImportRejection.position)
    return list(db.scalars(query))


def rejected_file(db: Session, batch_id: int) -> tuple[bytes, str, str]:
    """The rejected records' own bytes in one file of the batch's format, for mending in the library's tools."""
    batch = get_batch(db, batch_id)
    raws = [rejection.raw for rejection in batch_rejections(db, batch_id) if rejection.raw]
    extension, mimetype = DOWNLOAD_TYPES.get(batch.format or "iso2709", DOWNLOAD_TYPES["iso2709"])
    if batch.format == "marcxml":
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
        body += b"\n".join(raws) + b"\n</collection>\n"
    elif batch.format == "json":
        body = b"".join(raw.rstrip(b"\n") + b"\n" for raw in raws)
    else:
        body = b"".join(raw if raw.endswith(RECORD_TERMINATOR) else raw + RECORD_TERMINATOR for raw in raws)
    return body, f"bi-tu-choi-lan-nhap-{batch_id}.{extension}", mimetype
