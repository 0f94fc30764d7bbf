"""Signing in and out, sessions that end, one's own password, the coordinator's page of users."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import database
from accounts import users
from accounts.models import User
from tests.conftest import PASSWORD
from tests.forms import csrf_token, token_in


def post_form(client, path: str, **form):
    return client.post(path, data={"csrf_token": csrf_token(client), **form})


def signed_in_as(client) -> str | None:
    """Who the site says is signed in, read from the navigation as a reader would."""
    page = client.get("/").get_data(as_text=True)
    if "Đăng xuất" not in page:
        assert "Đăng nhập" in page
        return None
    return page.split('<span class="who">', 1)[1].split("<", 1)[0]


def stored_user(app, username: str) -> User:
    with app.app_context():
        return database.session().scalar(select(User).where(User.username == username))


def test_anyone_may_search_and_read_without_signing_in(client):
    for path in ("/", "/search?q=quang+tri", "/api/search?q=hue", "/search/help", "/libraries", "/imports"):
        assert client.get(path).status_code == 200, path


def test_sign_in_returns_to_the_page_asked_for(client, make_user):
    make_user("thuthu.qt")
    login_page = client.get("/login?next=/imports/new").get_data(as_text=True)
    assert "Đăng nhập" in login_page and 'name="next" value="/imports/new"' in login_page
    response = client.post("/login", data={"username": "ThuThu.QT ", "password": PASSWORD, "next": "/imports/new",
                                           "csrf_token": token_in(login_page)})
    assert response.status_code == 302 and response.headers["Location"] == "/imports/new"
    assert signed_in_as(client) == "thuthu.qt"


@pytest.mark.parametrize("target", ["https://example.com/", "//example.com/", "/\\example.com",
                                    "/\t/example.com", "javascript:alert(1)"])
def test_sign_in_never_sends_the_user_to_another_site(client, make_user, target):
    make_user("thuthu.qt")
    response = client.post("/login", data={"username": "thuthu.qt", "password": PASSWORD, "next": target,
                                           "csrf_token": token_in(client.get("/login").get_data(as_text=True))})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("username, password", [("thuthu.qt", "sai-mat-khau"), ("khong-co-ai", PASSWORD),
                                                ("thuthu.qt", "")])
def test_wrong_credentials_show_the_form_again_with_a_clear_message(client, make_user, username, password):
    make_user("thuthu.qt")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_in(client.get("/login").get_data(as_text=True))})
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng" in page
    assert 'name="password"' in page and signed_in_as(client) is None


def test_navigation_follows_who_is_signed_in(client, sign_in, make_user):
    anonymous = client.get("/").get_data(as_text=True)
    assert "Đăng nhập" in anonymous
    assert not any(link in anonymous for link in ("Nhập MARC", "Nhật ký", "Quản trị", "Đăng xuất"))
    sign_in(client, "thuthu.qt")
    librarian = client.get("/").get_data(as_text=True)
    assert all(link in librarian for link in ("thuthu.qt", "Tài khoản", "Đăng xuất", "Nhập MARC", "Nhật ký"))
    assert "Quản trị" not in librarian
    post_form(client, "/logout")
    sign_in(client, "dieuphoi", "coordinator")
    assert "Quản trị" in client.get("/").get_data(as_text=True)


def test_sign_out_is_a_post_with_the_forms_token(client, sign_in):
    sign_in(client, "thuthu.qt")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token: a forged sign-out does nothing
    assert signed_in_as(client) == "thuthu.qt"
    page = client.get("/").get_data(as_text=True)
    logout = client.post("/logout", data={"csrf_token": token_in(page.split('action="/logout"', 1)[1])})
    assert logout.status_code == 302 and signed_in_as(client) is None


def test_a_disabled_users_session_stops_at_the_next_request(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    coordinator = app.test_client()
    sign_in(coordinator, "dieuphoi", "coordinator")
    user_id = stored_user(app, "thuthu.qt").id
    assert post_form(coordinator, f"/admin/users/{user_id}/disable").status_code == 302
    assert signed_in_as(client) is None
    assert client.get("/imports/new").headers["Location"].startswith("/login")
    assert post_form(coordinator, f"/admin/users/{user_id}/enable").status_code == 302
    sign_in(client, "thuthu.qt", make=False)
    assert signed_in_as(client) == "thuthu.qt"


def test_a_disabled_user_cannot_sign_in(client, make_user):
    make_user("thuthu.qt", disabled=True)
    response = client.post("/login", data={"username": "thuthu.qt", "password": PASSWORD,
                                           "csrf_token": token_in(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 401 and signed_in_as(client) is None


def test_changing_ones_password_ends_the_other_sessions_only(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    other = app.test_client()
    sign_in(other, "thuthu.qt", make=False)
    response = post_form(client, "/account/password", current=PASSWORD, password="mat-khau-moi-1",
                         confirm="mat-khau-moi-1")
    assert response.status_code == 302
    assert "Đã đổi mật khẩu" in client.get("/account").get_data(as_text=True)
    assert signed_in_as(client) == "thuthu.qt" and signed_in_as(other) is None
    sign_in(other, "thuthu.qt", password="mat-khau-moi-1", make=False)


@pytest.mark.parametrize("current, new, confirm, message", [
    ("sai-roi-nhe", "mat-khau-moi-1", "mat-khau-moi-1", "Mật khẩu hiện tại không đúng"),
    (PASSWORD, "ngan", "ngan", "ít nhất 8 ký tự"),
    (PASSWORD, "mat-khau-moi-1", "mat-khau-moi-2", "không giống nhau"),
])
def test_password_change_mistakes_are_shown_on_the_account_page(app, client, sign_in, current, new, confirm, message):
    sign_in(client, "thuthu.qt")
    before = stored_user(app, "thuthu.qt").password_hash
    response = post_form(client, "/account/password", current=current, password=new, confirm=confirm)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert stored_user(app, "thuthu.qt").password_hash == before and signed_in_as(client) == "thuthu.qt"


def test_passwords_are_stored_as_slow_hashes_never_in_clear(app, make_user):
    app.config.pop("PASSWORD_HASH_METHOD")  # the production default, not the tests' cheap one
    make_user("thuthu.qt")
    stored = stored_user(app, "thuthu.qt").password_hash
    assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored


def test_the_coordinator_manages_users_on_the_admin_page(app, client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    assert "Thêm người dùng" in client.get("/admin/users").get_data(as_text=True)
    created = post_form(client, "/admin/users", username="ThuThu.CC", role="librarian", library="tvcc",
                        password="mat-khau-moi-1")
    assert created.status_code == 302
    assert "Đã tạo người dùng “thuthu.cc”" in client.get("/admin/users").get_data(as_text=True)
    user = stored_user(app, "thuthu.cc")
    assert (user.role, user.library_code, user.disabled) == ("librarian", "TVCC", False)
    post_form(client, f"/admin/users/{user.id}/role", role="coordinator", library="")
    assert (stored_user(app, "thuthu.cc").role, stored_user(app, "thuthu.cc").library_code) == ("coordinator", None)
    post_form(client, f"/admin/users/{user.id}/password", password="mat-khau-khac-2")
    other = app.test_client()
    sign_in(other, "thuthu.cc", password="mat-khau-khac-2", make=False)
    assert "Quản trị" in other.get("/").get_data(as_text=True)


@pytest.mark.parametrize("username, role, library, password, status, message", [
    ("moi", "librarian", "", "mat-khau-moi-1", 400, "phải thuộc một thư viện"),
    ("moi", "librarian", "NOPE", "mat-khau-moi-1", 404, "Không có thư viện mã"),
    ("moi", "admin", "", "mat-khau-moi-1", 400, "Vai trò phải là"),
    ("Nguyễn Văn A", "coordinator", "", "mat-khau-moi-1", 400, "không dùng được"),
    ("moi", "coordinator", "", "ngan", 400, "ít nhất 8 ký tự"),
    ("DIEUPHOI", "coordinator", "", "mat-khau-moi-1", 409, "Đã có người dùng"),
])
def test_admin_page_refuses_unusable_users_with_clear_messages(app, client, sign_in, username, role, library, password,
                                                               status, message):
    sign_in(client, "dieuphoi", "coordinator")
    response = post_form(client, "/admin/users", username=username, role=role, library=library, password=password)
    assert response.status_code == status and message in response.get_data(as_text=True)
    with app.app_context():
        assert [user.username for user in users.list_users(database.session())] == ["dieuphoi"]


@pytest.mark.parametrize("change, form", [("disable", {}), ("role", {"role": "librarian", "library": "TVQT"})])
def test_the_last_active_coordinator_stays(app, client, sign_in, change, form):
    sign_in(client, "dieuphoi", "coordinator")
    user_id = stored_user(app, "dieuphoi").id
    response = post_form(client, f"/admin/users/{user_id}/{change}", **form)
    assert response.status_code == 409 and "điều phối viên duy nhất" in response.get_data(as_text=True)
    assert stored_user(app, "dieuphoi").role == "coordinator" and not stored_user(app, "dieuphoi").disabled
