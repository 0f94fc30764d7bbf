"""Editions in the catalog: one union entry per edition across libraries, stable keys that redirect when
merged, librarians' splits and joins that outlive re-imports, the edition page, its JSON and its export."""
from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from pymarc import MARCReader
from sqlalchemy import func, select

import database
from accounts.models import AuditEvent
from catalog.edition_assign import assign
from catalog.edition_match import cluster
from catalog.editions import recluster_everything, sync_pending
from catalog.models import Edition, EditionDecision, Record
from tests.factories import iso2709, make_record, write
from tests.forms import token_in

ISBN = "9786045812341"
OTHER_ISBN = "9786045898765"


# --- keys that stay: the pure assignment ------------------------------------------------------------------------

def test_unchanged_membership_keeps_every_edition():
    plan = assign([[1, 2], [3], [4, 5, 6]], {1: 10, 2: 10, 3: 11, 4: 12, 5: 12, 6: 12})
    assert plan.kept == {0: 10, 1: 11, 2: 12} and not plan.fresh and not plan.merged and not plan.retired


def test_a_new_record_joins_the_edition_it_clusters_with_and_a_lone_one_gets_a_new_edition():
    plan = assign([[1, 2, 7], [8]], {1: 10, 2: 10, 7: None, 8: None})
    assert plan.kept == {0: 10} and plan.fresh == [1]


def test_merged_editions_redirect_to_the_one_that_keeps_most_members():
    plan = assign([[1, 2, 3]], {1: 10, 2: 10, 3: 11})
    assert plan.kept == {0: 10} and plan.merged == {11: 0}


def test_a_split_leaves_the_key_with_the_larger_part():
    plan = assign([[1, 2], [3]], {1: 10, 2: 10, 3: 10})
    assert plan.kept == {0: 10} and plan.fresh == [1] and not plan.merged


def test_an_edition_whose_records_are_all_deleted_retires():
    plan = assign([[1]], {1: 10, 2: 11})  # record 2 is deleted: in no cluster
    assert plan.kept == {0: 10} and plan.retired == {11}


def test_a_part_split_from_a_merge_takes_back_the_key_it_had():
    plan = assign([[1, 2], [3]], {1: 10, 2: 10, 3: 10}, former={3: 11})
    assert plan.kept == {0: 10, 1: 11} and not plan.fresh


def test_ties_go_to_the_older_edition_and_to_the_part_with_the_oldest_record():
    plan = assign([[1, 2]], {1: 12, 2: 11})
    assert plan.kept == {0: 11} and plan.merged == {12: 0}
    plan = assign([[1], [2]], {1: 10, 2: 10})
    assert plan.kept == {0: 10} and plan.fresh == [1]


# --- librarians' decisions in the pure clustering --------------------------------------------------------------

def records_data():
    from catalog.marc_mapping import map_record
    same = [map_record(make_record(f"R{n}", org=org, isbn=ISBN)) for n, org in enumerate(("TVQT", "TVCC", "TVQB"))]
    apart = map_record(make_record("X", org="TVHT", title="Địa chí Hà Tĩnh", year="1999"))
    return [(1, same[0]), (2, same[1]), (3, same[2]), (4, apart)]


def test_a_split_keeps_a_record_apart_and_a_join_brings_one_in():
    assert [c.members for c in cluster(records_data())] == [(1, 2, 3), (4,)]
    assert [c.members for c in cluster(records_data(), cannot_link=[(3, 1), (3, 2)])] == [(1, 2), (3,), (4,)]
    joined = cluster(records_data(), must_link=[(4, 1)])
    assert [c.members for c in joined] == [(1, 2, 3, 4)]
    assert any(link.member == 4 and link.decision.key == "staff_join" for link in joined[0].links)
    # A split outweighs a join that contradicts it.
    assert [c.members for c in cluster(records_data(), must_link=[(4, 1)], cannot_link=[(4, 1)])] == [(1, 2, 3), (4,)]


# --- in the catalog -----------------------------------------------------------------------------------------------

def import_as(runner, tmp_path, library: str, *records, name: str | None = None):
    path = write(tmp_path / (name or f"{library}.mrc"), iso2709(*records))
    result = runner.invoke(args=["catalog", "import", str(path), "--library", library])
    assert result.exit_code == 0, result.output
    return result


def dumped(runner) -> dict[tuple[str, str], dict]:
    result = runner.invoke(args=["catalog", "dump"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    return {(row["library"], row["control_number"]): row for row in rows}


def edition_key(runner, library: str, number: str) -> str:
    return dumped(runner)[(library, number)]["edition"]


def api(client, path: str):
    return client.get(path).get_json()


@pytest.fixture
def shared_edition(runner, tmp_path):
    """Quảng Trị and Cồn Cỏ both catalogue one edition (same ISBN); Quảng Bình has another book."""
    import_as(runner, tmp_path, "TVQT", make_record("QT1", isbn=ISBN, copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"))))
    import_as(runner, tmp_path, "TVCC", make_record("CC7", org="TVCC", isbn=ISBN, title="Địa chí Quảng Trị",
                                                    copies=(("TVCC", "CC.001"),)))
    import_as(runner, tmp_path, "TVQB", make_record("QB3", org="TVQB", title="Lịch sử Quảng Bình", year="2010",
                                                    copies=(("TVQB", "QB.9"),)))
    return edition_key(runner, "TVQT", "QT1")


def test_one_edition_for_the_same_book_in_two_libraries(runner, client, shared_edition):
    rows = dumped(runner)
    assert rows[("TVCC", "CC7")]["edition"] == shared_edition != rows[("TVQB", "QB3")]["edition"]
    edition = api(client, f"/api/editions/{shared_edition}")
    assert edition["key"] == shared_edition and edition["isbns"] == [ISBN]
    assert sorted((r["library"], r["control_number"]) for r in edition["records"]) == [("TVCC", "CC7"), ("TVQT", "QT1")]
    joined = next(r for r in edition["records"] if r["match"])
    assert joined["match"]["key"] == "isbn" and joined["match"]["score"] == 0.99 and ISBN in joined["match"]["reason"]
    copies = [(h["library"], h["copies"], [i["registration_number"] for i in h["items"]]) for h in edition["holdings"]]
    assert copies == [("TVCC", 1, ["CC.001"]), ("TVQT", 2, ["QT.01", "QT.02"])]


def test_search_shows_one_hit_per_edition_with_every_library(runner, client, shared_edition):
    runner.invoke(args=["search", "sync"])
    hits = api(client, "/api/search?q=dia chi quang tri")["hits"]
    assert [hit["edition"] for hit in hits] == [shared_edition]
    assert sorted(r["library"] for r in hits[0]["records"]) == ["TVCC", "TVQT"]
    assert {h["library"]: h["copies"] for h in hits[0]["holdings"]} == {"TVCC": 1, "TVQT": 2}
    assert api(client, "/api/search?library=TVCC")["total"] == 1  # the facet counts the edition once
    assert api(client, "/api/search?q=")["total"] == 2


def test_reimport_and_reclustering_keep_the_key(runner, app, tmp_path, shared_edition):
    import_as(runner, tmp_path, "TVQT", make_record("QT1", isbn=ISBN, copies=(("TVQT", "QT.01"), ("TVQT", "QT.02"))))
    changed = make_record("CC7", org="TVCC", isbn=ISBN, title="Địa chí Quảng Trị (bản in lại)", copies=())
    import_as(runner, tmp_path, "TVCC", changed, name="cc-v2.mrc")
    assert edition_key(runner, "TVCC", "CC7") == edition_key(runner, "TVQT", "QT1") == shared_edition
    result = runner.invoke(args=["catalog", "editions", "--all"])
    assert "0 ấn bản thay đổi" in result.output, result.output
    assert edition_key(runner, "TVQT", "QT1") == shared_edition


def test_a_merged_key_redirects_to_the_edition_that_took_its_records(runner, client, tmp_path, shared_edition):
    # Hà Tĩnh catalogued the book without its ISBN and with a misspelt title: an edition of its own...
    import_as(runner, tmp_path, "TVHT", make_record("HT5", org="TVHT", title="Địa chí Quảng Tri", author="Khác"))
    alone = edition_key(runner, "TVHT", "HT5")
    assert alone != shared_edition
    # ...until it corrects the record: the two editions become one, and the old key leads there.
    import_as(runner, tmp_path, "TVHT", make_record("HT5", org="TVHT", isbn=ISBN), name="ht-v2.mrc")
    assert edition_key(runner, "TVHT", "HT5") == shared_edition
    for path in (f"/api/editions/{alone}", f"/editions/{alone}"):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"].endswith(path.replace(alone, shared_edition))
    assert len(api(client, f"/api/editions/{alone}".replace(alone, shared_edition))["records"]) == 3


def test_splitting_a_wrong_merge_gives_the_old_key_back(app, runner, client, sign_in, tmp_path, shared_edition):
    import_as(runner, tmp_path, "TVHT", make_record("HT5", org="TVHT", title="Địa chí Quảng Tri", author="Khác"))
    alone = edition_key(runner, "TVHT", "HT5")
    import_as(runner, tmp_path, "TVHT", make_record("HT5", org="TVHT", isbn=ISBN, title="Địa chí Quảng Tri",
                                                    author="Khác"), name="ht-wrong.mrc")  # a wrong ISBN: merged
    assert edition_key(runner, "TVHT", "HT5") == shared_edition
    sign_in(client, "thuthu.ht", library="TVHT")
    assert split_on_page(client, shared_edition, record_id(app, "HT5")).status_code == 302
    assert edition_key(runner, "TVHT", "HT5") == alone  # its own key again, and its old links lead to it
    assert api(client, f"/api/editions/{alone}")["records"][0]["control_number"] == "HT5"
    assert len(api(client, f"/api/editions/{shared_edition}")["records"]) == 2


def test_unknown_and_retired_editions(runner, client, tmp_path, shared_edition):
    response = client.get("/api/editions/khongco")
    assert response.status_code == 404 and "khongco" in response.get_json()["error"]
    lone = edition_key(runner, "TVQB", "QB3")
    import_as(runner, tmp_path, "TVQB", make_record("QB3", org="TVQB", title="Lịch sử Quảng Bình", year="2010",
                                                    status="d"), name="qb-delete.mrc")
    response = client.get(f"/api/editions/{lone}")
    assert response.status_code == 410 and "đã bị xóa" in response.get_json()["error"]
    assert client.get(f"/editions/{lone}").status_code == 410


def test_edition_page_shows_the_best_description_copies_and_each_library_record(runner, client, shared_edition):
    page = client.get(f"/editions/{shared_edition}").get_data(as_text=True)
    assert "Địa chí Quảng Trị" in page and "Lê Văn Thủy" in page
    assert "Thư viện huyện đảo Cồn Cỏ (1 bản)" in page and "Thư viện tỉnh Quảng Trị (2 bản)" in page
    assert "QT.01" in page and "CC.001" in page and "Nhập từ biểu ghi MARC" in page
    assert "Nhan đề và thông tin trách nhiệm" in page  # the labelled MARC view
    assert "=245  10$aĐịa chí Quảng Trị /$cNhiều tác giả." in page  # the raw view
    assert "Trùng ISBN" in page  # why the records are one edition
    assert "Tách biểu ghi" not in page  # visitors may not split


def test_edition_export_has_an_852_per_holding_library(client, shared_edition):
    response = client.get(f"/editions/{shared_edition}/export")
    assert response.status_code == 200 and response.content_type == "application/marc"
    (record,) = list(MARCReader(response.data, to_unicode=True, force_utf8=True))
    assert [(f["a"], f["z"]) for f in record.get_fields("852")] == [("TVCC", "1 bản"), ("TVQT", "2 bản")]
    assert (record["001"].data, record["003"].data) == (shared_edition, "LHTVBMT")  # the union's own identity
    assert sorted(f["a"] for f in record.get_fields("035")) == ["(TVCC)CC7", "(TVQT)QT1"]
    xml = client.get(f"/editions/{shared_edition}/export?format=marcxml")
    root = ElementTree.fromstring(xml.data)
    assert len(root.findall(".//{http://www.loc.gov/MARC21/slim}datafield[@tag='852']")) == 2


def test_an_edition_export_imported_by_a_library_is_a_new_record_of_the_same_edition(runner, client, tmp_path,
                                                                                       shared_edition):
    path = tmp_path / "union.mrc"
    path.write_bytes(client.get(f"/editions/{shared_edition}/export").data)
    result = runner.invoke(args=["catalog", "import", str(path), "--library", "TVHT"])
    assert "mới 1" in result.output, result.output
    rows = dumped(runner)
    assert rows[("TVHT", shared_edition)]["edition"] == shared_edition  # copy cataloguing: the same edition
    edition = api(client, f"/api/editions/{shared_edition}")
    # The union record's 852s made no copies, and Quảng Trị's own copies are untouched.
    assert {h["library"]: h["copies"] for h in edition["holdings"]} == {"TVCC": 1, "TVQT": 2}


def split_on_page(client, key: str, record_id: int, note: str = "Khác bản in"):
    token = token_in(client.get(f"/editions/{key}").get_data(as_text=True))
    return client.post(f"/editions/{key}/split", data={"record": record_id, "note": note, "csrf_token": token})


def record_id(app, number: str) -> int:
    with app.app_context():
        return database.session().scalar(select(Record.id).where(Record.control_number == number))


def test_a_librarian_splits_a_wrong_merge_and_it_survives_reimport(app, runner, client, sign_in, tmp_path,
                                                                     shared_edition):
    sign_in(client, "thuthu.cc", library="TVCC")
    response = split_on_page(client, shared_edition, record_id(app, "CC7"))
    assert response.status_code == 302
    cc_key = edition_key(runner, "TVCC", "CC7")
    # Of two equal parts, the one with the oldest record keeps the key.
    assert cc_key != shared_edition and edition_key(runner, "TVQT", "QT1") == shared_edition
    # The search shows both parts at once, without a `search sync`.
    assert sorted(hit["edition"] for hit in api(client, "/api/search?q=dia chi quang tri")["hits"]) == sorted(
        [shared_edition, cc_key])
    import_as(runner, tmp_path, "TVCC", make_record("CC7", org="TVCC", isbn=ISBN, title="Địa chí Quảng Trị",
                                                    copies=(("TVCC", "CC.002"),)), name="cc-v3.mrc")
    runner.invoke(args=["catalog", "editions", "--all"])
    assert edition_key(runner, "TVCC", "CC7") == cc_key != edition_key(runner, "TVQT", "QT1")
    with app.app_context():
        event = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "edition.split"))
    assert event.username == "thuthu.cc" and event.library_code == "TVCC" and event.details["note"] == "Khác bản in"
    assert event.details["edition"] == shared_edition and event.details["new_edition"] == cc_key
    runner.invoke(args=["search", "sync"])
    assert api(client, "/api/search?q=dia chi quang tri")["total"] == 2


def test_a_librarian_joins_two_entries_and_the_join_survives_reclustering(app, runner, client, sign_in, tmp_path,
                                                                         shared_edition):
    qb = edition_key(runner, "TVQB", "QB3")
    sign_in(client, "dieuphoi", role="coordinator")
    token = token_in(client.get(f"/editions/{shared_edition}").get_data(as_text=True))
    response = client.post(f"/editions/{shared_edition}/join", data={"other": qb, "csrf_token": token})
    assert response.status_code == 302
    assert edition_key(runner, "TVQB", "QB3") == edition_key(runner, "TVQT", "QT1") == shared_edition
    assert client.get(f"/api/editions/{qb}").status_code == 301
    runner.invoke(args=["catalog", "editions", "--all"])
    import_as(runner, tmp_path, "TVQB", make_record("QB3", org="TVQB", title="Lịch sử Quảng Bình (sửa)", year="2010",
                                                    copies=(("TVQB", "QB.9"),)), name="qb-v2.mrc")
    assert edition_key(runner, "TVQB", "QB3") == shared_edition
    with app.app_context():
        db = database.session()
        # Quảng Trị's edition had two records, Quảng Bình's one: each is tied to the other side.
        assert db.scalar(select(func.count()).select_from(EditionDecision).where(EditionDecision.active)) == 2
        assert db.scalar(select(AuditEvent.username).where(AuditEvent.action == "edition.join")) == "dieuphoi"


def test_splitting_and_joining_need_a_librarian_of_a_holding_library(app, runner, client, sign_in, shared_edition):
    assert client.post(f"/editions/{shared_edition}/split", data={"record": 1}).status_code in (302, 400)
    sign_in(client, "thuthu.ht", library="TVHT")
    response = split_on_page(client, shared_edition, record_id(app, "CC7"))
    assert response.status_code == 403 and "Chỉ thủ thư" in response.get_data(as_text=True)
    assert edition_key(runner, "TVCC", "CC7") == shared_edition


def test_a_librarian_may_not_fold_another_library_book_into_their_own(app, runner, client, sign_in, shared_edition):
    qb = edition_key(runner, "TVQB", "QB3")
    sign_in(client, "thuthu.cc", library="TVCC")  # Cồn Cỏ has a record in the shared edition, none in Quảng Bình's
    token = token_in(client.get(f"/editions/{shared_edition}").get_data(as_text=True))
    response = client.post(f"/editions/{shared_edition}/join", data={"other": qb, "csrf_token": token})
    assert response.status_code == 403 and "cả hai ấn bản" in response.get_data(as_text=True)
    assert edition_key(runner, "TVQB", "QB3") == qb


def test_splitting_a_record_that_stands_alone_is_refused_with_a_reason(app, runner, client, sign_in,
                                                                        shared_edition):
    sign_in(client, "dieuphoi", role="coordinator")
    lone = edition_key(runner, "TVQB", "QB3")
    response = split_on_page(client, lone, record_id(app, "QB3"))
    assert response.status_code == 409 and "đứng riêng" in response.get_data(as_text=True)
    response = split_on_page(client, lone, record_id(app, "QT1"))  # not a record of this edition
    assert response.status_code == 404


def test_an_incremental_sync_reclusters_only_the_neighbourhood(app, runner, tmp_path, shared_edition):
    others = [make_record(f"B{n}", org="TVTH", title=f"Sách số {n}", isbn=None) for n in range(30)]
    import_as(runner, tmp_path, "TVTH", *others)
    with app.app_context(), database.engine().begin() as conn:
        conn.execute(Record.__table__.update().where(Record.control_number == "CC7").values(edition_pending=True))
        outcome = sync_pending(conn)
    assert outcome.records == 2 and not outcome.full  # CC7 and the QT1 it shares an edition with
    with app.app_context(), database.engine().begin() as conn:
        assert recluster_everything(conn).records == 33


def test_every_record_has_an_edition_after_import(app, runner, shared_edition):
    with app.app_context():
        db = database.session()
        assert db.scalar(select(func.count()).select_from(Record).where(Record.edition_id.is_(None))) == 0
        assert db.scalar(select(func.count()).select_from(Edition)) == 2


def test_a_search_result_set_exports_one_record_per_edition(runner, client, shared_edition):
    runner.invoke(args=["search", "sync"])
    response = client.get("/search/export?q=quang&format=json")
    assert response.status_code == 200 and "ket-qua-tim-kiem.json" in response.headers["Content-Disposition"]
    records = json.loads(response.data)
    assert len(records) == 2  # Quảng Trị's edition (two libraries' records) and Quảng Bình's book
    titles = sorted(next(f["245"]["subfields"][0]["a"] for f in r["fields"] if "245" in f) for r in records)
    assert titles == ["Lịch sử Quảng Bình /", "Địa chí Quảng Trị /"]
    assert client.get("/search/export?q=khongcosachnay").get_data() == b""  # ISO 2709: nothing found, no bytes
    assert client.get("/search/export?q=quang&format=pdf").status_code == 400


def test_the_shared_truth_holds_in_the_catalog_before_and_after_an_update(runner, client, shared_marc):
    """vi_utf8.mrc imported as the coordinator would (each record to the library its 003 names), then
    vi_update.mrc: every truth cluster is one edition, no two clusters share one, and the search API
    shows one hit per edition."""
    truth_path = shared_marc / "vi" / "truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    for name in ("vi_utf8.mrc", "vi_update.mrc"):
        result = runner.invoke(args=["catalog", "import", str(shared_marc / "vi" / name)])
        assert result.exit_code == 0, result.output
        rows = {f"dev/{row['org_code']}/{row['control_number']}": row for row in dumped(runner).values()
                if not row["deleted"]}
        edition_of_cluster = {}
        for cluster_name, expected in truth["clusters"].items():
            keys = {rows[member]["edition"] for member in expected["members"] if member in rows}
            assert len(keys) <= 1, (name, cluster_name, keys)
            edition_of_cluster[cluster_name] = keys
        for first, second in ((a, b) for a in edition_of_cluster for b in edition_of_cluster if a < b):
            assert not edition_of_cluster[first] & edition_of_cluster[second], (name, first, second)
    after = truth["expected_after_update"]
    assert len(rows) == after["active_count"] and not set(after["deleted"]) & set(rows)
    runner.invoke(args=["search", "sync"])
    editions = {row["edition"] for row in rows.values()}
    assert api(client, f"/api/search?q=&per_page={len(editions)}")["total"] == len(editions)


def test_a_join_of_two_editions_of_several_records_keeps_every_record():
    from catalog.marc_mapping import map_record
    first = [map_record(make_record(f"A{n}", org=org, isbn=ISBN, year="2005")) for n, org in enumerate(("TVQT", "TVCC"))]
    second = [map_record(make_record(f"B{n}", org=org, isbn=OTHER_ISBN, year="2006"))
              for n, org in enumerate(("TVQB", "TVHT"))]
    items = [(1, first[0]), (2, first[1]), (3, second[0]), (4, second[1])]
    assert [c.members for c in cluster(items)] == [(1, 2), (3, 4)]
    # What join_editions stores: the first record of one side with each of the other's, and back.
    assert [c.members for c in cluster(items, must_link=[(1, 3), (1, 4), (2, 3)])] == [(1, 2, 3, 4)]


def test_the_look_for_records_waiting_for_an_edition_reads_the_partial_index_not_the_table(app):
    """The index follower looks twice a second; on SQLite the partial index's condition must be the one SQLAlchemy
    writes (`edition_pending = 1`), or the look reads every record (about 50 ms at 100,000 records)."""
    from sqlalchemy import text

    from catalog.models import Record

    with app.app_context():
        engine = database.engine()
        if engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's planner matches `WHERE edition_pending` itself")
        query = select(Record.id).where(Record.edition_pending).limit(1)
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_record_edition_pending" in plan, plan
