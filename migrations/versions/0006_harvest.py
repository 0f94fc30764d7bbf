"""harvest: OAI-PMH sources harvested into a library, and the record keys their identifiers brought

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('harvest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('set_spec', sa.String(length=255), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('harvested_until', sa.DateTime(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_harvest_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_harvest_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest')),
    sa.UniqueConstraint('url', 'set_spec', 'library_id', name=op.f('uq_harvest_url_set_spec_library_id'))
    )
    op.create_table('harvested_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('harvest_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.Column('org_code', sa.String(length=64), nullable=False),
    sa.Column('control_number', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['harvest_id'], ['harvest.id'], name=op.f('fk_harvested_record_harvest_id_harvest'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvested_record')),
    sa.UniqueConstraint('harvest_id', 'identifier', name=op.f('uq_harvested_record_harvest_id_identifier'))
    )


def downgrade() -> None:
    op.drop_table('harvested_record')
    op.drop_table('harvest')
