"""The one MARC writer: the bytes pymarc writes, and what the importer stores."""
from __future__ import annotations

import io
import unicodedata

import pymarc
import pytest

from catalog.iso2709 import parse_chunk, split_chunks
from catalog.marc_decode import decode_record
from catalog.marc_writer import RecordTooLong, to_iso2709
from tests.factories import make_record


def test_writes_the_bytes_pymarc_writes():
    record = make_record("W1", isbn="978-604-57-1405-8", copies=(("TVQT", "DC.1"), ("TVCC", "CC.2")))
    assert to_iso2709(record) == record.as_marc()


def test_leader_says_unicode_and_lengths_are_recomputed():
    record = make_record("W1")
    record.leader = pymarc.Leader("99999nam  2200000 a 4500")
    written = to_iso2709(record)
    assert written[:5] == b"%05d" % len(written) and written[9:10] == b"a"
    assert pymarc.Record(written)["001"].data == "W1"


def test_a_record_too_long_for_iso2709_is_refused():
    record = make_record("W1", title="Địa chí " * 2000)
    with pytest.raises(RecordTooLong):
        to_iso2709(record)


@pytest.mark.parametrize("title", ["Địa chí Quảng Trị", "Thanh Hoa\u0301"])  # NFC, and NFD to be normalized
def test_stored_marc_is_the_normalized_record_written_once(title):
    written = make_record("W1", title=title).as_marc()
    (chunk,) = split_chunks(io.BytesIO(written))
    decoded = decode_record(parse_chunk(chunk), original=written)
    assert decoded.marc == to_iso2709(decoded.record)
    assert decoded.record["245"]["a"].startswith(unicodedata.normalize("NFC", title))


def test_shared_iso_files_store_what_the_writer_writes(shared_marc):
    checked = 0
    for path in sorted((shared_marc / "real" / "good").glob("*.mrc")) + [shared_marc / "vi" / "vi_utf8.mrc"]:
        with path.open("rb") as stream:
            for chunk in split_chunks(stream):
                try:
                    decoded = decode_record(parse_chunk(chunk), original=chunk.data + b"\x1d")
                except Exception:  # noqa: BLE001 - undecidable or damaged records are other tests' business
                    continue
                assert decoded.marc == to_iso2709(decoded.record), path.name
                checked += 1
    assert checked > 200
