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
    op.create_table('edition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['edition.id'], name=op.f('fk_edition_merged_into_id_edition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition')),
    sa.UniqueConstraint('key', name=op.f('uq_edition_key'))
    )
    op.create_table('edition_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('other_record_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['other_record_id'], ['record.id'], name=op.f('fk_edition_decision_other_record_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_edition_decision_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition_decision'))
    )
    op.create_index(op.f('ix_edition_decision_other_record_id'), 'edition_decision', ['other_record_id'], unique=False)
    op.create_index(op.f('ix_edition_decision_record_id'), 'edition_decision', ['record_id'], unique=False)
    op.create_table('match_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('block', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_match_block_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_block'))
    )
    op.create_index(op.f('ix_match_block_block'), 'match_block', ['block'], unique=False)
    op.create_index(op.f('ix_match_block_record_id'), 'match_block', ['record_id'], unique=False)

    # Not in batch mode: on SQLite that copies the record table and drops the old one, and with foreign
    # keys on, dropping it deletes every copy (ON DELETE CASCADE). Plain columns are added in place.
    op.add_column('record', sa.Column('edition_id', sa.Integer(), nullable=True))
    op.add_column('record', sa.Column('edition_link', sa.JSON(), nullable=True))
    op.add_column('record', sa.Column('former_edition_id', sa.Integer(), nullable=True))
    # Every record stored before editions existed waits to be clustered: the first sync does it.
    op.add_column('record', sa.Column('edition_pending', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index(op.f('ix_record_edition_id'), 'record', ['edition_id'], unique=False)
    op.create_index('ix_record_edition_pending', 'record', ['id'], unique=False,
                    postgresql_where=sa.text('edition_pending'), sqlite_where=sa.text('edition_pending'))


def downgrade() -> None:
    op.drop_index('ix_record_edition_pending', table_name='record')
    op.drop_index(op.f('ix_record_edition_id'), table_name='record')
    for column in ('edition_pending', 'former_edition_id', 'edition_link', 'edition_id'):
        op.drop_column('record', column)  # in place (SQLite 3.35+), for the reason given in upgrade()
    op.drop_table('match_block')
    op.drop_table('edition_decision')
    op.drop_table('edition')
