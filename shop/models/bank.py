"""Transfers the bank saw: the inbox of transactions from a bank feed, the feed's state and
its settings (keys included, which never leave the database for the journal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.bank import DEFAULT_PREFIX, Direction, Outcome, Reason
from shop.domain.calendar import utc_now
from shop.domain.text import KEY_LENGTH, REASON_LENGTH
from shop.extensions import db
from shop.models.member import Member


class BankTransaction(db.Model):
    """One transaction a bank feed reported, stored as it came (``raw`` and the fields read
    from it never change), then matched in the same transaction.

    Unique on (provider, provider id): a feed that delivers the same transaction again, by
    webhook and by poll or twice by either, changes nothing. ``outcome`` says what it did
    (confirmed or verified ``sale``, matched ``refund`` or ``payout``, or went to review
    with ``reason``); a coordinator's decision on a review is ``resolved_*`` and
    ``resolution`` (the sale it pays, when she chose one, is ``sale``).
    """

    __tablename__ = "bank_transaction"
    __table_args__ = (
        UniqueConstraint("provider", "provider_id", name="uq_bank_transaction_provider_id"),
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        CheckConstraint(
            "(resolved_at IS NULL AND resolved_by_id IS NULL) OR "
            "(resolved_at IS NOT NULL AND resolved_by_id IS NOT NULL)",
            name="resolved_whole",
        ),
        CheckConstraint("outcome = 'review' OR reason IS NULL", name="reason_only_for_review"),
        CheckConstraint("NOT pays_sale OR sale_id IS NOT NULL", name="pays_a_sale"),
        # One bank transaction pays a sale, never two: the database's own guarantee.
        Index(
            "uq_bank_transaction_pays_sale",
            "sale_id",
            unique=True,
            sqlite_where=text("pays_sale"),
            postgresql_where=text("pays_sale"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64), default="")
    account: Mapped[str] = mapped_column(String(32), default="")
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, "bank_direction", 3))
    amount_dong: Mapped[Dong]
    content: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: How it came: "webhook", "poll" or "journal".
    via: Mapped[str] = mapped_column(String(8))
    #: Whether the feed's signature or key held (a polled transaction: the API answered it).
    signature_ok: Mapped[bool]
    raw: Mapped[str] = mapped_column(Text, default="")

    outcome: Mapped[Outcome] = mapped_column(string_enum(Outcome, "bank_outcome", 10))
    reason: Mapped[Reason | None] = mapped_column(string_enum(Reason, "bank_reason", 20))
    #: Sales of the same amount waiting when it came: suggestions only, never a match.
    suggestions: Mapped[list] = mapped_column(JSON, default=list)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    #: It is the money of ``sale``'s transfer: confirmed or verified it, or a coordinator
    #: said so on review.
    pays_sale: Mapped[bool] = mapped_column(default=False, server_default=false())
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id"), unique=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    resolution: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")

    resolved_by: Mapped[Member | None] = relationship()


class BankFeed(db.Model):
    """Where the poller stands with one provider: its cursor, when it asked last and next,
    what went wrong last. Kept in the database so that a restarted server (or another
    process) carries on from the same place."""

    __tablename__ = "bank_feed"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(200), default="")
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    #: A webhook that arrived: proof the hosted feed reaches the shop.
    last_webhook_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BankSettings(db.Model):
    """One row (id 1): which feed the shop uses and its keys. The keys are never shown
    again once saved and never written to the journal; the environment's
    ``SHOP_SEPAY_*``/``SHOP_CASSO_*`` win over them."""

    __tablename__ = "bank_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("check_days >= 1 AND check_days <= 60", name="check_days_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "" (no feed), "sepay" or "casso".
    provider: Mapped[str] = mapped_column(String(16), default="")
    base_url: Mapped[str] = mapped_column(String(KEY_LENGTH), default="")
    code_prefix: Mapped[str] = mapped_column(String(6), default=DEFAULT_PREFIX)
    #: Days the bank has to show a transfer confirmed by hand before it is "not seen".
    check_days: Mapped[int] = mapped_column(default=3)
    #: Since when the shop has a feed: hand confirmations before it are not checked.
    feed_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sepay_webhook_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="")
    sepay_api_token: Mapped[str] = mapped_column(String(KEY_LENGTH), default="")
    casso_api_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="")
    casso_checksum_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="")
