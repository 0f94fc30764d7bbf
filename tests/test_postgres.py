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
