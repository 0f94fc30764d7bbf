"""Index documents built from catalog rows: pure functions, no index and no database here."""
from __future__ import annotations

from catalog.records import LibraryHolding
from catalog.vietnamese import collation_key, normalize_tone_placement

DECADE = 10


def build_document(key: str, records: list, holdings: list[LibraryHolding]) -> dict:
    """The document of one edition: `records` are its live catalog Record rows, the best description
    first; the words of every library's record are searchable, and the facets count the edition once."""
    best = records[0]
    authors, subjects, places, series = (_union(getattr(record, name) for record in records)
                                         for name in ("authors", "subjects", "places", "series"))
    titles = _union([record.title or ""] for record in records)
    publishers = _union([record.publisher or ""] for record in records)
    isbns = _union(record.isbns for record in records)
    values = {"title": titles, "author": authors, "subject": subjects, "place": places, "publisher": publishers,
              "series": series, "text": _union([record.edition_statement or "", record.summary or ""]
                                               for record in records)}
    text = [value for field_values in values.values() for value in field_values]
    # Where the copies are; an edition no record of which lists copies is held where it is catalogued.
    libraries = ([holding.library for holding in holdings]
                 or list(dict.fromkeys(record.library.code for record in records)))
    document = {
        "id": key,
        "edition": key,
        "records": " ".join(str(record.id) for record in records),
        "title": "\n".join(titles),
        "text": "\n".join(text), "text_exact": "\n".join(text), "shingles": shingles_value(values),
        "author": "\n".join(authors), "subject": "\n".join(subjects),
        "place": "\n".join(places), "publisher": "\n".join(publishers),
        "series": "\n".join(series), "isbn": " ".join(isbns),
        "library": " ".join(libraries), "call_number": "\n".join(
            number for holding in holdings for number in holding.call_numbers),
        "language": best.language or "und", "title_sort": sort_key(best.title or ""),
        "library_facet": ",".join(libraries), "place_facet": facet_values(places),
        "subject_facet": facet_values(subjects),
        "publisher_facet": facet_value(best.publisher or ""),
    }
    year = best.year or next((record.year for record in records if record.year), None)
    if year:
        document |= {"year": year, "decade": str(year // DECADE * DECADE)}
    return document


def _union(lists) -> list[str]:
    """The values of several records, each once, in the order first seen (the best record's first)."""
    return list(dict.fromkeys(value for values in lists for value in (values or ()) if value and value.strip()))


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
