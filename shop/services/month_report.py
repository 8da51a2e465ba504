"""The shop's monthly report for the group meeting: the month's figures with what lies
behind them (expenses by category, stock in and out, donors to thank) and the last twelve
months for the charts. Amounts are whole đồng; months are "YYYY-MM" in the shop's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.domain import sharing
from shop.models import (
    ClosedMonth,
    Disposal,
    Donor,
    Expense,
    ExpenseCategory,
    Intake,
    IntakeKind,
    Item,
    Member,
    Sale,
    SaleLine,
)
from shop.services import month as month_service
from shop.services import visibility


@dataclass(frozen=True)
class MonthPoint:
    """One month of the charts: net sales, refunds, its result and reserve, and the group
    fund so far (every reserve up to and including it)."""

    month: str
    net_sales_dong: int
    refunds_dong: int
    result_dong: int
    reserve_dong: int
    fund_dong: int


@dataclass(frozen=True)
class StockMovement:
    pieces_in: dict[str, int]  # by intake kind: donation, consignment, purchase
    pieces_sold: int
    disposed: dict[str, int]  # by disposal kind


@dataclass(frozen=True)
class MonthReport:
    month: str
    closed: bool
    figures: sharing.MonthFigures
    net_sales_dong: int
    refunds_dong: int
    sales_count: int
    expenses: dict[str, int]  # by ExpenseCategory value, every category (0 when none)
    stock: StockMovement
    donors: tuple[str, ...]
    history: tuple[MonthPoint, ...]
    earned_12: tuple[tuple[Member, int], ...]  # Σ earned over the charts' months, by member
    members: dict[int, Member]  # by number, for the distribution table's names


def months_back(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(month_service.previous_month(months[-1]))
    return months[::-1]


def month_report(
    session: Session, month: str, tz: ZoneInfo, *, chart_months: int = 12
) -> MonthReport:
    """Everything the monthly report shows for ``month``."""
    month = month_service.parse_month(month)
    first, last = sharing.month_bounds(month)
    start, end = month_service.month_moments(month, tz)
    figures = month_service.month_figures(session, month, tz)
    net_sales, refunds = month_service.net_sales_and_refunds(session, month, tz)
    sales_count = session.scalar(
        Sale.not_voided(select(func.count(Sale.id))).where(Sale.at >= start, Sale.at < end)
    )
    expenses = {category.value: 0 for category in ExpenseCategory}
    for category, amount in session.execute(
        select(Expense.category, func.sum(Expense.amount_dong))
        .where(Expense.spent_on >= first, Expense.spent_on <= last, Expense.removed_at.is_(None))
        .group_by(Expense.category)
    ):
        expenses[ExpenseCategory(category).value] = int(amount)

    pieces_in = {kind.value: 0 for kind in IntakeKind}
    for kind, pieces in session.execute(
        select(Intake.kind, func.sum(Item.quantity_received))
        .join(Item, Item.intake_id == Intake.id)
        .where(Intake.received_at >= start, Intake.received_at < end)
        .group_by(Intake.kind)
    ):
        pieces_in[IntakeKind(kind).value] = int(pieces)
    pieces_sold = session.scalar(
        Sale.not_voided(
            select(func.coalesce(func.sum(SaleLine.quantity), 0)).join(
                Sale, Sale.id == SaleLine.sale_id
            )
        ).where(Sale.at >= start, Sale.at < end)
    )
    disposed = dict(
        session.execute(
            select(Disposal.kind, func.count(Disposal.id))
            .where(Disposal.at >= start, Disposal.at < end)
            .group_by(Disposal.kind)
        ).all()
    )
    donors = tuple(
        session.scalars(
            select(Donor.name)
            .join(Intake, Intake.donor_id == Donor.id)
            .where(Intake.received_at >= start, Intake.received_at < end)
            .group_by(Donor.id, Donor.name)
            .order_by(Donor.name)
        )
    )

    history, earned = _history(session, month, tz, chart_months)
    members = {m.number: m for m in session.scalars(select(Member))}
    earned_12 = tuple(
        sorted(
            ((members[number], amount) for number, amount in earned.items()),
            key=lambda pair: (-pair[1], pair[0].number),
        )
    )
    return MonthReport(
        month=month,
        closed=month_service.is_closed(session, month),
        figures=figures,
        net_sales_dong=net_sales,
        refunds_dong=refunds,
        sales_count=int(sales_count),
        expenses=expenses,
        stock=StockMovement(
            pieces_in=pieces_in,
            pieces_sold=int(pieces_sold),
            disposed={str(getattr(k, "value", k)): int(v) for k, v in disposed.items()},
        ),
        donors=donors,
        history=history,
        earned_12=earned_12,
        members=members,
    )


def as_seen_by(
    report: MonthReport, who: visibility.Viewer, rules: visibility.ShopRules
) -> MonthReport:
    """``report`` as ``who`` may read it (:mod:`shop.services.visibility`): the group's
    totals whole; the members' lines and the earnings chart only for the members whose
    money she may see."""
    return replace(
        report,
        figures=visibility.visible_figures(who, report.figures, rules),
        earned_12=tuple(
            visibility.visible_to(who, report.earned_12, lambda pair: pair[0].number, rules)
        ),
    )


def _history(
    session: Session, month: str, tz: ZoneInfo, count: int
) -> tuple[tuple[MonthPoint, ...], dict[int, int]]:
    """The charts' months (those from the shop's first active month on), and what each
    member earned over them."""
    first_active = month_service.first_active_month(session, tz)
    months = [m for m in months_back(month, count) if first_active and m >= first_active]
    fund = sum(
        session.scalars(
            select(ClosedMonth.reserve_dong).where(
                ClosedMonth.month < (months[0] if months else month)
            )
        )
    )
    points = []
    earned: dict[int, int] = {}
    for each in months:
        figures = month_service.month_figures(session, each, tz)
        net, refunds = month_service.net_sales_and_refunds(session, each, tz)
        fund += figures.reserve_dong
        points.append(
            MonthPoint(each, net, refunds, figures.result_dong, figures.reserve_dong, fund)
        )
        for row in figures.members:
            earned[row.member] = earned.get(row.member, 0) + row.earned_dong
    return tuple(points), earned
