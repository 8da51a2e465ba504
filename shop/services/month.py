"""The month: its figures (docs/sharing.md), closing it, paying out against it, and the guard
that keeps a closed month as it was closed.

A month is a local calendar month in the shop's time zone, written "YYYY-MM"; a moment
belongs to the month of its local date. Every amount is whole đồng, every rate basis
points. The money rule itself is :mod:`shop.domain.sharing`; this module loads a month's
totals from the database with aggregate queries and hands them to it.

**Months close in order.** The first month to close is the first month with any activity
(a sale, refund, shift or expense); after it, each next calendar month in turn, empty ones
included, so that every month's loss and balances are carried by closed months only. A
month is *closed* when it is at or before the latest closed month: nothing dated in it may
be recorded any more (:func:`ensure_month_open`), and corrections go into the current month.

**Figures.** A closed month's figures are the ones frozen at its close; only ``paid`` and
``carried_forward`` follow the payouts recorded against it afterwards. An open month's
figures are worked out live, carrying the loss and each member's balance from the latest
closed month (or from nothing, before the first close) through the open months before it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, selectinload

from shop.database import forget, read_core, read_once
from shop.domain import sharing
from shop.domain.calendar import local_date
from shop.domain.money import MAX_DONG
from shop.domain.pricing import Policy, month_key, policy_for_month
from shop.domain.sale import refund_owner_loss
from shop.domain.text import tidy
from shop.models import (
    ClosedMonth,
    ClosedMonthMember,
    Expense,
    ExpenseCategory,
    Member,
    PaymentMethod,
    Payout,
    PayoutCorrection,
    Refund,
    Sale,
    SaleLine,
    Shift,
    StockCount,
)
from shop.services import audit, visibility
from shop.services import policy as policy_service
from shop.services.days import refuse_future
from shop.services.errors import Day, Dong, InvalidInput, Moment, MonthName, NotFound
from shop.services.idempotency import earlier

# ---------------------------------------------------------------- months as text


def parse_month(text: object, field: str = "month") -> str:
    """``text`` if it is a month written "YYYY-MM" (2000..2100), else :class:`InvalidInput`."""
    try:
        if not isinstance(text, str):
            raise ValueError
        first, _last = sharing.month_bounds(text)
    except ValueError:
        raise InvalidInput("month.invalid", field) from None
    if not 2000 <= first.year <= 2100:
        raise InvalidInput("day.out_of_range", field)
    return text


def next_month(month: str) -> str:
    """The month after ``month`` ("2026-12" → "2027-01")."""
    _first, last = sharing.month_bounds(month)
    return month_key(last + timedelta(days=1))


def previous_month(month: str) -> str:
    """The month before ``month`` ("2027-01" → "2026-12")."""
    first, _last = sharing.month_bounds(month)
    return month_key(first - timedelta(days=1))


def month_of(when: date | datetime, tz: ZoneInfo) -> str:
    """The month of a local date, or of an aware moment's local date in ``tz``."""
    day = local_date(when, tz) if isinstance(when, datetime) else when
    return month_key(day)


def month_moments(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The moments ``month`` begins and ends (the next one's local midnight), aware, in
    ``tz``: a moment ``at`` is in the month when ``start <= at < end``."""
    first, last = sharing.month_bounds(month)
    return (
        datetime.combine(first, time(0), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz),
    )


# ---------------------------------------------------------------- open and closed


def latest_closed_month(session: Session, before: str | None = None) -> str | None:
    """The latest closed month ("YYYY-MM"), or the latest one before ``before``; ``None``
    if there is none."""
    if before is None:
        # Flushed first (a month closed in this transaction and not yet written is seen).
        read = lambda: read_core(session, _LATEST_CLOSED).scalar()  # noqa: E731
        return read_once(session, "latest_closed_month", read, rows_of=(ClosedMonth,))
    return session.scalar(select(func.max(ClosedMonth.month)).where(ClosedMonth.month < before))


# Asked before anything dated is written (ensure_month_open): built once, on the table.
_LATEST_CLOSED = select(func.max(ClosedMonth.__table__.c.month))


def is_closed(session: Session, month: str) -> bool:
    """Whether ``month`` is closed: at or before the latest closed month."""
    latest = latest_closed_month(session)
    return latest is not None and month <= latest


def ensure_month_open(
    session: Session, when: date | datetime | str, tz: ZoneInfo | None = None, field: str = "at"
) -> None:
    """Refuse (:class:`InvalidInput` at ``field``) anything dated in a closed month.

    ``when`` is an aware moment (its local date in ``tz`` counts), a local date, or a month
    "YYYY-MM". On PostgreSQL the check takes a SHARE lock on the closed months, which
    :func:`close_month` waits for: a month cannot close under a sale being written into it,
    and what is written after the close sees it closed. (On SQLite every writing
    transaction already runs alone.)
    """
    if isinstance(when, str):
        month = when
    else:
        if isinstance(when, datetime) and tz is None:
            raise ValueError("a moment needs the shop's time zone to fall in a month")
        month = month_of(when, tz)
    if session.get_bind().dialect.name == "postgresql":
        read_once(session, "closed_months_locked", lambda: _lock_closed_months(session), rows_of=())
    if is_closed(session, month):
        raise InvalidInput("month.closed_for_corrections", field, month=MonthName(month))


def _lock_closed_months(session: Session) -> bool:
    """Lock the closed months (once a transaction: it holds the lock to its end), then read
    them again: what was read before the lock may be out of date."""
    session.execute(text("LOCK TABLE closed_month IN SHARE MODE"))
    forget(session, "latest_closed_month")
    return True


def first_active_month(session: Session, tz: ZoneInfo, since: str | None = None) -> str | None:
    """The first month with a sale, a refund, a shift or an expense (removed ones aside),
    or the first such month from ``since`` on; ``None`` if there is none."""
    start = month_moments(since, tz)[0] if since is not None else None
    first_day = sharing.month_bounds(since)[0] if since is not None else None

    def earliest(column, bound, *conditions):
        query = select(func.min(column)).where(*conditions)
        return session.scalar(query if bound is None else query.where(column >= bound))

    moments = [
        earliest(Sale.at, start),
        earliest(Refund.at, start),
        earliest(Shift.opened_at, start),
    ]
    months = [month_of(moment, tz) for moment in moments if moment is not None]
    spent_on = earliest(Expense.spent_on, first_day, Expense.removed_at.is_(None))
    if spent_on is not None:
        months.append(month_key(spent_on))
    return min(months, default=None)


# ---------------------------------------------------------------- a month's figures


def sharing_settings(session: Session, month: str) -> Policy:
    """The settings ``month`` is shared with: those it was closed with, if it is closed;
    otherwise the policy in force in it (docs/sharing.md's defaults when none is recorded)."""
    closed = session.scalar(select(ClosedMonth).where(ClosedMonth.month == month))
    if closed is not None:
        return _snapshot_policy(closed)
    return policy_service.policy_in_force(session, month)


def set_sharing_settings(
    session: Session, from_month: str, policy: Policy, *, by: Member | None = None
) -> None:
    """Set the sharing settings from ``from_month`` on: allowed only while it is open
    (closed months keep the settings they were closed with)."""
    from_month = parse_month(from_month, "from_month")
    policy_service.record_policy(session, from_month, policy)
    audit.record(
        session, "sharing_settings", by=by, subject=from_month,
        consignor_bp=policy.consignor_bp, reserve_bp=policy.reserve_bp,
        equal_bp=policy.equal_bp, clearance_after_days=policy.clearance_after_days,
        markdown=[[step.after_days, step.percent_off] for step in policy.markdown],
    )  # fmt: skip


def net_sales_and_refunds(session: Session, month: str, tz: ZoneInfo) -> tuple[int, int]:
    """(Σ nets of the lines sold in ``month``, voided sales left out; Σ refunds booked in
    it), in đồng: the left side of docs/sharing.md's check (see ``month_check_holds``)."""
    start, end = month_moments(month, tz)
    net = session.scalar(
        Sale.not_voided(
            select(func.coalesce(func.sum(SaleLine.net_dong), 0)).join(
                Sale, Sale.id == SaleLine.sale_id
            )
        ).where(Sale.at >= start, Sale.at < end)
    )
    refunds = session.scalar(
        select(func.coalesce(func.sum(Refund.amount_dong), 0)).where(
            Refund.at >= start, Refund.at < end
        )
    )
    return int(net), int(refunds)


def month_input(session: Session, month: str, tz: ZoneInfo) -> sharing.MonthInput:
    """Everything :func:`shop.domain.sharing.month_figures` needs for ``month``, from the
    database as it is now (docs/sharing.md steps 2–4, 6 and 9's inputs).

    The brought loss and each member's brought forward are the previous month's carried
    loss and carried forward: frozen if that month is closed, worked out otherwise.
    """
    month = parse_month(month)
    policies = policy_service.all_policies(session)
    previous = _previous_figures(session, month, tz, policies)
    return _gather(session, month, tz, previous, policies)


def month_figures(session: Session, month: str, tz: ZoneInfo) -> sharing.MonthFigures:
    """The figures of ``month`` (docs/sharing.md, every amount in đồng, members by number).

    A closed month gives the figures frozen at its close, with ``paid`` and
    ``carried_forward`` from the payouts recorded against it since. An open month is worked
    out from the database as it is now.
    """
    month = parse_month(month)
    closed = _closed_row(session, month)
    if closed is not None:
        return _frozen(session, closed)
    policies = policy_service.all_policies(session)
    previous = _previous_figures(session, month, tz, policies)
    return sharing.month_figures(_gather(session, month, tz, previous, policies))


def month_data(session: Session, month: str, tz: ZoneInfo, *, who=None, rules=None) -> dict:
    """A month's figures as data, as the API and ``flask month show --json`` give them:
    ``month``, ``closed`` (bool) and :meth:`MonthFigures.as_dict` (docs/sharing.md's names).
    With ``who`` (a :class:`~shop.services.visibility.Viewer`) and the shop's ``rules``,
    only the members' lines she may see; without, every line (the command line)."""
    month = parse_month(month)
    figures = month_figures(session, month, tz)
    if who is not None:
        figures = visibility.visible_figures(who, figures, rules or visibility.ShopRules())
    return {"month": month, "closed": is_closed(session, month), **figures.as_dict()}


def _closed_row(session: Session, month: str, *, for_update: bool = False) -> ClosedMonth | None:
    query = (
        select(ClosedMonth)
        .where(ClosedMonth.month == month)
        .options(selectinload(ClosedMonth.members))
    )
    if for_update:
        query = query.with_for_update(of=ClosedMonth)
    return session.scalar(query)


def _frozen(session: Session, closed: ClosedMonth) -> sharing.MonthFigures:
    """A closed month's frozen figures, with paid and carried forward as of now."""
    paid = _paid(session, closed)
    rows = sorted(closed.members, key=lambda row: row.member_number)
    return sharing.MonthFigures(
        pool_sales_dong=closed.pool_sales_dong,
        expenses_dong=closed.expenses_dong,
        brought_loss_dong=closed.brought_loss_dong,
        result_dong=closed.result_dong,
        reserve_dong=closed.reserve_dong,
        distributable_dong=closed.distributable_dong,
        carried_loss_dong=closed.carried_loss_dong,
        equal_total_dong=closed.equal_total_dong,
        work_total_dong=closed.work_total_dong,
        members=tuple(
            sharing.MemberFigures(
                member=row.member_number,
                work_minutes=row.work_minutes,
                consignment_dong=row.consignment_dong,
                equal_share_dong=row.equal_share_dong,
                work_share_dong=row.work_share_dong,
                earned_dong=row.earned_dong,
                brought_forward_dong=row.brought_forward_dong,
                due_dong=row.due_dong,
                paid_dong=paid.get(row.member_id, 0),
                carried_forward_dong=row.due_dong - paid.get(row.member_id, 0),
                compensation_dong=row.compensation_dong,
            )
            for row in rows
        ),
        compensation_total_dong=sum(row.compensation_dong for row in rows),
    )


def _paid(session: Session, closed: ClosedMonth) -> dict[int, int]:
    """Đồng paid against a closed month so far, by member id: her payouts less what
    corrections took back of them (docs/sharing.md step 9's ``paid``)."""
    return paid_by_member(session, Payout.closed_month_id == closed.id)


def paid_by_member(session: Session, *where) -> dict[int, int]:
    """Σ payouts − Σ their corrections, by member id, over the payouts ``where`` picks."""
    paid: dict[int, int] = defaultdict(int)
    for member_id, amount in session.execute(
        select(Payout.member_id, func.sum(Payout.amount_dong)).where(*where)
        .group_by(Payout.member_id)
    ):  # fmt: skip
        paid[member_id] += int(amount)
    for member_id, amount in session.execute(
        select(Payout.member_id, func.sum(PayoutCorrection.amount_dong))
        .join(Payout, Payout.id == PayoutCorrection.payout_id)
        .where(*where)
        .group_by(Payout.member_id)
    ):
        paid[member_id] -= int(amount)
    return {member_id: amount for member_id, amount in paid.items() if amount}


def _previous_figures(
    session: Session, month: str, tz: ZoneInfo, policies: list[tuple[str, Policy]]
) -> sharing.MonthFigures | None:
    """The figures of the month before ``month``, or ``None`` when nothing comes before it
    (no closed month, and no activity before ``month``).

    Starts from the latest closed month before ``month`` (frozen) or from the first month
    with any activity, and works out each open month with activity from there in turn.
    """
    before = previous_month(month)
    last_closed = latest_closed_month(session, before=month)
    if last_closed == before:
        return _frozen(session, _closed_row(session, before))
    if last_closed is not None:
        figures = _frozen(session, _closed_row(session, last_closed))
        current = next_month(last_closed)
    else:
        figures = None
        current = first_active_month(session, tz)
        if current is None or current > before:
            return None
    while current <= before:
        figures = sharing.month_figures(_gather(session, current, tz, figures, policies))
        # A month with nothing in it carries the loss and every balance on unchanged (its
        # result is −brought_loss, nobody earns): such months are skipped, not worked out.
        current = first_active_month(session, tz, since=next_month(current))
        if current is None:
            break
    return figures


def refunds_running(start: datetime, end: datetime, *, owner_ids=None):
    """A subquery of the refunds of the lines refunded from ``start`` to ``end``, each with
    ``after``: its line's refunds up to and including it, in the order they happened (R in
    docs/sharing.md step 3; R′ is ``after − amount_dong``). Refunds before ``start`` are there
    too, for their part in ``after``: the caller keeps those whose ``at`` is in the month.
    ``owner_ids`` keeps only the lines of those members' consigned items.
    """
    lines = select(Refund.sale_line_id).where(Refund.at >= start, Refund.at < end)
    query = select(
        Refund.at,
        Refund.sale_line_id,
        Refund.amount_dong,
        func.sum(Refund.amount_dong)
        .over(partition_by=Refund.sale_line_id, order_by=(Refund.at, Refund.id))
        .label("after"),
    ).where(Refund.sale_line_id.in_(lines))
    if owner_ids is not None:
        query = query.join(SaleLine, SaleLine.id == Refund.sale_line_id).where(
            SaleLine.owner_id.in_(owner_ids)
        )
    return query.subquery()


def _gather(
    session: Session,
    month: str,
    tz: ZoneInfo,
    previous: sharing.MonthFigures | None,
    policies: list[tuple[str, Policy]],
) -> sharing.MonthInput:
    """One month's totals from the database, with the loss and balances of ``previous``.

    A handful of aggregate queries, whatever the number of sales: one over the month's sale
    lines grouped by owner, one over its refunds (each with what its line had been refunded
    before, by a window), one sum of expenses, one of the compensations for lost items by
    member, its closed shifts, its payouts, the members.
    """
    first, last = sharing.month_bounds(month)
    start, end = month_moments(month, tz)
    pool = 0
    consignment: dict[int, int] = defaultdict(int)

    # Step 2: owner splits floor(net × bp / 10000), line by line, summed per owner in SQL
    # (the same arithmetic as shop.domain.sale.owner_split; nets and rates are ≥ 0, so
    # SQL's truncating integer division is the floor).
    split = SaleLine.net_dong * SaleLine.consignor_bp // 10_000
    sold = session.execute(
        Sale.not_voided(
            select(
                SaleLine.owner_id,
                func.coalesce(func.sum(SaleLine.net_dong), 0),
                func.coalesce(func.sum(split), 0),
            ).join(Sale, Sale.id == SaleLine.sale_id)
        )
        .where(Sale.at >= start, Sale.at < end)
        .group_by(SaleLine.owner_id)
    )
    for owner_id, net, owners in sold:
        if owner_id is None:
            pool += int(net)
        else:
            consignment[owner_id] += int(owners)
            pool += int(net) - int(owners)

    # Step 3: each refund booked in the month, with the line's refunds up to and including
    # it (R) in the order they happened; the owner loses floor(R·bp) − floor(R′·bp).
    running = refunds_running(start, end)
    refunds = session.execute(
        select(running.c.amount_dong, running.c.after, SaleLine.owner_id, SaleLine.consignor_bp)
        .join(SaleLine, SaleLine.id == running.c.sale_line_id)
        .where(running.c.at >= start, running.c.at < end)
    )
    for amount, after, owner_id, consignor_bp in refunds:
        amount, after = int(amount), int(after)
        loss = 0
        if owner_id is not None:
            loss = refund_owner_loss(after, after - amount, consignor_bp)
            consignment[owner_id] -= loss
        pool -= amount - loss

    in_month = (Expense.spent_on >= first, Expense.spent_on <= last, Expense.removed_at.is_(None))
    expenses = session.scalar(
        select(func.coalesce(func.sum(Expense.amount_dong), 0)).where(*in_month)
    )
    # What the group paid each member for her consigned items lost at a stocktake: among
    # the expenses above (the pool bears it) and in her earned.
    compensation = {
        member_id: int(amount)
        for member_id, amount in session.execute(
            select(Expense.member_id, func.sum(Expense.amount_dong))
            .where(*in_month, Expense.category == ExpenseCategory.COMPENSATION)
            .group_by(Expense.member_id)
        )
    }

    minutes: dict[int, int] = defaultdict(int)
    shifts = session.execute(
        select(Shift.member_id, Shift.opened_at, Shift.closed_at).where(
            Shift.opened_at >= start, Shift.opened_at < end, Shift.closed_at.is_not(None)
        )
    )
    for member_id, opened_at, closed_at in shifts:
        minutes[member_id] += sharing.shift_work_minutes(opened_at, closed_at)

    paid = paid_by_member(
        session,
        Payout.closed_month_id.in_(select(ClosedMonth.id).where(ClosedMonth.month == month)),
    )

    brought = {m.member: m.carried_forward_dong for m in previous.members} if previous else {}
    members = []
    for member in session.scalars(select(Member).order_by(Member.number)):
        is_eligible = sharing.eligible(member.joined_on, member.left_on, first, last)
        brought_forward = brought.get(member.number, 0)
        listed = (
            is_eligible
            or member.id in consignment
            or minutes.get(member.id)
            or paid.get(member.id)
            or brought_forward
            or compensation.get(member.id)
        )
        if not listed:
            continue
        members.append(
            sharing.MemberInput(
                member=member.number,
                eligible=is_eligible,
                work_minutes=minutes.get(member.id, 0),
                consignment_dong=consignment.get(member.id, 0),
                brought_forward_dong=brought_forward,
                paid_dong=int(paid.get(member.id, 0)),
                compensation_dong=compensation.get(member.id, 0),
            )
        )
    policy = policy_for_month(policies, month)
    return sharing.MonthInput(
        pool_sales_dong=pool,
        expenses_dong=int(expenses),
        brought_loss_dong=previous.carried_loss_dong if previous else 0,
        members=tuple(members),
        settings=sharing.SharingSettings(reserve_bp=policy.reserve_bp, equal_bp=policy.equal_bp),
    )


# ---------------------------------------------------------------- closing a month


@dataclass(frozen=True)
class ClosePreview:
    """What closing ``month`` would freeze, and why it cannot be closed yet (``refusal``,
    ``None`` if it can)."""

    month: str
    figures: sharing.MonthFigures
    settings: Policy
    refusal: InvalidInput | None
    #: Shifts that opened in the month or before and are still open: each stops the close
    #: until it is closed (by its member, or by a coordinator for her).
    open_shifts: tuple[Shift, ...] = ()
    #: Transfers of the month's sales confirmed by hand that the bank has not shown after
    #: the shop's set days: a warning, not a refusal (the money may come late, or never).
    not_seen: tuple[Sale, ...] = ()
    #: A stock count still open: a warning, not a refusal. What its close decides (a lost
    #: member's item paid to her) is dated the day it closes, so it falls in a later month.
    open_count: StockCount | None = None


def preview_close(session: Session, month: str, *, at: datetime, tz: ZoneInfo) -> ClosePreview:
    """The figures closing ``month`` at ``at`` would freeze, without writing anything."""
    from shop.services import bank, counts

    month = parse_month(month)
    start, end = month_moments(month, tz)
    still_open = _open_before(session, end)
    return ClosePreview(
        month=month,
        figures=month_figures(session, month, tz),
        settings=sharing_settings(session, month),
        refusal=_close_refusal(session, month, at=at, tz=tz, still_open=still_open),
        open_shifts=tuple(still_open),
        not_seen=tuple(bank.not_seen(session, now=at, start=start, end=end)),
        open_count=counts.current_count(session),
    )


def _open_before(session: Session, end: datetime) -> list[Shift]:
    """Shifts opened before ``end`` and not closed, oldest first, with their members."""
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.opened_at < end, Shift.closed_at.is_(None))
            .options(selectinload(Shift.member))
            .order_by(Shift.opened_at)
        )
    )


def close_month(
    session: Session, month: str, *, by: Member, at: datetime, tz: ZoneInfo
) -> ClosedMonth:
    """Close ``month`` at the moment ``at``: freeze its figures and the settings it used.

    Refused (:class:`InvalidInput` at ``month``) when the month has not ended by ``at``
    (local time), is already closed, is not the next month to close (the first month with
    any activity, then each following month in turn), still has a shift open that opened
    in it or before, or has a sale waiting for its transfer. Flushes, never commits.
    """
    month = parse_month(month)
    if session.get_bind().dialect.name == "postgresql":
        # Waits for every transaction that has checked a month open (SHARE) to finish, and
        # keeps a second close out until this one commits.
        session.execute(text("LOCK TABLE closed_month IN SHARE ROW EXCLUSIVE MODE"))
        # A payout against the month before locks that month's row (record_payout) until
        # it commits: wait for it, so that what it paid is not also brought into this one;
        # a payout asked for after this point waits for the close, then sees it.
        _closed_row(session, previous_month(month), for_update=True)
    refusal = _close_refusal(session, month, at=at, tz=tz)
    if refusal is not None:
        raise refusal
    policies = policy_service.all_policies(session)
    previous = _previous_figures(session, month, tz, policies)
    figures = sharing.month_figures(_gather(session, month, tz, previous, policies))
    net_sales, refunds = net_sales_and_refunds(session, month, tz)
    policy = policy_for_month(policies, month)
    closed = ClosedMonth(
        month=month,
        closed_at=at,
        closed_by_id=by.id,
        consignor_bp=policy.consignor_bp,
        reserve_bp=policy.reserve_bp,
        equal_bp=policy.equal_bp,
        markdown=[
            {"after_days": step.after_days, "percent_off": step.percent_off}
            for step in policy.markdown
        ],
        clearance_after_days=policy.clearance_after_days,
        pool_sales_dong=figures.pool_sales_dong,
        expenses_dong=figures.expenses_dong,
        brought_loss_dong=figures.brought_loss_dong,
        result_dong=figures.result_dong,
        reserve_dong=figures.reserve_dong,
        distributable_dong=figures.distributable_dong,
        carried_loss_dong=figures.carried_loss_dong,
        equal_total_dong=figures.equal_total_dong,
        work_total_dong=figures.work_total_dong,
        net_sales_dong=net_sales,
        refunds_dong=refunds,
    )
    session.add(closed)
    audit.record(
        session, "month_closed", by=by, at=at, subject=month,
        result_dong=figures.result_dong, reserve_dong=figures.reserve_dong,
        distributable_dong=figures.distributable_dong,
    )  # fmt: skip
    session.flush()
    first, last = sharing.month_bounds(month)
    by_number = {m.number: m for m in session.scalars(select(Member))}
    rows = []
    for figures_of in figures.members:
        # Payouts come only after a close, so nothing has been paid against it yet.
        assert figures_of.paid_dong == 0
        member = by_number[figures_of.member]
        rows.append(
            {
                "closed_month_id": closed.id,
                "member_id": member.id,
                "member_number": member.number,
                "eligible": sharing.eligible(member.joined_on, member.left_on, first, last),
                "work_minutes": figures_of.work_minutes,
                "consignment_dong": figures_of.consignment_dong,
                "compensation_dong": figures_of.compensation_dong,
                "equal_share_dong": figures_of.equal_share_dong,
                "work_share_dong": figures_of.work_share_dong,
                "earned_dong": figures_of.earned_dong,
                "brought_forward_dong": figures_of.brought_forward_dong,
                "due_dong": figures_of.due_dong,
            }
        )
    if rows:  # in one statement: a row's id is never needed here
        session.execute(insert(ClosedMonthMember.__table__), rows)
    session.flush()
    session.expire(closed, ["members"])
    return closed


def _close_refusal(
    session: Session,
    month: str,
    *,
    at: datetime,
    tz: ZoneInfo,
    still_open: list[Shift] | None = None,
) -> InvalidInput | None:
    """Why ``month`` cannot be closed at ``at``, or ``None`` if it can (``still_open``: its
    open shifts, when the caller has read them already)."""
    label = MonthName(month)
    start, end = month_moments(month, tz)
    if at < end:
        return InvalidInput("month.not_ended", "month", month=label, day=Day(end.date()))
    latest = latest_closed_month(session)
    if latest is not None and month <= latest:
        return InvalidInput("month.already_closed", "month", month=label)
    if latest is not None:
        expected = next_month(latest)
    else:
        expected = first_active_month(session, tz)
        if expected is None or month < expected:
            return InvalidInput("month.nothing_recorded", "month", month=label)  # fmt: skip
    if month != expected:
        return InvalidInput("month.out_of_order", "month", first=MonthName(expected))
    if still_open is None:
        still_open = _open_before(session, end)
    if still_open:
        first = still_open[0]
        return InvalidInput(
            "month.shift_still_open", "month", name=first.member.name, time=Moment(first.opened_at)
        )
    waiting = session.scalar(
        Sale.awaiting(select(func.count(Sale.id))).where(Sale.at >= start, Sale.at < end)
    )
    if waiting:
        return InvalidInput("month.transfer_waiting", "month", month=label)
    return None


def _snapshot_policy(closed: ClosedMonth) -> Policy:
    from shop.domain.pricing import MarkdownStep

    return Policy(
        consignor_bp=closed.consignor_bp,
        reserve_bp=closed.reserve_bp,
        equal_bp=closed.equal_bp,
        markdown=tuple(MarkdownStep(s["after_days"], s["percent_off"]) for s in closed.markdown),
        clearance_after_days=closed.clearance_after_days,
    )


def closed_months(session: Session) -> list[ClosedMonth]:
    """Every closed month, oldest first."""
    return list(session.scalars(select(ClosedMonth).order_by(ClosedMonth.month)))


# ---------------------------------------------------------------- payouts


def record_payout(
    session: Session,
    member: Member,
    month: str,
    amount_dong: int,
    paid_on: date,
    method: PaymentMethod,
    by: Member,
    note: str = "",
    client_id: str | None = None,
    today: date | None = None,
) -> tuple[Payout, bool]:
    """Record ``amount_dong`` handed to ``member`` on ``paid_on`` against ``month``; return
    the payout and whether it is new (False: ``client_id`` came again: nothing is added).
    ``paid_on`` is not after ``today`` (the shop's date; ``None`` for history entered as it
    was: a journal).

    Only against a closed month whose next month is not closed yet (its carried forward is
    still to be brought into that month), paid after the month ended, and never more than
    she can still be paid: payable = max(0, due − paid so far); nothing when her due is
    ≤ 0. Refusals name their field (``month``, ``amount_dong``, ``paid_on``, ``method``,
    ``note``). Appends a row; flushes, never commits.
    """
    month = parse_month(month)
    label = MonthName(month)
    if isinstance(amount_dong, bool) or not isinstance(amount_dong, int) or amount_dong <= 0:
        raise InvalidInput("amount.not_positive", "amount_dong")
    if amount_dong > MAX_DONG:
        raise InvalidInput("amount.too_large", "amount_dong")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise InvalidInput("payment.method_invalid", "method") from None
    note = tidy(note)
    if len(note) > 300:
        raise InvalidInput("text.too_long_300", "note")
    refuse_future(paid_on, today, "paid_on")
    # Locked (on PostgreSQL) until commit: two payouts at once cannot both take the last đồng.
    closed = _closed_row(session, month, for_update=True)
    repeated = earlier(session, Payout, client_id)  # after the lock: a retry racing its try
    if repeated is not None:
        return repeated, False
    if closed is None:
        raise InvalidInput("payout.month_open", "month", month=label)  # fmt: skip
    following = next_month(month)
    if session.scalar(select(ClosedMonth.id).where(ClosedMonth.month == following)):
        raise InvalidInput(
            "payout.next_month_closed", "month", next=MonthName(following), month=label
        )
    _first, last = sharing.month_bounds(month)
    if not isinstance(paid_on, date) or paid_on <= last:
        raise InvalidInput("payout.before_month_end", "paid_on", month=label)
    row = next((row for row in closed.members if row.member_id == member.id), None)
    due = row.due_dong if row is not None else 0
    already = _paid(session, closed).get(member.id, 0)
    payable = sharing.payable_dong(due, already)
    if payable == 0:
        raise InvalidInput("payout.nothing_due", "amount_dong", name=member.name, month=label)
    if amount_dong > payable:
        raise InvalidInput(
            "payout.too_much", "amount_dong", left=Dong(payable), name=member.name, month=label
        )
    payout = Payout(
        closed_month_id=closed.id,
        member_id=member.id,
        amount_dong=amount_dong,
        paid_on=paid_on,
        method=method,
        note=note,
        by_id=by.id,
        client_id=client_id,
    )
    session.add(payout)
    audit.record(
        session, "payout", by=by, subject=f"member {member.number}", month=month,
        amount_dong=amount_dong, paid_on=paid_on, method=method,
    )  # fmt: skip
    session.flush()
    return payout, True


def payouts(session: Session, month: str | None = None) -> list[Payout]:
    """Payouts, oldest first: all of them, or those against ``month``."""
    query = (
        select(Payout)
        .join(ClosedMonth, ClosedMonth.id == Payout.closed_month_id)
        .options(
            selectinload(Payout.member),
            selectinload(Payout.closed_month),
            selectinload(Payout.by),
            selectinload(Payout.corrections).selectinload(PayoutCorrection.by),
        )
        .order_by(Payout.paid_on, Payout.id)
    )
    if month is not None:
        query = query.where(ClosedMonth.month == month)
    return list(session.scalars(query))


def get_payout(session: Session, payout_id: object) -> Payout:
    """The payout numbered ``payout_id``, or :class:`NotFound` (at ``payout``)."""
    payout = None
    if isinstance(payout_id, int) and not isinstance(payout_id, bool) and payout_id > 0:
        payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound("payout.not_found", "payout")
    return payout


def correct_payout(
    session: Session,
    payout: Payout,
    amount_dong: int,
    reason: str,
    *,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
    client_id: str | None = None,
) -> tuple[PayoutCorrection, bool]:
    """A coordinator takes ``amount_dong`` of ``payout`` back (all of it, or part) with a
    ``reason``, at the moment ``at``: a counter-entry, the payout itself stays as it was.
    Returns the correction and whether it is new (False: ``client_id`` came again).

    Afterwards the payout counts for its amount less its corrections: the member's
    ``paid`` for the month goes down by ``amount_dong`` and her ``carried_forward`` up by
    as much, to be paid again (to her, or the right amount) by a new payout. Allowed while
    a payout against the month could still be recorded (its next month is not closed),
    never past what is left of the payout, never dated before the day it was paid.
    Refusals name their field (``payout``, ``amount_dong``, ``reason``, ``at``). Appends a
    row and an audit line; flushes, never commits.
    """
    if not by.is_coordinator:
        raise InvalidInput("shop.coordinators_only", "payout")
    if isinstance(amount_dong, bool) or not isinstance(amount_dong, int) or amount_dong <= 0:
        raise InvalidInput("amount.not_positive", "amount_dong")
    if amount_dong > MAX_DONG:
        raise InvalidInput("amount.too_large", "amount_dong")
    reason = tidy(reason)
    if not reason:
        raise InvalidInput("payout.reason_missing", "reason")
    if len(reason) > 300:
        raise InvalidInput("text.too_long_300", "reason")
    if at.tzinfo is None:
        raise ValueError("at must be aware")
    month = payout.closed_month.month
    # The same lock as record_payout and close_month take: a correction, a payout and the
    # next month's close of this month's money happen one after the other.
    _closed_row(session, month, for_update=True)
    repeated = earlier(session, PayoutCorrection, client_id)
    if repeated is not None:
        return repeated, False
    following = next_month(month)
    if session.scalar(select(ClosedMonth.id).where(ClosedMonth.month == following)):
        raise InvalidInput(
            "payout.correction_too_late",
            "payout",
            next=MonthName(following),
            month=MonthName(month),
        )
    if local_date(at, tz) < payout.paid_on:
        raise InvalidInput("payout.correction_before_paid", "at")
    session.refresh(payout, ["corrections"])
    left = payout.net_dong
    if left == 0:
        raise InvalidInput("payout.taken_back", "amount_dong")
    if amount_dong > left:
        raise InvalidInput("payout.correction_too_much", "amount_dong", left=Dong(left))
    correction = PayoutCorrection(
        payout_id=payout.id,
        amount_dong=amount_dong,
        reason=reason,
        at=at,
        by_id=by.id,
        client_id=client_id,
    )
    session.add(correction)
    audit.record(
        session, "payout_corrected", by=by, at=at, subject=f"member {payout.member.number}",
        month=month, payout=payout.id, payout_dong=payout.amount_dong, paid_on=payout.paid_on,
        amount_dong=amount_dong, left_dong=left - amount_dong, reason=reason,
    )  # fmt: skip
    session.flush()
    session.expire(payout, ["corrections"])
    return correction, True
