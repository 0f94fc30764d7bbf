"""Backup and restore of the whole database: a catalog (records and copies, editions, a rejected record, a donation
received, an exchange, users, a sign-in, the audit log) backed up and restored into an empty database gives back
every row of every table, the same search and the same editions, and takes the next import and transfer; a
database that holds records is refused unless --replace; a damaged backup changes nothing; a backup moves
between SQLite and PostgreSQL either way."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import JSON, MetaData, Text, cast, inspect, select

import database
from accounts import tokens
from accounts.models import User
from app import create_app
from catalog.libraries import seed_union
from catalog.models import Edition, Library
from operations import revisions
from schema import upgrade
from tests.conftest import ON_POSTGRES, SERVER_URL, _drop_postgres_database, _private_postgres_database
from tests.factories import iso2709, make_record, write
from tests.test_exchange import ISBN, copies_at, donation, import_as

RUN = "postgresql" if ON_POSTGRES else "sqlite"
OLDER = "0008"  # an older revision, whose library table is still the models' (seed_union writes it)
CROSSINGS = [pytest.param(RUN, RUN, id=f"{RUN}-to-{RUN}")] + ([
    pytest.param("sqlite", "postgresql", id="sqlite-to-postgresql"),
    pytest.param("postgresql", "sqlite", id="postgresql-to-sqlite")] if ON_POSTGRES else [])


@pytest.fixture
def database_url(request, database_url, tmp_path):
    """The database backed up: the run's, or (param "sqlite") a SQLite file when the run is on PostgreSQL."""
    if getattr(request, "param", RUN) == RUN:
        return database_url
    url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    engine = database.make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def empty_database(tmp_path):
    """empty_database("sqlite" | "postgresql"): the URL of a database with nothing in it, not even a schema."""
    made: list[str] = []

    def make(kind: str = RUN) -> str:
        made.append(_private_postgres_database(SERVER_URL) if kind == "postgresql"
                    else f"sqlite:///{tmp_path / f'empty-{len(made)}.sqlite3'}")
        return made[-1]
    yield make
    for url in made:
        if url.startswith("postgresql"):
            _drop_postgres_database(SERVER_URL, url)


@pytest.fixture
def app_on(tmp_path):
    """app_on(url): the application on another database, with a search index of its own."""
    apps = []

    def make(url: str):
        apps.append(create_app({"TESTING": True, "DATABASE_URL": url, "INDEX_DIR": str(tmp_path / f"index-{len(apps)}"),
                                "UPLOAD_DIR": str(tmp_path / "uploads"), "IMPORT_WAIT_SECONDS": 60,
                                "SECRET_KEY": "test", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"}))
        return apps[-1]
    yield make
    for made in apps:
        made.extensions["db_engine"].dispose()


@pytest.fixture
def catalog(app, runner, api, sign_in, tmp_path):
    """Quảng Trị's records (one re-imported changed, one rejected), Quảng Bình's, a donation to Cồn Cỏ received,
    an exchange whose first transfer names the second, users with tokens, a sign-in, and the audit log."""
    import_as(runner, tmp_path, "TVQT",
              make_record("QT1", isbn=ISBN, copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03"))),
              make_record("QT2", title="Cồn Cỏ – Đảo anh hùng", year="2010", copies=(("TVQT", "QT.04"),)))
    import_as(runner, tmp_path, "TVQB", make_record("QB1", org="TVQB", title="Lịch sử Quảng Bình", year="2012",
                                                    copies=(("TVQB", "QB.01"), ("TVQB", "QB.02"))))
    broken = iso2709(make_record("QT9", title="Bản ghi hỏng"))
    write(tmp_path / "qt-v2.mrc", iso2709(make_record("QT2", title="Cồn Cỏ – Đảo anh hùng (tái bản)", year="2010",
                                                      copies=(("TVQT", "QT.04"),))) + broken[:60] + broken[80:])
    assert "bị từ chối 1" in runner.invoke(args=["catalog", "import", str(tmp_path / "qt-v2.mrc"),
                                                  "--library", "TVQT"]).output
    sent = donation(api, {"copy": "QT.01"}, {"title": "Sách chưa biên mục về đảo Cồn Cỏ", "quantity": 2})
    assert api("thuthu.qt", "post", f"/api/transfers/{sent['id']}/dispatch").status_code == 200
    assert api("thuthu.cc", "post", f"/api/transfers/{sent['id']}/receive").get_json()["state"] == "received"
    there = api("thuthu.qt", "post", "/api/transfers", {"kind": "exchange", "from": "TVQT", "to": "TVQB",
                                                         "date": "2022-05-04", "lines": [{"copy": "QT.04"}]})
    api("thuthu.qb", "post", "/api/transfers", {"kind": "exchange", "from": "TVQB", "to": "TVQT", "date": "2022-05-04",
                                                "counterpart": there.get_json()["id"], "lines": [{"copy": "QB.01"}]})
    sign_in(app.test_client(), "dieuphoi", "coordinator")
    return app


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, every column (JSON as the text stored), by primary key."""
    engine = database.make_engine(url)
    try:
        with engine.connect() as conn:
            metadata = MetaData()
            metadata.reflect(conn)
            return {table.name: [tuple(row) for row in conn.execute(
                select(*(cast(column, Text) if isinstance(column.type, JSON) else column for column in table.columns))
                .order_by(*table.primary_key.columns))] for table in metadata.sorted_tables}
    finally:
        engine.dispose()


def table_names(url: str) -> list[str]:
    engine = database.make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def back_up(app, tmp_path: Path) -> Path:
    path = tmp_path / "sao-luu.jsonl.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def restore(app, path: Path, *options: str):
    return app.test_cli_runner().invoke(args=["restore", str(path), *options])


def header_of(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return json.loads(next(lines))


def edition_keys(app) -> list[str]:
    with app.app_context():
        return sorted(database.session().scalars(select(Edition.key)))


def api_as(app, username: str):
    """A call to the app's JSON API as one of its users, through a token made for the occasion."""
    with app.app_context(), database.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        secret = tokens.create_token(db, user, "test", user)
    client = app.test_client()
    return lambda method, path, body=None: client.open(path, method=method.upper(), json=body,
                                                       headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("database_url, target", CROSSINGS, indirect=["database_url"])
def test_a_backup_restored_into_an_empty_database_gives_back_every_row(catalog, target, tmp_path, empty_database,
                                                                       app_on):
    path = back_up(catalog, tmp_path)
    header = header_of(path)
    assert (header["format"], header["version"], header["revision"]) == ("muc-luc-lien-hop/backup", 1,
                                                                          revisions.head())
    assert header["database"] == catalog.config["DATABASE_URL"].split("+")[0].split(":")[0]
    assert header["index"]["current"] == (Path(catalog.config["INDEX_DIR"]) / "CURRENT").read_text().strip()
    source = every_row(catalog.config["DATABASE_URL"])
    assert {table["name"]: table["rows"] for table in header["tables"]} == {
        name: len(rows) for name, rows in source.items() if name != "alembic_version"}
    assert all(source[name] for name in ("record", "copy", "edition", "transfer", "copy_movement", "app_user",
                                         "api_token", "login_attempt", "audit_event", "import_rejection",
                                         "record_version", "registration_counter"))

    restored = app_on(empty_database(target))
    result = restore(restored, path)
    assert result.exit_code == 0, result.output
    rows = f"{sum(table['rows'] for table in header['tables']):,}".replace(",", ".")  # as Vietnamese writes it
    assert f"{len(header['tables'])} bảng, {rows} dòng" in result.output
    assert f"Chỉ mục tìm kiếm lúc sao lưu: {header['index']['current']}" in result.output
    assert "Đã lập lại chỉ mục tìm kiếm từ cơ sở dữ liệu: 3 ấn bản." in result.output
    assert every_row(restored.config["DATABASE_URL"]) == source

    for query in ("Cồn Cỏ", "quang binh", ISBN):
        answers = [app.test_client().get("/api/search", query_string={"q": query}).get_json()["hits"]
                   for app in (catalog, restored)]
        assert answers[0] and answers[1] == answers[0]
    for key in edition_keys(catalog):
        before, after = (app.test_client().get(f"/api/editions/{key}") for app in (catalog, restored))
        assert (after.status_code, after.get_json()) == (before.status_code, before.get_json())


@pytest.mark.parametrize("database_url, target", CROSSINGS, indirect=["database_url"])
def test_the_restored_database_takes_the_next_import_and_transfer(catalog, target, tmp_path, empty_database, app_on):
    path = back_up(catalog, tmp_path)
    restored = app_on(empty_database(target))
    assert restore(restored, path).exit_code == 0
    runner = restored.test_cli_runner()
    import_as(runner, tmp_path, "TVQT", make_record("QT3", title="Vĩnh Linh – đất thép", copies=(("TVQT", "QT.06"),)),
              name="next.mrc")
    sender, receiver = api_as(restored, "thuthu.qt"), api_as(restored, "thuthu.cc")
    sent = sender("post", "/api/transfers", {"kind": "donation", "from": "TVQT", "to": "TVCC", "date": "2023-03-26",
                                             "lines": [{"copy": "QT.06"}, {"title": "Sách mới", "quantity": 1}]})
    assert sent.status_code == 201, sent.get_json()
    assert sender("post", f"/api/transfers/{sent.get_json()['id']}/dispatch").status_code == 200
    assert receiver("post", f"/api/transfers/{sent.get_json()['id']}/receive").get_json()["state"] == "received"
    # Cồn Cỏ's own numbering goes on from the restored counter.
    assert copies_at(restored, "TVCC") == ["QT.01", "QT.06", "TVCC-000001", "TVCC-000002", "TVCC-000003"]
    hits = restored.test_client().get("/api/search", query_string={"q": "vinh linh"}).get_json()["hits"]
    assert [hit["title"] for hit in hits] == ["Vĩnh Linh – đất thép"]


def test_a_write_committed_while_the_backup_reads_is_not_in_it(catalog, tmp_path, empty_database, app_on,
                                                                monkeypatch):
    from operations import backup_file

    url, write_rows = catalog.config["DATABASE_URL"], backup_file.Writer.rows
    libraries = len(every_row(url)["library"])

    def meanwhile(writer, table, rows):
        if table.name == "edition":  # written before the libraries are read
            other = database.make_engine(url)
            with other.begin() as conn:
                conn.execute(Library.__table__.insert().values(code="TVGL", name="Thư viện huyện Gio Linh",
                                                               kind="district", org_code="TVGL"))
            other.dispose()
        return write_rows(writer, table, rows)
    monkeypatch.setattr(backup_file.Writer, "rows", meanwhile)
    path = back_up(catalog, tmp_path)
    assert len(every_row(url)["library"]) == libraries + 1
    restored = app_on(empty_database())
    assert restore(restored, path).exit_code == 0
    assert len(every_row(restored.config["DATABASE_URL"])["library"]) == libraries


def test_a_database_that_holds_records_is_refused_and_left_as_it_was(catalog, tmp_path):
    path = back_up(catalog, tmp_path)
    before = every_row(catalog.config["DATABASE_URL"])
    result = restore(catalog, path)
    assert result.exit_code == 2
    assert "Cơ sở dữ liệu không trống" in result.output and "record" in result.output
    assert "--replace" in result.output and "Không có gì thay đổi" in result.output
    assert every_row(catalog.config["DATABASE_URL"]) == before


def test_replace_empties_the_database_and_restores_the_backup(catalog, runner, tmp_path):
    path = back_up(catalog, tmp_path)
    backed_up = every_row(catalog.config["DATABASE_URL"])
    import_as(runner, tmp_path, "TVQT", make_record("QT7", title="Sau lần sao lưu", copies=(("TVQT", "QT.07"),)),
              name="after.mrc")
    result = restore(catalog, path, "--replace")
    assert result.exit_code == 0, result.output
    assert every_row(catalog.config["DATABASE_URL"]) == backed_up
    assert catalog.test_client().get("/api/search", query_string={"q": "sau lan sao luu"}).get_json()["hits"] == []


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 2 // 3])


def rewritten(change):
    """Damage the file's lines, then gzip them again properly: only the content is wrong."""
    def damage(path: Path) -> None:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            kept = change(list(lines))
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.writelines(kept)
    return damage


def _library_twice(lines: list[str]) -> list[str]:
    header = json.loads(lines[0])
    next(table for table in header["tables"] if table["name"] == "library")["rows"] += 1
    first = next(position for position, line in enumerate(lines) if line.startswith('["library",'))
    return [json.dumps(header) + "\n", *lines[1:first + 1], *lines[first:]]


DAMAGES = [
    pytest.param(truncated, "tệp kết thúc giữa chừng (bị cắt cụt)", id="truncated"),
    pytest.param(rewritten(lambda lines: lines[:-3] + ['["copy_movement", 1, 2\n'] + lines[-2:]),
                 "dòng không phải JSON", id="bad-line"),
    pytest.param(rewritten(lambda lines: lines[:-1]), "phần đầu ghi", id="rows-missing"),
    pytest.param(rewritten(lambda lines: [lines[0].replace('"revision":"', '"revision":"9999_')] + lines[1:]),
                 "không biết", id="newer-revision"),
    pytest.param(rewritten(_library_twice), "Cơ sở dữ liệu từ chối dữ liệu của bảng library", id="refused-row"),
]


@pytest.mark.parametrize("damage, message", DAMAGES)
def test_a_damaged_backup_fails_clearly_and_leaves_the_empty_database_empty(catalog, tmp_path, empty_database,
                                                                            app_on, damage, message):
    path = back_up(catalog, tmp_path)
    damage(path)
    restored = app_on(empty_database())
    result = restore(restored, path)
    assert result.exit_code == 2
    assert message in result.output and "Không có gì thay đổi trong cơ sở dữ liệu." in result.output
    assert table_names(restored.config["DATABASE_URL"]) == []  # not even the schema: it was in the same transaction


def test_a_damaged_backup_with_replace_leaves_the_database_as_it_was(catalog, tmp_path):
    path = back_up(catalog, tmp_path)
    truncated(path)
    before = every_row(catalog.config["DATABASE_URL"])
    result = restore(catalog, path, "--replace")
    assert result.exit_code == 2 and "bị cắt cụt" in result.output
    assert every_row(catalog.config["DATABASE_URL"]) == before


def test_a_file_that_is_not_a_backup_is_refused(app, tmp_path, empty_database, app_on):
    restored = app_on(empty_database())
    for content in (b"", b"not gzip at all", gzip.compress(b'{"record": 1}\n')):
        result = restore(restored, write(tmp_path / "khong-phai.gz", content))
        assert result.exit_code == 2 and "không phải bản sao lưu của Mục lục liên hợp" in result.output
    result = restore(restored, tmp_path / "khong-co.gz")
    assert result.exit_code == 2 and "tệp không tồn tại hoặc không có quyền đọc" in result.output
    assert table_names(restored.config["DATABASE_URL"]) == []


@pytest.mark.parametrize("target_at", ["nothing", "newest"])
def test_a_backup_of_an_older_revision_is_loaded_there_then_upgraded(tmp_path, empty_database, app_on, target_at):
    older = app_on(empty_database())
    with older.app_context():
        with database.engine().begin() as conn:
            revisions.migrate(conn, OLDER)
        with database.transaction() as db:
            seed_union(db)
    path = back_up(older, tmp_path)
    assert header_of(path)["revision"] == OLDER
    restored = app_on(empty_database())
    if target_at == "newest":  # an empty database at the newest revision goes down to the backup's first
        with restored.app_context(), database.engine().begin() as conn:
            revisions.migrate(conn, revisions.head())
    result = restore(restored, path)
    assert result.exit_code == 0, result.output
    assert f"Lược đồ đã được nâng lên phiên bản {revisions.head()} sau khi nạp." in result.output
    rows = every_row(restored.config["DATABASE_URL"])
    assert rows["alembic_version"] == [(revisions.head(),)]
    assert rows["library"] == every_row(older.config["DATABASE_URL"])["library"]
