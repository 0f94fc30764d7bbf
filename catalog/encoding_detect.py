"""Decide, per MARC record, which character encoding its bytes are in."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pymarc.marc8 import marc8_to_unicode

from catalog.legacy_codecs import (
    cp1258_decode, tcvn3_decode, tcvn3_repaired_words, utf8_with_tcvn3, vni_decode,
)
from catalog.vietnamese import VIETNAMESE_LETTERS, is_vietnamese_syllable, nfc

ENCODINGS = ("utf-8", "marc-8", "tcvn3", "vni", "cp1258")
LEGACY_VIETNAMESE = ("tcvn3", "vni", "cp1258")
REPAIRED_UTF8 = "utf-8+tcvn3"
VIE, UNKNOWN, OTHER = "vie", "unknown", "other"  # what 008/35-37 says the text is written in
UNDETERMINED_LANGUAGES = frozenset({"und", "mul", "zxx"})
MIN_SCORE = 0.5  # below this even the best reading is mojibake
MARGIN = 0.15  # the best reading must beat every reading with a different text by this much
# Credit for a clean Latin word that is no Vietnamese syllable, by language mode.
FOREIGN_WORD = {VIE: 0.3, UNKNOWN: 0.7, OTHER: 1.0}
LOOSE_MARKS_WORD = {VIE: 0.0, UNKNOWN: 0.5, OTHER: 1.0}  # NFC composes all Vietnamese letters
ODD_CHAR_PENALTY = 0.3
SUSPECT_PENALTY = 2.0
LEGACY_IN_OTHER_LANGUAGE = 0.2  # a record in English is rarely typed in a Vietnamese code page
# A Vietnamese code page needs Vietnamese words to show: fewer than this many is no evidence.
MIN_LEGACY_SYLLABLES = 3
SAMPLE_CHARS = 60

_CONTROL_BYTES = re.compile(rb"[\x00-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\ufe20-\ufe2f])+")
# Controls, U+FFFD, private use; U+0088/89/98/9C are the non-filing markers and stay allowed.
_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x87\x8a-\x97\x99-\x9b\x9d-\x9f\ufffd\ue000-\uf8ff]")
# Bytes MARC-8's default sets (ASCII + ANSEL) leave undefined, or a diacritic ending a value.
_MARC8_INVALID = re.compile(
    rb"[\x00-\x1a\x1c-\x1f\x80-\x87\x8a-\x8c\x8f-\xa0\xaf\xbb\xbe\xbf\xc9-\xdf\xfc\xfd\xff]|[\xe0-\xfe]$"
)
_HIGH_BYTES = re.compile(rb"[\x00-\x1f\x80-\xff]")
_MARC8_DIACRITIC = re.compile(rb"[\xe0-\xfe]")
_MARC8_DIACRITIC_ON_LETTER = re.compile(rb"[\xe0-\xfe](?=[\xe0-\xfe]*[A-Za-z])")
_COMMON_SIGNS = frozenset("©®°±×·€£♭♯℗№\u00a0")
_ODD_LETTERS = frozenset("µªº")
# Letters only Vietnamese uses (ố, ạ, ư...): inside a non-Vietnamese word they betray a wrong code page.
_VIETNAMESE_ONLY = VIETNAMESE_LETTERS - {chr(code) for code in range(256)}


@dataclass(frozen=True)
class Candidate:
    encoding: str
    score: float  # plausibility, about 0–1; strong byte evidence (valid UTF-8, MARC-8 escapes) adds more
    sample: str  # a short decoded excerpt for the librarian


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str  # one of ENCODINGS, or "utf-8+tcvn3" when stray TCVN3 bytes in UTF-8 were repaired
    decode: Callable[[bytes], str]  # one subfield value or control field to NFC text
    candidates: tuple[Candidate, ...]
    note: str | None = None


class EncodingUndecided(ValueError):
    """The record's bytes read plausibly in no encoding, or in several with different texts."""

    def __init__(self, reason: str, candidates: Sequence[Candidate] = ()):
        self.candidates = tuple(candidates)
        listed = "; ".join(f"{c.encoding} ({c.score:.2f}): “{c.sample}”" for c in self.candidates)
        listed = f" Các khả năng: {listed}." if listed else ""
        super().__init__(f"{reason}{listed} Hãy chỉ định bảng mã bằng tùy chọn --encoding.")


def _ascii(value: bytes) -> str:
    return value.decode("ascii")  # MARC-8 and UTF-8 read ASCII alike


def _utf8(value: bytes) -> str:
    return nfc(value.decode("utf-8"))


def _marc8(value: bytes) -> str:
    if value.isascii() and not _CONTROL_BYTES.search(value):
        return value.decode("ascii")  # MARC-8's default G0 is ASCII; skip the slow translator
    return marc8_to_unicode(value, hide_utf8_warnings=True)


DECODERS: dict[str, Callable[[bytes], str]] = {
    "utf-8": _utf8, "marc-8": _marc8, "tcvn3": tcvn3_decode, "vni": vni_decode, "cp1258": cp1258_decode,
}


def decide_encoding(
    values: Sequence[bytes], leader09: str, language: str | None = None, forced: str | None = None
) -> EncodingDecision:
    """Choose the encoding that reads the record's values as plausible text, or raise EncodingUndecided."""
    if forced is not None:
        return _forced(values, forced)
    joined = b" ".join(values)
    if not _CONTROL_BYTES.search(joined):
        if joined.isascii():
            return _confident("utf-8" if leader09 == "a" else "marc-8", _ascii, values)
        if leader09 == "a" and _is_utf8(joined):
            return _confident("utf-8", _utf8, values)
    return _scored_decision(values, leader09, language_mode(language))


def language_mode(language: str | None) -> str:
    """Say whether 008/35-37 promises Vietnamese, another language, or nothing useful."""
    code = (language or "").strip().lower()
    if code == "vie":
        return VIE
    if len(code) != 3 or not code.isalpha() or code in UNDETERMINED_LANGUAGES:
        return UNKNOWN
    return OTHER


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _confident(encoding: str, decode: Callable[[bytes], str], values: Sequence[bytes]) -> EncodingDecision:
    return EncodingDecision(encoding, decode, (Candidate(encoding, 1.0, _sample(values, decode)),))


def _probe_index(values: Sequence[bytes]) -> int:
    """The value that best shows how an encoding reads the record: the first one not plain ASCII."""
    for index, value in enumerate(values):
        if not value.isascii() or _CONTROL_BYTES.search(value):
            return index
    return max(range(len(values)), key=lambda index: len(values[index]), default=0)


def _sample(values: Sequence[bytes], decode: Callable[[bytes], str]) -> str:
    return decode(values[_probe_index(values)])[:SAMPLE_CHARS] if values else ""


def _forced(values: Sequence[bytes], forced: str) -> EncodingDecision:
    if forced not in DECODERS:
        raise EncodingUndecided(f"Bảng mã “{forced}” không được hỗ trợ; chọn một trong: {', '.join(ENCODINGS)}.")
    decode = DECODERS[forced]
    for value in values:
        problem = _invalid_in(forced, value, decode)
        if problem:
            shown = value.decode("latin-1")[:SAMPLE_CHARS]
            raise EncodingUndecided(f"Dữ liệu không hợp lệ theo bảng mã {forced}: {problem} trong “{shown}”.")
    return _confident(forced, decode, values)


def _invalid_in(encoding: str, value: bytes, decode: Callable[[bytes], str]) -> str | None:
    bad = _MARC8_INVALID.search(value) if encoding == "marc-8" and b"\x1b" not in value else None
    if bad:
        return f"byte 0x{value[bad.start()]:02X} ở vị trí {bad.start()}"
    try:
        decode(value)
    except UnicodeDecodeError as error:
        return f"byte 0x{value[error.start]:02X} ở vị trí {error.start}" if error.start < len(value) else "mã lỗi"
    return None


@dataclass(frozen=True)
class _Reading:
    encoding: str
    decode: Callable[[bytes], str]
    texts: tuple[str, ...]
    score: float
    note: str | None = None


def _scored_decision(values: Sequence[bytes], leader09: str, mode: str) -> EncodingDecision:
    readings = [reading for enc in ENCODINGS if (reading := _read(enc, values, leader09, mode))]
    if not any(reading.encoding == "utf-8" for reading in readings):
        readings += [reading for reading in (_read_repaired(values, leader09, mode),) if reading]
    readings.sort(key=lambda reading: -reading.score)
    probe = _probe_index(values)
    candidates = tuple(Candidate(r.encoding, round(r.score, 3), r.texts[probe][:SAMPLE_CHARS]) for r in readings)
    best = readings[0]
    rivals = [reading for reading in readings[1:] if reading.texts != best.texts]
    if best.score < MIN_SCORE:
        raise EncodingUndecided("Không bảng mã nào đọc biểu ghi thành văn bản hợp lý.", candidates)
    if rivals and best.score - rivals[0].score < MARGIN:
        raise EncodingUndecided("Không xác định chắc chắn được bảng mã của biểu ghi.", candidates)
    if best.encoding in LEGACY_VIETNAMESE and _syllable_count(best.texts) < MIN_LEGACY_SYLLABLES:
        raise EncodingUndecided("Biểu ghi có quá ít chữ tiếng Việt để xác định bảng mã cũ.", candidates)
    return EncodingDecision(best.encoding, best.decode, candidates, best.note)


def _syllable_count(texts: Sequence[str]) -> int:
    return sum(1 for text in texts for word in _non_ascii_words(text) if is_vietnamese_syllable(word))


def _non_ascii_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if not word.isascii()]


def _read(encoding: str, values: Sequence[bytes], leader09: str, mode: str) -> _Reading | None:
    invalid = _marc8_invalid(values) if encoding == "marc-8" else 0
    if invalid and 2 * invalid >= sum(len(_HIGH_BYTES.findall(value)) for value in values):
        return None  # mostly undefined in MARC-8: hopeless, and its translator is slow
    decode = DECODERS[encoding]
    try:
        texts = tuple(decode(value) for value in values)
    except UnicodeDecodeError:
        return None
    text = " ".join(texts)
    if encoding in LEGACY_VIETNAMESE and mode == OTHER:
        score = plausibility(text, UNKNOWN) - LEGACY_IN_OTHER_LANGUAGE
    else:
        score = plausibility(text, mode, invalid)
    note = f"{invalid} byte không đọc được theo MARC-8 đã bị bỏ hoặc thay bằng khoảng trắng." if invalid else None
    return _Reading(encoding, decode, texts, score + _evidence(encoding, values, text, leader09), note)


def _marc8_invalid(values: Sequence[bytes]) -> int:
    # After an escape sequence other character sets apply; the translator judges those bytes.
    return sum(len(_MARC8_INVALID.findall(value)) for value in values if b"\x1b" not in value)


def _evidence(encoding: str, values: Sequence[bytes], text: str, leader09: str) -> float:
    """Score byte-level signs of an encoding that text statistics cannot show."""
    if encoding == "utf-8":
        # Legacy bytes rarely form valid multibyte UTF-8 by chance, and less so the more there are.
        return min(0.75, 0.25 * len(_NON_ASCII.findall(text))) + (0.1 if leader09 == "a" else 0.0)
    if encoding != "marc-8":
        return 0.0
    if any(b"\x1b" in value for value in values):
        return 0.5
    # MARC-8 writes a diacritic before the letter it sits on.
    diacritics = sum(len(_MARC8_DIACRITIC.findall(value)) for value in values)
    on_letters = sum(len(_MARC8_DIACRITIC_ON_LETTER.findall(value)) for value in values)
    return 0.4 * on_letters / diacritics if diacritics else 0.0


def _read_repaired(values: Sequence[bytes], leader09: str, mode: str) -> _Reading | None:
    """Read UTF-8 with stray TCVN3 bytes, if every word the repair touches becomes a Vietnamese syllable."""
    rough = b" ".join(values).decode("utf-8", "replace")
    repairs = rough.count("\ufffd")
    if len(_NON_ASCII.findall(rough)) - repairs <= repairs:
        return None  # only a record that is mostly good UTF-8 gets repaired
    words = [word for value in values for word in tcvn3_repaired_words(value)]
    if not words or not all(is_vietnamese_syllable(word) for word in words):
        return None
    texts = tuple(utf8_with_tcvn3(value) for value in values)
    text = " ".join(texts)
    score = plausibility(text, mode) + _evidence("utf-8", values, text, leader09)
    shown = ", ".join(f"“{word}”" for word in dict.fromkeys(words))
    note = f"Đã sửa {repairs} chỗ sai UTF-8 bằng cách đọc các byte đó theo bảng mã TCVN3: {shown}."
    return _Reading(REPAIRED_UTF8, utf8_with_tcvn3, texts, score, note)


def plausibility(text: str, mode: str, invalid: int = 0) -> float:
    """Score how much decoded text looks like real text in the language mode, about 0–1."""
    non_ascii = _NON_ASCII.findall(text)
    suspect = len(_SUSPECT.findall(text)) + invalid
    odd = sum(count for ch, count in Counter(non_ascii).items() if _is_odd(ch, mode))
    words = _non_ascii_words(text)
    word_score = sum(_word_weight(word, mode) for word in words) / len(words) if words else 1.0
    weight = max(1, len(non_ascii) + suspect)
    return word_score - (ODD_CHAR_PENALTY * odd + SUSPECT_PENALTY * suspect) / weight


def _is_odd(ch: str, mode: str) -> bool:
    category = unicodedata.category(ch)
    if ch in _COMMON_SIGNS or category[0] in "PZ":
        return False
    if ch in _ODD_LETTERS or category[0] == "S" or category in ("Cc", "Cn", "Co", "No"):
        return True
    return mode == VIE and ch not in VIETNAMESE_LETTERS and (_is_latin(ch) or category[0] == "M")


@lru_cache(maxsize=65536)
def _word_weight(word: str, mode: str) -> float:
    if is_vietnamese_syllable(word):
        return 1.0
    if not _is_clean(word):
        return 0.0
    if not all(_is_latin(ch) or unicodedata.combining(ch) for ch in word):
        return 1.0  # a word of another script: legacy Vietnamese code pages cannot produce one
    if any(ch in _VIETNAMESE_ONLY or ch in _ODD_LETTERS for ch in word):
        return 0.0
    if any(map(unicodedata.combining, word)):
        return LOOSE_MARKS_WORD[mode]
    return FOREIGN_WORD[mode]


def _is_clean(word: str) -> bool:
    """Tell whether a word is letters of one script in one case pattern, each diacritic on a letter."""
    if unicodedata.combining(word[0]):
        return False
    if any(a.islower() and b.isupper() for a, b in zip(word, word[1:])):
        return False  # "ChÝnh": real words are lower, Title or UPPER case
    return len({_script(ch) for ch in word if not unicodedata.combining(ch)}) == 1


def _is_latin(ch: str) -> bool:
    code = ord(ch)
    return code < 0x250 or 0x1E00 <= code < 0x1F00


def _script(ch: str) -> str:
    if _is_latin(ch):
        return "LATIN"
    first = unicodedata.name(ch, "?").split(" ")[0]
    return "CJK" if first in _CJK_NAMES else first  # Japanese mixes kanji and kana in one word


_CJK_NAMES = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "HALFWIDTH", "FULLWIDTH"})
