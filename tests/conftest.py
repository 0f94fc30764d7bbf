"""Fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so) per test, app, client, runner."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import database
from app import create_app
from catalog.libraries import seed_union
from schema import upgrade

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"
SHARED_MARC = PROJECT.parent / "shared" / "marc"
SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated, empty database to start each test from."""
    if not ON_POSTGRES:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = database.make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield path
        return
    url = _private_postgres_database(SERVER_URL)
    engine = database.make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_postgres_database(SERVER_URL, url)


def _private_postgres_database(server_url: str) -> str:
    """A database of this test session's own on the server, so parallel runs never collide."""
    name = f"mll_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [row[0] for row in conn.execute(text(
            "select tablename from pg_tables where schemaname = 'public' and tablename != 'alembic_version'"))]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if ON_POSTGRES:
        _empty_postgres(database_template)
        return database_template
    path = tmp_path / "catalog.sqlite3"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SECRET_KEY": "test",
    })
    with app.app_context():
        with database.transaction() as db:
            seed_union(db)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def shared_marc() -> Path:
    if not SHARED_MARC.is_dir():
        pytest.skip(f"../shared/marc is not beside the project ({SHARED_MARC}); the shared MARC samples are absent")
    return SHARED_MARC
