"""Marking the searched words in what a reader sees: titles, authors, summaries."""
from __future__ import annotations

import pytest
from markupsafe import Markup

from search_index.highlight import QueryWord, highlight, query_words, snippet

LONG_SUMMARY = ("Sách gồm nhiều phần. " * 15 + "Phần cuối viết về tỉnh Quảng Trị trong kháng chiến. "
                + "Phụ lục có bản đồ và ảnh tư liệu. " * 10)


@pytest.mark.parametrize("typed, words", [
    ("dia chi quang tri", [("dia", False), ("chi", False), ("quang", False), ("tri", False)]),
    ("tacgia:Nguyễn", [("nguyen", False)]),
    ("nhande:\"Địa chí\" AND (Huế OR Hue) NOT Vinh", [("dia", False), ("chi", False), ("hue", False),
                                                     ("vinh", False)]),
    ("Quang Tr*", [("quang", False), ("tr", True)]),
    ("nam:[1990 TO 2000] Huế", [("hue", False)]),
    ("year:{1990 TO} lịch sử^2", [("lich", False), ("su", False)]),
    ("ISBN 604-57-1405-9", [("isbn", False)]),
    ("isbn:9786045714058", []),
    ("Huế: cố đô", [("hue", False), ("co", False), ("do", False)]),  # not a field name, a word
    ("*", []),
    ("", []),
])
def test_query_words_are_the_words_the_reader_typed(typed, words):
    assert query_words(typed) == [QueryWord(*word) for word in words]


@pytest.mark.parametrize("typed, text, marked", [
    ("dia chi quang tri", "Địa chí Quảng Trị", "<mark>Địa</mark> <mark>chí</mark> <mark>Quảng</mark> <mark>Trị</mark>"),
    ("Thanh Hoá", "Địa chí Thanh Hóa", "Địa chí <mark>Thanh</mark> <mark>Hóa</mark>"),
    ("thanh hóa", "Thanh Hoá", "<mark>Thanh</mark> <mark>Hoá</mark>"),
    ("Quang Tr*", "Quảng Trị, Quảng Trạch, Quảng Ninh",
     "<mark>Quảng</mark> <mark>Trị</mark>, <mark>Quảng</mark> <mark>Trạch</mark>, <mark>Quảng</mark> Ninh"),
    ("tacgia:Nguyễn", "Nguyễn Văn Tác", "<mark>Nguyễn</mark> Văn Tác"),
    ("đường", "ĐƯỜNG lên Dương", "<mark>ĐƯỜNG</mark> lên <mark>Dương</mark>"),  # the index matches both too
    ("hue", "Thừa Thiên Huế; Huệ", "Thừa Thiên <mark>Huế</mark>; <mark>Huệ</mark>"),
    ("hu", "Huế", "Huế"),  # a whole word, not a part of one, unless typed with *
    ("sach", "<script>alert('sách')</script>", "&lt;script&gt;alert(&#39;<mark>sách</mark>&#39;)&lt;/script&gt;"),
    ("", "Tom & Jerry", "Tom &amp; Jerry"),
])
def test_highlight_marks_matched_words_and_keeps_the_text(typed, text, marked):
    result = highlight(text, query_words(typed))
    assert isinstance(result, Markup)
    assert str(result) == marked


def test_highlight_of_nothing_is_empty():
    assert highlight(None, query_words("huế")) == Markup("")


def test_snippet_of_a_short_text_is_the_whole_text():
    assert snippet("Giới thiệu tỉnh Quảng Trị.", query_words("quang tri")) == \
        "Giới thiệu tỉnh <mark>Quảng</mark> <mark>Trị</mark>."


def test_snippet_cuts_a_long_text_around_the_first_match_between_words():
    shown = snippet(LONG_SUMMARY, query_words("quang tri"), width=120)
    assert "<mark>Quảng</mark> <mark>Trị</mark>" in shown
    assert shown.startswith("…") and shown.endswith("…")
    text = shown.removeprefix("…").removesuffix("…").replace("<mark>", "").replace("</mark>", "")
    assert len(text) <= 120 and text in " ".join(LONG_SUMMARY.split())
    assert text.split()[0] in LONG_SUMMARY.split() and text.split()[-1] in LONG_SUMMARY.split()


def test_snippet_without_a_match_shows_the_beginning():
    shown = snippet(LONG_SUMMARY, query_words("Huế"), width=80)
    assert shown.startswith("Sách gồm nhiều phần.") and shown.endswith("…") and "<mark>" not in shown


def test_snippet_escapes_the_text():
    shown = snippet("chữ " * 100 + "<b>Huế</b> " + "chữ " * 100, query_words("hue"), width=50)
    assert "&lt;b&gt;<mark>Huế</mark>&lt;/b&gt;" in shown
