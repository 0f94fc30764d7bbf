"""Simple Dublin Core (oai_dc) from a MARC record, through the catalog's own MARC mapping."""
from __future__ import annotations

from pymarc import Record

from catalog import marc_mapping

# The order of the oai_dc schema's elements.
ELEMENTS = ("title", "creator", "subject", "description", "publisher", "date", "type", "identifier", "language")
TYPE = slice(6, 7)  # leader/06: type of record
TEXT_TYPES = ("a", "t")  # language material, printed or manuscript


def dublin_core(record: Record) -> list[tuple[str, str]]:
    """(element, value) pairs in schema order: 245, 100/700, 6XX, 520, 260/264 $b, date, ISBN, 008/041."""
    values = {
        "title": [marc_mapping.read_title(record)],
        "creator": list(marc_mapping.read_authors(record)),
        "subject": list(marc_mapping.read_subjects(record)),
        "description": _paragraphs(marc_mapping.read_summary(record)),
        "publisher": [marc_mapping.read_publisher(record)],
        "date": [_year(record)],
        "type": [read_type(record)],
        "identifier": [f"urn:isbn:{isbn}" for isbn in marc_mapping.read_isbns(record)],
        "language": [marc_mapping.read_language(record)],
    }
    return [(element, value) for element in ELEMENTS for value in values[element] if value]


def read_type(record: Record) -> str | None:
    """The DCMI type of a book or manuscript ("Text"); other materials are left untyped."""
    return "Text" if str(record.leader)[TYPE] in TEXT_TYPES else None


def _year(record: Record) -> str | None:
    year = marc_mapping.read_year(record)
    return None if year is None else f"{year:04d}"


def _paragraphs(summary: str | None) -> list[str]:
    return summary.split(marc_mapping.PARAGRAPH) if summary else []
