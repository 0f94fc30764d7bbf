"""A librarian uploads a MARC file on the import page and reads the report (after a progress bar, if one shows)."""
from __future__ import annotations

import re
import threading

from catalog import importer
from tests.browser.checks import shoot
from tests.browser.steps import expect, open_menu, sign_in
from tests.factories import iso2709, make_record

DAMAGED = b"00026     2200025   4500\x1e\x1d"  # a leader and nothing else: rejected, with its position
REPORT_TIMEOUT_MS = 30_000  # the report may come after a progress bar while the import runs in the background
LONG = 3000  # records: three chunks, a few seconds of import, so the progress page has something to show


def count_shown(page, label: str):
    """The number the report shows beside a label (Mới, Bị từ chối, ...)."""
    return page.locator("dl.counts div", has=page.locator("dt", has_text=re.compile(rf"^\s*{label}\s*$"))) \
        .locator("dd")


def upload_as_quang_tri_librarian(page, path) -> None:
    page.goto("/")
    sign_in(page, "thuthu.qt")
    open_menu(page, "/imports/new")
    page.locator("#library").select_option("TVQT")
    page.locator("#file").set_input_files(path)
    page.locator("main form button[type=submit]").click()


def test_an_uploaded_iso2709_file_ends_in_a_report_of_new_and_rejected_records(page, tmp_path):
    upload = tmp_path / "gio-linh.mrc"
    upload.write_bytes(iso2709(
        make_record("GL0001", title="Sổ tay địa danh huyện Gio Linh", year="2021", copies=(("TVQT", "GL.0001"),)),
        make_record("GL0002", title="Gio Linh – đất và người", year="2022", copies=(("TVQT", "GL.0002"),)))
        + DAMAGED)
    upload_as_quang_tri_librarian(page, upload)
    expect(count_shown(page, "Mới")).to_have_text("2", timeout=REPORT_TIMEOUT_MS)
    expect(count_shown(page, "Bị từ chối")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("gio-linh.mrc")
    shoot(page, "import-report")


def test_a_long_import_shows_a_labelled_progress_bar_then_its_report(page, live_server, tmp_path, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "IMPORT_WAIT_SECONDS", 0)  # the answer at once, as for a large file
    # The server runs in this process: its import waits after the first chunk until the bar has been seen, so
    # the test does not depend on how fast the machine imports.
    first_chunk_done, bar_seen = threading.Event(), threading.Event()
    flush = importer._flush

    def held_flush(*args, **kwargs):
        flush(*args, **kwargs)
        if not first_chunk_done.is_set():
            first_chunk_done.set()
            bar_seen.wait(timeout=60)
    monkeypatch.setattr(importer, "_flush", held_flush)
    upload = tmp_path / "tu-lieu.mrc"
    upload.write_bytes(iso2709(*(make_record(f"TL{n:05d}", title=f"Tư liệu thử nghiệm số {n}", year="2020",
                                             copies=(("TVQT", f"TL.{n:05d}"),)) for n in range(1, LONG + 1))))
    upload_as_quang_tri_librarian(page, upload)
    bar = page.locator("#import-progress")
    expect(bar).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_accessible_name(re.compile(r"\S"))
    shoot(page, "import-progress")
    bar_seen.set()
    expect(count_shown(page, "Mới")).to_have_text(re.compile(rf"^{LONG // 1000}[.,]?{LONG % 1000:03d}$"),
                                                  timeout=REPORT_TIMEOUT_MS)  # 3.000 (vi)
    expect(bar).to_have_count(0)  # the report, loaded by the page itself when the import ended
