"""A journal's ``policies`` entries and the shop's :class:`Policy`, one into the other."""

from __future__ import annotations

from typing import Any

from shop.domain.pricing import DEFAULT_POLICY, MarkdownStep, Policy


def policy_of(entry: dict[str, Any]) -> Policy:
    """The policy a journal entry states; what it leaves out is docs/sharing.md's default.

    Raises :class:`ValueError` for settings no policy can have (two markdown steps on the
    same day, a rate above 10000 bp).
    """
    markdown = entry.get("markdown")
    return Policy(
        consignor_bp=entry.get("consignor_bp", DEFAULT_POLICY.consignor_bp),
        reserve_bp=entry.get("reserve_bp", DEFAULT_POLICY.reserve_bp),
        equal_bp=entry.get("equal_bp", DEFAULT_POLICY.equal_bp),
        markdown=DEFAULT_POLICY.markdown
        if markdown is None
        else tuple(MarkdownStep(step["after_days"], step["percent_off"]) for step in markdown),
        clearance_after_days=entry.get("clearance_after_days", DEFAULT_POLICY.clearance_after_days),
    )


def policy_entry(from_month: str, policy: Policy) -> dict[str, Any]:
    """A policy as the journal writes it: every setting spelled out, steps by days."""
    return {
        "from_month": from_month,
        "consignor_bp": policy.consignor_bp,
        "reserve_bp": policy.reserve_bp,
        "equal_bp": policy.equal_bp,
        "markdown": [
            {"after_days": step.after_days, "percent_off": step.percent_off}
            for step in policy.markdown
        ],
        "clearance_after_days": policy.clearance_after_days,
    }
