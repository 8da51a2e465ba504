"""client ids on refunds, voids, payouts and expenses; money-only refunds

A refund, a void, a payout or an expense sent again by a device that got no answer (the
same client id, or Idempotency-Key) is recorded once, as sales already are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ("refund", "void", "payout", "expense")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_client_id"), ["client_id"])
    # A refund of money only (a discount given afterwards) returns no piece: quantity 0.
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refund_quantity_positive"), type_="check")
        batch_op.create_check_constraint("quantity_not_negative", "quantity >= 0")


def downgrade():
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refund_quantity_not_negative"), type_="check")
        batch_op.create_check_constraint("quantity_positive", "quantity >= 1")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_client_id"), type_="unique")
            batch_op.drop_column("client_id")
