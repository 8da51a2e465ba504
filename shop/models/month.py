"""The month: closed months with the figures they were closed with, and payouts.

A month (local calendar month in the shop's time zone, written "YYYY-MM") is closed once,
in order, after it has ended. Closing freezes its figures (docs/sharing.md steps 4–9) and the
sharing settings it used: the month's own figures as columns of :class:`ClosedMonth`, each
member's as a :class:`ClosedMonthMember`. Only what is paid against it afterwards moves:
:class:`Payout` rows, appended and never changed, from which each member's ``paid`` and
``carried_forward`` are summed. All amounts are whole đồng, rates basis points.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import NOTE_LENGTH, REASON_LENGTH
from shop.extensions import db
from shop.models.member import Member
from shop.models.sale import PaymentMethod

# "YYYY-MM" with a month 01..12, in SQL both SQLite and PostgreSQL understand.
_MONTH_CHECK = (
    "length({0}) = 7 AND substr({0}, 5, 1) = '-' AND substr({0}, 6, 2) BETWEEN '01' AND '12'"
)


class ClosedMonth(db.Model):
    """A closed month: its settings and figures as they were when it closed. Never edited.

    Invariants (checked by the database too): result = pool_sales − expenses − brought_loss;
    reserve + distributable − carried_loss = result; equal_total + work_total =
    distributable; every amount but pool_sales and result is ≥ 0.
    """

    __tablename__ = "closed_month"
    __table_args__ = (
        CheckConstraint(_MONTH_CHECK.format("month"), name="month_format"),
        CheckConstraint("consignor_bp BETWEEN 0 AND 10000", name="consignor_bp_range"),
        CheckConstraint("reserve_bp BETWEEN 0 AND 10000", name="reserve_bp_range"),
        CheckConstraint("equal_bp BETWEEN 0 AND 10000", name="equal_bp_range"),
        CheckConstraint("clearance_after_days >= 1", name="clearance_positive"),
        CheckConstraint(
            "expenses_dong >= 0 AND brought_loss_dong >= 0 AND reserve_dong >= 0 "
            "AND distributable_dong >= 0 AND carried_loss_dong >= 0 "
            "AND equal_total_dong >= 0 AND work_total_dong >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint(
            "result_dong = pool_sales_dong - expenses_dong - brought_loss_dong",
            name="result_adds_up",
        ),
        CheckConstraint(
            "reserve_dong + distributable_dong - carried_loss_dong = result_dong",
            name="result_shared",
        ),
        CheckConstraint(
            "equal_total_dong + work_total_dong = distributable_dong",
            name="distributable_split",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    # The settings the month was closed with (the policy in force in it).
    consignor_bp: Mapped[int]
    reserve_bp: Mapped[int]
    equal_bp: Mapped[int]
    markdown: Mapped[list] = mapped_column(JSON)  # [{"after_days": 30, "percent_off": 25}, …]
    clearance_after_days: Mapped[int]

    # The month's figures, named as in docs/sharing.md.
    pool_sales_dong: Mapped[Dong]
    expenses_dong: Mapped[Dong]
    brought_loss_dong: Mapped[Dong]
    result_dong: Mapped[Dong]
    reserve_dong: Mapped[Dong]
    distributable_dong: Mapped[Dong]
    carried_loss_dong: Mapped[Dong]
    equal_total_dong: Mapped[Dong]
    work_total_dong: Mapped[Dong]
    # What the docs/sharing.md check was worked out from: nets of lines sold, refunds booked.
    net_sales_dong: Mapped[Dong]
    refunds_dong: Mapped[Dong]

    closed_by: Mapped[Member] = relationship()
    members: Mapped[list[ClosedMonthMember]] = relationship(
        back_populates="closed_month", order_by="ClosedMonthMember.member_number"
    )


class ClosedMonthMember(db.Model):
    """One member's figures in a closed month, frozen at the close (docs/sharing.md step 9).

    ``compensation_dong`` is what the group paid her in the month for her consigned items
    lost at a stocktake: part of the month's expenses and of her ``earned`` (0 for a month
    closed before there were stocktakes). ``paid`` and ``carried_forward`` are not here:
    payouts against the month come after its close, and are summed from :class:`Payout`.
    ``member_number`` is her number, kept so the figures read the same wherever they are
    shown.
    """

    __tablename__ = "closed_month_member"
    __table_args__ = (
        UniqueConstraint("closed_month_id", "member_id", name="uq_closed_month_member"),
        CheckConstraint("work_minutes >= 0", name="work_minutes_not_negative"),
        CheckConstraint(
            "equal_share_dong >= 0 AND work_share_dong >= 0", name="shares_not_negative"
        ),
        CheckConstraint("compensation_dong >= 0", name="compensation_not_negative"),
        CheckConstraint(
            "earned_dong = consignment_dong + compensation_dong + equal_share_dong "
            "+ work_share_dong",
            name="earned_adds_up",
        ),
        CheckConstraint("due_dong = brought_forward_dong + earned_dong", name="due_adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_month_id: Mapped[int] = mapped_column(ForeignKey("closed_month.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    member_number: Mapped[int]
    eligible: Mapped[bool]
    work_minutes: Mapped[int]
    consignment_dong: Mapped[Dong]
    compensation_dong: Mapped[Dong] = mapped_column(default=0, server_default="0")
    equal_share_dong: Mapped[Dong]
    work_share_dong: Mapped[Dong]
    earned_dong: Mapped[Dong]
    brought_forward_dong: Mapped[Dong]
    due_dong: Mapped[Dong]

    closed_month: Mapped[ClosedMonth] = relationship(back_populates="members")
    member: Mapped[Member] = relationship()


class Payout(db.Model):
    """Money handed to a member against a closed month. Appended, never edited or deleted.

    The service keeps the rule that the payouts of a month never add up to more than her
    due, and that nothing is paid when her due is ≤ 0; the database keeps the amount > 0.
    """

    __tablename__ = "payout"
    __table_args__ = (
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        Index("ix_payout_closed_month_member", "closed_month_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_month_id: Mapped[int] = mapped_column(ForeignKey("closed_month.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    amount_dong: Mapped[Dong]
    paid_on: Mapped[date]
    method: Mapped[PaymentMethod] = mapped_column(
        string_enum(PaymentMethod, "payout_method"), default=PaymentMethod.CASH
    )
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: The device's id for this request: sent again, nothing new is written.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    closed_month: Mapped[ClosedMonth] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    by: Mapped[Member] = relationship(foreign_keys=[by_id])
    corrections: Mapped[list[PayoutCorrection]] = relationship(
        back_populates="payout", order_by="PayoutCorrection.id"
    )

    @property
    def month(self) -> str:
        return self.closed_month.month

    @property
    def corrected_dong(self) -> int:
        """Đồng of this payout taken back by corrections so far."""
        return sum(correction.amount_dong for correction in self.corrections)

    @property
    def net_dong(self) -> int:
        """What this payout counts for now: its amount less its corrections (≥ 0)."""
        return self.amount_dong - self.corrected_dong


class PayoutCorrection(db.Model):
    """A coordinator's counter-entry to a payout recorded wrong (the wrong member, the wrong
    amount): it takes ``amount_dong`` of the payout back, with who, when and why. The payout
    itself is never edited or deleted; what it counts for is its amount less its corrections.

    The database keeps the amount > 0, a reason, and (a trigger) the corrections of one
    payout never above its amount; it refuses to change or delete a correction or a payout.
    """

    __tablename__ = "payout_correction"
    __table_args__ = (
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payout.id"), index=True)
    amount_dong: Mapped[Dong]
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    #: When the coordinator corrected it (UTC).
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: The device's id for this request: sent again, nothing new is written.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    payout: Mapped[Payout] = relationship(back_populates="corrections")
    by: Mapped[Member] = relationship()
