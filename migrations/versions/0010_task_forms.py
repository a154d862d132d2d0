"""task forms: forms read from deployed BPMN files, or generated for their tasks

Revision ID: 0010
Revises: 0009r
Create Date: 2026-11-24 10:00:00.000000

Camunda formData, Activiti/Flowable formProperty, Camunda Forms and SpiffArena JSON-schema forms become
govflow form definitions at deployment; each is stored once under a key made from its content, which
the task's projection carries like the key of a shipped form.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009r'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_form',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_task_form'))
    )


def downgrade():
    op.drop_table('task_form')
