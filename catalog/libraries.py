"""The Union's member libraries and the libraries they serve."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from blinker import Namespace
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.errors import InvalidLibrary, LibraryExists, UnknownLibrary
from catalog.models import LIBRARY_KINDS, Copy, Library, Record
from catalog.vietnamese import nfc

# The 003 of the union's own records (an edition as exported: the best description, every holding library).
UNION_ORG_CODE = "LHTVBMT"
UNION_LIBRARIES = (
    # code, name, province, kind
    ("TVTH", "Thư viện tỉnh Thanh Hóa", "Thanh Hóa", "member"),
    ("TVNA", "Thư viện tỉnh Nghệ An", "Nghệ An", "member"),
    ("TVHT", "Thư viện tỉnh Hà Tĩnh", "Hà Tĩnh", "member"),
    ("TVQB", "Thư viện tỉnh Quảng Bình", "Quảng Bình", "member"),
    ("TVQT", "Thư viện tỉnh Quảng Trị", "Quảng Trị", "member"),
    ("TVTTH", "Thư viện tỉnh Thừa Thiên Huế", "Thừa Thiên Huế", "member"),
    ("TVCC", "Thư viện huyện đảo Cồn Cỏ", "Quảng Trị", "district"),
)
KIND_NAMES = {"member": lazy_gettext("thành viên"), "district": lazy_gettext("thư viện huyện"),
              "other": lazy_gettext("khác")}
CODE = re.compile(r"[A-Za-z0-9]{2,16}")
ORG_CODE = re.compile(r"[A-Za-z0-9:/-]{2,16}")  # the characters and length of an ISIL (ISO 15511)
NAME_LENGTH = Library.name.type.length
PROVINCE_LENGTH = Library.province.type.length

# Sent (sender: the Flask app) when a library is added or changed, inside the transaction that writes it;
# whoever keeps the audit log listens and notes the change in that same transaction.
library_changed = Namespace().signal("library-changed")


@dataclass(frozen=True)
class LibrarySummary:
    """A library with how many live records and copies it has in the catalog."""

    library: Library
    records: int
    copies: int


def normalize_org_code(code: str) -> str:
    """Organization codes (003, 852$a) are compared without regard to case or surrounding spaces."""
    return code.strip().upper()


def list_libraries(db: Session) -> list[Library]:
    """Members first, then the libraries they serve, each group by code."""
    libraries = db.scalars(select(Library)).all()
    return sorted(libraries, key=lambda library: (LIBRARY_KINDS.index(library.kind), library.code))


def library_names(db: Session) -> dict[str, str]:
    """Each library's name by its code, for pages that show codes the index keeps."""
    return dict(db.execute(select(Library.code, Library.name)).all())


def library_summaries(db: Session) -> list[LibrarySummary]:
    """Every library, in list order, with its counts of records (not deleted) and copies."""
    records = dict(db.execute(select(Record.library_id, func.count()).where(Record.deleted.is_(False))
                              .group_by(Record.library_id)).all())
    copies = dict(db.execute(select(Copy.library_id, func.count()).group_by(Copy.library_id)).all())
    return [LibrarySummary(library, records.get(library.id, 0), copies.get(library.id, 0))
            for library in list_libraries(db)]


def get_library(db: Session, code: str) -> Library:
    # No code holds control characters, and PostgreSQL would refuse to compare one with a NUL in it.
    library = db.scalar(select(Library).where(Library.code == code.strip().upper())) if code.isprintable() else None
    if library is None:
        raise UnknownLibrary(code)
    return library


def add_library(db: Session, code: str, name: str, kind: str = "member", org_code: str | None = None,
                province: str | None = None, *, actor) -> Library:
    """Add a library; its MARC organization code (003) defaults to its code. actor: a user or 'cli:…'."""
    code = _checked_code(code)
    values = _checked_values(name, province, kind, org_code or code)
    _refuse_taken(db, values["org_code"], code=code)
    library = Library(code=code, **values)
    db.add(library)
    _flush(db, library)
    _announce(db, "library.create", actor, library, values)
    return library


def update_library(db: Session, code: str, *, name: str, province: str | None, kind: str, org_code: str | None,
                   actor) -> Library:
    """Change a library's name, province, kind or organization code; its code never changes."""
    # The code names the library in users, import batches, the audit log and the search index.
    library = get_library(db, code)
    values = _checked_values(name, province, kind, org_code or library.code)
    _refuse_taken(db, values["org_code"], other_than=library)
    changes = {field: [getattr(library, field), value] for field, value in values.items()
               if getattr(library, field) != value}
    for field, (_old, new) in changes.items():
        setattr(library, field, new)
    _flush(db, library)
    if changes:
        _announce(db, "library.update", actor, library, changes)
    return library


def seed_union(db: Session) -> int:
    """Add the Union's libraries that are missing; return how many were added."""
    existing = set(db.scalars(select(Library.code)))
    added = 0
    for code, name, province, kind in UNION_LIBRARIES:
        if code not in existing:
            db.add(Library(code=code, name=name, province=province, kind=kind, org_code=normalize_org_code(code)))
            added += 1
    db.flush()
    return added


def _checked_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise InvalidLibrary(_("Mã thư viện không được để trống."))
    if not CODE.fullmatch(code):
        raise InvalidLibrary(_("Mã thư viện phải gồm 2–16 chữ cái không dấu hoặc chữ số, không có khoảng trắng "
                               "hay dấu gạch (ví dụ TVGL)."))
    return code.upper()


def _checked_values(name: str, province: str | None, kind: str, org_code: str) -> dict:
    """The columns a library's form sets, as stored; anything unusable is refused with the reason."""
    name = _text(name, _("Tên thư viện"), NAME_LENGTH)
    if not name:
        raise InvalidLibrary(_("Tên thư viện không được để trống."))
    if kind not in LIBRARY_KINDS:
        raise InvalidLibrary(_("Loại thư viện phải là một trong: %(kinds)s.", kinds=", ".join(LIBRARY_KINDS)))
    org_code = (org_code or "").strip()
    if not ORG_CODE.fullmatch(org_code):
        raise InvalidLibrary(_("Mã tổ chức MARC (trường 003) phải gồm 2–16 ký tự: chữ cái không dấu, chữ số, "
                               "“-”, “/” hoặc “:” (ví dụ VN-QT-GL)."))
    return {"name": name, "province": _text(province, _("Tỉnh"), PROVINCE_LENGTH) or None, "kind": kind,
            "org_code": normalize_org_code(org_code)}


def _text(value: str | None, label: str, limit: int) -> str:
    """Typed text as stored: NFC, any space as a plain one, trimmed; control and hidden characters refused."""
    text = nfc("".join(" " if unicodedata.category(char) == "Zs" else char for char in value or "")).strip()
    if not text.isprintable():
        raise InvalidLibrary(_("%(field)s có ký tự điều khiển hoặc ký tự ẩn (như xuống dòng, tab): hãy gõ lại "
                               "trên một dòng.", field=label))
    if len(text) > limit:
        raise InvalidLibrary(_("%(field)s dài quá %(count)s ký tự.", field=label, count=limit))
    return text


def _refuse_taken(db: Session, org_code: str, *, code: str | None = None, other_than: Library | None = None) -> None:
    """Refuse a code or organization code another library has (codes are stored upper-case)."""
    if org_code == UNION_ORG_CODE:
        raise LibraryExists(_("Mã tổ chức “%(org)s” là của chính Liên hiệp (biểu ghi ấn bản xuất ra mang mã này).",
                              org=org_code))
    if code and db.scalar(select(Library.id).where(func.upper(Library.code) == code)) is not None:
        raise LibraryExists(_("Đã có thư viện mã “%(code)s”.", code=code))
    holder = db.scalar(select(Library).where(func.upper(Library.org_code) == org_code))
    if holder is not None and holder is not other_than:
        raise LibraryExists(_("Mã tổ chức “%(org)s” đã là của %(name)s (%(code)s): mỗi thư viện một mã riêng.",
                              org=org_code, name=holder.name, code=holder.code))


def _flush(db: Session, library: Library) -> None:
    try:
        db.flush()
    except IntegrityError:  # another request took the code between the check and the write
        db.rollback()
        raise LibraryExists(_("Đã có thư viện mã “%(code)s” hoặc mã tổ chức “%(org)s”.",
                              code=library.code, org=library.org_code)) from None


def _announce(db: Session, action: str, actor, library: Library, details: dict) -> None:
    if has_app_context():
        library_changed.send(current_app._get_current_object(), db=db, action=action, actor=actor,
                             library=library, details=details)
