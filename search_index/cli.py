"""`flask search rebuild` and `flask search sync`."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from tqdm import tqdm

import database
from search_index import indexer

search_cli = AppGroup("search", help="Chỉ mục tìm kiếm (dẫn xuất từ cơ sở dữ liệu).")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database."""
    with tqdm(desc=_("Lập chỉ mục"), unit=" bản ghi", file=sys.stderr, disable=None) as bar:
        count = indexer.rebuild(database.session(), current_app.config["INDEX_DIR"], progress=bar.update,
                                memory_mb=current_app.config["SEARCH_WRITER_MB"])
    click.echo(_("Đã lập chỉ mục %(count)s bản ghi.", count=count))


@search_cli.command("sync")
def sync_command() -> None:
    """Apply the catalog changes not yet in the index."""
    count = indexer.sync(database.session(), current_app.config["INDEX_DIR"], wait=indexer.LOCK_WAIT_SECONDS)
    click.echo(_("Đã cập nhật %(count)s bản ghi vào chỉ mục.", count=count))
