"""Money the shop spends: rent, utilities, supplies, bales of stock, transport.

An expense may be corrected or removed while its month is open, and never silently: each
correction keeps the version it replaces as an :class:`ExpenseRevision` (who changed it and
when), and a removed expense stays as a row with ``removed_at`` and ``removed_by_id`` set,
left out of every sum. Once the month is closed the expense is final.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import NOTE_LENGTH
from shop.extensions import db
from shop.models.member import Member
from shop.models.stock import Intake


class ExpenseCategory(enum.StrEnum):
    RENT = "rent"
    UTILITIES = "utilities"
    SUPPLIES = "supplies"
    STOCK_PURCHASE = "stock_purchase"
    TRANSPORT = "transport"
    OTHER = "other"
    #: Paid to a member for her consigned item lost at a stocktake (shop.services.counts);
    #: she receives it with her month's share (``member_id``).
    COMPENSATION = "compensation"


class Expense(db.Model):
    """An expense as it stands now (its ``revision``-th version); dated by ``spent_on``, the
    local day the money went out, which decides its month."""

    __tablename__ = "expense"
    __table_args__ = (
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint(
            "(removed_at IS NULL AND removed_by_id IS NULL) OR "
            "(removed_at IS NOT NULL AND removed_by_id IS NOT NULL)",
            name="removed_with_whom",
        ),
        CheckConstraint(
            "(category = 'compensation') = (member_id IS NOT NULL)", name="compensation_member"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spent_on: Mapped[date] = mapped_column(index=True)
    category: Mapped[ExpenseCategory] = mapped_column(
        string_enum(ExpenseCategory, "expense_category", 24)
    )
    amount_dong: Mapped[Dong]
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"), index=True)
    #: The member a compensation is paid to (only for that category).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))  # who first recorded it
    #: The device's id for this request: sent again, nothing new is written.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # 1 as first recorded; each correction adds one (the versions before are revisions).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    by: Mapped[Member] = relationship(foreign_keys=[by_id])
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    intake: Mapped[Intake | None] = relationship()
    removed_by: Mapped[Member | None] = relationship(foreign_keys=[removed_by_id])

    @property
    def removed(self) -> bool:
        return self.removed_at is not None


class ExpenseRevision(db.Model):
    """A version of an expense that a correction replaced: what it said, and who replaced it
    when. Never edited; the expense's current version is the expense row itself."""

    __tablename__ = "expense_revision"
    __table_args__ = (
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        UniqueConstraint("expense_id", "revision", name="uq_expense_revision_expense_revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expense_id: Mapped[int] = mapped_column(ForeignKey("expense.id"), index=True)
    revision: Mapped[int]  # the number this version had
    spent_on: Mapped[date]
    category: Mapped[ExpenseCategory] = mapped_column(
        string_enum(ExpenseCategory, "expense_category", 24)
    )
    amount_dong: Mapped[Dong]
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))

    replaced_by: Mapped[Member] = relationship()
