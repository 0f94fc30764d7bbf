"""exchange: transfers, their lines and events; copy movements and registration counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:20:37.790983
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registration_counter',
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_registration_counter_library_id_library')),
    sa.PrimaryKeyConstraint('library_id', name=op.f('pk_registration_counter'))
    )
    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_library_id', sa.Integer(), nullable=False),
    sa.Column('to_library_id', sa.Integer(), nullable=False),
    sa.Column('transfer_date', sa.Date(), nullable=False),
    sa.Column('occasion', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('counterpart_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('donation', 'exchange')", name=op.f('ck_transfer_kind')),
    sa.CheckConstraint("state in ('draft', 'dispatched', 'received', 'partly_received', 'cancelled')", name=op.f('ck_transfer_state')),
    sa.CheckConstraint('from_library_id != to_library_id', name=op.f('ck_transfer_two_libraries')),
    sa.ForeignKeyConstraint(['counterpart_id'], ['transfer.id'], name=op.f('fk_transfer_counterpart_id_transfer')),
    sa.ForeignKeyConstraint(['from_library_id'], ['library.id'], name=op.f('fk_transfer_from_library_id_library')),
    sa.ForeignKeyConstraint(['to_library_id'], ['library.id'], name=op.f('fk_transfer_to_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer'))
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_from_library_id'), ['from_library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_to_library_id'), ['to_library_id'], unique=False)

    op.create_table('transfer_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('state_from', sa.String(length=20), nullable=True),
    sa.Column('state_to', sa.String(length=20), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('as_coordinator', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_event_transfer_id_transfer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_event'))
    )
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_event_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('copy_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('from_library_id', sa.Integer(), nullable=True),
    sa.Column('to_library_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('moved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['copy_id'], ['copy.id'], name=op.f('fk_copy_movement_copy_id_copy'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_library_id'], ['library.id'], name=op.f('fk_copy_movement_from_library_id_library')),
    sa.ForeignKeyConstraint(['to_library_id'], ['library.id'], name=op.f('fk_copy_movement_to_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy_movement'))
    )
    with op.batch_alter_table('copy_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copy_movement_copy_id'), ['copy_id'], unique=False)

    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=True),
    sa.Column('edition_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=True),
    sa.Column('missing', sa.Integer(), nullable=True),
    sa.Column('damaged', sa.Integer(), nullable=True),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('status_before', sa.String(length=32), nullable=True),
    sa.CheckConstraint('(case when copy_id is null then 0 else 1 end) + (case when edition_id is null then 0 else 1 end) + (case when title is null then 0 else 1 end) = 1', name=op.f('ck_transfer_line_one_kind')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_line_quantity')),
    sa.ForeignKeyConstraint(['copy_id'], ['copy.id'], name=op.f('fk_transfer_line_copy_id_copy')),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_transfer_line_edition_id_edition')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_line_transfer_id_transfer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_line'))
    )
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_line_transfer_id'), ['transfer_id'], unique=False)
        batch_op.create_index('uq_transfer_line_open_copy', ['copy_id'], unique=True, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))

    # In place, not in batch mode: on SQLite a batch copies the table (see 0005).
    op.add_column('copy', sa.Column('title', sa.Text(), nullable=True))



def downgrade() -> None:
    op.drop_column('copy', 'title')

    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.drop_index('uq_transfer_line_open_copy', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_index(batch_op.f('ix_transfer_line_transfer_id'))

    op.drop_table('transfer_line')
    with op.batch_alter_table('copy_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copy_movement_copy_id'))

    op.drop_table('copy_movement')
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_event_transfer_id'))

    op.drop_table('transfer_event')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_to_library_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_state'))
        batch_op.drop_index(batch_op.f('ix_transfer_from_library_id'))

    op.drop_table('transfer')
    op.drop_table('registration_counter')
