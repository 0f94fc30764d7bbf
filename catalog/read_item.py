"""What a reader yields for each record it finds in a file."""
from __future__ import annotations

from dataclasses import dataclass

from pymarc import Record

from catalog.record_data import RecordData


@dataclass(frozen=True)
class ReadItem:
    """One record found in a file: read (record set) or not (problem set, with a reason)."""

    position: int
    offset: int | None
    raw: bytes  # the record as found, so a rejected one can be handed back to the library
    record: Record | None = None
    encoding: str | None = None
    note: str | None = None  # what had to be repaired to read it
    problem: str | None = None
    control_number: str | None = None
    marc: bytes | None = None  # the normalized ISO 2709 when the reader already wrote it
    data: RecordData | None = None  # what the catalog keeps of the record, once mapped


def unexpected_problem(error: Exception) -> str:
    """The rejection reason for an error no reader anticipated: one odd record must not stop the file."""
    return f"Lỗi không lường trước khi đọc bản ghi ({type(error).__name__}: {error})."


def too_long_problem(error: Exception) -> str:
    """The rejection reason for a record that ISO 2709 cannot hold once written as UTF-8."""
    return f"Không lưu được bản ghi: {error}."
