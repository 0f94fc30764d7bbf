"""Read what the catalog shows and searches out of one pymarc 5 record."""
from __future__ import annotations

import re
from collections.abc import Iterable

from pymarc import Field, Record
from stdnum import isbn
from stdnum.exceptions import ValidationError

from catalog.record_data import CopyData, RecordData

# Fixed positions
RECORD_STATUS = slice(5, 6)  # leader/05
DELETED = "d"
DATE1 = slice(7, 11)  # 008/07-10
LANGUAGE = slice(35, 38)  # 008/35-37

TITLE_CODES = ("a", "b", "n", "p")
NAME_TAGS = ("100", "110", "700", "710")
PUBLICATION_TAGS = ("260", "264")
PUBLICATION = "1"  # 264 second indicator: publication (not production, distribution, copyright)
SUBJECT_TAGS = ("600", "610", "611", "630", "650", "651")
HEADING_CODES = ("a", "v", "x", "y", "z")  # main term, then form/general/period/place subdivisions
SUBDIVISION_SEPARATOR = " -- "
KEYWORD_TAG = "653"
PLACE_TAG = "651"
SERIES_TAGS = ("440", "490", "830")
SUMMARY_TAG = "520"
PARAGRAPH = "\n\n"

CALL_NUMBER_852 = ("k", "h", "i", "m")  # prefix, classification part, item part, suffix
LOCATION_852 = ("b", "c")  # sublocation, shelving location
# Koha 952 status subfields, strongest first: a withdrawn copy that is also lost shows as withdrawn.
KOHA_STATUS = (("0", "withdrawn"), ("1", "lost"), ("4", "damaged"), ("7", "not_for_loan"))
KOHA_NOT_SET = ("0",)
AVAILABLE = "available"

# Every character str.strip() removes (U+3000 is the last), for one rstrip() with the punctuation.
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_TRAILING_ISBD = _WHITESPACE + "/:;=,."
_YEAR = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
# 10 or 13 (978/979 + 10) digits, single spaces or hyphens between them, not inside a longer number.
_ISBN = re.compile(r"(?<![0-9])(?:97[89][ -]?)?[0-9](?:[ -]?[0-9]){8}[ -]?[0-9Xx](?![0-9Xx])")


def strip_isbd(value: str | None) -> str | None:
    """Strip whitespace and trailing ISBD punctuation [ /:;=,.]; None when nothing is left."""
    if not isinstance(value, str):
        return None
    return value.rstrip(_TRAILING_ISBD).lstrip() or None


def _strip(value: str | None) -> str | None:
    """Strip whitespace from a code or identifier; None when nothing is left."""
    return (value.strip() or None) if isinstance(value, str) else None


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Keep the first occurrence of each non-empty value, in order."""
    return tuple(dict.fromkeys([value for value in values if value]))


def _control(record: Record, tag: str) -> str:
    field = record.get(tag)
    data = field.data if field is not None else None
    return data if isinstance(data, str) else ""


def _joined(field: Field, codes: tuple[str, ...], separator: str) -> str | None:
    parts = [_strip(sub.value) for sub in field.subfields if sub.code in codes]
    return separator.join([part for part in parts if part]) or None


def read_control_number(record: Record) -> str | None:
    return _strip(_control(record, "001"))


def read_org_code(record: Record) -> str | None:
    return _strip(_control(record, "003"))


def read_deleted(record: Record) -> bool:
    return str(record.leader)[RECORD_STATUS] == DELETED


def read_title(record: Record) -> str | None:
    """Join 245 $a $b $n $p in record order, each stripped of ISBD punctuation."""
    field = record.get("245")
    if field is None:
        return None
    parts = [strip_isbd(sub.value) for sub in field.subfields if sub.code in TITLE_CODES]
    return " ".join([part for part in parts if part]) or None


def read_authors(record: Record) -> tuple[str, ...]:
    """Return $a of 100/110/700/710 in record order, each name once."""
    return _unique(strip_isbd(field.get("a")) for field in record.get_fields(*NAME_TAGS))


def _publication_fields(record: Record) -> list[Field]:
    """Return 260s and 264 _1 (publication) first, then other 264s (copyright, manufacture)."""
    fields = record.get_fields(*PUBLICATION_TAGS)
    return sorted(fields, key=lambda f: f.tag == "264" and f.indicator2 != PUBLICATION)


def read_year(record: Record) -> int | None:
    """Return the first 4-digit year of 260$c/264$c, else 008 Date 1 when it is 4 digits."""
    for field in _publication_fields(record):
        for value in field.get_subfields("c"):
            match = _YEAR.search(value) if isinstance(value, str) else None
            if match:
                return int(match.group())
    date1 = _control(record, "008")[DATE1]
    return int(date1) if _FOUR_DIGITS.fullmatch(date1) else None


def read_publisher(record: Record) -> str | None:
    for field in _publication_fields(record):
        publisher = strip_isbd(field.get("b"))
        if publisher:
            return publisher
    return None


def _isbn13(value: str | None) -> str | None:
    """Return the first valid ISBN in a 020$a as ISBN-13 digits ("ISBN 2-85539-654-9 (bìa mềm)")."""
    for match in _ISBN.finditer(value if isinstance(value, str) else ""):
        try:
            return isbn.validate(match.group(), convert=True)
        except ValidationError:
            continue
    return None


def read_isbns(record: Record) -> tuple[str, ...]:
    """Return every valid ISBN of 020$a as ISBN-13 digits, once each; invalid ones are dropped."""
    fields = record.get_fields("020")
    return _unique(_isbn13(value) for field in fields for value in field.get_subfields("a"))


def read_language(record: Record) -> str | None:
    """Return 008/35-37 when it is a code, else the first code of the first 041$a."""
    code = _control(record, "008")[LANGUAGE]
    if len(code) == 3 and code.isascii() and code.isalpha():
        return code.lower()
    field = record.get("041")
    # Before 2001 several codes were run together in one $a ("vieeng"): the first is the language.
    code = (_strip(field.get("a")) or "")[:3] if field is not None else ""
    return code.lower() if code.isascii() and code.isalpha() else None


def _heading(field: Field) -> str | None:
    parts = [strip_isbd(sub.value) for sub in field.subfields if sub.code in HEADING_CODES]
    return SUBDIVISION_SEPARATOR.join([part for part in parts if part]) or None


def read_subjects(record: Record) -> tuple[str, ...]:
    """Return 600/610/611/630/650/651 headings ("Địa chí -- Việt Nam") and each 653$a, once each.

    A heading is $a followed by its $v $x $y $z subdivisions; name dates and $t are left out.
    """
    headings: list[str | None] = []
    for field in record.get_fields(*SUBJECT_TAGS, KEYWORD_TAG):
        if field.tag == KEYWORD_TAG:
            headings.extend(strip_isbd(value) for value in field.get_subfields("a"))
        else:
            headings.append(_heading(field))
    return _unique(headings)


def read_places(record: Record) -> tuple[str, ...]:
    """Return the places a book is about: 651$a and every 6XX $z, in record order, once each."""
    places: list[str | None] = []
    for field in record.fields:
        if field.tag[:1] == "6":
            codes = ("a", "z") if field.tag == PLACE_TAG else ("z",)
            places.extend(strip_isbd(value) for value in field.get_subfields(*codes))
    return _unique(places)


def read_series(record: Record) -> tuple[str, ...]:
    """Return series titles of 440/490/830 $a, once each (a traced 490 and its 830 often agree)."""
    fields = record.get_fields(*SERIES_TAGS)
    return _unique(strip_isbd(value) for field in fields for value in field.get_subfields("a"))


def read_edition_statement(record: Record) -> str | None:
    field = record.get("250")
    return strip_isbd(field.get("a")) if field is not None else None


def read_summary(record: Record) -> str | None:
    """Return every 520$a as one paragraph each, once; a summary's closing full stop is part of its text."""
    values = (_strip(value) for field in record.get_fields(SUMMARY_TAG) for value in field.get_subfields("a"))
    return PARAGRAPH.join(_unique(values)) or None


def read_system_numbers(record: Record) -> tuple[str, ...]:
    fields = record.get_fields("035")
    return _unique(_strip(value) for field in fields for value in field.get_subfields("a"))


def _copy(holding_org, registration_number, call_number, location, status=None) -> CopyData | None:
    """Build a copy, or None for a field that names neither library, number nor call number."""
    if holding_org is None and registration_number is None and call_number is None:
        return None
    return CopyData(holding_org, registration_number, call_number, location, status)


def _copy_from_852(field: Field) -> CopyData | None:
    return _copy(
        holding_org=_strip(field.get("a")),
        registration_number=_strip(field.get("p")),
        call_number=_joined(field, CALL_NUMBER_852, " "),
        location=_joined(field, LOCATION_852, ", "),
    )


def _koha_status(field: Field) -> str:
    for code, status in KOHA_STATUS:
        value = _strip(field.get(code))
        if value is not None and value not in KOHA_NOT_SET:
            return status
    return AVAILABLE


def _copy_from_952(field: Field) -> CopyData | None:
    """Koha item: $b is the branch holding the copy now, $a its home branch."""
    return _copy(
        holding_org=_strip(field.get("b")) or _strip(field.get("a")),
        registration_number=_strip(field.get("p")),
        call_number=_strip(field.get("o")),
        location=_strip(field.get("c")),
        status=_koha_status(field),
    )


def read_copies(record: Record) -> tuple[CopyData, ...]:
    """Return one copy per 852 (MARC holdings) or 952 (Koha item), in record order."""
    fields = record.get_fields("852", "952")
    copies = (_copy_from_852(f) if f.tag == "852" else _copy_from_952(f) for f in fields)
    return tuple(copy for copy in copies if copy is not None)


def map_record(record: Record) -> RecordData:
    return RecordData(
        control_number=read_control_number(record),
        org_code=read_org_code(record),
        deleted=read_deleted(record),
        title=read_title(record),
        authors=read_authors(record),
        year=read_year(record),
        publisher=read_publisher(record),
        isbns=read_isbns(record),
        language=read_language(record),
        subjects=read_subjects(record),
        places=read_places(record),
        series=read_series(record),
        edition_statement=read_edition_statement(record),
        summary=read_summary(record),
        system_numbers=read_system_numbers(record),
        copies=read_copies(record),
    )
