"""The audit log: each write leaves one row saying who, what, for which library, from where; the page lists it."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import select, update

import database
from accounts import audit
from accounts.models import ApiToken, AuditEvent, User
from tests.factories import iso2709, make_record, write
from tests.forms import csrf_token


def upload(client, library: str | None = None, **form):
    data = {"file": (io.BytesIO(iso2709(make_record("U1"), make_record("U2"))), "u.mrc"),
            "csrf_token": csrf_token(client), **form}
    if library:
        data["library"] = library
    return client.post("/imports", data=data, content_type="multipart/form-data")


def events(app, *, after: int = 0) -> list[AuditEvent]:
    with app.app_context():
        return list(database.session().scalars(select(AuditEvent).where(AuditEvent.id > after)
                                               .order_by(AuditEvent.id)))


def last_id(app) -> int:
    found = events(app)
    return found[-1].id if found else 0


def user_id(app, username: str) -> int:
    with app.app_context():
        return database.session().scalar(select(User.id).where(User.username == username))


# Each action, done through the real pages as the actor; then the rows it must have written.
def librarian_imports(app, client, runner, tmp_path):
    upload(client)


def coordinator_imports_for_tvcc(app, client, runner, tmp_path):
    upload(client, "TVCC")


def coordinator_imports_by_003(app, client, runner, tmp_path):
    upload(client)


def dry_run_import(app, client, runner, tmp_path):
    upload(client, dry_run="1")


def cli_import(app, client, runner, tmp_path):
    runner.invoke(args=["catalog", "import", str(write(tmp_path / "c.mrc", iso2709(make_record("C1"))))])


def coordinator_creates_a_librarian(app, client, runner, tmp_path):
    client.post("/admin/users", data={"username": "thuthu.cc", "role": "librarian", "library": "TVCC",
                                      "password": "mat-khau-moi-1", "csrf_token": csrf_token(client)})


def coordinator_disables_and_enables(app, client, runner, tmp_path):
    target = user_id(app, "thuthu.qt")
    for change in ("disable", "enable"):
        client.post(f"/admin/users/{target}/{change}", data={"csrf_token": csrf_token(client)})


def coordinator_resets_a_password_and_moves_a_librarian(app, client, runner, tmp_path):
    target = user_id(app, "thuthu.qt")
    client.post(f"/admin/users/{target}/password",
                data={"password": "mat-khau-moi-1", "csrf_token": csrf_token(client)})
    client.post(f"/admin/users/{target}/role", data={"role": "librarian", "library": "TVCC",
                                                      "csrf_token": csrf_token(client)})


def librarian_creates_and_revokes_a_token(app, client, runner, tmp_path):
    client.post("/account/tokens", data={"name": "koha", "csrf_token": csrf_token(client)})
    with app.app_context():
        token_id = database.session().scalar(select(ApiToken.id))
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client)})


def librarian_changes_own_password(app, client, runner, tmp_path):
    client.post("/account/password", data={"current": "mat-khau-thu-nghiem", "password": "mat-khau-moi-1",
                                           "confirm": "mat-khau-moi-1", "csrf_token": csrf_token(client)})


def someone_fails_to_sign_in(app, client, runner, tmp_path):
    client.post("/login", data={"username": "thuthu.qt", "password": "sai-roi-nhe", "csrf_token": csrf_token(client)})


ROWS = [
    # actor,        action,                                   expected rows: (action, user, library, target)
    ("librarian",   librarian_imports,                        [("import", "thuthu.qt", "TVQT", "batch")]),
    ("coordinator", coordinator_imports_for_tvcc,             [("import", "dieuphoi", "TVCC", "batch")]),
    ("coordinator", coordinator_imports_by_003,               [("import", "dieuphoi", None, "batch")]),
    ("librarian",   dry_run_import,                           []),
    ("coordinator", cli_import,                               [("import", "cli", None, "batch")]),
    ("coordinator", coordinator_creates_a_librarian,          [("user.create", "dieuphoi", "TVCC", "thuthu.cc")]),
    ("coordinator", coordinator_disables_and_enables,         [("user.disable", "dieuphoi", "TVQT", "thuthu.qt"),
                                                               ("user.enable", "dieuphoi", "TVQT", "thuthu.qt")]),
    ("coordinator", coordinator_resets_a_password_and_moves_a_librarian,
                                                              [("user.password", "dieuphoi", "TVQT", "thuthu.qt"),
                                                               ("user.role", "dieuphoi", "TVCC", "thuthu.qt")]),
    ("librarian",   librarian_creates_and_revokes_a_token,    [("token.create", "thuthu.qt", "TVQT", "thuthu.qt"),
                                                               ("token.revoke", "thuthu.qt", "TVQT", "thuthu.qt")]),
    ("librarian",   librarian_changes_own_password,           [("user.password", "thuthu.qt", "TVQT", "thuthu.qt")]),
    ("librarian",   someone_fails_to_sign_in,                 [("login.failed", "thuthu.qt", "TVQT", "thuthu.qt")]),
]


@pytest.mark.parametrize("actor, action, expected", ROWS, ids=[row[1].__name__ for row in ROWS])
def test_each_write_leaves_its_audit_rows(app, client, runner, sign_in, make_user, tmp_path, actor, action, expected):
    make_user("thuthu.qt")
    if actor == "coordinator":
        sign_in(client, "dieuphoi", "coordinator")
    else:
        sign_in(client, "thuthu.qt", make=False)
    before = last_id(app)
    action(app, client, runner, tmp_path)
    written = events(app, after=before)
    assert [(event.action, event.username.split(":")[0], event.library_code,
             "batch" if event.action == "import" else event.target) for event in written] == expected
    for event in written:
        assert event.address == ("127.0.0.1" if event.username != "cli" and not event.username.startswith("cli:")
                                 else None)
        assert "mat-khau" not in str(event.details)  # never a password


def test_an_import_row_holds_the_batch_and_its_counts(app, client, sign_in):
    sign_in(client, "thuthu.qt")
    batch_id = int(upload(client).headers["Location"].rsplit("/", 1)[1])
    [row] = [event for event in events(app) if event.action == "import"]
    assert row.target == str(batch_id) and row.user_id == user_id(app, "thuthu.qt")
    assert row.details == {"batch": batch_id, "file": "u.mrc", "format": "iso2709", "total": 2, "new": 2,
                           "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 0}


# --- the page ---------------------------------------------------------------------------------------------------

def note(app, action: str, username: str, library: str | None, at: datetime | None = None) -> None:
    with app.app_context(), database.transaction() as db:
        event = audit.record(db, action, username, library_code=library, target="t")
        if at is not None:
            event.at = at


def shown(client, **query) -> list[tuple[str, str]]:
    """(user, action) of each row the page shows."""
    page = client.get("/audit", query_string=query).get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    rows = [row.split("</tr>")[0] for row in body.split("<tr>")[1:]]
    cells = [[cell.split("</td>")[0].strip() for cell in row.split("<td>")[1:]] for row in rows]
    return [(cell[1], cell[3]) for cell in cells]


@pytest.fixture
def logged(app, make_user):
    make_user("thuthu.qt")
    with app.app_context(), database.transaction() as db:
        db.execute(update(AuditEvent).values(at=datetime(2026, 1, 1)))  # the rows creating the user
    note(app, "import", "thuthu.qt", "TVQT", datetime(2026, 3, 1, 2))
    note(app, "import", "thuthu.cc", "TVCC", datetime(2026, 3, 2, 2))
    note(app, "user.create", "dieuphoi", None, datetime(2026, 3, 3, 2))
    note(app, "user.disable", "dieuphoi", "TVQT", datetime(2026, 3, 31, 18))  # 1 April in Vietnam (UTC+7)


def test_the_coordinator_sees_everything_newest_first(client, sign_in, logged):
    sign_in(client, "dieuphoi", "coordinator")
    assert shown(client, date_from="2026-02-01", date_to="2026-04-30") == [
        ("dieuphoi", "user.disable"), ("dieuphoi", "user.create"), ("thuthu.cc", "import"), ("thuthu.qt", "import")]


def test_a_librarian_sees_only_their_librarys_events(client, sign_in, logged):
    sign_in(client, "thuthu.qt", make=False)
    assert shown(client, date_from="2026-02-01", date_to="2026-04-30") == [
        ("dieuphoi", "user.disable"), ("thuthu.qt", "import")]
    refused = client.get("/audit?library=TVCC")
    assert refused.status_code == 403 and "nhật ký của thư viện mình" in refused.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ({"user": "THUTHU.CC"}, [("thuthu.cc", "import")]),
    ({"action": "import", "date_from": "2026-02-01"}, [("thuthu.cc", "import"), ("thuthu.qt", "import")]),
    ({"library": "tvqt", "date_from": "2026-02-01"}, [("dieuphoi", "user.disable"), ("thuthu.qt", "import")]),
    ({"date_from": "2026-03-02", "date_to": "2026-03-03"}, [("dieuphoi", "user.create"), ("thuthu.cc", "import")]),
    ({"date_from": "2026-04-01", "date_to": "2026-04-01"}, [("dieuphoi", "user.disable")]),  # Vietnam's day
    ({"date_to": "2026-03-31", "action": "user.disable"}, []),
])
def test_filters(client, sign_in, logged, query, expected):
    sign_in(client, "dieuphoi", "coordinator")
    assert shown(client, **query) == expected


@pytest.mark.parametrize("query", [{"date_from": "31/12/2026"}, {"date_to": "hôm qua"}, {"page": "hai"},
                                   {"page": "0"}])
def test_unusable_filters_get_a_clear_400(client, sign_in, query):
    sign_in(client, "dieuphoi", "coordinator")
    response = client.get("/audit", query_string=query)
    assert response.status_code == 400 and "không hợp lệ" in response.get_data(as_text=True)


def test_pages_of_fifty(app, client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    for number in range(audit.PER_PAGE + 5):
        note(app, "import", f"u{number}", "TVQT")
    first = client.get("/audit?action=import").get_data(as_text=True)
    assert f"{audit.PER_PAGE + 5} sự kiện" in first and 'href="?action=import&amp;page=2"' in first
    assert shown(client, action="import", page="2") == [(f"u{number}", "import") for number in range(4, -1, -1)]
    assert shown(client, action="import", page="99") == shown(client, action="import", page="2")  # the last page
