"""The shop itself: its name and address as shown on pages, receipts and statements."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


class ShopProfile(db.Model):
    """One row (id 1): who the shop is. Later areas add their settings beside it."""

    __tablename__ = "shop_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(250), default="")
