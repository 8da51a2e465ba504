"""The shop itself: its name and address as shown on pages, receipts and statements."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from shop.domain.text import ACCOUNT_NUMBER_LENGTH, ADDRESS_LENGTH, NAME_LENGTH
from shop.extensions import db


class ShopProfile(db.Model):
    """One row (id 1): who the shop is and where transfers go (the journal's ``shop``)."""

    __tablename__ = "shop_profile"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "lost_item_pays IN ('owner_split', 'full_price', 'nothing')", name="lost_item_pays"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), default="")
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    bank_bin: Mapped[str | None] = mapped_column(String(6))
    bank_account: Mapped[str | None] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    bank_account_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    receipt_footer: Mapped[str] = mapped_column(Text, default="")
    #: "Sổ sách mở": members see every member's lines of the month, not only their own
    #: (donors' contacts stay for coordinators). Off unless the group chooses it.
    open_books: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Members may record expenses; otherwise only coordinators do.
    members_record_expenses: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: What the group pays a member for her consigned item lost at a stocktake, as an
    #: expense of the month: her split of its current price (the default), its whole
    #: current price, or nothing (see shop.domain.count.compensation).
    lost_item_pays: Mapped[str] = mapped_column(
        String(12), default="owner_split", server_default="owner_split"
    )
