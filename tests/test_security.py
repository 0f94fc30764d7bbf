"""The hardened web surface: security headers, CSRF on forms, session cookie flags, the upload limit."""
from __future__ import annotations

import http.client
import io
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import database
from accounts import tokens
from app import create_app
from security import CONTENT_SECURITY_POLICY
from tests.factories import iso2709, make_record
from tests.forms import token_in

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HTTPS = "https://localhost"
CSRF_MESSAGE = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại."


@pytest.fixture
def make_app(database_url, tmp_path):
    """An application like the `app` fixture's, with other settings."""
    made = []

    def make(**config):
        made.append(create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                                "INDEX_DIR": str(tmp_path / "index"), "UPLOAD_DIR": str(tmp_path / "up"), **config}))
        return made[-1]
    yield make
    for app in made:
        app.extensions["db_engine"].dispose()


def session_cookie(response) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("session="))


def upload_form(client, token: str | None, base_url: str = "http://localhost", **headers):
    form = {"file": (io.BytesIO(iso2709(make_record("S1"))), "s.mrc"), **({"csrf_token": token} if token else {})}
    return client.post("/imports", data=form, content_type="multipart/form-data", headers=headers, base_url=base_url)


@pytest.mark.parametrize("path", ["/", "/search?q=Quảng", "/api/search?q=x", "/static/style.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_no_template_has_inline_script_style_or_event_handler():
    """The Content-Security-Policy blocks them: scripts and styles go in static files."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I), f"{template.name}: inline <script>"
        assert not re.search(r"<style\b|\sstyle\s*=", text, re.I), f"{template.name}: inline style"
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), f"{template.name}: inline event handler"
        assert "javascript:" not in text.lower(), f"{template.name}: javascript: URL"


def test_every_post_form_carries_a_csrf_token():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text("utf-8")
        for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            assert "csrf_token()" in form or "{{ csrf() }}" in form, f"{template.name}: form without CSRF token"


def test_a_form_without_its_token_is_refused_in_vietnamese(client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    for token in (None, "forged", token_in(client.get("/login").get_data(as_text=True)) + "x"):
        response = upload_form(client, token)
        assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)


def test_a_form_with_the_token_read_from_the_page_is_accepted(client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    token = token_in(client.get("/imports/new").get_data(as_text=True))
    response = upload_form(client, token)
    assert response.status_code == 302 and "/imports/" in response.headers["Location"]


def test_a_token_from_another_session_is_refused(app, client, sign_in):
    stolen = token_in(app.test_client().get("/login").get_data(as_text=True))
    sign_in(client, "dieuphoi", "coordinator")
    assert upload_form(client, stolen).status_code == 400


def test_scripts_get_csrf_refusals_as_json(client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    response = upload_form(client, None, Accept="application/json")
    assert response.status_code == 400 and response.get_json() == {"error": CSRF_MESSAGE}


def test_a_bearer_token_request_is_not_asked_for_a_csrf_token(app, client, make_user):
    """Scripts carry no cookies, so no other site can forge their requests; accounts checks the token itself."""
    user = make_user("thuthu.qt")
    with app.app_context(), database.transaction() as db:
        secret = tokens.create_token(db, user, "kịch bản", "test")
    assert upload_form(client, None, Authorization=f"Bearer {secret}").status_code == 302
    refused = upload_form(client, None, Authorization="Bearer khong-phai-ma-that")
    assert refused.status_code == 401 and CSRF_MESSAGE not in refused.get_data(as_text=True)


def test_https_forms_need_a_same_origin_referrer(client, sign_in):
    """Browsers send it: Referrer-Policy same-origin keeps the referrer for the site's own forms."""
    sign_in(client, "dieuphoi", "coordinator")
    token = token_in(client.get("/imports/new", base_url=HTTPS).get_data(as_text=True))
    assert upload_form(client, token, base_url=HTTPS).status_code == 400
    assert upload_form(client, token, base_url=HTTPS, Referer="https://evil.example/imports/new").status_code == 400
    assert upload_form(client, token, base_url=HTTPS, Referer=f"{HTTPS}/imports/new").status_code == 302


def test_session_cookie_is_httponly_and_samesite_and_not_secure_over_http(client):
    cookie = session_cookie(client.get("/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app):
    cookie = session_cookie(app.test_client().get("/login", base_url=HTTPS))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("setting, scheme, secure", [(True, "http", True), (False, "https", False)])
def test_session_cookie_secure_setting_overrides_the_scheme(app, setting, scheme, secure):
    app.config["SESSION_COOKIE_SECURE"] = setting
    cookie = session_cookie(app.test_client().get("/login", base_url=f"{scheme}://localhost"))
    assert ("Secure" in cookie) is secure


@pytest.mark.parametrize("trusted, secure", [(0, False), (1, True)])
def test_forwarded_https_counts_only_behind_a_trusted_proxy(make_app, trusted, secure):
    client = make_app(TRUST_PROXY=trusted).test_client()
    cookie = session_cookie(client.get("/login", headers={"X-Forwarded-Proto": "https"}))
    assert ("Secure" in cookie) is secure


def test_an_upload_over_the_limit_gets_a_clear_413_page(app, client, sign_in):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    sign_in(client, "dieuphoi", "coordinator")
    token = token_in(client.get("/imports/new").get_data(as_text=True))
    response = client.post("/imports", data={"file": (io.BytesIO(b"0" * 200_000), "big.mrc"), "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Tệp quá lớn: giới hạn tải lên là 64 KB" in response.get_data(as_text=True)


def test_an_api_upload_over_the_limit_gets_a_clear_413_as_json(app, client, make_user):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    with app.app_context(), database.transaction() as db:
        secret = tokens.create_token(db, make_user("thuthu.qt"), "kịch bản", "test")
    response = client.post("/api/imports", data={"file": (io.BytesIO(b"0" * 200_000), "big.mrc")},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 413 and response.get_json()["error"].startswith("Tệp quá lớn")


def test_the_development_server_answers_an_over_limit_upload_instead_of_resetting(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024 * 1024)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        boundary = "----ranh-gioi"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mrc\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"0" * (4 * 1024 * 1024) + \
            f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        connection.request("POST", "/imports", body=body,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        page = response.read().decode("utf-8")
        connection.close()
    finally:
        server.shutdown()
        thread.join()
    assert response.status == 413 and "Tệp quá lớn: giới hạn tải lên là 1 MB" in page


def test_http_errors_are_answered_in_vietnamese(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Không tìm thấy trang này" in missing.get_data(as_text=True)
    wrong_method = client.delete("/search")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]
    assert "không nhận yêu cầu DELETE" in wrong_method.get_data(as_text=True)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.get_json() == {"error": "Không tìm thấy trang này. Hãy kiểm tra lại địa chỉ."}


def test_a_query_string_longer_than_servers_allow_is_refused_before_searching(client):
    response = client.get("/search", query_string={"q": "a" * 5000})
    assert response.status_code == 414 and "Địa chỉ quá dài" in response.get_data(as_text=True)
