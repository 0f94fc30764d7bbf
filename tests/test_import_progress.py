"""Long imports from the upload page: accepted at once, their progress shown live, and found again after leaving."""
from __future__ import annotations

import io
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import database
from accounts.models import AuditEvent
from catalog import importer, imports
from catalog.models import ImportBatch, utcnow
from tests.factories import iso2709, make_record
from tests.forms import csrf_token

RECORDS = 3000  # three chunks: the first is held while the test looks at the progress
TIMEOUT = 60  # seconds; far beyond what an import of RECORDS needs, so only a stuck import waits this long


@pytest.fixture
def client(app, client, sign_in):
    """The coordinator, whose uploads are answered at once (IMPORT_WAIT_SECONDS 0), as a large file's would be."""
    app.config["IMPORT_WAIT_SECONDS"] = 0
    sign_in(client, "dieuphoi", "coordinator")
    yield client
    finish_imports()  # no import outlives its test: its database goes with it


@pytest.fixture
def held(client, monkeypatch):
    """Hold the import once its first chunk is committed, until the test releases it."""
    committed, release = threading.Event(), threading.Event()
    flush = importer._flush

    def flush_then_wait(*args, final: bool = False, **kwargs):
        flush(*args, final=final, **kwargs)
        if not final and not committed.is_set():
            committed.set()
            release.wait(TIMEOUT)

    monkeypatch.setattr(importer, "_flush", flush_then_wait)
    yield committed, release
    release.set()  # before `client` waits for the import


def finish_imports() -> None:
    """Wait for the imports running in the background, as a librarian who comes back later does."""
    for thread in threading.enumerate():
        if thread.name == imports.THREAD_NAME:
            thread.join(TIMEOUT)
            assert not thread.is_alive(), f"an import still runs after {TIMEOUT} s"


def upload(client, data: bytes | None, name: str = "lon.mrc", **form):
    files = {"file": (io.BytesIO(data), name)} if data is not None else {}
    return client.post("/imports", data={**files, "csrf_token": csrf_token(client), **form},
                       content_type="multipart/form-data")


def many_records(count: int = RECORDS) -> bytes:
    return iso2709(*(make_record(f"P{number:05d}", copies=(("TVQT", f"P.{number}"),)) for number in range(count)))


def uploads_kept(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return list(folder.iterdir()) if folder.exists() else []


def batch_count(app) -> int:
    with app.app_context():
        return database.session().scalar(select(func.count()).select_from(ImportBatch))


def test_a_long_import_is_accepted_at_once_and_shows_its_progress_until_its_report(app, client, held):
    committed, release = held
    data = many_records()
    response = upload(client, data)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert re.fullmatch(r"/imports/\d+", location)
    assert committed.wait(TIMEOUT), "the first chunk was never committed"
    assert len(uploads_kept(app)) == 1  # the upload stays on disk while the import reads it

    page = client.get(location).get_data(as_text=True)
    assert "Đang nhập" in page and "lon.mrc" in page
    assert '<label for="import-progress">' in page and '<progress id="import-progress" max="100" value="' in page
    assert 'aria-live="polite"' in page and "Bạn có thể rời trang này và quay lại sau" in page
    assert "Biểu ghi đã đọc</dt><dd>1.000</dd>" in page and "Mới</dt><dd>1.000</dd>" in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert '<script src="/static/import_progress.js" defer></script>' in page

    running = client.get(f"{location}/progress").get_json()
    assert running["status"] == "running" and "report" not in running
    assert (running["total"], running["new"], running["rejected"]) == (1000, 1000, 0)
    assert 30 <= running["percent"] <= 34 and running["file_size"] == len(data)  # a third of the records read
    assert f"đang chạy ({running['percent']}%)" in client.get("/imports").get_data(as_text=True)

    release.set()
    finish_imports()
    done = client.get(f"{location}/progress").get_json()
    assert done == {"batch": int(location.rsplit("/", 1)[1]), "status": "completed", "percent": 100,
                    "file_size": len(data), "bytes_read": len(data), "total": RECORDS, "new": RECORDS,
                    "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 0, "report": location}
    report = client.get(location).get_data(as_text=True)
    assert "Kết quả nhập" in report and "Tổng số biểu ghi</dt><dd>3.000</dd>" in report
    assert "import-progress" not in report and "http-equiv" not in report
    assert uploads_kept(app) == []


def test_an_import_that_finishes_after_the_answer_is_still_the_uploaders_in_the_audit_log(app, client):
    location = upload(client, iso2709(make_record("A1"))).headers["Location"]
    finish_imports()
    with app.app_context():
        event = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert (event.username, event.address, event.target) == ("dieuphoi", "127.0.0.1", location.rsplit("/", 1)[1])
    assert event.user_id is not None


@pytest.mark.parametrize("data, form, status, message", [
    (None, {}, 400, "Chưa chọn tệp MARC để nhập."),
    (b"", {}, 400, "Tệp “lon.mrc” rỗng: không có bản ghi nào để nhập."),
    (b"x", {"library": "NOPE"}, 404, "Không có thư viện mã “NOPE”"),
])
def test_errors_before_the_import_starts_come_back_to_the_form_at_once(app, client, data, form, status, message):
    response = upload(client, data, **form)
    assert response.status_code == status and message in response.get_data(as_text=True)
    finish_imports()
    assert batch_count(app) == 0 and uploads_kept(app) == []


def test_a_librarian_importing_for_another_library_is_refused_at_once(app, sign_in):
    librarian = app.test_client()
    sign_in(librarian, "thuthu.qt")
    response = upload(librarian, iso2709(make_record("R1")), library="TVCC")
    assert response.status_code == 403
    assert "Bạn chỉ được nhập biểu ghi cho thư viện của mình (TVQT)." in response.get_data(as_text=True)
    assert batch_count(app) == 0 and uploads_kept(app) == []


def stop_heartbeat(app, batch_id: int, silent_for: timedelta) -> None:
    """Make a finished batch look like one still running whose heartbeat stopped `silent_for` ago."""
    with app.app_context(), database.transaction() as db:
        db.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
            status="running", finished_at=None, heartbeat_at=utcnow() - silent_for))


def test_a_running_batch_whose_heartbeat_stopped_shows_as_interrupted(app, client):
    location = upload(client, iso2709(make_record("I1"), make_record("I2"))).headers["Location"]
    finish_imports()
    batch_id = int(location.rsplit("/", 1)[1])
    stop_heartbeat(app, batch_id, timedelta(minutes=10))

    page = client.get(location).get_data(as_text=True)
    assert "Lần nhập bị gián đoạn" in page and "Hãy nhập lại đúng tệp này để hoàn tất" in page
    assert "import-progress" not in page and "http-equiv" not in page
    listing = client.get("/imports").get_data(as_text=True)
    assert "bị gián đoạn" in listing and "đang chạy" not in listing
    assert "Nhập lại đúng tệp đó để hoàn tất" in listing
    progress = client.get(f"{location}/progress").get_json()
    assert (progress["status"], progress["report"]) == ("interrupted", location)


def test_a_running_batch_with_a_fresh_heartbeat_is_still_running(app, client):
    location = upload(client, iso2709(make_record("F1"))).headers["Location"]
    finish_imports()
    stop_heartbeat(app, int(location.rsplit("/", 1)[1]), timedelta(seconds=30))
    assert "đang chạy" in client.get("/imports").get_data(as_text=True)
    assert client.get(f"{location}/progress").get_json()["status"] == "running"


@pytest.mark.parametrize("batch_id", ["999", "99999999999999999999"])
def test_the_progress_of_an_unknown_batch_is_a_404_in_json(client, batch_id):
    response = client.get(f"/imports/{batch_id}/progress")
    assert response.status_code == 404
    assert response.get_json() == {"error": f"Không có lần nhập số {batch_id}."}


def test_the_progress_script_is_a_static_file_and_the_page_has_no_inline_script(client):
    script = client.get("/static/import_progress.js")
    assert script.status_code == 200 and "javascript" in script.content_type
    assert "dataset.progressUrl" in script.get_data(as_text=True)  # the address the page names, polled
    template = (Path(__file__).resolve().parents[1] / "templates" / "import_report.html").read_text("utf-8")
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", template))
