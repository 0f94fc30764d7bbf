"""The XML of OAI-PMH 2.0 answers, built as elements (never by joining strings): pure functions."""
from __future__ import annotations

from lxml import etree

from catalog.export import MARCXML_NAMESPACE, XML_ILLEGAL, write_marcxml

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"
# metadataPrefix -> (schema, namespace)
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARCXML_NAMESPACE),
}
# Parses only what catalog.export wrote a moment before, in this process.
_OWN_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def text(value: str) -> str:
    """A value XML 1.0 can carry: characters it cannot (even escaped) become U+FFFD, as in the export."""
    return XML_ILLEGAL.sub("\ufffd", value)


def _child(parent: etree._Element, tag: str, value: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {name: text(val) for name, val in attributes.items()})
    if value is not None:
        element.text = text(value)
    return element


def envelope(response_date: str, base_url: str, request: dict[str, str]) -> etree._Element:
    """<OAI-PMH> with its responseDate and request; request holds the verb and arguments, or nothing."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(SCHEMA_LOCATION, f"{OAI} {OAI}OAI-PMH.xsd")
    _child(root, f"{{{OAI}}}responseDate", response_date)
    _child(root, f"{{{OAI}}}request", base_url, **request)
    return root


def document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def error(code: str, message: str) -> etree._Element:
    element = etree.Element(f"{{{OAI}}}error", code=code)
    element.text = text(message)
    return element


def identify(name: str, base_url: str, admin_email: str, earliest: str, repository_id: str,
             sample: str) -> etree._Element:
    element = etree.Element(f"{{{OAI}}}Identify")
    for tag, value in (("repositoryName", name), ("baseURL", base_url), ("protocolVersion", "2.0"),
                       ("adminEmail", admin_email), ("earliestDatestamp", earliest),
                       ("deletedRecord", "persistent"), ("granularity", "YYYY-MM-DDThh:mm:ssZ")):
        _child(element, f"{{{OAI}}}{tag}", value)
    description = _child(element, f"{{{OAI}}}description")
    scheme = etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER})
    scheme.set(SCHEMA_LOCATION, f"{OAI_IDENTIFIER} {OAI_IDENTIFIER}.xsd")
    for tag, value in (("scheme", "oai"), ("repositoryIdentifier", repository_id), ("delimiter", ":"),
                       ("sampleIdentifier", sample)):
        _child(scheme, f"{{{OAI_IDENTIFIER}}}{tag}", value)
    return element


def metadata_formats() -> etree._Element:
    element = etree.Element(f"{{{OAI}}}ListMetadataFormats")
    for prefix, (schema, namespace) in FORMATS.items():
        entry = _child(element, f"{{{OAI}}}metadataFormat")
        for tag, value in (("metadataPrefix", prefix), ("schema", schema), ("metadataNamespace", namespace)):
            _child(entry, f"{{{OAI}}}{tag}", value)
    return element


def sets(libraries: list[tuple[str, str]]) -> etree._Element:
    """One set per library: (code, name) pairs."""
    element = etree.Element(f"{{{OAI}}}ListSets")
    for code, name in libraries:
        entry = _child(element, f"{{{OAI}}}set")
        _child(entry, f"{{{OAI}}}setSpec", code)
        _child(entry, f"{{{OAI}}}setName", name)
    return element


def header(identifier: str, datestamp: str, set_spec: str, deleted: bool) -> etree._Element:
    element = etree.Element(f"{{{OAI}}}header", {"status": "deleted"} if deleted else {})
    _child(element, f"{{{OAI}}}identifier", identifier)
    _child(element, f"{{{OAI}}}datestamp", datestamp)
    _child(element, f"{{{OAI}}}setSpec", set_spec)
    return element


def record(head: etree._Element, metadata: etree._Element | None) -> etree._Element:
    """A <record>: a deleted one is its header alone."""
    element = etree.Element(f"{{{OAI}}}record")
    element.append(head)
    if metadata is not None:
        _child(element, f"{{{OAI}}}metadata").append(metadata)
    return element


def dublin_core(pairs: list[tuple[str, str]]) -> etree._Element:
    element = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    element.set(SCHEMA_LOCATION, f"{OAI_DC} {FORMATS['oai_dc'][0]}")
    for name, value in pairs:
        _child(element, f"{{{DC}}}{name}", value)
    return element


def marcxml(marc: bytes) -> etree._Element:
    """A stored record in MARCXML slim, exactly as the export writes it (and made XML-safe there)."""
    written = etree.fromstring(b"".join(write_marcxml([marc])), _OWN_XML)[0]
    # A record of its own that declares the MARC namespace as the default, as harvesters expect to see it.
    element = etree.Element(written.tag, nsmap={None: MARCXML_NAMESPACE, "xsi": XSI})
    element.set(SCHEMA_LOCATION, f"{MARCXML_NAMESPACE} {FORMATS['marc21'][0]}")
    element.extend(written)
    return element


def resumption_token(token: str | None, complete_list_size: int, cursor: int) -> etree._Element:
    """The token of the next page; an empty one on the last page of a list that was split."""
    element = etree.Element(f"{{{OAI}}}resumptionToken", completeListSize=str(complete_list_size),
                            cursor=str(cursor))
    element.text = token
    return element


def wrapped(verb: str, items: list[etree._Element], token: etree._Element | None) -> etree._Element:
    """<ListRecords>, <ListIdentifiers> or <GetRecord> around its items and the resumption token."""
    element = etree.Element(f"{{{OAI}}}{verb}")
    element.extend(items)
    if token is not None:
        element.append(token)
    return element
