"""Turn a structurally parsed ISO 2709 record into a Unicode (NFC) pymarc Record and its normalized MARC."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pymarc import Field, Indicators, Leader, Record, Subfield

from catalog.encoding_detect import decide_encoding
from catalog.iso2709 import SUBFIELD_DELIMITER, RawField, RawRecord
from catalog.marc_writer import FIELD_TERMINATOR_BYTE, assemble, field_text, to_iso2709
from catalog.vietnamese import nfc

LEADER_CODING_SCHEME = 9
LANGUAGE_008 = slice(35, 38)
UNICODE_LEADER_CODE = "a"
# Any control byte but the subfield delimiter means the bytes need the careful decision.
_CONTROL_BYTES = re.compile(rb"[\x00-\x1e\x7f]")
EMPTY_SUBFIELD = SUBFIELD_DELIMITER * 2


@dataclass(frozen=True)
class DecodedRecord:
    record: Record
    encoding: str
    note: str | None
    marc: bytes  # the record as stored: ISO 2709, UTF-8, NFC


def is_control_tag(tag: str) -> bool:
    return tag < "010" and tag.isdigit()


def decode_record(raw: RawRecord, forced_encoding: str | None = None, original: bytes | None = None) -> DecodedRecord:
    """Decode every value of the record in the encoding its bytes are in (raises EncodingUndecided).

    `original` is the record's bytes as read; when decoding changes nothing they are stored as they are.
    """
    if forced_encoding is None and raw.leader[LEADER_CODING_SCHEME] == UNICODE_LEADER_CODE:
        fast = _decode_utf8(raw, original)
        if fast is not None:
            return fast
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
    return DecodedRecord(record, decision.encoding, decision.note, to_iso2709(record))


def _decode_utf8(raw: RawRecord, original: bytes | None) -> DecodedRecord | None:
    """The common case, a UTF-8 record that says so: decode each field once, keep bytes that need no change."""
    try:
        texts = [field.data.decode("utf-8") for field in raw.fields]
    except UnicodeDecodeError:
        return None
    if any(_CONTROL_BYTES.search(field.data) for field in raw.fields):
        return None
    record = Record(leader=Leader(raw.leader))
    encoded, all_kept = [], True
    for field, text in zip(raw.fields, texts):
        normalized = nfc(text)
        pymarc_field = _field_from_text(field.tag, normalized)
        record.add_field(pymarc_field)
        kept = normalized == text and (pymarc_field.control_field or _canonical(field.data))
        all_kept = all_kept and kept
        encoded.append((field.tag, (field.data if kept else field_text(pymarc_field).encode("utf-8"))
                        + FIELD_TERMINATOR_BYTE))
    if all_kept and original is not None and raw.repaired is None and str(record.leader) == raw.leader:
        return DecodedRecord(record, "utf-8", None, original)
    return DecodedRecord(record, "utf-8", None, assemble(str(record.leader), encoded))


def _canonical(data: bytes) -> bool:
    """Whether a data field's bytes are exactly what the writer would write: two indicators, no empty subfield."""
    return (len(data) == 2 or data[2:3] == SUBFIELD_DELIMITER) and EMPTY_SUBFIELD not in data \
        and not data.endswith(SUBFIELD_DELIMITER)


def _field_from_text(tag: str, text: str) -> Field:
    if is_control_tag(tag):
        return Field(tag=tag, data=text)
    head, *parts = text.split("\x1f")
    indicators, orphan = head[:2].ljust(2), head[2:]
    subfields = [Subfield(part[0], part[1:]) for part in parts if part]
    if orphan:  # text with no subfield code: keep it as $a rather than lose it
        subfields.insert(0, Subfield("a", orphan))
    return Field(tag=tag, indicators=Indicators(indicators[0], indicators[1]), subfields=subfields)


def unicode_leader(leader: str) -> str:
    """The leader of the record once stored as UTF-8: leader/09 says Unicode."""
    return leader[:LEADER_CODING_SCHEME] + UNICODE_LEADER_CODE + leader[LEADER_CODING_SCHEME + 1 :]


def _split_field(field: RawField) -> tuple[str, Indicators | None, list[tuple[str, bytes]]]:
    if is_control_tag(field.tag):
        return field.tag, None, [("", field.data)]
    head, *subfields = field.data.split(SUBFIELD_DELIMITER)
    parts = [(part[:1].decode("latin-1"), part[1:]) for part in subfields if part]
    if head[2:]:  # text with no subfield code: keep it as $a rather than lose it
        parts.insert(0, ("a", head[2:]))
    return field.tag, _indicators(head), parts


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
            field.data = nfc(field.data or "")
        else:
            field.subfields = [Subfield(s.code, nfc(s.value or "")) for s in field.subfields]
    return record
