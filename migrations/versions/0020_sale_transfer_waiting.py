"""an index of the sales still waiting for their transfer, by amount

The bank poller counts them on every poll, each bank transaction that pays no sale lists
the waiting sales of its amount, and a month's close asks whether any is left: each read
every sale the shop ever rang up. A partial index holds only the waiting ones (a handful).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

WAITING = "transfer_dong > 0 AND confirmed_at IS NULL"


def upgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.create_index(
            'ix_sale_transfer_waiting',
            ['transfer_dong'],
            unique=False,
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )


def downgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_sale_transfer_waiting',
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )
