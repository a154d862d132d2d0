"""state deltas: a step stores what it changed in the workflow state, not the whole state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:30:00.000000

Existing instances keep their whole state with no deltas (state_deltas = 0), which is what the new
code reads too, so nothing has to be rewritten.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instance') as batch:
        batch.add_column(sa.Column('state_deltas', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('instance_state_delta',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('ops', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_instance_state_delta_instance_id_instance'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'seq', name=op.f('pk_instance_state_delta'))
    )


def downgrade():
    op.drop_table('instance_state_delta')
    with op.batch_alter_table('instance') as batch:
        batch.drop_column('state_deltas')
