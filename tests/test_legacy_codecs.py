"""TCVN3, VNI-Windows and cp1258: known words, all 134 letters, glibc's table, the sample files."""
from __future__ import annotations

import codecs
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pymarc import MARCReader

from catalog import legacy_codecs
from catalog.legacy_codecs import (
    cp1258_decode,
    tcvn3_decode,
    tcvn3_encode,
    tcvn3_repaired_words,
    utf8_with_tcvn3,
    vni_decode,
    vni_encode,
)
from catalog.vietnamese import VIETNAMESE_LETTERS

SHARED_MARC = Path(__file__).resolve().parents[1].parent / "shared" / "marc"
VI = SHARED_MARC / "vi"
NO_SHARED = f"shared MARC samples not found at {SHARED_MARC}"
LETTERS = sorted(VIETNAMESE_LETTERS)

KNOWN_WORDS = [
    ("Địa chí Quảng Trị", b"\xa7\xdea ch\xdd Qu\xb6ng Tr\xde", b"\xd1\xf2a ch\xed Qua\xfbng Tr\xf2"),
    ("Thừa Thiên Huế", b"Th\xf5a Thi\xaan Hu\xd5", b"Th\xf6\xf8a Thie\xe2n Hue\xe1"),
    ("Cồn Cỏ", b"C\xe5n C\xe1", b"Co\xe0n Co\xfb"),
    ("Nghệ An", b"Ngh\xd6 An", b"Nghe\xe4 An"),
    ("Hà Tĩnh", b"H\xb5 T\xdcnh", b"Ha\xf8 T\xf3nh"),
    ("ĐỊA CHÍ QUẢNG TRỊ", b"\xa7\x91A CH\x90 QU\x81NG TR\x91", b"\xd1\xd2A CH\xcd QUA\xdbNG TR\xd2"),
    ("Ủy ban Thủy Hóa", b"\x9ey ban Th\xf1y H\xe3a", b"U\xdby ban Thu\xfby Ho\xf9a"),
]


@pytest.mark.parametrize("text, tcvn3, vni", KNOWN_WORDS)
def test_known_words_encode_and_decode(text, tcvn3, vni):
    assert tcvn3_encode(text) == tcvn3
    assert tcvn3_decode(tcvn3) == text
    assert vni_encode(text) == vni
    assert vni_decode(vni) == text


@pytest.mark.parametrize("letter", LETTERS)
@pytest.mark.parametrize(
    "encode, decode", [(tcvn3_encode, tcvn3_decode), (vni_encode, vni_decode)], ids=["tcvn3", "vni"]
)
def test_every_vietnamese_letter_round_trips(letter, encode, decode):
    assert decode(encode(letter)) == letter


def test_upper_case_toned_letters_live_in_control_bytes():
    assert tcvn3_decode(bytes([0x01, 0x02, 0x04, 0x11, 0x16, 0x17])) == "ÚỤỪỨÝỴ"
    assert tcvn3_decode(b"\x03\x1d\x1e\x1f") == "\x03\x1d\x1e\x1f"  # MARC's delimiters stay controls


@pytest.mark.parametrize("data, text", [(b"a\xb0", "à"), (b"\xa9\xb3", "ấ"), (b"n\xb2", "ñ"), (b"\xb4", "\u0323")])
def test_tcvn3_tone_bytes_are_combining_marks(data, text):
    assert tcvn3_decode(data) == text


def test_tcvn3_spells_unlisted_letters_as_base_and_tone_byte():
    assert tcvn3_encode("ñ") == b"n\xb2"


@pytest.mark.parametrize("data, text", [(b"\x96", "–"), (b"\x93ch\xf1\x94", "“chđ”"), (b"\x85", "…")])
def test_vni_keeps_windows_1252_symbols(data, text):
    assert vni_decode(data) == text


def test_vni_accepts_mixed_case_base_and_mark():
    assert vni_decode(b"A\xf9") == "Á"
    assert vni_decode(b"o\xd9") == "ó"


def test_cp1258_decodes_combining_tones_to_nfc():
    assert cp1258_decode(b"Vi\xea\xf2t Nam") == "Việt Nam"
    assert cp1258_decode(b"\xd0\xf4\xec") == "Đố"


@pytest.mark.parametrize("name", ["tcvn3", "TCVN3", "tcvn5712-1", "vni", "VNI-Windows"])
def test_codecs_are_registered(name):
    text = "Địa chí Quảng Trị"
    assert text.encode(name).decode(name) == text


def test_register_is_idempotent():
    legacy_codecs.register()
    legacy_codecs.register()
    assert codecs.lookup("tcvn3").name == "tcvn3"
    assert b"H\xb5".decode("tcvn3") == "Hà"


def test_unmappable_characters_follow_the_error_handler():
    with pytest.raises(UnicodeEncodeError):
        tcvn3_encode("“Huế”")
    assert "“Huế”".encode("tcvn3", "replace") == b"?Hu\xd5?"
    assert vni_encode("烏", "replace") == b"?"


def test_stray_tcvn3_bytes_in_utf8_are_repaired_and_reported():
    data = "Địa chí Thừa Thiên Hu".encode() + b"\xd5."
    assert utf8_with_tcvn3(data) == "Địa chí Thừa Thiên Huế."
    assert tcvn3_repaired_words(data) == ["Huế"]
    assert tcvn3_repaired_words("Huế".encode()) == []


def _glibc_has_tcvn() -> bool:
    if not shutil.which("iconv"):
        return False
    probe = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=b"a", capture_output=True)
    return probe.returncode == 0


def _iconv(data: bytes, source: str, target: str) -> bytes | None:
    done = subprocess.run(["iconv", "-f", source, "-t", target], input=data, capture_output=True)
    return done.stdout if done.returncode == 0 else None


@pytest.mark.skipif(not _glibc_has_tcvn(), reason="iconv on this machine has no TCVN5712-1")
def test_tcvn3_table_agrees_with_glibc():
    text = "".join(LETTERS) + " Địa chí Quảng Trị ĐỊA CHÍ đĐ ñ"
    assert tcvn3_encode(text) == _iconv(text.encode(), "UTF-8", "TCVN5712-1")
    for byte in range(256):
        decoded = _iconv(bytes([byte]), "TCVN5712-1", "UTF-8")
        if decoded is not None:
            assert tcvn3_decode(bytes([byte])) == decoded.decode(), hex(byte)


def _truth() -> dict:
    return json.loads((VI / "truth.json").read_text(encoding="utf-8"))


def _raw_fields(path: Path) -> list[list[tuple[str, str, bytes]]]:
    with path.open("rb") as stream:
        return [
            [(f.tag, "", f.data) if f.is_control_field() else (f.tag, s.code, s.value)
             for f in record.fields for s in (f.subfields or [None])]
            for record in MARCReader(stream, to_unicode=False)
        ]


def _expected(value: bytes, tag: str, code: str, substitutions: list[dict]) -> str:
    text = value.decode("utf-8")
    for sub in substitutions:
        if (sub["tag"], sub["code"]) == (tag, code):
            text = text.replace(sub["char"], sub["replacement"])
    return text


def _legacy_files() -> list:
    if not VI.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_SHARED))]
    return [
        pytest.param("vi_tcvn3.mrc", tcvn3_decode, id="tcvn3"),
        pytest.param("vi_vni.mrc", vni_decode, id="vni"),
    ]


@pytest.mark.parametrize("name, decode", _legacy_files())
def test_sample_files_decode_to_the_utf8_text(name, decode):
    utf8 = _raw_fields(VI / "vi_utf8.mrc")
    legacy = _raw_fields(VI / name)
    truth = {r["position"]: r for r in _truth()["records"] if r["file"] == name}
    assert len(legacy) == len(utf8) == len(truth) == 47
    for position, (expected_fields, fields) in enumerate(zip(utf8, legacy)):
        substitutions = truth[position]["legacy_substitutions"]
        assert [tag for tag, _code, _value in fields] == [tag for tag, _code, _value in expected_fields]
        for (tag, code, want), (_tag, _code, got) in zip(expected_fields, fields):
            assert decode(got) == _expected(want, tag, code, substitutions), (name, position, tag, code)
