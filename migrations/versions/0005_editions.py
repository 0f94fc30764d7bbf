"""editions: union entries grouping the records of one edition, staff decisions, match blocks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
