"""Relevance, as a table: for each query, the records that must come first, in that order.

The records are written for the table: minimal pairs of diacritics (đường / dương / duong), both
tone-mark placements (hoá / hóa), a word in one record's title and in another's summary, ISBNs.
"""
from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Subfield

import database
from catalog.importer import import_file
from tests.factories import iso2709, make_record, write


def record(number: str, title: str, summary: str | None = None, **options):
    made = make_record(number, title=title, author=options.pop("author", "Hội đồng biên soạn"), **options)
    if summary:
        made.add_field(Field(tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", summary)]))
    return made


RECORDS = [
    record("R1", "Đường lên đỉnh Trường Sơn"),
    record("R2", "Dương Văn An và Ô châu cận lục"),
    record("R3", "Duong Thu Huong: tuyển tập phê bình"),  # an author's name as foreign catalogues write it
    record("R4", "Địa chí Thanh Hóa", summary="Địa chí tổng hợp về tỉnh Thanh Hóa."),
    record("R5", "Văn hoá Thanh Hoá xưa"),
    # The same words, once in a title and once in a summary; the summary is the shorter record.
    record("R6", "Đê điều Hà Tĩnh",
           summary="Khảo sát hệ thống thủy lợi, sông ngòi và lịch sử trị thủy của tỉnh Hà Tĩnh qua các thời kỳ."),
    record("R7", "Nông nghiệp Nghệ An", summary="Nông nghiệp và đê điều Nghệ An."),
    record("R8", "Kỷ yếu hội thảo khoa học Cồn Cỏ", isbn="978-604-57-1405-8"),
    record("R9", "Lịch sử Đảng bộ và nhân dân huyện đảo Cồn Cỏ (1959–2019)"),
]

# query -> the record numbers that must come first, in this order
TABLE = [
    ("đường", ["R1"]),  # exact diacritics first...
    ("dương", ["R2"]),
    ("duong", ["R3"]),  # ...including a word typed and catalogued without any
    ("Đường", ["R1"]),
    ("dia chi thanh hoa", ["R4"]),
    ("Địa chí Thanh Hoá", ["R4"]),  # old tone placement typed, new one catalogued
    ("de dieu", ["R6", "R7"]),  # the title word before the same words in a summary
    ("đê điều", ["R6", "R7"]),
    ("nong nghiep", ["R7"]),
    ("9786045714058", ["R8"]),
    ("978-604-57-1405-8", ["R8"]),
    ("6045714059", ["R8"]),
    ("isbn:604-57-1405-9", ["R8"]),
    ('"con co"', ["R8", "R9"]),  # the shorter title first
    ("lich su dang bo con co", ["R9"]),
]
ALSO_FOUND = {  # the folded form finds the other spellings too, below the exact ones
    "đường": {"R2", "R3"},
    "thanh hoa": {"R4", "R5"},
    "Thanh Hóa": {"R4", "R5"},
}


@pytest.fixture
def catalog(app, tmp_path):
    with app.app_context():
        import_file(database.engine(), write(tmp_path / "r.mrc", iso2709(*RECORDS)))
    return app


def ranked(client, text: str) -> list[str]:
    answer = client.get("/api/search", query_string={"q": text}).get_json()
    return [hit["records"][0]["control_number"] for hit in answer["hits"]]


@pytest.mark.parametrize("text, first", TABLE)
def test_the_records_that_must_come_first_do(catalog, client, text, first):
    assert ranked(client, text)[:len(first)] == first


@pytest.mark.parametrize("text, others", ALSO_FOUND.items())
def test_other_spellings_are_found_as_well(catalog, client, text, others):
    assert others <= set(ranked(client, text))
