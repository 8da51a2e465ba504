"""payout corrections: a counter-entry with a reason, never an edit or a deletion

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_OVER = "a payout cannot be corrected past its amount"
_APPEND_ONLY = "payouts and their corrections are append-only"


def upgrade():
    op.create_table('payout_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('amount_dong', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_dong > 0', name=op.f('ck_payout_correction_amount_positive')),
    sa.CheckConstraint('length(trim(reason)) > 0', name=op.f('ck_payout_correction_reason_given')),
    sa.ForeignKeyConstraint(['by_id'], ['member.id'], name=op.f('fk_payout_correction_by_id_member')),
    sa.ForeignKeyConstraint(['payout_id'], ['payout.id'], name=op.f('fk_payout_correction_payout_id_payout')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_correction')),
    sa.UniqueConstraint('client_id', name=op.f('uq_payout_correction_client_id'))
    )
    with op.batch_alter_table('payout_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_correction_payout_id'), ['payout_id'], unique=False)

    # The corrections of a payout never add up to more than it, and neither a payout nor a
    # correction is ever changed or deleted: the database refuses, whatever the code does.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION payout_correction_within_payout() RETURNS trigger AS $$ "
            "BEGIN "
            # Two corrections of one payout at once: the second waits, then sees the first.
            "PERFORM 1 FROM payout WHERE id = NEW.payout_id FOR UPDATE; "
            "IF (SELECT coalesce(sum(amount_dong), 0) FROM payout_correction "
            "    WHERE payout_id = NEW.payout_id) + NEW.amount_dong "
            "   > (SELECT amount_dong FROM payout WHERE id = NEW.payout_id) THEN "
            f"  RAISE EXCEPTION '{_OVER}' USING ERRCODE = 'check_violation'; "
            "END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER payout_correction_within_payout BEFORE INSERT ON payout_correction "
            "FOR EACH ROW EXECUTE FUNCTION payout_correction_within_payout()"
        )
        op.execute(
            "CREATE FUNCTION payout_is_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation'; "
            "END; $$ LANGUAGE plpgsql"
        )
        for table in ("payout", "payout_correction"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION payout_is_append_only()"
            )
    else:
        op.execute(
            "CREATE TRIGGER payout_correction_within_payout BEFORE INSERT ON payout_correction "
            "WHEN (SELECT coalesce(sum(amount_dong), 0) FROM payout_correction "
            "      WHERE payout_id = NEW.payout_id) + NEW.amount_dong "
            "     > (SELECT amount_dong FROM payout WHERE id = NEW.payout_id) "
            f"BEGIN SELECT RAISE(ABORT, '{_OVER}'); END"
        )
        for table in ("payout", "payout_correction"):
            for change in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{change.lower()} BEFORE {change} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("payout", "payout_correction"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS payout_correction_within_payout ON payout_correction")
        op.execute("DROP FUNCTION IF EXISTS payout_is_append_only()")
        op.execute("DROP FUNCTION IF EXISTS payout_correction_within_payout()")
    else:
        for table in ("payout", "payout_correction"):
            for change in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{change}")
        op.execute("DROP TRIGGER IF EXISTS payout_correction_within_payout")
    with op.batch_alter_table('payout_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_correction_payout_id'))
    op.drop_table('payout_correction')
