"""The Union's member libraries and the libraries they serve."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.errors import InvalidLibrary, LibraryExists, UnknownLibrary
from catalog.models import LIBRARY_KINDS, Library

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


def normalize_org_code(code: str) -> str:
    """Organization codes (003, 852$a) are compared without regard to case or surrounding spaces."""
    return code.strip().upper()


def list_libraries(db: Session) -> list[Library]:
    """Members first, then the libraries they serve, each group by code."""
    libraries = db.scalars(select(Library)).all()
    return sorted(libraries, key=lambda library: (LIBRARY_KINDS.index(library.kind), library.code))


def get_library(db: Session, code: str) -> Library:
    # No code holds control characters, and PostgreSQL would refuse to compare one with a NUL in it.
    library = db.scalar(select(Library).where(Library.code == code.strip().upper())) if code.isprintable() else None
    if library is None:
        raise UnknownLibrary(code)
    return library


def add_library(db: Session, code: str, name: str, kind: str = "member",
                org_code: str | None = None, province: str | None = None) -> Library:
    """Add a library; its MARC organization code (003) defaults to its code."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise InvalidLibrary(_("Mã và tên thư viện không được để trống."))
    if kind not in LIBRARY_KINDS:
        raise InvalidLibrary(_("Loại thư viện phải là một trong: %(kinds)s.", kinds=", ".join(LIBRARY_KINDS)))
    library = Library(code=code, name=name.strip(), kind=kind, province=province,
                      org_code=normalize_org_code(org_code or code))
    db.add(library)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise LibraryExists(_("Đã có thư viện mã “%(code)s” hoặc mã tổ chức “%(org)s”.",
                              code=code, org=library.org_code)) from None
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
