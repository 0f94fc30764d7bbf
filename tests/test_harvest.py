"""`flask catalog harvest`: one instance of the catalog harvests another over real HTTP, then only what changed."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select, update

import database
from accounts.models import AuditEvent
from app import create_app
from catalog.export import MARCXML_NAMESPACE
from catalog.harvest import OVERLAP, record_key
from catalog.importer import import_file
from catalog.libraries import seed_union
from catalog.models import Harvest, HarvestedRecord, ImportBatch, Library, Record, utcnow
from catalog.oai_client import Provider
from schema import upgrade
from tests.factories import iso2709, make_record, write
from tests.http_server import serving

LONG_AGO = datetime(2024, 3, 15, 8, 30)
QUANG_TRI = [f"QT{n:04d}" for n in range(1, 6)]
PROVIDER_BEHIND = timedelta(hours=3)  # the provider's clock is not ours


@pytest.fixture(scope="module")
def source_template(tmp_path_factory):
    """A migrated SQLite database for the provider: always a file of its own, whatever the harvester's is."""
    path = tmp_path_factory.mktemp("source") / "template.sqlite3"
    engine = database.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def source(source_template, tmp_path):
    """A second instance of the catalog, with its own database and index: the provider."""
    shutil.copy(source_template, tmp_path / "source.sqlite3")
    provider = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}",
                           "INDEX_DIR": str(tmp_path / "source-index"), "UPLOAD_DIR": str(tmp_path / "source-up"),
                           "SECRET_KEY": "source", "OAI_PAGE_SIZE": 2})
    with provider.app_context(), database.transaction() as db:
        seed_union(db)
    yield provider
    provider.extensions["db_engine"].dispose()


@pytest.fixture
def provider(source):
    with serving(source) as url:
        yield url


def import_into(app, tmp_path, name: str, *records, library: str = "TVQT") -> None:
    with app.app_context():
        import_file(database.engine(), write(tmp_path / name, iso2709(*records)), library_code=library)


def backdate(app, when: datetime = LONG_AGO) -> None:
    with app.app_context(), database.transaction() as db:
        db.execute(update(Record).values(updated_at=when))


def harvest(runner, url: str, *options: str):
    return runner.invoke(args=["catalog", "harvest", url, *options])


def live(app, library: str = "TVQT") -> dict[str, tuple[str | None, bytes]]:
    """A library's live records by 001: title and stored MARC."""
    with app.app_context():
        rows = database.session().execute(
            select(Record.control_number, Record.title, Record.marc).join(Library)
            .where(Library.code == library, Record.deleted.is_(False)))
        return {row.control_number: (row.title, row.marc) for row in rows}


def last_batch(app) -> ImportBatch:
    with app.app_context():
        return database.session().scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def counts(batch: ImportBatch) -> dict[str, int]:
    return {name: getattr(batch, name) for name in ("total", "new", "updated", "unchanged", "deleted", "rejected")}


def test_harvest_then_only_the_changes(app, runner, source, provider, tmp_path, monkeypatch):
    monkeypatch.setattr("protocols.oai.utcnow", lambda: utcnow() - PROVIDER_BEHIND)
    import_into(source, tmp_path, "qt.mrc", *(make_record(number) for number in QUANG_TRI))
    backdate(source)

    first = harvest(runner, provider, "--library", "TVQT")
    assert first.exit_code == 0, first.output
    assert "nhận 5 bản ghi" in first.output and "mới 5" in first.output
    assert live(app) == live(source)  # the same records, the same stored MARC
    with app.app_context():
        state = database.session().scalars(select(Harvest)).one()
        event = database.session().scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    # The provider's clock, not ours: the next harvest asks from its responseDate, less an overlap.
    assert abs(state.harvested_until - (utcnow() - PROVIDER_BEHIND - OVERLAP)) < timedelta(minutes=1)
    assert (state.url, state.set_spec, state.import_batch_id) == (provider, "", last_batch(app).id)
    assert event.username.startswith("cli:") and event.library_code == "TVQT"
    assert event.details["file"] == f"OAI-PMH {provider}"

    import_into(source, tmp_path, "changes.mrc", make_record("QT0002", title="Địa chí Quảng Trị, tái bản"),
                make_record("QT0003", status="d"), make_record("QT0006", title="Quảng Trị xưa"))
    second = harvest(runner, provider, "--library", "TVQT")
    assert second.exit_code == 0, second.output
    assert f"thay đổi từ {state.harvested_until:%Y-%m-%dT%H:%M:%SZ}" in second.output
    assert "nhận 2 bản ghi, 1 bản ghi đã xóa ở nguồn (1 xóa ở đây)" in second.output
    assert counts(last_batch(app)) == {"total": 3, "new": 1, "updated": 1, "unchanged": 0, "deleted": 1,
                                       "rejected": 0}
    records = live(app)
    assert sorted(records) == ["QT0001", "QT0002", "QT0004", "QT0005", "QT0006"]
    assert records["QT0002"][0] == "Địa chí Quảng Trị, tái bản"
    assert records == live(source)

    third = harvest(runner, provider, "--library", "TVQT")  # the provider's clock is behind: it sends them again
    assert third.exit_code == 0, third.output
    again = counts(last_batch(app))
    assert again["new"] == again["updated"] == again["deleted"] == 0
    assert live(app) == records
    assert not list((tmp_path / "uploads").glob("oai-*"))  # the harvested file is gone


def test_a_set_into_its_own_library(app, runner, source, provider, tmp_path):
    import_into(source, tmp_path, "qt.mrc", *(make_record(number) for number in QUANG_TRI[:2]))
    import_into(source, tmp_path, "qb.mrc", make_record("QB0001", org="TVQB", title="Non nước Quảng Bình",
                                                       copies=(("TVQB", "B.1"),)), library="TVQB")
    result = harvest(runner, provider, "--library", "tvqb", "--set", "TVQB")
    assert result.exit_code == 0, result.output
    assert sorted(live(app, "TVQB")) == ["QB0001"] and live(app, "TVQT") == {}
    with app.app_context():
        assert database.session().scalars(select(Harvest.set_spec)).one() == "TVQB"


def test_from_asks_only_for_later_changes_and_keeps_the_place(app, runner, source, provider, tmp_path):
    import_into(source, tmp_path, "old.mrc", *(make_record(number) for number in QUANG_TRI[:3]))
    backdate(source)
    import_into(source, tmp_path, "new.mrc", make_record("QT0009"))
    result = harvest(runner, provider, "--library", "TVQT", "--from", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert sorted(live(app)) == ["QT0009"]
    full = harvest(runner, provider, "--library", "TVQT", "--from", "2024-01-01T00:00:00Z")
    assert full.exit_code == 0, full.output
    assert sorted(live(app)) == ["QT0001", "QT0002", "QT0003", "QT0009"]
    with app.app_context():
        place = database.session().scalars(select(Harvest.harvested_until)).one()
    later = harvest(runner, provider, "--library", "TVQT", "--from", "2100-01-01")
    assert later.exit_code == 0 and "Không có gì thay đổi." in later.output
    with app.app_context():  # a later start asked by hand must not make the next harvest skip what lies between
        assert database.session().scalars(select(Harvest.harvested_until)).one() == place


def test_a_deletion_of_a_record_never_harvested_is_ignored(app, runner, source, provider, tmp_path):
    import_into(source, tmp_path, "a.mrc", make_record("QT0001"), make_record("QT0002"))
    import_into(source, tmp_path, "b.mrc", make_record("QT0002", status="d"))
    result = harvest(runner, provider, "--library", "TVQT")
    assert result.exit_code == 0, result.output
    assert "nhận 1 bản ghi, 1 bản ghi đã xóa ở nguồn (0 xóa ở đây)" in result.output
    with app.app_context():
        assert database.session().scalars(select(Record.control_number)).all() == ["QT0001"]
        assert database.session().scalars(select(HarvestedRecord.control_number)).all() == ["QT0001"]


def replacing(wsgi_app, old: str, new: str):
    """The application, with old in every query string replaced by new."""
    def app(environ, start_response):
        environ["QUERY_STRING"] = environ.get("QUERY_STRING", "").replace(old, new)
        return wsgi_app(environ, start_response)
    return app


def failing_after_the_first_page(wsgi_app):
    def app(environ, start_response):
        if "resumptionToken" in environ.get("QUERY_STRING", ""):
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"boom"]
        return wsgi_app(environ, start_response)
    return app


def nothing_stored(app) -> bool:
    with app.app_context():
        db = database.session()
        return all(db.scalar(select(func.count()).select_from(table)) == 0
                   for table in (Record, ImportBatch, Harvest, HarvestedRecord))


@pytest.mark.parametrize("case, message", [
    ("unreachable", "Không kết nối được tới http://127.0.0.1:9/oai"),
    ("html page", "không trả lời theo giao thức OAI-PMH"),
    ("no such page", "trả lời mã HTTP 404"),
    ("not http", "phải là một URL http:// hoặc https://"),
    ("oai error", "báo lỗi cannotDisseminateFormat"),
    ("breaks midway", "trả lời mã HTTP 500"),
    ("unknown library", "Không có thư viện mã “KHONGCO”"),
    ("unknown set", "không có tập (set) “TVXX”"),
    ("bad date", "Ngày “15/03/2024” không hợp lệ"),
])
def test_failures_say_why_and_store_nothing(app, runner, source, tmp_path, case, message):
    import_into(source, tmp_path, "qt.mrc", *(make_record(number) for number in QUANG_TRI))
    wsgi = {"oai error": replacing(source, "metadataPrefix=marc21", "metadataPrefix=mods"),
            "breaks midway": failing_after_the_first_page(source)}.get(case, source)
    with serving(wsgi) as url:
        url, options = {
            "unreachable": ("http://127.0.0.1:9/oai", []),
            "html page": (url.replace("/oai", "/libraries"), []),
            "no such page": (url + "/khong-co", []),
            "not http": ("ftp://127.0.0.1/oai", []),
            "unknown library": (url, ["--library", "KHONGCO"]),
            "unknown set": (url, ["--set", "TVXX"]),
            "bad date": (url, ["--from", "15/03/2024"]),
        }.get(case, (url, []))
        result = harvest(runner, url, *(options if "--library" in options else ["--library", "TVQT", *options]))
    assert result.exit_code != 0
    assert message in result.output
    assert nothing_stored(app)


@pytest.mark.parametrize("control, key", [
    ({"001": " QT0001 ", "003": "tvqb"}, ("TVQB", "QT0001")),
    ({"001": "QT0001"}, ("TVQT", "QT0001")),  # no 003: the importing library's code, as the import stores it
    ({"003": "TVQB"}, None),
    ({"001": "x" * 65}, None),
])
def test_record_key_is_the_key_the_import_stores(control, key):
    record = etree.Element(f"{{{MARCXML_NAMESPACE}}}record", nsmap={None: MARCXML_NAMESPACE})
    for tag, value in control.items():
        etree.SubElement(record, f"{{{MARCXML_NAMESPACE}}}controlfield", tag=tag).text = value
    assert record_key(record, "TVQT") == key


def test_a_provider_by_day_is_asked_by_day():
    moment = datetime(2024, 3, 15, 8, 30, 5)
    assert Provider("u", moment, day_granularity=True).datestamp(moment) == "2024-03-15"
    assert Provider("u", moment, day_granularity=False).datestamp(moment) == "2024-03-15T08:30:05Z"
