"""Who sees whose money, and who records expenses: every such rule of the shop, in one place.

Pages, PDFs and the API ask these functions and nothing else. The rules:

- A coordinator sees everything: every member's lines of the month (earnings, hours,
  payouts, carried forward, statements) and donors' contacts.
- A member sees the group's totals and her own lines. When the shop keeps open books
  ("sổ sách mở", :attr:`ShopRules.open_books`) she sees every member's lines too; donors'
  contacts stay for coordinators either way.
- Only a coordinator records an expense, unless the shop lets members record them
  (:attr:`ShopRules.members_record_expenses`).

A viewer's role is the role she acts with: an API token made with the member role acts as
a member even when its owner is a coordinator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from shop.database import settings_row
from shop.domain.count import LostItemPays
from shop.domain.sharing import MonthFigures
from shop.models import Member, Role, ShopProfile
from shop.services import audit
from shop.services.errors import Forbidden, InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class ShopRules:
    """The shop's choices about who sees and records what (both off by default), and what
    the group pays a member for her consigned item lost at a stock count
    (:class:`shop.domain.count.LostItemPays`; her split of its price by default)."""

    open_books: bool = False
    members_record_expenses: bool = False
    lost_item_pays: str = "owner_split"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: her member number and the role she acts with."""

    number: int
    role: Role

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


def viewer(member: Member, role: Role | None = None) -> Viewer:
    """``member`` as a viewer, acting with ``role`` (her own role when ``None``)."""
    return Viewer(member.number, role or member.role)


def shop_rules(session: Session) -> ShopRules:
    """The shop's rules as saved; the defaults for a shop not set up yet."""
    profile = settings_row(session, ShopProfile)
    if profile is None:
        return ShopRules()
    return ShopRules(
        open_books=bool(profile.open_books),
        members_record_expenses=bool(profile.members_record_expenses),
        lost_item_pays=profile.lost_item_pays or "owner_split",
    )


def can_see_member_money(who: Viewer, member_number: int, rules: ShopRules) -> bool:
    """Whether ``who`` may see member ``member_number``'s own lines of the books: what she
    earned, her hours, what she was paid, brought and carried forward, her statement."""
    return who.is_coordinator or who.number == member_number or rules.open_books


def sees_every_member(who: Viewer, rules: ShopRules) -> bool:
    """Whether ``who`` sees every member's lines (a coordinator, or any member in a shop
    with open books)."""
    return who.is_coordinator or rules.open_books


def can_see_donor_contacts(who: Viewer) -> bool:
    """Donors' phone numbers are for coordinators, whatever the shop's settings."""
    return who.is_coordinator


def can_record_expenses(who: Viewer, rules: ShopRules) -> bool:
    """Coordinators record expenses; members too when the shop lets them."""
    return who.is_coordinator or rules.members_record_expenses


def may_record_expenses(session: Session, member: Member, role: Role | None = None) -> bool:
    """:func:`can_record_expenses` for ``member`` acting with ``role`` (her own when
    ``None``), under the shop's rules as saved: an expense, or a bale bought with its cost."""
    return can_record_expenses(viewer(member, role), shop_rules(session))


def check_may_record_expenses(who: Viewer, rules: ShopRules) -> None:
    """Refuse (403) an expense from someone the shop does not let record one."""
    if not can_record_expenses(who, rules):
        raise Forbidden("expense.coordinators_only")


def check_may_see_member_money(who: Viewer, member_number: int, rules: ShopRules) -> None:
    """Refuse (403) another member's lines to someone who may not see them."""
    if not can_see_member_money(who, member_number, rules):
        raise Forbidden("figures.own_only")


def visible_figures(who: Viewer, figures: MonthFigures, rules: ShopRules) -> MonthFigures:
    """A month's figures as ``who`` may see them: the group's totals whole, and only the
    members' lines she may see (her own alone, unless she sees everyone's)."""
    lines = tuple(row for row in figures.members if can_see_member_money(who, row.member, rules))
    return figures if len(lines) == len(figures.members) else replace(figures, members=lines)


def visible_to(who: Viewer, rows: Iterable[T], member_of, rules: ShopRules) -> list[T]:
    """The ``rows`` (payouts, earnings, …) whose member ``who`` may see; ``member_of(row)``
    gives a row's member number."""
    return [row for row in rows if can_see_member_money(who, member_of(row), rules)]


def donor_phone(who: Viewer, donor) -> str | None:
    """A donor's phone number for ``who``: ``None`` unless she may see donors' contacts."""
    return donor.phone if can_see_donor_contacts(who) else None


def _word(value: bool) -> str:
    return "on" if value else "off"


def set_shop_rules(
    session: Session, rules: ShopRules, *, by: Member, at: datetime | None = None
) -> ShopRules:
    """Save the shop's rules (a coordinator's choice; the caller checks her role). Each
    change goes into the audit log as old → new, with who and when; saving the same
    choices again writes nothing. The shop must be set up. Flushes, never commits."""
    profile = settings_row(session, ShopProfile)
    if profile is None:
        raise Forbidden("shop.not_set_up")
    try:
        LostItemPays(rules.lost_item_pays)
    except ValueError:
        raise InvalidInput("choice.invalid", "lost_item_pays") from None
    before = shop_rules(session)
    changes = {
        name: {"old": _word(getattr(before, name)), "new": _word(getattr(rules, name))}
        for name in ("open_books", "members_record_expenses")
        if getattr(before, name) != getattr(rules, name)
    }
    if before.lost_item_pays != rules.lost_item_pays:
        changes["lost_item_pays"] = {"old": before.lost_item_pays, "new": rules.lost_item_pays}
    if changes:
        profile.open_books = rules.open_books
        profile.members_record_expenses = rules.members_record_expenses
        profile.lost_item_pays = rules.lost_item_pays
        audit.record(session, "books_settings", by=by, at=at, **changes)
        session.flush()
    return rules
