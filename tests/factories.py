"""Small factories for MARC records and files the tests write themselves."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from pymarc import Field, Indicators, Leader, Record, Subfield

LEADER = "00000nam a2200000 a 4500"
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def make_record(control_number: str = "QT0001", org: str | None = "TVQT", title: str = "Địa chí Quảng Trị",
                author: str | None = "Lê Văn Thủy", year: str = "2006", isbn: str | None = None,
                copies: tuple[tuple[str, str], ...] = (("TVQT", "DC.000001"),), status: str = "n") -> Record:
    """A Vietnamese local-history record; copies are (holding org, registration number) pairs."""
    record = Record(leader=Leader(LEADER[:5] + status + LEADER[6:]))
    record.add_field(Field(tag="001", data=control_number))
    if org:
        record.add_field(Field(tag="003", data=org))
    record.add_field(Field(tag="008", data=f"060101s{year}    vm a          000 0 vie d"))
    if isbn:
        record.add_field(_data("020", ("a", isbn)))
    if author:
        record.add_field(_data("100", ("a", f"{author},"), ind1="0"))
    record.add_field(_data("245", ("a", f"{title} /"), ("c", "Nhiều tác giả."), ind1="1", ind2="0"))
    record.add_field(_data("260", ("a", "Đông Hà :"), ("b", "Sở Văn hóa Thông tin,"), ("c", year)))
    record.add_field(_data("651", ("a", "Quảng Trị"), ind2="7"))
    for holder, number in copies:
        record.add_field(_data("852", ("a", holder), ("b", "Kho địa chí"), ("p", number)))
    return record


def _data(tag: str, *subfields: tuple[str, str], ind1: str = " ", ind2: str = " ") -> Field:
    return Field(tag=tag, indicators=Indicators(ind1, ind2),
                 subfields=[Subfield(code, value) for code, value in subfields])


def iso2709(*records: Record) -> bytes:
    return b"".join(record.as_marc() for record in records)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def iso2709_in(codec: str, *records: Record) -> bytes:
    """Records as a legacy system exports them: text in a Vietnamese code page, leader/09 blank."""
    import catalog.legacy_codecs  # noqa: F401 - registers the tcvn3 and vni codecs
    from catalog.marc_writer import FIELD_TERMINATOR, assemble, field_text

    out = []
    for record in records:
        fields = [(field.tag, _encode(field_text(field) + FIELD_TERMINATOR, codec)) for field in record.fields]
        written = bytearray(assemble(str(record.leader), fields))
        written[9:10] = b" "
        out.append(bytes(written))
    return b"".join(out)


def _encode(text: str, codec: str) -> bytes:
    if codec != "cp1258":
        return text.encode(codec)
    # Windows-1258 has â ê ô ơ ư đ precomposed but writes tones as combining marks after the letter.
    out = b""
    for char in text:
        try:
            out += char.encode(codec)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            base = "".join(mark for mark in decomposed if mark not in TONE_MARKS)
            tone = "".join(mark for mark in decomposed if mark in TONE_MARKS)
            out += unicodedata.normalize("NFC", base).encode(codec) + tone.encode(codec)
    return out
