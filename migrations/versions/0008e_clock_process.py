"""clock process: each clock carries its case's process id

Revision ID: 0008e
Revises: 0008d
Create Date: 2026-11-22 20:15:00.000000

电子监察 filters running clocks and reports by process; with the process on the clock, the filter is
an index range instead of a join to the cases.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008e'
down_revision = '0008d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_id', sa.String(length=255), nullable=True))
    op.execute("UPDATE clock SET process_id = (SELECT instance.process_id FROM instance "
               "WHERE instance.id = clock.instance_id) WHERE instance_id IS NOT NULL")
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.create_index('ix_clock_process_active_due', ['process_id', 'active', 'due_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.drop_index('ix_clock_process_active_due')
        batch_op.drop_column('process_id')
