"""Golden tests of the MARC mapping: shared Vietnamese truth, own fixtures, real catalogs' files."""
from __future__ import annotations

import csv
import functools
import json
from dataclasses import asdict
from pathlib import Path

import pymarc
import pytest
from pymarc import Field, Indicators, Record, Subfield

from catalog.marc_mapping import map_record, read_isbns, read_summary, read_year, strip_isbd
from catalog.record_data import RecordData

SHARED_MARC = Path(__file__).resolve().parents[1].parent / "shared" / "marc"
VI = SHARED_MARC / "vi"
REAL = SHARED_MARC / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mapping"
NO_SHARED = f"shared MARC test data not found at {SHARED_MARC}"
VI_FILES = ("vi_utf8.mrc", "vi_update.mrc")
ISO2709_SUFFIXES = (".mrc", ".dat", ".marc")


def _skipped(reason: str) -> list:
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


def _as_json(data: RecordData) -> dict:
    """Return the mapped record as the expected files spell it (tuples as lists)."""
    return json.loads(json.dumps(asdict(data)))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _assert_clean(data: RecordData) -> None:
    for text in _strings(asdict(data)):
        assert text and text == text.strip(), repr(text)
    assert all(len(number) == 13 and number.isdigit() for number in data.isbns), data.isbns
    assert data.year is None or isinstance(data.year, int)


def _field(tag: str, *pairs: str, ind: str = "  ") -> Field:
    subfields = [Subfield(code, value) for code, value in zip(pairs[::2], pairs[1::2])]
    return Field(tag=tag, indicators=Indicators(*ind), subfields=subfields)


def _record(*fields: Field) -> Record:
    record = Record()
    record.add_field(*fields)
    return record


# (a) the shared Vietnamese records against truth.json


@functools.cache
def _truth() -> dict:
    return json.loads((VI / "truth.json").read_text(encoding="utf-8"))


@functools.cache
def _vi_records(name: str) -> tuple[Record, ...]:
    with open(VI / name, "rb") as marc:
        return tuple(pymarc.MARCReader(marc))


def _truth_params() -> list:
    if not (VI / "truth.json").is_file():
        return _skipped(NO_SHARED)
    return [
        pytest.param(entry, id=f"{entry['file']}#{entry['position']}-{entry['001']}")
        for entry in _truth()["records"]
        if entry["file"] in VI_FILES
    ]


@pytest.mark.parametrize("name", VI_FILES if VI.is_dir() else _skipped(NO_SHARED))
def test_vi_file_holds_every_truth_record(name):
    expected = [e for e in _truth()["records"] if e["file"] == name]
    assert len(_vi_records(name)) == len(expected) == _truth()["files"][name]["count"]


@pytest.mark.parametrize("truth", _truth_params())
def test_vi_record_matches_truth(truth):
    mapped = map_record(_vi_records(truth["file"])[truth["position"]])

    _assert_clean(mapped)
    assert {
        "001": mapped.control_number,
        "003": mapped.org_code,
        "deleted": mapped.deleted,
        "title": mapped.title,
        "names": list(mapped.authors),
        "year": mapped.year,
        "isbns": list(mapped.isbns),
        "edition_statement": mapped.edition_statement,
    } == {key: truth[key] for key in ("001", "003", "deleted", "title", "names", "year", "isbns",
                                      "edition_statement")}


# (b) the project's own golden files: MARC-in-JSON in, RecordData as JSON out


FIXTURE_NAMES = sorted(
    path.name.removesuffix(".json")
    for path in FIXTURES.glob("*.json")
    if not path.name.endswith(".expected.json")
)


def test_fixtures_cover_the_cases_we_promise():
    assert {"vi_isbn", "holdings_852_two_libraries", "koha_952", "no_245_008_year", "rda_264",
            "places_series", "odd"} <= set(FIXTURE_NAMES)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_maps_to_expected(name):
    with open(FIXTURES / f"{name}.json", encoding="utf-8") as marc_json:
        [record] = pymarc.parse_json_to_array(marc_json)
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))

    mapped = map_record(record)

    _assert_clean(mapped)
    assert _as_json(mapped) == expected


# (c) records written by real catalogs map without error


@functools.cache
def _manifest_counts() -> dict[str, int]:
    with open(REAL / "MANIFEST.tsv", encoding="utf-8", newline="") as manifest:
        rows = csv.DictReader(manifest, delimiter="\t")
        return {row["file"]: int(row["records_pymarc_reads"]) for row in rows}


def _real_good_params() -> list:
    if not (REAL / "good").is_dir():
        return _skipped(NO_SHARED)
    paths = sorted((REAL / "good").iterdir())
    suffixes = (*ISO2709_SUFFIXES, ".xml")
    return [pytest.param(path, id=path.name) for path in paths if path.suffix in suffixes]


def _read_all(path: Path) -> list[Record]:
    if path.suffix == ".xml":
        return pymarc.parse_xml_to_array(str(path))
    with open(path, "rb") as marc:
        reader = pymarc.MARCReader(marc, permissive=True, utf8_handling="replace")
        return [record for record in reader if record is not None]


@pytest.mark.parametrize("path", _real_good_params())
def test_real_records_map_without_error(path):
    records = _read_all(path)

    for record in records:
        _assert_clean(map_record(record))
    assert len(records) == _manifest_counts().get(f"good/{path.name}", len(records))


# rules worth a table of their own


@pytest.mark.parametrize(("value", "expected"), [
    ("Địa chí Thanh Hoá.", "Địa chí Thanh Hoá"),
    ("Huế :", "Huế"),
    ("T.1 /", "T.1"),
    ("Nxb. Thuận Hóa,", "Nxb. Thuận Hóa"),
    ("Phong Nha - Kẻ Bàng", "Phong Nha - Kẻ Bàng"),
    ("  Tái bản\u00a0;\t", "Tái bản"),
    (" / ", None),
    ("", None),
    (None, None),
])
def test_strip_isbd(value, expected):
    assert strip_isbd(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2-85539-654-9", ("9782855396545",)),
    ("ISBN 978-604-956-112-2", ("9786049561122",)),
    ("978 604 956 112 2", ("9786049561122",)),
    ("0-306-40615-2 (t.1) : 55000đ", ("9780306406157",)),
    ("978-604-57-1899-9", ()),  # wrong check digit
    ("8934974123453", ()),  # a Vietnamese EAN barcode, not an ISBN
    ("12978604956112", ()),  # part of a longer number
    ("ISBN", ()),
])
def test_read_isbns(value, expected):
    assert read_isbns(_record(_field("020", "a", value))) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ([_field("260", "c", "c1992.")], 1992),
    ([_field("260", "c", "[199-?]"), Field(tag="008", data="950101s1995    vm")], 1995),
    ([_field("264", "c", "©2016", ind=" 4"), _field("264", "c", "2017", ind=" 1")], 2017),
    ([_field("260", "c", "12345"), Field(tag="008", data="950101s19uu    vm")], None),
    ([Field(tag="008", data="9501")], None),
])
def test_read_year(fields, expected):
    assert read_year(_record(*fields)) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ([_field("520", "a", "Giới thiệu địa lý, lịch sử tỉnh Quảng Trị.")], "Giới thiệu địa lý, lịch sử tỉnh Quảng Trị."),
    ([_field("520", "a", " Phần 1: tự nhiên. ", "b", "Bổ sung."), _field("500", "a", "Phụ chú."),
      _field("520", "a", "Phần 2: con người.", ind="3 ")], "Phần 1: tự nhiên.\n\nPhần 2: con người."),
    ([_field("520", "a", "Tóm tắt."), _field("520", "a", "Tóm tắt.")], "Tóm tắt."),
    ([_field("520", "b", "Chỉ có $b."), _field("520", "a", "  ")], None),
    ([], None),
])
def test_read_summary(fields, expected):
    assert read_summary(_record(*fields)) == expected


@pytest.mark.parametrize("fields", [
    [],
    [Field(tag="001"), Field(tag="008"), Field(tag="245")],
    [_field("245", "c", "Không có nhan đề"), _field("100", "d", "1920-")],
    [_field("020"), _field("041", "a", "|||"), _field("852"), _field("952", "1", "")],
    [_field("650", "z", ""), _field("651"), _field("653", "a", " ")],
    [_field("520"), _field("520", "a", "")],
])
def test_odd_records_map_to_nothing_rather_than_raise(fields):
    assert map_record(_record(*fields)) == RecordData(control_number=None, org_code=None)
