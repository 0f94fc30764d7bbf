"""Vietnamese text rules: NFC, tone placement, folding, title normalization, collation, syllables."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from catalog.vietnamese import (
    VIETNAMESE_LETTERS,
    collation_key,
    fold,
    is_vietnamese_syllable,
    nfc,
    normalize_title,
    normalize_tone_placement,
)

SHARED_MARC = Path(__file__).resolve().parents[1].parent / "shared" / "marc"
TRUTH = SHARED_MARC / "vi" / "truth.json"
NO_SHARED = f"shared MARC samples not found at {SHARED_MARC}"


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _truth_titles() -> list:
    if not TRUTH.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_SHARED))]
    records = json.loads(TRUTH.read_text(encoding="utf-8"))["records"]
    return [
        pytest.param(r["title"], r["title_norm"], id=f"{r['file']}#{r['position']}") for r in records
    ]


@pytest.mark.parametrize("text", ["Địa chí Quảng Trị", "ĐỊA CHÍ", "plain ascii", ""])
def test_nfc_composes_decomposed_text(text):
    assert nfc(_nfd(text)) == text
    assert nfc(text) == text


@pytest.mark.parametrize(
    "old, new",
    [
        ("hoá", "hóa"),
        ("thuỷ", "thủy"),
        ("hoà", "hòa"),
        ("khoẻ", "khỏe"),
        ("uỷ", "ủy"),
        ("Uỷ ban", "Ủy ban"),
        ("Thanh Hoá", "Thanh Hóa"),
        ("THANH HOÁ", "THANH HÓA"),
        ("Lê Văn Thuỷ", "Lê Văn Thủy"),
        ("Tỉnh uỷ - Hội đồng", "Tỉnh ủy - Hội đồng"),
        ("xoạ, toà, loè", "xọa, tòa, lòe"),
    ],
)
def test_old_style_tone_marks_move_to_the_first_vowel(old, new):
    assert normalize_tone_placement(old) == new


@pytest.mark.parametrize(
    "word",
    ["quý", "Quý", "giày", "hoàng", "thuyền", "quốc", "hóa", "thủy", "hoạch", "khuya", "mùa", "Huế", "tuổi"],
)
def test_fixed_tone_placement_is_left_alone(word):
    assert normalize_tone_placement(word) == word


def test_tone_placement_accepts_nfd_and_returns_nfc():
    assert normalize_tone_placement(_nfd("Thanh Hoá")) == "Thanh Hóa"


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Đại Nam nhất thống chí", "dai nam nhat thong chi"),
        ("ĐỊA CHÍ QUẢNG TRỊ", "dia chi quang tri"),
        ("Thừa Thiên Huế", "thua thien hue"),
        (_nfd("Nguyễn Du với quê hương Tiên Điền"), "nguyen du voi que huong tien dien"),
        ("Hoá / hóa", "hoa / hoa"),
        ("ISBN 978-604", "isbn 978-604"),
    ],
)
def test_fold_removes_case_and_every_diacritic(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("title, title_norm", _truth_titles())
def test_normalize_title_matches_truth(title, title_norm):
    assert normalize_title(title) == title_norm


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Cồn Cỏ – Đảo anh hùng", "cồn cỏ đảo anh hùng"),
        ("Lịch sử Đảng bộ (1959 - 2015)", "lịch sử đảng bộ 1959 2015"),
        ("“Địa chí”: Thanh Hoá…", "địa chí thanh hóa"),
        (_nfd("ĐỊA CHÍ NGHỆ AN"), "địa chí nghệ an"),
    ],
)
def test_normalize_title_handles_dashes_quotes_and_nfd(title, expected):
    assert normalize_title(title) == expected


@pytest.mark.parametrize(
    "ordered",
    [
        ["ma", "mà", "mả", "mã", "má", "mạ"],  # ngang, huyền, hỏi, ngã, sắc, nặng
        ["an", "ăn", "ân", "bê"],
        ["dê", "đa", "e", "ê", "gà"],
        ["o", "ô", "ơ", "u", "ư", "y"],
        ["ma", "ma quỷ", "mà", "mai"],  # syllable by syllable, as dictionaries sort
        ["Tập 1", "Tập 2", "Tập 10"],
        ["Địa chí Hà Tĩnh", "Địa chí Nghệ An", "Địa chí Quảng Bình", "Địa chí Quảng Trị"],
    ],
)
def test_collation_follows_vietnamese_dictionary_order(ordered):
    assert sorted(reversed(ordered), key=collation_key) == ordered


def test_collation_ignores_case_and_normalization_form_before_ties():
    assert collation_key("Đà Nẵng")[0] == collation_key(_nfd("đà nẵng"))[0]
    assert sorted(["b", "B", "a"], key=collation_key)[0] == "a"


def test_there_are_134_letters_ascii_cannot_write():
    assert len(VIETNAMESE_LETTERS) == 134
    assert all(unicodedata.is_normalized("NFC", letter) for letter in VIETNAMESE_LETTERS)


@pytest.mark.parametrize(
    "word",
    [
        "Địa", "chí", "Quảng", "Trị", "Thừa", "Thiên", "Huế", "Nghệ", "Hà", "Tĩnh", "Nguyễn", "Việt",
        "quý", "quỳnh", "quyền", "giữa", "gì", "giêng", "khuya", "xoong", "thuở", "hóa", "hoá", "thủy",
        "thuỷ", "ĐỊA", "NGHỆ", "đảo", "trường", "nghiêng", "ngoặt", "Khắc", "được", "a", "ơi",
    ],
)
def test_real_syllables_are_recognized(word):
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    [
        "§¹i", "Hµ", "Néi", "ChÝnh", "Vieät", "ñoàng", "Põerez", "Pérez", "hà̀", "cac",
        "bát̃", "Tṛ", "\u0301an", "Hänssler", "xyz", "ngh", "quo", "",
    ],
)
def test_mojibake_and_foreign_words_are_not_syllables(word):
    assert not is_vietnamese_syllable(word)
