"""Transfers read for people: the names of kinds, each line's title and edition, the copies a transfer carries.

The pages and the handover record use these; the service (exchange.transfers) never needs them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.edition_read import best_record, live_records
from catalog.models import Edition, Record
from exchange.models import Transfer

KIND_NAMES = {"donation": lazy_gettext("tặng"), "exchange": lazy_gettext("trao đổi")}


@dataclass(frozen=True)
class LineLabel:
    """What a line names: a title, and the edition whose page it leads to (when it is catalogued)."""

    title: str | None
    edition_key: str | None


def line_labels(db: Session, transfer: Transfer) -> dict[int, LineLabel]:
    """Each line's title and edition key: a named copy's through its record, an edition line's best record."""
    record_ids = {line.copy.record_id for line in transfer.lines if line.copy and line.copy.record_id}
    records = {row.id: row for row in db.execute(
        select(Record.id, Record.title, Record.edition_id).where(Record.id.in_(record_ids)))} if record_ids else {}
    edition_ids = {line.edition_id for line in transfer.lines if line.edition_id}
    keys = _keys(db, edition_ids | {row.edition_id for row in records.values() if row.edition_id})
    described = {edition_id: best_record(found).title for edition_id, found in live_records(db, edition_ids).items()}
    labels = {}
    for line in transfer.lines:
        if line.copy is not None:
            record = records.get(line.copy.record_id)
            labels[line.id] = LineLabel(record.title, keys.get(record.edition_id)) if record \
                else LineLabel(line.copy.title, None)
        else:
            labels[line.id] = LineLabel(described.get(line.edition_id, line.title), keys.get(line.edition_id))
    return labels


def copies_carried(transfer: Transfer) -> int:
    """The copies a transfer carries: what arrived once received, none once cancelled, else what is sent."""
    if transfer.state == "cancelled":
        return 0
    if transfer.state in ("received", "partly_received"):
        return sum(line.received or 0 for line in transfer.lines)
    return sum(line.quantity for line in transfer.lines)


def _keys(db: Session, edition_ids: set[int]) -> dict[int, str]:
    if not edition_ids:
        return {}
    return dict(db.execute(select(Edition.id, Edition.key).where(Edition.id.in_(edition_ids))).all())
