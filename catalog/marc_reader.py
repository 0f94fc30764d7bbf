"""Read MARC files of any supported format into records, or reasons why a record could not be read."""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from catalog import marc_json, marc_xml
from catalog.encoding_detect import EncodingUndecided
from catalog.iso2709 import RECORD_TERMINATOR, Chunk, DamagedRecord, parse_chunk, split_chunks
from catalog.marc_decode import decode_record
from catalog.marc_writer import RecordTooLong
from catalog.read_item import ReadItem, too_long_problem, unexpected_problem

FORMATS = ("iso2709", "marcxml", "json")
SNIFF_BYTES = 4096


def detect_format(head: bytes) -> str:
    """Tell the format from the first bytes, not from the file name."""
    text = head.lstrip(b"\xef\xbb\xbf\r\n\t \x00")
    if text.startswith(b"<"):
        return "marcxml"
    if text.startswith((b"{", b"[")):
        return "json"
    return "iso2709"


def read_items(stream: BinaryIO, fmt: str = "auto", encoding: str | None = None) -> Iterator[ReadItem]:
    """Yield every record of the stream, in file order, without holding the file in memory."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    if fmt == "auto":
        fmt = detect_format(buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES])
    if fmt == "marcxml":
        yield from marc_xml.read_items(buffered)
    elif fmt == "json":
        yield from marc_json.read_items(buffered)
    else:
        for position, chunk in enumerate(split_chunks(buffered)):
            yield read_chunk(position, chunk, encoding)


def read_chunk(position: int, chunk: Chunk, encoding: str | None = None) -> ReadItem:
    """Parse and decode one ISO 2709 record; damage and undecidable encodings become problems."""
    raw_bytes, raw = chunk.data + RECORD_TERMINATOR, None
    try:
        raw = parse_chunk(chunk)
        decoded = decode_record(raw, encoding, raw_bytes)
    except DamagedRecord as damage:
        return ReadItem(position, chunk.offset, raw_bytes, problem=damage.reason,
                        control_number=damage.control_number)
    except RecordTooLong as too_long:
        return ReadItem(position, chunk.offset, raw_bytes, problem=too_long_problem(too_long),
                        control_number=_control_number(raw))
    except EncodingUndecided as undecided:
        return ReadItem(position, chunk.offset, raw_bytes, problem=str(undecided),
                        control_number=_control_number(raw))
    except Exception as error:  # noqa: BLE001 - one odd record must not stop the file
        return ReadItem(position, chunk.offset, raw_bytes, control_number=_control_number(raw),
                        problem=unexpected_problem(error))
    notes = "; ".join(note for note in (raw.repaired, decoded.note) if note) or None
    return ReadItem(position, chunk.offset, raw_bytes, record=decoded.record, encoding=decoded.encoding,
                    note=notes, marc=decoded.marc)


def _control_number(raw) -> str | None:
    for field in raw.fields if raw is not None else ():
        if field.tag == "001":
            return field.data.decode("ascii", "replace").strip() or None
    return None
