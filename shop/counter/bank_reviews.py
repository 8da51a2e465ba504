"""The coordinators' list of bank transactions to look at ("Giao dịch ngân hàng cần xem"):
what the bank's feed reported that confirmed no sale by itself, with the reason, the sale its
code named and the sales waiting for that exact amount; a coordinator decides each one. The
inbox's other transactions (confirmed, verified, money out) and the decided ones are on
other tabs of the same page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member
from shop.counter import bp
from shop.counter.forms import BankDecisionForm
from shop.domain.bank import Outcome
from shop.extensions import db
from shop.messages import BANK_OUTCOMES, BANK_REASONS
from shop.services import bank as bank_service
from shop.views import flash_form_errors, save_form


@bp.get("/bank")
@coordinator_required
def bank_reviews():
    show = request.args.get("show", "review")
    if show not in bank_service.SHOWS:
        show = "review"
    return _page(show)


def _page(show: str, *, refused: int | None = None, form=None, status: int = 200):
    rows = bank_service.transactions(db.session, show=show)
    return render_template(
        "bank/reviews.html",
        show=show,
        rows=rows,
        numbers=bank_service.sale_numbers(db.session, rows),
        waiting=bank_service.review_count(db.session),
        reasons=BANK_REASONS,
        outcomes=BANK_OUTCOMES,
        refused=refused,
        refused_form=form,
        blank=BankDecisionForm(formdata=None),
    ), status


@bp.post("/bank/<int:transaction_id>/decide")
@coordinator_required
def decide_bank_transaction(transaction_id: int):
    """Her decision on one transaction; refused, the list again with what she typed and
    the message beside its field (422)."""
    row = bank_service.get_transaction(db.session, transaction_id)
    form = BankDecisionForm()
    outcome = save_form(
        form,
        lambda: bank_service.resolve(
            db.session, row, by=current_member(), at=clock.now(), **form.values()
        ),
    )
    if outcome.done:
        if row.pays_sale:
            number = bank_service.sale_numbers(db.session, [row]).get(row.sale_id)
            flash(_("Decided: this money pays sale %(number)s.", number=number), "success")
        else:
            flash(_("Decided: this money pays no sale."), "success")
        return redirect(url_for("counter.bank_reviews"), code=303)
    db.session.refresh(row)
    if row.resolved_at is not None or row.outcome != Outcome.REVIEW:
        # Decided meanwhile (by another coordinator): no longer on the list to show it on.
        flash_form_errors(form)
        return redirect(url_for("counter.bank_reviews", show="all"), code=303)
    return _page("review", refused=row.id, form=form, status=outcome.status)
