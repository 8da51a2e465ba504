"""Stocktake (Kiểm kê): a count of the rail, the tags scanned into it, and what was decided.

A coordinator opens a count for the whole rail or some categories; while it is open any
number of phones add :class:`CountScan` rows (each sent with the phone's own id for it, so
a scan sent twice over a weak link is one row). Closing it records one
:class:`CountDecision` per difference between the books and the rail: an item lost (a
disposal, and for a member's item the shop's compensation as an expense), put back on the
rail, a lot's pieces corrected, or a difference noted. Scans and decisions are never
edited or deleted; a scan taken back by its phone keeps its row with ``withdrawn_at``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import Dong, UTCDateTime, string_enum
from shop.domain.count import DecisionKind, Difference
from shop.domain.text import CODE_LENGTH, NOTE_LENGTH
from shop.extensions import db
from shop.models.member import Member
from shop.models.stock import Category, Item


class CountStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


stock_count_category = Table(
    "stock_count_category",
    db.metadata,
    Column("count_id", ForeignKey("stock_count.id"), primary_key=True),
    Column("category_id", ForeignKey("category.id"), primary_key=True),
)


class StockCount(db.Model):
    """One count: open while phones scan, closed once every difference is decided."""

    __tablename__ = "stock_count"
    __table_args__ = (
        CheckConstraint(
            "(status = 'open' AND closed_at IS NULL AND closed_by_id IS NULL) OR "
            "(status = 'closed' AND closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
            name="closed_with_whom",
        ),
        CheckConstraint("scan_count >= 0", name="scan_count_not_negative"),
        # One count open at a time: two open counts of the same rail would each call the
        # other's items missing.
        Index(
            "uq_stock_count_one_open",
            "status",
            unique=True,
            sqlite_where=db.text("status = 'open'"),
            postgresql_where=db.text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    status: Mapped[CountStatus] = mapped_column(
        string_enum(CountStatus, "count_status", 8), default=CountStatus.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    #: Scans taken in (each one moves this with a conditional UPDATE that also checks the
    #: count is open, so a scan and the close cannot both win).
    scan_count: Mapped[int] = mapped_column(default=0, server_default="0")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    opened_by: Mapped[Member] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[Member | None] = relationship(foreign_keys=[closed_by_id])
    #: Empty: the whole rail.
    categories: Mapped[list[Category]] = relationship(
        secondary=stock_count_category, order_by="Category.position, Category.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status == CountStatus.OPEN


class CountScan(db.Model):
    """A tag scanned (or typed) into a count by a member's phone."""

    __tablename__ = "count_scan"
    __table_args__ = (
        CheckConstraint("pieces >= 1", name="pieces_positive"),
        CheckConstraint(
            "(withdrawn_at IS NULL AND withdrawn_by_id IS NULL) OR "
            "(withdrawn_at IS NOT NULL AND withdrawn_by_id IS NOT NULL)",
            name="withdrawn_with_whom",
        ),
        UniqueConstraint("count_id", "client_id", name="uq_count_scan_count_client"),
        Index("ix_count_scan_count_item", "count_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id"))
    #: The phone's id for this scan: sent again, nothing new is written.
    client_id: Mapped[str] = mapped_column(String(64))
    #: What was scanned, as read (an unknown tag keeps what it said).
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    #: Pieces of a lot counted at this scan; 1 for a single item.
    pieces: Mapped[int] = mapped_column(default=1)
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: When the phone scanned it (its own clock), and when the server took it in.
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    by: Mapped[Member] = relationship(foreign_keys=[by_id])
    item: Mapped[Item | None] = relationship()


class CountDecision(db.Model):
    """What the coordinator decided about one difference when she closed the count."""

    __tablename__ = "count_decision"
    __table_args__ = (
        UniqueConstraint("count_id", "code", name="uq_count_decision_count_code"),
        CheckConstraint(
            "expected_pieces IS NULL OR expected_pieces >= 0", name="expected_not_negative"
        ),
        CheckConstraint(
            "counted_pieces IS NULL OR counted_pieces >= 0", name="counted_not_negative"
        ),
        CheckConstraint("compensation_dong >= 0", name="compensation_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id"), index=True)
    difference: Mapped[Difference] = mapped_column(string_enum(Difference, "count_difference", 16))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(string_enum(DecisionKind, "count_decision_kind", 16))
    expected_pieces: Mapped[int | None]
    counted_pieces: Mapped[int | None]
    #: What the item (or the lot's missing pieces) was worth at its price when decided.
    value_dong: Mapped[Dong] = mapped_column(default=0, server_default="0")
    #: Paid to the item's owner for a lost consigned item (an expense of the month).
    compensation_dong: Mapped[Dong] = mapped_column(default=0, server_default="0")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    disposal_id: Mapped[int | None] = mapped_column(ForeignKey("disposal.id"))
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expense.id"))
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item | None] = relationship()
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    by: Mapped[Member] = relationship(foreign_keys=[by_id])
