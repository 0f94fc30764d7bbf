"""Export: a record or a library's catalog as ISO 2709, MARCXML or MARC-in-JSON; importing the export gives it back."""
from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pymarc import Field, MARCReader
from sqlalchemy import select

import database
from catalog import export
from catalog.dump import dump_rows
from catalog.importer import import_file
from catalog.marc_writer import to_iso2709
from catalog.models import Library, Record
from tests.factories import iso2709, make_record, write

FORMATS = ["iso2709", "marcxml", "json"]
CONTENT_TYPES = {"iso2709": "application/marc", "marcxml": "application/marcxml+xml", "json": "application/json"}
SLIM = "{http://www.loc.gov/MARC21/slim}"
SHARED_FILES = [
    "vi/vi_utf8.mrc", "vi/vi_utf8.xml", "vi/vi_nfd.xml", "vi/vi_tcvn3.mrc", "vi/vi_vni.mrc",
    "real/good/edsu__pymarc__test__test.dat", "real/good/edsu__pymarc__test__batch.xml",
    "real/good/edsu__pymarc__test__batch.json", "real/good/indexdata__yaz__test__marc-files__marccol1.u8.marc",
    "real/good/evergreen-library-system__Evergreen__Open-ILS__tests__datasets__hebrew.marc",
]


def run_import(app, path: Path, library: str):
    with app.app_context():
        return import_file(database.engine(), path, library_code=library)


def catalog_of(app, library: str) -> dict[tuple[str, str], tuple[dict, bytes]]:
    """A library's live records by (003, 001): what `catalog dump` says of each, and its stored MARC.

    The encoding a file came in (TCVN3, VNI…) is where a record came from, not what it says: an export is UTF-8.
    A record without 003 takes the organization code of the library that imports it: here it is OWN.
    """
    with app.app_context():
        db = database.session()
        marc = {(row.org_code, row.control_number): row.marc for row in db.execute(
            select(Record.org_code, Record.control_number, Record.marc).join(Library).where(Library.code == library))}
        rows = [row for row in dump_rows(db) if row["library"] == library and not row["deleted"]]
    catalog = {}
    for row in rows:
        key = (row["org_code"], row["control_number"])
        dumped = {name: value for name, value in row.items() if name not in ("library", "encoding", "edition")}
        if export.stored_record(marc[key]).get("003") is None:
            dumped["org_code"] = "OWN"
        catalog[(dumped["org_code"], key[1])] = (dumped, marc[key])
    return catalog


def export_then_import(app, client, tmp_path, fmt: str, source: str = "TVQT", target: str = "TVQB"):
    response = client.get(f"/libraries/{source}/export?format={fmt}")
    assert response.status_code == 200
    path = write(tmp_path / f"export.{fmt}", response.get_data())
    report = run_import(app, path, target)
    assert report.rejected == 0, report.rejections
    return catalog_of(app, source), catalog_of(app, target)


@pytest.mark.parametrize("fmt", FORMATS)
def test_library_export_imports_back_to_the_same_records(app, client, tmp_path, fmt):
    records = [make_record("QT0001"), make_record("QT0002", title="Lịch sử Đảng bộ tỉnh Quảng Trị", isbn="9786045800019"),
               make_record("QT0003", org="TVQB", title="Non nước Quảng Bình", author=None, copies=())]
    run_import(app, write(tmp_path / "in.mrc", iso2709(*records)), "TVQT")
    source, target = export_then_import(app, client, tmp_path, fmt)
    assert len(source) == 3
    assert target == source


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("file_name", SHARED_FILES)
def test_shared_files_export_and_import_back_unchanged(app, client, shared_marc, tmp_path, file_name, fmt):
    run_import(app, shared_marc / file_name, "TVQT")
    source, target = export_then_import(app, client, tmp_path, fmt)
    assert source, f"nothing of {file_name} was imported"
    assert target.keys() == source.keys()
    for key, (dumped, marc) in source.items():
        assert target[key] == (dumped, marc), key


def test_deleted_records_are_left_out(app, client, tmp_path):
    run_import(app, write(tmp_path / "a.mrc", iso2709(make_record("QT0001"), make_record("QT0002"))), "TVQT")
    run_import(app, write(tmp_path / "b.mrc", iso2709(make_record("QT0002", status="d"))), "TVQT")
    body = client.get("/libraries/TVQT/export?format=iso2709").get_data()
    assert [record["001"].data for record in MARCReader(io.BytesIO(body))] == ["QT0001"]
    deleted_id = _record_id(app, "QT0002")
    response = client.get(f"/records/{deleted_id}/export")
    assert response.status_code == 410
    assert "đã bị xóa" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_whole_library_streams_a_body_that_parses(app, client, tmp_path, fmt):
    records = [make_record(f"QT{n:04d}", title=f"Địa chí huyện {n}") for n in range(1, 8)]
    run_import(app, write(tmp_path / "in.mrc", iso2709(*records)), "TVQT")
    response = client.get(f"/libraries/tvqt/export?format={fmt}")
    assert response.is_streamed
    assert response.mimetype == CONTENT_TYPES[fmt]
    assert response.headers["Content-Disposition"] == f"attachment; filename=TVQT.{export.FORMATS[fmt].extension}"
    assert parsed_titles(fmt, response.get_data()) == [f"Địa chí huyện {n} /" for n in range(1, 8)]
    assert app.extensions["db_engine"].pool.checkedout() == 0  # the stream's session ended with it


def parsed_titles(fmt: str, body: bytes) -> list[str]:
    if fmt == "iso2709":
        return [record["245"]["a"] for record in MARCReader(io.BytesIO(body), to_unicode=True, force_utf8=True)]
    if fmt == "marcxml":
        root = ElementTree.fromstring(body)
        assert root.tag == f"{SLIM}collection"
        return [field.find(f"{SLIM}subfield[@code='a']").text
                for field in root.iter(f"{SLIM}datafield") if field.get("tag") == "245"]
    return [next(f["245"]["subfields"][0]["a"] for f in record["fields"] if "245" in f) for record in json.loads(body)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_library_exports_an_empty_file_that_parses(client, fmt):
    response = client.get(f"/libraries/TVCC/export?format={fmt}")
    assert response.status_code == 200
    assert parsed_titles(fmt, response.get_data()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_record_exports_and_imports_back(app, client, tmp_path, fmt):
    run_import(app, write(tmp_path / "a.mrc", iso2709(make_record("QT0001"), make_record("QT/0002"))), "TVQT")
    response = client.get(f"/records/{_record_id(app, 'QT/0002')}/export?format={fmt}")
    assert response.mimetype == CONTENT_TYPES[fmt]
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=TVQT-QT_0002.{export.FORMATS[fmt].extension}")
    run_import(app, write(tmp_path / f"one.{fmt}", response.get_data()), "TVQB")
    assert catalog_of(app, "TVQB") == {key: value for key, value in catalog_of(app, "TVQT").items()
                                       if key == ("TVQT", "QT/0002")}


def test_no_format_means_iso2709(app, client, tmp_path):
    run_import(app, write(tmp_path / "a.mrc", iso2709(make_record("QT0001"))), "TVQT")
    response = client.get(f"/records/{_record_id(app, 'QT0001')}/export")
    assert response.mimetype == "application/marc"
    assert response.get_data() == catalog_of(app, "TVQT")[("TVQT", "QT0001")][1]


@pytest.mark.parametrize("url, status, message", [
    ("/libraries/TVQT/export?format=csv", 400, "Định dạng xuất “csv” không được hỗ trợ"),
    ("/records/1/export?format=marc21", 400, "không được hỗ trợ"),
    ("/records/999999/export", 404, "Không có bản ghi số 999999"),
    ("/records/99999999999999999999/export", 404, "Không có bản ghi số 99999999999999999999"),
    ("/libraries/KHONGCO/export?format=json", 404, "Không có thư viện mã “KHONGCO”"),
])
def test_unknown_format_record_or_library(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_records_by_id_keep_the_order_given_and_read_in_batches(app, tmp_path):
    run_import(app, write(tmp_path / "a.mrc", iso2709(*(make_record(f"QT{n:04d}") for n in range(1, 6)))), "TVQT")
    with app.app_context():
        db = database.session()
        ids = list(db.scalars(select(Record.id).order_by(Record.id)))
        chosen = [ids[3], ids[0], 999999, ids[4]]
        numbers = [MARCReader(io.BytesIO(marc)).__next__()["001"].data
                   for marc in export.records_marc(db, chosen, batch=2)]
        library_id = db.scalar(select(Library.id).where(Library.code == "TVQT"))
        assert len(list(export.library_marc(db, library_id, batch=2))) == 5
    assert numbers == ["QT0004", "QT0001", "QT0005"]


def test_marcxml_stays_valid_with_characters_xml_cannot_carry():
    record = make_record("QT0001", title="Địa chí\x0b Quảng Trị")
    record.add_field(Field(tag="009", data="a\x01b"))
    root = ElementTree.fromstring(b"".join(export.write_marcxml([to_iso2709(record)])))
    assert "Địa chí\ufffd Quảng Trị /" in [sub.text for sub in root.iter(f"{SLIM}subfield")]


def _record_id(app, control_number: str) -> int:
    with app.app_context():
        return database.session().scalar(select(Record.id).where(Record.control_number == control_number))
