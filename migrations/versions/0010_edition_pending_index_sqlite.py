"""the index of records waiting for their edition is used on SQLite too

SQLite has no boolean type: SQLAlchemy writes `WHERE record.edition_pending = 1`, and SQLite uses a partial index
only for a query whose condition is the index's own, so `WHERE edition_pending` was never used there and every
look for waiting records (the index follower's, twice a second) read the whole table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 19:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return  # PostgreSQL's planner uses `WHERE edition_pending` for `edition_pending = true` already
    op.drop_index('ix_record_edition_pending', table_name='record')
    op.create_index('ix_record_edition_pending', 'record', ['id'], unique=False,
                    sqlite_where=sa.text('edition_pending = 1'))


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.drop_index('ix_record_edition_pending', table_name='record')
    op.create_index('ix_record_edition_pending', 'record', ['id'], unique=False,
                    sqlite_where=sa.text('edition_pending'))
