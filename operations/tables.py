"""The tables of a database as backup and restore see them: every table the migrations made, read from the
database itself (so a database at an older revision is backed up as it is), in foreign-key order."""
from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table, exists, func, select, text

from operations.revisions import VERSION_TABLE


def reflect(conn: Connection) -> list[Table]:
    """Every table but Alembic's, each after the tables it refers to."""
    metadata = MetaData()
    metadata.reflect(conn)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def self_references(table: Table) -> list[str]:
    """Columns that name another row of the same table (an edition merged into another, an exchange's
    counterpart): such a row may name one that comes after it."""
    return [key.parent.name for key in table.foreign_keys if key.column.table is table]


def count_rows(conn: Connection, table: Table) -> int:
    return conn.scalar(select(func.count()).select_from(table))


def holding_rows(conn: Connection, tables: list[Table]) -> list[str]:
    return [table.name for table in tables if conn.scalar(select(exists().select_from(table)))]


def lock(conn: Connection, tables: list[Table]) -> None:
    """On PostgreSQL, keep other writers out until the restore commits (readers go on)."""
    if conn.dialect.name == "postgresql" and tables:
        conn.execute(text(f"LOCK TABLE {_names(conn, tables)} IN EXCLUSIVE MODE"))


def empty(conn: Connection, tables: list[Table]) -> None:
    """Delete every row, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"TRUNCATE {_names(conn, tables)}"))
        return
    for table in reversed(tables):
        conn.execute(table.delete())


def reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """On PostgreSQL, move each table's id sequence past the ids restored: rows went in with their ids, which
    leaves the sequences at 1, and the next insert would collide. (SQLite takes the largest id plus one.)"""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.scalar(text("select pg_get_serial_sequence(:table, :column)"),
                                   {"table": _names(conn, [table]), "column": column.name})
            if sequence is not None:
                largest = conn.scalar(select(func.max(column))) or 0
                conn.execute(text("select setval(:sequence, :next, false)"),
                             {"sequence": sequence, "next": largest + 1})


def _names(conn: Connection, tables: list[Table]) -> str:
    return ", ".join(conn.dialect.identifier_preparer.format_table(table) for table in tables)
