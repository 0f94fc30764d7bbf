"""Decoders and encoders for legacy Vietnamese byte encodings, registered as codecs "tcvn3" and "vni"."""
from __future__ import annotations

import codecs
import re
import unicodedata

from catalog import legacy_tables as tables
from catalog.vietnamese import nfc


def _compose(base: str, mark: str) -> str:
    return unicodedata.normalize("NFC", base + mark)


def _tcvn3_decoding_table() -> str:
    table = [chr(byte) for byte in range(256)]
    for base, row in tables.TCVN3_VOWELS.items():
        for mark, byte in zip(tables.TONE_ORDER, row):
            table[byte] = _compose(base, mark)
    for byte, text in tables.TCVN3_OTHERS.items():
        table[byte] = text
    return "".join(table)


def _vni_letters() -> dict[str, bytes]:
    letters = {}
    for base, row in tables.VNI_VOWELS.items():
        for mark, seen in zip(tables.TONE_ORDER, row):
            letter = _compose(base, mark)
            letters[letter] = seen.encode("latin-1")
            letters[letter.upper()] = seen.upper().encode("latin-1")
    for letter, seen in tables.VNI_OTHERS.items():
        letters[letter] = seen.encode("latin-1")
        letters[letter.upper()] = seen.upper().encode("latin-1")
    return letters


def _cp1252(byte: int) -> str:
    # Windows-1252 leaves five bytes undefined; keep them as the C1 controls they look like.
    return bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)


def _vni_decoding_map() -> dict[int, str]:
    mapping = {byte: chr(byte) for byte in range(0x80)}
    mapping.update({byte: _cp1252(byte) for byte in range(0x80, 0x100)})
    for letter, seen in _vni_letters().items():
        if len(seen) == 1 and seen[0] >= 0x80:
            mapping[seen[0]] = letter
    # A mark byte becomes combining marks that NFC joins to the letter before it ("aù" → "á").
    for byte, marks in tables.VNI_MARKS.items():
        mapping[byte] = mapping[byte - 0x20] = marks
    return mapping


TCVN3_DECODING = _tcvn3_decoding_table()
TCVN3_ENCODING = {ord(text): byte for byte, text in enumerate(TCVN3_DECODING)}
VNI_DECODING = _vni_decoding_map()
VNI_ENCODING = {
    **{byte: bytes([byte]) for byte in range(0x80)},
    **{ord(_cp1252(byte)): bytes([byte]) for byte in range(0x80, 0xC0)},
    **{ord(letter): seen for letter, seen in _vni_letters().items()},
}


def tcvn3_decode(data: bytes, errors: str = "strict") -> str:
    """Decode TCVN3 (VN1) bytes to NFC text."""
    return nfc(codecs.charmap_decode(data, errors, TCVN3_DECODING)[0])


def vni_decode(data: bytes, errors: str = "strict") -> str:
    """Decode VNI-Windows bytes to NFC text."""
    return nfc(codecs.charmap_decode(data, errors, VNI_DECODING)[0])


def cp1258_decode(data: bytes, errors: str = "strict") -> str:
    """Decode Windows-1258 bytes to NFC text (cp1258 writes most tones as combining marks)."""
    return nfc(data.decode("cp1258", errors))


def tcvn3_encode(text: str, errors: str = "strict") -> bytes:
    """Encode text as glibc's TCVN5712-1 does, spelling unlisted letters as base + tone byte."""
    text = nfc(text)
    if not all(ord(ch) in TCVN3_ENCODING for ch in text):
        text = "".join(_tcvn3_spelling(ch) for ch in text)
    return codecs.charmap_encode(text, errors, TCVN3_ENCODING)[0]


def _tcvn3_spelling(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    for cut in range(len(decomposed), 0, -1):
        spelled = unicodedata.normalize("NFC", decomposed[:cut]) + decomposed[cut:]
        if all(ord(part) in TCVN3_ENCODING for part in spelled):
            return spelled  # ñ → n + combining tilde byte, as glibc writes it
    return ch


def vni_encode(text: str, errors: str = "strict") -> bytes:
    """Encode text as VNI-Windows bytes."""
    return codecs.charmap_encode(nfc(text), errors, VNI_ENCODING)[0]


def utf8_with_tcvn3(data: bytes) -> str:
    """Decode UTF-8 to NFC text, reading any byte that is not valid UTF-8 as TCVN3."""
    return nfc(data.decode("utf-8", _REPAIR))


def tcvn3_repaired_words(data: bytes) -> list[str]:
    """List the words that utf8_with_tcvn3 changes by reading invalid UTF-8 bytes as TCVN3."""
    marked = data.decode("utf-8", _MARK)
    words = (match.group(0) for match in _MARKED_WORD.finditer(marked))
    return [nfc(word.replace(_OPEN, "").replace(_CLOSE, "")) for word in words if _OPEN in word]


def _tcvn3_for_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    return tcvn3_decode(error.object[error.start : error.end]), error.end


def _marked_tcvn3_for_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    return _OPEN + _tcvn3_for_bad_bytes(error)[0] + _CLOSE, error.end


# Private-use characters bracket each repair so the words around it can be found.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKED_WORD = re.compile(r"(?:[\w\u0300-\u036f]|\ue000[^\ue001]*\ue001)+")
_REPAIR, _MARK = "catalog.tcvn3-repair", "catalog.tcvn3-mark"
codecs.register_error(_REPAIR, _tcvn3_for_bad_bytes)
codecs.register_error(_MARK, _marked_tcvn3_for_bad_bytes)


def _codec(name: str, encode, decode) -> codecs.CodecInfo:
    return codecs.CodecInfo(
        name=name,
        encode=lambda text, errors="strict": (encode(text, errors), len(text)),
        decode=lambda data, errors="strict": (decode(data, errors), len(data)),
    )


_CODECS = {
    "tcvn3": _codec("tcvn3", tcvn3_encode, tcvn3_decode),
    "vni": _codec("vni", vni_encode, vni_decode),
}
_ALIASES = {"tcvn": "tcvn3", "tcvn5712_1": "tcvn3", "vni_windows": "vni", "vni_win": "vni"}
_registered = False


def _search(name: str) -> codecs.CodecInfo | None:
    key = name.lower().replace("-", "_").replace(" ", "_")
    return _CODECS.get(_ALIASES.get(key, key))


def register() -> None:
    """Make bytes.decode("tcvn3") and bytes.decode("vni") work; safe to call more than once."""
    global _registered
    if not _registered:
        codecs.register(_search)
        _registered = True


register()
