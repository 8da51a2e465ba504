"""The counter: shifts, carts being rung up, sales with their lines, voids and refunds."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import NOTE_LENGTH, REASON_LENGTH, SHORT_REASON_LENGTH
from shop.extensions import db
from shop.models.member import Member
from shop.models.stock import Item

if TYPE_CHECKING:
    from shop.models.bank import BankTransaction


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    TRANSFER = "transfer"


class Shift(db.Model):
    """A member's time at the counter with its cash drawer: float in, counted cash out.

    ``expected_cash_dong`` is worked out and kept when the shift closes, beside what she
    counted, so the difference is on record as it was seen.
    """

    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("opening_float_dong >= 0", name="float_not_negative"),
        CheckConstraint(
            "counted_cash_dong IS NULL OR counted_cash_dong >= 0", name="counted_not_negative"
        ),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closes_after_open"),
        # One open shift per member at a time, on SQLite and PostgreSQL alike.
        Index(
            "uq_shift_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opening_float_dong: Mapped[Dong]
    counted_cash_dong: Mapped[Dong | None]
    expected_cash_dong: Mapped[Dong | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    #: What the cashier said about a difference between counted and expected cash, written
    #: once after her blind count ('' when none).
    count_note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="", server_default="")

    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class CartLine(db.Model):
    """A line in the cart a cashier is ringing up (not part of the books until paid)."""

    __tablename__ = "cart_line"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("discount_dong >= 0", name="discount_not_negative"),
        UniqueConstraint("member_id", "item_id", name="uq_cart_line_member_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    discount_dong: Mapped[Dong] = mapped_column(default=0)
    discount_reason: Mapped[str] = mapped_column(String(SHORT_REASON_LENGTH), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    item: Mapped[Item] = relationship()


class CartDiscount(db.Model):
    """The whole-sale discount of a cashier's cart, with its reason."""

    __tablename__ = "cart_discount"
    __table_args__ = (CheckConstraint("discount_dong >= 0", name="discount_not_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    discount_dong: Mapped[Dong] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(SHORT_REASON_LENGTH), default="")


class SaleStatus(enum.StrEnum):
    """Where a sale stands (:attr:`Sale.status`): its money in (``complete``), its transfer
    still to arrive, or voided. A refund is of a line and leaves the sale complete."""

    COMPLETE = "complete"
    AWAITING_TRANSFER = "awaiting_transfer"
    VOIDED = "voided"


#: A sale's transfer not confirmed yet, in SQL: :attr:`Sale.transfer_outstanding`'s terms,
#: so that the partial index of those sales serves the queries that use it.
TRANSFER_WAITING = "transfer_dong > 0 AND confirmed_at IS NULL"


class Sale(db.Model):
    """A sale as the counter recorded it. Never edited: voids and refunds are their own rows.

    ``number`` is the shop's (unique, increasing); ``client_id`` is the id the device that
    rang it up gave it, so a request sent twice, or a sale synced later from an offline
    phone, is recognised and never recorded twice. A transfer sale waits for the cashier to
    confirm the money arrived (``confirmed_at``); until then it holds its items.
    """

    __tablename__ = "sale"
    __table_args__ = (
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("total_dong >= 0", name="total_not_negative"),
        CheckConstraint("discount_dong >= 0", name="discount_not_negative"),
        CheckConstraint("cash_dong >= 0 AND transfer_dong >= 0", name="parts_not_negative"),
        CheckConstraint("cash_dong + transfer_dong = total_dong", name="parts_add_up"),
        CheckConstraint("tendered_dong >= cash_dong", name="tendered_covers_cash"),
        # The few sales still waiting for their transfer, by amount: the bank poller counts
        # them, a bank transaction's suggestions and a month's close look for them.
        Index(
            "ix_sale_transfer_waiting",
            "transfer_dong",
            sqlite_where=text(TRANSFER_WAITING),
            postgresql_where=text(TRANSFER_WAITING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    discount_dong: Mapped[Dong] = mapped_column(default=0)
    discount_reason: Mapped[str] = mapped_column(String(SHORT_REASON_LENGTH), default="")
    total_dong: Mapped[Dong]
    cash_dong: Mapped[Dong]
    transfer_dong: Mapped[Dong]
    tendered_dong: Mapped[Dong]
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who confirmed the transfer by hand (the cashier, or the device's cashier for a sale
    #: rung up with no link); ``None`` when the bank confirmed it (see ``bank_payment``) or
    #: for sales from before this was kept.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    cashier: Mapped[Member] = relationship(foreign_keys=[cashier_id])
    shift: Mapped[Shift | None] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.position"
    )
    void: Mapped[Void | None] = relationship(back_populates="sale", uselist=False)
    confirmed_by: Mapped[Member | None] = relationship(foreign_keys=[confirmed_by_id])
    #: The bank transaction that is this sale's transfer, once the bank showed it.
    bank_payment: Mapped[BankTransaction | None] = relationship(
        primaryjoin="and_(BankTransaction.sale_id == Sale.id, BankTransaction.pays_sale)",
        viewonly=True,
        uselist=False,
    )

    @property
    def change_dong(self) -> int:
        return self.tendered_dong - self.cash_dong

    @hybrid_property
    def transfer_outstanding(self) -> bool:
        """A transfer part not confirmed yet, voided or not: the one statement of it, in
        Python on a sale and in SQL on the class (``Sale.transfer_outstanding``)."""
        return self.transfer_dong > 0 and self.confirmed_at is None

    @transfer_outstanding.inplace.expression
    @classmethod
    def _transfer_outstanding(cls) -> ColumnElement[bool]:
        return and_(cls.transfer_dong > 0, cls.confirmed_at.is_(None))

    @property
    def status(self) -> SaleStatus:
        """The one place a sale's state is worked out (pages, API, slips, services)."""
        if self.void is not None:
            return SaleStatus.VOIDED
        if self.transfer_outstanding:
            return SaleStatus.AWAITING_TRANSFER
        return SaleStatus.COMPLETE

    @property
    def awaiting_transfer(self) -> bool:
        return self.status is SaleStatus.AWAITING_TRANSFER

    @staticmethod
    def awaiting(query: Select) -> Select:
        """``query``, which reads sales, narrowed to those waiting for their transfer
        (:attr:`status` ``AWAITING_TRANSFER``, said as a query)."""
        return Sale.not_voided(query).where(Sale.transfer_outstanding)

    @staticmethod
    def not_voided(query: Select) -> Select:
        """``query``, which reads sales, without the voided ones: the sales whose money
        counts (an outer join on the void, kept where there is none)."""
        return query.outerjoin(Void, Void.sale_id == Sale.id).where(Void.id.is_(None))


class ReviewKind(enum.StrEnum):
    """Why a sale rung up with no link needs a coordinator's look when it arrives."""

    SOLD_TWICE = "sold_twice"  # the unique item had been sold by another sale meanwhile
    LOT_SHORT = "lot_short"  # the lot had fewer pieces left than were sold
    PRICE = "price"  # the page charged another price than the shop's for that day
    LATE = "late"  # dated in a month closed since: booked when it arrived
    NO_DRAWER = "no_drawer"  # no open shift of the cashier took its cash


class SaleReview(db.Model):
    """Something about a sale for a coordinator to look at, until she marks it seen.

    Written with the sale, in its transaction; never deleted. ``detail`` holds what she
    needs to decide (the other sale of the item, the prices, the pieces missing).
    """

    __tablename__ = "sale_review"
    __table_args__ = (
        CheckConstraint(
            "(resolved_at IS NULL AND resolved_by_id IS NULL) OR "
            "(resolved_at IS NOT NULL AND resolved_by_id IS NOT NULL)",
            name="resolved_whole",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    sale_line_id: Mapped[int | None] = mapped_column(ForeignKey("sale_line.id"))
    kind: Mapped[ReviewKind] = mapped_column(string_enum(ReviewKind, "review_kind", 16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    resolution: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")

    sale: Mapped[Sale] = relationship()
    line: Mapped[SaleLine | None] = relationship()
    resolved_by: Mapped[Member | None] = relationship()


class SaleLine(db.Model):
    """One item or some pieces of a lot in a sale, with every figure the books need.

    ``unit_price_dong`` is what was charged per piece (markdown applied); the line's net is
    gross − its discount − its part of the whole-sale discount. The consigning owner and her
    rate are copied from the item at the moment of sale. ``stock_round`` is the item's count
    of times it went on sale: the unique (item, round) pair is the database's own guarantee
    that one unique item is never sold twice in the same round.
    """

    __tablename__ = "sale_line"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price_dong >= 0", name="price_not_negative"),
        CheckConstraint(
            "discount_dong >= 0 AND sale_discount_dong >= 0", name="discounts_not_negative"
        ),
        CheckConstraint("net_dong >= 0", name="net_not_negative"),
        CheckConstraint(
            "net_dong = unit_price_dong * quantity - discount_dong - sale_discount_dong",
            name="net_adds_up",
        ),
        UniqueConstraint("item_id", "stock_round", name="uq_sale_line_item_round"),
        UniqueConstraint("sale_id", "position", name="uq_sale_line_sale_position"),
        CheckConstraint("short_pieces >= 0 AND short_pieces <= quantity", name="short_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    position: Mapped[int]
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    stock_round: Mapped[int | None]  # None for lots: their quantity guards them
    quantity: Mapped[int] = mapped_column(default=1)
    tag_price_dong: Mapped[Dong]
    unit_price_dong: Mapped[Dong]
    discount_dong: Mapped[Dong] = mapped_column(default=0)
    discount_reason: Mapped[str] = mapped_column(String(SHORT_REASON_LENGTH), default="")
    sale_discount_dong: Mapped[Dong] = mapped_column(default=0)
    net_dong: Mapped[Dong]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    consignor_bp: Mapped[int | None]
    #: Pieces sold that the stock no longer had when the sale reached the server: a sale
    #: rung up with no link after another counter had sold the same dress (bán trùng), or
    #: more pieces of a lot than were left. The money was taken, so the line is kept; the
    #: stock was not taken twice, and the sale is on the coordinators' review list.
    short_pieces: Mapped[int] = mapped_column(default=0, server_default="0")

    sale: Mapped[Sale] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    owner: Mapped[Member | None] = relationship()


class Void(db.Model):
    """A whole sale cancelled within its own shift: it counts for nothing anywhere."""

    __tablename__ = "void"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    #: The device's id for this request: sent again, nothing new is written.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    sale: Mapped[Sale] = relationship(back_populates="void")
    by: Mapped[Member] = relationship()


class Refund(db.Model):
    """Money given back for (part of) a sale line, booked in the month it happens."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount_dong > 0", name="amount_positive"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),  # 0: money only
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    amount_dong: Mapped[Dong]
    method: Mapped[PaymentMethod] = mapped_column(string_enum(PaymentMethod, "payment_method"))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    restock: Mapped[bool] = mapped_column(default=True)
    #: The device's id for this request: sent again, nothing new is written.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    line: Mapped[SaleLine] = relationship()
    by: Mapped[Member] = relationship()
