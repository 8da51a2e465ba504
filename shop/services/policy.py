"""The sharing settings in force for a month, read from the policy rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.domain.pricing import MarkdownStep, Policy, policy_for_month
from shop.models import PolicyRow


def policy_from_row(row: PolicyRow) -> Policy:
    return Policy(
        consignor_bp=row.consignor_bp,
        reserve_bp=row.reserve_bp,
        equal_bp=row.equal_bp,
        markdown=tuple(MarkdownStep(s["after_days"], s["percent_off"]) for s in row.markdown),
        clearance_after_days=row.clearance_after_days,
    )


def all_policies(session: Session) -> list[tuple[str, Policy]]:
    rows = session.scalars(select(PolicyRow).order_by(PolicyRow.from_month))
    return [(row.from_month, policy_from_row(row)) for row in rows]


def policy_in_force(session: Session, month: str) -> Policy:
    """The policy for ``month`` (YYYY-MM); docs/sharing.md's defaults when none is recorded."""
    return policy_for_month(all_policies(session), month)


def record_policy(session: Session, from_month: str, policy: Policy) -> PolicyRow:
    """Set the policy from ``from_month`` on (replacing one that starts in the same month).

    Only from a month that is still open: a closed month keeps the settings it was closed
    with, so :class:`~shop.services.errors.InvalidInput` at ``from_month`` otherwise.
    """
    from shop.services.month import ensure_month_open

    ensure_month_open(session, from_month, field="from_month")
    row = session.scalar(select(PolicyRow).where(PolicyRow.from_month == from_month))
    if row is None:
        row = PolicyRow(from_month=from_month)
        session.add(row)
    row.consignor_bp = policy.consignor_bp
    row.reserve_bp = policy.reserve_bp
    row.equal_bp = policy.equal_bp
    row.markdown = [
        {"after_days": s.after_days, "percent_off": s.percent_off} for s in policy.markdown
    ]
    row.clearance_after_days = policy.clearance_after_days
    session.flush()
    return row
