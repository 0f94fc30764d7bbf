"""The importer on the shared MARC samples: Vietnamese files in five encodings and real broken exports."""
from __future__ import annotations

import json
import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

import database
from catalog.importer import import_file
from catalog.iso2709 import DamagedRecord, parse_chunk, split_chunks
from catalog.marc_reader import read_items
from catalog.models import Record

VI_FILES = ["vi_utf8.mrc", "vi_utf8.xml", "vi_nfd.xml", "vi_tcvn3.mrc", "vi_vni.mrc"]
SECONDS_PER_FILE = 30


@pytest.fixture
def truth(shared_marc) -> dict:
    return json.loads((shared_marc / "vi" / "truth.json").read_text(encoding="utf-8"))


def stored(app) -> dict[tuple[str, str], Record]:
    with app.app_context():
        rows = database.session().scalars(select(Record)).all()
    return {(row.org_code, row.control_number): row for row in rows}


def run_import(app, path: Path, **options):
    with app.app_context():
        return import_file(database.engine(), path, **options)


@pytest.mark.parametrize("file_name", VI_FILES)
def test_every_encoding_imports_to_the_expected_text(app, shared_marc, truth, file_name):
    report = run_import(app, shared_marc / "vi" / file_name)
    assert (report.new, report.rejected) == (47, 0), report.rejections
    rows = stored(app)
    for expected in (r for r in truth["records"] if r["file"] == file_name):
        row = rows[(expected["003"], expected["001"])]
        assert (row.title, row.authors, row.year, row.isbns) == (
            expected["title"], expected["names"], expected["year"], expected["isbns"]), expected["rec_id"]


def test_update_file_replaces_two_and_deletes_one(app, shared_marc, truth):
    run_import(app, shared_marc / "vi" / "vi_utf8.mrc")
    report = run_import(app, shared_marc / "vi" / "vi_update.mrc")
    assert (report.updated, report.deleted, report.new) == (2, 1, 0)
    after = truth["expected_after_update"]
    rows = stored(app)
    active = {key: row for key, row in rows.items() if not row.deleted}
    assert len(active) == after["active_count"]
    assert {f"dev/{org}/{number}" for (org, number), row in rows.items() if row.deleted} == set(after["deleted"])
    for expected in after["active"]:
        assert active[(expected["003"], expected["001"])].title == expected["title"]


def test_broken_file_reads_every_whole_record_and_reports_the_truncated_one(app, shared_marc, truth):
    report = run_import(app, shared_marc / "vi" / "vi_broken.mrc")
    assert (report.total, report.new, report.rejected) == (8, 7, 1)
    (rejection,) = report.rejections
    truncated = next(r for r in truth["records"] if r["file"] == "vi_broken.mrc" and not r["recoverable"])
    assert (rejection.position, rejection.byte_offset, rejection.control_number) == (
        truncated["position"], truncated["byte_offset"], truncated["001"])
    assert "cắt cụt" in rejection.reason
    rows = stored(app)
    for expected in truth["records"]:
        if expected["file"] == "vi_broken.mrc" and expected["recoverable"]:
            assert rows[(expected["003"], expected["001"])].title == expected["title"]


def iso2709_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if not path.name.endswith((".xml", ".json"))
                  and "json" not in path.name and "marcxml" not in path.name)


def test_real_broken_exports_yield_every_structurally_whole_record(shared_marc):
    whole = 0
    for path in iso2709_files(shared_marc / "real" / "bad"):
        with path.open("rb") as stream:
            for chunk in split_chunks(stream):
                try:
                    parse_chunk(chunk)
                    whole += 1
                except DamagedRecord:
                    pass
    assert whole >= 530  # pymarc's permissive reader stops early and returns about 400


@contextmanager
def time_limit(seconds: int, what: str):
    def hung(_signum, _frame):
        raise TimeoutError(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_no_shared_file_crashes_or_hangs_the_reader(shared_marc):
    outcomes = Counter()
    for path in sorted((shared_marc / "real").glob("*/*")) + sorted((shared_marc / "vi").glob("*.mrc")):
        if path.suffix in (".tsv", ".md"):
            continue
        with time_limit(SECONDS_PER_FILE, path.name), path.open("rb") as stream:
            for item in read_items(stream):
                outcomes["read" if item.problem is None else "rejected"] += 1
                assert item.problem is None or item.problem.strip()
    assert outcomes["read"] > 1000


def test_real_files_import_without_crashing(app, shared_marc):
    for path in sorted((shared_marc / "real" / "bad").iterdir()):
        with time_limit(SECONDS_PER_FILE, path.name):
            report = run_import(app, path, library_code="TVQT")
        assert report.total == report.new + report.updated + report.unchanged + report.deleted + report.rejected
