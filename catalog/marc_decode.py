"""Turn a structurally parsed ISO 2709 record into a Unicode (NFC) pymarc Record."""
from __future__ import annotations

import unicodedata

from pymarc import Field, Indicators, Leader, Record, Subfield

from catalog.encoding_detect import EncodingDecision, decide_encoding
from catalog.iso2709 import SUBFIELD_DELIMITER, RawField, RawRecord

LEADER_CODING_SCHEME = 9
LANGUAGE_008 = slice(35, 38)
UNICODE_LEADER_CODE = "a"


def is_control_tag(tag: str) -> bool:
    return tag < "010" and tag.isdigit()


def build_record(raw: RawRecord, forced_encoding: str | None = None) -> tuple[Record, EncodingDecision]:
    """Decide the record's encoding from all its bytes and decode every value with it."""
    split = [_split_field(field) for field in raw.fields]
    values = [value for _tag, _ind, parts in split for _code, value in parts]
    decision = decide_encoding(values, raw.leader[LEADER_CODING_SCHEME], _language(raw), forced_encoding)
    record = Record(leader=Leader(unicode_leader(raw.leader)))
    decode = decision.decode
    for tag, indicators, parts in split:
        if indicators is None:
            record.add_field(Field(tag=tag, data=decode(parts[0][1])))
        else:
            subfields = [Subfield(code, decode(value)) for code, value in parts]
            record.add_field(Field(tag=tag, indicators=indicators, subfields=subfields))
    return record, decision


def unicode_leader(leader: str) -> str:
    """The leader of the record once stored as UTF-8: leader/09 says Unicode."""
    return leader[:LEADER_CODING_SCHEME] + UNICODE_LEADER_CODE + leader[LEADER_CODING_SCHEME + 1 :]


def _split_field(field: RawField) -> tuple[str, Indicators | None, list[tuple[str, bytes]]]:
    if is_control_tag(field.tag):
        return field.tag, None, [("", field.data)]
    head, *subfields = field.data.split(SUBFIELD_DELIMITER)
    indicators = _indicators(head)
    parts = [(part[:1].decode("latin-1"), part[1:]) for part in subfields if part]
    return field.tag, indicators, parts


def _indicators(head: bytes) -> Indicators:
    # Real exports lose or double indicators; keep two, blank when missing, as pymarc does.
    text = head.decode("latin-1")[:2].ljust(2)
    return Indicators(text[0], text[1])


def _language(raw: RawRecord) -> str | None:
    for field in raw.fields:
        if field.tag == "008":
            code = field.data[LANGUAGE_008].decode("ascii", "replace").strip().lower()
            return code if len(code) == 3 and code.isalpha() else None
    return None


def normalize_record(record: Record) -> Record:
    """NFC every value of a record read from a Unicode format (MARCXML, MARC-in-JSON)."""
    record.leader = Leader(unicode_leader(str(record.leader).ljust(24)[:24]))
    for field in record.fields:
        if field.is_control_field():
            field.data = _nfc(field.data or "")
        else:
            field.subfields = [Subfield(s.code, _nfc(s.value or "")) for s in field.subfields]
    return record


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
