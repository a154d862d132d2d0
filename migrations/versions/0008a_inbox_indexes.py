"""inbox indexes: live candidate rows, step clocks by task

Revision ID: 0008a
Revises: 0007
Create Date: 2026-11-22 19:30:00.000000

task_candidate.open mirrors whether the task is still open, so an inbox reads the live rows of a
group instead of its whole history; clock.task_id is indexed because every inbox row looks up its
step clock.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008a'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_index('ix_task_candidate_kind_value')
        batch_op.create_index('ix_task_candidate_kind_value_open', ['kind', 'value', 'open'], unique=False)
    op.execute("UPDATE task_candidate SET open = false WHERE task_id NOT IN "
               "(SELECT id FROM human_task WHERE status = 'open')")
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.create_index('ix_clock_task', ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.drop_index('ix_clock_task')
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidate_kind_value_open')
        batch_op.create_index('ix_task_candidate_kind_value', ['kind', 'value'], unique=False)
        batch_op.drop_column('open')
