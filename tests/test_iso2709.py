"""Splitting and structural recovery of ISO 2709 records, on damage written by the tests."""
from __future__ import annotations

import io

import pytest

from catalog.iso2709 import DamagedRecord, parse_chunk, split_chunks
from catalog.marc_reader import detect_format, read_items
from tests.factories import iso2709, make_record


def chunks(data: bytes):
    return list(split_chunks(io.BytesIO(data)))


def test_records_are_cut_at_terminators_with_their_offsets():
    first, second = make_record("A1").as_marc(), make_record("A2").as_marc()
    found = chunks(first + b"\r\n" + second)
    assert [chunk.offset for chunk in found] == [0, len(first) + 2]
    assert [parse_chunk(chunk).fields[0].data for chunk in found] == [b"A1", b"A2"]


def test_length_counted_in_characters_is_read_by_terminators():
    data = bytearray(make_record("A1", title="Địa chí Thừa Thiên Huế").as_marc())
    data[0:5] = b"00300"  # as an exporter that counts characters would write it
    raw = parse_chunk(chunks(bytes(data))[0])
    assert raw.fields[0].data == b"A1"
    assert "độ dài khai báo 300" in raw.repaired


def test_missing_record_terminator_splits_at_the_next_leader():
    first = make_record("A1").as_marc()[:-1]  # the 0x1D is lost
    second = make_record("A2").as_marc()
    found = chunks(first + second)
    assert len(found) == 2
    assert found[1].offset == len(first)
    assert parse_chunk(found[1]).fields[0].data == b"A2"


@pytest.mark.parametrize("stray", [b"\n", b"?", b"\x1f", b"5"])
def test_record_terminator_overwritten_by_another_byte_splits_at_the_declared_length(stray):
    # Found by tests/test_fuzz_marc.py: the record after such a one was read as part of it and lost.
    first = make_record("A1").as_marc()[:-1] + stray
    found = chunks(first + make_record("A2").as_marc() + make_record("A3").as_marc())
    assert [parse_chunk(chunk).fields[0].data for chunk in found] == [b"A1", b"A2", b"A3"]
    assert [chunk.offset for chunk in found[:2]] == [0, len(first)]


def test_directory_offsets_that_lie_are_ignored_when_terminators_agree():
    data = bytearray(make_record("A1").as_marc())
    entry = 24 + 12 * 3  # fourth directory entry's start position
    data[entry + 7 : entry + 12] = b"09999"
    raw = parse_chunk(chunks(bytes(data))[0])
    assert [field.tag for field in raw.fields][:2] == ["001", "003"]
    assert "vị trí trong danh mục sai" in raw.repaired


def test_truncated_record_at_end_of_file_is_damaged_with_its_001():
    whole = make_record("A1").as_marc()
    found = chunks(whole + make_record("A2").as_marc()[:300])
    assert parse_chunk(found[0]).fields[0].data == b"A1"
    with pytest.raises(DamagedRecord) as damage:
        parse_chunk(found[1])
    assert "tệp kết thúc sau 300 trên" in damage.value.reason
    assert damage.value.control_number == "A2"


def test_record_cut_inside_its_directory_is_reported_as_truncated():
    (chunk,) = chunks(make_record("A2").as_marc()[:100])
    with pytest.raises(DamagedRecord, match="cắt cụt"):
        parse_chunk(chunk)


@pytest.mark.parametrize("garbage, reason", [
    (b"0002", "quá ngắn"),
    (b"00050nam a2200037   4500001000\x1eA1\x1e", "không chia hết cho 12"),
    (b"00026     2200025   4500\x1e", "danh mục rỗng"),
])
def test_structural_damage_gets_a_reason(garbage, reason):
    with pytest.raises(DamagedRecord, match=reason):
        parse_chunk(chunks(garbage + b"\x1d")[0])


def test_damaged_record_does_not_stop_the_records_after_it():
    data = iso2709(make_record("A1")) + b"00026     2200025   4500\x1e\x1d" + iso2709(make_record("A3"))
    items = list(read_items(io.BytesIO(data)))
    assert [(item.record["001"].data if item.record else item.control_number, item.problem is None)
            for item in items] == [
        ("A1", True), (None, False), ("A3", True)]


@pytest.mark.parametrize("head, expected", [
    (b"01069nam a2200253 a 4500", "iso2709"),
    (b'\xef\xbb\xbf<?xml version="1.0"?><collection>', "marcxml"),
    (b"  <record>", "marcxml"),
    (b'[{"leader": ', "json"),
    (b'{"leader": ', "json"),
])
def test_format_is_detected_from_content(head, expected):
    assert detect_format(head) == expected
