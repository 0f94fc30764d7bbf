"""Small factories for MARC records and files the tests write themselves."""
from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Leader, Record, Subfield

LEADER = "00000nam a2200000 a 4500"


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
