"""bank feed: the inbox of bank transactions, the feed's state and settings, who confirmed a transfer

Every transaction a bank feed (SePay, Casso) reports is stored as it came, unique on
(provider, provider id), and matched in the same transaction. What was received never
changes and is never deleted: the database refuses, whatever the code does; only the
outcome and a coordinator's decision on a review are written afterwards.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 15:57:34

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

#: What a feed reported: never changed once stored.
RECEIVED = (
    "provider", "provider_id", "reference", "account", "direction", "amount_dong", "content",
    "at", "received_at", "via", "signature_ok", "raw",
)
_AS_RECEIVED = "a bank transaction is kept as it was received"


def upgrade():
    op.create_table('bank_feed',
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('cursor', sa.String(length=200), nullable=False),
    sa.Column('next_poll_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('last_poll_at', sa.DateTime(), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('last_webhook_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('provider', name=op.f('pk_bank_feed'))
    )
    op.create_table('bank_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('base_url', sa.String(length=200), nullable=False),
    sa.Column('code_prefix', sa.String(length=6), nullable=False),
    sa.Column('check_days', sa.Integer(), nullable=False),
    sa.Column('feed_since', sa.DateTime(), nullable=True),
    sa.Column('sepay_webhook_key', sa.String(length=200), nullable=False),
    sa.Column('sepay_api_token', sa.String(length=200), nullable=False),
    sa.Column('casso_api_key', sa.String(length=200), nullable=False),
    sa.Column('casso_checksum_key', sa.String(length=200), nullable=False),
    sa.CheckConstraint('check_days >= 1 AND check_days <= 60', name=op.f('ck_bank_settings_check_days_in_range')),
    sa.CheckConstraint('id = 1', name=op.f('ck_bank_settings_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_settings'))
    )
    op.create_table('bank_transaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.Enum('in', 'out', name='bank_direction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('amount_dong', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.Column('signature_ok', sa.Boolean(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Enum('confirmed', 'verified', 'outgoing', 'review', name='bank_outcome', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('reason', sa.Enum('no_code', 'unknown_sale', 'several_codes', 'amount_low', 'amount_high', 'already_confirmed', 'voided', 'no_transfer', 'other_account', 'outgoing', 'ambiguous', name='bank_reason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('suggestions', sa.JSON(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('pays_sale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=300), nullable=False),
    sa.CheckConstraint("outcome = 'review' OR reason IS NULL", name=op.f('ck_bank_transaction_reason_only_for_review')),
    sa.CheckConstraint('(resolved_at IS NULL AND resolved_by_id IS NULL) OR (resolved_at IS NOT NULL AND resolved_by_id IS NOT NULL)', name=op.f('ck_bank_transaction_resolved_whole')),
    sa.CheckConstraint('NOT pays_sale OR sale_id IS NOT NULL', name=op.f('ck_bank_transaction_pays_a_sale')),
    sa.CheckConstraint('amount_dong > 0', name=op.f('ck_bank_transaction_amount_positive')),
    sa.ForeignKeyConstraint(['payout_id'], ['payout.id'], name=op.f('fk_bank_transaction_payout_id_payout')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_bank_transaction_refund_id_refund')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['member.id'], name=op.f('fk_bank_transaction_resolved_by_id_member')),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_bank_transaction_sale_id_sale')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_transaction')),
    sa.UniqueConstraint('payout_id', name=op.f('uq_bank_transaction_payout_id')),
    sa.UniqueConstraint('provider', 'provider_id', name='uq_bank_transaction_provider_id'),
    sa.UniqueConstraint('refund_id', name=op.f('uq_bank_transaction_refund_id'))
    )
    with op.batch_alter_table('bank_transaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_transaction_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_transaction_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_transaction_sale_id'), ['sale_id'], unique=False)
        batch_op.create_index('uq_bank_transaction_pays_sale', ['sale_id'], unique=True, sqlite_where=sa.text('pays_sale'), postgresql_where=sa.text('pays_sale'))

    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sale_confirmed_by_id_member'), 'member', ['confirmed_by_id'], ['id'])

    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in RECEIVED)
        op.execute(
            "CREATE FUNCTION bank_transaction_as_received() RETURNS trigger AS $$ "
            "BEGIN "
            f"IF TG_OP = 'DELETE' OR {changed} THEN "
            f"  RAISE EXCEPTION '{_AS_RECEIVED}' USING ERRCODE = 'integrity_constraint_violation'; "
            "END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER bank_transaction_as_received BEFORE UPDATE OR DELETE "
            "ON bank_transaction FOR EACH ROW EXECUTE FUNCTION bank_transaction_as_received()"
        )
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in RECEIVED)
        op.execute(
            f"CREATE TRIGGER bank_transaction_no_update BEFORE UPDATE ON bank_transaction "
            f"WHEN {changed} BEGIN SELECT RAISE(ABORT, '{_AS_RECEIVED}'); END"
        )
        op.execute(
            "CREATE TRIGGER bank_transaction_no_delete BEFORE DELETE ON bank_transaction "
            f"BEGIN SELECT RAISE(ABORT, '{_AS_RECEIVED}'); END"
        )



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS bank_transaction_as_received ON bank_transaction")
        op.execute("DROP FUNCTION IF EXISTS bank_transaction_as_received()")
    else:
        op.execute("DROP TRIGGER IF EXISTS bank_transaction_no_update")
        op.execute("DROP TRIGGER IF EXISTS bank_transaction_no_delete")
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sale_confirmed_by_id_member'), type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')

    with op.batch_alter_table('bank_transaction', schema=None) as batch_op:
        batch_op.drop_index('uq_bank_transaction_pays_sale', sqlite_where=sa.text('pays_sale'), postgresql_where=sa.text('pays_sale'))
        batch_op.drop_index(batch_op.f('ix_bank_transaction_sale_id'))
        batch_op.drop_index(batch_op.f('ix_bank_transaction_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_bank_transaction_at'))

    op.drop_table('bank_transaction')
    op.drop_table('bank_settings')
    op.drop_table('bank_feed')
