from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member, current_role, current_viewer
from shop.domain import sharing
from shop.expenses import bp
from shop.extensions import db
from shop.i18n import month_label
from shop.month.forms import CATEGORY_LABELS, ExpenseForm
from shop.services import counts as count_service
from shop.services import expenses as expense_service
from shop.services import month as month_service
from shop.services import visibility
from shop.services.errors import InvalidInput
from shop.views import save, save_form


@bp.route("/", methods=["GET", "POST"])
def list_expenses():
    """The expenses of a month (``?month=YYYY-MM``, this month by default), and a form to
    record one."""
    tz = clock.shop_tz()
    month = request.args.get("month") or month_service.month_of(clock.today(), tz)
    try:
        month = month_service.parse_month(month)
    except InvalidInput:
        abort(404)
    may_record = visibility.can_record_expenses(current_viewer(), visibility.shop_rules(db.session))
    if request.method == "POST":  # refused before the form is read: 403, not "fix the form"
        expense_service.check_may_record(db.session, current_member(), current_role())
    form = ExpenseForm()
    outcome = save_form(
        form,
        lambda: expense_service.record_expense(
            db.session,
            form.details(),
            by=current_member(),
            role=current_role(),
            client_id=form.client_id.data,
            today=clock.today(),
        )[0],
    )
    if outcome.done:
        flash(_("Expense recorded."), "success")
        month = month_service.month_of(outcome.value.spent_on, tz)
        return redirect(url_for("expenses.list_expenses", month=month), code=303)
    if not form.is_submitted() and form.spent_on.data is None:
        form.spent_on.data = clock.today()
    expenses = expense_service.expenses_of(db.session, month, removed=True)
    return (
        render_template(
            "expenses/list.html",
            form=form,
            may_record=may_record,
            month=month,
            label=month_label(month),
            closed=month_service.is_closed(db.session, month),
            expenses=expenses,
            total=sum(e.amount_dong for e in expenses if not e.removed),
            categories=CATEGORY_LABELS,
            compensations=_compensations(month, expenses),
            previous=month_service.previous_month(month),
            next=month_service.next_month(month),
        ),
        outcome.status,
    )


def _compensations(month: str, expenses) -> dict[int, tuple]:
    """The month's compensations for lost items by expense id: (what it paid for, the
    member it was paid to if the reader may see her money, else ``None``)."""
    who, rules = current_viewer(), visibility.shop_rules(db.session)
    first, last = sharing.month_bounds(month)
    paid_for = {c.expense_id: c for c in count_service.compensations(db.session, first, last)}
    return {
        e.id: (
            paid_for.get(e.id),
            e.member if visibility.can_see_member_money(who, e.member.number, rules) else None,
        )
        for e in expenses
        if e.member is not None
    }


@bp.route("/<int:expense_id>", methods=["GET", "POST"])
@coordinator_required
def edit_expense(expense_id: int):
    """Correct or remove an expense while its month is open; every earlier version shows."""
    expense = expense_service.get_expense(db.session, expense_id)
    form = ExpenseForm(obj=expense if request.method == "GET" else None)
    if request.method == "GET":
        form.category.data = expense.category.value
    tz = clock.shop_tz()
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "remove":
            message = _("Expense removed.")
            outcome = save(
                lambda: expense_service.remove_expense(
                    db.session, expense, by=current_member(), at=clock.now()
                ),
                form=form,
            )
        else:
            message = _("Expense corrected.")
            outcome = save_form(
                form,
                lambda: expense_service.edit_expense(
                    db.session,
                    expense,
                    form.details(),
                    by=current_member(),
                    at=clock.now(),
                    today=clock.today(),
                ),
            )
        if outcome.done:
            flash(message, "success")
            month = month_service.month_of(expense.spent_on, tz)
            return redirect(url_for("expenses.list_expenses", month=month), code=303)
        status = outcome.status
    month = month_service.month_of(expense.spent_on, tz)
    return (
        render_template(
            "expenses/edit.html",
            form=form,
            expense=expense,
            revisions=expense_service.revisions_of(db.session, expense),
            categories=CATEGORY_LABELS,
            compensation=_compensations(month, [expense]).get(expense.id),
            closed=month_service.is_closed(db.session, month),
            month=month,
        ),
        status,
    )
