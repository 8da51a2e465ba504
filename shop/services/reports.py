"""The Z report (Báo cáo cuối ngày): what a shift, or a whole local day, took and gave back.

Every figure is whole đồng, worked out by a handful of aggregate queries (one over the sales,
one over their lines, one per category, one over the consigned lines, one over the refunds),
never by walking the sales in Python: a day may hold hundreds of them.

Which sales count: every sale that was not voided. A transfer sale whose money has not been
confirmed yet counts too, and its unconfirmed transfer part is shown apart as *awaiting*; a
shift cannot close while one waits, so a closed shift's report has none. ``sales_count``
counts the completed sales only and ``awaiting_transfer_count`` the waiting ones. Voided
sales count for nothing but are shown apart. Invariants (tested):

- ``gross_dong − line_discounts_dong − sale_discounts_dong == net_dong``
- ``cash_dong + transfer_dong + awaiting_transfer_dong == net_dong``
- the nets by category add up to ``net_dong``
- for a shift, ``cash_dong`` is the drawer's cash sales of :func:`services.counter.cash_count`

Refunds are booked when they happen, not with the sale they undo: a shift's are those made
in it (``refund.shift_id``), a day's those whose moment falls on that local day.

Given the moment it is read (``now``), the report also says how its transfers stand against
the bank (:class:`Transfers`): confirmed by the bank, by hand and seen at the bank, by hand
and not seen yet, not seen after the shop's set days, by hand with no bank feed, still
waiting. Each transfer sale's standing is :func:`shop.domain.bank.check`'s, so these are
read one row per transfer sale (a few columns each), not summed by the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, case, cast, func, not_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql import ColumnElement

from shop.domain import bank as bank_rules
from shop.domain.calendar import local_date, local_moment
from shop.domain.sale import owner_split
from shop.models import (
    BankTransaction,
    Category,
    Item,
    Member,
    PaymentMethod,
    Refund,
    Sale,
    SaleLine,
    Shift,
    Void,
)
from shop.services.counter import CashCount, cash_count

ReportKind = Literal["shift", "day"]


class CategoryTotal(NamedTuple):
    """What one category sold: pieces (a lot's line counts its quantity) and their net đồng."""

    category: str
    pieces: int
    net_dong: int


@dataclass(frozen=True)
class Drawer:
    """A shift's cash drawer: float + cash sales − cash refunds = expected (all đồng).

    ``counted_dong`` and ``difference_dong`` (counted − expected: below 0 the drawer is
    short, above 0 it holds too much) are ``None`` while the shift is open.
    """

    shift: Shift
    count: CashCount

    @property
    def member(self) -> Member:
        return self.shift.member

    @property
    def opening_float_dong(self) -> int:
        return self.count.opening_float_dong

    @property
    def cash_sales_dong(self) -> int:
        return self.count.cash_sales_dong

    @property
    def cash_refunds_dong(self) -> int:
        return self.count.cash_refunds_dong

    @property
    def expected_dong(self) -> int:
        return self.count.expected_dong

    @property
    def closed(self) -> bool:
        return self.shift.closed_at is not None

    @property
    def counted_dong(self) -> int | None:
        return self.shift.counted_cash_dong if self.closed else None

    @property
    def difference_dong(self) -> int | None:
        counted = self.counted_dong
        return None if counted is None else counted - self.expected_dong


class Tally(NamedTuple):
    """How many transfers and how many đồng."""

    count: int = 0
    dong: int = 0

    def add(self, dong: int) -> Tally:
        return Tally(self.count + 1, self.dong + dong)


class TransferLine(NamedTuple):
    """One transfer sale on the report: who or what confirmed it and how it stands."""

    number: int
    transfer_dong: int
    check: str  # a :class:`shop.domain.bank.Check` value
    confirmed_by: str | None  # "bank", "member" or None (waiting)
    confirmed_by_name: str | None


@dataclass(frozen=True)
class Transfers:
    """The report's transfer sales (voided ones aside) by how they stand against the bank:
    ``bank`` confirmed by the bank itself, ``verified`` confirmed by hand and seen at the
    bank, ``pending`` confirmed by hand and not seen yet, ``not_seen`` confirmed by hand and
    not seen after the shop's set days (those sales, oldest first, in ``not_seen_sales``),
    ``unchecked`` confirmed by hand with no bank feed to check them, ``waiting`` not
    confirmed yet."""

    bank: Tally = Tally()
    verified: Tally = Tally()
    pending: Tally = Tally()
    not_seen: Tally = Tally()
    unchecked: Tally = Tally()
    waiting: Tally = Tally()
    not_seen_sales: tuple[Sale, ...] = ()
    #: Every transfer sale of the report, in order, with who or what confirmed it.
    lines: tuple[TransferLine, ...] = ()

    @property
    def count(self) -> int:
        return sum(
            t.count
            for t in (
                self.bank, self.verified, self.pending, self.not_seen, self.unchecked, self.waiting
            )
        )  # fmt: skip


@dataclass(frozen=True)
class ZReport:
    """The Z report of a shift (``kind == "shift"``) or of a local day (``"day"``).

    For a shift: ``shift``, ``member``, ``opened_at``, ``closed_at`` (``None`` while open)
    and ``drawer``; ``day`` is the local day it opened. For a day: ``day``, and ``shifts``
    lists the drawers of the shifts that opened that day, in the order they opened. All
    amounts are whole đồng; see the module's docstring for what counts and the invariants.
    """

    kind: ReportKind
    day: date
    sales_count: int
    awaiting_transfer_count: int
    awaiting_transfer_dong: int
    voids_count: int
    voids_total_dong: int
    gross_dong: int
    line_discounts_dong: int
    sale_discounts_dong: int
    net_dong: int
    cash_dong: int
    transfer_dong: int
    categories: tuple[CategoryTotal, ...]
    refunds_count: int
    refunds_cash_dong: int
    refunds_transfer_dong: int
    consignment_dong: int
    shift: Shift | None = None
    member: Member | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    drawer: Drawer | None = None
    shifts: tuple[Drawer, ...] = ()
    #: How the transfers stand against the bank, when the report was asked with ``now``.
    transfers: Transfers | None = None

    @property
    def pieces(self) -> int:
        return sum(row.pieces for row in self.categories)

    @property
    def refunds_dong(self) -> int:
        return self.refunds_cash_dong + self.refunds_transfer_dong

    @property
    def net_after_refunds_dong(self) -> int:
        """Net sales less the money given back in the same shift or day (may be below 0)."""
        return self.net_dong - self.refunds_dong

    @property
    def closed_drawers(self) -> tuple[Drawer, ...]:
        drawers = (self.drawer,) if self.drawer is not None else self.shifts
        return tuple(d for d in drawers if d.closed)

    @property
    def cash_difference_dong(self) -> int | None:
        """Counted − expected over the closed shifts; ``None`` when none has closed."""
        closed = self.closed_drawers
        if not closed:
            return None
        return sum(d.difference_dong or 0 for d in closed)


def shift_report(
    session: Session, shift: Shift, *, tz: ZoneInfo, now: datetime | None = None
) -> ZReport:
    """The Z report of ``shift``: its sales, the refunds made in it and its drawer (and,
    with ``now``, how its transfers stand against the bank).

    While the shift is open this is the report so far (an X report): nothing is counted yet.
    """
    figures = _figures(session, Sale.shift_id == shift.id, Refund.shift_id == shift.id)
    if now is not None:
        figures["transfers"] = transfer_checks(session, Sale.shift_id == shift.id, now=now)
    return ZReport(
        kind="shift",
        day=local_date(shift.opened_at, tz),
        shift=shift,
        member=shift.member,
        opened_at=shift.opened_at,
        closed_at=shift.closed_at,
        drawer=Drawer(shift, cash_count(session, shift)),
        **figures,
    )


#: No report before this day: the shop kept no books then (and far-off years overflow).
FIRST_DAY = date(2000, 1, 1)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def report_day(text: str, today: date) -> date | None:
    """``yyyy-mm-dd`` (ASCII digits) as a day with a report, :data:`FIRST_DAY` to ``today``;
    else ``None`` (the page and the API answer 404). Far-off days would overflow when their
    bounds are turned into UTC."""
    if not isinstance(text, str) or not _ISO_DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= today else None


def day_report(
    session: Session, day: date, *, tz: ZoneInfo, now: datetime | None = None
) -> ZReport:
    """The Z report of the local ``day`` in ``tz``: every sale and refund of that day (and,
    with ``now``, how its transfers stand against the bank).

    A sale belongs to the day of its moment in ``tz``, whichever shift rang it up; the
    drawers listed are those of the shifts that opened that day.
    """
    start, end = day_bounds(day, tz)
    figures = _figures(
        session,
        and_(Sale.at >= start, Sale.at < end),
        and_(Refund.at >= start, Refund.at < end),
    )
    if now is not None:
        figures["transfers"] = transfer_checks(
            session, and_(Sale.at >= start, Sale.at < end), now=now
        )
    shifts = session.scalars(
        select(Shift)
        .where(Shift.opened_at >= start, Shift.opened_at < end)
        .options(joinedload(Shift.member))
        .order_by(Shift.opened_at, Shift.id)
    )
    drawers = tuple(Drawer(shift, cash_count(session, shift)) for shift in shifts)
    return ZReport(kind="day", day=day, shifts=drawers, **figures)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of ``day`` in ``tz`` and of the day after, as aware UTC datetimes."""
    start = local_moment(day, time.min, tz)
    end = local_moment(day + timedelta(days=1), time.min, tz)
    return start.astimezone(UTC), end.astimezone(UTC)


# ---------------------------------------------------------------- the queries


def _sum(expression) -> ColumnElement:
    """SUM that is 0 over no rows, in BIGINT so a busy day cannot overflow INTEGER."""
    return func.coalesce(func.sum(cast(expression, BigInteger)), 0)


def _figures(session: Session, sales_in: ColumnElement, refunds_in: ColumnElement) -> dict:
    """Every figure of the report over the sales matching ``sales_in`` and the refunds
    matching ``refunds_in``, as keyword arguments for :class:`ZReport`."""
    voided = Void.id.is_not(None)
    kept = Void.id.is_(None)
    awaiting = and_(kept, Sale.transfer_outstanding)
    completed = and_(kept, not_(Sale.transfer_outstanding))
    sales = session.execute(
        select(
            _sum(case((completed, 1), else_=0)),
            _sum(case((awaiting, 1), else_=0)),
            _sum(case((awaiting, Sale.transfer_dong), else_=0)),
            _sum(case((voided, 1), else_=0)),
            _sum(case((voided, Sale.total_dong), else_=0)),
            _sum(case((kept, Sale.total_dong), else_=0)),
            _sum(case((kept, Sale.cash_dong), else_=0)),
            _sum(case((completed, Sale.transfer_dong), else_=0)),
        )
        .select_from(Sale)
        .outerjoin(Void, Void.sale_id == Sale.id)
        .where(sales_in)
    ).one()
    (
        sales_count,
        awaiting_count,
        awaiting_dong,
        voids_count,
        voids_dong,
        net,
        cash,
        transfer,
    ) = (int(value) for value in sales)

    def kept_lines(*columns):
        return Sale.not_voided(
            select(*columns).select_from(SaleLine).join(Sale, Sale.id == SaleLine.sale_id)
        ).where(sales_in)

    gross, line_discounts, sale_discounts = (
        int(value)
        for value in session.execute(
            kept_lines(
                _sum(SaleLine.unit_price_dong * SaleLine.quantity),
                _sum(SaleLine.discount_dong),
                _sum(SaleLine.sale_discount_dong),
            )
        ).one()
    )
    categories = tuple(
        CategoryTotal(name, int(pieces), int(net_dong))
        for name, pieces, net_dong in session.execute(
            kept_lines(Category.name, _sum(SaleLine.quantity), _sum(SaleLine.net_dong))
            .join(Item, Item.id == SaleLine.item_id)
            .join(Category, Category.id == Item.category_id)
            .group_by(Category.id, Category.name, Category.position)
            .order_by(Category.position, Category.name)
        )
    )
    # Each line's owner split is floored on its own (docs/sharing.md); lines with the same net
    # and rate have the same split, so one row per (net, rate) is enough.
    splits = session.execute(
        kept_lines(SaleLine.net_dong, SaleLine.consignor_bp, func.count(SaleLine.id))
        .where(SaleLine.owner_id.is_not(None), SaleLine.consignor_bp.is_not(None))
        .group_by(SaleLine.net_dong, SaleLine.consignor_bp)
    )
    consignment = _consignment_dong(splits)
    refunds_count, refunds_cash, refunds_transfer = (
        int(value)
        for value in session.execute(
            select(
                func.count(Refund.id),
                _sum(case((Refund.method == PaymentMethod.CASH, Refund.amount_dong), else_=0)),
                _sum(case((Refund.method == PaymentMethod.TRANSFER, Refund.amount_dong), else_=0)),
            ).where(refunds_in)
        ).one()
    )
    return {
        "sales_count": sales_count,
        "awaiting_transfer_count": awaiting_count,
        "awaiting_transfer_dong": awaiting_dong,
        "voids_count": voids_count,
        "voids_total_dong": voids_dong,
        "gross_dong": gross,
        "line_discounts_dong": line_discounts,
        "sale_discounts_dong": sale_discounts,
        "net_dong": net,
        "cash_dong": cash,
        "transfer_dong": transfer,
        "categories": categories,
        "refunds_count": refunds_count,
        "refunds_cash_dong": refunds_cash,
        "refunds_transfer_dong": refunds_transfer,
        "consignment_dong": consignment,
    }


def _consignment_dong(rows: Iterable[tuple[int, int, int]]) -> int:
    """Σ count × floor(net × bp / 10000) over (net, bp, count) rows."""
    return sum(int(count) * owner_split(int(net), int(bp)) for net, bp, count in rows)


def transfer_checks(session: Session, sales_in: ColumnElement, *, now: datetime) -> Transfers:
    """How the transfer sales matching ``sales_in`` (voided ones aside) stand against the
    bank at ``now``, by :func:`shop.domain.bank.check`."""
    from shop.services.bank import bank_settings

    settings = bank_settings(session)
    feed_since = settings.feed_since if settings.provider else None
    paid = select(BankTransaction.sale_id).where(BankTransaction.pays_sale)
    rows = session.execute(
        Sale.not_voided(
            select(
                Sale.id,
                Sale.transfer_dong,
                Sale.confirmed_at,
                Sale.confirmed_by_id.is_not(None),
                Sale.id.in_(paid),
                Sale.number,
                Member.name,
            ).select_from(Sale)
        )
        .outerjoin(Member, Member.id == Sale.confirmed_by_id)
        .where(sales_in, Sale.transfer_dong > 0)
        .order_by(Sale.at, Sale.id)
    ).all()
    tallies = {check: Tally() for check in bank_rules.Check}
    not_seen: list[int] = []
    lines: list[TransferLine] = []
    for sale_id, transfer_dong, confirmed_at, by_hand, by_bank, number, name in rows:
        state = bank_rules.check(
            transfer_dong=transfer_dong,
            confirmed_at=confirmed_at,
            voided=False,
            by_bank=bool(by_bank),
            by_hand=bool(by_hand),
            feed_since=feed_since,
            now=now,
            days=settings.check_days,
        )
        tallies[state] = tallies[state].add(transfer_dong)
        confirmer = None if confirmed_at is None else "member" if by_hand else "bank"
        if confirmer == "bank" and not by_bank:
            confirmer = None  # confirmed before this was kept: nobody on record
        lines.append(TransferLine(number, transfer_dong, state.value, confirmer, name))
        if state == bank_rules.Check.NOT_SEEN:
            not_seen.append(sale_id)
    sales = (
        session.scalars(
            select(Sale)
            .where(Sale.id.in_(not_seen))
            .options(joinedload(Sale.confirmed_by))
            .order_by(Sale.at, Sale.id)
        ).all()
        if not_seen
        else []
    )
    checks = bank_rules.Check
    return Transfers(
        bank=tallies[checks.BANK],
        verified=tallies[checks.VERIFIED],
        pending=tallies[checks.PENDING],
        not_seen=tallies[checks.NOT_SEEN],
        unchecked=tallies[checks.UNCHECKED],
        waiting=tallies[checks.WAITING],
        not_seen_sales=tuple(sales),
        lines=tuple(lines),
    )
