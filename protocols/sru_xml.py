"""SRU 1.2 answers as XML: the explain record (ZeeRex 2.0), searchRetrieve with its records, diagnostics."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from catalog.export import MARCXML_NAMESPACE, XML_ILLEGAL, stored_record, write_marcxml
from protocols.cql_search import CONTEXT_SETS, INDEXES
from protocols.diagnostics import UNKNOWN_SCHEMA, Diagnostic
from protocols.oai_dc import dublin_core

SRW = "http://www.loc.gov/zing/srw/"
DIAGNOSTIC = "http://www.loc.gov/zing/srw/diagnostic/"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
SRW_DC = "info:srw/schema/1/dc-schema"
DC = "http://purl.org/dc/elements/1.1/"
DIAGNOSTIC_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"
PACKINGS = ("xml", "string")
for _prefix, _uri in (("zs", SRW), ("diag", DIAGNOSTIC), ("zr", ZEEREX), ("marc", MARCXML_NAMESPACE),
                      ("srw_dc", SRW_DC), ("dc", DC)):
    ET.register_namespace(_prefix, _uri)

# Each index's name for people, in Vietnamese and in English (ZeeRex titles carry their language).
INDEX_TITLES = {
    "cql.serverChoice": ("Mọi trường", "Any field"), "cql.anywhere": ("Mọi trường", "Anywhere"),
    "cql.allRecords": ("Mọi biểu ghi", "All records"), "dc.title": ("Nhan đề", "Title"),
    "dc.creator": ("Tác giả", "Author"), "dc.subject": ("Chủ đề", "Subject"),
    "dc.publisher": ("Nhà xuất bản", "Publisher"), "dc.date": ("Năm xuất bản", "Year of publication"),
    "bath.isbn": ("ISBN", "ISBN"),
}
DATABASE_TITLE = ("Mục lục liên hợp – Liên hiệp Thư viện Bắc Miền Trung",
                  "Union catalog of the North Central Library Union of Vietnam")
RELATIONS = ("=", "==", "exact", "adj", "all", "any", "<", "<=", ">", ">=", "within")


@dataclass(frozen=True)
class RecordSchema:
    name: str
    uri: str
    title: str
    write: Callable[[bytes], ET.Element]  # stored MARC -> the record in this schema


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    database: str


@dataclass
class SearchAnswer:
    version: str
    total: int
    schema: RecordSchema
    packing: str
    records: list[tuple[int, bytes | Diagnostic]] = field(default_factory=list)  # (position, MARC or why not)
    next_position: int | None = None
    echo: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def marcxml_record(marc: bytes) -> ET.Element:
    """The record as MARCXML, written by the export's one MARCXML writer."""
    record = ET.fromstring(b"".join(write_marcxml([marc])))[0]
    record.tail = None  # the collection's line break, not the record's
    return record


def dc_record(marc: bytes) -> ET.Element:
    record = ET.Element(f"{{{SRW_DC}}}dc")
    for element, value in dublin_core(stored_record(marc)):
        _text(record, f"{{{DC}}}{element}", value)
    return record


MARCXML = RecordSchema("marcxml", "info:srw/schema/1/marcxml-v1.1", "MARCXML", marcxml_record)
DUBLIN_CORE = RecordSchema("dc", "info:srw/schema/1/dc-v1.1", "Dublin Core", dc_record)
SCHEMAS = {name.lower(): schema for schema, names in (
    (MARCXML, ("marcxml", "marc21", "info:srw/schema/1/marcxml-v1.1", MARCXML_NAMESPACE)),
    (DUBLIN_CORE, ("dc", "info:srw/schema/1/dc-v1.1", SRW_DC)),
) for name in names}


def record_schema(asked: str | None) -> RecordSchema:
    """The schema asked for by name or URI (MARCXML when none is); diagnostic 66 for one we do not write."""
    if not asked:
        return MARCXML
    found = SCHEMAS.get(asked.lower())
    if found is None:
        raise Diagnostic(UNKNOWN_SCHEMA, asked)
    return found


# --- searchRetrieve -----------------------------------------------------------------------------------------


def search_response(answer: SearchAnswer) -> bytes:
    root = _root("searchRetrieveResponse", answer.version)
    _text(root, _srw("numberOfRecords"), str(answer.total))
    if answer.records:
        records = ET.SubElement(root, _srw("records"))
        for position, content in answer.records:
            if isinstance(content, Diagnostic):  # a surrogate diagnostic stands in for the record
                _record(records, DIAGNOSTIC_SCHEMA, answer.packing, _diagnostic(content), position)
            else:
                _record(records, answer.schema.uri, answer.packing, answer.schema.write(content), position)
    if answer.next_position is not None:
        _text(root, _srw("nextRecordPosition"), str(answer.next_position))
    if answer.echo:
        echoed = ET.SubElement(root, _srw("echoedSearchRetrieveRequest"))
        for name, value in answer.echo.items():
            _text(echoed, _srw(name), value)
    _diagnostics(root, answer.diagnostics)
    return _document(root)


def search_failure(version: str, diagnostic: Diagnostic) -> bytes:
    return search_response(SearchAnswer(version, 0, MARCXML, "xml", diagnostics=[diagnostic]))


# --- explain ------------------------------------------------------------------------------------------------


def explain_response(version: str, server: Server, packing: str, limits: tuple[int, int]) -> bytes:
    root = _root("explainResponse", version)
    _record(root, ZEEREX, packing, zeerex(server, limits))
    return _document(root)


def explain_failure(version: str, diagnostic: Diagnostic) -> bytes:
    root = _root("explainResponse", version)
    _diagnostics(root, [diagnostic])
    return _document(root)


def zeerex(server: Server, limits: tuple[int, int]) -> ET.Element:
    """What the server offers: where it is, the indexes by context set, the record schemas, the limits."""
    explain = ET.Element(_zr("explain"))
    info = ET.SubElement(explain, _zr("serverInfo"), protocol="SRU", version="1.2", transport="http")
    for name, value in (("host", server.host), ("port", str(server.port)), ("database", server.database)):
        _text(info, _zr(name), value)
    _titles(ET.SubElement(explain, _zr("databaseInfo")), DATABASE_TITLE)
    indexes = ET.SubElement(explain, _zr("indexInfo"))
    for name, uri in CONTEXT_SETS.items():
        ET.SubElement(indexes, _zr("set"), name=name, identifier=uri)
    for index in INDEXES:
        entry = ET.SubElement(indexes, _zr("index"), search="true", scan="false", sort="false")
        _titles(entry, INDEX_TITLES[index])
        context, _dot, name = index.partition(".")
        _text(ET.SubElement(entry, _zr("map")), _zr("name"), name).set("set", context)
    schemas = ET.SubElement(explain, _zr("schemaInfo"))
    for schema in (MARCXML, DUBLIN_CORE):
        entry = ET.SubElement(schemas, _zr("schema"), identifier=schema.uri, name=schema.name,
                              sort="false", retrieve="true")
        _text(entry, _zr("title"), schema.title)
    _config(ET.SubElement(explain, _zr("configInfo")), limits)
    return explain


def _config(config: ET.Element, limits: tuple[int, int]) -> None:
    default_records, maximum_records = limits
    _text(config, _zr("default"), str(default_records)).set("type", "numberOfRecords")
    _text(config, _zr("setting"), str(maximum_records)).set("type", "maximumRecords")
    _text(config, _zr("default"), "cql.serverChoice").set("type", "index")
    for relation in RELATIONS:
        _text(config, _zr("supports"), relation).set("type", "relation")
    _text(config, _zr("supports"), "*").set("type", "maskingCharacter")


def _titles(parent: ET.Element, titles: tuple[str, str]) -> None:
    for language, title in zip(("vi", "en"), titles, strict=True):
        _text(parent, _zr("title"), title).set("lang", language)


# --- pieces -------------------------------------------------------------------------------------------------


def _srw(name: str) -> str:
    return f"{{{SRW}}}{name}"


def _zr(name: str) -> str:
    return f"{{{ZEEREX}}}{name}"


def _root(name: str, version: str) -> ET.Element:
    root = ET.Element(_srw(name))
    _text(root, _srw("version"), version)
    return root


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    """A child element holding text, less the characters XML 1.0 cannot carry (a hostile query may hold them)."""
    child = ET.SubElement(parent, tag)
    child.text = XML_ILLEGAL.sub("\ufffd", value)
    return child


def _record(parent: ET.Element, schema: str, packing: str, data: ET.Element, position: int | None = None) -> None:
    record = ET.SubElement(parent, _srw("record"))
    _text(record, _srw("recordSchema"), schema)
    _text(record, _srw("recordPacking"), packing)
    holder = ET.SubElement(record, _srw("recordData"))
    if packing == "string":  # the record as escaped text, for clients that do not parse it as XML
        holder.text = ET.tostring(data, encoding="unicode")
    else:
        holder.append(data)
    if position is not None:
        _text(record, _srw("recordPosition"), str(position))


def _diagnostic(diagnostic: Diagnostic) -> ET.Element:
    element = ET.Element(f"{{{DIAGNOSTIC}}}diagnostic")
    _text(element, f"{{{DIAGNOSTIC}}}uri", diagnostic.uri)
    if diagnostic.details:
        _text(element, f"{{{DIAGNOSTIC}}}details", diagnostic.details)
    _text(element, f"{{{DIAGNOSTIC}}}message", diagnostic.message)
    return element


def _diagnostics(root: ET.Element, found: list[Diagnostic]) -> None:
    if found:
        holder = ET.SubElement(root, _srw("diagnostics"))
        for diagnostic in found:
            holder.append(_diagnostic(diagnostic))


def _document(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
