"""inventory backfills: runs, batches and chunk logs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inventory_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_url', sa.Text(), nullable=False),
    sa.Column('source_bucket', sa.String(length=255), nullable=False),
    sa.Column('inventory_bucket', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=20), nullable=False),
    sa.Column('file_schema', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=True),
    sa.Column('date_to', sa.Date(), nullable=True),
    sa.Column('date_basis', sa.String(length=20), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('optimize_after', sa.Boolean(), nullable=False),
    sa.Column('pause_requested', sa.Boolean(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('batches_total', sa.Integer(), nullable=False),
    sa.Column('batches_by_status', sa.JSON(), nullable=False),
    sa.Column('objects_total', sa.BigInteger(), nullable=False),
    sa.Column('objects_done', sa.BigInteger(), nullable=False),
    sa.Column('objects_missing', sa.BigInteger(), nullable=False),
    sa.Column('skipped', sa.BigInteger(), nullable=False),
    sa.Column('bytes_total', sa.BigInteger(), nullable=False),
    sa.Column('bytes_done', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.Column('rows_written', sa.BigInteger(), nullable=False),
    sa.Column('rejects', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inventory_runs', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_runs_status', ['status'], unique=False)

    op.create_table('inventory_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('inventory_key', sa.Text(), nullable=False),
    sa.Column('inventory_size', sa.BigInteger(), nullable=False),
    sa.Column('inventory_md5', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('dispatch', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=100), nullable=False),
    sa.Column('keys_total', sa.BigInteger(), nullable=False),
    sa.Column('keys_done', sa.BigInteger(), nullable=False),
    sa.Column('chunks_done', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.BigInteger(), nullable=False),
    sa.Column('missing', sa.BigInteger(), nullable=False),
    sa.Column('bytes_total', sa.BigInteger(), nullable=False),
    sa.Column('bytes_done', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.Column('rejects', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['inventory_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'number', name='uq_inventory_batch_number')
    )
    with op.batch_alter_table('inventory_batches', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_batches_run_status', ['run_id', 'status'], unique=False)

    op.create_table('inventory_chunk_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('chunk_index', sa.Integer(), nullable=False),
    sa.Column('key_offset', sa.BigInteger(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('query_id', sa.String(length=100), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('bytes_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_written', sa.BigInteger(), nullable=False),
    sa.Column('rejects', sa.BigInteger(), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['inventory_batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['inventory_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inventory_chunk_logs', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_chunk_logs_batch', ['batch_id', 'id'], unique=False)
        batch_op.create_index('ix_inventory_chunk_logs_run_id', ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inventory_chunk_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_chunk_logs_run_id')
        batch_op.drop_index('ix_inventory_chunk_logs_batch')
    op.drop_table('inventory_chunk_logs')

    with op.batch_alter_table('inventory_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_batches_run_status')
    op.drop_table('inventory_batches')

    with op.batch_alter_table('inventory_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_runs_status')
    op.drop_table('inventory_runs')
