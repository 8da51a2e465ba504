"""who sees what: the shop's "open books" and "members record expenses" settings

Both off for every shop, old and new: a member sees the group's totals and her own lines,
and only coordinators record expenses, until a coordinator turns either on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_books", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "members_record_expenses", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.drop_column("members_record_expenses")
        batch_op.drop_column("open_books")
