"""OAI-PMH 2.0 at /oai, harvested for real with Sickle over HTTP: verbs, paging, dates, sets, deletions, errors."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import requests
from lxml import etree
from pymarc import Field, Indicators, Subfield, parse_xml_to_array
from sickle import Sickle, oaiexceptions
from sickle.iterator import OAIResponseIterator
from sqlalchemy import select, update

import database
from catalog.export import stored_record
from catalog.importer import import_file
from catalog.marc_writer import to_iso2709
from catalog.models import Record, utcnow
from protocols.oai_dc import dublin_core
from tests.factories import iso2709, make_record, write
from tests.http_server import serving

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SLIM = "{http://www.loc.gov/MARC21/slim}"
DC = "{http://purl.org/dc/elements/1.1/}"
REPOSITORY = "mucluc.lhtv-bmt.vn"
QUANG_TRI = [f"QT{n:04d}" for n in range(1, 6)]
QUANG_BINH = ["QB0001", "QB0002"]
LONG_AGO = datetime(2024, 3, 15, 8, 30, 0)


def run_import(app, tmp_path, name: str, *records, library: str = "TVQT"):
    with app.app_context():
        return import_file(database.engine(), write(tmp_path / name, iso2709(*records)), library_code=library)


def record_ids(app) -> dict[str, int]:
    with app.app_context():
        return dict(database.session().execute(select(Record.control_number, Record.id)).tuples().all())


def set_updated(app, control_numbers, when: datetime) -> None:
    with app.app_context(), database.transaction() as db:
        db.execute(update(Record).where(Record.control_number.in_(control_numbers)).values(updated_at=when))


def identifier(record_id: int) -> str:
    return f"oai:{REPOSITORY}:{record_id}"


@pytest.fixture
def catalog(app, tmp_path):
    """Five records of Quảng Trị (the first with a summary and an ISBN) and two of Quảng Bình."""
    first = make_record(QUANG_TRI[0], isbn="9786045800010")
    first.add_field(Field(tag="520", indicators=Indicators(" ", " "),
                          subfields=[Subfield("a", "Lịch sử, địa lý và con người Quảng Trị.")]))
    run_import(app, tmp_path, "qt.mrc", first, *(make_record(number) for number in QUANG_TRI[1:]))
    run_import(app, tmp_path, "qb.mrc", *(make_record(number, org="TVQB", title="Non nước Quảng Bình",
                                                      copies=(("TVQB", number),)) for number in QUANG_BINH),
               library="TVQB")
    return record_ids(app)


@pytest.fixture
def oai(app):
    """The application served over HTTP, three items a page; the URL of /oai."""
    app.config["OAI_PAGE_SIZE"] = 3
    with serving(app) as url:
        yield url


def test_identify(oai, catalog):
    identity = Sickle(oai).Identify()
    assert identity.repositoryName == "Mục lục liên hợp — Liên hiệp Thư viện Bắc Miền Trung"
    assert identity.baseURL == oai
    assert identity.protocolVersion == "2.0"
    assert identity.adminEmail == f"admin@{REPOSITORY}"
    assert identity.deletedRecord == "persistent"
    assert identity.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert datetime.strptime(identity.earliestDatestamp, "%Y-%m-%dT%H:%M:%SZ") <= utcnow()
    assert identity.repositoryIdentifier == REPOSITORY
    assert identity.sampleIdentifier == identifier(1)


def test_identify_follows_the_configuration(app, oai):
    app.config.update(OAI_REPOSITORY_ID="oai.example.vn", OAI_ADMIN_EMAIL="thuvien@example.vn")
    identity = Sickle(oai).Identify()
    assert (identity.repositoryIdentifier, identity.adminEmail) == ("oai.example.vn", "thuvien@example.vn")


def test_metadata_formats(oai, catalog):
    formats = {item.metadataPrefix: item for item in Sickle(oai).ListMetadataFormats()}
    assert formats.keys() == {"oai_dc", "marc21"}
    assert formats["marc21"].metadataNamespace == "http://www.loc.gov/MARC21/slim"
    assert formats["marc21"].schema == "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
    assert formats["oai_dc"].metadataNamespace == "http://www.openarchives.org/OAI/2.0/oai_dc/"
    one = Sickle(oai).ListMetadataFormats(identifier=identifier(catalog["QT0001"]))
    assert {item.metadataPrefix for item in one} == {"oai_dc", "marc21"}
    with pytest.raises(oaiexceptions.IdDoesNotExist):
        Sickle(oai).ListMetadataFormats(identifier=identifier(999999))


def test_one_set_per_library(oai, catalog):
    sets = {item.setSpec: item.setName for item in Sickle(oai).ListSets()}
    assert sets["TVQT"] == "Thư viện tỉnh Quảng Trị"
    assert sets["TVCC"] == "Thư viện huyện đảo Cồn Cỏ"
    assert len(sets) == 7


def test_list_records_pages_through_every_record(oai, catalog):
    records = list(Sickle(oai).ListRecords(metadataPrefix="marc21"))
    assert [record.header.identifier for record in records] == [identifier(catalog[number])
                                                                 for number in QUANG_TRI + QUANG_BINH]
    assert [record.header.setSpecs for record in records] == [["TVQT"]] * 5 + [["TVQB"]] * 2
    marc = parse_xml_to_array(io.BytesIO(etree.tostring(records[0].xml.find(f".//{SLIM}record"))))[0]
    assert (marc["001"].data, marc["245"]["a"]) == ("QT0001", "Địa chí Quảng Trị /")


def test_resumption_tokens_carry_size_and_cursor(oai, catalog):
    pages = list(Sickle(oai, iterator=OAIResponseIterator).ListIdentifiers(metadataPrefix="oai_dc"))
    tokens = [page.xml.find(f".//{OAI}resumptionToken") for page in pages]
    assert [len(page.xml.findall(f".//{OAI}header")) for page in pages] == [3, 3, 1]
    assert [(token.get("completeListSize"), token.get("cursor")) for token in tokens] == [("7", "0"), ("7", "3"),
                                                                                         ("7", "6")]
    assert tokens[0].text and tokens[1].text and not tokens[2].text  # the last page's token is empty


def test_a_list_that_fits_one_page_has_no_token(oai, catalog):
    page = next(iter(Sickle(oai, iterator=OAIResponseIterator).ListRecords(metadataPrefix="oai_dc", set="TVQB")))
    assert page.xml.find(f".//{OAI}resumptionToken") is None


def test_tokens_stay_stable_while_records_are_added(app, oai, catalog, tmp_path):
    pages = iter(Sickle(oai, iterator=OAIResponseIterator).ListIdentifiers(metadataPrefix="marc21"))
    seen = [header.findtext(f"{OAI}identifier") for header in next(pages).xml.iter(f"{OAI}header")]
    run_import(app, tmp_path, "new.mrc", make_record("QT0100"), make_record("QT0101"))
    for page in pages:
        seen += [header.findtext(f"{OAI}identifier") for header in page.xml.iter(f"{OAI}header")]
    ids = record_ids(app)
    assert seen == [identifier(ids[number]) for number in QUANG_TRI + QUANG_BINH + ["QT0100", "QT0101"]]


def test_oai_dc_from_the_marc(oai, catalog):
    record = Sickle(oai).GetRecord(identifier=identifier(catalog["QT0001"]), metadataPrefix="oai_dc")
    assert record.metadata == {
        "title": ["Địa chí Quảng Trị"], "creator": ["Lê Văn Thủy"], "subject": ["Quảng Trị"],
        "description": ["Lịch sử, địa lý và con người Quảng Trị."], "publisher": ["Sở Văn hóa Thông tin"],
        "date": ["2006"], "type": ["Text"], "identifier": ["urn:isbn:9786045800010"], "language": ["vie"],
    }


def test_dublin_core_reads_700_651_264_and_041():
    record = make_record("QT0009", author="Nguyễn Văn A")
    record.remove_fields("008", "260")
    record.add_field(Field(tag="041", indicators=Indicators("0", " "), subfields=[Subfield("a", "fre")]),
                     Field(tag="264", indicators=Indicators(" ", "1"), subfields=[Subfield("b", "Nxb. Thuận Hóa,"),
                                                                                 Subfield("c", "2019")]),
                     Field(tag="700", indicators=Indicators("1", " "), subfields=[Subfield("a", "Trần Thị B.")]))
    assert dublin_core(record) == [("title", "Địa chí Quảng Trị"), ("creator", "Nguyễn Văn A"),
                                   ("creator", "Trần Thị B"), ("subject", "Quảng Trị"),
                                   ("publisher", "Nxb. Thuận Hóa"), ("date", "2019"), ("type", "Text"),
                                   ("language", "fre")]


def test_get_record_in_marcxml_is_the_stored_record(app, oai, catalog):
    record = Sickle(oai).GetRecord(identifier=identifier(catalog["QB0002"]), metadataPrefix="marc21")
    marc = parse_xml_to_array(io.BytesIO(etree.tostring(record.xml.find(f".//{SLIM}record"))))[0]
    with app.app_context():
        stored = stored_record(database.session().get(Record, catalog["QB0002"]).marc)
    assert marc.as_marc() == stored.as_marc()
    assert record.header.setSpecs == ["TVQB"]


def test_from_and_until_by_second_and_by_day(app, oai, catalog):
    set_updated(app, QUANG_TRI[:2], LONG_AGO)
    set_updated(app, QUANG_TRI[2:3], LONG_AGO + timedelta(days=1))
    harvest = Sickle(oai)

    def numbers(**dates) -> list[str]:
        items = harvest.ListIdentifiers(metadataPrefix="oai_dc", **dates)
        return [int(header.identifier.rsplit(":", 1)[1]) for header in items]

    old = [catalog[number] for number in QUANG_TRI[:2]]
    assert numbers(until="2024-03-15T08:30:00Z") == old
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        numbers(until="2024-03-15T08:29:59Z")
    assert numbers(until="2024-03-15") == old  # a day's until takes in the whole day
    assert numbers(**{"from": "2024-03-15", "until": "2024-03-16"}) == old + [catalog["QT0003"]]
    assert numbers(**{"from": "2024-03-15T08:30:01Z", "until": "2024-03-16T08:30:00Z"}) == [catalog["QT0003"]]
    recent = numbers(**{"from": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert recent == [catalog[number] for number in QUANG_TRI[3:] + QUANG_BINH]


def test_set_filtering(oai, catalog):
    headers = Sickle(oai).ListIdentifiers(metadataPrefix="marc21", set="TVQB")
    assert [header.identifier for header in headers] == [identifier(catalog[number]) for number in QUANG_BINH]
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        Sickle(oai).ListRecords(metadataPrefix="marc21", set="TVCC")
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        Sickle(oai).ListRecords(metadataPrefix="marc21", set="KHONGCO")


def test_a_deleted_record_stays_as_a_deleted_header(app, oai, catalog, tmp_path):
    run_import(app, tmp_path, "xoa.mrc", make_record("QT0002", status="d"))
    target = identifier(catalog["QT0002"])
    records = {record.header.identifier: record for record in Sickle(oai).ListRecords(metadataPrefix="oai_dc")}
    assert records[target].deleted and records[target].xml.find(f"{OAI}metadata") is None
    assert not records[identifier(catalog["QT0001"])].deleted
    headers = {header.identifier: header for header in Sickle(oai).ListIdentifiers(metadataPrefix="marc21")}
    assert headers[target].deleted
    one = Sickle(oai).GetRecord(identifier=target, metadataPrefix="marc21")
    assert one.deleted and one.header.setSpecs == ["TVQT"]


def test_post_works_like_get_without_a_csrf_token(oai, catalog):
    by_post = list(Sickle(oai, http_method="POST").ListRecords(metadataPrefix="oai_dc"))
    by_get = list(Sickle(oai).ListRecords(metadataPrefix="oai_dc"))
    assert [record.raw for record in by_post] == [record.raw for record in by_get]
    assert len(by_post) == 7


def test_post_from_a_signed_in_browser_needs_no_csrf_token(client, sign_in, catalog):
    sign_in(client, "thuthu.qt")
    response = client.post("/oai", data={"verb": "Identify"})
    assert response.status_code == 200
    assert etree.fromstring(response.data).find(f"{OAI}Identify") is not None


def test_answers_are_utf8_xml(oai, catalog):
    response = requests.get(oai, params={"verb": "ListSets"}, timeout=10)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert "Thư viện tỉnh Quảng Trị" in response.content.decode("utf-8")


@pytest.mark.parametrize("call, error", [
    (lambda s: OAIResponseIterator(s, {"verb": "ListEverything"}), oaiexceptions.BadVerb),
    (lambda s: OAIResponseIterator(s, {}), oaiexceptions.BadVerb),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", colour="blue"), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", **{"from": "15/03/2024"}), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-03-15T08:30:00.5Z"}), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-02-30"}), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-03-15", "until": "2024-03-16T00:00:00Z"}),
     oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-03-16", "until": "2024-03-15"}),
     oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", set="TV QT"), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="mods"), oaiexceptions.CannotDisseminateFormat),
    (lambda s: s.ListIdentifiers(metadataPrefix="dc"), oaiexceptions.CannotDisseminateFormat),
    (lambda s: s.ListRecords(resumptionToken="khong-phai-ma"), oaiexceptions.BadResumptionToken),
    (lambda s: s.ListRecords(resumptionToken="eyJwIjoibWFyYzIxIn0"), oaiexceptions.BadResumptionToken),
    (lambda s: s.ListSets(resumptionToken="bat-ky"), oaiexceptions.BadResumptionToken),
    (lambda s: s.GetRecord(identifier=identifier(999999), metadataPrefix="oai_dc"), oaiexceptions.IdDoesNotExist),
    (lambda s: s.GetRecord(identifier="oai:other.example:1", metadataPrefix="oai_dc"), oaiexceptions.IdDoesNotExist),
    (lambda s: s.GetRecord(identifier=identifier(1), metadataPrefix="mods"), oaiexceptions.CannotDisseminateFormat),
    (lambda s: s.GetRecord(identifier=identifier(1)), oaiexceptions.BadArgument),
    (lambda s: s.ListRecords(metadataPrefix="oai_dc", until="1990-01-01"), oaiexceptions.NoRecordsMatch),
])
def test_protocol_errors(oai, catalog, call, error):
    with pytest.raises(error):
        call(Sickle(oai))


@pytest.mark.parametrize("query, code, echoed", [
    ("verb=Identify&verb=Identify", "badVerb", False),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marc21", "badArgument", False),
    ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=abc", "badArgument", False),
    ("verb=Identify&identifier=x", "badArgument", False),
    ("verb=ListRecords&metadataPrefix=", "badArgument", False),
    ("verb=ListRecords&metadataPrefix=%00", "cannotDisseminateFormat", True),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=%00", "badArgument", False),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=%00", "badArgument", False),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mucluc.lhtv-bmt.vn:%00", "idDoesNotExist", True),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mucluc.lhtv-bmt.vn:99999999999999999999",
     "idDoesNotExist", True),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mucluc.lhtv-bmt.vn:-1", "idDoesNotExist", True),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mucluc.lhtv-bmt.vn:01", "idDoesNotExist", True),
    ("verb=ListRecords&resumptionToken=%FF%FE", "badResumptionToken", True),
    ("verb=ListRecords&resumptionToken=" + "W" * 400, "badResumptionToken", True),
    ("verb=ListRecords&resumptionToken=eyJwIjoibWFyYzIxIiwiZiI6bnVsbCwidSI6bnVsbCwicyI6bnVsbCwiYSI6LTEsImMiOjB9",
     "badResumptionToken", True),
])
def test_errors_and_the_request_element(client, catalog, query, code, echoed):
    response = client.get(f"/oai?{query}")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert [error.get("code") for error in root.iter(f"{OAI}error")] == [code]
    request = root.find(f"{OAI}request")
    assert request.text == "http://localhost/oai"
    assert bool(request.attrib) == echoed  # no attributes after badVerb and badArgument, as the protocol says


def test_a_posted_identifier_of_ten_thousand_digits_is_no_record(client, catalog):
    response = client.post("/oai", data={"verb": "GetRecord", "metadataPrefix": "marc21",
                                         "identifier": f"oai:{REPOSITORY}:{'9' * 10_000}"})
    assert [error.get("code") for error in etree.fromstring(response.data).iter(f"{OAI}error")] == ["idDoesNotExist"]


def test_characters_xml_cannot_carry_are_replaced(app, oai, tmp_path):
    """A stored value may hold one from a legacy export; the answer must stay well-formed XML."""
    run_import(app, tmp_path, "odd.mrc", make_record("QT0777"))
    with app.app_context(), database.transaction() as db:
        db.execute(update(Record).values(marc=to_iso2709(make_record("QT0777", title="Địa chí\x0b Quảng Trị"))))
    for prefix in ("oai_dc", "marc21"):
        record = next(iter(Sickle(oai).ListRecords(metadataPrefix=prefix)))
        assert "Địa chí\ufffd Quảng Trị" in record.raw
