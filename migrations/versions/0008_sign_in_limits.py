"""sign-in limits: growing locks, and the address each attempt came from

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # How many times in a row the phone (or address) has been locked since its last good
    # sign-in: each further lock lasts twice as long.
    with op.batch_alter_table('pin_lock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locks', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_pin_lock_locks_not_negative'), 'locks >= 0')

    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.drop_column('address')

    with op.batch_alter_table('pin_lock', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_pin_lock_locks_not_negative'), type_='check')
        batch_op.drop_column('locks')
