"""Command-line interface of the catalog: libraries, import, dump."""
from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, ProgrammingError
from tqdm import tqdm

import database
from catalog import dump as dump_module
from catalog import harvest as harvest_module
from catalog import libraries as library_service
from catalog.changes import notify_changed
from catalog.editions import cluster_pending, recluster_everything, sync_pending
from catalog.errors import CatalogError
from catalog.importer import ENCODING_CHOICES, ImportReport, import_file
from catalog.marc_reader import FORMATS
from catalog.record_source import DEFAULT_WORKERS
from catalog.models import LIBRARY_KINDS

libraries_cli = AppGroup("libraries", help="Thư viện thành viên và thư viện được phục vụ.")
catalog_cli = AppGroup("catalog", help="Mục lục: nhập và xuất biểu ghi MARC.")

USAGE_ERROR = 2


def _fail(message: str) -> None:
    click.echo(_("Lỗi: %(message)s", message=message), err=True)
    sys.exit(USAGE_ERROR)


@libraries_cli.command("list")
def list_libraries() -> None:
    """List the libraries."""
    for library in library_service.list_libraries(database.session()):
        click.echo(f"{library.code:8} {library.org_code:8} {library.kind:9} {library.name}")


@libraries_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice(LIBRARY_KINDS), default="member", show_default=True)
@click.option("--org-code", default=None, help="MARC organization code (003); defaults to CODE.")
@click.option("--province", default=None)
def add_library(code: str, name: str, kind: str, org_code: str | None, province: str | None) -> None:
    """Add a library (the audit log names the runner as cli:<login name>)."""
    try:
        with database.transaction() as db:
            library = library_service.add_library(db, code, name, kind, org_code, province, actor=cli_actor())
            click.echo(_("Đã thêm thư viện %(code)s (%(org)s): %(name)s", code=library.code, org=library.org_code,
                         name=library.name))
    except CatalogError as error:
        _fail(error.message)


@catalog_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--library", "library_code", default=None, help="Library code; default: from 003 or 852$a.")
@click.option("--format", "fmt", type=click.Choice(("auto", *FORMATS)), default="auto", show_default=True)
@click.option("--encoding", type=click.Choice(ENCODING_CHOICES), default="auto", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would happen without writing anything.")
@click.option("--workers", type=click.IntRange(1, 32), default=DEFAULT_WORKERS, show_default=True,
              help="Processes that read large ISO 2709 files.")
def import_command(files, library_code, fmt, encoding, dry_run, workers) -> None:
    """Import MARC files (ISO 2709, MARCXML, MARC-in-JSON)."""
    for path in files:  # every argument is checked before anything is written
        if not path.is_file() or not os.access(path, os.R_OK):
            _fail(_("Không đọc được tệp “%(name)s”: tệp không tồn tại hoặc không có quyền đọc.", name=path))
        if path.stat().st_size == 0:
            _fail(_("Tệp “%(name)s” rỗng: không có bản ghi nào để nhập.", name=path))
    try:
        if library_code:
            library_code = library_service.get_library(database.session(), library_code).code
        for path in files:
            with tqdm(desc=path.name, unit=" bản ghi", file=sys.stderr, disable=None) as bar:
                report = import_file(database.engine(), path, library_code=library_code, fmt=fmt,
                                     encoding=encoding, dry_run=dry_run, user=cli_actor(),
                                     progress=bar.update, workers=workers)
            click.echo(format_report(report))
    except CatalogError as error:
        _fail(error.message)
    except (OperationalError, ProgrammingError) as error:
        _fail(_("Không dùng được cơ sở dữ liệu (%(error)s). Đã chạy “flask --app app init” chưa?",
                error=str(error.orig).strip().splitlines()[0]))


def cli_actor() -> str:
    """Who runs a command, as import batches and the audit log name them: cli:<login name>."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli:unknown"


def format_report(report: ImportReport) -> str:
    """The import summary as plain text, rejections listed with position, offset, 001 and reason."""
    head = _("THỬ (không ghi gì): ") if report.dry_run else ""
    summary = _("%(file)s [%(format)s]: %(total)s bản ghi — mới %(new)s, cập nhật %(updated)s, không đổi "
                "%(unchanged)s, xóa %(deleted)s, bị từ chối %(rejected)s", file=report.file_name,
                format=report.format, total=report.total, new=report.new, updated=report.updated,
                unchanged=report.unchanged, deleted=report.deleted, rejected=report.rejected)
    if report.repaired:
        summary += _(", đã sửa cấu trúc %(count)s", count=report.repaired)
    lines = [head + summary]
    for rejection in report.rejections:
        offset = "" if rejection.byte_offset is None else f", byte {rejection.byte_offset}"
        control = f", 001 {rejection.control_number}" if rejection.control_number else ""
        lines.append(_("  - bản ghi #%(number)s", number=rejection.position + 1) + f"{offset}{control}: {rejection.reason}")
    return "\n".join(lines)


@catalog_cli.command("harvest")
@click.argument("url")
@click.option("--library", "library_code", required=True, help="Library the records are harvested into.")
@click.option("--set", "set_spec", default=None, help="Only this OAI set (setSpec).")
@click.option("--from", "since", default=None,
              help="Changes from this UTC date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ); default: since the last harvest.")
def harvest_command(url, library_code, set_spec, since) -> None:
    """Harvest a library's records over OAI-PMH (MARCXML) into the catalog."""
    try:
        with tqdm(desc=url[-40:], unit=" bản ghi", file=sys.stderr, disable=None) as bar:
            report = harvest_module.harvest(url, library_code, set_spec, since, user=cli_actor(), progress=bar.update)
    except CatalogError as error:
        _fail(error.message)
    except (OperationalError, ProgrammingError) as error:
        _fail(_("Không dùng được cơ sở dữ liệu (%(error)s). Đã chạy “flask --app app init” chưa?",
                error=str(error.orig).strip().splitlines()[0]))
    click.echo(format_harvest(report))


def format_harvest(report: harvest_module.HarvestReport) -> str:
    """What a harvest asked for and received, then the import's own summary."""
    asked = _("thay đổi từ %(since)s", since=report.since) if report.since else _("toàn bộ")
    lines = [_("Thu hoạch %(url)s%(set)s (%(asked)s): nhận %(received)s bản ghi, %(deleted)s bản ghi đã xóa ở nguồn "
               "(%(applied)s xóa ở đây)", url=report.url, set=f" [{report.set_spec}]" if report.set_spec else "",
               asked=asked, received=report.received, deleted=report.deleted_headers, applied=report.deletions)]
    if report.skipped:
        lines.append(_("  - %(count)s bản ghi không có MARCXML, bỏ qua", count=report.skipped))
    lines.append(format_report(report.imported) if report.imported else _("Không có gì thay đổi."))
    return "\n".join(lines)


@catalog_cli.command("dump")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def dump_command(output) -> None:
    """Write every record as one JSON object per line, with the edition it belongs to."""
    cluster_pending(database.engine())  # records an interrupted import left unclustered get their edition
    for row in dump_module.dump_rows(database.session()):
        output.write(json.dumps(row, ensure_ascii=False) + "\n")


@catalog_cli.command("editions")
@click.option("--all", "everything", is_flag=True,
              help="Gom lại toàn bộ mục lục (sau khi đổi quy tắc so khớp), thay vì chỉ các biểu ghi mới nhập.")
def editions_command(everything: bool) -> None:
    """Group records into editions: those written since the last time, or (--all) every record."""
    with database.engine().begin() as conn:
        outcome = recluster_everything(conn) if everything else sync_pending(conn)
    notify_changed()
    click.echo(_("Đã gom %(records)s biểu ghi; %(editions)s ấn bản thay đổi thành phần.",
                 records=outcome.records, editions=outcome.editions_changed))


def init_app(app) -> None:
    app.cli.add_command(libraries_cli)
    app.cli.add_command(catalog_cli)
