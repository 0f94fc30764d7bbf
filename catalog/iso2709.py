"""Split ISO 2709 streams into records and parse each record's structure, recovering what real exports break.

Lengths and directory offsets are hints, not truth: records are cut at record terminators
and fields at field terminators, so a record whose length was counted in characters, or
whose directory points to the wrong place, is still read whole.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

RECORD_TERMINATOR = b"\x1d"
FIELD_TERMINATOR = b"\x1e"
SUBFIELD_DELIMITER = b"\x1f"
LEADER_LENGTH = 24
DIRECTORY_ENTRY_LENGTH = 12
RECORD_LENGTH = slice(0, 5)
BASE_ADDRESS = slice(12, 17)
ENTRY_TAG = slice(0, 3)
ENTRY_FIELD_LENGTH = slice(3, 7)
ENTRY_FIELD_START = slice(7, 12)
READ_BLOCK = 1 << 20
# Line breaks, NULs and DOS end-of-file marks that exports leave between records.
PADDING = b"\r\n\x00\x1a \xef\xbb\xbf"  # the last three: a UTF-8 byte-order mark before the first leader
# No record may be longer than ISO 2709 allows; beyond twice that without a terminator is not a record.
MAX_CHUNK = 2 * 99999

# A leader and the first directory entry after it.
LEADER_SHAPE = rb"\d{5}[ -~]{7}\d{5}[ -~]{7}[0-9A-Za-z]{3}\d{9}"
LEADER = re.compile(LEADER_SHAPE)
# A leader that starts right after a field terminator: what is left of a record whose own 0x1D is missing.
EMBEDDED_LEADER = re.compile(rb"\x1e(?=" + LEADER_SHAPE + rb")")


class DamagedRecord(ValueError):
    """A record whose structure cannot be read; the message says why, in Vietnamese."""

    def __init__(self, reason: str, control_number: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.control_number = control_number


@dataclass(frozen=True)
class Chunk:
    """The bytes of one record as found in the file (without its terminator)."""

    offset: int
    data: bytes
    terminated: bool  # False when the file ended before a record terminator
    oversized: bool = False  # longer than any record can be, with no terminator: only its start is kept


@dataclass(frozen=True)
class RawField:
    tag: str
    data: bytes  # without the field terminator


@dataclass(frozen=True)
class RawRecord:
    leader: str
    fields: tuple[RawField, ...]
    repaired: str | None = None  # what recovery was needed, for the import report


def split_chunks(stream: BinaryIO) -> Iterator[Chunk]:
    """Yield every record of the stream, cut at record terminators and at leaders that lost theirs."""
    offset = 0
    pending = b""
    while block := stream.read(READ_BLOCK):
        pending += block
        *complete, pending = pending.split(RECORD_TERMINATOR)
        for data in complete:
            if len(data) > MAX_CHUNK:
                yield Chunk(offset, data[:MAX_CHUNK], terminated=False, oversized=True)
            elif data.strip(PADDING):
                yield from _cut_embedded(offset, data, terminated=True)
            offset += len(data) + 1
        if len(pending) > MAX_CHUNK:
            # Memory stays flat on a file with no terminators: report where it starts, skip to the next one.
            yield Chunk(offset, pending[:MAX_CHUNK], terminated=False, oversized=True)
            offset, pending = _skip_unterminated(stream, offset, pending)
    if pending.strip(PADDING):
        yield from _cut_embedded(offset, pending, terminated=False)


def _skip_unterminated(stream: BinaryIO, offset: int, pending: bytes) -> tuple[int, bytes]:
    """Drop bytes up to and including the next record terminator; return where reading resumes."""
    while (cut := pending.find(RECORD_TERMINATOR)) < 0:
        offset += len(pending)
        pending = stream.read(READ_BLOCK)
        if not pending:
            return offset, b""
    return offset + cut + 1, pending[cut + 1 :]


def _cut_embedded(offset: int, data: bytes, terminated: bool) -> Iterator[Chunk]:
    stripped = data.lstrip(PADDING)
    offset, data = offset + len(data) - len(stripped), stripped
    start = 0
    while (cut := _next_record(data, start)) is not None:
        end, start_of_next = cut
        yield Chunk(offset + start, data[start:end], terminated=True)
        start = start_of_next
    yield Chunk(offset + start, data[start:], terminated)


def _next_record(data: bytes, start: int) -> tuple[int, int] | None:
    """Where the record at `start` ends and the next one begins, when another record follows it in `data`."""
    declared = _declared_length(data, start)
    if declared is not None and declared > LEADER_LENGTH:
        end = start + declared - 1  # where its terminator belongs
        if end == len(data):
            return None
        if end < len(data) and LEADER.match(data, end + 1):
            return end, end + 1  # its terminator was overwritten by another byte (a line break, a '?')
    match = EMBEDDED_LEADER.search(data, start + LEADER_LENGTH)
    return (match.start() + 1, match.start() + 1) if match else None


def _declared_length(data: bytes, start: int = 0) -> int | None:
    digits = data[start + RECORD_LENGTH.start : start + RECORD_LENGTH.stop]
    return int(digits) if digits.isdigit() else None


def parse_chunk(chunk: Chunk) -> RawRecord:
    """Read the leader, directory and fields of one record, or raise DamagedRecord."""
    try:
        return _parse(chunk)
    except DamagedRecord as damage:
        truncation = None if chunk.oversized else _truncation(chunk)
        if truncation is None:
            raise
        raise DamagedRecord(truncation, damage.control_number) from None


def _parse(chunk: Chunk) -> RawRecord:
    data = chunk.data
    if chunk.oversized:
        raise DamagedRecord(f"Không có ký tự kết thúc bản ghi (0x1D) trong hơn {MAX_CHUNK} byte: "
                            "đây không phải một bản ghi ISO 2709; đã bỏ qua đến ký tự kết thúc kế tiếp.")
    if len(data) < LEADER_LENGTH + 1:
        raise DamagedRecord(f"Bản ghi quá ngắn ({len(data)} byte), không có đầu biểu (leader) đủ 24 ký tự.")
    try:
        leader = data[:LEADER_LENGTH].decode("ascii")
    except UnicodeDecodeError:
        raise DamagedRecord("Đầu biểu (leader) chứa ký tự không phải ASCII.") from None
    directory_end = data.find(FIELD_TERMINATOR, LEADER_LENGTH)
    if directory_end < 0:
        raise DamagedRecord("Không tìm thấy ký tự kết thúc danh mục (0x1E): bản ghi hỏng cấu trúc.")
    entries = _directory_entries(data[LEADER_LENGTH:directory_end])
    body = data[directory_end + 1 :]
    fields = _fields_by_terminator(entries, body) or _fields_by_offsets(entries, body)
    if fields is None:
        found = body.count(FIELD_TERMINATOR)
        raise DamagedRecord(
            f"Danh mục khai báo {len(entries)} trường nhưng dữ liệu có {found} trường: "
            "bản ghi bị cắt hoặc hỏng cấu trúc.",
            _guess_control_number(entries, body),
        )
    return RawRecord(leader, fields, _repair_note(chunk, data, entries, body, directory_end + 1))


def _truncation(chunk: Chunk) -> str | None:
    declared = _declared_length(chunk.data)
    if chunk.terminated or not declared or declared <= len(chunk.data):
        return None
    return (f"Bản ghi bị cắt cụt: tệp kết thúc sau {len(chunk.data)} trên {declared} byte khai báo "
            "(không có ký tự kết thúc bản ghi 0x1D).")


def _directory_entries(directory: bytes) -> list[tuple[str, bytes, bytes]]:
    if len(directory) % DIRECTORY_ENTRY_LENGTH:
        raise DamagedRecord(
            f"Danh mục dài {len(directory)} byte, không chia hết cho 12: danh mục hỏng."
        )
    entries = []
    for start in range(0, len(directory), DIRECTORY_ENTRY_LENGTH):
        entry = directory[start : start + DIRECTORY_ENTRY_LENGTH]
        tag = entry[ENTRY_TAG].decode("ascii", "replace")
        entries.append((tag, entry[ENTRY_FIELD_LENGTH], entry[ENTRY_FIELD_START]))
    if not entries:
        raise DamagedRecord("Bản ghi không có trường nào (danh mục rỗng).")
    return entries


def _fields_by_terminator(entries, body: bytes) -> tuple[RawField, ...] | None:
    parts = body.split(FIELD_TERMINATOR)
    if len(parts) != len(entries) + 1 or parts[-1]:
        return None
    return tuple(RawField(tag, part) for (tag, _, _), part in zip(entries, parts))


def _fields_by_offsets(entries, body: bytes) -> tuple[RawField, ...] | None:
    fields = []
    for tag, length, start in entries:
        if not (length.isdigit() and start.isdigit()):
            return None
        end = int(start) + int(length) - 1
        if int(length) < 1 or end >= len(body) or body[end : end + 1] != FIELD_TERMINATOR:
            return None
        fields.append(RawField(tag, body[int(start) : end]))
    return tuple(fields)


def _offsets_consistent(entries, body_length: int) -> bool:
    """Whether the directory's lengths and starts describe the data as found (cheap: integers only)."""
    position = 0
    for _tag, length, start in entries:
        if not (length.isdigit() and start.isdigit()) or int(start) != position:
            return False
        position += int(length)
    return position == body_length


def _guess_control_number(entries, body: bytes) -> str | None:
    if not entries or entries[0][0] != "001":
        return None
    first = body.split(FIELD_TERMINATOR, 1)[0]
    text = first.decode("ascii", "replace").strip()
    return text[:64] or None


def _repair_note(chunk: Chunk, data: bytes, entries, body: bytes, base_address: int) -> str | None:
    notes = []
    if data[BASE_ADDRESS] != b"%05d" % base_address:
        notes.append(f"địa chỉ cơ sở trong đầu biểu sai (thực là {base_address})")
    declared = _declared_length(data)
    actual = len(data) + 1
    if declared != actual:
        notes.append(f"độ dài khai báo {declared} khác độ dài thực {actual} byte")
    if not chunk.terminated:
        notes.append("thiếu ký tự kết thúc bản ghi 0x1D")
    if not _offsets_consistent(entries, len(body)):
        notes.append("vị trí trong danh mục sai, đã đọc trường theo ký tự kết thúc trường")
    return "; ".join(notes) or None
