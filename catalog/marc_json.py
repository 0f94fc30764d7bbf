"""Read MARC-in-JSON: one document (a record or an array of records) or one record per line."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from pymarc import Field, Indicators, Leader, Record, Subfield

from catalog.read_item import ReadItem
from catalog.marc_decode import is_control_tag, normalize_record

LEADER_LENGTH = 24


class InvalidJsonRecord(ValueError):
    pass


def read_items(stream: BinaryIO) -> Iterator:
    """Yield ReadItems; NDJSON is read line by line so large files stream."""
    first = stream.readline()
    rest = stream.peek(1) if hasattr(stream, "peek") else b""
    if _is_json_object(first) and rest.strip():
        yield from _read_lines(first, stream)
    else:
        yield from _read_document(first + stream.read())


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _read_lines(first: bytes, stream: BinaryIO) -> Iterator:
    offset, position, line = 0, 0, first
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


def _read_document(data: bytes) -> Iterator:
    try:
        document = json.loads(data)
    except ValueError as error:
        yield ReadItem(0, 0, data[:65536], problem=f"Tệp JSON không hợp lệ: {error}.")
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
        subfields.append(Subfield(code, text))
    indicators = Indicators(str(value.get("ind1", " "))[:1] or " ", str(value.get("ind2", " "))[:1] or " ")
    return Field(tag=tag, indicators=indicators, subfields=subfields)


def _control_number(obj) -> str | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("fields"), list):
        return None
    for entry in obj["fields"]:
        if isinstance(entry, dict) and isinstance(entry.get("001"), str):
            return entry["001"].strip() or None
    return None
