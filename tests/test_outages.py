"""While the database does not answer, a request gets 503 with Retry-After and a message in the reader's
language, never a traceback (serving/outages.py). A database that cannot be opened stands in for one that is
down; the PostgreSQL restart under load is in tests/test_faults.py, the full disk too."""
from __future__ import annotations

import pytest

from app import create_app


@pytest.fixture
def unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "INDEX_DIR": str(tmp_path / "index"),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'catalog.sqlite3'}"})
    return app.test_client()


def test_a_page_that_needs_the_database_says_it_is_not_answering(unreachable):
    answer = unreachable.get("/editions/abc123")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    page = answer.get_data(as_text=True)
    assert "Cơ sở dữ liệu tạm thời không trả lời" in page and "thử lại" in page
    assert "Traceback" not in page and "sqlite" not in page.lower()


def test_the_api_says_it_as_json_and_in_english_when_asked(unreachable):
    answer = unreachable.get("/api/editions/abc123", headers={"Accept-Language": "en"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    unreachable.set_cookie("lang", "en")
    english = unreachable.get("/api/editions/abc123").get_json()["error"]
    assert "database" in english.lower() and "try again" in english.lower()


def test_the_health_check_names_the_database(unreachable):
    answer = unreachable.get("/healthz")
    assert answer.status_code == 503 and "database" in answer.get_json()["checks"]


def test_a_signed_in_librarian_gets_the_same_answer(app, client, sign_in, tmp_path):
    """Their page's header would name them, from the database that is out: the message comes all the same."""
    sign_in(client, "thuthu.qt", library="TVQT")
    down = create_app({**app.config, "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}"})
    librarian = down.test_client()
    librarian.set_cookie("session", client.get_cookie("session").value)
    for path in ("/account", "/transfers"):
        answer = librarian.get(path)
        assert answer.status_code == 503, path
        assert "Cơ sở dữ liệu tạm thời không trả lời" in answer.get_data(as_text=True), path
    by_token = down.test_client().get("/api/transfers", headers={"Authorization": "Bearer some-librarians-token"})
    assert by_token.status_code == 503 and "Cơ sở dữ liệu" in by_token.get_json()["error"]


def test_a_fault_of_the_database_itself_is_not_called_an_outage(tmp_path):
    """A database that answers but lacks its tables (a deploy that skipped `flask init`) is a fault to fix,
    not a wait: 500, never "try again in a few minutes" with Retry-After."""
    import sqlite3

    sqlite3.connect(tmp_path / "empty.sqlite3").close()
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "INDEX_DIR": str(tmp_path / "index"),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    app.testing = False  # as in production: the fault answered, not raised into the test
    answer = app.test_client().get("/api/editions/abc123")
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert "Cơ sở dữ liệu tạm thời không trả lời" not in answer.get_data(as_text=True)
