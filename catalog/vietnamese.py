"""Vietnamese text rules: normalization, tone placement, folding, collation, syllable shape."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Tone marks as combining characters, in dictionary order (ngang has none).
HUYEN, HOI, NGA, SAC, NANG = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
TONE_MARKS = (HUYEN, HOI, NGA, SAC, NANG)
TONE_RANK = {mark: rank for rank, mark in enumerate(TONE_MARKS, start=1)}

VOWELS = "aăâeêioôơuưy"
BASE_LETTERS = VOWELS + "đ"
# The 134 letters ASCII cannot write: 12 vowels x 5 tones, the 7 bare modified letters, both cases.
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", letter)
    for base in BASE_LETTERS
    for mark in ("",) + (TONE_MARKS if base != "đ" else ())
    for letter in (base + mark, base.upper() + mark)
    if not (base + mark).isascii()
)

ONSETS = frozenset(
    "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split()
) | {""}
# Rhymes (vần) without tone; nucleus and coda as written.
RHYMES = frozenset("""
    a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu y yêm yên yêt yêu
    o oc oi om on ong op ot ooc oong ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
    u ua uc ui um un ung up ut uân uâng uât uây uê uêch uênh uơ
    uôc uôi uôm uôn uông uôt uy uych uynh uyp uyt uya uyu uyên uyêt
    ư ưa ưc ưi ưm ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
""".split())
STOP_CODAS = ("c", "ch", "p", "t")

_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+")
# Old-style placement: tone on the last vowel of an open oa/oe/uy rhyme (hoá, khoẻ, thuỷ).
_OLD_STYLE = re.compile(
    r"\b([^\W\d_]*?)([oO][áàảãạÁÀẢÃẠéèẻẽẹÉÈẺẼẸ]|[uU][ýỳỷỹỵÝỲỶỸỴ])\b"
)
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Collation alphabet; f j w z are foreign letters placed where the Latin alphabet has them.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: chr(0x40 + rank) for rank, letter in enumerate(ALPHABET)}


def nfc(s: str) -> str:
    """Return s in Unicode NFC, skipping the work when it already is."""
    return s if unicodedata.is_normalized("NFC", s) else unicodedata.normalize("NFC", s)


def normalize_tone_placement(s: str) -> str:
    """Put tone marks where truth.json's 'new style' does: hoá→hóa, thuỷ→thủy; output NFC."""
    return _OLD_STYLE.sub(_move_tone_to_first_vowel, nfc(s))


def _move_tone_to_first_vowel(match: re.Match) -> str:
    onset, pair = match.group(1), match.group(2)
    if onset.lower() not in ONSETS:
        return match.group(0)  # "quý": q is no onset alone, the u belongs to it and the tone is right
    toned = unicodedata.normalize("NFD", pair[1])
    return onset + unicodedata.normalize("NFC", pair[0] + toned[1:]) + toned[0]


def fold(s: str) -> str:
    """Casefold and strip every diacritic (đ→d) for accent-insensitive matching."""
    s = s.casefold()
    if s.isascii():
        return s
    stripped = _DIACRITICS.sub("", unicodedata.normalize("NFD", s))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def normalize_title(s: str) -> str:
    """Normalize a title as truth.json's title_norm: NFC, new-style tones, casefold, no punctuation."""
    text = normalize_tone_placement(s).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return nfc(_SPACES.sub(" ", text).strip())


def collation_key(s: str) -> tuple:
    """Sort key for Vietnamese alphabetical order."""
    # Syllable by syllable: letters (a ă â b … y) first, then tone: ngang, huyền, hỏi, ngã, sắc, nặng
    # (the order of Hoàng Phê's Từ điển tiếng Việt); case only breaks remaining ties.
    text = nfc(s)
    words = tuple(_syllable_key(word) for word in _TOKEN.findall(text.casefold()))
    return words, text


def _syllable_key(word: str) -> tuple[str, int]:
    if word.isdigit():
        return word.rjust(20, "0"), 0  # numbers in numeric order: Tập 2 before Tập 10
    base, tones = _split_tone(word)
    primary = "".join(_LETTER_RANK.get(ch, ch) for ch in base)
    return primary, TONE_RANK.get(tones[0], 0) if tones else 0


def _split_tone(word: str) -> tuple[str, list[str]]:
    """Split a word into its NFC letters without tone and the tone marks it carried."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_RANK]
    base = "".join(ch for ch in decomposed if ch not in TONE_RANK)
    return unicodedata.normalize("NFC", base), tones


def is_vietnamese_syllable(word: str) -> bool:
    """Tell whether a word (any case) is one well-formed Vietnamese syllable."""
    return _is_syllable(word.lower())


@lru_cache(maxsize=65536)
def _is_syllable(word: str) -> bool:
    if not _tones_sit_on_vowels(word):
        return False
    base, tones = _split_tone(word)
    if len(tones) > 1 or not all(ch in BASE_LETTERS or ch.isascii() and ch.isalpha() for ch in base):
        return False
    tone = tones[0] if tones else ""
    return any(_valid_split(base[:cut], base[cut:], tone) for cut in range(min(len(base), 3) + 1))


def _tones_sit_on_vowels(word: str) -> bool:
    previous = ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in TONE_RANK and (not previous or previous not in "aeiouy"):
            return False
        if not unicodedata.combining(ch):
            previous = ch
        elif ch not in TONE_RANK and ch not in "\u0302\u0306\u031b":
            return False  # a diacritic Vietnamese does not use (diaeresis, caron, ...)
    return True


def _valid_split(onset: str, rhyme: str, tone: str) -> bool:
    if onset not in ONSETS or not rhyme:
        return False
    if onset == "qu":
        ok = rhyme[0] not in "uo" and (rhyme in RHYMES or "u" + rhyme in RHYMES)
    else:
        ok = rhyme in RHYMES
    if ok and rhyme.endswith(STOP_CODAS):
        return tone in (SAC, NANG)  # stop-final syllables take only sắc or nặng
    return ok
