"""Odd and hostile files: every record imported, updated or rejected with a reason, never a crash."""
from __future__ import annotations

import json

import pytest
from pymarc import Field, Subfield, record_to_xml
from sqlalchemy import func, select

import database
from catalog.importer import import_file
from catalog.models import Copy, ImportRejection, Library, Record
from tests.factories import iso2709, make_record, write
from tests.test_import import count, import_cli, record_row
from tests.test_import_page import upload


def ndjson(*records) -> bytes:
    return b"".join(record.as_json().encode() + b"\n" for record in records)


def test_nul_in_a_field_rejects_that_record_only(app, runner, tmp_path):
    bad = make_record("N1", title="Địa chí\x00 Quảng Trị")
    result = import_cli(runner, write(tmp_path / "nul.mrc", iso2709(make_record("N0"), bad, make_record("N2"))))
    assert "mới 2" in result.output and "bị từ chối 1" in result.output and "U+0000" in result.output
    assert record_row(app, "N1") is None and record_row(app, "N2") is not None


def test_nul_in_the_001_is_shown_as_a_symbol_in_the_rejection(app, runner, tmp_path):
    data = make_record("J\x001").as_json().encode() + b"\n" + make_record("J2").as_json().encode() + b"\n"
    result = import_cli(runner, write(tmp_path / "n.jsonl", data))
    assert "mới 1" in result.output and "J␀1" in result.output


def test_lone_surrogate_in_json_rejects_that_record_only(app, runner, tmp_path):
    document = json.loads(make_record("J1").as_json())
    document["fields"].append({"500": {"ind1": " ", "ind2": " ", "subfields": [{"a": "SURROGATE"}]}})
    broken = json.dumps(document).replace("SURROGATE", "\\ud800")
    data = broken.encode() + b"\n" + make_record("J2").as_json().encode() + b"\n"
    result = import_cli(runner, write(tmp_path / "s.jsonl", data))
    assert "mới 1" in result.output and "U+D800" in result.output


def test_marcxml_records_before_a_syntax_error_are_kept(app, runner, tmp_path):
    good = b"".join(record_to_xml(make_record(f"X{i}")) for i in range(2))
    data = b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + good + b"<record><leader>oops</record>"
    result = import_cli(runner, write(tmp_path / "x.xml", data))
    assert "mới 2" in result.output and "bị từ chối 1" in result.output and "XML hỏng ở dòng" in result.output


SECRET = "NOI-DUNG-MAT-CUA-MAY-CHU"
XML_RECORD = (b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>'
              b'<controlfield tag="001">%s</controlfield><controlfield tag="003">TVQT</controlfield>'
              b'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">%s</subfield></datafield></record></collection>')
BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE collection [\n<!ENTITY lol0 "lol">\n'
                  + b"".join(b'<!ENTITY lol%d "%s">\n' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10))
                  + b"]>\n" + XML_RECORD % (b"&lol9;", b"&lol9;"))


def hostile_xml(kind: str, secret_file) -> bytes:
    """A MARCXML file that expands entities a billion times, or reads a file of the server into a record."""
    if kind == "billion laughs":
        return BILLION_LAUGHS
    where = secret_file.as_uri().encode()
    declarations = {
        "external entity": b'<!DOCTYPE collection [<!ENTITY secret SYSTEM "%s">]>' % where,
        "external parameter entity": b'<!DOCTYPE collection [<!ENTITY %% secret SYSTEM "%s"> %%secret;]>' % where,
        "external DTD": b'<!DOCTYPE collection SYSTEM "%s">' % where,
    }
    return b'<?xml version="1.0"?>\n' + declarations[kind] + XML_RECORD % (b"&secret;", b"&secret;")


XML_ATTACKS = ["billion laughs", "external entity", "external parameter entity", "external DTD"]


@pytest.fixture
def secret_file(tmp_path):
    return write(tmp_path / "secret.txt", SECRET.encode())


def stored_text(app) -> str:
    """Everything the database keeps of imports and records, to look for leaked content."""
    with app.app_context():
        rows = database.session().execute(select(ImportRejection.reason, ImportRejection.raw)).all()
        rows += database.session().execute(select(Record.title, Record.marc)).all()
    return repr(rows)


@pytest.mark.parametrize("kind", XML_ATTACKS)
def test_hostile_xml_is_refused_by_the_importer(app, tmp_path, secret_file, kind):
    with app.app_context():
        report = import_file(database.engine(), write(tmp_path / "h.xml", hostile_xml(kind, secret_file)))
    assert (report.total, report.new, report.rejected) == (1, 0, 1)
    assert "thực thể (entity) hoặc tham chiếu bên ngoài" in report.rejections[0].reason
    assert count(app, Record) == 0 and SECRET not in stored_text(app) and "lollol" not in stored_text(app)


@pytest.mark.parametrize("kind", XML_ATTACKS)
def test_hostile_xml_is_refused_on_the_upload_page(app, client, sign_in, tmp_path, secret_file, kind):
    sign_in(client, "dieuphoi", "coordinator")
    response = upload(client, hostile_xml(kind, secret_file), "h.xml", dry_run="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "bị từ chối vì lý do an toàn" in page and SECRET not in page
    stored = upload(client, hostile_xml(kind, secret_file), "h.xml")
    report = client.get(stored.headers["Location"]).get_data(as_text=True)
    assert "bị từ chối vì lý do an toàn" in report and SECRET not in report and "lollol" not in report
    assert count(app, Record) == 0 and SECRET not in stored_text(app)


def test_ndjson_with_blank_first_line_and_a_broken_line(app, runner, tmp_path):
    data = b"\n" + ndjson(make_record("L1")) + b'{"leader": broken\n' + ndjson(make_record("L3"))
    result = import_cli(runner, write(tmp_path / "l.jsonl", data))
    assert "mới 2" in result.output and "bị từ chối 1" in result.output and "#2" in result.output


@pytest.mark.parametrize("mutate, reason", [
    (lambda fields: fields.append({"245": {"ind1": "1", "ind2": "0", "subfields": [{"zz": "x"}]}}), "“zz”"),
    (lambda fields: fields.append({"2450": {"ind1": " ", "ind2": " ", "subfields": [{"a": "x"}]}}), "“2450”"),
])
def test_json_with_bad_codes_or_tags_is_rejected(app, runner, tmp_path, mutate, reason):
    document = json.loads(make_record("K1").as_json())
    mutate(document["fields"])
    result = import_cli(runner, write(tmp_path / "k.json", json.dumps(document).encode()))
    assert "bị từ chối 1" in result.output and reason in result.output


def test_json_null_indicator_is_blank(app, runner, tmp_path):
    document = json.loads(make_record("K2").as_json())
    document["fields"].append({"500": {"ind1": None, "ind2": None, "subfields": [{"a": "Ghi chú"}]}})
    import_cli(runner, write(tmp_path / "k.json", json.dumps(document).encode()))
    assert "\x1e  \x1faGhi chú".encode() in record_row(app, "K2").marc


def test_035_match_never_lets_two_records_replace_one_row(app, runner, tmp_path):
    first = make_record("A1")
    first.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", "(QT)9")]))
    import_cli(runner, write(tmp_path / "a.mrc", iso2709(first)))
    other = make_record("B1", title="Sách khác")
    other.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", "(QT)9")]))
    path = write(tmp_path / "ab.mrc", iso2709(first, other))
    assert "mới 1, cập nhật 0, không đổi 1" in import_cli(runner, path).output
    assert "mới 0, cập nhật 0, không đổi 2" in import_cli(runner, path).output
    assert count(app, Record) == 2


def test_duplicate_001_in_one_file_rejects_the_later_one(app, runner, tmp_path):
    path = write(tmp_path / "dup.mrc", iso2709(make_record("D1"), make_record("D1", title="Bản trùng")))
    result = import_cli(runner, path)
    assert "mới 1" in result.output and "trùng với bản ghi #1" in result.output
    assert "không đổi 1" in import_cli(runner, path).output
    assert record_row(app, "D1").title == "Địa chí Quảng Trị"


def test_field_text_without_a_subfield_code_is_kept_as_a(app, runner, tmp_path):
    title = "Địa chí Quảng Trị /".encode()
    data = iso2709(make_record("T1")).replace(b"10\x1fa" + title, b"10" + title)
    import_cli(runner, write(tmp_path / "t.mrc", data))
    assert record_row(app, "T1").title == "Địa chí Quảng Trị"


def test_organization_codes_compare_without_case(app, runner, tmp_path):
    import_cli(runner, write(tmp_path / "u.mrc", iso2709(make_record("C1", org="TVQT"))))
    result = import_cli(runner, write(tmp_path / "l.mrc", iso2709(make_record("C1", org="tvqt"))))
    assert "mới 0" in result.output and count(app, Record) == 1
    refused = runner.invoke(args=["libraries", "add", "ABC", "Thư viện ABC", "--org-code", "tvqt"])
    assert refused.exit_code == 2


def test_byte_order_mark_before_the_first_record(app, runner, tmp_path):
    result = import_cli(runner, write(tmp_path / "bom.mrc", b"\xef\xbb\xbf" + iso2709(make_record("B0"))))
    assert "mới 1" in result.output


def test_bytes_without_terminators_are_skipped_in_bounded_memory(app, runner, tmp_path):
    data = b"x" * 300_000 + b"\x1d" + iso2709(make_record("G1"))
    result = import_cli(runner, write(tmp_path / "g.mrc", data))
    assert "mới 1" in result.output and "bị từ chối 1" in result.output and "0x1D" in result.output


def test_a_file_without_records_says_so(app, runner, tmp_path):
    result = import_cli(runner, write(tmp_path / "e.xml", b"<collection></collection>"))
    assert "Không tìm thấy bản ghi MARC nào" in result.output


def test_all_files_are_checked_before_anything_is_imported(app, runner, tmp_path):
    good = write(tmp_path / "a.mrc", iso2709(make_record("F1")))
    result = import_cli(runner, good, write(tmp_path / "b.mrc", b""))
    assert result.exit_code == 2 and "rỗng" in result.output and count(app, Record) == 0


def test_koha_items_become_copies_at_their_holding_branch(app, runner, tmp_path):
    record = make_record("KOHA1", copies=())
    for branch, barcode, lost in (("TVQT", "QT.1", "0"), ("TVCC", "CC.9", "1")):
        record.add_field(Field(tag="952", indicators=[" ", " "], subfields=[
            Subfield("a", "TVQT"), Subfield("b", branch), Subfield("p", barcode), Subfield("1", lost)]))
    import_cli(runner, write(tmp_path / "koha.mrc", iso2709(record)))
    with app.app_context():
        copies = database.session().execute(
            select(Library.code, Copy.registration_number, Copy.status).join(Library, Library.id == Copy.library_id)
            .order_by(Library.code)).all()
    assert copies == [("TVCC", "CC.9", "lost"), ("TVQT", "QT.1", "available")]


@pytest.mark.parametrize("name, data, fragment", [
    ("r.xml", b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>bad</leader>'
              b'<controlfield tag="001">R1</controlfield></record></collection>', b"<controlfield"),
    ("r.jsonl", b'{"leader": "short", "fields": []}\n{"leader": "x", "fields": []}\n', b'"leader": "short"'),
])
def test_rejected_records_download_in_the_files_format(client, sign_in, name, data, fragment):
    sign_in(client, "dieuphoi", "coordinator")
    location = upload(client, data, name).headers["Location"]
    download = client.get(f"{location}/rejected")
    assert download.status_code == 200 and fragment in download.data


def test_dry_run_counts_updates_and_deletions_exactly(app, runner, tmp_path):
    import_cli(runner, write(tmp_path / "a.mrc", iso2709(make_record("E1"), make_record("E2"))))
    changes = write(tmp_path / "b.mrc", iso2709(make_record("E1", title="Mới"), make_record("E2", status="d"),
                                                make_record("E3")))
    dry = import_cli(runner, changes, "--dry-run").output
    assert "mới 1, cập nhật 1, không đổi 0, xóa 1" in dry
    with app.app_context():
        assert database.session().scalar(select(func.count()).where(Record.deleted)) == 0
    assert "mới 1, cập nhật 1, không đổi 0, xóa 1" in import_cli(runner, changes).output


def test_json_array_is_read_record_by_record_and_a_break_keeps_what_came_before(app, runner, tmp_path):
    data = f"[{make_record('A1').as_json()},\n{make_record('A2').as_json()},\n{{\"leader\": ".encode()
    result = import_cli(runner, write(tmp_path / "a.json", data))
    assert "mới 2" in result.output and "Tệp JSON hỏng sau bản ghi #2" in result.output
