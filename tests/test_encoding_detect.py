"""Per-record encoding decisions over the Vietnamese samples, real catalog files and edge cases."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from catalog.encoding_detect import ENCODINGS, EncodingUndecided, decide_encoding

SHARED_MARC = Path(__file__).resolve().parents[1].parent / "shared" / "marc"
VI = SHARED_MARC / "vi"
GOOD = SHARED_MARC / "real" / "good"
NO_SHARED = f"shared MARC samples not found at {SHARED_MARC}"
VI_FILES = {"vi_utf8.mrc": "utf-8", "vi_tcvn3.mrc": "tcvn3", "vi_vni.mrc": "vni"}
MANIFEST_ENCODINGS = {
    "utf8": "utf-8",
    "utf8 bytes, leader/09 blank": "utf-8",
    "marc8": "marc-8",
    "marc8 (ASCII only)": "marc-8",
}
TITLE_CODES = "abnp"
ISBD_TRAILING = " /:;=,."
TONES = "\u0300\u0301\u0303\u0309\u0323"


def record_fields(chunk: bytes) -> tuple[list[tuple[str, str, bytes]], str]:
    """Read (tag, code, value) of every field of one ISO 2709 record, fields split on 0x1E in order."""
    directory_end = chunk.find(b"\x1e", 24)
    directory = chunk[24:directory_end]
    tags = [directory[i : i + 3].decode("latin-1") for i in range(0, len(directory) - 11, 12)]
    fields = []
    for tag, data in zip(tags, chunk[directory_end + 1 :].split(b"\x1e")):
        if tag < "010":
            fields.append((tag, "", data))
        else:
            fields += [(tag, part[:1].decode("latin-1"), part[1:]) for part in data.split(b"\x1f")[1:] if part]
    return fields, chunk[9:10].decode("latin-1")


def iso2709_records(data: bytes) -> list[tuple[list[tuple[str, str, bytes]], str]]:
    return [record_fields(chunk.lstrip(b"\r\n")) for chunk in data.split(b"\x1d") if len(chunk.strip()) >= 24]


def language(fields: list[tuple[str, str, bytes]]) -> str | None:
    return next((value[35:38].decode("latin-1") for tag, _c, value in fields if tag == "008"), None)


def decide(fields, leader09, forced=None):
    # pymarc's MARC-8 translator prints about bytes it cannot map; keep test output clean.
    with contextlib.redirect_stderr(io.StringIO()):
        return decide_encoding([value for _t, _c, value in fields], leader09, language(fields), forced)


def title(fields, decode) -> str:
    parts = [decode(v).rstrip(ISBD_TRAILING) for tag, code, v in fields if tag == "245" and code in TITLE_CODES]
    return " ".join(parts)


def _read(path: Path) -> list:
    return iso2709_records(path.read_bytes())


def _truth() -> dict:
    return json.loads((VI / "truth.json").read_text(encoding="utf-8"))


def _vi_records() -> list:
    if not VI.exists():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=NO_SHARED))]
    truth = {(r["file"], r["position"]): r for r in _truth()["records"]}
    return [
        pytest.param(name, position, truth[name, position], id=f"{name}#{position}")
        for name in VI_FILES
        for position in range(len(_read(VI / name)))
    ]


@pytest.mark.parametrize("name, position, truth", _vi_records())
def test_vietnamese_samples_are_detected_and_read_as_the_utf8_text(name, position, truth):
    fields, leader09 = _read(VI / name)[position]
    utf8_fields, _ = _read(VI / "vi_utf8.mrc")[position]
    decision = decide(fields, leader09)
    assert decision.encoding == VI_FILES[name]
    assert title(fields, decision.decode) == truth["title"]
    substitutions = truth.get("legacy_substitutions", [])
    for (tag, code, value), (_tag, _code, utf8_value) in zip(fields, utf8_fields):
        expected = utf8_value.decode("utf-8")
        for sub in substitutions:
            if (sub["tag"], sub["code"]) == (tag, code):
                expected = expected.replace(sub["char"], sub["replacement"])
        text = decision.decode(value)
        assert text == expected and unicodedata.is_normalized("NFC", text), (tag, code)


@pytest.mark.skipif(not VI.exists(), reason=NO_SHARED)
@pytest.mark.parametrize("name", ["vi_tcvn3.mrc", "vi_vni.mrc"])
def test_legacy_decisions_show_candidates_with_samples(name):
    fields, leader09 = _read(VI / name)[0]
    decision = decide(fields, leader09)
    assert decision.candidates[0].encoding == decision.encoding
    assert decision.candidates[0].sample == "Đại Nam nhất thống chí."
    assert decision.candidates[0].score - decision.candidates[1].score > 0.3
    assert {c.encoding for c in decision.candidates} <= set(ENCODINGS)


@pytest.mark.skipif(not VI.exists(), reason=NO_SHARED)
def test_stray_tcvn3_byte_in_utf8_is_repaired():
    truth = next(r for r in _truth()["records"] if r["file"] == "vi_broken.mrc" and r["position"] == 6)
    data = (VI / "vi_broken.mrc").read_bytes()
    fields, leader09 = record_fields(data[truth["byte_offset"] : truth["byte_offset"] + truth["byte_length"]])
    decision = decide(fields, leader09)
    assert decision.encoding == "utf-8+tcvn3"
    assert "Huế" in decision.note and "TCVN3" in decision.note
    assert title(fields, decision.decode) == truth["title"]


@pytest.mark.skipif(not VI.exists(), reason=NO_SHARED)
def test_stray_byte_that_makes_no_syllable_is_not_repaired():
    fields, _ = _read(VI / "vi_utf8.mrc")[17]
    broken = [(t, c, v.replace("Huế".encode(), b"Hu\xa8")) for t, c, v in fields]  # "Huă" is no syllable
    with pytest.raises(EncodingUndecided) as undecided:
        decide(broken, "a")
    assert undecided.value.candidates


@pytest.mark.skipif(not VI.exists(), reason=NO_SHARED)
def test_utf8_behind_a_blank_leader_is_utf8():
    fields, _ = _read(VI / "vi_utf8.mrc")[5]
    assert decide(fields, " ").encoding == "utf-8"


def _cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: a letter, then a combining tone byte where no precomposed letter exists."""
    return b"".join(_cp1258_char(ch) for ch in unicodedata.normalize("NFC", text))


def _cp1258_char(ch: str) -> bytes:
    try:
        return ch.encode("cp1258")
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(mark for mark in decomposed if mark in TONES)
        base = unicodedata.normalize("NFC", "".join(mark for mark in decomposed if mark not in TONES))
        return (base + tones).encode("cp1258", "replace")


@pytest.mark.skipif(not VI.exists(), reason=NO_SHARED)
@pytest.mark.parametrize("position", [0, 5, 17, 33, 46])
def test_windows_1258_records_are_detected(position):
    fields, _ = _read(VI / "vi_utf8.mrc")[position]
    legacy = [(t, c, _cp1258(v.decode())) for t, c, v in fields]
    decision = decide(legacy, " ")
    assert decision.encoding == "cp1258"
    assert title(legacy, decision.decode) == title(fields, lambda v: v.decode())


@pytest.mark.parametrize(
    "leader09, encoding", [("a", "utf-8"), (" ", "marc-8")]
)
def test_pure_ascii_follows_the_leader(leader09, encoding):
    decision = decide_encoding([b"ocm123", b"Local history /", b"Hanoi"], leader09, "eng")
    assert decision.encoding == encoding
    assert [decision.decode(v) for v in (b"Local history /", b"")] == ["Local history /", ""]


def test_utf8_under_leader_a_is_decided_without_scoring():
    decision = decide_encoding(["Địa chí".encode(), _nfd_bytes("Nghệ An")], "a")
    assert decision.encoding == "utf-8" and len(decision.candidates) == 1
    assert decision.decode(_nfd_bytes("Nghệ An")) == "Nghệ An"  # NFC out


def _nfd_bytes(text: str) -> bytes:
    return unicodedata.normalize("NFD", text).encode()


@pytest.mark.parametrize(
    "values, language, encoding",
    [
        ([b"P\xe2erez, Juan.", b"Espa\xe4na :", b"Cin\xe2ema"], "spa", "marc-8"),  # diacritic before letter
        ([b"Sefer", b"\x1b(2`ilr\x1b(B"], "heb", "marc-8"),  # escape to Hebrew
        (["Pérez, Juan.".encode(), "España".encode()], "spa", "utf-8"),
        (["Иванов".encode(), "Москва".encode()], None, "utf-8"),
    ],
)
def test_universal_encodings_are_recognized(values, language, encoding):
    with contextlib.redirect_stderr(io.StringIO()):
        assert decide_encoding(values, " ", language).encoding == encoding


@pytest.mark.parametrize(
    "values, language",
    [
        ([b"Hu\xd5"], "vie"),  # one word is too little to tell TCVN3 from VNI or cp1258
        ([b"This is a bad byte: '\xc0' and another: '\x80'"], None),
        ([b"\xa1ActivePerl with ASP and ADO /"], "eng"),
    ],
)
def test_too_little_evidence_is_undecided(values, language):
    with pytest.raises(EncodingUndecided) as undecided:
        decide_encoding(values, " ", language)
    message = str(undecided.value)
    assert "bảng mã" in message and "--encoding" in message
    assert all(c.encoding in message and c.sample in message for c in undecided.value.candidates)


def test_forced_encoding_is_used_as_is():
    decision = decide_encoding([b"H\xb5 N\xe9i"], " ", "vie", forced="tcvn3")
    assert decision.encoding == "tcvn3" and decision.decode(b"H\xb5 N\xe9i") == "Hà Nội"


@pytest.mark.parametrize("forced, values", [("utf-8", [b"ok", b"H\xb5 N\xe9i"]), ("marc-8", [b"bad \xc9"])])
def test_forced_encoding_rejects_invalid_bytes(forced, values):
    with pytest.raises(EncodingUndecided, match=f"không hợp lệ theo bảng mã {forced}"):
        decide_encoding(values, "a", forced=forced)


def test_unknown_forced_encoding_is_refused():
    with pytest.raises(EncodingUndecided, match="không được hỗ trợ"):
        decide_encoding([b"x"], " ", forced="koi8-r")


def _good_files() -> list:
    if not GOOD.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_SHARED))]
    with (SHARED_MARC / "real" / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        rows = [row for row in csv.DictReader(manifest, delimiter="\t") if row["file"].startswith("good/")]
    return [
        pytest.param(row["file"], MANIFEST_ENCODINGS[row["encoding"]], id=Path(row["file"]).name)
        for row in rows
        if row["format"] == "iso2709" and row["encoding"] in MANIFEST_ENCODINGS
    ]


def detect_file(path: Path) -> Counter:
    outcomes = Counter()
    for fields, leader09 in _read(path):
        try:
            outcomes[decide(fields, leader09).encoding] += 1
        except EncodingUndecided:
            outcomes["undecided"] += 1
    return outcomes


@pytest.mark.parametrize("name, expected", _good_files())
def test_real_files_never_get_a_wrong_confident_decision(name, expected):
    outcomes = detect_file(SHARED_MARC / "real" / name)
    assert set(outcomes) <= {expected, "undecided"}, outcomes


@pytest.mark.skipif(not GOOD.exists(), reason=NO_SHARED)
def test_most_real_records_are_decided():
    totals = Counter()
    for param in _good_files():
        name, expected = param.values
        outcomes = detect_file(SHARED_MARC / "real" / name)
        totals["right"] += outcomes[expected]
        totals["undecided"] += outcomes["undecided"]
    assert totals["right"] >= 0.9 * (totals["right"] + totals["undecided"]), totals
