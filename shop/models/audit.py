"""The audit log: who did what that the money or the members depend on, and when.

Rows are only ever added. No page or API route changes or deletes one, and the database
itself refuses to update them (a trigger, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import UTCDateTime
from shop.domain.calendar import utc_now
from shop.extensions import db
from shop.models.member import Member


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    #: Who did it (``None``: the system, or someone not signed in).
    by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    #: What: pin_reset, pin_changed, price_change, discount, void, refund, month_closed,
    #: payout, payout_corrected, shop_settings, printer_settings, sharing_settings, member_added,
    #: member_changed, token_created, token_revoked, expense_added, expense_changed,
    #: expense_removed, disposal.
    action: Mapped[str] = mapped_column(String(32))
    #: What it was done to, as people say it: "sale 12", "item 10008", "member 3", "2026-11".
    subject: Mapped[str] = mapped_column(String(120), default="")
    #: The figures of the change (amounts in đồng, old and new values, reasons).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    by: Mapped[Member | None] = relationship()
