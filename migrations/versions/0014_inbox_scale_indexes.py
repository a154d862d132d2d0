"""inbox indexes at scale: visible tasks read from an index, 已办 and 我发起 in index order

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:30:00.000000

With a million open tasks a 待办 list or count probes every task the user may see twice (the task and
its case); the partial indexes of open tasks (with the columns the list sorts and filters by, on
PostgreSQL) and of running cases answer both probes without reading the tables. 已办 and 我发起 read a
person's newest rows in the order of the new two-column indexes, which replace the one-column ones.
实时监察 of one process counts its running clocks per status from (process_id, status) alone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
RUNNING = sa.text("status = 'running'")


def upgrade():
    with op.batch_alter_table('human_task') as batch:
        batch.drop_index('ix_human_task_completed_by')
        batch.create_index('ix_human_task_done', ['completed_by', 'completed_at'], unique=False)
        batch.create_index('ix_human_task_open_id', ['id'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN,
                           postgresql_include=['assignee', 'instance_id', 'deadline_at', 'created_at', 'priority',
                                               'warning_level'])
    with op.batch_alter_table('instance') as batch:
        batch.drop_index('ix_instance_started_by')
        batch.create_index('ix_instance_started_by_at', ['started_by', 'started_at'], unique=False)
        batch.create_index('ix_instance_running', ['id'], unique=False, postgresql_where=RUNNING,
                           sqlite_where=RUNNING, postgresql_include=['process_id'])
    with op.batch_alter_table('clock') as batch:
        batch.create_index('ix_clock_process_status', ['process_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('clock') as batch:
        batch.drop_index('ix_clock_process_status')
    with op.batch_alter_table('instance') as batch:
        batch.drop_index('ix_instance_running')
        batch.drop_index('ix_instance_started_by_at')
        batch.create_index('ix_instance_started_by', ['started_by'], unique=False)
    with op.batch_alter_table('human_task') as batch:
        batch.drop_index('ix_human_task_open_id')
        batch.drop_index('ix_human_task_done')
        batch.create_index('ix_human_task_completed_by', ['completed_by'], unique=False)
