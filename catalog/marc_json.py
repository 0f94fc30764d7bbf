"""Read MARC-in-JSON: one document (a record or an array of records) or one record per line."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

import ijson
from pymarc import Field, Indicators, Leader, Record, Subfield

from catalog.read_item import ReadItem
from catalog.marc_decode import is_control_tag, normalize_record

LEADER_LENGTH = 24
SNIFF_BYTES = 4096


class InvalidJsonRecord(ValueError):
    pass


def read_items(stream: BinaryIO) -> Iterator:
    """Yield ReadItems; an array or one record per line (NDJSON) streams, record by record."""
    if stream.peek(SNIFF_BYTES).lstrip().startswith(b"["):
        yield from _read_array(stream)
        return
    blank = b""
    first = stream.readline()
    while first and not first.strip():
        blank += first
        first = stream.readline()
    if _looks_like_ndjson(first, stream):
        yield from _read_lines(first, stream, offset=len(blank))
    else:
        yield from _read_document(first + stream.read())


def _looks_like_ndjson(first: bytes, stream: BinaryIO) -> bool:
    """A first line that is a whole object (or a broken line beginning one) followed by more lines."""
    more = stream.peek(1) if hasattr(stream, "peek") else b""
    return first.lstrip().startswith(b"{") and first.rstrip().endswith(b"}") and bool(more.strip())


def _read_lines(first: bytes, stream: BinaryIO, offset: int = 0) -> Iterator:
    position, line = 0, first
    while line:
        if line.strip():
            yield _item(position, offset, line.rstrip(b"\r\n"), _parse(line))
            position += 1
        offset += len(line)
        line = stream.readline()


def _parse(data: bytes):
    try:
        return json.loads(data)
    except ValueError as error:
        return InvalidJsonRecord(f"Dòng JSON không hợp lệ: {error}.")


def _read_array(reader) -> Iterator:
    """An array of records, parsed one element at a time so a large file never sits in memory whole."""
    position = 0
    try:
        for obj in ijson.items(reader, "item", use_float=True):
            yield _item(position, None, json.dumps(obj, ensure_ascii=False).encode(), obj)
            position += 1
    except ijson.JSONError as error:
        yield ReadItem(position, None, b"", problem=(
            f"Tệp JSON hỏng sau bản ghi #{position}: {error}. Các bản ghi từ đây đến cuối tệp không đọc được."))


def _read_document(data: bytes) -> Iterator:
    try:
        document = json.loads(data)
    except ValueError as error:
        # The file as a whole is the unreadable thing: the library has it already, nothing to hand back.
        yield ReadItem(0, 0, b"", problem=f"Tệp JSON không hợp lệ: {error}. Không đọc được bản ghi nào.")
        return
    objects = document if isinstance(document, list) else [document]
    for position, obj in enumerate(objects):
        yield _item(position, None, json.dumps(obj, ensure_ascii=False).encode(), obj)


def _item(position: int, offset: int | None, raw: bytes, obj):
    try:
        if isinstance(obj, InvalidJsonRecord):
            raise obj
        record = record_from_json(obj)
    except InvalidJsonRecord as error:
        return ReadItem(position, offset, raw, problem=str(error), control_number=_control_number(obj))
    return ReadItem(position, offset, raw, record=normalize_record(record), encoding="utf-8",
                    control_number=_control_number(obj))


def record_from_json(obj) -> Record:
    """Build a record from one MARC-in-JSON object, or say precisely what is wrong with it."""
    if not isinstance(obj, dict) or not isinstance(obj.get("fields"), list):
        raise InvalidJsonRecord("Bản ghi MARC-in-JSON phải là một đối tượng có khóa \"leader\" và \"fields\".")
    leader = obj.get("leader")
    if not isinstance(leader, str) or len(leader) != LEADER_LENGTH:
        raise InvalidJsonRecord("Bản ghi MARC-in-JSON có đầu biểu (leader) không hợp lệ (cần 24 ký tự).")
    record = Record(leader=Leader(leader))
    for entry in obj["fields"]:
        record.add_field(_field(entry))
    return record


def _field(entry) -> Field:
    if not isinstance(entry, dict) or len(entry) != 1:
        raise InvalidJsonRecord("Mỗi trường MARC-in-JSON phải là một đối tượng có đúng một nhãn.")
    (tag, value), = entry.items()
    if not (isinstance(tag, str) and len(tag) == 3 and tag.isalnum()):
        raise InvalidJsonRecord(f"Nhãn trường “{tag}” không hợp lệ (cần 3 ký tự chữ hoặc số).")
    if is_control_tag(tag):
        if not isinstance(value, str):
            raise InvalidJsonRecord(f"Trường điều khiển {tag} phải là chuỗi.")
        return Field(tag=tag, data=value)
    if not isinstance(value, dict) or not isinstance(value.get("subfields"), list):
        raise InvalidJsonRecord(f"Trường {tag} thiếu danh sách phân trường (subfields).")
    subfields = []
    for sub in value["subfields"]:
        if not isinstance(sub, dict) or len(sub) != 1 or not isinstance(next(iter(sub.values())), str):
            raise InvalidJsonRecord(f"Phân trường của trường {tag} không hợp lệ.")
        (code, text), = sub.items()
        if len(code) != 1:
            raise InvalidJsonRecord(f"Mã phân trường “{code}” của trường {tag} không hợp lệ (cần đúng 1 ký tự).")
        subfields.append(Subfield(code, text))
    indicators = Indicators(_indicator(value.get("ind1")), _indicator(value.get("ind2")))
    return Field(tag=tag, indicators=indicators, subfields=subfields)


def _indicator(value) -> str:
    return value[:1] if isinstance(value, str) and value else " "


def _control_number(obj) -> str | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("fields"), list):
        return None
    for entry in obj["fields"]:
        if isinstance(entry, dict) and isinstance(entry.get("001"), str):
            return entry["001"].strip() or None
    return None
