"""Edition matching: minimal pairs, the chaining guard, the shared truth's clusters and look-alikes, speed."""
from __future__ import annotations

import json
import random
import time
from itertools import combinations

import pytest
from stdnum import ean

from catalog.edition_match import cluster, edition_key, match_keys, same_edition, title_key
from catalog.marc_reader import detect_format
from catalog.record_data import RecordData
from catalog.record_source import mapped_items

VI_FILES = ["vi_utf8.mrc", "vi_utf8.xml", "vi_nfd.xml", "vi_tcvn3.mrc", "vi_vni.mrc"]
ISBN_A, ISBN_B = "9786045718728", "9786045718995"


def record(number: str = "QT0001", org: str = "TVQT", title: str = "Địa chí Quảng Trị", **fields) -> RecordData:
    defaults = dict(authors=("Lê Văn Hòa", "Trần Thị Thủy"), year=2006, publisher="Nxb. Chính trị quốc gia")
    return RecordData(control_number=number, org_code=org, title=title, **(defaults | fields))


def other(**fields) -> RecordData:
    """The same book as another library catalogues it."""
    return record("TTH0001", "TVTTH", **fields)


@pytest.mark.parametrize("a, b, key", [
    (dict(title="Đại Nam nhất thống chí T.1"), dict(title="Đại Nam nhất thống chí Tập 1"), "title"),
    (dict(), dict(publisher="Chính trị quốc gia"), "title"),
    (dict(), dict(authors=("Lê Văn Hoà",)), "title"),  # old-style tone placement, fewer added names
    (dict(title="Địa chí Thanh Hoá"), dict(title="Địa chí Thanh Hóa"), "title"),
    (dict(title="Phong Nha - Kẻ Bàng"), dict(title="PHONG NHA – KẺ BÀNG."), "title"),
    (dict(), dict(title="Địa chí Quảng Tri"), "title"),  # misspelt, but author, year and publisher agree
    (dict(isbns=(ISBN_A,)), dict(isbns=(ISBN_A,), title="Địa chí tỉnh Quảng Trị"), "isbn"),
    (dict(), dict(system_numbers=("(TVQT) QT0001",), title="Địa chí tỉnh Quảng Trị"), "system_number"),
])
def test_same_edition(a, b, key):
    decision = same_edition(record(**a), other(**b))
    assert (decision.same, decision.key) == (True, key), decision
    assert decision.score > 0 and decision.reason.startswith("Trùng")


@pytest.mark.parametrize("a, b", [
    ("Đại Nam nhất thống chí T.1", "Đại Nam nhất thống chí Tập 1"),
    ("Đại Nam nhất thống chí tập I", "Đại Nam nhất thống chí Quyển 1"),
    ("Đại Nam nhất thống chí Q.1", "Đại Nam nhất thống chí, tập 1"),
    ("Địa chí Thanh Hoá", "Địa chí Thanh Hóa"),
    ("Phong Nha - Kẻ Bàng", "Phong Nha – Kẻ Bàng"),
    ("Phong Nha—Kẻ Bàng :", "phong nha kẻ bàng"),
])
def test_title_keys_agree(a, b):
    assert title_key(a) == title_key(b)


@pytest.mark.parametrize("a, b", [
    ("Tái bản lần thứ 2", "Tái bản lần 2"),
    ("Tái bản lần thứ hai", "tái bản lần thứ 2."),
    ("Tái bản có sửa chữa, bổ sung", "Tái bản có bổ sung, sửa chữa"),
])
def test_edition_statements_agree(a, b):
    assert edition_key(a) == edition_key(b)


@pytest.mark.parametrize("a, b", [
    ("Tái bản lần thứ 2", "In lần thứ 2"),  # a new printing is not surely a new edition, nor surely the same
    ("Tái bản lần thứ 1", "Tái bản lần thứ 2"),
    ("Tái bản lần thứ 1", "Tái bản lần thứ 1, có bổ sung"),
])
def test_edition_statements_differ(a, b):
    assert edition_key(a) != edition_key(b)


@pytest.mark.parametrize("a, b, key", [
    (dict(title="Địa chí Thanh Hóa T.1"), dict(title="Địa chí Thanh Hóa Tập 2"), "volume_differs"),
    (dict(title="Địa chí Thanh Hóa Phần 1"), dict(title="Địa chí Thanh Hóa Phần 2"), "volume_differs"),
    (dict(title="Địa chí Thanh Hóa"), dict(title="Địa chí Thanh Hóa T.1"), "volume_differs"),
    (dict(year=2005), dict(year=2010), "year_differs"),
    (dict(year=2005, isbns=(ISBN_A,)), dict(year=2010, isbns=(ISBN_A,)), "year_differs"),
    (dict(isbns=(ISBN_A,)), dict(isbns=(ISBN_B,)), "isbn_differs"),
    (dict(edition_statement="Tái bản lần thứ 2"), dict(edition_statement="Tái bản lần thứ 3"), "edition_differs"),
    (dict(title="Địa chí Quảng Trị"), dict(title="Địa chí Quảng Bình"), "title_differs"),
    (dict(), dict(authors=("Nguyễn Văn An",)), "author_differs"),
    (dict(), dict(publisher="Nxb. Thuận Hóa"), "publisher_differs"),
    (dict(), dict(year=None), "year_missing"),
    (dict(authors=(), publisher=None), dict(authors=(), publisher="[K.nxb.]"), "too_weak"),
    (dict(), dict(edition_statement="Tái bản lần thứ 2", authors=()), "edition_unconfirmed"),
    (dict(), dict(title="Địa chí Quảng Tri", authors=()), "title_unconfirmed"),
])
def test_different_editions(a, b, key):
    decision = same_edition(record(**a), other(**b))
    assert (decision.same, decision.key) == (False, key), decision
    assert decision.reason


def test_one_missing_edition_statement_merges_only_when_all_else_agrees():
    decision = same_edition(record(), other(edition_statement="Tái bản lần thứ 2"))
    assert (decision.same, decision.key) == (True, "title")


def test_the_same_record_is_the_same_edition_whatever_changed():
    decision = same_edition(record(year=2005), record(year=2006, title="Địa chí tỉnh Quảng Trị"))
    assert (decision.same, decision.key, decision.score) == (True, "identity", 1.0)


def test_a_bare_035_number_is_no_key():
    assert match_keys(record(system_numbers=("12058",))).system_numbers == {"(TVQT)QT0001"}


def test_cluster_says_why_each_member_joined():
    items = [("a", record()), ("b", other(authors=("Lê Văn Hoà",))), ("c", record("X9", "TVCC", year=2010))]
    clusters = cluster(items)
    assert [c.members for c in clusters] == [("a", "b"), ("c",)]
    (link,) = clusters[0].links
    assert (link.member, link.joined_to, link.decision.key) == ("b", "a", "title")


def test_chaining_guard_keeps_conflicting_records_apart():
    """B, without ISBN, matches A and C by title, but A and C have different ISBNs: never one edition."""
    a = record("A1", "TVNA", isbns=(ISBN_A,))
    b = record("B1", "TVHT")
    c = record("C1", "TVQB", isbns=(ISBN_B,))
    assert same_edition(a, b).same and same_edition(b, c).same and not same_edition(a, c).same
    clusters = cluster([("a", a), ("b", b), ("c", c)])
    assert [c.members for c in clusters] == [("a", "b"), ("c",)]


@pytest.fixture
def truth(shared_marc) -> dict:
    path = shared_marc / "vi" / "truth.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return json.loads(path.read_text(encoding="utf-8"))


def read_vi(path) -> dict[str, RecordData]:
    with path.open("rb") as stream:
        fmt = detect_format(stream.read(4096))
    with path.open("rb") as stream:
        items = [item.data for item in mapped_items(stream, fmt, None)]
    assert all(items), path
    return {f"dev/{data.org_code}/{data.control_number}": data for data in items}


@pytest.mark.parametrize("file_name", VI_FILES)
def test_truth_clusters_merge_and_look_alikes_stay_apart(shared_marc, truth, file_name):
    records = read_vi(shared_marc / "vi" / file_name)
    edition_of = {member: index for index, c in enumerate(cluster(records.items())) for member in c.members}
    for name, expected in truth["clusters"].items():
        present = [m for m in expected["members"] if m in records]
        assert len({edition_of[m] for m in present}) == 1, (name, present)
    for negative in truth["hard_negatives"]:
        a, b = (truth["clusters"][negative[side]]["members"] for side in ("a", "b"))
        assert not {edition_of[m] for m in a if m in records} & {edition_of[m] for m in b if m in records}, negative
    for a, b in combinations(truth["clusters"], 2):
        edition_a = {edition_of[m] for m in truth["clusters"][a]["members"] if m in records}
        assert not edition_a & {edition_of[m] for m in truth["clusters"][b]["members"] if m in records}, (a, b)


def isbn13(first12: str) -> str:
    return first12 + ean.calc_check_digit(first12)


def synthetic(n: int, seed: int = 7) -> list[tuple[int, RecordData, int]]:
    """n records of about 0.7 n editions: (id, data, true edition), catalogued with the usual variations."""
    rng = random.Random(seed)
    rows, edition = [], 0
    while len(rows) < n:
        edition += 1
        volume = rng.choice(["", " T.1", " T.2", " Phần 1"])
        base = dict(title=f"Địa chí xã {rng.choice('ABCDEGH')}{edition % 997}{volume}",
                    authors=(f"Nguyễn Văn Hòa {edition % 1009}",), year=1990 + edition % 35,
                    publisher=rng.choice(["Nxb. Thuận Hóa", "Nxb. Nghệ An"]),
                    isbns=(isbn13(f"978604{edition:06d}"),) if rng.random() < 0.5 else ())
        for library in range(rng.choice([1, 1, 2, 3])):
            variant = dict(base, title=base["title"].replace("T.", "Tập ").replace("Hóa", "Hoá") if library
                           else base["title"], isbns=base["isbns"] if rng.random() < 0.8 else ())
            rows.append((len(rows), RecordData(str(len(rows)), f"TV{library}", **variant), edition))
    return rows[:n]


def test_twenty_thousand_records_cluster_in_seconds_without_wrong_merges():
    rows = synthetic(20_000)
    start = time.perf_counter()
    clusters = cluster((row_id, data) for row_id, data, _ in rows)
    elapsed = time.perf_counter() - start
    true_edition = {row_id: edition for row_id, _, edition in rows}
    assert all(len({true_edition[m] for m in c.members}) == 1 for c in clusters)
    assert len(clusters) == len(set(true_edition.values()))
    assert elapsed < 5, elapsed
