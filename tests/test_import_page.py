"""The upload page: a librarian imports a file in the browser and reads the report in Vietnamese."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

import database
from catalog.models import Record
from tests.factories import iso2709, make_record
from tests.forms import csrf_token

DAMAGED = b"00026     2200025   4500\x1e\x1d"


@pytest.fixture
def client(client, sign_in):
    """Uploads need a signed-in user: the coordinator, who may import for any library or by 003."""
    sign_in(client, "dieuphoi", "coordinator")
    return client


def upload(client, data: bytes, name: str = "qt.mrc", **form):
    return client.post("/imports", data={"file": (io.BytesIO(data), name), "csrf_token": csrf_token(client), **form},
                       content_type="multipart/form-data")


def test_form_speaks_vietnamese(client):
    page = client.get("/imports/new").get_data(as_text=True)
    assert "Nhập biểu ghi MARC" in page and "Thư viện tỉnh Quảng Trị" in page and 'lang="vi"' in page


def test_upload_redirects_to_a_report_with_counts_and_reasons(client):
    response = upload(client, iso2709(make_record("W1")) + DAMAGED + iso2709(make_record("W2")))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "qt.mrc" in page and "Bị từ chối" in page and "danh mục rỗng" in page
    assert "<dd>2</dd>" in page  # two new records


def test_rejected_records_download_as_their_raw_bytes(client):
    location = upload(client, iso2709(make_record("W1")) + DAMAGED).headers["Location"]
    download = client.get(f"{location}/rejected")
    assert download.status_code == 200
    assert download.data == DAMAGED
    assert "attachment" in download.headers["Content-Disposition"]


def test_dry_run_upload_shows_the_report_and_stores_nothing(app, client):
    response = upload(client, iso2709(make_record("W1")), dry_run="1")
    assert response.status_code == 200
    assert "Kết quả nhập thử" in response.get_data(as_text=True)
    with app.app_context():
        assert database.session().scalar(select(func.count()).select_from(Record)) == 0


def test_empty_file_and_unknown_library_get_clear_messages(client):
    empty = upload(client, b"", name="rong.mrc")
    assert empty.status_code == 400 and "rỗng" in empty.get_data(as_text=True)
    unknown = upload(client, iso2709(make_record("W1")), library="NOPE")
    assert unknown.status_code == 404 and "Không có thư viện mã" in unknown.get_data(as_text=True)


def test_unknown_import_batch_is_a_404_in_vietnamese(client):
    response = client.get("/imports/999")
    assert response.status_code == 404 and "Không có lần nhập số 999" in response.get_data(as_text=True)


def test_home_and_libraries_pages(client):
    assert "Mục lục liên hợp" in client.get("/").get_data(as_text=True)
    assert "Thư viện huyện đảo Cồn Cỏ" in client.get("/libraries").get_data(as_text=True)


def test_import_times_show_in_vietnam_time_dd_mm_yyyy(app, client):
    from datetime import datetime

    from catalog.models import ImportBatch

    location = upload(client, iso2709(make_record("W1"))).headers["Location"]
    with app.app_context():
        db = database.session()
        batch = db.get(ImportBatch, int(location.rsplit("/", 1)[1]))
        batch.started_at = datetime(2021, 3, 26, 1, 30)  # UTC
        db.commit()
    assert "26/03/2021 08:30" in client.get("/imports").get_data(as_text=True)


def test_an_upload_over_the_limit_gets_a_clear_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = upload(client, b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413 and "Tệp quá lớn" in response.get_data(as_text=True)
