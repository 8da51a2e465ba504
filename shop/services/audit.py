"""Writing and reading the audit log.

Services call :func:`record` in the same transaction as the change they make, so the log
holds exactly what was committed: a refused or rolled-back change leaves no line. Sign-ins
and their failures are already kept as :class:`~shop.models.SignInEvent` rows;
:func:`events` reads both as one list for the coordinator's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from shop.domain.calendar import utc_now
from shop.models import AuditEvent, Member, SignInEvent

#: Every action the log knows, in the order the page offers them as filters.
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "pin_reset",
    "pin_changed",
    "member_added",
    "member_changed",
    "token_created",
    "token_revoked",
    "price_change",
    "discount",
    "void",
    "refund",
    "disposal",
    "expense_added",
    "expense_changed",
    "expense_removed",
    "month_closed",
    "payout",
    "payout_corrected",
    "shop_settings",
    "books_settings",
    "printer_settings",
    "label_printer_settings",
    "sharing_settings",
    "offline_sale",
    "review_resolved",
    "shift_closed_for",
    "bank_confirmed",
    "bank_verified",
    "bank_outgoing",
    "bank_review",
    "bank_settings",
    "count_opened",
    "count_decision",
    "count_closed",
)


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (enums by value, dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, int | str | float | bool):
        return value.value
    return value


def record(
    session: Session,
    action: str,
    *,
    by: Member | None,
    subject: str = "",
    at: datetime | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one line to the log (``detail``: the change's figures; amounts in đồng)."""
    event = AuditEvent(**row(action, by=by, subject=subject, at=at, **detail))
    session.add(event)
    return event


def row(
    action: str,
    *,
    by: Member | None,
    subject: str = "",
    at: datetime | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """One line of the log as its columns, for :func:`record` or :func:`record_rows`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "at": at or utc_now(),
        "by_id": by.id if by is not None else None,
        "action": action,
        "subject": subject[:120],
        "detail": _plain(detail),
    }


def record_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add the lines :func:`row` made, in one statement (no objects made; a line's id is
    never needed by the one writing it)."""
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)


@dataclass(frozen=True)
class Line:
    """One line of the log as the page shows it."""

    at: datetime
    action: str
    by: Member | None
    subject: str
    detail: dict


def events(
    session: Session, *, action: str | None = None, before_id: int | None = None, limit: int = 100
) -> list[Line]:
    """The latest lines of the log, newest first, sign-ins included; ``action`` filters."""
    lines: list[Line] = []
    if action in (None, "sign_in", "sign_in_failed"):
        query = select(SignInEvent).options(joinedload(SignInEvent.member))
        if action == "sign_in":
            query = query.where(SignInEvent.outcome == "ok")
        elif action == "sign_in_failed":
            query = query.where(SignInEvent.outcome != "ok")
        for row in session.scalars(query.order_by(SignInEvent.at.desc()).limit(limit)):
            lines.append(
                Line(
                    at=row.at,
                    action="sign_in" if row.outcome == "ok" else "sign_in_failed",
                    by=row.member,
                    subject=row.phone or "",
                    detail=_sign_in_detail(row),
                )
            )
    if action not in ("sign_in", "sign_in_failed"):
        query = select(AuditEvent).options(joinedload(AuditEvent.by))
        if action is not None:
            query = query.where(AuditEvent.action == action)
        for row in session.scalars(query.order_by(AuditEvent.at.desc()).limit(limit)):
            lines.append(Line(row.at, row.action, row.by, row.subject, row.detail or {}))
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]


def _sign_in_detail(row: SignInEvent) -> dict:
    """A refusal says why (wrong PIN, locked, …) and where it came from; a sign-in needs
    no more."""
    if row.outcome == "ok":
        return {}
    return {"outcome": row.outcome} | ({"address": row.address} if row.address else {})
