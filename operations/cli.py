"""`flask --app app backup FILE` and `flask --app app restore FILE [--replace]`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, ProgrammingError
from tqdm import tqdm

import database
from catalog.cli import USAGE_ERROR
from i18n import moment, number
from operations.backup import make_backup
from operations.errors import OperationsError
from operations.restore import restore
from search_index import indexer
from search_index.store import IndexBusy

INDEX_NOT_REBUILT = 1  # the database is restored; only the index is behind


def _fail(message: str, status: int = USAGE_ERROR) -> None:
    click.echo(_("Lỗi: %(message)s", message=message), err=True)
    sys.exit(status)


def _database_unusable(error) -> str:
    return _("Không dùng được cơ sở dữ liệu (%(error)s).", error=str(error.orig).strip().splitlines()[0])


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write every table of the database, read in one snapshot, to FILE (gzip'd JSON lines)."""
    config = current_app.config
    try:
        with tqdm(desc=_("Sao lưu"), unit=" dòng", file=sys.stderr, disable=None) as bar:
            summary = make_backup(config["DATABASE_URL"], file, config["INDEX_DIR"], progress=bar.update)
    except OperationsError as error:
        _fail(error.message)
    except (OperationalError, ProgrammingError) as error:
        _fail(_database_unusable(error))
    except OSError as error:
        _fail(_("Không ghi được tệp “%(file)s”: %(error)s", file=file, error=error.strerror or error))
    header = summary.header
    click.echo(_("Đã sao lưu vào %(file)s: %(tables)s bảng, %(rows)s dòng, %(size)s MB (cơ sở dữ liệu %(database)s, "
                 "lược đồ %(revision)s).", file=file, tables=number(len(header.tables)), rows=number(header.rows),
                 size=format_decimal(round(summary.size / 2**20, 1)), database=header.database,
                 revision=header.revision))
    for table in header.tables:
        click.echo(f"  {table.name:<22} {number(table.rows):>12}")
    click.echo(_index_note(header.index))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete the data the database holds first, in the same transaction.")
@with_appcontext
def restore_command(file: Path, replace: bool) -> None:
    """Restore a backup into an empty database, then rebuild the search index from it."""
    config = current_app.config
    try:
        with tqdm(desc=_("Phục hồi"), unit=" dòng", file=sys.stderr, disable=None) as bar:
            summary = restore(config["DATABASE_URL"], file, replace=replace, progress=bar.update)
    except OperationsError as error:
        _fail(error.message)
    except (OperationalError, ProgrammingError) as error:
        _fail(_database_unusable(error))
    except OSError:  # the file could not be opened: reading errors past that are OperationsError
        _fail(_("Không đọc được tệp “%(name)s”: tệp không tồn tại hoặc không có quyền đọc.", name=file))
    header = summary.header
    click.echo(_("Đã phục hồi %(file)s (sao lưu lúc %(time)s từ %(database)s, lược đồ %(revision)s): %(tables)s "
                 "bảng, %(rows)s dòng.", file=file, time=moment(header.created_at), database=header.database,
                 revision=header.revision, tables=number(len(header.tables)), rows=number(header.rows)))
    if summary.upgraded_to:
        click.echo(_("Lược đồ đã được nâng lên phiên bản %(revision)s sau khi nạp.", revision=summary.upgraded_to))
    click.echo(_index_note(header.index) + " " + _("Chỉ mục không nằm trong bản sao lưu: lập lại từ cơ sở dữ liệu."))
    try:
        with tqdm(desc=_("Lập chỉ mục"), unit=" ấn bản", file=sys.stderr, disable=None) as bar:
            count = indexer.rebuild(database.session(), config["INDEX_DIR"], progress=bar.update,
                                    memory_mb=config["SEARCH_WRITER_MB"])
    except (IndexBusy, OSError) as error:  # busy, or its folder full or read-only: the database is restored
        _fail(_("Cơ sở dữ liệu đã được phục hồi, nhưng chưa lập lại được chỉ mục tìm kiếm (%(error)s). Hãy chạy "
                "“flask --app app search rebuild”.", error=error), INDEX_NOT_REBUILT)
    click.echo(_("Đã lập lại chỉ mục tìm kiếm từ cơ sở dữ liệu: %(count)s ấn bản.", count=number(count)))


def _index_note(index: dict | None) -> str:
    if index is None:
        return _("Lúc sao lưu chưa có chỉ mục tìm kiếm.")
    return _("Chỉ mục tìm kiếm lúc sao lưu: %(name)s, đã áp dụng đến thay đổi số %(watermark)s.",
             name=index["current"], watermark=index["watermark"])


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
