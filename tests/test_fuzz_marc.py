"""The ISO 2709 reader, fuzzed: real records with the bytes of one of them mutated.

Whatever happens to one record, reading never crashes or hangs, every rejection has a reason a reader
anticipated, and every other record is still read with its 001 and title. FUZZ_EXAMPLES=2000 tries more
(and different) inputs; a failure prints the @reproduce_failure line that replays it.
"""
from __future__ import annotations

import io
import os
from datetime import timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import database
from catalog.importer import import_file
from catalog.iso2709 import FIELD_TERMINATOR, RECORD_TERMINATOR, SUBFIELD_DELIMITER, split_chunks
from catalog.read_item import unexpected_problem
from catalog.record_source import mapped_items
from tests.factories import write
from tests.test_shared_marc import time_limit

SOURCES = ("vi/vi_utf8.mrc", "vi/vi_tcvn3.mrc", "vi/vi_vni.mrc", "real/good/edsu__pymarc__test__test.dat",
           "real/good/evergreen-library-system__Evergreen__Open-ILS__tests__datasets__hebrew.marc",
           "real/good/indexdata__yaz__test__marc-files__marccol5.u8.marc")
RECORDS_PER_FILE = 5
SECONDS_PER_EXAMPLE = 20  # a hang is a bug; the deadline below catches what is merely slow
EXPLORE = "FUZZ_EXAMPLES" in os.environ  # a longer run explores new inputs; the default one is the same every time
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), derandomize=not EXPLORE, database=None,
                print_blob=True, deadline=timedelta(seconds=5),
                suppress_health_check=[HealthCheck.function_scoped_fixture])
UNEXPECTED = unexpected_problem(Exception("")).split("(")[0]
STRUCTURE = [RECORD_TERMINATOR[0], FIELD_TERMINATOR[0], SUBFIELD_DELIMITER[0], *b"0123456789 \n\x00\xff"]


@cache
def records_of(path: Path) -> tuple[bytes, ...]:
    """The records of a file as its bytes, each with its terminator."""
    with path.open("rb") as stream:
        return tuple(chunk.data + RECORD_TERMINATOR for chunk in split_chunks(stream))


def read(data: bytes) -> list:
    with time_limit(SECONDS_PER_EXAMPLE, "reading a mutated file"):
        return list(mapped_items(io.BytesIO(data), "iso2709", None))


def identity(item) -> tuple[str, str] | None:
    return None if item.problem is not None else (item.data.control_number, item.data.title)


byte = st.one_of(st.sampled_from(STRUCTURE), st.integers(0, 255))


@st.composite
def mutation(draw, record: bytes) -> bytes:
    """One change to the record's bytes before its terminator: flip, insert, delete, or overwrite a terminator."""
    body = bytearray(record[:-1])
    kind = draw(st.sampled_from(["flip", "insert", "delete", "delete run", "terminator"]))
    at = draw(st.integers(0, len(body) - 1))
    if kind == "flip":
        body[at] ^= draw(st.integers(1, 255))
    elif kind == "insert":
        body[at:at] = bytes([draw(byte)])
    elif kind == "delete":
        del body[at]
    elif kind == "delete run":
        del body[at : at + draw(st.integers(2, 64))]
    else:
        terminators = [i for i, value in enumerate(body) if value in (FIELD_TERMINATOR[0], SUBFIELD_DELIMITER[0])]
        body[draw(st.sampled_from(terminators))] = draw(byte)
    return bytes(body) + RECORD_TERMINATOR


@st.composite
def lost_record_terminator(draw, record: bytes) -> bytes:
    """The record's own terminator deleted, or overwritten by another byte (a line break, a '?', anything)."""
    replacement = draw(st.one_of(st.just(b""), byte.filter(lambda value: value != RECORD_TERMINATOR[0]).map(
        lambda value: bytes([value]))))
    return record[:-1] + replacement


def choose(shared_marc: Path, source: str, data, change) -> tuple[list[bytes], int, bytes]:
    records = records_of(shared_marc / source)
    start = data.draw(st.integers(0, max(0, len(records) - RECORDS_PER_FILE)), label="first record")
    chosen = list(records[start : start + RECORDS_PER_FILE])
    target = data.draw(st.integers(0, len(chosen) - 1), label="mutated record")
    changes = data.draw(st.integers(1, 3), label="changes") if change is mutation else 1
    mutated = chosen[target]
    for _ in range(changes):
        mutated = data.draw(change(mutated), label="mutation")
    return chosen, target, mutated


def check_others_intact(chosen: list[bytes], target: int, mutated: bytes) -> None:
    expected = [identity(item) for item in read(b"".join(chosen))]
    assert None not in expected  # the sources are whole; a failure here is in the samples, not the mutation
    items = read(b"".join(chosen[:target]) + mutated + b"".join(chosen[target + 1 :]))
    for item in items:
        assert item.problem is None or not item.problem.startswith(UNEXPECTED), item.problem
    found = [identity(item) for item in items]
    after = len(chosen) - target - 1
    assert found[:target] == expected[:target]
    if after:
        assert found[-after:] == expected[target + 1 :]


@FUZZ
@given(st.sampled_from(SOURCES), st.data())
def test_a_mutated_record_never_disturbs_the_others(shared_marc, source, data):
    check_others_intact(*choose(shared_marc, source, data, mutation))


@FUZZ
@given(st.sampled_from(SOURCES), st.data())
def test_a_lost_record_terminator_never_loses_the_next_record(shared_marc, source, data):
    check_others_intact(*choose(shared_marc, source, data, lost_record_terminator))


@settings(FUZZ, max_examples=max(5, FUZZ.max_examples // 4))
@given(st.sampled_from(SOURCES), st.data())
def test_importing_a_mutated_file_never_fails(app, tmp_path, shared_marc, source, data):
    chosen, target, mutated = choose(shared_marc, source, data, mutation)
    path = write(tmp_path / "fuzz.mrc", b"".join(chosen[:target]) + mutated + b"".join(chosen[target + 1 :]))
    with app.app_context(), time_limit(SECONDS_PER_EXAMPLE, "importing a mutated file"):
        report = import_file(database.engine(), path, library_code="TVQT", dry_run=True)
    assert report.total == report.new + report.updated + report.unchanged + report.deleted + report.rejected
    assert report.new >= len(chosen) - 1 - sum("trùng" in r.reason for r in report.rejections)
    assert not [r.reason for r in report.rejections if r.reason.startswith(UNEXPECTED)]


def test_the_first_failure_found_stays_fixed(shared_marc):
    """A record whose terminator became a subfield delimiter swallowed the record after it."""
    records = list(records_of(shared_marc / "vi/vi_utf8.mrc")[:RECORDS_PER_FILE])
    check_others_intact(records, 0, records[0][:-1] + SUBFIELD_DELIMITER)


def test_a_nul_quoted_in_a_rejection_reason_does_not_stop_the_import(app, tmp_path, shared_marc):
    """Found on PostgreSQL, which stores no NUL: the undecided encoding's reason quoted the record's NUL."""
    first, *others = records_of(shared_marc / "real/good/edsu__pymarc__test__test.dat")[:3]
    mutated = first.replace(b"\x1e  \x1fapcc", b"\x1e  \x00\x1fapcc")
    with app.app_context():
        report = import_file(database.engine(), write(tmp_path / "nul.mrc", mutated + b"".join(others)),
                             library_code="TVQT")
    assert (report.new, report.rejected) == (2, 1)
    assert "\x00" not in report.rejections[0].reason and "␀" in report.rejections[0].reason
