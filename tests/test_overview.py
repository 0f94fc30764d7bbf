"""The home page, the member libraries' pages and the language switch, as a reader sees them."""
from __future__ import annotations

import re
from pathlib import Path

from tests.factories import iso2709, make_record, write
from tests.test_exchange import donation

DEMO = Path(__file__).resolve().parents[1] / "demo" / "dia_chi_demo.mrc"
MANY = tuple(("TVQT", f"QT.{n:04d}") for n in range(1, 1201))  # 1,200 copies: a number with a separator


def import_as(runner, tmp_path, library: str, *records):
    path = write(tmp_path / f"{library}.mrc", iso2709(*records))
    result = runner.invoke(args=["catalog", "import", str(path), "--library", library])
    assert result.exit_code == 0, result.output


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_home_page_offers_the_search_and_shows_the_unions_activity(runner, tmp_path, client):
    import_as(runner, tmp_path, "TVQT", make_record("QT1", copies=MANY),
              make_record("QT2", title="Cồn Cỏ – Đảo anh hùng", year="2010", copies=(("TVQT", "B.1"),)))
    page = text_of(client.get("/"))
    assert 'role="search"' in page and '<label for="home-q">Tìm sách, tác giả, địa danh</label>' in page
    assert re.search(r"<dt>Bản sách</dt><dd>1\.201</dd>", page)  # Vietnamese thousands separator
    assert re.search(r'<a href="/editions/[^"]+">Cồn Cỏ – Đảo anh hùng</a>', page)  # newest record first
    assert page.index("Cồn Cỏ – Đảo anh hùng") < page.index("Địa chí Quảng Trị")
    assert "Đăng nhập để xem các phiếu trao đổi và tặng sách." in page
    assert '<a href="/libraries/TVQT"><span class="name">Thư viện tỉnh Quảng Trị</span></a>' in page
    assert "2 biểu ghi · 1.201 bản" in page
    english = text_of(client.get("/?lang=en"))
    assert '<html lang="en">' in english and re.search(r"<dd>1,201</dd>", english)


def test_a_signed_in_librarian_sees_recent_transfers_on_the_home_page(runner, tmp_path, client, sign_in, api):
    import_as(runner, tmp_path, "TVQT", make_record("QT1", copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"))))
    donation(api, {"copy": "QT.01"}, {"title": "Bản đồ Cồn Cỏ", "quantity": 3})
    sign_in(client, "thuthu.cc2", library="TVCC")
    page = text_of(client.get("/"))
    assert re.search(r'<a href="/transfers/\d+"> Thư viện tỉnh Quảng Trị → Thư viện huyện đảo Cồn Cỏ</a>', page)
    assert "Tặng · 4 bản ·" in page and "nháp" in page


def test_a_library_page_shows_its_collection_imports_and_exchanges(app, runner, tmp_path, client, sign_in, api):
    import_as(runner, tmp_path, "TVQT", make_record("QT1", copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"))),
              make_record("QT2", title="Cồn Cỏ – Đảo anh hùng", year="2010", copies=(("TVQT", "QT.03"),)))
    sent = donation(api, {"copy": "QT.01"}, {"title": "Bản đồ Cồn Cỏ", "quantity": 3})
    api("thuthu.qt", "post", f"/api/transfers/{sent['id']}/dispatch")
    api("thuthu.cc", "post", f"/api/transfers/{sent['id']}/receive")
    public = text_of(client.get("/libraries/TVQT"))
    assert "<dt>Biểu ghi</dt><dd>2</dd>" in public and "Bản đã gửi đi" not in public  # exchanges: signed in
    sign_in(client, "thuthu.qt2", library="TVQT")
    page = text_of(client.get("/libraries/TVQT"))
    assert "<h1>Thư viện tỉnh Quảng Trị</h1>" in page
    for label, figure in (("Biểu ghi", 2), ("Ấn bản", 2), ("Bản sách đang giữ", 2), ("Bản đã gửi đi", 4),
                          ("Bản đã nhận", 0)):
        assert f"<dt>{label}</dt><dd>{figure}</dd>" in page, label
    assert "TVQT.mrc" in page  # its recent import
    assert 'href="/search?library=TVQT"' in page
    receiver = text_of(client.get("/libraries/TVCC"))
    assert "<dt>Bản sách đang giữ</dt><dd>4</dd>" in receiver and "<dt>Bản đã nhận</dt><dd>4</dd>" in receiver
    assert "Thư viện chưa có biểu ghi nào." in receiver
    assert re.search(r"Thư viện tỉnh Quảng Trị → Thư viện huyện đảo Cồn Cỏ</a>", receiver)
    missing = client.get("/libraries/KHONGCO")
    assert missing.status_code == 404 and "KHONGCO" in missing.get_data(as_text=True)


def test_the_language_switch_is_remembered_and_only_leads_back_into_the_site(client):
    switched = client.get("/language/en?next=/libraries")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/libraries")
    assert "lang=en" in switched.headers["Set-Cookie"] and "Max-Age=31536000" in switched.headers["Set-Cookie"]
    page = text_of(client.get("/search"))
    assert '<html lang="en">' in page and ">Search</a>" in page
    assert 'href="/language/vi?next=/search"' in page  # the way back, from where the reader is
    for elsewhere in ("https://example.com/", "//example.com/", "/\\example.com", "/\r\nX-Evil: 1"):
        assert client.get("/language/vi", query_string={"next": elsewhere}).headers["Location"].endswith("/")
    # A page asked for with ?lang=en comes back without it, or the choice just made would not show.
    assert client.get("/language/vi?next=/search%3Fq%3Dhue%26lang%3Den").headers["Location"].endswith(
        "/search?q=hue")
    client.get("/language/klingon")  # not a language: nothing changes
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_the_demo_has_transfers_to_show(runner, client, sign_in):
    """`make run` records a few transfers in the demo catalog, through the real service, once."""
    assert runner.invoke(args=["catalog", "import", str(DEMO)]).exit_code == 0
    first = runner.invoke(args=["exchange", "demo"])
    assert first.exit_code == 0 and "Đã ghi 4 phiếu chuyển mẫu" in first.output
    assert "không thêm gì" in runner.invoke(args=["exchange", "demo"]).output
    sign_in(client, "xem.demo", role="coordinator")
    con_co = text_of(client.get("/libraries/TVCC"))
    assert "<dt>Bản đã nhận</dt><dd>40</dd>" in con_co  # 2 named copies and 38 of 40 uncatalogued books
    quang_binh = text_of(client.get("/libraries/TVQB"))
    assert "<dt>Bản đã gửi đi</dt><dd>1</dd>" in quang_binh
