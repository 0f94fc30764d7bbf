"""Back up the database: every table, read in one snapshot, into one file (the format: operations.backup_file)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Table, Text, cast, select

from operations import backup_file, revisions, tables, transactions
from operations.backup_file import Header, TableInfo, column_kind
from operations.errors import NoSchema
from search_index import store

BATCH = 2000  # rows fetched at a time through a server-side cursor: memory stays flat at a million records


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    header: Header
    size: int  # bytes


def make_backup(url: str, path: Path, index_dir: str,
                progress: Callable[[int], None] | None = None) -> BackupSummary:
    with transactions.snapshot(url) as conn:
        revision = revisions.current(conn)
        if revision is None:
            raise NoSchema()
        found = tables.reflect(conn)
        header = Header(revision=revision, created_at=datetime.now(timezone.utc).replace(microsecond=0),
                        database=conn.dialect.name, index=index_generation(index_dir),
                        tables=tuple(_describe(conn, table) for table in found))
        with backup_file.writing(path) as writer:
            writer.header(header)
            for table, info in zip(found, header.tables):
                for rows in _rows(conn, table, info):
                    writer.rows(info, rows)
                    if progress is not None:
                        progress(len(rows))
    return BackupSummary(path, header, path.stat().st_size)


def index_generation(directory: str) -> dict | None:
    """The index in use (INDEX_DIR/CURRENT) and how far it had applied the change feed, for the record.

    Read from the files rather than through search_index.store, which creates an empty index where there is
    none: a backup changes nothing."""
    root = Path(directory)
    try:
        current = (root / store.CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    if not current:
        return None
    try:
        watermark = int((root / current / store.WATERMARK).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        watermark = 0
    return {"current": current, "watermark": watermark}


def _describe(conn: Connection, table: Table) -> TableInfo:
    columns = tuple((column.name, column_kind(table.name, column.name, column.type)) for column in table.columns)
    return TableInfo(table.name, columns, tables.count_rows(conn, table))


def _rows(conn: Connection, table: Table, info: TableInfo) -> Iterator[list]:
    # JSON columns as their stored text: SQLAlchemy would read SQL NULL and a JSON null both as None.
    selected = [cast(column, Text) if kind == "json" else column
                for column, (_name, kind) in zip(table.columns, info.columns)]
    statement = select(*selected).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
    yield from conn.execute(statement).partitions()
