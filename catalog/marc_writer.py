"""Write records as ISO 2709 in UTF-8: the one way the project writes MARC.

The bytes are those pymarc's `Record.as_marc()` writes for a well-formed record; written here
because the importer serializes every record and pymarc's general writer costs several times more.
"""
from __future__ import annotations

from pymarc import Record

FIELD_TERMINATOR = "\x1e"
FIELD_TERMINATOR_BYTE = b"\x1e"
RECORD_TERMINATOR = b"\x1d"
SUBFIELD_DELIMITER = "\x1f"
LEADER_LENGTH = 24
MAX_RECORD_LENGTH = 99999
MAX_FIELD_LENGTH = 9999
UNICODE = "a"
CODING_SCHEME = 9


class RecordTooLong(ValueError):
    pass


def field_text(field) -> str:
    """A field's content as ISO 2709 writes it, before encoding."""
    if field.is_control_field():
        return field.data or ""
    subfields = "".join(f"{SUBFIELD_DELIMITER}{code}{value}" for code, value in field.subfields)
    return f"{field.indicator1 or ' '}{field.indicator2 or ' '}{subfields}"


def to_iso2709(record: Record) -> bytes:
    """Serialize a record as ISO 2709, UTF-8, leader/09 = 'a'; lengths and directory are recomputed."""
    return assemble(str(record.leader), [
        (field.tag, (field_text(field) + FIELD_TERMINATOR).encode("utf-8")) for field in record.fields])


def assemble(leader: str, fields: list[tuple[str, bytes]]) -> bytes:
    """Join encoded fields (each ending with its terminator) under a leader and a fresh directory."""
    directory, offset = [], 0
    for tag, encoded in fields:
        if len(encoded) > MAX_FIELD_LENGTH:
            raise RecordTooLong(f"trường {tag} dài {len(encoded)} byte, vượt giới hạn {MAX_FIELD_LENGTH} byte của ISO 2709")
        directory.append(b"%s%04d%05d" % (tag.encode("ascii", "replace")[:3].ljust(3), len(encoded), offset))
        offset += len(encoded)
    directory.append(FIELD_TERMINATOR_BYTE)
    directory_bytes = b"".join(directory)
    base = LEADER_LENGTH + len(directory_bytes)
    length = base + offset + 1
    if length > MAX_RECORD_LENGTH:
        raise RecordTooLong(f"bản ghi dài {length} byte, vượt giới hạn {MAX_RECORD_LENGTH} byte của ISO 2709")
    leader = leader.ljust(LEADER_LENGTH)[:LEADER_LENGTH]
    leader = f"{length:05d}{leader[5:CODING_SCHEME]}{UNICODE}{leader[CODING_SCHEME + 1:12]}{base:05d}{leader[17:]}"
    return b"".join([leader.encode("ascii", "replace"), directory_bytes, *(encoded for _, encoded in fields),
                     RECORD_TERMINATOR])
