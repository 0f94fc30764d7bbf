"""The coordinator's pages of libraries: add and edit through the real forms; every refusal clear and harmless."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

import database
from accounts.models import AuditEvent, User
from catalog.models import Library, Record
from tests.factories import iso2709, make_record
from tests.forms import csrf_token, token_in

NEW = {"code": "tvgl", "name": "Thư viện huyện Gio Linh", "province": "Quảng Trị", "kind": "district",
       "org_code": "vn-qt-gl"}
TVQT = {"name": "Thư viện tỉnh Quảng Trị", "province": "Quảng Trị", "kind": "member", "org_code": "TVQT"}


@pytest.fixture
def coordinator(client, sign_in):
    sign_in(client, "dieuphoi", "coordinator")
    return client


def send_form(client, page: str, action: str, **form):
    """Open the page, then send its form with the CSRF token the page carried, as a browser does."""
    token = token_in(client.get(page).get_data(as_text=True))
    return client.post(action, data={**form, "csrf_token": token})


def add(client, **changes):
    return send_form(client, "/admin/libraries", "/admin/libraries", **{**NEW, **changes})


def edit(client, library: str = "TVQT", **changes):
    return send_form(client, "/admin/libraries", f"/admin/libraries/{library}/edit", **{**TVQT, **changes})


def stored(app) -> dict[str, tuple]:
    with app.app_context():
        return {library.code: (library.name, library.province, library.kind, library.org_code)
                for library in database.session().scalars(select(Library))}


def library_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(database.session().scalars(
            select(AuditEvent).where(AuditEvent.action.like("library.%")).order_by(AuditEvent.id)))


def user_id(app, username: str) -> int:
    with app.app_context():
        return database.session().scalar(select(User.id).where(User.username == username))


def counts_shown(page: str, code: str) -> list[str]:
    row = page.split(f'<tr id="library-{code}">', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num">([^<]*)</td>', row)


# --- adding and editing -------------------------------------------------------------------------------------------

def test_the_coordinator_adds_a_library_on_the_page(app, coordinator):
    page = coordinator.get("/admin/libraries").get_data(as_text=True)
    assert "Thêm thư viện" in page and 'name="csrf_token"' in page
    response = add(coordinator)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/libraries"
    assert stored(app)["TVGL"] == ("Thư viện huyện Gio Linh", "Quảng Trị", "district", "VN-QT-GL")
    page = coordinator.get("/admin/libraries").get_data(as_text=True)
    assert "Đã thêm thư viện TVGL: Thư viện huyện Gio Linh." in page and counts_shown(page, "TVGL") == ["0", "0"]
    assert '<option value="TVGL">Thư viện huyện Gio Linh (TVGL)</option>' in coordinator.get("/imports/new").get_data(
        as_text=True)
    [event] = library_events(app)
    assert (event.action, event.username, event.user_id, event.library_code, event.target, event.address) == (
        "library.create", "dieuphoi", user_id(app, "dieuphoi"), "TVGL", "TVGL", "127.0.0.1")
    assert event.details == {"name": "Thư viện huyện Gio Linh", "province": "Quảng Trị", "kind": "district",
                             "org_code": "VN-QT-GL"}


def test_the_organization_code_defaults_to_the_code(app, coordinator):
    assert add(coordinator, org_code="", province="").status_code == 302
    assert stored(app)["TVGL"] == ("Thư viện huyện Gio Linh", None, "district", "TVGL")


def test_the_coordinator_edits_a_library_and_its_code_stays(app, coordinator):
    page = coordinator.get("/admin/libraries/tvqt/edit").get_data(as_text=True)
    assert 'value="Thư viện tỉnh Quảng Trị"' in page and 'value="TVQT"' in page and 'name="code"' not in page
    response = edit(coordinator, name="Thư viện tỉnh Quảng Trị (Đông Hà)", kind="other", org_code="vn-qt",
                    code="TVXX")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/libraries"
    libraries = stored(app)
    assert libraries["TVQT"] == ("Thư viện tỉnh Quảng Trị (Đông Hà)", "Quảng Trị", "other", "VN-QT")
    assert "TVXX" not in libraries
    assert "Đã lưu thư viện TVQT" in coordinator.get("/admin/libraries").get_data(as_text=True)
    [event] = library_events(app)
    assert (event.action, event.username, event.library_code, event.target) == (
        "library.update", "dieuphoi", "TVQT", "TVQT")
    assert event.details == {"name": ["Thư viện tỉnh Quảng Trị", "Thư viện tỉnh Quảng Trị (Đông Hà)"],
                             "kind": ["member", "other"], "org_code": ["TVQT", "VN-QT"]}


def test_records_carrying_the_new_organization_code_go_to_the_library(app, coordinator):
    edit(coordinator, org_code="VN-QT")
    record = make_record("N1", org="VN-QT", copies=(("VN-QT", "DC.1"),))
    coordinator.post("/imports", data={"file": (io.BytesIO(iso2709(record)), "n.mrc"),
                                       "csrf_token": csrf_token(coordinator)}, content_type="multipart/form-data")
    with app.app_context():
        assert database.session().scalar(select(Record)).library.code == "TVQT"


def test_saving_an_unchanged_library_writes_no_audit_row(app, coordinator):
    before = stored(app)
    assert edit(coordinator, org_code="tvqt ").status_code == 302
    assert stored(app) == before and library_events(app) == []


def test_the_list_counts_live_records_and_the_copies_each_library_holds(coordinator):
    records = (make_record("C1"), make_record("C2", copies=(("TVQT", "DC.2"), ("TVCC", "DC.3"))),
               make_record("C3", status="d"))
    coordinator.post("/imports", data={"file": (io.BytesIO(iso2709(*records)), "c.mrc"), "library": "TVQT",
                                       "csrf_token": csrf_token(coordinator)}, content_type="multipart/form-data")
    page = coordinator.get("/admin/libraries").get_data(as_text=True)
    assert counts_shown(page, "TVQT") == ["2", "2"] and counts_shown(page, "TVCC") == ["0", "1"]


def test_the_admin_pages_link_to_each_other(coordinator):
    users_page = coordinator.get("/admin/users").get_data(as_text=True)
    libraries_page = coordinator.get("/admin/libraries").get_data(as_text=True)
    assert '<a href="/admin/libraries">Thư viện</a>' in users_page
    assert '<a href="/admin/users">Người dùng</a>' in libraries_page


# --- refusals: a clear message in Vietnamese, the right status, nothing changed -----------------------------------

@pytest.mark.parametrize("changes, status, message", [
    ({"name": "   "}, 400, "Tên thư viện không được để trống."),
    ({"code": " "}, 400, "Mã thư viện không được để trống."),
    ({"code": "tvqt"}, 409, "Đã có thư viện mã “TVQT”."),
    ({"code": " TvCc "}, 409, "Đã có thư viện mã “TVCC”."),
    ({"org_code": "tvcc"}, 409, "Mã tổ chức “TVCC” đã là của Thư viện huyện đảo Cồn Cỏ (TVCC)"),
    ({"code": "TV-GL"}, 400, "Mã thư viện phải gồm 2–16 chữ cái không dấu hoặc chữ số"),
    ({"code": "T"}, 400, "Mã thư viện phải gồm 2–16"),
    ({"code": "T" * 17}, 400, "Mã thư viện phải gồm 2–16"),
    ({"code": "TVĐH"}, 400, "Mã thư viện phải gồm 2–16"),
    ({"code": "TV\x00GL"}, 400, "Mã thư viện phải gồm 2–16"),
    ({"name": "Thư viện\nGio Linh"}, 400, "Tên thư viện có ký tự điều khiển hoặc ký tự ẩn"),
    ({"name": "Thư viện\x00Gio Linh"}, 400, "Tên thư viện có ký tự điều khiển"),
    ({"name": "Gio\u200bLinh"}, 400, "Tên thư viện có ký tự điều khiển hoặc ký tự ẩn"),
    ({"province": "Quảng\tTrị"}, 400, "Tỉnh có ký tự điều khiển"),
    ({"name": "T" * 201}, 400, "Tên thư viện dài quá 200 ký tự."),
    ({"org_code": "VN QT"}, 400, "Mã tổ chức MARC (trường 003) phải gồm 2–16 ký tự"),
    ({"org_code": "VN\x00QT"}, 400, "Mã tổ chức MARC (trường 003) phải gồm 2–16 ký tự"),
    ({"kind": "national"}, 400, "Loại thư viện phải là một trong: member, district, other."),
])
def test_adding_refuses_with_a_clear_message_and_changes_nothing(app, coordinator, changes, status, message):
    before = stored(app)
    response = add(coordinator, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page
    assert 'action="/admin/libraries"' in page  # the form again, to correct
    assert stored(app) == before and library_events(app) == []


def test_a_refused_form_keeps_what_was_typed(coordinator):
    page = add(coordinator, code="TV-GL").get_data(as_text=True)
    assert 'value="TV-GL"' in page and 'value="Thư viện huyện Gio Linh"' in page and 'value="vn-qt-gl"' in page


@pytest.mark.parametrize("code, changes, status, message", [
    ("TVQT", {"name": ""}, 400, "Tên thư viện không được để trống."),
    ("TVQT", {"org_code": "tvcc"}, 409, "Mã tổ chức “TVCC” đã là của Thư viện huyện đảo Cồn Cỏ (TVCC)"),
    ("TVQT", {"name": "Quảng\r\nTrị"}, 400, "Tên thư viện có ký tự điều khiển"),
    ("TVQT", {"province": "Quảng\x00Trị"}, 400, "Tỉnh có ký tự điều khiển"),
    ("TVQT", {"org_code": "VN_QT"}, 400, "Mã tổ chức MARC (trường 003) phải gồm 2–16 ký tự"),
    ("TVQT", {"kind": ""}, 400, "Loại thư viện phải là một trong"),
    ("KHONGCO", {}, 404, "Không có thư viện mã “KHONGCO”"),
    ("TV%00QT", {}, 404, "Không có thư viện mã"),
])
def test_editing_refuses_with_a_clear_message_and_changes_nothing(app, coordinator, code, changes, status, message):
    before = stored(app)
    response = edit(coordinator, code, **{"name": "Tên mới", **changes})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert stored(app) == before and library_events(app) == []


def test_a_refused_edit_shows_the_form_with_what_was_typed(coordinator):
    page = edit(coordinator, name="Tên mới", org_code="tvcc").get_data(as_text=True)
    assert 'action="/admin/libraries/TVQT/edit"' in page and 'value="Tên mới"' in page and 'value="tvcc"' in page


@pytest.mark.parametrize("action", ["/admin/libraries", "/admin/libraries/TVQT/edit"])
def test_a_form_without_its_csrf_token_is_refused(app, coordinator, action):
    before = stored(app)
    response = coordinator.post(action, data={**NEW, "name": "Không có mã CSRF"})
    assert response.status_code == 400 and "biểu mẫu không hợp lệ" in response.get_data(as_text=True)
    assert stored(app) == before and library_events(app) == []


@pytest.mark.parametrize("action", ["/admin/libraries", "/admin/libraries/TVQT/edit"])
def test_a_librarian_changes_nothing_even_for_their_own_library(app, client, sign_in, action):
    sign_in(client, "thuthu.qt")
    before = stored(app)
    response = client.post(action, data={**NEW, "name": "Tên mới", "csrf_token": csrf_token(client)})
    assert response.status_code == 403 and "Chỉ điều phối viên" in response.get_data(as_text=True)
    assert stored(app) == before and library_events(app) == []


# --- the command line ---------------------------------------------------------------------------------------------

def test_the_command_line_add_is_audited_as_its_runner(app, runner):
    result = runner.invoke(args=["libraries", "add", "tvgl", "Thư viện huyện Gio Linh", "--kind", "district"])
    assert result.exit_code == 0, result.output
    [event] = library_events(app)
    assert (event.action, event.username.split(":")[0], event.user_id, event.library_code, event.address) == (
        "library.create", "cli", None, "TVGL", None)


@pytest.mark.parametrize("args, message", [
    (["TV GL", "Thư viện huyện Gio Linh"], "Mã thư viện phải gồm 2–16"),
    (["TVGL", " "], "Tên thư viện không được để trống."),
    (["TVGL", "Gio Linh", "--org-code", "TVQT"], "Mã tổ chức “TVQT” đã là của Thư viện tỉnh Quảng Trị"),
])
def test_the_command_line_add_refuses_with_the_same_messages(app, runner, args, message):
    before = stored(app)
    result = runner.invoke(args=["libraries", "add", *args])
    assert result.exit_code == 2 and message in result.output
    assert stored(app) == before and library_events(app) == []
