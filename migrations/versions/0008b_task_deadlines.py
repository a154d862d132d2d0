"""task deadlines: each open task carries its inbox due date and warning level

Revision ID: 0008b
Revises: 0008a
Create Date: 2026-11-22 19:20:00.000000

engine.task_deadlines keeps human_task.deadline_at and warning_level from the clocks on every flush;
this fills them for the tasks already open.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008b'
down_revision = '0008a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('warning_level', sa.String(length=8), server_default='none', nullable=False))
    op.execute("""
        UPDATE human_task SET
          deadline_at = COALESCE(
            (SELECT c.due_at FROM clock c WHERE c.task_id = human_task.id AND c.active ORDER BY c.id LIMIT 1),
            human_task.due_at,
            (SELECT c.due_at FROM clock c WHERE c.instance_id = human_task.instance_id AND c.task_id IS NULL
               AND c.active ORDER BY c.due_at LIMIT 1)),
          warning_level = COALESCE(
            (SELECT c.warning_level FROM clock c WHERE c.task_id = human_task.id AND c.active ORDER BY c.id LIMIT 1),
            (SELECT c.warning_level FROM clock c WHERE c.instance_id = human_task.instance_id AND c.task_id IS NULL
               AND c.active ORDER BY c.due_at LIMIT 1),
            'none')
        WHERE status = 'open'""")


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('warning_level')
        batch_op.drop_column('deadline_at')
