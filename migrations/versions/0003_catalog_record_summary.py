"""catalog: record summary (520)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:12:41.508316
"""
from datetime import datetime, timezone

from alembic import op
import pymarc
import sqlalchemy as sa

from catalog.marc_mapping import read_summary


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 1000
LEADER_LENGTH = 24
BASE_ADDRESS = slice(12, 17)  # leader/12-16
DIRECTORY_ENTRY_LENGTH = 12


def upgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
    _fill_summaries(op.get_bind())


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops the old one, and with foreign keys on
    # dropping it deletes every copy and version of every record (ON DELETE CASCADE). SQLite 3.35+ drops a
    # column in place.
    op.drop_column('record', 'summary')


# Records stored before this revision already hold their 520s in their MARC, and re-importing an unchanged
# file leaves them alone: read the summaries out once, and note those records in the change feed so the
# search index takes the summaries in too.

record = sa.table('record', sa.column('id', sa.Integer()), sa.column('marc', sa.LargeBinary()),
                  sa.column('summary', sa.Text()))
record_change = sa.table('record_change', sa.column('record_id', sa.Integer()),
                         sa.column('changed_at', sa.DateTime()))


def _fill_summaries(conn) -> None:
    last = 0
    while rows := conn.execute(sa.select(record.c.id, record.c.marc).where(record.c.id > last)
                               .order_by(record.c.id).limit(BATCH)).all():
        last = rows[-1].id
        found = [{'record_id': row.id, 'text': text} for row in rows if (text := _summary(bytes(row.marc)))]
        if found:
            conn.execute(record.update().where(record.c.id == sa.bindparam('record_id'))
                         .values(summary=sa.bindparam('text')), found)
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            conn.execute(record_change.insert(), [{'record_id': row['record_id'], 'changed_at': now} for row in found])


def _summary(marc: bytes) -> str | None:
    """The stored record's summary; the stored MARC is well-formed UTF-8 ISO 2709, so pymarc reads it."""
    if not _has_520(marc):
        return None
    try:
        return read_summary(pymarc.Record(data=marc, force_utf8=True, hide_utf8_warnings=True))
    except Exception:  # noqa: BLE001 - a record pymarc cannot read keeps no summary until it is re-imported
        return None


def _has_520(marc: bytes) -> bool:
    """Whether the directory names a 520, without parsing the record: most records have none."""
    base = marc[BASE_ADDRESS]
    end = int(base) - 1 if base.isdigit() else LEADER_LENGTH
    directory = marc[LEADER_LENGTH:end]
    return any(directory[start:start + 3] == b'520' for start in range(0, len(directory), DIRECTORY_ENTRY_LENGTH))
