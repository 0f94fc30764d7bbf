"""SRU 1.2 at /sru as cataloguing systems use it: explain, CQL searches, paging, MARCXML and DC, diagnostics,
and a real SRU client (YAZ's yaz-client) talking to the server over HTTP."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from pymarc import Field, Indicators, Subfield
from sqlalchemy import update
from werkzeug.serving import make_server

import database
from catalog.importer import import_file
from catalog.models import Record
from tests.factories import iso2709, make_record, write
from tests.test_hostile_params import HOSTILE, RAW

SRW = "http://www.loc.gov/zing/srw/"
DIAG = "http://www.loc.gov/zing/srw/diagnostic/"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
MARC = "http://www.loc.gov/MARC21/slim"
SRW_DC = "info:srw/schema/1/dc-schema"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"zs": SRW, "diag": DIAG, "zr": ZEEREX, "marc": MARC, "srw_dc": SRW_DC, "dc": DC}
VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
YAZ_CLIENT = shutil.which("yaz-client")
needs_yaz = pytest.mark.skipif(YAZ_CLIENT is None, reason="yaz-client is not installed (Debian: apt-get install yaz)")


def book(number: str, title: str, author: str, year: str, org: str = "TVQT", isbn: str | None = None,
         subject: str | None = None, publisher: str | None = None):
    record = make_record(number, org=org, title=title, author=author, year=year, isbn=isbn,
                         copies=((org, f"{org}.{number}"),))
    record.remove_fields("651")  # the factory's Quảng Trị would be in every record
    if subject:
        record.add_ordered_field(Field("650", Indicators(" ", "7"), [Subfield("a", subject)]))
    if publisher:
        record.remove_fields("260")
        record.add_ordered_field(Field("260", Indicators(" ", " "), [Subfield("a", "Huế :"),
                                                                      Subfield("b", f"{publisher},"),
                                                                      Subfield("c", year)]))
    return record


BOOKS = [
    book("QT1", "Địa chí Quảng Trị", "Lê Văn Thủy", "2006", subject="Địa chí"),
    book("QT2", "Thành cổ Quảng Trị", "Nguyễn Văn Tác", "2012", isbn="978-604-57-1405-8", subject="Lịch sử"),
    book("QB1", "Địa chí Quảng Bình", "Nguyễn Thị Bình", "2005", org="TVQB", subject="Địa chí"),
    book("QB2", "Đồng Hới xưa và nay", "Trần Hới", "2010", org="TVQB", subject="Văn hóa dân gian"),
    book("TH1", "Lịch sử Thanh Hoá", "Lê Hoá", "1995", org="TVTH", publisher="Nxb. Thuận Hóa"),
]
EVERY_TITLE = {"Địa chí Quảng Trị", "Thành cổ Quảng Trị", "Địa chí Quảng Bình", "Đồng Hới xưa và nay",
               "Lịch sử Thanh Hoá"}


@pytest.fixture
def catalog(app, tmp_path):
    with app.app_context():
        import_file(database.engine(), write(tmp_path / "sru.mrc", iso2709(*BOOKS)))
    return app


def sru(client, **params) -> ET.Element:
    response = client.get("/sru", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml" and response.mimetype_params["charset"] == "utf-8"
    return ET.fromstring(response.data)


def search(client, query: str, **params) -> ET.Element:
    return sru(client, operation="searchRetrieve", version="1.2", query=query, **params)


def total(root: ET.Element) -> int:
    return int(root.findtext("zs:numberOfRecords", namespaces=NS))


def titles(root: ET.Element) -> list[str]:
    """The 245 $a of each MARCXML record, without its ISBD slash."""
    return [field.text.rstrip(" /") for field in root.iterfind(
        "zs:records/zs:record/zs:recordData/marc:record/marc:datafield[@tag='245']/marc:subfield[@code='a']", NS)]


def found(client, query: str) -> set[str]:
    root = search(client, query, maximumRecords="100")
    assert not diagnostics(root), diagnostics(root)
    assert total(root) == len(titles(root))
    return set(titles(root))


def diagnostics(root: ET.Element) -> list[tuple[str, str | None, str]]:
    return [(d.findtext("diag:uri", namespaces=NS), d.findtext("diag:details", namespaces=NS),
             d.findtext("diag:message", namespaces=NS)) for d in root.iterfind(".//diag:diagnostic", NS)]


# --- explain ----------------------------------------------------------------------------------------------------


def test_explain_is_the_default_and_describes_indexes_and_schemas(client):
    root = sru(client)
    assert root.tag == f"{{{SRW}}}explainResponse" and root.findtext("zs:version", namespaces=NS) == "1.2"
    record = root.find("zs:record", NS)
    assert record.findtext("zs:recordSchema", namespaces=NS) == ZEEREX
    explain = record.find("zs:recordData/zr:explain", NS)
    assert explain.findtext("zr:serverInfo/zr:database", namespaces=NS) == "sru"
    assert explain.find("zr:serverInfo", NS).get("protocol") == "SRU"
    names = explain.iterfind("zr:indexInfo/zr:index/zr:map/zr:name", NS)
    indexes = {f"{name.get('set')}.{name.text}" for name in names}
    assert {"cql.serverChoice", "dc.title", "dc.creator", "dc.subject", "bath.isbn", "dc.date"} <= indexes
    schemas = {schema.get("identifier") for schema in explain.iterfind("zr:schemaInfo/zr:schema", NS)}
    assert schemas == {"info:srw/schema/1/marcxml-v1.1", "info:srw/schema/1/dc-v1.1"}
    assert explain.find("zr:configInfo/zr:setting[@type='maximumRecords']", NS).text == "100"
    assert sru(client, operation="explain", version="1.1").findtext("zs:version", namespaces=NS) == "1.1"


def test_explain_as_a_string(client):
    data = sru(client, operation="explain", recordPacking="string").findtext("zs:record/zs:recordData", namespaces=NS)
    assert ET.fromstring(data).tag == f"{{{ZEEREX}}}explain"


def test_every_index_the_explain_record_lists_can_be_searched(catalog, client):
    explain = sru(client).find("zs:record/zs:recordData/zr:explain", NS)
    for name in explain.iterfind("zr:indexInfo/zr:index/zr:map/zr:name", NS):
        assert not diagnostics(search(client, f"{name.get('set')}.{name.text}=2006")), name.text


# --- searchRetrieve ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ('"quang tri"', {"Địa chí Quảng Trị", "Thành cổ Quảng Trị"}),
    ('cql.serverChoice="dia chi"', {"Địa chí Quảng Trị", "Địa chí Quảng Bình"}),
    ('cql.anywhere all "quang binh dia"', {"Địa chí Quảng Bình"}),
    ('dc.title="dia chi"', {"Địa chí Quảng Trị", "Địa chí Quảng Bình"}),
    ('dc.title all "quang tri dia chi"', {"Địa chí Quảng Trị"}),  # words in any order
    ('dc.title="tri quang"', set()),  # "=" on several words: a phrase
    ('dc.title any "binh hoi"', {"Địa chí Quảng Bình", "Đồng Hới xưa và nay"}),
    ("dc.title=quang*", {"Địa chí Quảng Trị", "Thành cổ Quảng Trị", "Địa chí Quảng Bình"}),
    ("title=thanh", {"Thành cổ Quảng Trị", "Lịch sử Thanh Hoá"}),
    ('dc.creator="Nguyễn Văn Tác"', {"Thành cổ Quảng Trị"}),
    ('dc.creator="le"', {"Địa chí Quảng Trị", "Lịch sử Thanh Hoá"}),
    ('dc.subject="van hoa dan gian"', {"Đồng Hới xưa và nay"}),
    ('dc.publisher="thuan hoa"', {"Lịch sử Thanh Hoá"}),
    ("bath.isbn=978-604-57-1405-8", {"Thành cổ Quảng Trị"}),
    ("bath.isbn=6045714059", {"Thành cổ Quảng Trị"}),  # its ISBN-10
    ("9786045714058", {"Thành cổ Quảng Trị"}),
    ("dc.date=2005", {"Địa chí Quảng Bình"}),
    ("dc.date>=2010", {"Thành cổ Quảng Trị", "Đồng Hới xưa và nay"}),
    ("dc.date<2005", {"Lịch sử Thanh Hoá"}),
    ('dc.date within "1990 2005"', {"Lịch sử Thanh Hoá", "Địa chí Quảng Bình"}),
    ("cql.allRecords=1", EVERY_TITLE),
])
def test_each_index(catalog, client, query, expected):
    assert found(client, query) == expected


@pytest.mark.parametrize("query, expected", [
    ("dc.title=dia and dc.title=binh", {"Địa chí Quảng Bình"}),
    ("dc.title=dong or dc.creator=tac", {"Đồng Hới xưa và nay", "Thành cổ Quảng Trị"}),
    ('dc.title="dia chi" not dc.title=binh', {"Địa chí Quảng Trị"}),
    # one precedence, left to right: (dia or dong) and 2010
    ("dc.title=dia or dc.title=dong and dc.date=2010", {"Đồng Hới xưa và nay"}),
    ("dc.title=dia or (dc.title=dong and dc.date=2010)",
     {"Địa chí Quảng Trị", "Địa chí Quảng Bình", "Đồng Hới xưa và nay"}),
    # a word excluded without its diacritics excludes the books that have them
    ("quảng not tri", {"Địa chí Quảng Bình"}),
    ("cql.allRecords=1 not dc.creator=nguyen", {"Địa chí Quảng Trị", "Đồng Hới xưa và nay", "Lịch sử Thanh Hoá"}),
])
def test_booleans_and_parentheses(catalog, client, query, expected):
    assert found(client, query) == expected


@pytest.mark.parametrize("typed", ["Địa chí Quảng Trị", "dia chi quang tri", "ĐỊA CHÍ QUẢNG TRỊ",
                                   unicodedata.normalize("NFD", "Địa chí Quảng Trị")])
def test_with_or_without_diacritics(catalog, client, typed):
    assert found(client, f'dc.title="{typed}"') == {"Địa chí Quảng Trị"}


def test_either_tone_placement(catalog, client):
    assert found(client, 'dc.title="thanh hóa"') == found(client, 'dc.title="thanh hoá"') == {"Lịch sử Thanh Hoá"}


def test_paging_walks_the_whole_result_in_order(catalog, client):
    everything = titles(search(client, "cql.allRecords=1"))
    assert len(everything) == 5
    first = search(client, "cql.allRecords=1", maximumRecords="2")
    assert titles(first) == everything[:2] and first.findtext("zs:nextRecordPosition", namespaces=NS) == "3"
    positions = [p.text for p in first.iterfind("zs:records/zs:record/zs:recordPosition", NS)]
    assert positions == ["1", "2"]
    second = search(client, "cql.allRecords=1", startRecord="3", maximumRecords="2")
    assert titles(second) == everything[2:4] and second.findtext("zs:nextRecordPosition", namespaces=NS) == "5"
    last = search(client, "cql.allRecords=1", startRecord="5", maximumRecords="2")
    assert titles(last) == everything[4:] and last.find("zs:nextRecordPosition", NS) is None
    # a window that is not a multiple of its size
    assert titles(search(client, "cql.allRecords=1", startRecord="2", maximumRecords="3")) == everything[1:4]


def test_counting_only_and_the_cap(catalog, client):
    counted = search(client, "cql.allRecords=1", maximumRecords="0")
    assert total(counted) == 5 and counted.find("zs:records", NS) is None
    assert len(titles(search(client, "cql.allRecords=1", maximumRecords="100000"))) == 5


def test_records_as_marcxml_by_any_of_its_names(catalog, client):
    for name in ("", "marcxml", "MARCXML", "marc21", "info:srw/schema/1/marcxml-v1.1"):
        record = search(client, 'dc.title="dia chi quang tri"', recordSchema=name).find("zs:records/zs:record", NS)
        assert record.findtext("zs:recordSchema", namespaces=NS) == "info:srw/schema/1/marcxml-v1.1"
        assert record.findtext("zs:recordPacking", namespaces=NS) == "xml"
        marc = record.find("zs:recordData/marc:record", NS)
        assert "(TVQT)QT1" in system_numbers(marc)  # the union's record of the edition names the library's
        assert marc.find("marc:datafield[@tag='852']/marc:subfield[@code='a']", NS).text == "TVQT"


def test_records_as_dublin_core(catalog, client):
    for name in ("dc", "info:srw/schema/1/dc-v1.1"):
        record = search(client, "bath.isbn=9786045714058", recordSchema=name).find("zs:records/zs:record", NS)
        assert record.findtext("zs:recordSchema", namespaces=NS) == "info:srw/schema/1/dc-v1.1"
        dc = record.find("zs:recordData/srw_dc:dc", NS)
        assert dc.findtext("dc:title", namespaces=NS) == "Thành cổ Quảng Trị"
        assert dc.findtext("dc:creator", namespaces=NS) == "Nguyễn Văn Tác"
        assert dc.findtext("dc:date", namespaces=NS) == "2012"
        assert "urn:isbn:9786045714058" in [e.text for e in dc.iterfind("dc:identifier", NS)]


def test_records_packed_as_strings(catalog, client):
    root = search(client, 'dc.title="dia chi quang tri"', recordPacking="string")
    record = root.find("zs:records/zs:record", NS)
    assert record.findtext("zs:recordPacking", namespaces=NS) == "string"
    marc = ET.fromstring(record.findtext("zs:recordData", namespaces=NS))
    assert marc.tag == f"{{{MARC}}}record" and "(TVQT)QT1" in system_numbers(marc)


def test_the_request_is_echoed(catalog, client):
    echoed = search(client, "dc.title=dia", startRecord="1", maximumRecords="1", recordSchema="dc").find(
        "zs:echoedSearchRetrieveRequest", NS)
    assert [(child.tag.split("}")[1], child.text) for child in echoed] == [
        ("version", "1.2"), ("query", "dc.title=dia"), ("startRecord", "1"), ("maximumRecords", "1"),
        ("recordSchema", "dc")]


def test_a_record_gone_since_indexing_stands_as_a_surrogate_diagnostic(catalog, client):
    with catalog.app_context(), database.transaction() as db:  # deleted behind the index's back
        db.execute(update(Record).where(Record.control_number == "QT1").values(deleted=True))
    root = search(client, 'dc.title="dia chi"')
    records = {r.findtext("zs:recordPosition", namespaces=NS): r for r in root.iterfind("zs:records/zs:record", NS)}
    assert len(records) == 2
    gone = [r for r in records.values()
            if r.findtext("zs:recordSchema", namespaces=NS) == "info:srw/schema/1/diagnostics-v1.1"]
    assert len(gone) == 1
    assert gone[0].findtext("zs:recordData/diag:diagnostic/diag:uri", namespaces=NS) == "info:srw/diagnostic/1/65"
    assert titles(root) == ["Địa chí Quảng Bình"]


# --- diagnostics ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, number, answer", [
    ({"operation": "scan", "scanClause": "dc.title=x"}, 4, "explainResponse"),
    ({"operation": "update"}, 4, "explainResponse"),
    ({"operation": "searchRetrieve", "version": "2.0", "query": "x"}, 5, "searchRetrieveResponse"),
    ({"version": "1.0"}, 5, "explainResponse"),
    ({"query": "x", "startRecord": "0"}, 6, "searchRetrieveResponse"),
    ({"query": "x", "startRecord": "abc"}, 6, "searchRetrieveResponse"),
    ({"query": "x", "maximumRecords": "-1"}, 6, "searchRetrieveResponse"),
    ({"operation": "searchRetrieve", "version": "1.2"}, 7, "searchRetrieveResponse"),
    ({"operation": "searchRetrieve", "query": "  "}, 7, "searchRetrieveResponse"),
    ({"query": "dc.title="}, 10, "searchRetrieveResponse"),
    ({"query": "dia chi"}, 10, "searchRetrieveResponse"),
    ({"query": "x" * 1001}, 12, "searchRetrieveResponse"),
    ({"query": "(dc.title=x"}, 13, "searchRetrieveResponse"),
    ({"query": 'dc.title="x'}, 14, "searchRetrieveResponse"),
    ({"query": "marc.245=x"}, 15, "searchRetrieveResponse"),
    ({"query": "dc.identifier=x"}, 16, "searchRetrieveResponse"),
    ({"query": "dc.title<x"}, 19, "searchRetrieveResponse"),
    ({"query": "dc.title =/stem x"}, 20, "searchRetrieveResponse"),
    ({"query": 'dc.title=""'}, 27, "searchRetrieveResponse"),
    ({"query": "dc.title=qu?ng"}, 28, "searchRetrieveResponse"),
    ({"query": "dc.title=^quang"}, 31, "searchRetrieveResponse"),
    ({"query": 'dc.title adj "quang tr*"'}, 33, "searchRetrieveResponse"),
    ({"query": "dc.date=nam"}, 36, "searchRetrieveResponse"),
    ({"query": "quang prox tri"}, 37, "searchRetrieveResponse"),
    ({"query": "a or " * 51 + "a"}, 38, "searchRetrieveResponse"),
    ({"query": "quang and/rel.combine=sum tri"}, 46, "searchRetrieveResponse"),
    ({"query": "q*ng"}, 49, "searchRetrieveResponse"),
    ({"query": "quang", "startRecord": "99"}, 61, "searchRetrieveResponse"),
    ({"query": "quang", "recordSchema": "mods"}, 66, "searchRetrieveResponse"),
    ({"query": "quang", "recordPacking": "json"}, 71, "searchRetrieveResponse"),
    ({"operation": "explain", "recordPacking": "json"}, 71, "explainResponse"),
    ({"query": "quang", "recordXPath": "/record"}, 72, "searchRetrieveResponse"),
    ({"query": "quang", "sortKeys": "title,,1"}, 80, "searchRetrieveResponse"),
    ({"query": "quang sortby dc.title"}, 80, "searchRetrieveResponse"),
    ({"query": "quang", "stylesheet": "/static/sru.xsl"}, 110, "searchRetrieveResponse"),
])
def test_every_diagnostic(catalog, client, params, number, answer):
    root = sru(client, **params)
    assert root.tag == f"{{{SRW}}}{answer}"
    [(uri, _details, message)] = diagnostics(root)
    assert uri == f"info:srw/diagnostic/1/{number}"
    assert VIETNAMESE.search(message), message
    if answer == "searchRetrieveResponse" and number != 61:
        assert total(root) == 0 and root.find("zs:records", NS) is None


def test_diagnostics_name_what_was_wrong(catalog, client):
    assert diagnostics(search(client, "dc.identifier=x"))[0][1] == "dc.identifier"
    assert diagnostics(search(client, "quang", recordSchema="mods"))[0][1] == "mods"
    out_of_range = search(client, "quang", startRecord="99")
    assert diagnostics(out_of_range)[0][1] == "99" and total(out_of_range) == 3  # the count still comes


def test_an_empty_result_is_no_error(catalog, client):
    root = search(client, "dc.title=khongco")
    assert total(root) == 0 and not diagnostics(root)


def test_characters_xml_cannot_carry_never_break_the_answer(catalog, client):
    root = search(client, "dc.title=\x00\x1b<x>&", recordSchema="\x01")
    assert diagnostics(root)[0][0] == "info:srw/diagnostic/1/66"
    echoed = search(client, "quang\x0b").findtext("zs:echoedSearchRetrieveRequest/zs:query", namespaces=NS)
    assert echoed == "quang\ufffd"


@pytest.mark.parametrize("name", ["operation", "version", "query", "startRecord", "maximumRecords", "recordSchema",
                                  "recordPacking", "recordXPath", "sortKeys", "stylesheet", "x-extra"])
def test_hostile_values_get_an_answer_never_an_error(catalog, client, name):
    for value in HOSTILE:
        encoded = value if value in RAW else quote(value, safe="")
        response = client.get(f"/sru?operation=searchRetrieve&query=quang&{name}={encoded}")
        if response.status_code == 414:  # longer than any server in front allows; refused before searching
            continue
        assert response.status_code == 200, f"{name}={value[:40]!r}"
        ET.fromstring(response.data)


def test_only_get(client):
    assert client.post("/sru", data={"operation": "explain"}).status_code in (400, 405)


# --- a real SRU client -----------------------------------------------------------------------------------------


@pytest.fixture
def server(catalog):
    """The application over real HTTP on a free local port, as a cataloguing system reaches it."""
    http = make_server("127.0.0.1", 0, catalog, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}/sru"
    http.shutdown()
    thread.join(timeout=10)


def yaz(url: str, home, *commands: str) -> str:
    """What yaz-client prints for these commands, after opening the server over SRU GET 1.2 with CQL queries."""
    script = "\n".join([f"open {url}", "sru get 1.2", "querytype cql", *commands, "quit"]) + "\n"
    environment = {**os.environ, "HOME": str(home), "LANG": "C.UTF-8"}  # no one's .yazclientrc
    done = subprocess.run([YAZ_CLIENT], input=script, capture_output=True, text=True, timeout=60, cwd=home,
                          env=environment, check=False)  # what it prints is the test's to judge
    return done.stdout


@needs_yaz
def test_yaz_client_finds_and_shows_a_record_as_marcxml(server, tmp_path):
    out = yaz(server, tmp_path, 'find dc.title="dia chi quang tri"', "show 1")
    assert "Number of hits: 1" in out
    assert "schema=info:srw/schema/1/marcxml-v1.1" in out
    assert '<marc:subfield code="a">Địa chí Quảng Trị /</marc:subfield>' in out


@needs_yaz
def test_yaz_client_searches_with_diacritics_and_booleans(server, tmp_path):
    assert "Number of hits: 2" in yaz(server, tmp_path, 'find dc.creator="Nguyễn" and dc.title=quang')
    assert "Number of hits: 1" in yaz(server, tmp_path, 'find "quảng" not tri')


@needs_yaz
def test_yaz_client_pages_and_asks_for_dublin_core(server, tmp_path):
    out = yaz(server, tmp_path, "schema info:srw/schema/1/dc-v1.1", "find cql.allRecords=1", "show 3+2")
    assert "Number of hits: 5" in out
    assert "pos=3 schema=info:srw/schema/1/dc-v1.1" in out and "pos=4 " in out and "pos=5" not in out
    assert out.count("<dc:title>") == 2


@needs_yaz
def test_yaz_client_reads_diagnostics_and_the_explain_record(server, tmp_path):
    out = yaz(server, tmp_path, "find dc.identifier=x", "explain")
    assert "SRW diagnostic info:srw/diagnostic/1/16" in out and "Details: dc.identifier" in out
    assert '<zr:name set="bath">isbn</zr:name>' in out


def system_numbers(marc) -> list[str]:
    """The 035 $a of a MARCXML record (an edition's union record names each library's record there)."""
    return [field.findtext("marc:subfield[@code='a']", namespaces=NS)
            for field in marc.findall("marc:datafield[@tag='035']", namespaces=NS)]
