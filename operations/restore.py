"""Restore a backup into an empty database (or one emptied first, on request), all in one transaction.

The schema is made by the migrations at the backup's revision, the rows go in, and the migrations then bring
the schema to this code's newest revision (data migrations included). A failure anywhere, a damaged line or
the database refusing a row, rolls everything back. The search index is not in the backup: the caller
rebuilds it from the restored database.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Boolean, Column, Connection, DateTime, Integer, LargeBinary, MetaData, Table, Text
from sqlalchemy.exc import DBAPIError

from bulk import bulk_insert, bulk_update
from operations import backup_file, revisions, tables, transactions
from operations.backup_file import Header, Reader, TableInfo, column_kind
from operations.errors import (BackupTooNew, DatabaseNotEmpty, RestoreRefused, SchemaMismatch,
                               UnknownDatabaseRevision)

BATCH = 5000  # rows per insert (COPY on PostgreSQL)
# The column types rows are inserted as. Dates go as their ISO text, which is how SQLite stores a date and
# what PostgreSQL's COPY reads (bulk.py has no COPY type for dates); JSON as the stored text, unchanged.
INSERT_TYPES = {"integer": Integer, "bigint": BigInteger, "text": Text, "boolean": Boolean, "bytes": LargeBinary,
                "json": Text, "date": Text, "datetime": DateTime}


@dataclass(frozen=True)
class RestoreSummary:
    header: Header
    upgraded_to: str | None  # the revision the schema was brought to after loading, when newer than the backup's


def restore(url: str, path: Path, replace: bool = False,
            progress: Callable[[int], None] | None = None) -> RestoreSummary:
    with backup_file.reading(path) as reader:
        header, newest = reader.header, revisions.head()
        if not revisions.known(header.revision):
            raise BackupTooNew(header.revision, newest)
        with transactions.writing(url) as conn:
            _make_room(conn, replace)
            revisions.migrate(conn, header.revision)
            target = tables.reflect(conn)
            _check_schema(header, target)
            _load(conn, reader, target, progress)
            tables.reset_sequences(conn, target)
            revisions.migrate(conn, newest)
    return RestoreSummary(header, newest if newest != header.revision else None)


def _make_room(conn: Connection, replace: bool) -> None:
    """Refuse a database that holds rows, or with `replace` delete them (in this same transaction)."""
    revision = revisions.current(conn)
    if revision is not None and not revisions.known(revision):
        raise UnknownDatabaseRevision(revision)
    existing = tables.reflect(conn)
    tables.lock(conn, existing)
    holding = tables.holding_rows(conn, existing)
    if holding and not replace:
        raise DatabaseNotEmpty(holding)
    if holding:
        tables.empty(conn, existing)


def _check_schema(header: Header, target: list[Table]) -> None:
    expected = {table.name: set(table.columns) for table in header.tables}
    found = {table.name: {(column.name, column_kind(table.name, column.name, column.type))
                          for column in table.columns} for table in target}
    differences = []
    for name in sorted(expected.keys() | found.keys()):
        if name not in found:
            differences.append(_("bảng %(table)s không có trong lược đồ", table=name))
        elif name not in expected:
            differences.append(_("bảng %(table)s không có trong bản sao lưu", table=name))
        elif expected[name] != found[name]:
            columns = ", ".join(f"{column} ({kind})" for column, kind in sorted(expected[name] ^ found[name]))
            differences.append(_("các cột khác nhau của bảng %(table)s: %(columns)s", table=name, columns=columns))
    if differences:
        raise SchemaMismatch(header.revision, "; ".join(differences))


def _load(conn: Connection, reader: Reader, target: list[Table], progress: Callable[[int], None] | None) -> None:
    loaders = {table.name: _Loader(table, info) for table, info in _paired(reader.header, target)}
    for info, rows in reader.batches(BATCH):
        loaders[info.name].insert(conn, rows)
        if progress is not None:
            progress(len(rows))
    for loader in loaders.values():
        loader.finish(conn)


def _paired(header: Header, target: list[Table]) -> list[tuple[Table, TableInfo]]:
    by_name = {table.name: table for table in target}
    return [(by_name[info.name], info) for info in header.tables]


class _Loader:
    """Inserts one table's rows in batches. A value naming a row of the same table (an edition merged into
    another, an exchange's counterpart) may name a row further on, which the foreign key refuses until that
    row is in: such values are set once every row is."""

    def __init__(self, table: Table, info: TableInfo):
        self.names = [name for name, _kind in info.columns]
        self.table = Table(info.name, MetaData(), *(Column(name, INSERT_TYPES[kind]) for name, kind in info.columns))
        self.dates = [position for position, (_name, kind) in enumerate(info.columns) if kind == "date"]
        self.later = [self.names.index(name) for name in tables.self_references(table)]
        self.key = self.names.index(table.primary_key.columns[0].name) if self.later else None
        self.deferred: list[dict] = []

    def insert(self, conn: Connection, rows: list[list]) -> None:
        for row in rows:
            for position in self.dates:
                if row[position] is not None:
                    row[position] = date.isoformat(row[position])
            if any(row[position] is not None for position in self.later):
                self.deferred.append({self.names[position]: row[position] for position in (self.key, *self.later)})
                for position in self.later:
                    row[position] = None
        self._run(bulk_insert, conn, self.table, [dict(zip(self.names, row)) for row in rows])

    def finish(self, conn: Connection) -> None:
        if self.deferred:
            self._run(bulk_update, conn, self.table, self.deferred, key=self.names[self.key])

    def _run(self, write, conn: Connection, *arguments, **options) -> None:
        try:
            write(conn, *arguments, **options)
        except DBAPIError as error:
            raise RestoreRefused(self.table.name, _first_line(error.orig)) from None
        except conn.dialect.loaded_dbapi.Error as error:  # bulk.py hands rows to the driver itself
            raise RestoreRefused(self.table.name, _first_line(error)) from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
