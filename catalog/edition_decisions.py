"""A librarian's split or join of union entries: recorded between records, applied at once, kept for good.

A split says "this record is not the same edition as the others": it becomes a cannot-link with each of
them. A join says "these two entries are one edition": a must-link between one record of each. Both are
stored, so every later re-clustering (after an import, or of everything) respects them; a contrary later
decision retires the earlier one. Each is announced for the audit log, in the same transaction.
"""
from __future__ import annotations

from blinker import Namespace
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from catalog import permissions
from catalog.edition_read import live_records, resolve
from catalog.editions import recluster_around
from catalog.errors import InvalidEditionDecision, NotAllowed, RecordNotFound
from catalog.imports import LARGEST_ID
from catalog.models import Edition, EditionDecision, Record

MAX_NOTE = 1000

# Sent (sender: the Flask app) in the transaction of a decision, before commit: the audit log listens.
edition_decided = Namespace().signal("edition-decided")


def split_record(db: Session, key: str, record_id: int, actor, note: str | None = None) -> str:
    """Take one record out of an edition; returns the key of the edition it now stands in."""
    edition = resolve(db, key).edition
    members = live_records(db, [edition.id]).get(edition.id, [])
    record = next((member for member in members if member.id == record_id), None)
    if record is None or not 0 < record_id <= LARGEST_ID:
        raise RecordNotFound(_("Biểu ghi số %(id)s không thuộc ấn bản “%(key)s”.", id=record_id, key=edition.key))
    _check_allowed(actor, members)
    others = [member.id for member in members if member.id != record_id]
    if not others:
        raise InvalidEditionDecision(_("Biểu ghi này đã đứng riêng một ấn bản: không có gì để tách."))
    db.execute(update(EditionDecision).where(EditionDecision.active, EditionDecision.kind == "join", or_(
        EditionDecision.record_id == record_id, EditionDecision.other_record_id == record_id)).values(active=False))
    db.add_all(EditionDecision(kind="split", record_id=record_id, other_record_id=other, note=_note(note),
                               created_by=_name(actor)) for other in others)
    db.flush()
    recluster_around(db.connection(), [record_id, *others])
    new_key = _key_of(db, record_id)
    _announce(db, "edition.split", actor, record, {"edition": edition.key, "record": record_id,
                                                  "new_edition": new_key, "note": _note(note)})
    return new_key


def join_editions(db: Session, key: str, other_key: str, actor, note: str | None = None) -> str:
    """Make two entries one edition; returns the key of the joined edition."""
    first, second = resolve(db, key).edition, resolve(db, other_key).edition
    if first.id == second.id:
        raise InvalidEditionDecision(_("Hai mã cùng chỉ một ấn bản: không có gì để gộp."))
    found = live_records(db, [first.id, second.id])
    ours, theirs = found.get(first.id, []), found.get(second.id, [])
    if not ours or not theirs:
        raise InvalidEditionDecision(_("Một trong hai ấn bản không còn biểu ghi nào."))
    if not permissions.can_join_editions(actor, {r.library.code for r in ours}, {r.library.code for r in theirs}):
        raise NotAllowed(_("Chỉ điều phối viên, hoặc thủ thư của thư viện có biểu ghi trong cả hai ấn bản, mới "
                           "được gộp hai ấn bản."))
    our_ids, their_ids = [r.id for r in ours], [r.id for r in theirs]
    db.execute(update(EditionDecision).where(EditionDecision.active, EditionDecision.kind == "split", or_(
        and_(EditionDecision.record_id.in_(our_ids), EditionDecision.other_record_id.in_(their_ids)),
        and_(EditionDecision.record_id.in_(their_ids), EditionDecision.other_record_id.in_(our_ids)),
    )).values(active=False))
    # Every record of each side is tied to the other side: all of them are vouched for (their differences no
    # longer keep them apart), and the join outlives the deletion of any one record.
    pairs = [(ours[0].id, other) for other in their_ids] + [(record, their_ids[0]) for record in our_ids[1:]]
    db.add_all(EditionDecision(kind="join", record_id=a, other_record_id=b, note=_note(note), created_by=_name(actor))
               for a, b in pairs)
    db.flush()
    recluster_around(db.connection(), our_ids + their_ids)
    joined = _key_of(db, ours[0].id)
    _announce(db, "edition.join", actor, ours[0], {"editions": [first.key, second.key], "edition": joined,
                                                   "note": _note(note)})
    return joined


def _check_allowed(actor, records: list[Record]) -> None:
    if not permissions.can_decide_edition(actor, {record.library.code for record in records}):
        raise NotAllowed(_("Chỉ thủ thư của thư viện có biểu ghi trong ấn bản này, hoặc điều phối viên, "
                           "mới được tách hay gộp ấn bản."))


def _key_of(db: Session, record_id: int) -> str:
    db.expire_all()  # the re-clustering wrote with Core, below the session
    return db.scalar(select(Edition.key).join(Record, Record.edition_id == Edition.id).where(Record.id == record_id))


def _note(note: str | None) -> str | None:
    text = " ".join((note or "").split())
    return text[:MAX_NOTE] or None


def _name(actor) -> str:
    return str(getattr(actor, "username", actor))[:100]


def _announce(db: Session, action: str, actor, record: Record, details: dict) -> None:
    if has_app_context():
        edition_decided.send(current_app._get_current_object(), db=db, action=action, actor=actor,
                             library_code=record.library.code, details=details)
