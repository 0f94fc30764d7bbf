"""A stored record as librarians read it: each field with its name, and the raw MARC as text. Pure."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from catalog.export import stored_record

# The names of the fields local-history records carry (MARC21 bibliographic, as Vietnamese cataloguers
# call them); others are shown with their tag alone.
FIELD_NAMES = {
    "001": _l("Số kiểm soát"), "003": _l("Mã cơ quan gán số kiểm soát"), "005": _l("Ngày giờ cập nhật"),
    "008": _l("Dữ liệu có độ dài cố định"), "020": _l("ISBN"), "035": _l("Số hệ thống"),
    "040": _l("Nguồn biên mục"), "041": _l("Mã ngôn ngữ"), "082": _l("Chỉ số phân loại DDC"),
    "084": _l("Chỉ số phân loại khác"), "100": _l("Tác giả cá nhân"), "110": _l("Tác giả tập thể"),
    "245": _l("Nhan đề và thông tin trách nhiệm"), "246": _l("Nhan đề khác"), "250": _l("Lần xuất bản"),
    "260": _l("Xuất bản, phát hành"), "264": _l("Xuất bản, phát hành"), "300": _l("Mô tả vật lý"),
    "490": _l("Tùng thư"), "500": _l("Phụ chú chung"), "504": _l("Thư mục"), "520": _l("Tóm tắt"),
    "546": _l("Ngôn ngữ"), "600": _l("Chủ đề: tên người"), "610": _l("Chủ đề: tên tập thể"),
    "650": _l("Chủ đề: thuật ngữ"), "651": _l("Chủ đề: địa danh"), "653": _l("Từ khóa"),
    "700": _l("Tác giả phụ"), "710": _l("Tác giả tập thể phụ"), "830": _l("Tùng thư (tiêu đề bổ sung)"),
    "852": _l("Nơi lưu giữ"), "856": _l("Địa chỉ điện tử"), "952": _l("Bản sách (Koha)"),
}


@dataclass(frozen=True)
class DisplayField:
    tag: str
    name: str
    indicators: str  # two characters, blanks shown as "#" as cataloguers write them
    data: str | None  # control fields
    subfields: tuple[tuple[str, str], ...]  # data fields


@dataclass(frozen=True)
class DisplayRecord:
    leader: str
    fields: tuple[DisplayField, ...]
    raw: str  # the record in MARC text form (=245  10$a...)


def display(marc: bytes) -> DisplayRecord:
    record = stored_record(marc)
    fields = []
    for field in record.fields:
        name = str(FIELD_NAMES.get(field.tag, ""))
        if field.is_control_field():
            fields.append(DisplayField(field.tag, name, "", field.data, ()))
        else:
            indicators = "".join(indicator if indicator.strip() else "#" for indicator in field.indicators)
            fields.append(DisplayField(field.tag, name, indicators, None,
                                       tuple((subfield.code, subfield.value) for subfield in field.subfields)))
    return DisplayRecord(str(record.leader), tuple(fields), str(record))
