"""Generate synthetic Vietnamese local-history (địa chí) MARC 21 records, deterministic from a seed.

Run: python bench/synthetic.py OUT.mrc --records N [--seed S] [--format iso2709|marcxml|json]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

from pymarc import Field, Indicators, JSONWriter, MARCWriter, Record, Subfield, XMLWriter
from stdnum import isbn

DEFAULT_SEED = 2024
LEADER = "00000nam a2200000 a 4500"  # new, language material, monograph, UTF-8 (leader/09 'a'), AACR2
SUBJECT_SOURCE = "Bộ TK TVQG"  # the National Library's subject keyword list
ISBN_SCRAMBLE = 389_161  # coprime with 10**6: see _isbn

# org code, share of records, 001 start, chance that its cataloguers place tones old-style ("Hoá")
LIBRARIES = (("TVTH", 5, 10001, 0.3), ("TVNA", 5, 1, 0.1), ("TVHT", 4, 5001, 0.2), ("TVQB", 4, 1, 0.4),
             ("TVQT", 4, 20001, 0.2), ("TVTTH", 5, 1, 0.1), ("TVCC", 1, 1, 0.5))
LOCATIONS = (("Kho Địa chí", "DC"), ("Phòng Đọc tổng hợp", "DV"), ("Kho Mượn", "VV"), ("Kho Lưu chiểu", "LC"))

# province, (place, publisher) of its own presses, districts with some of their communes
PROVINCES = (
    ("Thanh Hóa", (("Thanh Hóa", "Nxb. Thanh Hóa"),), {
        "Hoằng Hóa": ("Hoằng Lộc", "Hoằng Phúc", "Hoằng Đạo"), "Hậu Lộc": ("Đa Lộc", "Ngư Lộc", "Hòa Lộc"),
        "Nga Sơn": ("Nga Thiện", "Nga Điền", "Nga Thanh"), "Vĩnh Lộc": ("Vĩnh Tiến", "Vĩnh Thành", "Vĩnh Long"),
        "Thọ Xuân": ("Xuân Lập", "Xuân Giang", "Thọ Diên"), "Quan Hóa": ("Phú Lệ", "Hồi Xuân", "Thành Sơn")}),
    ("Nghệ An", (("Vinh", "Nxb. Nghệ An"), ("Vinh", "Nxb. Đại học Vinh")), {
        "Nam Đàn": ("Kim Liên", "Nam Anh", "Nam Giang"), "Diễn Châu": ("Diễn Kim", "Diễn Hải", "Diễn Thành"),
        "Quỳnh Lưu": ("Quỳnh Đôi", "Quỳnh Bảng", "Quỳnh Thạch"), "Nghi Lộc": ("Nghi Thiết", "Nghi Hợp", "Nghi Trung"),
        "Hưng Nguyên": ("Hưng Tân", "Hưng Thông", "Hưng Lĩnh"), "Con Cuông": ("Môn Sơn", "Lục Dạ", "Chi Khê")}),
    ("Hà Tĩnh", (("Vinh", "Nxb. Nghệ An"),), {
        "Nghi Xuân": ("Tiên Điền", "Xuân Hải", "Xuân Thành"), "Can Lộc": ("Trường Lưu", "Thiên Lộc", "Vượng Lộc"),
        "Thạch Hà": ("Thạch Kênh", "Thạch Liên", "Thạch Hải"), "Cẩm Xuyên": ("Cẩm Nhượng", "Cẩm Bình", "Cẩm Hòa"),
        "Kỳ Anh": ("Kỳ Phong", "Kỳ Thư", "Kỳ Xuân"), "Hương Sơn": ("Sơn Kim", "Sơn Tây", "Sơn Hồng")}),
    ("Quảng Bình", (("Huế", "Nxb. Thuận Hóa"),), {
        "Bố Trạch": ("Sơn Trạch", "Hải Trạch", "Nhân Trạch"), "Lệ Thủy": ("Sen Thủy", "Phong Thủy", "An Thủy"),
        "Quảng Trạch": ("Quảng Phú", "Quảng Hưng", "Quảng Tùng"), "Quảng Ninh": ("Võ Ninh", "Gia Ninh", "Hải Ninh"),
        "Tuyên Hóa": ("Thạch Hóa", "Đồng Hóa", "Mai Hóa"), "Minh Hóa": ("Trung Hóa", "Hóa Tiến", "Dân Hóa")}),
    ("Quảng Trị", (("Huế", "Nxb. Thuận Hóa"),), {
        "Vĩnh Linh": ("Vĩnh Thạch", "Vĩnh Giang", "Vĩnh Thái"), "Gio Linh": ("Gio Việt", "Gio Hải", "Gio Mai"),
        "Triệu Phong": ("Triệu Độ", "Triệu Ái", "Triệu Trạch"), "Hải Lăng": ("Hải Thượng", "Hải An", "Hải Ba"),
        "Cam Lộ": ("Cam Hiếu", "Cam Thủy", "Cam Chính"), "đảo Cồn Cỏ": ()}),
    ("Thừa Thiên Huế", (("Huế", "Nxb. Thuận Hóa"), ("Huế", "Nxb. Đại học Huế")), {
        "Phong Điền": ("Phong Hòa", "Phong Hiền", "Phong Chương"), "Quảng Điền": ("Quảng Phước", "Quảng An"),
        "Phú Vang": ("Phú Thuận", "Phú Diên", "Phú Mỹ"), "Phú Lộc": ("Lộc Trì", "Lộc Vĩnh", "Lộc Điền"),
        "Hương Trà": ("Hương Toàn", "Hương Vinh", "Hải Dương"), "A Lưới": ("Hồng Hạ", "Hương Nguyên")}),
)
NATIONAL_PRESSES = (("Hà Nội", "Nxb. Chính trị Quốc gia Sự thật"), ("Hà Nội", "Nxb. Khoa học xã hội"),
                    ("Hà Nội", "Nxb. Văn hóa dân tộc"), ("Hà Nội", "Nxb. Hội Nhà văn"),
                    ("Hà Nội", "Nxb. Quân đội nhân dân"), ("Hà Nội", "Nxb. Lao động"), ("Hà Nội", "Nxb. Thế giới"))
REGION = {"Thanh Hóa": "xứ Thanh", "Nghệ An": "xứ Nghệ", "Hà Tĩnh": "xứ Nghệ", "Thừa Thiên Huế": "xứ Huế"}

# title, units it is written about (Province, District, Commune), subject, DDC, summary
TOPICS = (
    ("Địa chí {unit}", "PDC", "Địa chí", "915.97",
     "Giới thiệu khái quát điều kiện tự nhiên, lịch sử hình thành, dân cư, kinh tế, văn hóa và con người {unit}."),
    ("Lịch sử Đảng bộ {unit}", "PDC", "Lịch sử Đảng", "324.2597075",
     "Trình bày quá trình ra đời, xây dựng và lãnh đạo của Đảng bộ {unit} qua các thời kỳ cách mạng."),
    ("Văn hóa dân gian {unit}", "PDR", "Văn hóa dân gian", "398.09597",
     "Sưu tầm, giới thiệu phong tục, tín ngưỡng, văn học và nghệ thuật dân gian của cư dân {unit}."),
    ("Di tích lịch sử – văn hóa {unit}", "PD", "Di tích lịch sử", "959.7",
     "Giới thiệu các di tích lịch sử, kiến trúc nghệ thuật và danh lam thắng cảnh đã được xếp hạng ở {unit}."),
    ("Làng nghề truyền thống {unit}", "PD", "Làng nghề truyền thống", "680.09597",
     "Khảo sát lịch sử hình thành, kỹ thuật sản xuất và hiện trạng các làng nghề truyền thống ở {unit}."),
    ("Danh nhân {unit}", "PDR", "Danh nhân", "920.0597",
     "Giới thiệu tiểu sử, sự nghiệp và đóng góp của các danh nhân tiêu biểu quê hương {unit}."),
    ("Lễ hội truyền thống {unit}", "PDR", "Lễ hội truyền thống", "394.269597",
     "Miêu tả nghi thức, trò chơi dân gian và giá trị văn hóa của các lễ hội truyền thống ở {unit}."),
    ("Ca dao, dân ca {unit}", "PDR", "Ca dao", "398.809597",
     "Tuyển chọn ca dao, dân ca, hò vè lưu truyền ở {unit}, kèm chú thích từ ngữ địa phương."),
    ("Lịch sử kháng chiến chống Mỹ cứu nước của quân và dân {unit}", "PD", "Kháng chiến chống Mỹ", "959.7043",
     "Ghi lại những chiến công của quân và dân {unit} trong cuộc kháng chiến chống Mỹ cứu nước (1954 – 1975)."),
    ("Làng {name}", "C", "Làng xã", "959.7",
     "Giới thiệu lịch sử, văn hóa, phong tục và những người con tiêu biểu của làng {name} ({unit})."),
    ("Đình, chùa, đền, miếu {unit}", "PD", "Kiến trúc tôn giáo", "726.09597",
     "Khảo tả kiến trúc, thần tích, sắc phong và lễ thức thờ cúng ở các đình, chùa, đền, miếu của {unit}."),
    ("Ẩm thực dân gian {unit}", "PR", "Ẩm thực", "394.109597",
     "Giới thiệu các món ăn, đặc sản và phong tục ăn uống của người dân {unit}."),
    ("Tục ngữ, câu đố {unit}", "PDR", "Tục ngữ", "398.909597",
     "Sưu tầm, phân loại và chú giải tục ngữ, câu đố lưu hành ở {unit}."),
    ("Họ {family} ở {unit}", "DC", "Gia phả", "929.209597",
     "Ghi chép nguồn gốc, thế thứ và những người con tiêu biểu của dòng họ {family} ở {unit}."),
    ("{name} – {years} năm xây dựng và phát triển", "PD", "Lịch sử", "959.7",
     "Tổng kết chặng đường {years} năm xây dựng và phát triển kinh tế, văn hóa, xã hội của {unit}."),
)
SUBTITLES = ("sơ thảo", "tư liệu và nghiên cứu", "khảo cứu", "tuyển chọn", "lịch sử và văn hóa", "{start} – {end}",
             "{start} – {end}", None, None, None)
ILLUSTRATIONS = ("ảnh", "minh họa", "bản đồ", "ảnh, bản đồ", None)
SERIES = ("Tủ sách Địa chí {province}", "Bộ sách Văn hóa dân gian Việt Nam", "Tủ sách Lịch sử Đảng bộ địa phương")
EDITIONS = ("Tái bản lần thứ 1", "Tái bản lần thứ 2, có sửa chữa, bổ sung", "In lần thứ 2")

FAMILY = ("Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Đinh", "Thái", "Hà", "Cao", "Trương", "Lương")
MIDDLE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Đình", "Bá", "Công", "Ngọc", "Thị", "Thị", "Thu", "Thanh")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phúc", "Sơn", "Tâm", "Thắng", "Tuấn",
         "Vinh", "Hòa", "Thành", "Hương", "Lan", "Mai", "Hoa", "Yến", "Hằng", "Thủy", "Nga", "Trang", "Châu")
ROLES = ("ch.b.", "b.s.", "s.t., b.s.", "h.đ.")

# New-style tone placement ("Hóa", "Thủy") to the old style many catalogues still use ("Hoá", "Thuỷ").
_OLD_STYLE = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé", "ọe": "oẹ",
              "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ"}
_NEW_STYLE_ENDING = re.compile("(" + "|".join(_OLD_STYLE) + r")(?!\w)")


def old_style(text: str) -> str:
    return _NEW_STYLE_ENDING.sub(lambda match: _OLD_STYLE[match.group()], text)


@dataclass(frozen=True, kw_only=True)
class Edition:
    """What every library's record of one edition shares; each library catalogues it a little differently."""

    title: str
    subtitle: str | None = None
    part: tuple[str, str] | None = None  # 245 $n, $p; either may be ""
    people: tuple[tuple[str, str], ...]  # (name, role abbreviation or "")
    corporate: str | None = None
    edition: str | None = None
    press: tuple[str, str]  # place, publisher
    year: int
    pages: int
    illustrations: str | None = None
    size: int
    series: str | None = None
    isbn: str | None = None  # 13 digits
    ddc: str
    subject: str
    places: tuple[str, ...]  # province, then district when the book is about one
    summary: str


def isbn13(first12: str) -> str:
    """Complete 12 digits with the EAN-13 check digit (weights 1, 3, 1, 3, ...)."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first12))
    return isbn.validate(first12 + str(-total % 10))


def _unit(rng: random.Random, levels: str, province: str, districts: dict) -> tuple[str, str, str, tuple]:
    """Choose what the book is about: (title words, full name for the summary, bare name, places)."""
    level = rng.choice(levels)
    district = rng.choice([name for name, communes in districts.items() if communes or level != "C"])
    if level == "R" and province in REGION:
        return REGION[province], REGION[province], province, (province,)
    if level == "C":
        commune = rng.choice(districts[district])
        return (f"xã {commune}", f"xã {commune}, huyện {district}, tỉnh {province}", commune,
                (province, district))
    if level == "D":
        return f"huyện {district}", f"huyện {district}, tỉnh {province}", district, (province, district)
    return rng.choice((province, f"tỉnh {province}")), f"tỉnh {province}", province, (province,)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _part(rng: random.Random, subject: str) -> tuple[str, str] | None:
    """Some local histories come in volumes: "T.1, 1930 – 1975"."""
    if subject not in ("Địa chí", "Lịch sử Đảng") or rng.random() > 0.2:
        return None
    volume = rng.randint(1, 3)
    if subject == "Địa chí":
        return f"T.{volume}", ("Địa lý và lịch sử", "Kinh tế", "Văn hóa – xã hội")[volume - 1]
    return f"T.{volume}", ("1930 – 1954", "1954 – 1975", "1975 – 2020")[volume - 1]


def _year(rng: random.Random) -> int:
    # Most of a local-history collection is recent; a long tail reaches back to 1990.
    return 2024 - int(rng.triangular(0, 35, 0))


def _isbn(rng: random.Random, year: int, serials: Iterator[int]) -> str | None:
    # Vietnam's ISBN group 604 dates from 2008; before that most local books had none.
    if year < 2008 or rng.random() > 0.75:
        return None
    # Scrambling a serial (an odd multiplier not divisible by 5 permutes 0..999999) keeps
    # the first million ISBNs distinct, so two different editions never share one.
    return isbn13(f"978604{next(serials) * ISBN_SCRAMBLE % 1_000_000:06d}")


def edition(rng: random.Random, isbn_serials: Iterator[int]) -> Edition:
    province, own_presses, districts = rng.choice(PROVINCES)
    template, levels, subject, ddc, summary = rng.choice(TOPICS)
    title_unit, full_unit, name, places = _unit(rng, levels, province, districts)
    press = rng.choice(own_presses) if rng.random() < 0.6 else rng.choice(NATIONAL_PRESSES)
    year = _year(rng)
    people = [(_person(rng), rng.choice(ROLES) if index == 0 else "") for index in range(rng.randint(1, 4))]
    corporate = f"Ban Chấp hành Đảng bộ {full_unit.split(',')[0]}" if subject == "Lịch sử Đảng" else None
    start = rng.choice([start for start in (1930, 1945, 1954, 1975, 1986) if start <= year - 10])
    names = {"unit": title_unit, "name": name, "family": rng.choice(FAMILY), "years": rng.choice((20, 30, 50, 60)),
             "start": start, "end": rng.randint(start + 10, year)}
    subtitle = rng.choice(SUBTITLES)
    return Edition(
        title=template.format(**names), subtitle=subtitle and subtitle.format(**names),
        part=_part(rng, subject), people=tuple(people), corporate=corporate,
        edition=rng.choice(EDITIONS) if rng.random() < 0.1 else None, press=press, year=year,
        pages=rng.randrange(120, 1200, 4), illustrations=rng.choice(ILLUSTRATIONS), size=rng.choice((19, 21, 24, 27)),
        series=rng.choice(SERIES).format(province=province) if rng.random() < 0.2 else None,
        isbn=_isbn(rng, year, isbn_serials), ddc=ddc, subject=subject, places=places,
        summary=summary.format(**names | {"unit": full_unit}))


def data_field(tag: str, indicators: str, *pairs: str) -> Field:
    """A data field from its indicators and alternating codes and values: data_field("650", " 7", "a", ...)."""
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def isbd_end(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _responsibility(rng: random.Random, edition: Edition) -> str:
    """245 $c as one library writes it; libraries word the same statement differently."""
    (first, role), others = edition.people[0], [name for name, _ in edition.people[1:]]
    style = rng.randrange(3) if role else 2
    if style == 0:
        names = ", ".join([f"{first} ({role})", *others])
    elif style == 1:
        names = f"{role.capitalize()}: {first}" + (f" ; {', '.join(others)}" if others else "")
    else:
        names = ", ".join([first, *others])
    return f"{edition.corporate} ; {names}" if edition.corporate else names


def title_field(edition: Edition, responsibility: str) -> Field:
    """245 with ISBD punctuation ending each subfield: "$a Địa chí huyện Nga Sơn :$b sơ thảo /$c ..."."""
    parts = [["a", edition.title]]
    if edition.subtitle:
        parts[-1][1] += " :"
        parts.append(["b", edition.subtitle])
    if edition.part:
        number, name = edition.part
        parts[-1][1] += "."
        parts += [["n", number + ("," if name else "")]] if number else []
        parts += [["p", name]] if name else []
    parts[-1][1] += " /"
    parts.append(["c", isbd_end(responsibility)])
    return data_field("245", "00", *[value for part in parts for value in part])


def fixed_length_data(entered: str, year: int, illustrated: bool) -> str:
    """008 for a book: entered yymmdd, single date, Vietnam ('vm '), Vietnamese, cataloguing source 'd'."""
    illustrations = "a   " if illustrated else "    "  # 18-21
    # 22 audience, 23 form, 24-27 contents, 28 government, 29 conference, 30 festschrift, 31 index,
    # 32 undefined, 33 literary form, 34 biography
    books = " " + " " + "    " + " " + "0" + "0" + "0" + " " + "0" + " "
    return f"{entered}s{year}    vm {illustrations}{books}vie d"


def _control_fields(rng: random.Random, edition: Edition, code: str, number: int) -> list[Field]:
    catalogued = (rng.randint(max(edition.year, 2005), 2025), rng.randint(1, 12), rng.randint(1, 28))
    stamp = "%04d%02d%02d" % catalogued
    latest = f"{stamp}{rng.randint(7, 17):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}.0"
    return [
        Field(tag="001", data=f"{number:08d}" if code in ("TVTH", "TVQT") else str(number)),
        Field(tag="003", data=code),
        Field(tag="005", data=latest),
        Field(tag="008", data=fixed_length_data(stamp[2:], edition.year, edition.illustrations is not None)),
    ]


def _isbn_field(rng: random.Random, edition: Edition) -> list[Field]:
    # A library that catalogued the book from a copy without its ISBN page leaves 020 out.
    if edition.isbn is None or rng.random() < 0.15:
        return []
    number = isbn.format(edition.isbn) if rng.random() < 0.7 else edition.isbn
    price = f"{rng.randrange(50, 400, 5)}000đ"
    return [data_field("020", "  ", "a", number, "c", price)]


def description(edition: Edition) -> list[Field]:
    place, publisher = edition.press
    fields = [data_field("250", "  ", "a", isbd_end(edition.edition))] if edition.edition else []
    fields.append(data_field("260", "  ", "a", place + " :", "b", publisher + ",", "c", f"{edition.year}."))
    if edition.illustrations:
        extent = ("a", f"{edition.pages} tr. :", "b", edition.illustrations + " ;")
    else:
        extent = ("a", f"{edition.pages} tr. ;")
    fields.append(data_field("300", "  ", *extent, "c", f"{edition.size} cm."))
    if edition.series:
        fields.append(data_field("490", "0 ", "a", edition.series))
    fields.append(data_field("520", "  ", "a", edition.summary))
    return fields


def access_points(edition: Edition, keywords: bool = False) -> list[Field]:
    """Subjects with their places (650 $z, 651), uncontrolled keywords (653) when asked, then names (700, 710)."""
    places = [value for place in edition.places for value in ("z", place)]
    fields = [data_field("650", " 7", "a", edition.subject, *places, "2", SUBJECT_SOURCE),
              data_field("651", " 7", "a", edition.places[0], "2", SUBJECT_SOURCE)]
    if keywords:
        fields.append(data_field("653", "  ", "a", edition.subject, *[v for p in edition.places for v in ("a", p)]))
    for name, role in edition.people:
        fields.append(data_field("700", "0 ", "a", name, "e", role) if role else data_field("700", "0 ", "a", name))
    if edition.corporate:
        fields.append(data_field("710", "2 ", "a", edition.corporate))
    return fields


def _holdings(rng: random.Random, edition: Edition, code: str, registrations: Iterator[int]) -> list[Field]:
    """One 852 per copy; the registration number (số ĐKCB) comes from the library's own sequence."""
    call_number = f"{edition.ddc} {edition.title[:1].upper()}{rng.randint(100, 599)}"
    copies = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
    fields = []
    for _ in range(copies):
        location, prefix = rng.choices(LOCATIONS, weights=(6, 2, 2, 1))[0]
        fields.append(data_field("852", "  ", "a", code, "b", location, "h", call_number,
                                 "p", f"{prefix}.{next(registrations):06d}"))
    return fields


@dataclass
class _Library:
    code: str
    old_style: float
    numbers: Iterator[int]  # 001
    registrations: Iterator[int]  # số ĐKCB


def _holders(rng: random.Random, libraries: list[_Library], weights: list[int]) -> list[_Library]:
    """Usually one library holds an edition; about one in four is held by two or three."""
    wanted = rng.choices((1, 2, 3), weights=(75, 18, 7))[0]
    chosen: list[_Library] = []
    while len(chosen) < wanted:
        library = rng.choices(libraries, weights=weights)[0]
        if library not in chosen:
            chosen.append(library)
    return chosen


def to_old_style(fields: list[Field]) -> None:
    for field in fields:
        if not field.is_control_field():
            field.subfields = [Subfield(sub.code, old_style(sub.value)) for sub in field.subfields]


def _record(rng: random.Random, shared: Edition, library: _Library) -> Record:
    """One library's own record of an edition: its 001/003, its wording, its copies."""
    fields = [
        *_control_fields(rng, shared, library.code, next(library.numbers)),
        *_isbn_field(rng, shared),
        data_field("040", "  ", "a", library.code, "b", "vie", "c", library.code),
        data_field("041", "0 ", "a", "vie"),
        data_field("082", "04", "a", shared.ddc, "2", rng.choice(("14", "23"))),
        title_field(shared, _responsibility(rng, shared)),
        *description(shared),
        *access_points(shared, keywords=rng.random() < 0.4),
        *_holdings(rng, shared, library.code, library.registrations),
    ]
    if rng.random() < library.old_style:
        to_old_style(fields)
    record = Record(leader=LEADER, force_utf8=True)
    record.add_field(*fields)
    return record


def generate(n: int, seed: int = DEFAULT_SEED) -> Iterator[Record]:
    """Yield n records, one at a time; the same seed always yields the same records."""
    rng = random.Random(seed)
    libraries = [_Library(code, chance, count(start), count(1)) for code, _, start, chance in LIBRARIES]
    weights = [share for _, share, _, _ in LIBRARIES]
    isbn_serials = count(1)
    made = 0
    while made < n:
        shared = edition(rng, isbn_serials)
        for library in _holders(rng, libraries, weights)[: n - made]:
            yield _record(rng, shared, library)
            made += 1


FORMATS = {"iso2709": (MARCWriter, "wb"), "marcxml": (XMLWriter, "wb"), "json": (JSONWriter, "w")}


def write_file(path, n: int, seed: int = DEFAULT_SEED, fmt: str = "iso2709") -> int:
    """Write n records to path (ISO 2709 in UTF-8 by default) without holding them; return the file size."""
    writer_class, mode = FORMATS[fmt]
    with open(path, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as handle:
        writer = writer_class(handle)
        for record in generate(n, seed):
            writer.write(record)
        writer.close(close_fh=False)
    return os.path.getsize(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic Vietnamese local-history MARC records.")
    parser.add_argument("output", help="file to write")
    parser.add_argument("--records", type=int, default=1000, help="how many records (default 1000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="iso2709")
    args = parser.parse_args(argv)
    size = write_file(args.output, args.records, args.seed, args.fmt)
    print(f"{args.records} records, {size:,} bytes: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
