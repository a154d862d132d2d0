"""portal submissions: kept before their process starts, with the reason a start failed

Revision ID: 0008c
Revises: 0008b
Create Date: 2026-11-22 19:00:00.000000

Letters and applications from the public portal are committed before their process instance starts;
while instance_id is empty they wait for `govflow portal retry`, and start_error says why the last
start failed. An application keeps its description and the ids of its materials on its own row.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008c'
down_revision = '0008b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_error', sa.Text(), nullable=True))

    with op.batch_alter_table('licence_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('materials', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('start_error', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('licence_application', schema=None) as batch_op:
        batch_op.drop_column('start_error')
        batch_op.drop_column('materials')
        batch_op.drop_column('description')

    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('start_error')
