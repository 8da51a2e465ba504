"""A month's money, shared as docs/sharing.md says (steps 4–9), over plain ints and dates.

Every amount is whole đồng (an int, suffixed ``_dong``); every rate is basis points (an int
0..10000, suffixed ``_bp``). Each split uses :func:`~shop.domain.money.split_largest_remainder`
over members sorted by number, so its parts add up to the whole and ties go to the lower
member number.

Two entry points:

- :func:`month_figures` takes one month's totals (what the month service loads from its
  rows) and returns the month's figures.
- :func:`share_history` takes a raw history (sold lines, refunds, expenses, shifts, payouts)
  and computes every month in turn, carrying the loss and each member's balance forward. It
  is the reference the property tests run against, and a second opinion for the service.

Where docs/sharing.md leaves room, this module decides (and the tests pin it):

- **Work share and eligibility.** Step 7 splits work_total "over members by work minutes",
  without the word *eligible*; so every member listed with minutes takes part, eligible or
  not, and "nobody has work minutes" (step 6) looks at all listed members too. (A shift is
  normally worked by a member of that day, so she is eligible anyway.)
- **Nobody eligible.** Applies only when result > 0: reserve = result, distributable = 0,
  equal_total = work_total = 0, carried_loss = 0. With result ≤ 0 step 5 stands as it is.
- **Who is listed** (in :func:`share_history`): a member appears in a month when she is
  eligible, or is the owner of a line sold or refunded in it, or has work minutes, a balance
  brought forward, a payout or a compensation there. Nobody else can have a non-zero figure.
- **Group's lines.** A sold line whose owner is ``None`` belongs to the group; its
  ``consignor_bp`` is ignored and its whole net (and each refund of it) is the pool's.
- **Compensation.** What the group pays a member for her consigned items lost at a
  stocktake (an expense of category ``compensation`` naming her) is both an expense of the
  month, so the pool bears it like any other, and part of her ``earned``:
  earned = consignment + compensation + equal_share + work_share. docs/sharing.md's check holds
  as written (the compensation is inside ``expenses``); :func:`payout_check_holds` is the
  same money seen from the members' side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from shop.domain.calendar import membership_covers
from shop.domain.money import split_largest_remainder
from shop.domain.sale import owner_split, refund_owner_loss

_FULL_BP = 10_000


def _check_bp(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _FULL_BP:
        raise ValueError(f"{name} must be basis points between 0 and {_FULL_BP}, not {value!r}")


@dataclass(frozen=True)
class SharingSettings:
    """The month's two sharing rates in basis points (the consignor rate lives on each item;
    the markdown steps are the counter's business)."""

    reserve_bp: int = 1000
    equal_bp: int = 5000

    def __post_init__(self) -> None:
        _check_bp("reserve_bp", self.reserve_bp)
        _check_bp("equal_bp", self.equal_bp)


@dataclass(frozen=True)
class MemberInput:
    """One member's part of a month, as loaded for :func:`month_figures`.

    ``eligible``: her membership covers at least one day of the month (see :func:`eligible`).
    ``work_minutes`` ≥ 0. ``consignment_dong``: her owner splits in the month minus her owner
    losses from refunds in it (may be negative). ``brought_forward_dong``: her carried_forward
    at the end of the month before (may be negative). ``paid_dong``: payouts recorded against
    the month, 0 ≤ paid ≤ due, and 0 when due ≤ 0. ``compensation_dong`` ≥ 0: what the group
    paid her this month for her consigned items lost at a stocktake (already counted in the
    month's ``expenses_dong``).
    """

    member: int
    eligible: bool
    work_minutes: int
    consignment_dong: int
    brought_forward_dong: int
    paid_dong: int = 0
    compensation_dong: int = 0


@dataclass(frozen=True)
class MonthInput:
    """One month's totals for :func:`month_figures` (docs/sharing.md step 4's inputs).

    ``pool_sales_dong`` may be negative (refunds of an earlier month's sales);
    ``expenses_dong`` ≥ 0, every expense of the month, the members' compensations included
    (so Σ ``compensation_dong`` ≤ ``expenses_dong``); ``brought_loss_dong`` ≥ 0 is the
    carried loss of the month before. Member numbers are unique; their order does not
    matter.
    """

    pool_sales_dong: int
    expenses_dong: int
    brought_loss_dong: int
    members: tuple[MemberInput, ...]
    settings: SharingSettings = field(default_factory=SharingSettings)


#: docs/sharing.md's names of a month's amounts, in its order (all đồng).
MONTH_AMOUNTS = (
    "pool_sales_dong",
    "expenses_dong",
    "brought_loss_dong",
    "result_dong",
    "reserve_dong",
    "distributable_dong",
    "carried_loss_dong",
    "equal_total_dong",
    "work_total_dong",
)
#: docs/sharing.md's names of a member's amounts in a month, in its order (all đồng); her
#: ``member`` number and ``work_minutes`` come first.
MEMBER_AMOUNTS = (
    "consignment_dong",
    "compensation_dong",
    "equal_share_dong",
    "work_share_dong",
    "earned_dong",
    "brought_forward_dong",
    "due_dong",
    "paid_dong",
    "carried_forward_dong",
)


@dataclass(frozen=True)
class MemberFigures:
    """One member's figures for a month, named as in docs/sharing.md "Field names".

    earned = consignment + compensation + equal_share + work_share; due = brought_forward +
    earned; carried_forward = due − paid. ``compensation_dong`` (≥ 0, last so that it may be
    left out: 0) is what the group paid her for her consigned items lost at a stocktake.
    """

    member: int
    work_minutes: int
    consignment_dong: int
    equal_share_dong: int
    work_share_dong: int
    earned_dong: int
    brought_forward_dong: int
    due_dong: int
    paid_dong: int
    carried_forward_dong: int
    compensation_dong: int = 0

    def as_dict(self) -> dict[str, int]:
        """The figures as a JSON-ready dict with docs/sharing.md's field names."""
        return {
            "member": self.member,
            "work_minutes": self.work_minutes,
            **{name: getattr(self, name) for name in MEMBER_AMOUNTS},
        }


@dataclass(frozen=True)
class MonthFigures:
    """A month's figures, named as in docs/sharing.md "Field names"; members sorted by number.

    Invariants: result = pool_sales − expenses − brought_loss; reserve + distributable =
    result and carried_loss = 0 when result > 0, otherwise reserve = distributable = 0 and
    carried_loss = −result; equal_total + work_total = distributable; the members' equal
    and work shares add up to equal_total and work_total. ``compensation_total_dong`` is the
    members' compensations added up (part of ``expenses_dong``), kept whole when only some
    members' lines are shown; it is not one of docs/sharing.md's names, so :meth:`as_dict`
    leaves it out (each member's ``compensation_dong`` is there).
    """

    pool_sales_dong: int
    expenses_dong: int
    brought_loss_dong: int
    result_dong: int
    reserve_dong: int
    distributable_dong: int
    carried_loss_dong: int
    equal_total_dong: int
    work_total_dong: int
    members: tuple[MemberFigures, ...]
    compensation_total_dong: int = 0

    def as_dict(self) -> dict:
        """The figures as a JSON-ready dict with docs/sharing.md's field names; ``members`` is a
        list of dicts in member-number order."""
        return {
            **{name: getattr(self, name) for name in MONTH_AMOUNTS},
            "members": [figures.as_dict() for figures in self.members],
        }


def month_figures(month: MonthInput) -> MonthFigures:
    """Work out a month's figures from its totals: docs/sharing.md steps 4–9, exactly.

    All amounts are whole đồng. Raises :class:`ValueError` for inputs the rule cannot hold:
    a repeated member number, negative work minutes, expenses, brought loss or compensation,
    compensations adding up to more than the expenses, or a payout that is negative, above
    the member's due, or anything at all when her due is ≤ 0.
    The module docstring says how work minutes of an ineligible member and a month with
    nobody eligible are treated.
    """
    if month.expenses_dong < 0:
        raise ValueError("expenses_dong must not be negative")
    if month.brought_loss_dong < 0:
        raise ValueError("brought_loss_dong must not be negative")
    members = sorted(month.members, key=lambda m: m.member)
    numbers = [m.member for m in members]
    if len(set(numbers)) != len(numbers):
        raise ValueError("a member number appears twice")
    for m in members:
        if m.work_minutes < 0:
            raise ValueError(f"member {m.member}: work_minutes must not be negative")
        if m.compensation_dong < 0:
            raise ValueError(f"member {m.member}: compensation_dong must not be negative")
    compensation_total = sum(m.compensation_dong for m in members)
    if compensation_total > month.expenses_dong:
        raise ValueError("the members' compensations add up to more than the expenses")
    settings = month.settings

    result = month.pool_sales_dong - month.expenses_dong - month.brought_loss_dong
    if result <= 0:
        reserve, distributable, carried_loss = 0, 0, -result
    elif not any(m.eligible for m in members):
        # Nobody to share with: the whole result stays with the group, and it is not a loss.
        reserve, distributable, carried_loss = result, 0, 0
    else:
        reserve = result * settings.reserve_bp // _FULL_BP
        distributable, carried_loss = result - reserve, 0

    minutes = [m.work_minutes for m in members]
    if sum(minutes) == 0:
        equal_total = distributable
    else:
        equal_total = distributable * settings.equal_bp // _FULL_BP
    work_total = distributable - equal_total

    equal_weights = [1 if m.eligible else 0 for m in members]
    equal_shares = _split(equal_total, equal_weights)
    work_shares = _split(work_total, minutes)

    figures = []
    for m, equal_share, work_share in zip(members, equal_shares, work_shares, strict=True):
        earned = m.consignment_dong + m.compensation_dong + equal_share + work_share
        due = m.brought_forward_dong + earned
        _check_paid(m.member, m.paid_dong, due)
        figures.append(
            MemberFigures(
                member=m.member,
                work_minutes=m.work_minutes,
                consignment_dong=m.consignment_dong,
                equal_share_dong=equal_share,
                work_share_dong=work_share,
                earned_dong=earned,
                brought_forward_dong=m.brought_forward_dong,
                due_dong=due,
                paid_dong=m.paid_dong,
                carried_forward_dong=due - m.paid_dong,
                compensation_dong=m.compensation_dong,
            )
        )
    return MonthFigures(
        pool_sales_dong=month.pool_sales_dong,
        expenses_dong=month.expenses_dong,
        brought_loss_dong=month.brought_loss_dong,
        result_dong=result,
        reserve_dong=reserve,
        distributable_dong=distributable,
        carried_loss_dong=carried_loss,
        equal_total_dong=equal_total,
        work_total_dong=work_total,
        members=tuple(figures),
        compensation_total_dong=compensation_total,
    )


def _split(total: int, weights: list[int]) -> list[int]:
    # The caller guarantees total == 0 whenever the weights are all zero (nobody eligible or
    # nobody worked), so there is nothing to split and no đồng can go missing.
    if sum(weights) == 0:
        if total:
            raise AssertionError("a non-zero total with nobody to split it over")
        return [0] * len(weights)
    return split_largest_remainder(total, weights)


def _check_paid(member: int, paid_dong: int, due_dong: int) -> None:
    if paid_dong < 0:
        raise ValueError(f"member {member}: paid_dong must not be negative")
    if paid_dong > payable_dong(due_dong, 0):
        raise ValueError(f"member {member}: paid {paid_dong} đồng is more than due {due_dong}")


def month_check_holds(figures: MonthFigures, net_sales_dong: int, refunds_dong: int) -> bool:
    """docs/sharing.md's "Check that must hold every month", exactly, in whole đồng.

    net sales in M − refunds in M = Σ consignment + Σ equal_share + Σ work_share + reserve +
    expenses + brought_loss − carried_loss. ``net_sales_dong`` is the sum of the nets of the
    lines sold in M (voided sales left out), ``refunds_dong`` the sum of refunds booked in M.
    It holds only if every owner of a line sold or refunded in M is among the members.
    The members' compensations for lost items are inside ``expenses``: the check reads the
    same with or without them.
    """
    members = figures.members
    right = (
        sum(m.consignment_dong for m in members)
        + sum(m.equal_share_dong for m in members)
        + sum(m.work_share_dong for m in members)
        + figures.reserve_dong
        + figures.expenses_dong
        + figures.brought_loss_dong
        - figures.carried_loss_dong
    )
    return net_sales_dong - refunds_dong == right


def payout_check_holds(figures: MonthFigures, net_sales_dong: int, refunds_dong: int) -> bool:
    """The month's money seen from what the members earn, exactly, in whole đồng:

    Σ earned + reserve + expenses − Σ compensation + brought_loss − carried_loss =
    net sales in M − refunds in M.

    What the group paid members for their lost items is in ``expenses`` and in their
    ``earned`` both, so it is taken out once. Like :func:`month_check_holds`, it holds only
    if every member with a part in the month is among the members (the compensations added
    up are ``compensation_total_dong``, which a view of some members' lines keeps whole).
    """
    members = figures.members
    left = (
        sum(m.earned_dong for m in members)
        + figures.reserve_dong
        + figures.expenses_dong
        - sum(m.compensation_dong for m in members)
        + figures.brought_loss_dong
        - figures.carried_loss_dong
    )
    return left == net_sales_dong - refunds_dong


def shift_work_minutes(opened_at: datetime, closed_at: datetime) -> int:
    """Whole minutes of a closed shift, rounded down (docs/sharing.md step 6).

    Both moments must be timezone-aware and ``closed_at`` ≥ ``opened_at``; otherwise
    :class:`ValueError`.
    """
    if opened_at.tzinfo is None or closed_at.tzinfo is None:
        raise ValueError("shift moments must be timezone-aware")
    # In UTC: two datetimes that share one tzinfo subtract by wall clock, which is wrong
    # across a change of offset.
    elapsed = closed_at.astimezone(UTC) - opened_at.astimezone(UTC)
    if elapsed < timedelta(0):
        raise ValueError("a shift cannot close before it opens")
    return elapsed // timedelta(minutes=1)


def eligible(joined_on: date, left_on: date | None, first_day: date, last_day: date) -> bool:
    """Whether a membership covers at least one day of the month ``first_day``..``last_day``.

    That is: joined on or before the last day, and not left before the first day (``left_on``
    is her last day as a member, ``None`` if she has not left).
    """
    if last_day < first_day:
        raise ValueError("the month ends before it begins")
    # Her first day inside the month is the only one worth asking about: if she is not a
    # member then, she left before it and is not a member on any later day either.
    first_covered = max(joined_on, first_day)
    return first_covered <= last_day and membership_covers(joined_on, left_on, first_covered)


def payable_dong(due_dong: int, already_paid_dong: int) -> int:
    """The most that may still be paid against a month: max(0, due − already paid), in đồng.

    Nothing is payable when the due is ≤ 0, so a payout never makes a balance negative.
    """
    return max(0, due_dong - already_paid_dong)


# --- The reference over a raw history -------------------------------------------------------


@dataclass(frozen=True)
class SoldLine:
    """A sale line counted in month ``month`` ("YYYY-MM"): its net (step 1) in đồng, the
    consigning member (``None``: the group's) and the item's consignor rate in basis points.
    Voided sales are not given at all."""

    month: str
    net_dong: int
    owner: int | None
    consignor_bp: int = 7000


@dataclass(frozen=True)
class RefundEvent:
    """A refund booked in ``month`` of ``amount_dong`` (> 0) on ``History.lines[line_index]``.
    Refunds are listed in the order they happened; a line's refunds never add up to more
    than its net."""

    month: str
    line_index: int
    amount_dong: int


@dataclass(frozen=True)
class Member:
    """A member's number and membership: ``left_on`` is her last day, ``None`` if still in."""

    number: int
    joined_on: date
    left_on: date | None = None


@dataclass(frozen=True)
class History:
    """Everything that decides the shares of consecutive months, as plain data.

    ``months`` are consecutive "YYYY-MM" strings in order; every month named elsewhere is
    one of them. ``expenses`` maps a month to its expenses in đồng other than compensations;
    ``work_minutes``, ``payouts`` and ``compensations`` map (month, member number) to her
    minutes, the đồng paid against it, and the đồng the group paid her in it for her
    consigned items lost at a stocktake (an expense of that month on top of ``expenses``).
    """

    months: tuple[str, ...]
    members: tuple[Member, ...]
    lines: tuple[SoldLine, ...] = ()
    refunds: tuple[RefundEvent, ...] = ()
    expenses: Mapping[str, int] = field(default_factory=dict)
    work_minutes: Mapping[tuple[str, int], int] = field(default_factory=dict)
    payouts: Mapping[tuple[str, int], int] = field(default_factory=dict)
    settings: SharingSettings = field(default_factory=SharingSettings)
    compensations: Mapping[tuple[str, int], int] = field(default_factory=dict)


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``month`` given as "YYYY-MM"."""
    try:
        year, number = month.split("-")
        first = date(int(year), int(number), 1)
    except ValueError:
        raise ValueError(f"not a month: {month!r}") from None
    if month != f"{first.year:04d}-{first.month:02d}":
        raise ValueError(f"not a month: {month!r}")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass
class _MonthMoves:
    pool_sales_dong: int = 0
    consignment_dong: dict[int, int] = field(default_factory=dict)

    def to_owner(self, owner: int, amount_dong: int) -> None:
        self.consignment_dong[owner] = self.consignment_dong.get(owner, 0) + amount_dong


def share_history(history: History) -> dict[str, MonthFigures]:
    """Share every month of ``history`` in order: steps 2–9 of docs/sharing.md from raw data.

    Each month's brought_loss is the carried_loss of the month before (0 for the first) and
    each member's brought_forward her carried_forward of the month before (0 for the
    first); a month's expenses are its ``expenses`` plus its compensations. Returns the
    figures keyed by month, in month order. Raises :class:`ValueError` for a history that
    cannot have happened: months not consecutive, a month or member outside the history, a
    refund before its sale or above its line's net, a negative compensation, a payout above
    what is due.
    """
    months = history.months
    if not months:
        return {}
    known = _known_of(history)
    moves = _sales_moves(history, known)
    _take_refunds(history, known, moves)
    compensated = _compensated(history, known)
    shared: dict[str, MonthFigures] = {}
    brought_loss = 0
    balances: dict[int, int] = {}
    for month in months:
        figures = month_figures(
            MonthInput(
                pool_sales_dong=moves[month].pool_sales_dong,
                expenses_dong=history.expenses.get(month, 0) + compensated.get(month, 0),
                brought_loss_dong=brought_loss,
                members=_history_members(history, known, month, moves[month], balances),
                settings=history.settings,
            )
        )
        shared[month] = figures
        brought_loss = figures.carried_loss_dong
        balances = {m.member: m.carried_forward_dong for m in figures.members}
    return shared


@dataclass(frozen=True)
class _Known:
    """A history's months (with their first and last days) and members, by number."""

    bounds: dict[str, tuple[date, date]]
    members: dict[int, Member]

    def month(self, month: str) -> str:
        if month not in self.bounds:
            raise ValueError(f"{month} is not one of the history's months")
        return month

    def member(self, number: int) -> int:
        if number not in self.members:
            raise ValueError(f"member {number} is not in the history")
        return number


def _known_of(history: History) -> _Known:
    """The history's months, which must follow each other, and its members, each once."""
    months = history.months
    bounds = {month: month_bounds(month) for month in months}
    for before, after in zip(months, months[1:], strict=False):
        if bounds[after][0] != bounds[before][1] + timedelta(days=1):
            raise ValueError(f"{after} does not follow {before}")
    members = {m.number: m for m in history.members}
    if len(members) != len(history.members):
        raise ValueError("a member number appears twice")
    return _Known(bounds, members)


def _sales_moves(history: History, known: _Known) -> dict[str, _MonthMoves]:
    """Each month's sales: the pool's share and each consignor's (step 2)."""
    moves = {month: _MonthMoves() for month in history.months}
    for line in history.lines:
        _check_bp("consignor_bp", line.consignor_bp)
        if line.net_dong < 0:
            raise ValueError("a line's net must not be negative")
        month = moves[known.month(line.month)]
        if line.owner is None:
            month.pool_sales_dong += line.net_dong
        else:
            split = owner_split(line.net_dong, line.consignor_bp)
            month.to_owner(known.member(line.owner), split)
            month.pool_sales_dong += line.net_dong - split
    return moves


def _take_refunds(history: History, known: _Known, moves: dict[str, _MonthMoves]) -> None:
    """Each refund taken from its month, in the order they happened, never above its
    line's net: the owner loses her split of it, the pool the rest."""
    refunded = [0] * len(history.lines)
    last_refund_month = history.months[0]
    for refund in history.refunds:
        if not 0 <= refund.line_index < len(history.lines):
            raise ValueError(f"refund of line {refund.line_index}, which was not sold")
        line = history.lines[refund.line_index]
        if known.month(refund.month) < line.month:
            raise ValueError(f"line {refund.line_index} refunded before it was sold")
        if refund.month < last_refund_month:
            raise ValueError("refunds must be listed in the order they happened")
        last_refund_month = refund.month
        before = refunded[refund.line_index]
        after = before + refund.amount_dong
        if refund.amount_dong <= 0 or after > line.net_dong:
            raise ValueError(f"refund of {refund.amount_dong} đồng on line {refund.line_index}")
        refunded[refund.line_index] = after
        month = moves[refund.month]
        owner_loss = 0
        if line.owner is not None:
            owner_loss = refund_owner_loss(after, before, line.consignor_bp)
            month.to_owner(line.owner, -owner_loss)
        month.pool_sales_dong -= refund.amount_dong - owner_loss


def _compensated(history: History, known: _Known) -> dict[str, int]:
    """What each month paid in compensations (an expense of the month), once every
    month and member named by expenses, work, payouts and compensations is known."""
    for month in history.expenses:
        known.month(month)
    for month, number in [*history.work_minutes, *history.payouts, *history.compensations]:
        known.month(month)
        known.member(number)
    compensated: dict[str, int] = {}
    for (month, number), amount in history.compensations.items():
        if amount < 0:
            raise ValueError(f"member {number}: a compensation must not be negative")
        compensated[month] = compensated.get(month, 0) + amount
    return compensated


def _history_members(
    history: History,
    known: _Known,
    month: str,
    month_moves: _MonthMoves,
    balances: dict[int, int],
) -> tuple[MemberInput, ...]:
    """The month's members: the eligible, and any other with something in the month."""
    first_day, last_day = known.bounds[month]
    inputs = []
    for number, member in sorted(known.members.items()):
        is_eligible = eligible(member.joined_on, member.left_on, first_day, last_day)
        minutes = history.work_minutes.get((month, number), 0)
        paid = history.payouts.get((month, number), 0)
        brought_forward = balances.get(number, 0)
        has_consignment = number in month_moves.consignment_dong
        compensation = history.compensations.get((month, number), 0)
        if not (
            is_eligible or has_consignment or minutes or paid or brought_forward or compensation
        ):
            continue
        inputs.append(
            MemberInput(
                member=number,
                eligible=is_eligible,
                work_minutes=minutes,
                consignment_dong=month_moves.consignment_dong.get(number, 0),
                brought_forward_dong=brought_forward,
                paid_dong=paid,
                compensation_dong=compensation,
            )
        )
    return tuple(inputs)
