"""import progress: the file's size, the bytes read so far and a heartbeat on each import batch

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in batch mode: on SQLite that copies import_batch and drops the old one, and with foreign keys on,
    # dropping it deletes every rejection (ON DELETE CASCADE). Plain columns are added in place.
    op.add_column('import_batch', sa.Column('file_size', sa.BigInteger(), nullable=True))
    op.add_column('import_batch', sa.Column('bytes_read', sa.BigInteger(), nullable=False, server_default='0'))
    op.add_column('import_batch', sa.Column('heartbeat_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    for column in ('heartbeat_at', 'bytes_read', 'file_size'):
        op.drop_column('import_batch', column)  # in place (SQLite 3.35+), for the reason given in upgrade()
