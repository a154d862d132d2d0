"""supervision orders (督办单) and the clock indexes the supervision pages read

Revision ID: 0008d
Revises: 0008c
Create Date: 2026-11-22 19:30:00.000000

A supervision order is a supervisor's written demand on a case, addressed to a person or a department's
head, with its own deadline, the reply and who closed it. The clock indexes serve 电子监察: running
clocks by due time (all, one department's or one status's) and finished clocks by the moment they
finished.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008d'
down_revision = '0008c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supervision_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('clock_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('addressee', sa.String(length=64), nullable=False),
    sa.Column('addressee_department', sa.String(length=64), nullable=True),
    sa.Column('demand', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_by', sa.String(length=64), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                            name=op.f('fk_supervision_order_instance_id_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_order'))
    )
    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_order_addressee_status', ['addressee', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_order_clock_id'), ['clock_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_order_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_supervision_order_status_due', ['status', 'due_at'], unique=False)

    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.create_index('ix_clock_active_due', ['active', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_clock_department_active_due', ['department_code', 'active', 'due_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_clock_status_due', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_clock_finished_at', ['finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.drop_index('ix_clock_finished_at')
        batch_op.drop_index('ix_clock_status_due')
        batch_op.drop_index('ix_clock_department_active_due')
        batch_op.drop_index('ix_clock_active_due')

    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_order_status_due')
        batch_op.drop_index(batch_op.f('ix_supervision_order_instance_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_order_clock_id'))
        batch_op.drop_index('ix_supervision_order_addressee_status')

    op.drop_table('supervision_order')
