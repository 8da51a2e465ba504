"""rail version on items: the counter's copy of the rail asks for what changed since

Every change of an item row (added, price changed, sold, put back, disposed, a lot's
quantity) stamps it with the next number of the "rail" sequence; the counter page keeps a
copy of the rail and asks for the items stamped after the last number it saw.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rail_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(batch_op.f("ix_item_rail_version"), ["rail_version"], unique=False)


def downgrade():
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_rail_version"))
        batch_op.drop_column("rail_version")
