"""copy movements keep the number a copy had before the receiver renumbered it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 11:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place, not in batch mode: a batch copy of copy_movement would gain nothing and cost a table rewrite.
    op.add_column('copy_movement', sa.Column('number_before', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('copy_movement', 'number_before')
