"""The month through the API: its figures, closing it, expenses and payouts.

Every member may read a month's group totals and the expenses; each member's lines (her
figures, her payouts) are hers and the coordinators' unless the shop keeps open books
(:mod:`shop.services.visibility`). A coordinator records payouts and closes months, and
records expenses (members too when the shop lets them).
A month's figures are the same JSON as ``flask month show --json``.
"""

from __future__ import annotations

from flask import request

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import client_key, json_body, list_response, ref_response, validated
from shop.api.spec import COMPONENTS
from shop.auth.access import current_member, current_role, current_viewer
from shop.domain.sharing import MEMBER_AMOUNTS, MONTH_AMOUNTS
from shop.extensions import db
from shop.models import Expense, Payout
from shop.month.forms import MONTH_PATTERN, ExpenseForm, PayoutCorrectionForm, PayoutForm
from shop.services import expenses as expense_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import visibility
from shop.services.errors import InvalidInput, NotFound

COMPONENTS["MonthMember"] = {
    "type": "object",
    "description": "One member's figures for the month (docs/sharing.md step 9), in đồng.",
    "required": ["member", "work_minutes", *MEMBER_AMOUNTS],
    "properties": {
        "member": {"type": "integer", "description": "her number"},
        "work_minutes": {"type": "integer", "minimum": 0},
        **{name: {"type": "integer"} for name in MEMBER_AMOUNTS},
    },
}
COMPONENTS["Month"] = {
    "type": "object",
    "description": "A month's figures as docs/sharing.md names them, in đồng: frozen when the "
    "month is closed (only paid and carried_forward follow later payouts), as of now when "
    "it is open.",
    "required": ["month", "closed", *MONTH_AMOUNTS, "members"],
    "properties": {
        "month": {"type": "string", "pattern": MONTH_PATTERN},
        "closed": {"type": "boolean"},
        **{name: {"type": "integer"} for name in MONTH_AMOUNTS},
        "members": {"type": "array", "items": {"$ref": "#/components/schemas/MonthMember"}},
    },
}
_EXPENSE_VERSION = {
    "revision": {"type": "integer", "minimum": 1},
    "spent_on": {"type": "string", "format": "date"},
    "category": {"type": "string"},
    "amount_dong": {"type": "integer", "minimum": 1},
    "note": {"type": "string"},
}
COMPONENTS["Expense"] = {
    "type": "object",
    "required": ["id", "spent_on", "category", "amount_dong", "by", "revision", "removed_at"],
    "properties": {
        "id": {"type": "integer"},
        **_EXPENSE_VERSION,
        "intake": {
            "type": "string",
            "nullable": True,
            "description": "the bale it paid for (a stock purchase)",
        },
        "by": {"type": "integer", "description": "the member who first recorded it"},
        "member": {
            "type": "integer",
            "nullable": True,
            "description": "for a compensation (a consigned item lost at a stock count, paid "
            "by its close), the member it was paid to; null for other expenses, and for a "
            "reader who may not see that member's money",
        },
        "created_at": {"type": "string", "format": "date-time"},
        "removed_at": {"type": "string", "format": "date-time", "nullable": True},
        "removed_by": {"type": "integer", "nullable": True},
        "revisions": {
            "type": "array",
            "description": "the versions corrections replaced, oldest first (only in the "
            "answer about one expense)",
            "items": {
                "type": "object",
                "properties": {
                    **_EXPENSE_VERSION,
                    "replaced_at": {"type": "string", "format": "date-time"},
                    "replaced_by": {"type": "integer"},
                },
            },
        },
    },
}
COMPONENTS["Payout"] = {
    "type": "object",
    "required": ["id", "member", "month", "amount_dong", "paid_on", "method", "by"],
    "properties": {
        "id": {"type": "integer"},
        "member": {"type": "integer"},
        "month": {"type": "string", "pattern": MONTH_PATTERN},
        "amount_dong": {"type": "integer", "minimum": 1},
        "paid_on": {"type": "string", "format": "date"},
        "method": {"type": "string", "enum": ["cash", "transfer"]},
        "note": {"type": "string"},
        "by": {"type": "integer", "description": "the member who recorded it"},
        "created_at": {"type": "string", "format": "date-time"},
        "net_dong": {
            "type": "integer",
            "minimum": 0,
            "description": "what it counts for: amount_dong less its corrections",
        },
        "corrections": {
            "type": "array",
            "description": "counter-entries that took part or all of it back, oldest first",
            "items": {"$ref": "#/components/schemas/PayoutCorrection"},
        },
    },
}
COMPONENTS["PayoutCorrection"] = {
    "type": "object",
    "required": ["id", "amount_dong", "reason", "at", "by"],
    "properties": {
        "id": {"type": "integer"},
        "amount_dong": {"type": "integer", "minimum": 1},
        "reason": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "by": {"type": "integer", "description": "the coordinator who corrected it"},
    },
}
_MONTH_QUERY = (("month", {"type": "string", "pattern": MONTH_PATTERN}),)
OWN_LINES = (
    "A member gets the lines of her own only (and the group's totals), unless the shop keeps "
    "open books; a coordinator gets every member's."
)


def expense_json(expense: Expense, *, with_revisions: bool = False) -> dict:
    data = {
        "id": expense.id,
        "revision": expense.revision,
        "spent_on": expense.spent_on.isoformat(),
        "category": expense.category.value,
        "amount_dong": expense.amount_dong,
        "note": expense.note,
        "intake": expense.intake.ref if expense.intake is not None else None,
        "by": expense.by.number,
        "member": _paid_to(expense),
        "created_at": expense.created_at.isoformat(),
        "removed_at": expense.removed_at.isoformat() if expense.removed_at else None,
        "removed_by": expense.removed_by.number if expense.removed_by else None,
    }
    if with_revisions:
        data["revisions"] = [
            {
                "revision": old.revision,
                "spent_on": old.spent_on.isoformat(),
                "category": old.category.value,
                "amount_dong": old.amount_dong,
                "note": old.note,
                "replaced_at": old.replaced_at.isoformat(),
                "replaced_by": old.replaced_by.number,
            }
            for old in expense_service.revisions_of(db.session, expense)
        ]
    return data


def _paid_to(expense: Expense) -> int | None:
    member = expense.member
    if member is None or not visibility.can_see_member_money(
        current_viewer(), member.number, visibility.shop_rules(db.session)
    ):
        return None
    return member.number


def payout_json(payout: Payout) -> dict:
    return {
        "id": payout.id,
        "member": payout.member.number,
        "month": payout.closed_month.month,
        "amount_dong": payout.amount_dong,
        "paid_on": payout.paid_on.isoformat(),
        "method": payout.method.value,
        "note": payout.note,
        "by": payout.by.number,
        "created_at": payout.created_at.isoformat(),
        "net_dong": payout.net_dong,
        "corrections": [
            {
                "id": c.id,
                "amount_dong": c.amount_dong,
                "reason": c.reason,
                "at": c.at.isoformat(),
                "by": c.by.number,
            }
            for c in payout.corrections
        ],
    }


def _month_arg() -> str | None:
    text = request.args.get("month")
    return month_service.parse_month(text) if text else None


# ---------------------------------------------------------------- months


@route(
    "/months/{month}",
    "GET",
    "A month's figures (YYYY-MM): frozen if it is closed, as of now if it is open",
    tag="month",
    description=OWN_LINES,
    responses={"200": {"description": "The figures", **ref_response("Month")}},
)
def get_month(month: str):
    return month_service.month_data(
        db.session,
        month,
        clock.shop_tz(),
        who=current_viewer(),
        rules=visibility.shop_rules(db.session),
    )


@route(
    "/months/{month}/close",
    "POST",
    "Close a month: freeze its figures and the settings it used",
    role="coordinator",
    tag="month",
    responses={
        "200": {"description": "Closed: its frozen figures", **ref_response("Month")},
        "422": {"description": "It cannot be closed (yet); `fields.month` says why"},
    },
)
def close_month(month: str):
    require_coordinator()
    month_service.close_month(
        db.session, month, by=current_member(), at=clock.now(), tz=clock.shop_tz()
    )
    return month_service.month_data(db.session, month, clock.shop_tz())


# ---------------------------------------------------------------- expenses


@route(
    "/expenses",
    "GET",
    "Expenses, by day (of one month with ?month=YYYY-MM); removed ones with ?removed=1",
    tag="month",
    query=(*_MONTH_QUERY, ("removed", {"type": "boolean"})),
    responses={"200": {"description": "Expenses", **list_response("Expense")}},
)
def list_expenses():
    month = _month_arg()
    removed = request.args.get("removed", "").lower() in ("1", "true", "yes")
    found = expense_service.expenses_of(db.session, month, removed=removed)
    return {"items": [expense_json(expense) for expense in found]}


@route(
    "/expenses",
    "POST",
    "Record an expense (dated in an open month)",
    form=ExpenseForm,
    role="expense_recorder",
    tag="month",
    responses={"201": {"description": "Recorded", **ref_response("Expense")}},
)
def create_expense():
    # Refused before the body is read: 403, not "fix the body".
    expense_service.check_may_record(db.session, current_member(), current_role())
    form = validated(ExpenseForm, json_body())
    expense, _new = expense_service.record_expense(
        db.session,
        form.details(),
        by=current_member(),
        role=current_role(),
        client_id=client_key(form),
        today=clock.today(),
    )
    answer = expense_json(expense, with_revisions=True)  # from the transaction that saves it
    return answer, 201


@route(
    "/expenses/{expense_id}",
    "GET",
    "One expense, with the versions corrections replaced",
    tag="month",
    responses={"200": {"description": "The expense", **ref_response("Expense")}},
)
def get_expense(expense_id: int):
    return expense_json(expense_service.get_expense(db.session, expense_id), with_revisions=True)


@route(
    "/expenses/{expense_id}",
    "PATCH",
    "Correct an expense of an open month (the version it had is kept)",
    form=ExpenseForm,
    partial=True,
    role="coordinator",
    tag="month",
    responses={"200": {"description": "Corrected", **ref_response("Expense")}},
)
def edit_expense(expense_id: int):
    require_coordinator()
    expense = expense_service.get_expense(db.session, expense_id)
    expense_service.check_correctable(expense)  # before the body: its category is no choice
    current = {
        "spent_on": expense.spent_on.isoformat(),
        "category": expense.category.value,
        "amount_dong": expense.amount_dong,
        "note": expense.note,
    }
    form = validated(ExpenseForm, json_body(), current=current)
    expense_service.edit_expense(
        db.session,
        expense,
        form.details(),
        by=current_member(),
        at=clock.now(),
        today=clock.today(),
    )
    return expense_json(expense, with_revisions=True)


@route(
    "/expenses/{expense_id}",
    "DELETE",
    "Remove an expense of an open month (it stays on record, counting for nothing)",
    role="coordinator",
    tag="month",
    responses={"200": {"description": "Removed", **ref_response("Expense")}},
)
def remove_expense(expense_id: int):
    require_coordinator()
    expense = expense_service.get_expense(db.session, expense_id)
    expense_service.remove_expense(db.session, expense, by=current_member(), at=clock.now())
    return expense_json(expense, with_revisions=True)


# ---------------------------------------------------------------- payouts


@route(
    "/payouts",
    "GET",
    "Payouts, by the day they were paid (against one month with ?month=YYYY-MM)",
    tag="month",
    query=_MONTH_QUERY,
    description=OWN_LINES,
    responses={"200": {"description": "Payouts", **list_response("Payout")}},
)
def list_payouts():
    seen = visibility.visible_to(
        current_viewer(),
        month_service.payouts(db.session, _month_arg()),
        lambda payout: payout.member.number,
        visibility.shop_rules(db.session),
    )
    return {"items": [payout_json(p) for p in seen]}


@route(
    "/payouts",
    "POST",
    "Record money paid to a member against a closed month (never more than is due)",
    form=PayoutForm,
    role="coordinator",
    tag="month",
    responses={"201": {"description": "Recorded", **ref_response("Payout")}},
)
def create_payout():
    require_coordinator()
    form = validated(PayoutForm, json_body())
    try:
        member = member_service.get_member(db.session, form.member.data)
    except NotFound:  # the body's member is at fault, not the URL: 422 naming the field
        raise InvalidInput("member.no_such_number", "member", number=form.member.data) from None
    payout, _new = month_service.record_payout(
        db.session,
        member,
        form.month.data,
        form.amount_dong.data,
        form.paid_on.data,
        form.method.data,
        current_member(),
        form.note.data or "",
        client_id=client_key(form),
        today=clock.today(),
    )
    answer = payout_json(payout)  # from the transaction that saves it
    return answer, 201


@route(
    "/payouts/{payout_id}/corrections",
    "POST",
    "Correct a payout recorded wrong: take all or part of it back, with the reason (a "
    "counter-entry; the payout stays on record)",
    form=PayoutCorrectionForm,
    role="coordinator",
    tag="month",
    responses={"201": {"description": "Corrected", **ref_response("Payout")}},
)
def correct_payout(payout_id: int):
    require_coordinator()
    payout = month_service.get_payout(db.session, payout_id)
    form = validated(PayoutCorrectionForm, json_body())
    _correction, _new = month_service.correct_payout(
        db.session,
        payout,
        form.amount_dong.data,
        form.reason.data or "",
        by=current_member(),
        at=clock.now(),
        tz=clock.shop_tz(),
        client_id=client_key(form),
    )
    db.session.refresh(payout, ["corrections"])
    answer = payout_json(payout)  # from the transaction that saves it
    return answer, 201
