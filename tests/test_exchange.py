"""The exchange tracker through its JSON API: a donation recorded, dispatched and received moves copies to
the receiving library in the catalog and the search; the rules of who may act; partial receipts,
cancellation, one open transfer per copy; and the March 2021 donation to Cồn Cỏ replayed."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

import database
from catalog.models import Copy, CopyMovement, Library, Record
from tests.factories import iso2709, make_record, write

ISBN = "9786045812341"


def import_as(runner, tmp_path, library: str, *records, name: str | None = None):
    path = write(tmp_path / (name or f"{library}.mrc"), iso2709(*records))
    result = runner.invoke(args=["catalog", "import", str(path), "--library", library])
    assert result.exit_code == 0, result.output


@pytest.fixture
def catalog(runner, tmp_path):
    """Quảng Trị holds two titles (three copies and two), Quảng Bình one; Cồn Cỏ holds nothing yet."""
    import_as(runner, tmp_path, "TVQT",
              make_record("QT1", isbn=ISBN, copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03"))),
              make_record("QT2", title="Cồn Cỏ – Đảo anh hùng", year="2010",
                          copies=(("TVQT", "QT.04"), ("TVQT", "QT.05"))))
    import_as(runner, tmp_path, "TVQB", make_record("QB1", org="TVQB", title="Lịch sử Quảng Bình", year="2012",
                                                    copies=(("TVQB", "QB.01"),)))


def copies_at(app, library: str) -> list[str]:
    with app.app_context():
        db = database.session()
        return sorted(db.scalars(select(Copy.registration_number).join(Library, Library.id == Copy.library_id)
                                 .where(Library.code == library)))


def copy_row(app, number: str) -> Copy:
    with app.app_context():
        return database.session().scalar(select(Copy).where(Copy.registration_number == number))


def edition_of(runner, number: str) -> str:
    rows = [json.loads(line) for line in runner.invoke(args=["catalog", "dump"]).output.splitlines()]
    return next(row["edition"] for row in rows if row["control_number"] == number)


def donation(api, *lines, sender="thuthu.qt", source="TVQT", to="TVCC", **extra):
    response = api(sender, "post", "/api/transfers", {
        "kind": "donation", "from": source, "to": to, "date": "2021-03-26",
        "occasion": "Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ, 26–27/3/2021", "lines": list(lines),
        **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_donation_recorded_dispatched_and_received_moves_the_copies(app, runner, client, api, catalog):
    edition = edition_of(runner, "QT2")
    created = donation(api, {"copy": "QT.01"}, {"copy": "QT.02"}, {"edition": edition, "quantity": 2},
                       {"title": "Sách chưa biên mục về đảo Cồn Cỏ", "quantity": 3})
    assert created["state"] == "draft" and created["copies_sent"] == 7
    assert [line["copy"] or line["edition"] or line["title"] for line in created["lines"]] == [
        "QT.01", "QT.02", edition, "Sách chưa biên mục về đảo Cồn Cỏ"]
    sent = api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch").get_json()
    assert sent["state"] == "dispatched" and copy_row(app, "QT.01").status == "in_transit"
    assert copies_at(app, "TVCC") == []  # on the way: still Quảng Trị's
    received = api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive").get_json()
    assert received["state"] == "received"
    assert copies_at(app, "TVCC") == ["QT.01", "QT.02", "TVCC-000001", "TVCC-000002", "TVCC-000003",
                                      "TVCC-000004", "TVCC-000005"]
    assert copies_at(app, "TVQT") == ["QT.03", "QT.04", "QT.05"]
    assert copy_row(app, "QT.01").status is None  # its status before the journey
    # Every step in the history: who, when, what.
    assert [(e["action"], e["by"], e["to"]) for e in received["history"]] == [
        ("create", "thuthu.qt", "draft"), ("dispatch", "thuthu.qt", "dispatched"), ("receive", "thuthu.cc", "received")]
    assert received["history"][-1]["details"] == {"received": 7, "missing": 0, "damaged": 0}
    # The catalog and the search show the copies under Cồn Cỏ, with where they came from.
    edition = client.get(f"/api/editions/{edition_of(runner, 'QT1')}").get_json()
    holdings = {h["library"]: h for h in edition["holdings"]}
    assert holdings["TVCC"]["copies"] == 2 and holdings["TVQT"]["copies"] == 1
    hit = client.get("/api/search?q=dia chi quang tri").get_json()["hits"][0]
    assert {h["library"]: h["copies"] for h in hit["holdings"]} == {"TVCC": 2, "TVQT": 1}
    with app.app_context():
        moved = database.session().scalar(select(CopyMovement).where(
            CopyMovement.copy_id == copy_row(app, "QT.01").id))
    assert moved.reference == f"transfer:{created['id']}"


def test_who_may_act(app, api, catalog):
    refused = api("thuthu.cc", "post", "/api/transfers", {"kind": "donation", "from": "TVQT", "to": "TVCC",
                                                           "lines": [{"copy": "QT.01"}]})
    assert refused.status_code == 403 and "thư viện gửi" in refused.get_json()["error"]
    created = donation(api, {"copy": "QT.01"})
    assert api("thuthu.cc", "post", f"/api/transfers/{created['id']}/dispatch").status_code == 403
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    refused = api("thuthu.qt", "post", f"/api/transfers/{created['id']}/receive")
    assert refused.status_code == 403 and "thư viện nhận" in refused.get_json()["error"]
    assert api("thuthu.qb", "get", f"/api/transfers/{created['id']}").status_code == 200  # reading: any librarian
    received = api("dieuphoi", "post", f"/api/transfers/{created['id']}/receive").get_json()
    assert received["history"][-1]["as_coordinator"] is True and received["history"][-1]["by"] == "dieuphoi"
    assert app.test_client().get("/api/transfers").status_code == 401


def test_a_partial_receipt_counts_missing_and_damaged(app, api, catalog):
    created = donation(api, {"copy": "QT.01"}, {"copy": "QT.02"}, {"title": "Bản đồ Cồn Cỏ", "quantity": 4})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    first, second, third = (line["line"] for line in created["lines"])
    response = api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive", {"lines": [
        {"line": second, "received": 0, "missing": 1},
        {"line": third, "received": 3, "missing": 1, "damaged": 1, "numbers": ["CC.1", "CC.2", "CC.3"]}]})
    received = response.get_json()
    assert received["state"] == "partly_received"
    assert [(line["received"], line["missing"], line["damaged"]) for line in received["lines"]] == [
        (1, 0, 0), (0, 1, 0), (3, 1, 1)]
    assert copies_at(app, "TVCC") == ["CC.1", "CC.2", "CC.3", "QT.01"]
    assert copy_row(app, "QT.02").status == "lost_in_transit" and "QT.02" in copies_at(app, "TVQT")
    assert sorted(copy_row(app, n).status or "" for n in ("CC.1", "CC.2", "CC.3")) == ["", "", "damaged"]


def test_counts_that_do_not_add_up_are_refused_and_nothing_moves(app, api, catalog):
    created = donation(api, {"title": "Bản đồ Cồn Cỏ", "quantity": 4})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    line = created["lines"][0]["line"]
    response = api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive",
                   {"lines": [{"line": line, "received": 2, "missing": 1}]})
    assert response.status_code == 400 and "gửi 4 bản" in response.get_json()["error"]
    assert api("thuthu.cc", "get", f"/api/transfers/{created['id']}").get_json()["state"] == "dispatched"
    assert copies_at(app, "TVCC") == []


def test_cancelling_a_dispatched_transfer_puts_everything_back(app, api, catalog):
    created = donation(api, {"copy": "QT.01"})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    assert api("thuthu.qt", "post", f"/api/transfers/{created['id']}/cancel", {}).status_code == 400  # no reason
    cancelled = api("thuthu.qt", "post", f"/api/transfers/{created['id']}/cancel", {"reason": "Tàu không chạy"})
    assert cancelled.get_json()["state"] == "cancelled" and cancelled.get_json()["cancel_reason"] == "Tàu không chạy"
    assert copy_row(app, "QT.01").status is None and "QT.01" in copies_at(app, "TVQT")
    late = api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive")
    assert late.status_code == 409 and "đã hủy" in late.get_json()["error"]
    assert donation(api, {"copy": "QT.01"})["state"] == "draft"  # free again


def test_a_copy_is_on_one_open_transfer_at_a_time(api, catalog):
    first = donation(api, {"copy": "QT.01"})
    response = api("thuthu.qt", "post", "/api/transfers", {"kind": "donation", "from": "TVQT", "to": "TVQB",
                                                            "lines": [{"copy": "QT.01"}]})
    assert response.status_code == 409 and f"phiếu chuyển số {first['id']}" in response.get_json()["error"]
    unknown = api("thuthu.qt", "post", "/api/transfers", {"kind": "donation", "from": "TVQT", "to": "TVQB",
                                                           "lines": [{"copy": "QB.01"}]})
    assert unknown.status_code == 400 and "không có bản sách số ĐKCB: QB.01" in unknown.get_json()["error"]


def test_reimporting_the_givers_record_neither_takes_back_nor_duplicates_a_given_copy(app, runner, tmp_path, api,
                                                                                     catalog):
    created = donation(api, {"copy": "QT.01"})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive")
    # Quảng Trị's system still lists QT.01 in its 852, with a new call number elsewhere in the record.
    import_as(runner, tmp_path, "TVQT", make_record("QT1", isbn=ISBN, title="Địa chí Quảng Trị (sửa)", copies=(
        ("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03"))), name="qt-v2.mrc")
    assert copies_at(app, "TVCC") == ["QT.01"]
    assert copies_at(app, "TVQT") == ["QT.02", "QT.03", "QT.04", "QT.05"]


def test_an_exchange_links_both_directions_and_lists_filter(api, catalog):
    there = api("thuthu.qt", "post", "/api/transfers", {"kind": "exchange", "from": "TVQT", "to": "TVQB",
                                                         "date": "2022-05-04", "lines": [{"copy": "QT.04"}]}).get_json()
    back = api("thuthu.qb", "post", "/api/transfers", {"kind": "exchange", "from": "TVQB", "to": "TVQT",
                                                        "date": "2022-05-04", "counterpart": there["id"],
                                                        "lines": [{"copy": "QB.01"}]}).get_json()
    assert back["counterpart"] == there["id"]
    assert api("thuthu.qt", "get", f"/api/transfers/{there['id']}").get_json()["counterpart"] == back["id"]
    listed = api("dieuphoi", "get", "/api/transfers?library=TVQB&kind=exchange&year=2022").get_json()["transfers"]
    assert sorted(t["id"] for t in listed) == sorted([there["id"], back["id"]])
    assert api("dieuphoi", "get", "/api/transfers?year=2021").get_json()["transfers"] == []
    assert api("dieuphoi", "get", "/api/transfers?state=lost").status_code == 400
    assert api("dieuphoi", "get", "/api/transfers?year=%C2%B2%C2%B2%C2%B2%C2%B2").status_code == 400  # ²²²² is no year


@pytest.mark.parametrize("body, message", [
    ({"kind": "gift", "from": "TVQT", "to": "TVCC", "lines": [{"copy": "QT.01"}]}, "donation"),
    ({"kind": "donation", "from": "TVQT", "to": "TVQT", "lines": [{"copy": "QT.01"}]}, "khác nhau"),
    ({"kind": "donation", "from": "TVQT", "to": "TVXX", "lines": [{"copy": "QT.01"}]}, "TVXX"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": []}, "ít nhất một dòng"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": [{"title": "X", "quantity": 0}]}, "số lượng"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": [{"edition": "khongco", "quantity": 1}]}, "khongco"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "date": "26/3/2021", "lines": [{"copy": "QT.01"}]},
     "YYYY-MM-DD"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": [{"copy": "QT.01"}, {"copy": "QT.01"}]}, "hai lần"),
    ({"kind": "exchange", "from": "TVQT", "to": "TVCC", "counterpart": "abc", "lines": [{"copy": "QT.01"}]},
     "counterpart"),
    ({"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": [{"copy": "QT.\x0099"}]}, "QT.99"),
])
def test_bad_transfers_are_refused_with_a_reason(api, catalog, body, message):
    response = api("dieuphoi", "post", "/api/transfers", body)
    assert response.status_code in (400, 404) and message in response.get_json()["error"]


def test_the_march_2021_donation_to_con_co(app, runner, tmp_path, client, api, sign_in):
    """550 copies of 200 titles from the Union's members to the Cồn Cỏ island library, 3 missing on arrival."""
    members = ["TVTH", "TVNA", "TVHT", "TVQB", "TVQT"]
    for index, code in enumerate(members):  # each member catalogued 40 titles, 2 copies each
        import_as(runner, tmp_path, code, *(
            make_record(f"{code}{n}", org=code, title=f"Địa chí {code} tập {n}", year=str(1990 + n % 30),
                        copies=((code, f"{code}.{n}.1"), (code, f"{code}.{n}.2"))) for n in range(40)))
    sent = []
    for code in members:  # 80 named copies (40 titles) + 30 copies of titles not catalogued one by one
        lines = [{"copy": f"{code}.{n}.{c}"} for n in range(40) for c in (1, 2)]
        lines.append({"title": f"Sách tặng của {code}", "quantity": 30})
        created = api("dieuphoi", "post", "/api/transfers", {
            "kind": "donation", "from": code, "to": "TVCC", "date": "2021-03-26",
            "occasion": "Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ, 26–27/3/2021", "lines": lines}).get_json()
        assert api("dieuphoi", "post", f"/api/transfers/{created['id']}/dispatch").status_code == 200
        sent.append(created)
    assert sum(t["copies_sent"] for t in sent) == 550
    for created in sent[:-1]:
        assert api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive").get_json()["state"] == "received"
    last = sent[-1]  # Quảng Trị's boxes: three books did not arrive
    title_line = last["lines"][-1]["line"]
    answer = api("thuthu.cc", "post", f"/api/transfers/{last['id']}/receive",
                 {"lines": [{"line": title_line, "received": 27, "missing": 3}]}).get_json()
    assert answer["state"] == "partly_received"
    assert len(copies_at(app, "TVCC")) == 547
    for code in members:
        assert copies_at(app, code) == []
    hits = client.get("/api/search?library=TVCC&per_page=1").get_json()
    assert hits["total"] == 200  # the 200 catalogued titles are all held by Cồn Cỏ now
    listed = api("dieuphoi", "get", "/api/transfers?library=TVCC&year=2021").get_json()["transfers"]
    assert sum(t["copies_sent"] for t in listed) == 550 and {t["state"] for t in listed} == {"received",
                                                                                           "partly_received"}
    with app.app_context():
        assert database.session().scalar(select(Record.id).where(Record.control_number == "TVQT0")) is not None
    # The report: what each member gave and what Cồn Cỏ received, in 2021.
    sign_in(client, "xem.baocao", role="coordinator")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/transfers.csv?year=2021").get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["from"] for row in rows) == sorted(members) and {row["to"] for row in rows} == {"TVCC"}
    assert sum(int(row["copies_sent"]) for row in rows) == 550
    assert sum(int(row["copies_received"]) for row in rows) == 547
    assert sum(int(row["titles"]) for row in rows) == 205  # 200 catalogued titles and 5 lines of uncatalogued books
    assert "Thư viện huyện đảo Cồn Cỏ" in client.get("/reports?year=2021").get_data(as_text=True)


def race(*calls):
    """Run the calls at the same moment in threads; their responses' status codes, sorted."""
    import threading
    barrier, codes = threading.Barrier(len(calls)), []

    def run(call):
        barrier.wait()
        codes.append(call().status_code)
    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(codes)


def test_two_librarians_receiving_at_once_one_wins(app, api, catalog):
    created = donation(api, {"copy": "QT.01"}, {"title": "Bản đồ", "quantity": 5})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    api("thuthu.cc", "get", "/api/transfers"), api("dieuphoi", "get", "/api/transfers")  # tokens made beforehand
    path = f"/api/transfers/{created['id']}/receive"
    assert race(lambda: api("thuthu.cc", "post", path), lambda: api("dieuphoi", "post", path)) == [200, 409]
    assert len(copies_at(app, "TVCC")) == 6  # received once, not twice


def test_two_transfers_taking_the_same_copy_at_once_one_wins(app, api, catalog):
    api("thuthu.qt", "get", "/api/transfers"), api("dieuphoi", "get", "/api/transfers")
    body = {"kind": "donation", "from": "TVQT", "to": "TVCC", "lines": [{"copy": "QT.05"}]}
    other = dict(body, to="TVQB")
    codes = race(lambda: api("thuthu.qt", "post", "/api/transfers", body),
                 lambda: api("dieuphoi", "post", "/api/transfers", other))
    assert codes == [201, 409]


# --- registration numbers, re-imports and links that must not collide ----------------------------------------------

def sent_and_received(api, *lines, receipts=None, **extra) -> dict:
    created = donation(api, *lines, **extra)
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    body = {"lines": [dict(receipt, line=created["lines"][index]["line"]) for index, receipt in receipts.items()]} \
        if receipts else None
    response = api("thuthu.cc", "post", f"/api/transfers/{created['id']}/receive", body)
    return response


def test_a_number_is_never_given_twice_at_the_receiver(app, api, catalog):
    assert sent_and_received(api, {"title": "Bản đồ", "quantity": 1}).status_code == 200
    typed = {0: {"received": 2, "numbers": ["TVCC-000002", "TVCC-000003"]}}
    assert sent_and_received(api, {"title": "Tranh", "quantity": 2}, receipts=typed).status_code == 200
    # The library's sequence passes over the numbers typed at the second receipt.
    assert sent_and_received(api, {"title": "Ảnh", "quantity": 2}).status_code == 200
    assert copies_at(app, "TVCC") == [f"TVCC-{n:06d}" for n in range(1, 6)]
    # A number Cồn Cỏ already uses is refused, with the number, and nothing arrives.
    refused = sent_and_received(api, {"title": "Lịch", "quantity": 1},
                                receipts={0: {"received": 1, "numbers": ["TVCC-000004"]}})
    assert refused.status_code == 400 and "TVCC-000004 đã có ở Thư viện huyện đảo Cồn Cỏ" in \
        refused.get_json()["error"]
    assert len(copies_at(app, "TVCC")) == 5


def test_a_copy_arriving_with_a_number_the_receiver_uses_is_renumbered(app, client, sign_in, api, catalog):
    assert sent_and_received(api, {"title": "Bản đồ", "quantity": 1},
                             receipts={0: {"received": 1, "numbers": ["QT.01"]}}).status_code == 200
    received = sent_and_received(api, {"copy": "QT.01"}).get_json()
    assert received["history"][-1]["details"]["renumbered"] == ["QT.01 → TVCC-000001"]
    sign_in(client, "xem.phieu", role="coordinator")
    assert "đánh số lại: QT.01 → TVCC-000001" in client.get(f"/transfers/{received['id']}").get_data(as_text=True)
    assert copies_at(app, "TVCC") == ["QT.01", "TVCC-000001"]
    with app.app_context():
        moved = database.session().scalar(select(CopyMovement).join(Copy, Copy.id == CopyMovement.copy_id)
                                          .where(Copy.registration_number == "TVCC-000001"))
    assert moved.number_before == "QT.01"


def test_a_renumbered_copy_does_not_come_back_to_the_giver(app, runner, tmp_path, api, catalog):
    sent_and_received(api, {"title": "Bản đồ", "quantity": 1}, receipts={0: {"received": 1, "numbers": ["QT.01"]}})
    sent_and_received(api, {"copy": "QT.01"})  # arrives as TVCC-000001
    # Quảng Trị's system still lists QT.01 under its record.
    import_as(runner, tmp_path, "TVQT", make_record("QT1", isbn=ISBN, copies=(
        ("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03"))), name="qt-v2.mrc")
    assert copies_at(app, "TVQT") == ["QT.02", "QT.03", "QT.04", "QT.05"]
    assert copies_at(app, "TVCC") == ["QT.01", "TVCC-000001"]


def test_a_new_number_is_not_one_another_arriving_copy_has(app, runner, tmp_path, api, catalog):
    import_as(runner, tmp_path, "TVQT", make_record("QT9", title="Sách lạ", year="2001", copies=(
        ("TVQT", "TVCC-000001"),)), name="qt-odd.mrc")
    sent_and_received(api, {"title": "Bản đồ", "quantity": 1}, receipts={0: {"received": 1, "numbers": ["QT.01"]}})
    received = sent_and_received(api, {"copy": "QT.01"}, {"copy": "TVCC-000001"}).get_json()
    assert received["history"][-1]["details"]["renumbered"] == ["QT.01 → TVCC-000002"]
    assert copies_at(app, "TVCC") == ["QT.01", "TVCC-000001", "TVCC-000002"]


def test_a_copy_lost_in_transit_that_turns_up_arrives_found(app, api, catalog):
    first = sent_and_received(api, {"copy": "QT.01"}, receipts={0: {"received": 0, "missing": 1}}).get_json()
    assert first["state"] == "partly_received" and copy_row(app, "QT.01").status == "lost_in_transit"
    assert sent_and_received(api, {"copy": "QT.01"}).status_code == 200
    assert copy_row(app, "QT.01").status is None and "QT.01" in copies_at(app, "TVCC")


def test_two_receipts_typing_one_number_at_once_one_is_refused(app, api, catalog):
    paths = []
    for title in ("Bản đồ", "Tranh"):
        created = donation(api, {"title": title, "quantity": 1})
        api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
        paths.append((f"/api/transfers/{created['id']}/receive",
                      {"lines": [{"line": created["lines"][0]["line"], "received": 1, "numbers": ["CC.77"]}]}))
    api("thuthu.cc", "get", "/api/transfers"), api("dieuphoi", "get", "/api/transfers")
    codes = race(lambda: api("thuthu.cc", "post", *paths[0]), lambda: api("dieuphoi", "post", *paths[1]))
    assert codes == [200, 400] and copies_at(app, "TVCC") == ["CC.77"]


def test_two_first_receipts_at_once_take_different_numbers(app, api, catalog):
    paths = []
    for title in ("Bản đồ", "Tranh"):
        created = donation(api, {"title": title, "quantity": 3})
        api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
        paths.append(f"/api/transfers/{created['id']}/receive")
    api("thuthu.cc", "get", "/api/transfers"), api("dieuphoi", "get", "/api/transfers")
    assert race(lambda: api("thuthu.cc", "post", paths[0]), lambda: api("dieuphoi", "post", paths[1])) == [200, 200]
    assert copies_at(app, "TVCC") == [f"TVCC-{n:06d}" for n in range(1, 7)]


def with_location(record, location: str):
    for field in record.get_fields("852"):
        field["b"] = location
    return record


def test_a_copy_back_from_a_cancelled_transfer_follows_its_librarys_marc_again(app, runner, tmp_path, api,
                                                                               catalog):
    created = donation(api, {"copy": "QT.01"}, {"copy": "QT.02"})
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/dispatch")
    moved_shelf = make_record("QT1", isbn=ISBN, copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03")))
    import_as(runner, tmp_path, "TVQT", with_location(moved_shelf, "Kho mở"), name="qt-v2.mrc")
    assert copy_row(app, "QT.01").status == "in_transit"  # the journey's status stands
    api("thuthu.qt", "post", f"/api/transfers/{created['id']}/cancel", {"reason": "Tàu không chạy"})
    import_as(runner, tmp_path, "TVQT", with_location(moved_shelf, "Kho lưu"), name="qt-v3.mrc")
    assert copies_at(app, "TVQT") == ["QT.01", "QT.02", "QT.03", "QT.04", "QT.05"]  # not doubled
    assert copy_row(app, "QT.01").location == "Kho lưu" and copy_row(app, "QT.01").status is None


def test_a_copy_made_at_a_receipt_does_not_hide_the_givers_own_copy(app, runner, tmp_path, api, catalog):
    # Cồn Cỏ numbers an arriving book of Quảng Trị's edition QT.09; Quảng Trị later catalogues its own QT.09.
    assert sent_and_received(api, {"edition": edition_of(runner, "QT1"), "quantity": 1},
                             receipts={0: {"received": 1, "numbers": ["QT.09"]}}).status_code == 200
    import_as(runner, tmp_path, "TVQT", make_record("QT1", isbn=ISBN, copies=(
        ("TVQT", "QT.01"), ("TVQT", "QT.02"), ("TVQT", "QT.03"), ("TVQT", "QT.09"))), name="qt-v2.mrc")
    assert "QT.09" in copies_at(app, "TVQT") and copies_at(app, "TVCC") == ["QT.09"]


def test_two_exchanges_naming_one_counterpart_at_once_one_links(api, catalog):
    back = api("thuthu.qb", "post", "/api/transfers", {"kind": "exchange", "from": "TVQB", "to": "TVQT",
                                                        "lines": [{"copy": "QB.01"}]}).get_json()
    api("thuthu.qt", "get", "/api/transfers"), api("dieuphoi", "get", "/api/transfers")

    def exchange(user, number):
        return lambda: api(user, "post", "/api/transfers", {"kind": "exchange", "from": "TVQT", "to": "TVQB",
                                                            "counterpart": back["id"], "lines": [{"copy": number}]})
    assert race(exchange("thuthu.qt", "QT.04"), exchange("dieuphoi", "QT.05")) == [201, 409]
    listed = api("dieuphoi", "get", "/api/transfers?kind=exchange").get_json()["transfers"]
    assert sum(1 for transfer in listed if transfer["counterpart"] == back["id"]) == 1
