"""`flask search rebuild`, `flask search sync` and `flask search follow`."""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from tqdm import tqdm

import database
from search_index import indexer
from search_index.store import IndexBusy

search_cli = AppGroup("search", help="Chỉ mục tìm kiếm (dẫn xuất từ cơ sở dữ liệu).")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database."""
    with _index_errors(), tqdm(desc=_("Lập chỉ mục"), unit=" bản ghi", file=sys.stderr, disable=None) as bar:
        count = indexer.rebuild(database.session(), current_app.config["INDEX_DIR"], progress=bar.update,
                                memory_mb=current_app.config["SEARCH_WRITER_MB"])
    click.echo(_("Đã lập chỉ mục %(count)s bản ghi.", count=count))


@search_cli.command("sync")
def sync_command() -> None:
    """Apply the catalog changes not yet in the index."""
    with _index_errors():
        count = indexer.sync(database.session(), current_app.config["INDEX_DIR"], wait=indexer.LOCK_WAIT_SECONDS)
    click.echo(_("Đã cập nhật %(count)s bản ghi vào chỉ mục.", count=count))


@contextmanager
def _index_errors():
    """What the operator can act on, in a sentence, instead of a traceback; the catalog itself is untouched."""
    try:
        yield
    except IndexBusy:
        raise click.ClickException(_("Chỉ mục tìm kiếm đang được tiến trình khác ghi (một lần lập lại hoặc trình "
                                     "theo dõi thay đổi); hãy thử lại sau ít phút.")) from None
    except OSError as error:
        raise click.ClickException(_("Không ghi được chỉ mục tìm kiếm vào %(folder)s (%(error)s). Hãy kiểm tra chỗ "
                                     "trống trên đĩa và quyền ghi, rồi chạy lại lệnh; cơ sở dữ liệu không bị ảnh "
                                     "hưởng.", folder=current_app.config["INDEX_DIR"], error=error)) from None


@search_cli.command("follow")
@click.option("--poll", default=0.5, show_default=True, help="Seconds between looks at the change feed.")
@click.option("--nice", "niceness", default=10, show_default=True,
              help="How much lower than the web workers' this process's CPU priority is.")
@click.option("--exit-with-parent", is_flag=True, help="Stop when the process that started this one dies.")
def follow_command(poll: float, niceness: float, exit_with_parent: bool) -> None:
    """Keep the index up to date as the catalog changes, until stopped (SIGTERM or Ctrl-C)."""
    from search_index.follower import follow, parent_gone

    os.nice(int(niceness))
    stopping = []  # a plain flag: the handler may run in the middle of anything the main thread does
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    orphaned = parent_gone(os.getppid()) if exit_with_parent else (lambda: False)
    try:
        follow(current_app._get_current_object(), lambda: bool(stopping) or orphaned(), poll)
    except KeyboardInterrupt:
        pass
