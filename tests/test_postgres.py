"""PostgreSQL-specific checks: they run against a real server, and skip only where none is reachable."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

import database
from app import create_app
from catalog.importer import import_file
from catalog.libraries import seed_union
from schema import upgrade
from tests.conftest import _drop_postgres_database, _private_postgres_database
from tests.factories import iso2709, make_record, write

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SERVER = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgresql") \
    else DEFAULT_SERVER


def server_available() -> bool:
    try:
        engine = create_engine(SERVER, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure to connect means: no server here
        return False


@pytest.fixture(scope="module")
def postgres_url():
    if not server_available():
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES) but {SERVER} is not reachable")
        pytest.skip(f"no PostgreSQL server at {SERVER}")
    url = _private_postgres_database(SERVER)
    yield url
    _drop_postgres_database(SERVER, url)


def test_schema_and_import_on_postgresql(postgres_url, tmp_path):
    app = create_app({"DATABASE_URL": postgres_url, "TESTING": True})
    with app.app_context():
        engine = database.engine()
        assert engine.dialect.name == "postgresql"
        upgrade(engine)
        upgrade(engine)  # a second upgrade is a no-op
        with database.transaction() as db:
            seed_union(db)
        path = write(tmp_path / "pg.mrc", iso2709(make_record("PG1"), make_record("PG2", title="Huế xưa")))
        assert import_file(engine, path).new == 2
        assert import_file(engine, path).unchanged == 2
        with engine.connect() as conn:
            titles = conn.execute(text("select title from record order by control_number")).scalars().all()
    assert titles == ["Địa chí Quảng Trị", "Huế xưa"]
    engine.dispose()


def test_changes_commit_in_the_order_of_their_ids_so_none_slips_under_the_index_watermark(postgres_url):
    """A import's transaction took change id N and was still writing when a receipt took N+1 and committed; a
    sync in between set the index's mark past N+1, and record N was never indexed. Writers of the feed now wait
    for each other from their first change to their commit."""
    import threading

    from catalog.changes import changes_after, latest_change, record_changed

    engine = create_engine(postgres_url)
    upgrade(engine)
    first, second = engine.connect(), engine.connect()
    try:
        first.begin()
        record_changed(first, [101])  # the import: change noted, transaction still open
        committed = threading.Event()

        def receipt():
            with second.begin():
                record_changed(second, [202])
            committed.set()

        thread = threading.Thread(target=receipt)
        thread.start()
        assert not committed.wait(1.0)  # the receipt waits for the import's commit
        with engine.connect() as sync:
            mark = latest_change(sync)  # what a sync sees now: neither
        first.commit()
        thread.join(30)
        assert committed.is_set()
        with engine.connect() as sync:
            assert [record for _id, record in changes_after(sync, mark, 10)] == [101, 202]
    finally:
        first.close()
        second.close()
        engine.dispose()
