"""Import MARC files into the union catalog: every record is new, updated, unchanged, deleted or rejected."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from blinker import Namespace
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import Connection, Engine, insert, select, update

from catalog.changes import notify_changed
from catalog.errors import UnknownFormat, UnreadableFile
from catalog.libraries import UNION_ORG_CODE, normalize_org_code
from catalog.marc_reader import FORMATS, SNIFF_BYTES, detect_format
from catalog.models import (CONTROL_NUMBER_LENGTH, ORG_CODE_LENGTH, ImportBatch, ImportRejection, Library,
                            utcnow)
from catalog.read_item import ReadItem
from catalog.record_data import RecordData
from catalog.record_source import mapped_items
from catalog.record_store import PreparedRecord, store_chunk

CHUNK_SIZE = 1000
PULSE_SECONDS = 1.0  # between writes of how far a running import has read, when chunks take longer
PULSE_RECORDS = 100  # records between looks at the clock
ENCODING_CHOICES = ("auto", "utf-8", "marc-8", "tcvn3", "vni", "cp1258")

# Sent (sender: the Flask app) after an import that wrote to the catalog; whoever keeps the audit log listens.
batch_imported = Namespace().signal("batch-imported")


@dataclass(frozen=True)
class Rejection:
    position: int
    byte_offset: int | None
    control_number: str | None
    reason: str
    raw: bytes = b""


@dataclass
class ImportReport:
    """What an import did, for the command line and the upload page alike."""

    file_name: str
    format: str
    dry_run: bool
    batch_id: int | None = None
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    repaired: int = 0
    rejections: list[Rejection] = field(default_factory=list)


class _Libraries:
    """The libraries an import can assign records to, looked up by organization code."""

    def __init__(self, conn: Connection, library_code: str | None):
        rows = conn.execute(select(Library.id, Library.code, Library.org_code)).all()
        self.by_org = {normalize_org_code(row.org_code): row for row in rows}
        self.forced = next((row for row in rows if row.code == library_code), None) if library_code else None

    def owner(self, data: RecordData):
        """The library a record belongs to: the one named on the command line, else its 003, else its 852$a."""
        if self.forced is not None:
            return self.forced
        for code in _org_codes(data):
            row = self.by_org.get(normalize_org_code(code))
            if row is not None:
                return row
        return None

    def holding(self, org: str | None, default_id: int) -> int:
        row = self.by_org.get(normalize_org_code(org or ""))
        return row.id if row is not None else default_id


def _org_codes(data: RecordData) -> list[str]:
    codes = [data.org_code] + [copy.holding_org for copy in data.copies]
    return [code for code in codes if code]


def import_file(engine: Engine, path: Path, *, file_name: str | None = None, library_code: str | None = None,
                fmt: str = "auto", encoding: str = "auto", dry_run: bool = False, user: str = "cli",
                progress: Callable[[int], None] | None = None, workers: int = 1,
                opened: Callable[[int], None] | None = None) -> ImportReport:
    """Import one file; with dry_run everything happens in a transaction that is rolled back.

    `opened` is called with the batch id once the batch is committed (not on a dry run): errors found
    before then (an empty file, an unknown format) are raised before it.
    """
    if fmt not in ("auto", *FORMATS):
        raise UnknownFormat(_("Định dạng “%(format)s” không được hỗ trợ; chọn một trong: %(formats)s.",
                              format=fmt, formats=", ".join(("auto", *FORMATS))))
    checksum = _checksum(path)
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile(_("Tệp “%(name)s” rỗng: không có bản ghi nào để nhập.", name=file_name or path.name))
    forced = None if encoding == "auto" else encoding
    with path.open("rb") as stream, engine.connect() as conn:
        if fmt == "auto":
            fmt = detect_format(stream.peek(SNIFF_BYTES)[:SNIFF_BYTES])
        report = ImportReport(file_name or path.name, fmt, dry_run)
        dry_transaction = conn.begin() if dry_run else None
        try:
            with _unit(conn, dry_run):
                libraries = _Libraries(conn, library_code)
                report.batch_id = _open_batch(conn, report, libraries.forced, checksum, forced, user, size)
            if opened is not None and not dry_run:
                opened(report.batch_id)
            items = mapped_items(stream, fmt, forced, workers, size)
            _run(conn, report, libraries, items, dry_run, progress, _Pulse(stream, size))
        except BaseException:
            if not dry_run and report.batch_id is not None:
                _mark_interrupted(conn, report.batch_id)
                notify_changed()  # the chunks committed before the failure are in the catalog
            raise
        finally:
            if dry_transaction is not None:
                dry_transaction.rollback()
    if not dry_run:
        notify_changed()  # editions are re-clustered, then the index follows
        if has_app_context():
            batch_imported.send(current_app._get_current_object(), report=report, user=user,
                                library_code=library_code)
    return report


def _mark_interrupted(conn: Connection, batch_id: int) -> None:
    # Best effort: the chunks already committed stay; running the same import again completes it.
    try:
        conn.rollback()
        with conn.begin():
            conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(status="interrupted"))
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    except OSError as error:
        raise UnreadableFile(_("Không đọc được tệp “%(name)s”: %(error)s.", name=path,
                               error=error.strerror or error)) from None
    return digest.hexdigest()


def _unit(conn: Connection, dry_run: bool):
    """A unit of work: its own committed transaction, or part of the dry run's single one."""
    return nullcontext() if dry_run else conn.begin()


def _open_batch(conn, report: ImportReport, library, checksum: str, forced: str | None, user: str,
                size: int) -> int:
    conn.execute(
        update(ImportBatch).where(ImportBatch.checksum == checksum, ImportBatch.status == "running")
        .values(status="interrupted")
    )
    return conn.execute(
        insert(ImportBatch).returning(ImportBatch.id),
        {"library_id": library.id if library else None, "file_name": report.file_name[:255], "checksum": checksum,
         "format": report.format, "forced_encoding": forced, "created_by": user, "file_size": size},
    ).scalar_one()


class _Pulse:
    """How far an import has read its file, for its batch row: pages show it as progress, and its heartbeat
    tells an import that is running from one whose process died."""

    def __init__(self, stream: BinaryIO, size: int):
        self.stream, self.size = stream, size
        self.offset: int | None = None  # where the last record began, when its reader says (ISO 2709 does)
        self.last = time.monotonic()

    def passed(self, item: ReadItem) -> None:
        if item.offset is not None:
            self.offset = item.offset

    def due(self, records: int) -> bool:
        """Whether to write between chunks: only when a chunk is slow to fill, so the page stays live."""
        return records % PULSE_RECORDS == 0 and time.monotonic() - self.last >= PULSE_SECONDS

    def values(self, final: bool = False) -> dict:
        self.last = time.monotonic()
        # A record's offset is exact; the file's position runs ahead by what the reader holds (up to 1 MB).
        read = self.size if final else self.offset if self.offset is not None else self.stream.tell()
        return {"bytes_read": read, "heartbeat_at": utcnow()}


def _run(conn, report: ImportReport, libraries: _Libraries, items, dry_run: bool, progress,
         pulse: _Pulse) -> None:
    chunk: list[PreparedRecord] = []
    rejections: list[Rejection] = []
    seen: dict[tuple, int] = {}  # record key -> position of its first occurrence in this file
    for item in items:
        report.total += 1
        pulse.passed(item)
        prepared = _prepare(item, libraries, rejections)
        if prepared is not None and prepared.key in seen:
            rejections.append(Rejection(item.position, item.offset, prepared.control_number, _(
                "Số kiểm soát (001) “%(number)s” trùng với bản ghi #%(first)s trong cùng tệp: bản ghi sau không "
                "được nhập để không ghi đè bản ghi trước.", number=prepared.control_number,
                first=seen[prepared.key] + 1), item.raw))
        elif prepared is not None:
            seen[prepared.key] = item.position
            report.repaired += item.note is not None
            chunk.append(prepared)
        if len(chunk) + len(rejections) >= CHUNK_SIZE:
            _flush(conn, report, chunk, rejections, dry_run, pulse)
        elif not dry_run and pulse.due(report.total):
            _beat(conn, report.batch_id, pulse)
        if progress is not None:
            progress(1)
    if report.total == 0:  # the file itself is the one unreadable item
        report.total = 1
        rejections.append(Rejection(0, 0, None, _("Không tìm thấy bản ghi MARC nào trong tệp.")))
    _flush(conn, report, chunk, rejections, dry_run, pulse, final=True)


def _prepare(item: ReadItem, libraries: _Libraries, rejections: list[Rejection]) -> PreparedRecord | None:
    if item.problem is not None:
        rejections.append(Rejection(item.position, item.offset, item.control_number, item.problem, item.raw))
        return None
    data, reason = item.data, None
    owner = libraries.owner(data)
    if not data.control_number:
        reason = _("Bản ghi không có số kiểm soát (trường 001): không thể nhận diện để cập nhật về sau.")
    elif len(data.control_number) > CONTROL_NUMBER_LENGTH or len(data.org_code or "") > ORG_CODE_LENGTH:
        reason = _("Số kiểm soát (001) hoặc mã tổ chức (003) dài quá %(limit)s ký tự: trường này có lẽ bị hỏng.",
                   limit=CONTROL_NUMBER_LENGTH)
    elif owner is None:
        reason = _no_owner_reason(data)
    if reason is not None:
        rejections.append(Rejection(item.position, item.offset, data.control_number or item.control_number,
                                    reason, item.raw))
        return None
    org_code = normalize_org_code(data.org_code or owner.org_code)
    if org_code == UNION_ORG_CODE:
        # The union's own record (an edition export): its 852s say which members hold the book, not what
        # copies the importing library has.
        data = replace(data, copies=())
    holders = tuple(libraries.holding(copy.holding_org, owner.id) for copy in data.copies)
    return PreparedRecord(item.position, owner.id, org_code, data.control_number, item.marc,
                          hashlib.sha256(item.marc).hexdigest(), item.encoding or "utf-8", data, holders)


def _no_owner_reason(data: RecordData) -> str:
    codes = _org_codes(data)
    if not codes:
        return _("Không xác định được thư viện sở hữu: bản ghi không có trường 003 hay 852$a. "
                 "Hãy chọn thư viện khi nhập (--library).")
    return _("Không xác định được thư viện sở hữu: mã tổ chức “%(org)s” (003/852$a) không thuộc thư viện nào "
             "trong Liên hiệp. Hãy chọn thư viện khi nhập (--library) hoặc thêm thư viện đó.", org=codes[0])


def _beat(conn: Connection, batch_id: int, pulse: _Pulse) -> None:
    with conn.begin():
        conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(**pulse.values()))


def _flush(conn, report: ImportReport, chunk: list[PreparedRecord], rejections: list[Rejection], dry_run: bool,
           pulse: _Pulse, final: bool = False) -> None:
    with _unit(conn, dry_run):
        outcome = store_chunk(conn, report.batch_id, chunk)
        if rejections:
            conn.execute(insert(ImportRejection), [
                {"batch_id": report.batch_id, "position": r.position, "byte_offset": r.byte_offset,
                 "control_number": r.control_number, "reason": r.reason, "raw": r.raw}
                for r in rejections])
        report.new += outcome.new
        report.updated += outcome.updated
        report.unchanged += outcome.unchanged
        report.deleted += outcome.deleted
        report.rejected += len(rejections)
        report.rejections += [Rejection(r.position, r.byte_offset, r.control_number, r.reason) for r in rejections]
        conn.execute(update(ImportBatch).where(ImportBatch.id == report.batch_id).values(
            total=report.total, new=report.new, updated=report.updated, unchanged=report.unchanged,
            deleted=report.deleted, rejected=report.rejected, **pulse.values(final),
            **({"status": "completed", "finished_at": utcnow()} if final else {})))
    chunk.clear()
    rejections.clear()
