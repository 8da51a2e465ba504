"""The shop itself: its name and address as shown on pages, receipts and statements."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


class ShopProfile(db.Model):
    """One row (id 1): who the shop is and where transfers go (the journal's ``shop``)."""

    __tablename__ = "shop_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(250), default="")
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    bank_bin: Mapped[str | None] = mapped_column(String(6))
    bank_account: Mapped[str | None] = mapped_column(String(19))
    bank_account_name: Mapped[str | None] = mapped_column(String(120))
    receipt_footer: Mapped[str] = mapped_column(Text, default="")
    #: "Sổ sách mở": members see every member's lines of the month, not only their own
    #: (donors' contacts stay for coordinators). Off unless the group chooses it.
    open_books: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Members may record expenses; otherwise only coordinators do.
    members_record_expenses: Mapped[bool] = mapped_column(default=False, server_default=false())
