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


def test_an_import_and_a_re_clustering_never_wait_for_each_other_in_a_circle(postgres_url, tmp_path):
    """An import's chunk has rewritten a record that waits for its edition and goes on to note its changes, while
    a re-clustering (the follower's) reaches that record to mark it done. Had the re-clustering noted its own
    changes first, it would hold the feed lock while waiting for the chunk's row, and the chunk wait for the
    feed lock: PostgreSQL would abort one (a librarian's import failing for nothing). Every writer takes the
    feed lock last, so the re-clustering waits for the chunk's commit, then finishes."""
    import threading

    from catalog.changes import record_changed
    from catalog.editions import sync_pending

    app = create_app({"DATABASE_URL": postgres_url, "TESTING": True, "INDEX_DIR": str(tmp_path / "index")})
    with app.app_context():
        engine = database.engine()
        upgrade(engine)
        with database.transaction() as db:
            seed_union(db)
        import_file(engine, write(tmp_path / "a.mrc", iso2709(make_record("DL1", title="Bản đầu"))))
        with engine.begin() as conn:  # imported, its clustering still to come
            record_id = conn.scalar(text("update record set edition_pending = true where control_number = 'DL1' "
                                         "returning id"))
        outcome: dict = {}

        def follower_clusters():
            try:
                with engine.begin() as conn:
                    outcome["clustered"] = sync_pending(conn)
            except Exception as error:  # noqa: BLE001 - shown by the assertion below
                outcome["error"] = error

        with engine.connect() as chunk:
            chunk.begin()
            chunk.execute(text("update record set title = 'Bản sửa' where id = :id"), {"id": record_id})
            clustering = threading.Thread(target=follower_clusters)
            clustering.start()
            clustering.join(1.5)
            assert clustering.is_alive()  # waiting for the chunk's row
            chunk.execute(text("SET LOCAL lock_timeout = '10s'"))
            record_changed(chunk, [record_id])  # the chunk's last write
            chunk.commit()
        clustering.join(60)
        assert "error" not in outcome, outcome.get("error")
        with engine.connect() as conn:
            assert conn.execute(text("select title, edition_pending from record where id = :id"),
                                {"id": record_id}).one() == ("Bản sửa", False)
    engine.dispose()
