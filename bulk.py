"""Insert many rows fast: COPY on PostgreSQL, the driver's own executemany elsewhere.

SQLAlchemy's per-row parameter handling costs more than the database itself when an import
writes a hundred thousand records; here each column's bind processor is applied once per value
and the rows go straight to the driver, inside the caller's transaction.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Connection, MetaData, Table, bindparam, text

# PostgreSQL type names for COPY, by SQLAlchemy type class name.
POSTGRES_TYPES = {
    "Integer": "int4", "BigInteger": "int8", "String": "text", "Text": "text", "Boolean": "bool",
    "LargeBinary": "bytea", "JSON": "json", "DateTime": "timestamp",
}


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Insert rows (dicts keyed by column name); columns a row leaves out get their Python default."""
    if not rows:
        return
    columns = [column for column in table.columns if column.name in rows[0] or column.default is not None]
    values = [_row_values(columns, row) for row in rows]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, values)
    elif conn.dialect.name == "sqlite":
        _executemany(conn, table, columns, values)
    else:
        conn.execute(table.insert(), [dict(zip((column.name for column in columns), row)) for row in values])


def _row_values(columns, row: dict) -> list:
    return [row[column.name] if column.name in row else column.default.arg(None) for column in columns]


def _processors(conn: Connection, columns) -> list:
    dialect = conn.dialect
    return [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]


def _executemany(conn: Connection, table: Table, columns, values: list[list]) -> None:
    processors = _processors(conn, columns)
    converted = [
        tuple(value if process is None or value is None else process(value)
              for process, value in zip(processors, row))
        for row in values
    ]
    names = ", ".join(column.name for column in columns)
    marks = ", ".join("?" for _ in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", converted)
    finally:
        cursor.close()


def _copy(conn: Connection, table: Table, columns, values: list[list]) -> None:
    names = ", ".join(column.name for column in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            # With the types set, psycopg's own dumpers write each value (a list as JSON, bytes as bytea).
            copy.set_types([POSTGRES_TYPES[type(column.type).__name__] for column in columns])
            for row in values:
                copy.write_row(row)
    finally:
        cursor.close()


def bulk_update(conn: Connection, table: Table, rows: Sequence[dict], *, key: str = "id",
                match: tuple[str, ...] = ()) -> None:
    """Set columns of many rows, found by key: each row is a dict of the key, the match columns (the row is
    changed only while they still hold these values) and the columns to set.

    PostgreSQL: COPY into a temporary table and one UPDATE ... FROM it; a statement per row costs a round
    trip each, which for 100,000 rows is most of the work. Elsewhere: the driver's executemany.
    """
    if not rows:
        return
    names = list(rows[0])
    settable = [name for name in names if name != key and name not in match]
    if conn.dialect.name != "postgresql":
        statement = (table.update().where(table.c[key] == bindparam(f"_{key}"),
                                          *(table.c[name] == bindparam(f"_{name}") for name in match))
                     .values({name: bindparam(f"_{name}") for name in settable}))
        conn.execute(statement, [{f"_{name}": value for name, value in row.items()} for row in rows])
        return
    staging = f"_bulk_{table.name}"
    conn.execute(text(f"CREATE TEMP TABLE {staging} AS SELECT {', '.join(names)} FROM {table.name} WITH NO DATA"))
    try:
        columns = [table.c[name] for name in names]
        _copy(conn, Table(staging, MetaData(), *(Column(c.name, c.type) for c in columns)), columns,
              [[row[name] for name in names] for row in rows])
        assignments = ", ".join(f"{name} = s.{name}" for name in settable)
        conditions = " AND ".join(f"t.{name} = s.{name}" for name in (key, *match))
        conn.execute(text(f"UPDATE {table.name} AS t SET {assignments} FROM {staging} AS s WHERE {conditions}"))
    finally:
        conn.execute(text(f"DROP TABLE IF EXISTS {staging}"))
