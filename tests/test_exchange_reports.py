"""Reports of the exchange: totals per library by kind and year, exchange balances, the flows as a
picture, and the same as CSV and Excel."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from exchange.flow_chart import flow_svg
from exchange.reports import TransferRow, exchange_balances, flows, library_totals
from tests.test_exchange import catalog, donation, import_as  # noqa: F401 - catalog is a fixture

ROWS = [TransferRow(1, "donation", 2021, "TVQT", "TVCC", 10, 9, 4),
        TransferRow(2, "exchange", 2022, "TVQT", "TVQB", 3, 3, 3),
        TransferRow(3, "exchange", 2022, "TVQB", "TVQT", 2, 0, 2),
        TransferRow(4, "donation", 2021, "TVQB", "TVCC", 5, 5, 5)]


def test_totals_per_library_by_kind_and_year():
    totals = {t.library: t for t in library_totals(ROWS, {})}
    assert dict(totals["TVQT"].sent) == {("donation", 2021): [10, 4], ("exchange", 2022): [3, 3]}
    assert dict(totals["TVCC"].received) == {("donation", 2021): [14, 9]}
    assert dict(totals["TVQT"].received) == {}  # what is on its way is not received yet


def test_exchange_balances_and_flows():
    (balance,) = exchange_balances(ROWS)
    assert (balance.first, balance.second, balance.first_to_second, balance.second_to_first) == ("TVQB", "TVQT", 0, 3)
    assert balance.difference == -3
    assert flows(ROWS) == [("TVQT", "TVCC", 9), ("TVQB", "TVCC", 5), ("TVQT", "TVQB", 3)]


def test_the_flow_picture_names_the_libraries_and_escapes_them():
    svg = flow_svg([("A", "B", 3)], {"A": "Thư viện <A>", "B": "Cồn Cỏ"}, "Luồng", "Trống")
    assert svg.startswith("<svg") and "Thư viện &lt;A&gt;" in svg and "Cồn Cỏ" in svg and "<path" in svg
    assert "Trống" in flow_svg([], {}, "Luồng", "Trống")


def received_exchange(api):  # noqa: F811 - the fixture's value
    there = api("thuthu.qt", "post", "/api/transfers", {"kind": "exchange", "from": "TVQT", "to": "TVQB",
                                                         "date": "2022-05-04", "lines": [{"copy": "QT.04"}]}).get_json()
    back = api("thuthu.qb", "post", "/api/transfers", {"kind": "exchange", "from": "TVQB", "to": "TVQT",
                                                        "date": "2022-05-04", "counterpart": there["id"],
                                                        "lines": [{"copy": "QB.01"}]}).get_json()
    for transfer, receiver in ((there, "thuthu.qb"), (back, "thuthu.qt")):
        api("dieuphoi", "post", f"/api/transfers/{transfer['id']}/dispatch")
        api(receiver, "post", f"/api/transfers/{transfer['id']}/receive")


def test_the_report_page_csv_and_excel(app, client, sign_in, api, catalog):  # noqa: F811 - fixtures
    gift = donation(api, {"copy": "QT.01"}, {"copy": "QT.02"}, {"title": "Bản đồ", "quantity": 3})
    api("thuthu.qt", "post", f"/api/transfers/{gift['id']}/dispatch")
    api("thuthu.cc", "post", f"/api/transfers/{gift['id']}/receive")
    received_exchange(api)
    draft = donation(api, {"copy": "QT.03"})  # a draft counts for nothing
    assert draft["state"] == "draft"
    sign_in(client, "xem.baocao", role="coordinator")
    page = client.get("/reports").get_data(as_text=True)
    assert "Thư viện huyện đảo Cồn Cỏ" in page and "Cân đối trao đổi" in page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/transfers.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["from"], r["to"], r["copies_sent"], r["copies_received"], r["titles"]) for r in rows] == [
        ("TVQT", "TVCC", "5", "5", "2"), ("TVQT", "TVQB", "1", "1", "1"), ("TVQB", "TVQT", "1", "1", "1")]
    assert [r["transfer"] for r in csv.DictReader(io.StringIO(
        client.get("/reports/transfers.csv?year=2022").get_data(as_text=True).lstrip("\ufeff")))] == [
        rows[1]["transfer"], rows[2]["transfer"]]
    book = load_workbook(io.BytesIO(client.get("/reports/transfers.xlsx").data))
    assert book.sheetnames == ["Phiếu chuyển", "Theo thư viện", "Cân đối trao đổi"]
    assert [list(r) for r in book["Cân đối trao đổi"].iter_rows(min_row=2, values_only=True)] == [
        ["TVQB", "TVQT", 1, 1, 0]]
    svg = client.get("/reports/flows.svg")
    assert svg.content_type.startswith("image/svg+xml") and "Thư viện tỉnh Quảng Bình" in svg.get_data(as_text=True)
    assert client.get("/reports?year=abc").status_code == 400


def test_reports_need_a_sign_in(client):
    assert client.get("/reports").status_code == 302 and client.get("/reports/transfers.csv").status_code == 302
