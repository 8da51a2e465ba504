"""The sharing settings in force for a month, read from the policy rows."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.database import read_core, read_once
from shop.domain.pricing import MarkdownStep, Policy, policy_for_month
from shop.models import PolicyRow


def policy_from_row(row: PolicyRow) -> Policy:
    return _policy(
        row.consignor_bp, row.reserve_bp, row.equal_bp, _steps(row.markdown),
        row.clearance_after_days,
    )  # fmt: skip


def _steps(markdown: list[dict]) -> tuple[tuple[int, int], ...]:
    """A policy row's markdown steps as (days, percent off)."""
    return tuple((step["after_days"], step["percent_off"]) for step in markdown)


#: Every policy row's settings, by the month it starts from: what the prices of every page
#: and API answer need, read each time (another process may have recorded a policy), as
#: plain columns rather than rows to keep.
_ALL_POLICIES = select(
    PolicyRow.from_month,
    PolicyRow.consignor_bp,
    PolicyRow.reserve_bp,
    PolicyRow.equal_bp,
    PolicyRow.markdown,
    PolicyRow.clearance_after_days,
).order_by(PolicyRow.from_month)


def all_policies(session: Session) -> list[tuple[str, Policy]]:
    """Every policy recorded, by the month it starts (read once a transaction)."""
    return read_once(session, "policies", lambda: _all_policies(session), rows_of=(PolicyRow,))


def _all_policies(session: Session) -> list[tuple[str, Policy]]:
    return [
        (
            from_month,
            _policy(
                consignor_bp,
                reserve_bp,
                equal_bp,
                _steps(markdown),
                clearance_after_days,
            ),
        )
        for from_month, consignor_bp, reserve_bp, equal_bp, markdown, clearance_after_days in (
            read_core(session, _ALL_POLICIES)
        )
    ]


@lru_cache(maxsize=64)
def _policy(
    consignor_bp: int,
    reserve_bp: int,
    equal_bp: int,
    markdown: tuple[tuple[int, int], ...],
    clearance_after_days: int,
) -> Policy:
    """The policy of these settings (frozen, so one object serves every request)."""
    return Policy(
        consignor_bp=consignor_bp,
        reserve_bp=reserve_bp,
        equal_bp=equal_bp,
        markdown=tuple(
            MarkdownStep(after_days, percent_off) for after_days, percent_off in markdown
        ),
        clearance_after_days=clearance_after_days,
    )


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
