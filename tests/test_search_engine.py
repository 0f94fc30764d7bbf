"""The query engine under the search API: postings read as arrays, segments, deletions, refresh,
phrases through word pairs, boolean queries, paging and sorting. Indexes are written directly
from documents here, so each test says exactly what the index holds."""
from __future__ import annotations

from collections import Counter

import pytest

from search_index import store
from search_index.analysis import exact_analyzer, folded_analyzer, index_terms, shingles_analyzer
from search_index.documents import shingles_value
from search_index.search import search
from search_index.segments import SegmentMemory, read_one_by_one, read_postings
from search_index.view import open_views

BLOCK = 128  # Whoosh writes postings in blocks of this many


def document(number: int, title: str, text: str = "", year: int | None = None, authors: tuple[str, ...] = (),
             **extra) -> dict:
    joined = "\n".join([title, *authors, text]).strip()
    fields = {"id": str(number), "edition": str(number), "title": title, "text": joined, "text_exact": joined,
              "author": "\n".join(authors), "shingles": shingles_value({"title": [title], "author": list(authors),
                                                                    "text": [text]}),
              "title_sort": title.lower(), "library_facet": extra.pop("library", "TVQT")}
    if year is not None:
        fields |= {"year": year, "decade": str(year // 10 * 10)}
    return fields | extra


def write(directory, documents, *, update: bool = False, delete: tuple[str, ...] = ()):
    ix = store.open_index(str(directory))
    writer = store.writer(ix)
    for doc in documents:
        (writer.update_document if update else writer.add_document)(**doc)
    for number in delete:
        writer.delete_by_term("id", number)
    writer.commit()


def ids(directory, text: str, **options) -> list[int]:
    result = search(str(directory), text, per_page=100, cache=False, **options)
    return [int(hit.edition) for hit in result.hits]


@pytest.fixture
def directory(tmp_path):
    path = tmp_path / "index"
    yield path
    open_views.forget(str(path))


def test_postings_read_by_blocks_equal_postings_read_one_by_one(directory):
    write(directory, [document(n, "Địa chí Quảng Trị" if n % 3 else "Quảng Bình", "quang " * (n % 4))
                      for n in range(1, 3 * BLOCK + 10)])
    ix = store.open_index(str(directory))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for term in (b"quang", b"tri", b"dia", b"binh"):
            fast = read_postings(reader, "text", term)
            slow = read_one_by_one(reader.postings("text", term))
            assert len(fast.docs) > 1 and fast.docs.tolist() == slow.docs.tolist()
            assert fast.weights.tolist() == slow.weights.tolist()
        assert len(read_postings(reader, "text", b"quang").docs) > 2 * BLOCK
        assert len(read_postings(reader, "text", b"absent").docs) == 0


@pytest.mark.parametrize("value", ["Địa chí Quảng Trị\nLê Quý Đôn", "Thanh Hoá – Thanh Hóa, 1945–1975", "o'clock U.S.A ấy"])
def test_terms_counted_for_indexing_are_the_analyzers_terms(value):
    pairs = shingles_value({"title": value.split("\n"), "author": ["Lê Quý Đôn"]})
    for form, analyzer, text in (("folded", folded_analyzer(), value), ("exact", exact_analyzer(), value),
                                 ("shingles", shingles_analyzer(), pairs)):
        assert index_terms(text, form) == Counter(token.text for token in analyzer(text))
    assert index_terms(pairs, "shingles")["author:le quy"] == 1


def test_documents_across_segments_with_updates_and_deletions(directory):
    write(directory, [document(1, "Địa chí Quảng Trị"), document(2, "Địa chí Quảng Bình")])
    assert sorted(ids(directory, "dia chi")) == [1, 2]
    write(directory, [document(3, "Địa chí Hà Tĩnh")])  # a second segment
    assert sorted(ids(directory, "dia chi")) == [1, 2, 3]
    write(directory, [document(1, "Lịch sử Quảng Trị")], update=True, delete=("2",))  # deletions in old segments
    assert sorted(ids(directory, "dia chi")) == [3]
    assert ids(directory, "lich su") == [1]
    facets = search(str(directory), "", cache=False).facets["library"]
    assert facets == [("TVQT", 2)]  # deleted documents are not counted


def test_a_rebuild_is_searched_only_once_whole_and_replaces_the_old_index(directory):
    write(directory, [document(1, "Địa chí Quảng Trị")])
    assert ids(directory, "quang tri") == [1]
    path, ix = store.begin_rebuild(str(directory))
    writer = store.writer(ix)
    writer.add_document(**document(2, "Địa chí Quảng Trị mới"))
    writer.commit()
    assert ids(directory, "quang tri") == [1]  # still the index in use until the rebuild is whole
    store.finish_rebuild(str(directory), path, watermark=0)
    assert ids(directory, "quang tri") == [2]
    assert [p.name for p in directory.iterdir() if p.is_dir()] == [path.name]


def test_phrases_match_neighbouring_words_of_one_value(directory):
    write(directory, [
        document(1, "Địa chí Quảng Trị"),
        document(2, "Quảng Bình và Trị Thiên"),  # both words, not together
        document(3, "Địa chí Quảng", "Trị Thiên"),  # together only across two values
        document(4, "Lịch sử", "Đất Quảng Trị anh hùng"),
    ])
    assert sorted(ids(directory, '"quang tri"')) == [1, 4]
    assert sorted(ids(directory, '"Quảng Trị" dia chi')) == [1]
    assert sorted(ids(directory, "quang tri")) == [1, 2, 3, 4]
    assert ids(directory, 'nhande:"quang tri"') == [1]


def test_a_phrase_asked_in_a_field_matches_in_one_value_of_that_field(directory):
    write(directory, [
        document(1, "Thơ", authors=("Võ Ngọc Châu",)),
        document(2, "Văn", authors=("Võ Ngọc Lan", "Trần Ngọc Châu")),  # every pair, not in one name
        document(3, "Võ Ngọc Châu: hồi ký"),  # the name, but in the title
    ])
    assert ids(directory, 'tacgia:"Võ Ngọc Châu"') == [1]
    assert sorted(ids(directory, '"Võ Ngọc Châu"')) == [1, 3]


def test_boolean_queries_and_year_ranges(directory):
    write(directory, [document(1, "Địa chí Quảng Trị", year=1995), document(2, "Địa chí Quảng Bình", year=2005),
                      document(3, "Lịch sử Quảng Trị", year=2015), document(4, "Quảng Trị xưa")])
    assert sorted(ids(directory, "quang NOT tri")) == [2]
    assert sorted(ids(directory, "binh OR (lich su)")) == [2, 3]
    assert sorted(ids(directory, "quang nam:[2000 TO 2010]")) == [2]
    assert sorted(ids(directory, "quang", year_from=2000)) == [2, 3]
    assert sorted(ids(directory, "quang", year_to=2000)) == [1]
    assert sorted(ids(directory, "quang Tr*")) == [1, 3, 4]


def test_pages_are_disjoint_and_cover_every_hit_in_each_order(directory):
    write(directory, [document(n, f"Quảng Trị tập {n}", year=1950 + n % 7 if n % 5 else None) for n in range(1, 48)])
    for sort in ("relevance", "year", "title"):
        seen = []
        for page in range(1, 6):
            seen += [int(hit.edition) for hit in search(str(directory), "quang tri", page=page, per_page=10,
                                                     sort=sort, cache=False).hits]
        assert sorted(seen) == list(range(1, 48)), sort
    by_year = ids(directory, "quang tri", sort="year")
    years = {n: 1950 + n % 7 if n % 5 else None for n in range(1, 48)}
    ordered = [years[n] for n in by_year]
    present = [year for year in ordered if year is not None]
    assert present == sorted(present, reverse=True) and ordered[-1] is None and ordered.index(None) == len(present)


def test_title_order_is_vietnamese_alphabetical(directory):
    from search_index.documents import sort_key
    titles = ["Đường làng", "Dương Văn An", "An Giang", "Ăn Tết", "Bình Định", "Âm nhạc", "Ông đồ", "Ô châu", "Ơn nghĩa"]
    write(directory, [document(n, title, "sach") | {"title_sort": sort_key(title)} for n, title in enumerate(titles, 1)])
    result = search(str(directory), "sach", sort="title", per_page=20, cache=False)
    assert [titles[int(hit.edition) - 1] for hit in result.hits] == [
        "An Giang", "Ăn Tết", "Âm nhạc", "Bình Định", "Dương Văn An", "Đường làng", "Ô châu", "Ông đồ", "Ơn nghĩa"]


def test_a_small_memory_budget_evicts_postings_without_changing_answers(directory, monkeypatch):
    write(directory, [document(n, f"Quảng Trị {word}") for n, word in enumerate(("xưa", "nay", "mai"), 1)])
    expected = {text: ids(directory, text) for text in ("quang", "tri xua", "nay", "mai")}
    open_views.forget(str(directory))
    monkeypatch.setattr(open_views, "cache_mb", 0)  # every new term pushes the oldest out
    for _round in range(2):
        assert {text: ids(directory, text) for text in expected} == expected
    memory = open_views.view(str(directory)).memory
    assert isinstance(memory, SegmentMemory) and memory.budget_bytes == 0


def test_recent_results_are_not_served_after_the_index_changes(directory):
    write(directory, [document(1, "Địa chí Quảng Trị")])
    assert [int(hit.edition) for hit in search(str(directory), "quang tri").hits] == [1]
    write(directory, [document(2, "Quảng Trị anh hùng")])
    assert sorted(int(hit.edition) for hit in search(str(directory), "quang tri").hits) == [1, 2]


def test_a_query_with_no_rule_of_its_own_falls_back_to_whoosh(directory):
    from whoosh.query import Term, WrappingQuery

    from search_index.evaluate import Evaluator
    write(directory, [document(1, "Địa chí Quảng Trị"), document(2, "Quảng Bình")])
    view = open_views.view(str(directory))
    matches = Evaluator(view).matches(WrappingQuery(Term("text", "tri")))
    assert sorted(int(doc) for doc in matches.matched.nonzero()[0]) == [0]


def test_postings_sorted_in_runs_on_disk_give_the_same_index(directory, tmp_path, monkeypatch):
    from search_index import pool

    documents = [document(n, f"Quảng Trị {word} {n}", year=1990 + n) for n, word in
                 enumerate(("xưa", "nay", "mai", "sau", "trước") * 6, 1)]
    write(directory, documents)
    expected = {text: ids(directory, text) for text in ("quang tri", "xua", "mai OR sau", '"tri nay"', "nam:[1995 TO 2000]")}
    monkeypatch.setattr(pool, "RUN_CHUNK", 7)  # a run every 7 postings, written in chunks of 7
    monkeypatch.setattr(pool, "POSTING_BYTES", 2**40)
    spilled = tmp_path / "spilled"
    write(spilled, documents)
    try:
        assert {text: ids(spilled, text) for text in expected} == expected
        assert all(expected.values())
    finally:
        open_views.forget(str(spilled))


def test_syncs_fold_their_small_segments_together_but_leave_large_ones(directory, monkeypatch):
    monkeypatch.setattr(store, "SMALL_SEGMENT", 3)
    write(directory, [document(n, f"Quảng Trị {n}") for n in range(1, 6)])  # the "large" one
    for n in range(6, 14):
        ix = store.open_index(str(directory))
        writer = store.writer(ix)
        writer.update_document(**document(n, f"Quảng Trị {n}"))
        writer.commit(mergetype=store.merge_small_segments)
        sizes = sorted(segment.doc_count_all() for segment in store.open_index(str(directory))._segments())
        assert sizes[-1] == 5 and len(sizes) <= 1 + store.MERGE_SMALL_AT, sizes
    assert sorted(ids(directory, "quang tri")) == list(range(1, 14))
