"""What the shop has to sell: drop-offs, items and lots, their prices and how they left."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import (
    CATEGORY_LENGTH,
    CODE_LENGTH,
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    NOTE_LENGTH,
    PHONE_LENGTH,
    SHORT_REASON_LENGTH,
    SIZE_LENGTH,
)
from shop.extensions import db
from shop.models.member import Member


class IntakeKind(enum.StrEnum):
    DONATION = "donation"
    CONSIGNMENT = "consignment"
    PURCHASE = "purchase"


class Condition(enum.StrEnum):
    NEW = "new"
    LIKE_NEW = "like_new"
    GOOD = "good"
    FAIR = "fair"


class ItemStatus(enum.StrEnum):
    IN_STOCK = "in_stock"
    SOLD = "sold"
    RETURNED_TO_OWNER = "returned_to_owner"
    DONATED_ONWARD = "donated_onward"
    WRITTEN_OFF = "written_off"
    #: Not found at a stocktake and marked lost (shop.services.counts).
    LOST = "lost"


class DisposalKind(enum.StrEnum):
    RETURNED_TO_OWNER = "returned_to_owner"
    GIVEN_TO_GROUP = "given_to_group"
    DONATED_ONWARD = "donated_onward"
    WRITTEN_OFF = "written_off"
    #: Not found at a stocktake: only a count's close records it (shop.services.counts).
    LOST = "lost"


class Category(db.Model):
    """A kind of clothing (Áo, Quần, Váy …): the shop's own words, kept as data."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(CATEGORY_LENGTH), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class PriceSuggestion(db.Model):
    """The price a coordinator suggests for a category in a condition."""

    __tablename__ = "price_suggestion"
    __table_args__ = (CheckConstraint("price_dong > 0", name="price_positive"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    condition: Mapped[Condition] = mapped_column(
        string_enum(Condition, "condition", 24), primary_key=True
    )
    price_dong: Mapped[Dong]


class Donor(db.Model):
    """Someone who gives clothes: kept for thank-you notes and the partners' reports."""

    __tablename__ = "donor"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    organisation: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Intake(db.Model):
    """A drop-off: a bag donated, a member's consignment, or a bale bought."""

    __tablename__ = "intake"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'donation' AND owner_id IS NULL) OR "
            "(kind = 'consignment' AND owner_id IS NOT NULL AND donor_id IS NULL) OR "
            "(kind = 'purchase' AND owner_id IS NULL AND donor_id IS NULL)",
            name="kind_parties",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    kind: Mapped[IntakeKind] = mapped_column(string_enum(IntakeKind, "intake_kind", 24))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_on: Mapped[date]  # the local date, for ages and months
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    supplier: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    by: Mapped[Member] = relationship(foreign_keys=[by_id])
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    donor: Mapped[Donor | None] = relationship()
    items: Mapped[list[Item]] = relationship(back_populates="intake", order_by="Item.id")


class Item(db.Model):
    """One tagged thing to sell, or a lot of cheap alike things sold from a quantity.

    ``price_dong`` is the current price before markdown; every change of it is a
    :class:`PriceChange` row. ``owner_id`` is the consigning member while the item is hers;
    it is cleared when she gives it to the group (a :class:`Disposal` says so).
    """

    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("price_dong > 0", name="price_positive"),
        CheckConstraint(
            "consignor_bp IS NULL OR (consignor_bp >= 0 AND consignor_bp <= 10000)",
            name="consignor_bp_range",
        ),
        CheckConstraint(
            "(is_lot AND quantity_on_hand IS NOT NULL AND quantity_on_hand >= 0 "
            "AND quantity_received >= 1) OR "
            "(NOT is_lot AND quantity_on_hand IS NULL AND quantity_received = 1)",
            name="quantities",
        ),
        CheckConstraint("owner_id IS NULL OR consignor_bp IS NOT NULL", name="owner_has_rate"),
        Index("ix_item_status_received_on", "status", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    is_lot: Mapped[bool] = mapped_column(default=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")
    size: Mapped[str | None] = mapped_column(String(SIZE_LENGTH), index=True)
    condition: Mapped[Condition | None] = mapped_column(string_enum(Condition, "condition", 24))
    price_dong: Mapped[Dong]
    consignor_bp: Mapped[int | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    received_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ItemStatus] = mapped_column(
        string_enum(ItemStatus, "item_status", 24), default=ItemStatus.IN_STOCK
    )
    quantity_received: Mapped[int] = mapped_column(default=1)
    quantity_on_hand: Mapped[int | None]
    # How many times a unique item has been sold (a refund can put it back on the rail).
    times_sold: Mapped[int] = mapped_column(default=0, server_default="0")
    # The "rail" sequence number of the row's latest change (shop.services.rail stamps it on
    # every write), so the counter's copy of the rail can ask for what changed since.
    rail_version: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    photo: Mapped[str | None] = mapped_column(String(80))
    # Code, category, description and size without accents, for search (see domain.text.fold).
    search_text: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    intake: Mapped[Intake] = relationship(back_populates="items")
    category: Mapped[Category] = relationship()
    owner: Mapped[Member | None] = relationship()

    @property
    def in_stock(self) -> bool:
        if self.status != ItemStatus.IN_STOCK:
            return False
        return not self.is_lot or (self.quantity_on_hand or 0) > 0


class PriceChange(db.Model):
    """A change of an item's price, with who, when and why. Never edited."""

    __tablename__ = "price_change"
    __table_args__ = (
        CheckConstraint("price_dong > 0", name="price_positive"),
        CheckConstraint("old_price_dong > 0", name="old_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_price_dong: Mapped[Dong]
    price_dong: Mapped[Dong]
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    reason: Mapped[str] = mapped_column(String(SHORT_REASON_LENGTH), default="")

    item: Mapped[Item] = relationship()
    by: Mapped[Member] = relationship()


class Disposal(db.Model):
    """An item leaving stock without a sale, or a consigned item given to the group."""

    __tablename__ = "disposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    kind: Mapped[DisposalKind] = mapped_column(string_enum(DisposalKind, "disposal_kind", 24))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")

    item: Mapped[Item] = relationship()
    by: Mapped[Member] = relationship()


class PolicyRow(db.Model):
    """Sharing settings in force from ``from_month`` (YYYY-MM) until the next row's month."""

    __tablename__ = "policy"
    __table_args__ = (
        CheckConstraint("consignor_bp BETWEEN 0 AND 10000", name="consignor_bp_range"),
        CheckConstraint("reserve_bp BETWEEN 0 AND 10000", name="reserve_bp_range"),
        CheckConstraint("equal_bp BETWEEN 0 AND 10000", name="equal_bp_range"),
        CheckConstraint("clearance_after_days >= 1", name="clearance_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_month: Mapped[str] = mapped_column(String(7), unique=True)
    consignor_bp: Mapped[int]
    reserve_bp: Mapped[int]
    equal_bp: Mapped[int]
    markdown: Mapped[list] = mapped_column(JSON)  # [{"after_days": 30, "percent_off": 25}, …]
    clearance_after_days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
