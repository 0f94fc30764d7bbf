"""Import batches as librarians see them: the upload, the report, the rejected records."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import permissions
from catalog.errors import ImportNotFound, NotAllowed, UnreadableFile
from catalog.importer import ImportReport, import_file
from catalog.iso2709 import RECORD_TERMINATOR
from catalog.libraries import get_library, list_libraries
from catalog.models import ImportBatch, ImportRejection, Library

RECENT = 50
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
DOWNLOAD_TYPES = {
    "iso2709": ("mrc", "application/marc"),
    "marcxml": ("xml", "application/marcxml+xml"),
    "json": ("jsonl", "application/x-ndjson"),
}


def import_upload(engine: Engine, upload: BinaryIO, file_name: str, upload_dir: str, **options) -> ImportReport:
    """Keep the upload in a temporary file (imports stream from disk), import it, then remove it."""
    if not file_name:
        raise UnreadableFile(_("Chưa chọn tệp MARC để nhập."))
    Path(upload_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=upload_dir, suffix=".upload") as temporary:
        while block := upload.read(1 << 20):
            temporary.write(block)
        temporary.flush()
        return import_file(engine, Path(temporary.name), file_name=file_name, **options)


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
