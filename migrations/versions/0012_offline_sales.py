"""offline sales: pieces a sale took that the stock no longer had, and the review list

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('short_pieces', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint(
            'short_in_range', 'short_pieces >= 0 AND short_pieces <= quantity'
        )
    op.create_table('sale_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('sale_line_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('sold_twice', 'lot_short', 'price', 'late', 'no_drawer', name='review_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=300), nullable=False),
    sa.CheckConstraint('(resolved_at IS NULL AND resolved_by_id IS NULL) OR (resolved_at IS NOT NULL AND resolved_by_id IS NOT NULL)', name=op.f('ck_sale_review_resolved_whole')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['member.id'], name=op.f('fk_sale_review_resolved_by_id_member')),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_sale_review_sale_id_sale')),
    sa.ForeignKeyConstraint(['sale_line_id'], ['sale_line.id'], name=op.f('fk_sale_review_sale_line_id_sale_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_review'))
    )
    with op.batch_alter_table('sale_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sale_review_sale_id'), ['sale_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sale_review_resolved_at'), ['resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sale_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_review_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_sale_review_sale_id'))
    op.drop_table('sale_review')
    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sale_line_short_in_range'), type_='check')
        batch_op.drop_column('short_pieces')
