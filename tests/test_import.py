"""Importing MARC files from the command line: what the librarian sees and what the database holds."""
from __future__ import annotations

import json

import pytest
from pymarc import Field, Subfield
from sqlalchemy import func, select

import database
from catalog import importer, record_store
from catalog.models import Copy, ImportBatch, ImportRejection, Library, Record, RecordVersion
from tests.factories import iso2709, iso2709_in, make_record, write


def import_cli(runner, *args):
    return runner.invoke(args=["catalog", "import", *map(str, args)])


def count(app, model, *where) -> int:
    with app.app_context():
        return database.session().scalar(select(func.count()).select_from(model).where(*where))


def record_row(app, control_number: str) -> Record:
    with app.app_context():
        return database.session().scalar(select(Record).where(Record.control_number == control_number))


@pytest.fixture
def two_records(tmp_path):
    return write(tmp_path / "qt.mrc", iso2709(make_record("QT1"), make_record("QT2", title="Cồn Cỏ – Đảo anh hùng")))


def test_new_records_are_imported_with_their_fields_and_copies(app, runner, two_records):
    result = import_cli(runner, two_records)
    assert result.exit_code == 0, result.output
    assert "mới 2" in result.output and "bị từ chối 0" in result.output
    row = record_row(app, "QT2")
    assert row.title == "Cồn Cỏ – Đảo anh hùng"
    assert row.authors == ["Lê Văn Thủy"] and row.year == 2006 and row.encoding == "utf-8"
    assert count(app, Copy, Copy.registration_number == "DC.000001") == 2


def test_reimporting_the_same_file_changes_nothing(app, runner, two_records):
    import_cli(runner, two_records)
    result = import_cli(runner, two_records)
    assert "mới 0, cập nhật 0, không đổi 2" in result.output
    assert count(app, Record) == 2 and count(app, Copy) == 2


def test_changed_record_is_updated_in_place_and_its_old_marc_kept(app, runner, tmp_path, two_records):
    import_cli(runner, two_records)
    changed = write(tmp_path / "v2.mrc", iso2709(make_record("QT1", title="Địa chí Quảng Trị (tái bản)")))
    result = import_cli(runner, changed)
    assert "cập nhật 1" in result.output
    assert record_row(app, "QT1").title == "Địa chí Quảng Trị (tái bản)"
    assert count(app, Record) == 2
    assert count(app, RecordVersion, RecordVersion.change == "updated") == 1


def test_deleted_record_is_marked_and_keeps_its_history(app, runner, tmp_path, two_records):
    import_cli(runner, two_records)
    result = import_cli(runner, write(tmp_path / "del.mrc", iso2709(make_record("QT1", status="d"))))
    assert "xóa 1" in result.output
    row = record_row(app, "QT1")
    assert row.deleted is True and row.title == "Địa chí Quảng Trị"
    assert count(app, RecordVersion, RecordVersion.record_id == row.id, RecordVersion.change == "deleted") == 1
    assert count(app, Copy, Copy.record_id == row.id) == 0


def test_identity_is_library_and_003_and_001_not_001_alone(app, runner, tmp_path):
    same_number = iso2709(make_record("12058", org="TVNA", copies=(("TVNA", "NA.1"),)),
                          make_record("12058", org="TVQB", title="Địa chí Quảng Bình", copies=(("TVQB", "QB.1"),)))
    import_cli(runner, write(tmp_path / "two.mrc", same_number))
    with app.app_context():
        titles = database.session().execute(
            select(Library.code, Record.title).join(Library).order_by(Library.code)).all()
    assert titles == [("TVNA", "Địa chí Quảng Trị"), ("TVQB", "Địa chí Quảng Bình")]


def test_035_number_finds_a_record_whose_001_changed(app, runner, tmp_path):
    old = make_record("OLD-1")
    old.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", "(VN-QT)778")]))
    new = make_record("NEW-1", title="Địa chí Quảng Trị, bản sửa")
    new.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", "(VN-QT)778")]))
    import_cli(runner, write(tmp_path / "a.mrc", iso2709(old)))
    result = import_cli(runner, write(tmp_path / "b.mrc", iso2709(new)))
    assert "cập nhật 1" in result.output
    assert count(app, Record) == 1


def test_copy_held_by_another_member_is_placed_at_that_library(app, runner, tmp_path):
    record = make_record("QT9", copies=(("TVQT", "DC.1"), ("TVCC", "CC.7")))
    import_cli(runner, write(tmp_path / "h.mrc", iso2709(record)))
    with app.app_context():
        holders = database.session().execute(
            select(Library.code, Copy.registration_number).join(Library, Library.id == Copy.library_id)
            .order_by(Library.code)).all()
    assert holders == [("TVCC", "CC.7"), ("TVQT", "DC.1")]


def test_dry_run_reports_exactly_and_writes_nothing(app, runner, two_records):
    result = import_cli(runner, two_records, "--dry-run")
    assert result.exit_code == 0
    assert "THỬ" in result.output and "mới 2" in result.output
    assert count(app, Record) == 0 and count(app, ImportBatch) == 0


def test_record_without_a_known_library_is_rejected_unless_the_library_is_given(app, runner, tmp_path):
    path = write(tmp_path / "x.mrc", iso2709(make_record("X1", org="XYZ", copies=())))
    result = import_cli(runner, path)
    assert "bị từ chối 1" in result.output and "“XYZ”" in result.output
    result = import_cli(runner, path, "--library", "tvcc")
    assert "mới 1" in result.output
    row = record_row(app, "X1")
    assert row.org_code == "XYZ"


def test_record_without_001_is_rejected_with_a_reason(app, runner, tmp_path):
    record = make_record("Z")
    record.remove_fields("001")
    result = import_cli(runner, write(tmp_path / "z.mrc", iso2709(record)))
    assert "bị từ chối 1" in result.output and "001" in result.output


@pytest.mark.parametrize("args, message", [
    (("--library", "NOPE"), "Không có thư viện mã “NOPE”"),
    (("--encoding", "latin9"), "Invalid value"),
])
def test_unusable_arguments_exit_2_with_one_line(runner, two_records, args, message):
    result = import_cli(runner, two_records, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_file_exits_2(runner, tmp_path):
    result = import_cli(runner, tmp_path / "khong-co.mrc")
    assert result.exit_code == 2
    assert "không tồn tại" in result.output


def test_damaged_records_are_reported_and_the_rest_imported(app, runner, tmp_path):
    data = iso2709(make_record("A1")) + b"00026     2200025   4500\x1e\x1d" + iso2709(make_record("A3"))
    result = import_cli(runner, write(tmp_path / "d.mrc", data))
    assert "mới 2" in result.output and "bị từ chối 1" in result.output
    assert f"bản ghi #2, byte {len(iso2709(make_record('A1')))}" in result.output
    with app.app_context():
        rejection = database.session().scalar(select(ImportRejection))
    assert rejection.raw == b"00026     2200025   4500\x1e\x1d"


def test_a_crash_midway_leaves_whole_chunks_and_a_rerun_completes(app, runner, tmp_path, monkeypatch):
    records = [make_record(f"C{i}", copies=(("TVQT", f"DC.{i}"),)) for i in range(25)]
    path = write(tmp_path / "c.mrc", iso2709(*records))
    monkeypatch.setattr(importer, "CHUNK_SIZE", 10)
    real_store, calls = record_store.store_chunk, []

    def crash_on_second_chunk(conn, batch_id, chunk):
        calls.append(len(chunk))
        stored = real_store(conn, batch_id, chunk)
        if len(calls) == 2:
            raise RuntimeError("mất điện")
        return stored

    monkeypatch.setattr(importer, "store_chunk", crash_on_second_chunk)
    result = import_cli(runner, path)
    assert isinstance(result.exception, RuntimeError)
    assert count(app, Record) == 10 and count(app, Copy) == 10
    assert count(app, ImportBatch, ImportBatch.status == "interrupted") == 1
    monkeypatch.setattr(importer, "store_chunk", real_store)
    result = import_cli(runner, path)
    assert "mới 15, cập nhật 0, không đổi 10" in result.output
    assert count(app, Record) == 25 and count(app, Copy) == 25


def test_marcxml_and_marc_in_json_import_the_same_records(app, runner, tmp_path):
    from pymarc import record_to_xml

    first, second = make_record("J1"), make_record("J2", title="Văn hóa Hà Tĩnh")
    xml = b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + record_to_xml(first) + b"</collection>"
    import_cli(runner, write(tmp_path / "a.xml", xml))
    import_cli(runner, write(tmp_path / "b.json", f"[{first.as_json()}, {second.as_json()}]".encode()))
    result = import_cli(runner, write(tmp_path / "c.ndjson", f"{first.as_json()}\n{second.as_json()}\n".encode()))
    assert "[json]: 2 bản ghi — mới 0, cập nhật 0, không đổi 2" in result.output
    assert record_row(app, "J2").title == "Văn hóa Hà Tĩnh"


def test_dump_writes_one_json_object_per_record(app, runner, two_records):
    import_cli(runner, two_records)
    result = runner.invoke(args=["catalog", "dump"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {row["control_number"] for row in rows} == {"QT1", "QT2"}
    assert set(rows[0]) >= {"library", "org_code", "control_number", "title", "authors", "year", "isbns",
                            "deleted", "encoding"}
    assert rows[0]["library"] == "TVQT" and rows[0]["deleted"] is False and rows[0]["encoding"] == "utf-8"


def test_worker_processes_import_the_same_records_in_file_order(app, tmp_path, monkeypatch):
    from catalog import record_source

    monkeypatch.setattr(record_source, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(record_source, "BATCH", 7)
    records = [make_record(f"P{i}", copies=(("TVQT", f"DC.{i}"),)) for i in range(40)]
    damaged = b"00026     2200025   4500\x1e\x1d"
    path = write(tmp_path / "p.mrc", iso2709(*records[:20]) + damaged + iso2709(*records[20:]))
    with app.app_context():
        report = importer.import_file(database.engine(), path, workers=2)
    assert (report.total, report.new, report.rejected) == (41, 40, 1)
    assert report.rejections[0].position == 20
    assert count(app, Copy) == 40


@pytest.mark.parametrize("codec", ["tcvn3", "vni", "cp1258"])
def test_legacy_vietnamese_encodings_are_detected_and_stored_as_nfc(app, runner, tmp_path, codec):
    record = make_record("L1", title="Địa chí huyện đảo Cồn Cỏ: lịch sử và văn hóa", author="Nguyễn Thị Huế")
    result = import_cli(runner, write(tmp_path / f"{codec}.mrc", iso2709_in(codec, record)))
    assert "mới 1" in result.output, result.output
    row = record_row(app, "L1")
    assert (row.title, row.authors, row.encoding) == (
        "Địa chí huyện đảo Cồn Cỏ: lịch sử và văn hóa", ["Nguyễn Thị Huế"], codec)


def test_undecidable_encoding_is_rejected_with_candidates_and_can_be_forced(app, runner, tmp_path):
    # Two short legacy words: too little text to tell TCVN3 from VNI or Windows-1258 with confidence.
    record = make_record("U1", title="Huế", author=None, copies=())
    record.remove_fields("260", "651")
    path = write(tmp_path / "short.mrc", iso2709_in("tcvn3", record))
    result = import_cli(runner, path)
    assert "bị từ chối 1" in result.output and "--encoding" in result.output
    assert record_row(app, "U1") is None
    result = import_cli(runner, path, "--encoding", "tcvn3")
    assert "mới 1" in result.output
    assert record_row(app, "U1").title == "Huế"


def test_change_feed_names_new_and_changed_records_only(app, runner, tmp_path, two_records):
    from catalog.changes import changes_after, latest_change

    def feed_after(change_id):
        with app.app_context():
            return [record_id for _, record_id in changes_after(database.session(), change_id, 100)]

    import_cli(runner, two_records)
    qt1, qt2 = record_row(app, "QT1").id, record_row(app, "QT2").id
    assert set(feed_after(0)) == {qt1, qt2}  # new records, and then their new editions
    with app.app_context():
        seen = latest_change(database.session())
    import_cli(runner, two_records)  # unchanged: nothing new in the feed
    assert feed_after(seen) == []
    import_cli(runner, write(tmp_path / "v2.mrc", iso2709(make_record("QT1", title="Bản mới"))))
    assert feed_after(seen) == [qt1]  # changed, still its own edition


def with_summary(record, *paragraphs: str):
    for paragraph in paragraphs:
        record.add_ordered_field(Field(tag="520", indicators=[" ", " "], subfields=[Subfield("a", paragraph)]))
    return record


def test_summary_is_stored_and_follows_a_changed_520(app, runner, tmp_path):
    first = with_summary(make_record("QT1"), "Tự nhiên, dân cư.", "Lịch sử hành chính.")
    import_cli(runner, write(tmp_path / "v1.mrc", iso2709(first)))
    assert record_row(app, "QT1").summary == "Tự nhiên, dân cư.\n\nLịch sử hành chính."
    changed = with_summary(make_record("QT1"), "Bản tái bản: thêm phần kinh tế.")
    assert "cập nhật 1" in import_cli(runner, write(tmp_path / "v2.mrc", iso2709(changed))).output
    assert record_row(app, "QT1").summary == "Bản tái bản: thêm phần kinh tế."
    import_cli(runner, write(tmp_path / "v3.mrc", iso2709(make_record("QT1"))))
    assert record_row(app, "QT1").summary is None


def test_upgrade_reads_the_summaries_of_records_stored_before_it(app, runner, tmp_path):
    from alembic import command

    from catalog.changes import changes_after
    from schema import alembic_config, upgrade

    records = [with_summary(make_record("QT1"), "Giới thiệu tỉnh Quảng Trị."), make_record("QT2")]
    import_cli(runner, write(tmp_path / "qt.mrc", iso2709(*records)))
    with app.app_context():
        engine = database.engine()
        try:
            with engine.begin() as connection:
                config = alembic_config(engine.url.render_as_string(hide_password=False))
                config.attributes["connection"] = connection
                command.downgrade(config, "0002")  # as the database was before summaries
        finally:
            upgrade(engine)  # never leave a shared PostgreSQL test database behind the code
        fed = [record_id for _, record_id in changes_after(database.session(), 0, 100)]
    assert record_row(app, "QT1").summary == "Giới thiệu tỉnh Quảng Trị." and record_row(app, "QT2").summary is None
    # The upgrade queued the record with a summary for the index once more than the one without.
    assert fed.count(record_row(app, "QT1").id) == fed.count(record_row(app, "QT2").id) + 1
    assert count(app, Copy) == 2  # downgrading kept every copy
