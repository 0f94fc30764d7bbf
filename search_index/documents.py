"""Index documents built from catalog rows: pure functions, no index and no database here."""
from __future__ import annotations

from catalog.records import LibraryHolding
from catalog.vietnamese import collation_key, normalize_tone_placement

DECADE = 10


def build_document(record, holdings: list[LibraryHolding]) -> dict:
    """The fields of one record's document; `record` is a catalog Record row."""
    libraries = [holding.library for holding in holdings] or [record.library.code]
    values = {"title": [record.title or ""], "author": record.authors, "subject": record.subjects,
              "place": record.places, "publisher": [record.publisher or ""], "series": record.series,
              "text": [record.edition_statement or "", record.summary or ""]}
    text = [value for field_values in values.values() for value in field_values]
    document = {
        "id": str(record.id),
        "edition": str(record.id),  # until editions exist, each record is its own union entry
        "title": record.title or "",
        "text": "\n".join(text), "text_exact": "\n".join(text), "shingles": shingles_value(values),
        "author": "\n".join(record.authors), "subject": "\n".join(record.subjects),
        "place": "\n".join(record.places), "publisher": record.publisher or "",
        "series": "\n".join(record.series), "isbn": " ".join(record.isbns),
        "library": " ".join(libraries), "call_number": "\n".join(
            number for holding in holdings for number in holding.call_numbers),
        "language": record.language or "und", "title_sort": sort_key(record.title or ""),
        "library_facet": ",".join(libraries), "place_facet": facet_values(record.places),
        "subject_facet": facet_values(record.subjects),
        "publisher_facet": facet_value(record.publisher or ""),
    }
    if record.year:
        document |= {"year": record.year, "decade": str(record.year // DECADE * DECADE)}
    return document


def shingles_value(values: dict[str, list[str]]) -> str:
    """Each value on a line of its own, after the name of its field: `author:Võ Ngọc Châu`. Runs of words
    are indexed per field (analysis.index_terms), so a phrase asked in one field matches there only."""
    return "\n".join(f"{field}:{value}" for field, field_values in values.items()
                     for value in field_values if value.strip())


def facet_value(text: str) -> str:
    """One spelling per facet value: NFC and the new tone placement, so Thanh Hoá and Thanh Hóa count once."""
    return normalize_tone_placement(text.strip()).replace(",", " ")


def facet_values(values) -> str:
    return ",".join(sorted({facet_value(value) for value in values if value.strip()}))


def sort_key(title: str) -> str:
    """Vietnamese alphabetical order as a string the index can sort on: letters first, then tones."""
    syllables, _original = collation_key(title)
    letters = " ".join(letters for letters, _tone in syllables)
    tones = "".join(str(tone) for _letters, tone in syllables)
    return f"{letters}\x00{tones}"
