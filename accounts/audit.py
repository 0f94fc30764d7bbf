"""The audit log: every write noted with who did it, when, for which library and from which address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import database
from accounts.errors import InvalidFilter
from accounts.models import AuditEvent
from accounts.text import plain
from catalog import permissions
from catalog.errors import NotAllowed
from catalog.libraries import list_libraries

PER_PAGE = 50
FILTERS = ("user", "library", "action", "date_from", "date_to")


def record(db: Session, action: str, actor, *, library_code: str | None = None, target: str | None = None,
           details: dict | None = None) -> AuditEvent:
    """Note an action in the caller's transaction; actor is a user or a name such as 'cli:root'."""
    event = AuditEvent(action=action, user_id=getattr(actor, "id", None),
                       username=str(getattr(actor, "username", actor))[:100], library_code=library_code,
                       target=target[:200] if target else None, details=details,
                       address=request.remote_addr if has_request_context() else None)
    db.add(event)
    return event


def record_import(_app, report, user: str, library_code: str | None, **_details) -> None:
    """Note an import that wrote to the catalog, by the signed-in user or the command's runner."""
    signed_in = has_request_context() and current_user.is_authenticated
    counts = {name: getattr(report, name) for name in ("total", "new", "updated", "unchanged", "deleted", "rejected")}
    with database.transaction() as db:
        record(db, "import", current_user._get_current_object() if signed_in else user, library_code=library_code,
               target=str(report.batch_id), details={"batch": report.batch_id, "file": report.file_name,
                                                     "format": report.format, **counts})


def record_library_change(_app, db: Session, action: str, actor, library, details: dict) -> None:
    """Note a library added or changed, in the transaction that wrote it."""
    record(db, action, actor, library_code=library.code, target=library.code, details=details)


def record_edition_decision(_app, db: Session, action: str, actor, library_code: str, details: dict) -> None:
    """Note a librarian's split or join of editions, in the transaction that applied it."""
    record(db, action, actor, library_code=library_code, target=details.get("edition"), details=details)


@dataclass
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    filters: dict[str, str]


def list_events(db: Session, viewer, params) -> AuditPage:
    """One page of events the viewer may see, newest first; a librarian sees their library's only."""
    filters = {name: plain(params.get(name), 100).strip() for name in FILTERS}
    filters["library"] = filters["library"].upper() or (permissions.own_library(viewer) or "")
    if not permissions.can_view_audit(viewer, filters["library"] or None):
        raise NotAllowed(_("Bạn chỉ xem được nhật ký của thư viện mình."))
    query = _filtered(select(AuditEvent), filters)
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page(params.get("page")), pages)
    events = db.scalars(query.order_by(AuditEvent.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    return AuditPage(list(events), total, page, pages, filters)


def filter_choices(db: Session, viewer) -> dict[str, list]:
    """The libraries whose log the viewer may see and the actions that occur in the log, for the filters."""
    return {"libraries": [library for library in list_libraries(db)
                          if permissions.can_view_audit(viewer, library.code)],
            "actions": list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))}


def _filtered(query, filters: dict[str, str]):
    if filters["user"]:
        query = query.where(AuditEvent.username.in_({filters["user"], filters["user"].lower()}))
    if filters["library"]:
        query = query.where(AuditEvent.library_code == filters["library"])
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["date_from"]:
        query = query.where(AuditEvent.at >= _local_midnight(filters["date_from"]))
    if filters["date_to"]:
        query = query.where(AuditEvent.at < _local_midnight(filters["date_to"]) + timedelta(days=1))
    return query


def _local_midnight(value: str) -> datetime:
    """The start of a day in the reader's time zone, as the naive UTC the log is stored in."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(_("Ngày “%(value)s” không hợp lệ: hãy ghi theo dạng năm-tháng-ngày, ví dụ 2026-11-30.",
                              value=value)) from None
    return to_utc(datetime.combine(day, time()))


def _page(value: str | None) -> int:
    if not value:
        return 1
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or int(value) < 1:
        raise InvalidFilter(_("Số trang “%(value)s” không hợp lệ.", value=value[:20]))
    return int(value)
