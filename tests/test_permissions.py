"""Who may do what, as tables: role x library x action -> allowed, first for the rules, then on the real routes."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from sqlalchemy import select

import database
from accounts import tokens, users
from catalog import permissions
from catalog.models import ImportBatch
from tests.factories import iso2709, make_record
from tests.forms import csrf_token

ANONYMOUS = None
LIBRARIAN_QT = SimpleNamespace(role="librarian", library_code="TVQT")
LIBRARIAN_CC = SimpleNamespace(role="librarian", library_code="TVCC")
COORDINATOR = SimpleNamespace(role="coordinator", library_code=None)
DISABLED_QT = SimpleNamespace(role="librarian", library_code="TVQT", disabled=True)
DISABLED_COORDINATOR = SimpleNamespace(role="coordinator", library_code=None, disabled=True)
ACTORS = {"anonymous": ANONYMOUS, "librarian TVQT": LIBRARIAN_QT, "librarian TVCC": LIBRARIAN_CC,
          "coordinator": COORDINATOR, "disabled librarian": DISABLED_QT, "disabled coordinator": DISABLED_COORDINATOR}
LIBRARY_ACTIONS = ("can_import", "can_view_audit", "can_create_transfer", "can_dispatch_transfer",
                   "can_cancel_transfer", "can_receive_transfer")

# actor -> libraries it may act for (per library action), and the union-wide actions it may take
RULES = {
    "anonymous": (set(), False),
    "librarian TVQT": ({"TVQT"}, False),
    "librarian TVCC": ({"TVCC"}, False),
    "coordinator": ({"TVQT", "TVCC", "TVHT"}, True),
    "disabled librarian": (set(), False),
    "disabled coordinator": (set(), False),
}


@pytest.mark.parametrize("action", LIBRARY_ACTIONS)
@pytest.mark.parametrize("library", ["TVQT", "TVCC", "TVHT", "tvqt "])
@pytest.mark.parametrize("actor", ACTORS)
def test_library_actions(actor, library, action):
    allowed_libraries, _union_wide = RULES[actor]
    expected = library.strip().upper() in allowed_libraries
    assert getattr(permissions, action)(ACTORS[actor], library) is expected


@pytest.mark.parametrize("action", ["can_manage_users", "can_manage_libraries"])
@pytest.mark.parametrize("actor", ACTORS)
def test_union_wide_actions(actor, action):
    assert getattr(permissions, action)(ACTORS[actor]) is RULES[actor][1]


@pytest.mark.parametrize("action", ["can_import", "can_view_audit"])
@pytest.mark.parametrize("actor", ACTORS)
def test_no_library_means_every_library_which_only_the_coordinator_may(actor, action):
    """An import by 003 and the whole audit log span libraries: the coordinator's alone."""
    assert getattr(permissions, action)(ACTORS[actor], None) is RULES[actor][1]


@pytest.mark.parametrize("actor, own", [("anonymous", None), ("librarian TVQT", "TVQT"), ("coordinator", None),
                                        ("disabled librarian", None)])
def test_own_library(actor, own):
    assert permissions.own_library(ACTORS[actor]) == own


# --- the real routes -------------------------------------------------------------------------------------------

OK, FORBIDDEN, LOGIN, UNAUTHORIZED = "ok", "403", "login", "401"
ROUTE_ACTORS = ("anonymous", "librarian TVQT", "librarian TVCC", "coordinator", "disabled user",
                "disabled coordinator")
ROUTE_MATRIX = {
    # route:                            anonymous  librarian  librarian  coordinator  disabled   disabled
    #                                              TVQT       TVCC                    librarian  coordinator
    "GET /imports/new":                 (LOGIN,    OK,        OK,        OK,          LOGIN,     LOGIN),
    "POST /imports TVQT":               (LOGIN,    OK,        FORBIDDEN, OK,          LOGIN,     LOGIN),
    "POST /imports TVCC":               (LOGIN,    FORBIDDEN, OK,        OK,          LOGIN,     LOGIN),
    "POST /imports by 003":             (LOGIN,    OK,        OK,        OK,          LOGIN,     LOGIN),
    "GET /admin/users":                 (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "POST /admin/users":                (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "GET /admin/libraries":             (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "POST /admin/libraries":            (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "GET /admin/libraries/TVQT/edit":   (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "POST /admin/libraries/TVQT/edit":  (LOGIN,    FORBIDDEN, FORBIDDEN, OK,          LOGIN,     LOGIN),
    "GET /audit":                       (LOGIN,    OK,        OK,        OK,          LOGIN,     LOGIN),
    "GET /audit TVCC":                  (LOGIN,    FORBIDDEN, OK,        OK,          LOGIN,     LOGIN),
}
# What the coordinator's admin forms send (a librarian's or a visitor's is refused before it is read).
ADMIN_FORMS = {
    "/admin/users": {"username": "moi", "role": "librarian", "library": "TVHT", "password": "mat-khau-moi-1"},
    "/admin/libraries": {"code": "TVGL", "name": "Thư viện huyện Gio Linh", "kind": "district"},
    "/admin/libraries/TVQT/edit": {"name": "Thư viện tỉnh Quảng Trị", "province": "Quảng Trị", "kind": "member",
                                   "org_code": "TVQT"},
}
# What a librarian's import "by 003" becomes: their own library, whatever the records say.
FORCED_LIBRARY = {"librarian TVQT": "TVQT", "librarian TVCC": "TVCC", "coordinator": None}


def become(actor: str, app, client, sign_in) -> None:
    """Make the client's session that of the actor; a disabled one signed in before being disabled."""
    if actor == "anonymous":
        return
    if actor in ("coordinator", "disabled coordinator"):
        sign_in(client, "dieuphoi", "coordinator")
        if actor == "disabled coordinator":
            with app.app_context(), database.transaction() as db:
                users.create_user(db, "dieuphoi.moi", "mat-khau-moi-1", "coordinator", None, "test")
                users.set_disabled(db, users.get_user(db, "dieuphoi"), True, "test")
        return
    sign_in(client, "thuthu.cc" if actor == "librarian TVCC" else "thuthu.qt",
            library="TVCC" if actor == "librarian TVCC" else "TVQT")
    if actor == "disabled user":
        with app.app_context(), database.transaction() as db:
            users.set_disabled(db, users.get_user(db, "thuthu.qt"), True, "test")


def request_route(client, route: str):
    method, path, *library = route.split(" ", 2)
    if route.startswith("POST /imports"):
        form = {"file": (io.BytesIO(iso2709(make_record("P1"))), "p.mrc"), "csrf_token": csrf_token(client)}
        if library != ["by 003"]:
            form["library"] = library[0]
        return client.post(path, data=form, content_type="multipart/form-data")
    if method == "POST":
        return client.post(path, data={**ADMIN_FORMS[path], "csrf_token": csrf_token(client)})
    return client.get(path, query_string={"library": library[0]} if library else None)


def outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login"):
        return LOGIN
    if response.status_code in (200, 201) or (response.status_code == 302 and not location.startswith("/login")):
        return OK
    return str(response.status_code)


@pytest.mark.parametrize("route", ROUTE_MATRIX)
@pytest.mark.parametrize("actor_index, actor", list(enumerate(ROUTE_ACTORS)))
def test_route_matrix(app, client, sign_in, actor_index, actor, route):
    become(actor, app, client, sign_in)
    response = request_route(client, route)
    assert outcome(response) == ROUTE_MATRIX[route][actor_index], response.get_data(as_text=True)[:500]
    if outcome(response) == FORBIDDEN:
        assert "quyền" in response.get_data(as_text=True) or "chỉ" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("actor", ["librarian TVQT", "librarian TVCC", "coordinator"])
def test_import_by_003_goes_to_the_librarians_own_library(app, client, sign_in, actor):
    become(actor, app, client, sign_in)
    assert request_route(client, "POST /imports by 003").status_code == 302
    with app.app_context():
        batch = database.session().scalar(select(ImportBatch))
        assert (batch.library.code if batch.library else None) == FORCED_LIBRARY[actor]


def test_anonymous_is_sent_to_sign_in_and_back(client):
    response = client.get("/imports/new")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/imports/new"


@pytest.mark.parametrize("actor, shown, hidden", [
    ("librarian TVQT", ["Thư viện tỉnh Quảng Trị"], ["Thư viện huyện đảo Cồn Cỏ", "Theo trường 003"]),
    ("coordinator", ["Thư viện tỉnh Quảng Trị", "Thư viện huyện đảo Cồn Cỏ", "Theo trường 003"], []),
])
def test_upload_page_offers_only_the_libraries_one_may_import_for(app, client, sign_in, actor, shown, hidden):
    become(actor, app, client, sign_in)
    page = client.get("/imports/new").get_data(as_text=True)
    assert all(name in page for name in shown) and not any(name in page for name in hidden)


# --- the API, with bearer tokens --------------------------------------------------------------------------------

API_MATRIX = {
    # token of:         library=TVQT  library=TVCC  none (by 003)
    "no token":        (UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED),
    "librarian TVQT":  (OK,           FORBIDDEN,    OK),
    "librarian TVCC":  (FORBIDDEN,    OK,           OK),
    "coordinator":     (OK,           OK,           OK),
    "disabled user":   (UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED),
    "revoked token":   (UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED),
    "unknown token":   (UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED),
}
ACCOUNT_OF = {"librarian TVQT": ("thuthu.qt", "librarian", "TVQT"),
              "librarian TVCC": ("thuthu.cc", "librarian", "TVCC"),
              "coordinator": ("dieuphoi", "coordinator", None),
              "disabled user": ("thuthu.qt", "librarian", "TVQT"),
              "revoked token": ("thuthu.qt", "librarian", "TVQT")}


def token_of(holder: str, app, make_user) -> str | None:
    if holder == "no token":
        return None
    if holder == "unknown token":
        return "khong-phai-ma-that"
    username, role, library = ACCOUNT_OF[holder]
    user = make_user(username, role, library)
    with app.app_context(), database.transaction() as db:
        secret = tokens.create_token(db, user, "script", "test")
        if holder == "revoked token":
            tokens.revoke_token(db, user, tokens.list_tokens(db, user)[0].id, "test")
        if holder == "disabled user":
            users.set_disabled(db, users.get_user(db, username), True, "test")
    return secret


@pytest.mark.parametrize("column, library", list(enumerate(["TVQT", "TVCC", None])))
@pytest.mark.parametrize("holder", API_MATRIX)
def test_api_matrix(app, client, make_user, holder, column, library):
    secret = token_of(holder, app, make_user)
    form = {"file": (io.BytesIO(iso2709(make_record("A1"))), "a.mrc"), **({"library": library} if library else {})}
    response = client.post("/api/imports", data=form, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {secret}"} if secret else {})
    assert outcome(response) == API_MATRIX[holder][column], response.get_data(as_text=True)
    assert response.is_json  # scripts always get JSON, refusals too
