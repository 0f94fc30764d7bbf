"""The exchange tracker's pages as librarians use them: the list and its filters, recording a donation through
the form, a transfer page offering only the actions its reader may take, dispatch, receipt (whole or partial)
and cancellation through the pages moving copies, and the handover record as a page and as a PDF."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

import database
from exchange import transfers
from exchange.models import Transfer, TransferLine
from tests.forms import token_in
from tests.test_exchange import catalog, copies_at, copy_row, edition_of  # noqa: F401 - catalog is a fixture

USERS = {"thuthu.qt": ("librarian", "TVQT"), "thuthu.cc": ("librarian", "TVCC"), "thuthu.qb": ("librarian", "TVQB"),
         "dieuphoi": ("coordinator", None)}
OCCASION = "Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ, 26–27/3/2021"
pytestmark = pytest.mark.usefixtures("catalog")  # Quảng Trị's and Quảng Bình's copies, from tests.test_exchange
ACTION_MARKS = {"edit": "/edit\"", "dispatch": "/dispatch\"", "receive": "/receive\"", "cancel": "/cancel\""}


@pytest.fixture
def users(make_user):
    """The users by name, for recording transfers through the service directly."""
    return {name: make_user(name, role, library) for name, (role, library) in USERS.items()}


@pytest.fixture
def browser(app, users, sign_in):
    """browser("thuthu.cc") is a client signed in as that user, through the sign-in form."""
    def open_as(username: str):
        client = app.test_client()
        sign_in(client, username, make=False)
        return client
    return open_as


def submit(client, page: str, action: str, **fields):
    """Send a page's form as a browser does, with the CSRF token the page carries."""
    token = token_in(client.get(page).get_data(as_text=True))
    return client.post(action, data={**fields, "csrf_token": token})


def record(app, actor, *lines, kind="donation", source="TVQT", to="TVCC", when=date(2021, 3, 26),
           state="draft", **extra) -> int:
    """A transfer recorded (and moved on to `state`) through the service, as the API would."""
    with app.app_context():
        with database.transaction() as db:
            transfer_id = transfers.create_transfer(db, actor, kind=kind, from_code=source, to_code=to,
                                                    transfer_date=when, occasion=OCCASION, note=None,
                                                    lines=list(lines), **extra).id
        if state != "draft":
            with database.transaction() as db:
                transfers.dispatch(db, actor, transfer_id)
    return transfer_id


def copy_line(number: str) -> transfers.LineSpec:
    return transfers.LineSpec(copy=number)


def transfer_row(app, transfer_id: int) -> Transfer:
    with app.app_context():
        db = database.session()
        transfer = db.get(Transfer, transfer_id)
        transfer.lines, transfer.events  # noqa: B018 - loaded before the session closes
        return transfer


def line_ids(app, transfer_id: int) -> list[int]:
    with app.app_context():
        return list(database.session().scalars(select(TransferLine.id).where(TransferLine.transfer_id == transfer_id)
                                               .order_by(TransferLine.position)))


def links_to_transfers(page: str) -> set[int]:
    return {int(number) for number in re.findall(r'href="/transfers/(\d+)"', page)}


# --- who may see ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/transfers", "/transfers/new", "/transfers/1", "/transfers/1/edit",
                                  "/transfers/1/handover", "/transfers/1/handover.pdf"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signed_in_users_find_the_pages_in_the_navigation(client, browser):
    assert "Trao đổi / Tặng sách" not in client.get("/").get_data(as_text=True)
    assert 'href="/transfers">Trao đổi / Tặng sách' in browser("thuthu.qb").get("/").get_data(as_text=True)


# --- the list --------------------------------------------------------------------------------------------------------

def test_the_list_filters_by_library_kind_state_and_year(app, browser, users):
    given = record(app, users["thuthu.qt"], copy_line("QT.01"))
    traded = record(app, users["thuthu.qb"], copy_line("QB.01"), kind="exchange", source="TVQB", to="TVQT",
                    when=date(2022, 5, 2))
    sent = record(app, users["thuthu.qt"], transfers.LineSpec(title="Bản đồ Cồn Cỏ", quantity=4), to="TVHT",
                  when=date(2022, 8, 9), state="dispatched")
    client = browser("thuthu.cc")
    page = client.get("/transfers").get_data(as_text=True)
    assert links_to_transfers(page) == {given, traded, sent}
    assert "26/03/2021" in page and "trao đổi" in page and "tặng" in page and "đã gửi" in page and "nháp" in page
    for query, expected in [("library=TVQB", {traded}), ("library=tvqt", {given, traded, sent}),
                            ("kind=donation", {given, sent}), ("state=dispatched", {sent}), ("year=2021", {given}),
                            ("kind=donation&year=2022", {sent}), ("library=TVCC&state=dispatched", set())]:
        assert links_to_transfers(client.get(f"/transfers?{query}").get_data(as_text=True)) == expected, query


@pytest.mark.parametrize("query, message", [("kind=gift", "Loại phiếu"), ("state=lost", "trạng thái"),
                                            ("year=21", "Năm phải"), ("year=%C2%B2", "Năm phải"),
                                            ("library=XYZ", "Không có thư viện mã")])
def test_an_unknown_filter_is_refused_in_vietnamese(browser, query, message):
    response = browser("thuthu.qt").get(f"/transfers?{query}")
    assert response.status_code in (400, 404) and message in response.get_data(as_text=True)


# --- recording through the form ---------------------------------------------------------------------------------------

def test_a_librarian_records_a_donation_through_the_form(app, runner, browser):
    client = browser("thuthu.qt")
    form = client.get("/transfers/new").get_data(as_text=True)
    assert 'name="from" value="TVQT"' in form and 'id="from" name="from"' not in form  # fixed: their own library
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert f'name="date" value="{today.isoformat()}"' in form and '<option value="donation" selected>' in form
    edition = edition_of(runner, "QT2")
    response = submit(client, "/transfers/new", "/transfers/new", kind="donation", to="TVCC", date="2021-03-26",
                      occasion=OCCASION, note="Xe của Sở Văn hóa chở ra đảo", copies="QT.01\r\n QT.02 \r\n\r\n",
                      titles=f"2 | {edition.upper()}\n30 | Sách tặng của Thanh Hóa",
                      **{"from": "TVQB"})  # another library typed in by hand: still their own
    assert response.status_code == 302
    transfer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    transfer = transfer_row(app, transfer_id)
    assert (transfer.kind, transfer.state, transfer.from_library_id != transfer.to_library_id) == \
        ("donation", "draft", True)
    assert [(line.copy_id is not None, line.edition_id is not None, line.title, line.quantity)
            for line in transfer.lines] == [(True, False, None, 1), (True, False, None, 1), (False, True, None, 2),
                                            (False, False, "Sách tặng của Thanh Hóa", 30)]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lập phiếu số" in page and "Thư viện tỉnh Quảng Trị" in page and "Thư viện huyện đảo Cồn Cỏ" in page
    assert f'href="/editions/{edition_of(runner, "QT1")}">QT.01</a>' in page  # a copy leads to its edition
    assert f'href="/editions/{edition}"' in page and "Cồn Cỏ – Đảo anh hùng" in page
    assert "26/03/2021" in page and OCCASION in page and "34" in page  # 1 + 1 + 2 + 30 copies


@pytest.mark.parametrize("fields, message", [
    ({"copies": "QT.01\nQT.99"}, "không có bản sách số ĐKCB: QT.99"),
    ({"titles": "ba mươi | Sách tặng"}, "Dòng 1 của danh sách nhan đề"),
    ({"titles": "2 | zzzzzzzzzzzz"}, "Không có ấn bản mã"),
    ({"titles": "0 | Sách tặng"}, "số lượng phải là số nguyên từ 1"),
    ({"copies": "", "titles": ""}, "ít nhất một dòng"),
    ({"date": "31/02/2021"}, "Ngày bàn giao phải viết dạng ngày/tháng/năm"),
    ({"to": "TVQT"}, "phải khác nhau"),
    ({"to": ""}, "Hãy chọn bên giao và bên nhận"),
    ({"kind": "gift"}, "Hãy chọn loại phiếu"),
    ({"counterpart": "mười hai"}, "Phiếu đối ứng là số"),
])
def test_mistakes_come_back_above_the_form_with_what_was_typed(app, browser, fields, message):
    client = browser("thuthu.qt")
    typed = {"kind": "donation", "to": "TVCC", "date": "26/03/2021", "occasion": OCCASION, "note": "Ghi chú <b>",
             "copies": "QT.01", "titles": "5 | Sách tặng của Thanh Hóa", **fields}
    response = submit(client, "/transfers/new", "/transfers/new", **typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and 'class="error" role="alert"' in page
    assert OCCASION in page and "Ghi chú &lt;b&gt;" in page and typed["titles"].split("\n")[0] in page
    with app.app_context():
        assert database.session().scalar(select(Transfer.id)) is None


def test_a_copy_on_another_open_transfer_is_refused_in_the_form(app, browser, users):
    first = record(app, users["thuthu.qt"], copy_line("QT.01"))
    response = submit(browser("thuthu.qt"), "/transfers/new", "/transfers/new", kind="donation", to="TVQB",
                      date="2021-04-01", copies="QT.01")
    assert response.status_code == 409 and f"đang nằm trong phiếu chuyển số {first}" in response.get_data(as_text=True)


def test_a_draft_is_edited_through_the_form(app, browser, users):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"),
                         transfers.LineSpec(title="Bản đồ Cồn Cỏ", quantity=3))
    client = browser("thuthu.qt")
    form = client.get(f"/transfers/{transfer_id}/edit").get_data(as_text=True)
    assert ">QT.01</textarea>" in form and "3 | Bản đồ Cồn Cỏ</textarea>" in form and 'value="2021-03-26"' in form
    response = submit(client, f"/transfers/{transfer_id}/edit", f"/transfers/{transfer_id}/edit",
                      date="27/03/2021", occasion="", note="", copies="QT.02\nQT.03", titles="")
    assert response.status_code == 302
    transfer = transfer_row(app, transfer_id)
    assert transfer.transfer_date == date(2021, 3, 27) and len(transfer.lines) == 2
    assert [event.action for event in transfer.events] == ["create", "edit"]
    submit(client, f"/transfers/{transfer_id}", f"/transfers/{transfer_id}/dispatch")
    refused = client.get(f"/transfers/{transfer_id}/edit")
    assert refused.status_code == 409 and "chỉ sửa được phiếu nháp" in refused.get_data(as_text=True)
    assert browser("thuthu.cc").get(f"/transfers/{transfer_id}/edit").status_code == 409


# --- the transfer page: only the actions its reader may take ----------------------------------------------------------

@pytest.mark.parametrize("state, user, expected", [
    ("draft", "thuthu.qt", {"edit", "dispatch", "cancel"}),
    ("draft", "thuthu.cc", set()),
    ("draft", "thuthu.qb", set()),
    ("draft", "dieuphoi", {"edit", "dispatch", "cancel"}),
    ("dispatched", "thuthu.qt", {"cancel"}),
    ("dispatched", "thuthu.cc", {"receive"}),
    ("dispatched", "thuthu.qb", set()),
    ("dispatched", "dieuphoi", {"receive", "cancel"}),
])
def test_the_page_offers_only_the_actions_the_reader_may_take(app, browser, users, state, user, expected):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"), state=state)
    page = browser(user).get(f"/transfers/{transfer_id}").get_data(as_text=True)
    assert {action for action, mark in ACTION_MARKS.items() if f"/transfers/{transfer_id}{mark}" in page} == expected
    assert ("điều phối viên làm thay" in page) is (user == "dieuphoi")


def test_another_librarian_posting_an_action_is_refused_in_vietnamese(app, browser, users):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"))
    response = submit(browser("thuthu.qb"), f"/transfers/{transfer_id}", f"/transfers/{transfer_id}/dispatch")
    assert response.status_code == 403 and "Chỉ thủ thư của thư viện gửi" in response.get_data(as_text=True)
    assert transfer_row(app, transfer_id).state == "draft"


# --- dispatch, receipt and cancellation through the pages -------------------------------------------------------------

def test_dispatch_and_receipt_through_the_pages_move_the_copies(app, runner, client, browser):
    sender = browser("thuthu.qt")
    created = submit(sender, "/transfers/new", "/transfers/new", kind="donation", to="TVCC", date="2021-03-26",
                     copies="QT.01\nQT.02", titles="3 | Sách chưa biên mục về đảo Cồn Cỏ")
    page = created.headers["Location"]
    dispatched = submit(sender, page, f"{page}/dispatch")
    assert dispatched.status_code == 302 and dispatched.headers["Location"].endswith(page)
    assert "Đã gửi phiếu số" in sender.get(page).get_data(as_text=True)
    assert copy_row(app, "QT.01").status == "in_transit" and copies_at(app, "TVCC") == []
    receiver = browser("thuthu.cc")
    received = submit(receiver, page, f"{page}/receive")  # the form as it comes: everything arrived
    assert received.status_code == 302
    assert copies_at(app, "TVCC") == ["QT.01", "QT.02", "TVCC-000001", "TVCC-000002", "TVCC-000003"]
    assert copy_row(app, "QT.01").status is None
    holdings = {h["library"]: h["copies"] for h in
                client.get(f"/api/editions/{edition_of(runner, 'QT1')}").get_json()["holdings"]}
    assert holdings == {"TVCC": 2, "TVQT": 1}
    shown = receiver.get(page).get_data(as_text=True)
    assert "đã nhận đủ" in shown and "thuthu.cc" in shown and "xác nhận nhận" in shown
    assert not any(f"{page}{mark}" in shown for mark in ACTION_MARKS.values())  # nothing left to do
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", shown)  # the history's times


def test_the_coordinator_acts_for_both_sides_and_is_recorded_as_such(app, browser, users):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.04"))
    coordinator = browser("dieuphoi")
    page = f"/transfers/{transfer_id}"
    submit(coordinator, page, f"{page}/dispatch")
    submit(coordinator, page, f"{page}/receive")
    events = transfer_row(app, transfer_id).events
    assert [(event.action, event.username, event.as_coordinator) for event in events] == [
        ("create", "thuthu.qt", False), ("dispatch", "dieuphoi", True), ("receive", "dieuphoi", True)]
    assert copies_at(app, "TVCC") == ["QT.04"]
    assert coordinator.get(page).get_data(as_text=True).count('<span class="badge">điều phối viên</span>') == 2


def test_cancelling_needs_a_reason_and_gives_the_copies_back(app, browser, users):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"), state="dispatched")
    client, page = browser("thuthu.qt"), f"/transfers/{transfer_id}"
    refused = submit(client, page, f"{page}/cancel", reason="   ")
    assert refused.status_code == 400 and "Hãy ghi lý do hủy phiếu." in refused.get_data(as_text=True)
    assert transfer_row(app, transfer_id).state == "dispatched"
    cancelled = submit(client, page, f"{page}/cancel", reason="Tàu không ra đảo được vì bão")
    assert cancelled.status_code == 302
    assert transfer_row(app, transfer_id).cancel_reason == "Tàu không ra đảo được vì bão"
    assert copy_row(app, "QT.01").status is None and "QT.01" in copies_at(app, "TVQT")
    shown = client.get(page).get_data(as_text=True)
    assert "đã hủy" in shown and "Tàu không ra đảo được vì bão" in shown


def test_a_partial_receipt_through_the_form(app, browser, users):
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"), copy_line("QT.02"),
                         transfers.LineSpec(title="Bản đồ Cồn Cỏ", quantity=4), state="dispatched")
    first, second, third = line_ids(app, transfer_id)
    client, page = browser("thuthu.cc"), f"/transfers/{transfer_id}"
    wrong = submit(client, page, f"{page}/receive", **{f"received-{third}": "2", f"missing-{third}": "1"})
    assert wrong.status_code == 400 and "gửi 4 bản" in wrong.get_data(as_text=True)
    assert f'name="received-{third}" min="0" max="4" value="2"' in wrong.get_data(as_text=True)  # as typed
    assert transfer_row(app, transfer_id).state == "dispatched" and copies_at(app, "TVCC") == []
    response = submit(client, page, f"{page}/receive", **{
        f"received-{first}": "1", f"missing-{first}": "0", f"damaged-{first}": "0",
        f"received-{second}": "0", f"missing-{second}": "", f"damaged-{second}": "0",
        f"received-{third}": "3", f"missing-{third}": "1", f"damaged-{third}": "1",
        f"numbers-{third}": "CC.1\r\nCC.2\r\nCC.3\r\n"})
    assert response.status_code == 302
    transfer = transfer_row(app, transfer_id)
    assert transfer.state == "partly_received"
    assert [(line.received, line.missing, line.damaged) for line in transfer.lines] == [(1, 0, 0), (0, 1, 0), (3, 1, 1)]
    assert copies_at(app, "TVCC") == ["CC.1", "CC.2", "CC.3", "QT.01"]
    assert copy_row(app, "QT.02").status == "lost_in_transit"
    assert "nhận thiếu" in client.get(page).get_data(as_text=True)


def test_an_exchange_shows_its_counterpart_and_balance(app, browser, users):
    outward = record(app, users["thuthu.qt"], copy_line("QT.01"), copy_line("QT.02"), kind="exchange", to="TVQB")
    partner = browser("thuthu.qb")
    page = partner.get(f"/transfers/{outward}").get_data(as_text=True)
    offer = re.search(r'href="(/transfers/new\?[^"]+)">Lập phiếu trao đổi chiều ngược lại', page)
    assert offer, page
    form = partner.get(offer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{outward}"' in form and '<option value="TVQT" selected>' in form
    response = submit(partner, "/transfers/new", "/transfers/new", kind="exchange", to="TVQT", date="2021-04-02",
                      counterpart=str(outward), copies="QB.01")
    assert response.status_code == 302
    back = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = partner.get(f"/transfers/{outward}").get_data(as_text=True)
    assert f'href="/transfers/{back}">Phiếu số {back}</a>' in shown
    assert "TVQT → TVQB: 2 bản" in shown and "TVQB → TVQT: 1 bản" in shown


# --- the handover record and the packing list -------------------------------------------------------------------------

@pytest.fixture
def received_transfer(app, users) -> int:
    """Quảng Trị's donation to Cồn Cỏ: two named copies and four maps, received with one map missing."""
    transfer_id = record(app, users["thuthu.qt"], copy_line("QT.01"), copy_line("QT.02"),
                         transfers.LineSpec(title="Bản đồ đảo Cồn Cỏ", quantity=4), state="dispatched")
    third = line_ids(app, transfer_id)[2]
    with app.app_context(), database.transaction() as db:
        transfers.receive(db, users["thuthu.cc"], transfer_id,
                          [transfers.LineReceipt(third, received=3, missing=1, damaged=1)])
    return transfer_id


def test_the_handover_record_has_both_libraries_lines_totals_and_signatures(browser, received_transfer):
    client = browser("thuthu.qb")  # any signed-in librarian may read and print it
    response = client.get(f"/transfers/{received_transfer}/handover")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "BIÊN BẢN BÀN GIAO SÁCH" in page
    assert "Thư viện tỉnh Quảng Trị (TVQT)" in page and "Thư viện huyện đảo Cồn Cỏ (TVCC)" in page
    assert OCCASION in page and "26/03/2021" in page and "Bản đồ đảo Cồn Cỏ" in page and "Địa chí Quảng Trị" in page
    totals = re.findall(r"<td[^>]*>([^<]*)</td>", re.search(r"<tfoot>.*?</tfoot>", page, re.DOTALL).group(0))
    assert totals == ["", "Cộng", "3 dòng", "6", "5", "1", "1"]  # sent, received, missing, damaged
    assert "ĐẠI DIỆN BÊN GIAO" in page and "ĐẠI DIỆN BÊN NHẬN" in page and page.count("Chữ ký:") == 2
    assert "data-print" in page and "/static/print.js" in page and "@media print" in client.get(
        "/static/style.css").get_data(as_text=True)
    packing = client.get(f"/transfers/{received_transfer}/handover?kind=packing").get_data(as_text=True)
    assert "BẢNG KÊ SÁCH ĐÓNG GÓI" in packing and "Thùng số" in packing and "Đã nhận" not in packing
    refused = client.get(f"/transfers/{received_transfer}/handover?kind=thu")
    assert refused.status_code == 400 and "biên bản bàn giao" in refused.get_data(as_text=True)


@pytest.mark.parametrize("kind, title", [("", "BIÊN BẢN BÀN GIAO SÁCH"), ("packing", "BẢNG KÊ SÁCH ĐÓNG GÓI")])
def test_the_pdf_is_a_real_pdf_with_vietnamese_text(browser, received_transfer, kind, title):
    response = browser("thuthu.cc").get(f"/transfers/{received_transfer}/handover.pdf?kind={kind}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).split())
    for words in (title, "Thư viện tỉnh Quảng Trị (TVQT)", "Thư viện huyện đảo Cồn Cỏ (TVCC)", "Bản đồ đảo Cồn Cỏ",
                  "ĐẠI DIỆN BÊN GIAO", "ĐẠI DIỆN BÊN NHẬN", "Hội nghị giao ban giữa nhiệm kỳ", "QT.01", "Cộng"):
        assert words in text, (words, text)


def test_a_long_transfer_makes_a_pdf_of_several_pages(app, browser, users):
    lines = [transfers.LineSpec(title=f"Sách tặng số {n} – Địa chí Quảng Trị, tập {n}", quantity=n % 7 + 1)
             for n in range(1, 121)]
    transfer_id = record(app, users["thuthu.qt"], *lines)
    reader = PdfReader(io.BytesIO(browser("thuthu.qt").get(f"/transfers/{transfer_id}/handover.pdf").data))
    assert len(reader.pages) > 2
    last = reader.pages[-1].extract_text()
    assert "ĐẠI DIỆN BÊN NHẬN" in last and f"Trang {len(reader.pages)}/{len(reader.pages)}" in last
