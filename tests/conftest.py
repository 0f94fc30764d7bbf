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
from accounts import tokens, users
from app import create_app
from catalog.libraries import seed_union
from schema import upgrade
from tests.forms import token_in

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"
SHARED_MARC = PROJECT.parent / "shared" / "marc"
SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")
PASSWORD = "mat-khau-thu-nghiem"


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
        "IMPORT_WAIT_SECONDS": 60,  # an upload's report at once, as before imports ran in the background
        "SECRET_KEY": "test",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # the real cost (n=2**15) is tested once, in test_accounts
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


@pytest.fixture
def make_user(app):
    """make_user("thuthu.qt") is a librarian of TVQT; make_user("dieuphoi", "coordinator") the coordinator."""
    def make(username: str, role: str = "librarian", library: str | None = None, password: str = PASSWORD,
             disabled: bool = False):
        library = library or ("TVQT" if role == "librarian" else None)
        with app.app_context(), database.transaction() as db:
            user = users.create_user(db, username, password, role, library, "test")
            user.disabled = disabled
        return user
    return make


@pytest.fixture
def sign_in(make_user):
    """Sign a client in through the real /login form (making the user first, unless make=False)."""
    def sign_in(client, username: str, role: str = "librarian", library: str | None = None,
                password: str = PASSWORD, make: bool = True):
        if make:
            make_user(username, role, library, password)
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": token_in(client.get("/login").get_data(as_text=True))})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response
    return sign_in


@pytest.fixture
def api(app, make_user):
    """api("thuthu.qt", "post", path, json) as that user, through a bearer token (made on first use):
    the coordinator, librarians of Quảng Trị (TVQT), Cồn Cỏ (TVCC) and Quảng Bình (TVQB)."""
    made: dict[str, str] = {}
    roles = {"dieuphoi": ("coordinator", None), "thuthu.qt": ("librarian", "TVQT"),
             "thuthu.cc": ("librarian", "TVCC"), "thuthu.qb": ("librarian", "TVQB")}

    def call(username: str, method: str, path: str, body: dict | None = None):
        if username not in made:
            role, library = roles[username]
            user = make_user(username, role, library)
            with app.app_context(), database.transaction() as db:
                made[username] = tokens.create_token(db, db.merge(user), "test", user)
        client = app.test_client()
        return client.open(path, method=method.upper(), json=body,
                           headers={"Authorization": f"Bearer {made[username]}"})
    return call
