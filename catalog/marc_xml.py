"""Stream MARCXML records with a hardened parser: no DTD entities, no external resources."""
from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser
from pymarc import Field, Indicators, Leader, Record, record_to_xml

from catalog.read_item import ReadItem
from catalog.marc_decode import normalize_record

FEED_BYTES = 1 << 16
LEADER_LENGTH = 24


class _RecordHandler(ContentHandler):
    """Collect records as they close; a record with a broken element is kept with its problem."""

    def __init__(self) -> None:
        super().__init__()
        self.done: list[tuple[Record, str | None]] = []
        self._record: Record | None = None
        self._problem: str | None = None
        self._field: Field | None = None
        self._code: str | None = None
        self._text: list[str] = []

    def startElementNS(self, name, qname, attrs):
        element = name[1]
        self._text = []
        if element == "record":
            self._record, self._problem = Record(), None
        elif element == "controlfield":
            self._field = Field(self._tag(attrs), data="")
        elif element == "datafield":
            indicators = Indicators(attrs.get((None, "ind1"), " ") or " ", attrs.get((None, "ind2"), " ") or " ")
            self._field = Field(self._tag(attrs), indicators)
        elif element == "subfield":
            self._code = attrs.get((None, "code"))
            if not self._code:
                self._note("phân trường (subfield) thiếu mã")

    def _tag(self, attrs) -> str:
        tag = attrs.get((None, "tag"))
        if not tag:
            self._note("trường thiếu nhãn (tag)")
        return tag or "???"

    def _note(self, problem: str) -> None:
        self._problem = self._problem or f"Bản ghi MARCXML hỏng: {problem}."

    def endElementNS(self, name, qname):
        element, text = name[1], "".join(self._text)
        record = self._record
        if element == "record" and record is not None:
            self.done.append((record, self._problem))
            self._record = None
        elif element == "leader" and record is not None:
            if len(text) != LEADER_LENGTH:
                self._note(f"đầu biểu (leader) dài {len(text)} ký tự thay vì 24")
            record.leader = Leader(text.ljust(LEADER_LENGTH)[:LEADER_LENGTH])
        elif element == "controlfield" and record is not None and self._field is not None:
            self._field.data = text
            record.add_field(self._field)
        elif element == "datafield" and record is not None and self._field is not None:
            record.add_field(self._field)
        elif element == "subfield" and self._field is not None and self._code:
            self._field.add_subfield(self._code, text)
        self._text = []

    def characters(self, content):
        self._text.append(content)


def read_items(stream: BinaryIO) -> Iterator:
    """Yield ReadItems in file order; a syntax error ends the file with one problem item."""
    handler = _RecordHandler()
    parser = create_parser()
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    position = 0
    try:
        while block := stream.read(FEED_BYTES):
            parser.feed(block)
            for record, problem in handler.done:
                yield _item(position, record, problem)
                position += 1
            handler.done.clear()
        parser.close()
    except SAXParseException as error:
        for record, problem in handler.done:  # records that closed before the error are whole
            yield _item(position, record, problem)
            position += 1
        yield ReadItem(position, None, b"", problem=(
            f"Tệp XML hỏng ở dòng {error.getLineNumber()}, cột {error.getColumnNumber()}: "
            f"{error.getMessage()}. Các bản ghi từ đây đến cuối tệp không đọc được."))
    except DefusedXmlException:
        yield ReadItem(position, None, b"", problem=(
            "Tệp XML chứa khai báo thực thể (entity) hoặc tham chiếu bên ngoài: "
            "bị từ chối vì lý do an toàn."))


def _item(position: int, record: Record, problem: str | None):
    raw = record_to_xml(record)
    control = record.get("001")
    control_number = control.data.strip() if control is not None and control.data else None
    if problem:
        return ReadItem(position, None, raw, problem=problem, control_number=control_number)
    return ReadItem(position, None, raw, record=normalize_record(record), encoding="utf-8",
                     control_number=control_number)
