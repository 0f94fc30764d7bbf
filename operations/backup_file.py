"""The backup file: a gzip'd stream of JSON lines that either database, or any other tool, can read.

Line 1, the header, a JSON object:

    {"format": "muc-luc-lien-hop/backup", "version": 1, "revision": "0008",
     "created_at": "2026-11-27T09:00:00+00:00", "database": "postgresql",
     "index": {"current": "index-3f2a…", "watermark": 1234} or null,
     "tables": [{"name": "library", "columns": [["id", "integer"], ["code", "text"], …], "rows": 6}, …]}

Then one line per row, `["library", 1, "TVTH", …]`: the table's name, then its values in the header's column
order. Tables come in the header's order (a table after every table it refers to), each table's rows by primary
key. Values: null is SQL NULL; integer, bigint, text and boolean as JSON; bytes in base64; a json column as
the JSON text stored (a string: SQL NULL and a stored JSON null stay apart); date as "YYYY-MM-DD"; datetime as
ISO 8601 without a zone (the application stores UTC).
"""
from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import os
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, LargeBinary, String

from operations.errors import BackupDamaged, NotABackup, UnsupportedColumn

FORMAT = "muc-luc-lien-hop/backup"
VERSION = 1
COMPRESSION = 6  # gzip's own default, 9, costs twice the time for a file a few percent smaller


def _bytes_out(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _bytes_in(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


# kind: (to the file, from the file); None where JSON carries the value as it is.
CODECS: dict[str, tuple[Callable | None, Callable | None]] = {
    "integer": (None, None),
    "bigint": (None, None),
    "text": (None, None),
    "boolean": (None, None),
    "json": (None, None),  # read from the database as its text
    "bytes": (_bytes_out, _bytes_in),
    "date": (date.isoformat, date.fromisoformat),
    "datetime": (datetime.isoformat, datetime.fromisoformat),
}
# SQLAlchemy type -> kind; subclasses before their parents (BigInteger is an Integer, Text a String).
KINDS = ((JSON, "json"), (LargeBinary, "bytes"), (DateTime, "datetime"), (Date, "date"), (Boolean, "boolean"),
         (BigInteger, "bigint"), (Integer, "integer"), (String, "text"))


def column_kind(table: str, column: str, sql_type) -> str:
    for type_class, kind in KINDS:
        if isinstance(sql_type, type_class):
            return kind
    raise UnsupportedColumn(table, column, str(sql_type))


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, kind)
    rows: int


@dataclass(frozen=True)
class Header:
    revision: str
    created_at: datetime
    database: str
    index: dict | None
    tables: tuple[TableInfo, ...]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "revision": self.revision,
                "created_at": self.created_at.isoformat(),
                "database": self.database, "index": self.index,
                "tables": [{"name": table.name, "columns": [list(column) for column in table.columns],
                            "rows": table.rows} for table in self.tables]}

    @classmethod
    def from_json(cls, data: dict) -> Header:
        """The header of a file, or KeyError/TypeError/ValueError when it is not one this code writes."""
        if data["format"] != FORMAT:
            raise ValueError(data["format"])
        if data["version"] != VERSION:
            raise ValueError(_("định dạng phiên bản %(version)s, chương trình này đọc phiên bản %(known)s",
                               version=data["version"], known=VERSION))
        tables = tuple(TableInfo(str(table["name"]), tuple((str(name), _known(kind)) for name, kind in
                                                           table["columns"]), int(table["rows"]))
                       for table in data["tables"])
        index = data["index"]
        if index is not None:
            index = {"current": str(index["current"]), "watermark": int(index["watermark"])}
        return cls(str(data["revision"]), datetime.fromisoformat(data["created_at"]), str(data["database"]), index,
                   tables)


def _known(kind: str) -> str:
    if kind not in CODECS:
        raise ValueError(kind)
    return kind


class Writer:
    def __init__(self, text: io.TextIOBase):
        self._text = text
        self._json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def header(self, header: Header) -> None:
        self._text.write(self._json.encode(header.to_json()) + "\n")

    def rows(self, table: TableInfo, rows: Iterable[tuple]) -> None:
        """Write rows of one table, values in the header's column order."""
        encoders = [CODECS[kind][0] for _name, kind in table.columns]
        encode, write = self._json.encode, self._text.write
        for row in rows:
            write(encode([table.name, *[value if value is None or to_file is None else to_file(value)
                                        for to_file, value in zip(encoders, row)]]))
            write("\n")


@contextmanager
def writing(path: Path) -> Iterator[Writer]:
    """Write the file beside its place and move it there once whole and on disk: a backup that fails
    leaves no file that looks like a backup, and never half-overwrites an older one."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "wb") as raw:
            zipped = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=COMPRESSION, mtime=0)
            with io.TextIOWrapper(zipped, encoding="utf-8", newline="\n") as text:
                yield Writer(text)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Reader:
    def __init__(self, text: io.TextIOBase, file: str):
        self._lines = enumerate(text, start=1)
        self._line = 0
        self._file = file
        self.header = self._read_header()

    def _read_header(self) -> Header:
        line = self._next()
        if line is None:
            raise NotABackup(self._file, _("tệp rỗng"))
        try:
            return Header.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as error:
            raise NotABackup(self._file, _("phần đầu không đọc được: %(error)s", error=error)) from None

    def _next(self) -> str | None:
        """The next line, or None at the end; a truncated or corrupt gzip stream is BackupDamaged."""
        try:
            self._line, line = next(self._lines)
            return line
        except StopIteration:
            return None
        except EOFError:
            raise BackupDamaged(self._line + 1, _("tệp kết thúc giữa chừng (bị cắt cụt)")) from None
        except gzip.BadGzipFile as error:
            if self._line == 0:
                raise NotABackup(self._file, _("không phải tệp gzip")) from None
            raise BackupDamaged(self._line + 1, str(error)) from None
        except (OSError, zlib.error, UnicodeDecodeError) as error:
            raise BackupDamaged(self._line + 1, str(error)) from None

    def batches(self, size: int) -> Iterator[tuple[TableInfo, list[list]]]:
        """The rows, decoded, up to `size` at a time, each batch of one table; checks the order of the tables
        and, at the end, that every table has the rows the header counts (else the file was cut short)."""
        order = {table.name: position for position, table in enumerate(self.header.tables)}
        counts = [0] * len(self.header.tables)
        table, decoders, position, batch = None, [], 0, []
        while (line := self._next()) is not None:
            name, values = self._parse(line)
            if table is None or name != table.name:
                if batch:
                    yield table, batch
                    batch = []
                position = self._next_table(order, name, position)
                table = self.header.tables[position]
                decoders = [CODECS[kind][1] for _name, kind in table.columns]
            batch.append(self._decode(table, decoders, values))
            counts[position] += 1
            if counts[position] > table.rows:
                raise self._miscounted(table, counts[position])
            if len(batch) == size:
                yield table, batch
                batch = []
        if batch:
            yield table, batch
        for table, count in zip(self.header.tables, counts):
            if count != table.rows:
                raise self._miscounted(table, count)

    def _parse(self, line: str) -> tuple[str, list]:
        try:
            item = json.loads(line)
        except ValueError as error:
            raise BackupDamaged(self._line, _("dòng không phải JSON (%(error)s)", error=error)) from None
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise BackupDamaged(self._line, _("dòng không phải một hàng của bảng"))
        return item[0], item[1:]

    def _next_table(self, order: dict[str, int], name: str, position: int) -> int:
        if order.get(name, -1) < position:
            raise BackupDamaged(self._line, _("bảng “%(table)s” không có trong phần đầu hoặc sai thứ tự", table=name))
        return order[name]

    def _decode(self, table: TableInfo, decoders: list, values: list) -> list:
        if len(values) != len(decoders):
            raise BackupDamaged(self._line, _("bảng %(table)s cần %(expected)s giá trị, dòng có %(found)s",
                                              table=table.name, expected=len(decoders), found=len(values)))
        try:
            return [value if value is None or from_file is None else from_file(value)
                    for from_file, value in zip(decoders, values)]
        except (ValueError, TypeError, binascii.Error) as error:
            raise BackupDamaged(self._line, _("giá trị không đọc được (%(error)s)", error=error)) from None

    def _miscounted(self, table: TableInfo, count: int) -> BackupDamaged:
        return BackupDamaged(self._line, _("bảng %(table)s có %(found)s dòng, phần đầu ghi %(expected)s",
                                           table=table.name, found=count, expected=table.rows))


@contextmanager
def reading(path: Path) -> Iterator[Reader]:
    with open(path, "rb") as raw, io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="rb"), encoding="utf-8") as text:
        yield Reader(text, str(path))
