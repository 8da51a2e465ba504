"""shift count note: what the cashier says about a difference between counted and expected cash

The closing count is blind: she enters what she counted, then sees what was expected and the
difference, and can say why it differs. The note is kept with the shift ('' when none).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("count_note", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_column("count_note")
