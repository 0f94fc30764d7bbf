"""The search page as a reader uses it: marked words, pages, combined filters, sorting, help, errors."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from pymarc import Field, Subfield
from werkzeug.datastructures import MultiDict

import database
from catalog.importer import import_file
from search_index.views import page_window, search_link
from tests.factories import iso2709, make_record, write

QB = (("TVQB", "QB.1"),)
RECORDS = [
    (make_record("P1", title="Địa chí Quảng Trị", author="Lê Văn Thủy", year="2006"),
     "Giới thiệu điều kiện tự nhiên, dân cư và lịch sử tỉnh Quảng Trị."),
    (make_record("P2", title="Thành cổ Quảng Trị", author="Nguyễn Văn Tác", year="2012"), None),
    (make_record("P3", org="TVQB", title="Địa chí Quảng Bình", author="Nguyễn Thị Bình", year="2005", copies=QB),
     "Sách gồm năm phần. " * 20 + "Phần cuối viết về Đồng Hới, tỉnh lỵ Quảng Bình."),
    (make_record("P4", org="TVQB", title="Đồng Hới xưa và nay", author="Trần Hới", year="2010", copies=QB), None),
    (make_record("P5", org="TVTH", title="Địa chí Thanh Hoá", author="Lê Hoá", year="2000",
                 copies=(("TVTH", "TH.1"),)), "Vùng đất Thanh Hóa từ thời tiền sử."),
]
PLACES = {"P3": "Quảng Bình", "P4": "Đồng Hới"}


def _record(record, summary):
    number = record["001"].data
    if number in PLACES:
        record.add_ordered_field(Field(tag="651", indicators=[" ", "7"], subfields=[Subfield("a", PLACES[number])]))
    if summary:
        record.add_ordered_field(Field(tag="520", indicators=[" ", " "], subfields=[Subfield("a", summary)]))
    return record


@pytest.fixture
def catalog(app, tmp_path):
    with app.app_context():
        import_file(database.engine(), write(tmp_path / "p.mrc", iso2709(*(_record(*pair) for pair in RECORDS))))
    return app


def page(client, **params) -> str:
    response = client.get("/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def total(text: str) -> int:
    return int(re.search(r"<p>(\d+) kết quả</p>", text).group(1))


def link(text: str, pattern: str) -> str:
    """The href of the first link whose opening tag and text match pattern."""
    for match in re.finditer(r'<a ([^>]*)href="([^"]*)"([^>]*)>(.*?)</a>', text, re.S):
        if re.search(pattern, match.group(0), re.S):
            return html.unescape(match.group(2))
    raise AssertionError(f"no link matching {pattern!r}")


def params(href: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(urlsplit(href).query))


def test_hits_show_the_searched_words_marked(catalog, client):
    text = page(client, q="dia chi quang tri")
    assert "<mark>Địa</mark> <mark>chí</mark> <mark>Quảng</mark> <mark>Trị</mark>" in text
    assert "lịch sử tỉnh <mark>Quảng</mark> <mark>Trị</mark>." in text  # the summary


def test_either_tone_placement_and_prefixes_are_marked(catalog, client):
    assert "<mark>Thanh</mark> <mark>Hoá</mark>" in page(client, q="Thanh Hóa")
    assert "<mark>Quảng</mark> <mark>Trị</mark>" in page(client, q="Quang Tr*")
    marked = page(client, q="tacgia:Nguyễn")
    assert "<mark>Nguyễn</mark> Văn Tác" in marked and "<mark>tacgia" not in marked


def test_a_long_summary_is_cut_around_the_match(catalog, client):
    text = page(client, q="Đồng Hới")
    assert "…" in text and "Phần cuối viết về <mark>Đồng</mark> <mark>Hới</mark>" in text
    assert "Sách gồm năm phần. " * 10 not in text


def test_next_page_keeps_every_other_parameter(catalog, client):
    text = page(client, q="", sort="title", per_page=2, year_from=1990)
    assert total(text) == 5
    next_page = link(text, r'rel="next"')
    assert params(next_page) == [("page", "2"), ("per_page", "2"), ("sort", "title"), ("year_from", "1990")]
    assert params(link(text, r'aria-label="Trang 3"')) == [("page", "3"), ("per_page", "2"), ("sort", "title"),
                                                           ("year_from", "1990")]
    second = client.get("/search" + next_page).get_data(as_text=True)
    assert 'aria-current="page">2<' in second and params(link(second, r'rel="prev"'))[0] == ("page", "1")


def test_two_facets_combine_and_each_chip_removes_only_its_value(catalog, client):
    everything = page(client, q="")
    by_library = client.get("/search" + link(everything, r">Thư viện tỉnh Quảng Bình<")).get_data(as_text=True)
    assert total(by_library) == 2
    both_href = link(by_library, r">Đồng Hới<")
    assert params(both_href) == [("library", "TVQB"), ("place", "Đồng Hới")]
    both = client.get("/search" + both_href).get_data(as_text=True)
    assert total(both) == 1 and "Đồng Hới xưa và nay" in both
    assert 'class="selected" aria-current="true"' in both  # shown as chosen in its own list
    assert params(link(both, r'aria-label="Bỏ lọc Địa danh: Đồng Hới"')) == [("library", "TVQB")]
    assert params(link(both, r'aria-label="Bỏ lọc Thư viện: Thư viện tỉnh Quảng Bình"')) == [("place", "Đồng Hới")]


def test_sort_and_years_are_in_the_form(catalog, client):
    text = page(client, q="dia chi", sort="year", year_from=2001, place="Quảng Trị")
    assert '<option value="year" selected>Năm xuất bản</option>' in text
    assert "Liên quan" in text and "Nhan đề A–Z" in text
    assert 'name="year_from" value="2001"' in text and 'name="year_to" value=""' in text
    assert '<input type="hidden" name="place" value="Quảng Trị">' in text  # a new search keeps the filters
    years = [int(year) for year in re.findall(r'class="hit-title">.*?\((\d{4})\)</h2>', text)]
    assert years == sorted(years, reverse=True) and min(years) >= 2001


def test_help_page_lists_the_fields_and_their_vietnamese_names(client):
    response = client.get("/search/help")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<kbd>tacgia:</kbd>" in text and "<kbd>author:</kbd>" in text and "nam:[1990 TO 2000]" in text
    assert 'href="/search/help"' in client.get("/search").get_data(as_text=True)


@pytest.mark.parametrize("bad, message", [
    ({"page": "-1"}, "phải là số nguyên dương"),
    ({"sort": "drop table"}, "Cách sắp xếp không hợp lệ"),
    ({"year_from": "abc"}, "Năm “abc” không hợp lệ"),
])
def test_a_bad_parameter_shows_a_vietnamese_message_on_the_search_page(catalog, client, bad, message):
    response = client.get("/search", query_string={"q": "Quảng Trị", **bad})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in text and 'role="search"' in text and 'value="Quảng Trị"' in text


@pytest.mark.parametrize("changes, expected", [
    ({"page": 3}, "?q=Hu%E1%BA%BF&library=TVQT&library=TVQB&sort=year&page=3"),
    ({"add": ("place", "Huế")}, "?q=Hu%E1%BA%BF&library=TVQT&library=TVQB&sort=year&place=Hu%E1%BA%BF"),
    ({"add": ("library", "TVQT")}, "?q=Hu%E1%BA%BF&library=TVQT&library=TVQB&sort=year"),
    ({"remove": ("library", "TVQT")}, "?q=Hu%E1%BA%BF&library=TVQB&sort=year"),
    ({"sort": "title"}, "?q=Hu%E1%BA%BF&library=TVQT&library=TVQB&sort=title"),
    ({"sort": None}, "?q=Hu%E1%BA%BF&library=TVQT&library=TVQB"),
])
def test_search_link_changes_one_thing_and_starts_again_at_page_one(changes, expected):
    current = MultiDict([("q", "Huế"), ("library", "TVQT"), ("library", "TVQB"), ("sort", "year"), ("page", "2"),
                         ("year_to", "")])
    assert search_link(current, **changes) == expected


@pytest.mark.parametrize("current, last, expected", [
    (1, 1, [1]),
    (1, 4, [1, 2, 3, 4]),
    (1, 10, [1, 2, 3, None, 10]),
    (6, 10, [1, None, 4, 5, 6, 7, 8, None, 10]),
    (10, 10, [1, None, 8, 9, 10]),
    (4, 10, [1, 2, 3, 4, 5, 6, None, 10]),
])
def test_page_window(current, last, expected):
    assert page_window(current, last) == expected


def test_the_api_hands_out_the_same_marked_html(catalog, client):
    (hit,) = client.get("/api/search", query_string={"q": "thanh co"}).get_json()["hits"]
    assert hit["title"] == "Thành cổ Quảng Trị"
    assert hit["highlight"] == {"title": "<mark>Thành</mark> <mark>cổ</mark> Quảng Trị",
                                "authors": ["Nguyễn Văn Tác"], "summary": None}
