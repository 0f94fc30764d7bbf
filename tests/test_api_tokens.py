"""Personal API tokens: created on the account page and shown once, used by scripts, revoked, stored hashed."""
from __future__ import annotations

import hashlib
import io
import re

from sqlalchemy import func, select

import database
from accounts import tokens
from accounts.models import ApiToken
from catalog.models import ImportBatch, Record
from tests.factories import iso2709, make_record
from tests.forms import csrf_token

NEW_TOKEN = re.compile(r'<p class="new-token" id="new-token">([^<]+)</p>')


def create_token(client, name: str = "nhập hằng đêm") -> str:
    response = client.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(client)})
    assert response.status_code == 201
    return NEW_TOKEN.search(response.get_data(as_text=True)).group(1)


def api_upload(client, token: str | None, library: str | None = "TVQT", **form):
    data = {"file": (io.BytesIO(iso2709(make_record("T1"), make_record("T2"))), "t.mrc"), **form}
    if library:
        data["library"] = library
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/imports", data=data, content_type="multipart/form-data", headers=headers)


def stored_tokens(app) -> list[ApiToken]:
    with app.app_context():
        return list(database.session().scalars(select(ApiToken)))


def test_a_new_token_is_shown_once_and_stored_only_as_its_hash(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    secret = create_token(client)
    [stored] = stored_tokens(app)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored.token_hash
    assert stored.prefix == secret[:8] and stored.name == "nhập hằng đêm"
    account = client.get("/account").get_data(as_text=True)
    assert secret not in account and f"{secret[:8]}…" in account and "nhập hằng đêm" in account


def test_a_script_imports_with_its_token_and_gets_json(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    secret = create_token(client)
    script = app.test_client()  # no cookies: a script
    response = api_upload(script, secret)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["new"] == 2 and answer["total"] == 2 and answer["rejected"] == 0 and not answer["dry_run"]
    assert answer["report"] == f"http://localhost/imports/{answer['batch']}"
    assert script.get(answer["report"]).status_code == 200
    with app.app_context():
        batch = database.session().get(ImportBatch, answer["batch"])
        assert (batch.created_by, batch.library.code) == ("thuthu.qt", "TVQT")
    assert stored_tokens(app)[0].last_used_at is not None


def test_a_dry_run_through_the_api_writes_nothing(app, client, make_user):
    user = make_user("thuthu.qt")
    with app.app_context(), database.transaction() as db:
        secret = tokens.create_token(db, user, "thử", "test")
    answer = api_upload(client, secret, dry_run="1").get_json()
    assert answer["dry_run"] and answer["new"] == 2 and "batch" not in answer
    with app.app_context():
        assert database.session().scalar(select(func.count()).select_from(Record)) == 0


def test_a_revoked_token_gets_401_at_once(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    secret = create_token(client)
    script = app.test_client()
    assert api_upload(script, secret).status_code == 201
    token_id = stored_tokens(app)[0].id
    revoke = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client)})
    assert revoke.status_code == 302 and "đã thu hồi" in client.get("/account").get_data(as_text=True)
    refused = api_upload(script, secret)
    assert refused.status_code == 401 and refused.is_json and refused.headers["WWW-Authenticate"] == "Bearer"
    assert "thu hồi" in refused.get_json()["error"]


def test_a_bad_token_is_refused_even_where_no_token_is_needed(client):
    assert client.get("/api/search?q=hue").status_code == 200
    for path in ("/api/search?q=hue", "/", "/imports"):
        response = client.get(path, headers={"Authorization": "Bearer khong-phai-ma-that"})
        assert response.status_code == 401 and response.is_json, path


def test_no_token_is_401_json_even_with_a_browser_session(client, sign_in):
    """The API answers to tokens alone: a signed-in browser's cookies do not act there."""
    assert api_upload(client, None).status_code == 401
    sign_in(client, "dieuphoi", "coordinator")
    response = api_upload(client, None)
    assert response.status_code == 401 and "Bearer" in response.get_json()["error"]


def test_the_token_decides_who_acts_whatever_cookies_come_along(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    secret = create_token(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, "dieuphoi", "coordinator")
    assert api_upload(client, secret, library="TVCC").status_code == 403  # the librarian's token, not the session


def test_one_cannot_revoke_someone_elses_token(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    create_token(client)
    other = app.test_client()
    sign_in(other, "thuthu.cc", library="TVCC")
    token_id = stored_tokens(app)[0].id
    response = other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 404 and stored_tokens(app)[0].revoked_at is None


def test_a_disabled_users_tokens_stop_working(app, client, sign_in, runner):
    sign_in(client, "thuthu.qt")
    secret = create_token(client)
    assert runner.invoke(args=["users", "disable", "thuthu.qt"]).exit_code == 0
    response = api_upload(app.test_client(), secret)
    assert response.status_code == 401 and "khóa" in response.get_json()["error"]
