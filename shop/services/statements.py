"""A member's statement for a month: what she earned and why, line by line.

The figures are those of :func:`shop.services.month.month_figures` (frozen for a closed
month); this module adds the detail behind them, with the same arithmetic: her consigned
lines sold in the month (net × her rate, rounded down), the refunds against her (docs/sharing.md
step 3, in the order they happened), what the group paid her for her consigned items lost
at a stocktake (each with its reason), her shifts' whole minutes, and the payouts. The
details always add up to her figures (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.domain import sharing
from shop.domain.calendar import local_date
from shop.domain.sale import owner_split, refund_owner_loss
from shop.models import Category, Item, Member, Payout, Sale, SaleLine, Shift
from shop.services import counts as count_service
from shop.services import month as month_service
from shop.services.counts import Compensation
from shop.services.errors import NotFound


@dataclass(frozen=True)
class SoldLine:
    """One of her consigned items (or pieces of a lot) sold in the month."""

    sold_on: date
    sale_number: int
    code: str
    description: str
    quantity: int
    net_dong: int
    consignor_bp: int
    split_dong: int  # floor(net × bp / 10000): what she gets


@dataclass(frozen=True)
class RefundLine:
    """Money given back in the month on one of her consigned lines, and what she gives back."""

    refunded_on: date
    sale_number: int
    code: str
    description: str
    amount_dong: int
    loss_dong: int  # docs/sharing.md step 3


@dataclass(frozen=True)
class WorkedShift:
    opened_at: datetime
    closed_at: datetime
    minutes: int


@dataclass(frozen=True)
class Statement:
    """Everything her statement shows. ``mine`` is her row of the month's figures (``None``
    if she has no part in the month at all); ``month_figures`` the shop's."""

    month: str
    member: Member
    closed: bool
    month_figures: sharing.MonthFigures
    mine: sharing.MemberFigures | None
    sold: tuple[SoldLine, ...]
    refunds: tuple[RefundLine, ...]
    shifts: tuple[WorkedShift, ...]
    payouts: tuple[Payout, ...]
    eligible_count: int
    work_minutes_total: int
    #: Her consigned items lost at a stocktake that the group paid her for in the month.
    compensations: tuple[Compensation, ...] = ()

    @property
    def compensation_dong(self) -> int:
        return sum(line.amount_dong for line in self.compensations)

    @property
    def sold_split_dong(self) -> int:
        return sum(line.split_dong for line in self.sold)

    @property
    def refund_loss_dong(self) -> int:
        return sum(line.loss_dong for line in self.refunds)


def _description(category: str, description: str | None) -> str:
    return " · ".join(filter(None, [category, description or ""]))


def statement(session: Session, member: Member, month: str, tz: ZoneInfo) -> Statement:
    """The statement of ``member`` for ``month`` ("YYYY-MM")."""
    return _statements(session, month, tz, [member])[0]


def statements(session: Session, month: str, tz: ZoneInfo) -> list[Statement]:
    """The statements of every member who has a part in ``month``, by member number."""
    figures = month_service.month_figures(session, month, tz)
    numbers = [row.member for row in figures.members]
    members = list(
        session.scalars(select(Member).where(Member.number.in_(numbers)).order_by(Member.number))
    )
    return _statements(session, month, tz, members, figures)


def member_by_number(session: Session, number: int) -> Member:
    member = session.scalar(select(Member).where(Member.number == number))
    if member is None:
        raise NotFound("member.no_such_number", "member", number=number)
    return member


def _statements(
    session: Session,
    month: str,
    tz: ZoneInfo,
    members: list[Member],
    figures: sharing.MonthFigures | None = None,
) -> list[Statement]:
    month = month_service.parse_month(month)
    figures = figures or month_service.month_figures(session, month, tz)
    closed = month_service.is_closed(session, month)
    start, end = month_service.month_moments(month, tz)
    ids = [m.id for m in members]

    sold: dict[int, list[SoldLine]] = {i: [] for i in ids}
    rows = session.execute(
        Sale.not_voided(
            select(SaleLine, Sale.number, Sale.at, Item.code, Item.description, Category.name)
            .join(Sale, Sale.id == SaleLine.sale_id)
            .join(Item, Item.id == SaleLine.item_id)
            .join(Category, Category.id == Item.category_id)
        )
        .where(
            SaleLine.owner_id.in_(ids),
            Sale.at >= start,
            Sale.at < end,
        )
        .order_by(Sale.at, Sale.number, SaleLine.position)
    )
    for line, number, at, code, description, category in rows:
        sold[line.owner_id].append(
            SoldLine(
                sold_on=local_date(at, tz),
                sale_number=number,
                code=code,
                description=_description(category, description),
                quantity=line.quantity,
                net_dong=line.net_dong,
                consignor_bp=line.consignor_bp,
                split_dong=owner_split(line.net_dong, line.consignor_bp),
            )
        )

    refunds: dict[int, list[RefundLine]] = {i: [] for i in ids}
    running = month_service.refunds_running(start, end, owner_ids=ids)
    rows = session.execute(
        select(
            running.c.at,
            running.c.amount_dong,
            running.c.after,
            SaleLine.owner_id,
            SaleLine.consignor_bp,
            Sale.number,
            Item.code,
            Item.description,
            Category.name,
        )
        .join(SaleLine, SaleLine.id == running.c.sale_line_id)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .join(Item, Item.id == SaleLine.item_id)
        .join(Category, Category.id == Item.category_id)
        .where(running.c.at >= start, running.c.at < end)
        .order_by(running.c.at)
    )
    for at, amount, after, owner_id, bp, number, code, description, category in rows:
        amount, after = int(amount), int(after)
        refunds[owner_id].append(
            RefundLine(
                refunded_on=local_date(at, tz),
                sale_number=number,
                code=code,
                description=_description(category, description),
                amount_dong=amount,
                loss_dong=refund_owner_loss(after, after - amount, bp),
            )
        )

    shifts: dict[int, list[WorkedShift]] = {i: [] for i in ids}
    for shift in session.scalars(
        select(Shift)
        .where(
            Shift.member_id.in_(ids),
            Shift.opened_at >= start,
            Shift.opened_at < end,
            Shift.closed_at.is_not(None),
        )
        .order_by(Shift.opened_at)
    ):
        shifts[shift.member_id].append(
            WorkedShift(
                shift.opened_at,
                shift.closed_at,
                sharing.shift_work_minutes(shift.opened_at, shift.closed_at),
            )
        )

    lost: dict[int, list[Compensation]] = {i: [] for i in ids}
    first, last = sharing.month_bounds(month)
    for line in count_service.compensations(session, first, last, member_ids=ids):
        lost[line.member_id].append(line)

    paid: dict[int, list[Payout]] = {i: [] for i in ids}
    for payout in month_service.payouts(session, month):
        if payout.member_id in paid:
            paid[payout.member_id].append(payout)

    by_number = {row.member: row for row in figures.members}
    eligible_count = sum(
        1
        for m in session.scalars(select(Member))
        if sharing.eligible(m.joined_on, m.left_on, first, last)
    )
    work_total = sum(row.work_minutes for row in figures.members)
    return [
        Statement(
            month=month,
            member=member,
            closed=closed,
            month_figures=figures,
            mine=by_number.get(member.number),
            sold=tuple(sold[member.id]),
            refunds=tuple(refunds[member.id]),
            shifts=tuple(shifts[member.id]),
            payouts=tuple(paid[member.id]),
            eligible_count=eligible_count,
            work_minutes_total=work_total,
            compensations=tuple(lost[member.id]),
        )
        for member in members
    ]
