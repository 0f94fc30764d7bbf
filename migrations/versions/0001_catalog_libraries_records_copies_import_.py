"""catalog: libraries, records, copies, import batches

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 02:38:54.396753
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('org_code', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library')),
    sa.UniqueConstraint('code', name=op.f('uq_library_code')),
    sa.UniqueConstraint('org_code', name=op.f('uq_library_org_code'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=True),
    sa.Column('forced_encoding', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_import_batch_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_checksum'), ['checksum'], unique=False)

    op.create_table('import_rejection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=True),
    sa.Column('control_number', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_rejection_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rejection'))
    )
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_rejection_batch_id'), ['batch_id'], unique=False)

    op.create_table('record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=64), nullable=False),
    sa.Column('control_number', sa.String(length=64), nullable=False),
    sa.Column('marc', sa.LargeBinary(), nullable=False),
    sa.Column('marc_hash', sa.String(length=64), nullable=False),
    sa.Column('encoding', sa.String(length=32), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('publisher', sa.Text(), nullable=True),
    sa.Column('isbns', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('places', sa.JSON(), nullable=False),
    sa.Column('series', sa.JSON(), nullable=False),
    sa.Column('edition_statement', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_record_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_record_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record')),
    sa.UniqueConstraint('control_number', 'library_id', 'org_code', name=op.f('uq_record_control_number_library_id_org_code'))
    )
    op.create_table('copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('registration_number', sa.Text(), nullable=True),
    sa.Column('call_number', sa.Text(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_copy_library_id_library')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_copy_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy'))
    )
    with op.batch_alter_table('copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copy_library_id'), ['library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_copy_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_copy_registration_number'), ['registration_number'], unique=False)

    op.create_table('record_identifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_identifier_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_identifier'))
    )
    with op.batch_alter_table('record_identifier', schema=None) as batch_op:
        batch_op.create_index('ix_record_identifier_kind_value', ['kind', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_identifier_record_id'), ['record_id'], unique=False)

    op.create_table('record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('marc', sa.LargeBinary(), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_record_version_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_version_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_version'))
    )
    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_version_record_id'), ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_version_record_id'))

    op.drop_table('record_version')
    with op.batch_alter_table('record_identifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_identifier_record_id'))
        batch_op.drop_index('ix_record_identifier_kind_value')

    op.drop_table('record_identifier')
    with op.batch_alter_table('copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copy_registration_number'))
        batch_op.drop_index(batch_op.f('ix_copy_record_id'))
        batch_op.drop_index(batch_op.f('ix_copy_library_id'))

    op.drop_table('copy')
    op.drop_table('record')
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_rejection_batch_id'))

    op.drop_table('import_rejection')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_checksum'))

    op.drop_table('import_batch')
    op.drop_table('library')
