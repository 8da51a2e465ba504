"""closed months keep each member's compensation for her lost items

A member's consigned item lost at a stocktake is paid to her by the group (an expense of
category "compensation" naming her): it is part of the month's expenses and of her earned.
A closed month's member row keeps it (closed_month_member.compensation_dong, 0 for the
months closed before), and its check of earned adds it in:
earned = consignment + compensation + equal_share + work_share.

Going back down refuses while a closed month holds a compensation: the older check could
not hold for that member's row, and dropping the column would lose what she was paid.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

EARNED_BEFORE = "earned_dong = consignment_dong + equal_share_dong + work_share_dong"
EARNED_NOW = (
    "earned_dong = consignment_dong + compensation_dong + equal_share_dong + work_share_dong"
)


def upgrade():
    with op.batch_alter_table('closed_month_member', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('compensation_dong', sa.BigInteger(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint('compensation_not_negative', 'compensation_dong >= 0')
        batch_op.drop_constraint(op.f('ck_closed_month_member_earned_adds_up'), type_='check')
        batch_op.create_check_constraint('earned_adds_up', EARNED_NOW)


def downgrade():
    held = op.get_bind().execute(
        sa.text("SELECT count(*) FROM closed_month_member WHERE compensation_dong <> 0")
    ).scalar()
    if held:
        raise RuntimeError(
            f"{held} closed month rows hold a compensation for lost items: "
            "they cannot be kept by the schema before 0019."
        )
    with op.batch_alter_table('closed_month_member', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_closed_month_member_earned_adds_up'), type_='check')
        batch_op.create_check_constraint('earned_adds_up', EARNED_BEFORE)
        batch_op.drop_constraint(
            op.f('ck_closed_month_member_compensation_not_negative'), type_='check'
        )
        batch_op.drop_column('compensation_dong')
