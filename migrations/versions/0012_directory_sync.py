"""directory sync and sign-on: stable directory keys, mobile numbers, where a membership comes from,
role mappings, the identity provider's subject of an account

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:40:00.000000

`govflow org sync` finds units, people and groups again by the directory's own identifier after a
rename or a move, keeps what the directory grants apart from what an administrator assigned here, and
maps directory groups to the roles the processes use.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory_key', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_department_directory_key', ['directory_key'])
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('directory_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('directory_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_user_account_directory_key', ['directory_key'])
        batch_op.create_unique_constraint('uq_user_account_oidc_subject', ['oidc_subject'])
    with op.batch_alter_table('user_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory_key', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_user_group_directory_key', ['directory_key'])
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='local', nullable=False))
        batch_op.add_column(sa.Column('via', sa.String(length=128), nullable=True))
    op.create_table(
        'role_mapping',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_group', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=128), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_mapping')),
        sa.UniqueConstraint('directory_group', 'role', name=op.f('uq_role_mapping_directory_group')),
    )


def downgrade():
    op.drop_table('role_mapping')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('via')
        batch_op.drop_column('source')
    with op.batch_alter_table('user_group', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_group_directory_key', type_='unique')
        batch_op.drop_column('directory_key')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_account_oidc_subject', type_='unique')
        batch_op.drop_constraint('uq_user_account_directory_key', type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('directory_status')
        batch_op.drop_column('directory_key')
        batch_op.drop_column('mobile')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint('uq_department_directory_key', type_='unique')
        batch_op.drop_column('directory_key')
