"""session generation: logout, a new password or a disabled account end every session of a user

Revision ID: 0009r
Revises: 0008e
Create Date: 2026-12-07 11:40:00.000000

A signed session cookie stays valid until it expires; the number on the account, copied into the
cookie at login and compared on every request, lets the server end all of a user's sessions at once.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009r'
down_revision = '0008e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
