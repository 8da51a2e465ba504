"""Expenses: recorded, corrected and removed while their month is open, never silently.

An expense belongs to the month of ``spent_on`` (the local day the money went out). While
that month is open it may be corrected (each correction keeps the version it replaces as
an :class:`~shop.models.ExpenseRevision`, with who replaced it and when) or removed (the
row stays, marked with who removed it and when, and counts for nothing). Once the month is
closed the expense is final: a correction then goes into the current month as an expense
of its own. Amounts are whole đồng, > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from shop.domain import sharing
from shop.domain.money import MAX_DONG
from shop.domain.text import NOTE_LENGTH, tidy
from shop.models import Expense, ExpenseCategory, ExpenseRevision, Intake, Member, Role
from shop.services import audit, visibility
from shop.services.days import refuse_future
from shop.services.errors import InvalidInput, NotFound
from shop.services.idempotency import earlier, insert_once
from shop.services.month import ensure_month_open, parse_month


@dataclass(frozen=True)
class ExpenseDetails:
    """An expense as someone enters it: the day, what for, how much (đồng), a note."""

    spent_on: date
    category: ExpenseCategory | str
    amount_dong: int
    note: str = ""


def _checked(
    details: ExpenseDetails, today: date | None = None
) -> tuple[date, ExpenseCategory, int, str]:
    if not isinstance(details.spent_on, date) or isinstance(details.spent_on, datetime):
        raise InvalidInput("day.invalid", "spent_on")
    refuse_future(details.spent_on, today, "spent_on")
    try:
        category = ExpenseCategory(details.category)
    except ValueError:
        raise InvalidInput("choice.invalid", "category") from None
    if category == ExpenseCategory.COMPENSATION:
        # Only a stock count's close pays it, with the lost item it is for.
        raise InvalidInput("choice.invalid", "category")
    amount = details.amount_dong
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("amount.not_positive", "amount_dong")
    if amount > MAX_DONG:
        raise InvalidInput("amount.too_large", "amount_dong")
    note = tidy(details.note)
    if len(note) > NOTE_LENGTH:
        raise InvalidInput("text.too_long_300", "note")
    return details.spent_on, category, amount, note


def add_expense(
    session: Session,
    details: ExpenseDetails,
    *,
    by: Member,
    intake: Intake | None = None,
    client_id: str | None = None,
    today: date | None = None,
) -> tuple[Expense, bool]:
    """Record an expense dated in an open month, not after ``today`` (the shop's date;
    ``None`` for history entered as it was) (``intake``: the bale it paid for, only for
    a stock purchase); return it and whether it is new (False: ``client_id`` came again
    and nothing was added). Refusals name their field; flushes, never commits."""
    repeated = earlier(session, Expense, client_id)
    if repeated is not None:
        return repeated, False
    spent_on, category, amount, note = _checked(details, today)
    if intake is not None and category != ExpenseCategory.STOCK_PURCHASE:
        raise InvalidInput("expense.bale_not_stock", "category")
    ensure_month_open(session, spent_on, field="spent_on")
    expense = insert_once(
        session,
        Expense,
        {
            "spent_on": spent_on,
            "category": category,
            "amount_dong": amount,
            "note": note,
            "intake_id": intake.id if intake is not None else None,
            "by_id": by.id,
            "client_id": client_id,
        },
    )
    if expense is None:
        return earlier(session, Expense, client_id), False
    audit.record(
        session, "expense_added", by=by, subject=f"expense {expense.id}", spent_on=spent_on,
        category=category, amount_dong=amount, note=note,
    )  # fmt: skip
    return expense, True


def check_may_record(session: Session, by: Member, role: Role | None = None) -> None:
    """Refuse (403) unless ``by``, acting with ``role`` (her own when ``None``), may record
    expenses in this shop: a coordinator, or a member when the shop lets members."""
    visibility.check_may_record_expenses(
        visibility.viewer(by, role), visibility.shop_rules(session)
    )


def record_expense(
    session: Session,
    details: ExpenseDetails,
    *,
    by: Member,
    role: Role | None = None,
    client_id: str | None = None,
    today: date | None = None,
) -> tuple[Expense, bool]:
    """An expense a person records (on the page or through the API): refused (403) unless
    the shop lets her (:func:`check_may_record`), then as :func:`add_expense`. A bale's
    cost and a journal's history go through :func:`add_expense` itself."""
    check_may_record(session, by, role)
    return add_expense(session, details, by=by, client_id=client_id, today=today)


def check_correctable(expense: Expense) -> None:
    """Refuse (at ``expense``) to correct or remove a compensation for a lost item."""
    # A stock count's close pays it for the lost item its decision names, and the month's
    # figures and her statement follow that decision: nobody corrects it by hand.
    if expense.category == ExpenseCategory.COMPENSATION:
        raise InvalidInput("expense.count_compensation", "expense")


def get_expense(session: Session, expense_id: int) -> Expense:
    """The expense with ``expense_id`` (a removed one too), or :class:`NotFound`."""
    expense = session.get(Expense, expense_id)
    if expense is None:
        raise NotFound("expense.not_found", "expense")
    return expense


def edit_expense(
    session: Session,
    expense: Expense,
    details: ExpenseDetails,
    *,
    by: Member,
    at: datetime,
    today: date | None = None,
) -> Expense:
    """Correct an expense: both its month and the month it moves to must be open, and the
    day not after ``today`` (when given).

    The version it had is kept as an :class:`ExpenseRevision` (replaced by ``by`` at
    ``at``) and its ``revision`` goes up by one. A removed expense, or a "correction" that
    changes nothing, is refused; so is a compensation for a lost item (a stock count's
    close pays it), at ``expense``.
    """
    check_correctable(expense)
    spent_on, category, amount, note = _checked(details, today)
    if expense.removed:
        raise InvalidInput("expense.removed", "expense")
    if expense.intake_id is not None and category != ExpenseCategory.STOCK_PURCHASE:
        raise InvalidInput("expense.bale_not_stock", "category")
    ensure_month_open(session, expense.spent_on, field="spent_on")
    ensure_month_open(session, spent_on, field="spent_on")
    if (spent_on, category, amount, note) == (
        expense.spent_on,
        expense.category,
        expense.amount_dong,
        expense.note,
    ):
        raise InvalidInput("expense.unchanged", "expense")
    session.add(
        ExpenseRevision(
            expense_id=expense.id,
            revision=expense.revision,
            spent_on=expense.spent_on,
            category=expense.category,
            amount_dong=expense.amount_dong,
            note=expense.note,
            replaced_at=at,
            replaced_by_id=by.id,
        )
    )
    expense.spent_on = spent_on
    expense.category = category
    expense.amount_dong = amount
    expense.note = note
    expense.revision += 1
    audit.record(
        session, "expense_changed", by=by, at=at, subject=f"expense {expense.id}",
        spent_on=spent_on, category=category, amount_dong=amount, note=note,
        revision=expense.revision,
    )  # fmt: skip
    session.flush()
    return expense


def remove_expense(session: Session, expense: Expense, *, by: Member, at: datetime) -> Expense:
    """Remove an expense of an open month: the row stays, marked removed by ``by`` at ``at``,
    and counts for nothing from then on. A compensation for a lost item is refused (at
    ``expense``): a stock count's close paid it."""
    check_correctable(expense)
    if expense.removed:
        raise InvalidInput("expense.removed", "expense")
    ensure_month_open(session, expense.spent_on, field="spent_on")
    expense.removed_at = at
    expense.removed_by_id = by.id
    audit.record(
        session, "expense_removed", by=by, at=at, subject=f"expense {expense.id}",
        amount_dong=expense.amount_dong,
    )  # fmt: skip
    session.flush()
    return expense


def expenses_of(session: Session, month: str | None, *, removed: bool = False) -> list[Expense]:
    """The expenses dated in ``month`` (in every month when it is ``None``) by day and as
    recorded, with the member a compensation was paid to; ``removed`` adds the removed
    ones."""
    query = (
        select(Expense)
        .options(
            joinedload(Expense.by),
            joinedload(Expense.removed_by),
            joinedload(Expense.intake),
            joinedload(Expense.member),
        )
        .order_by(Expense.spent_on, Expense.id)
    )
    if month is not None:
        first, last = sharing.month_bounds(parse_month(month))
        query = query.where(Expense.spent_on >= first, Expense.spent_on <= last)
    if not removed:
        query = query.where(Expense.removed_at.is_(None))
    return list(session.scalars(query))


def revisions_of(session: Session, expense: Expense) -> list[ExpenseRevision]:
    """The versions a correction replaced, oldest first (the current one is the expense)."""
    return list(
        session.scalars(
            select(ExpenseRevision)
            .where(ExpenseRevision.expense_id == expense.id)
            .options(joinedload(ExpenseRevision.replaced_by))
            .order_by(ExpenseRevision.revision)
        )
    )
