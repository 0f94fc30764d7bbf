"""Plain data that the MARC mapping produces and the import pipeline stores."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CopyData:
    """One physical copy described by an 852 or a Koha 952 field."""

    holding_org: str | None  # organization code of the holding library as written
    registration_number: str | None  # số ĐKCB: 852$p or 952$p
    call_number: str | None = None
    location: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class RecordData:
    """What the catalog shows and searches of one MARC record (all text NFC)."""

    control_number: str | None  # 001
    org_code: str | None  # 003
    deleted: bool = False  # leader/05 == "d"
    title: str | None = None
    authors: tuple[str, ...] = ()
    year: int | None = None
    publisher: str | None = None
    isbns: tuple[str, ...] = ()  # ISBN-13 digits, valid only, de-duplicated
    language: str | None = None  # 008/35-37, else 041$a
    subjects: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # 651$a and 6XX$z: what place a book is about
    series: tuple[str, ...] = ()
    edition_statement: str | None = None
    summary: str | None = None  # 520$a, several 520s joined by a blank line
    system_numbers: tuple[str, ...] = ()  # 035$a
    copies: tuple[CopyData, ...] = field(default=())
