"""Members of the collective, how they sign in, and the tokens scripts use."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import NAME_LENGTH, PHONE_LENGTH, TOKEN_NAME_LENGTH
from shop.extensions import db


class Role(enum.StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"


ROLE_TYPE = string_enum(Role, "member_role")


class Member(UserMixin, db.Model):
    """A woman in the collective. Rows are never deleted: a member who leaves gets ``left_on``.

    ``number`` is hers for good and is what every page, paper and journal shows.
    """

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(ROLE_TYPE, default=Role.MEMBER)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Bumped when the PIN changes, her phone or leaving day changes, or she signs out: every
    # session (and remember-me cookie) signed in before then ends.
    session_version: Mapped[int] = mapped_column(default=1)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    def has_left_by(self, day: date) -> bool:
        """Whether her membership ended before ``day`` (``left_on`` is her last day)."""
        return self.left_on is not None and self.left_on < day

    def get_id(self) -> str:
        # Flask-Login keeps this in the session; the version ends old sessions (a new PIN,
        # signing out).
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<Member {self.number} {self.name!r}>"


class PinLock(db.Model):
    """Wrong PINs counted per phone number (or member, or address); too many in a row lock
    it for a while, each further lock twice as long as the last (see shop.domain.pin)."""

    __tablename__ = "pin_lock"
    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        CheckConstraint("locks >= 0", name="locks_not_negative"),
    )

    # The phone number tried, "member:<number>" for the quick switch at the counter,
    # "pin-change:<id>" for a member's own PIN change, "ip:<address>" for where sign-ins
    # come from (an IPv6 address by its /64 network).
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Locks in a row since the last good sign-in.
    locks: Mapped[int] = mapped_column(default=0, server_default="0")


class SignInEvent(db.Model):
    """Every sign-in attempt, kept: who tried, how, and what came of it."""

    __tablename__ = "sign_in_event"
    __table_args__ = (Index("ix_sign_in_event_phone_at", "phone", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    method: Mapped[str] = mapped_column(String(16))  # phone, switch, api
    outcome: Mapped[str] = mapped_column(String(16))  # ok, wrong_pin, locked, unknown, left
    # The address the attempt came from (request.remote_addr, behind SHOP_PROXIES proxies).
    address: Mapped[str | None] = mapped_column(String(45))

    member: Mapped[Member | None] = relationship()


class ApiToken(db.Model):
    """A bearer token for scripts. Only its SHA-256 is stored; revoking keeps the row."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    role: Mapped[Role] = mapped_column(ROLE_TYPE)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
