"""Money the shop spends: rent, utilities, supplies, bales of stock, transport."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime
from shop.domain.calendar import utc_now
from shop.extensions import db
from shop.models.member import Member


class ExpenseCategory(enum.StrEnum):
    RENT = "rent"
    UTILITIES = "utilities"
    SUPPLIES = "supplies"
    STOCK_PURCHASE = "stock_purchase"
    TRANSPORT = "transport"
    OTHER = "other"


class Expense(db.Model):
    __tablename__ = "expense"
    __table_args__ = (CheckConstraint("amount_dong > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spent_on: Mapped[date] = mapped_column(index=True)
    category: Mapped[ExpenseCategory] = mapped_column(
        Enum(
            ExpenseCategory,
            name="expense_category",
            native_enum=False,
            create_constraint=True,
            length=24,
            validate_strings=True,
            values_callable=lambda members: [m.value for m in members],
        )
    )
    amount_dong: Mapped[Dong]
    note: Mapped[str] = mapped_column(String(300), default="")
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    by: Mapped[Member] = relationship()
