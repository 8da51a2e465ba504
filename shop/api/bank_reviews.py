"""The coordinators' list of bank transactions to look at, through the API: the same list
and the same decision as the page ``/counter/bank``."""

from __future__ import annotations

from flask import request

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import json_body, list_response, ref_response, validated
from shop.api.spec import COMPONENTS
from shop.auth.access import current_member
from shop.counter.forms import BankDecisionForm
from shop.domain.bank import Outcome, Reason
from shop.extensions import db
from shop.services import bank as bank_service
from shop.services.errors import InvalidInput

COMPONENTS["BankTransaction"] = {
    "type": "object",
    "required": ["id", "provider", "direction", "amount_dong", "content", "at", "outcome"],
    "properties": {
        "id": {"type": "integer"},
        "provider": {"type": "string", "enum": list(bank_service.PROVIDERS)},
        "provider_id": {"type": "string"},
        "reference": {"type": "string", "description": "the bank's reference"},
        "account": {"type": "string"},
        "direction": {"type": "string", "enum": ["in", "out"]},
        "amount_dong": {"type": "integer"},
        "content": {"type": "string", "description": "what the sender wrote, as the bank sent it"},
        "at": {"type": "string", "format": "date-time"},
        "outcome": {"type": "string", "enum": [o.value for o in Outcome]},
        "reason": {
            "type": "string",
            "enum": [r.value for r in Reason],
            "nullable": True,
            "description": "why it is on the review list",
        },
        "why": {"type": "string", "nullable": True, "description": "the reason in words"},
        "sale": {
            "type": "integer",
            "nullable": True,
            "description": "the sale its code names, or the sale it pays",
        },
        "pays_sale": {"type": "boolean"},
        "suggestions": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "sales that waited for exactly this amount: suggestions, never a match",
        },
        "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
        "resolved_by": {"type": "integer", "nullable": True},
        "resolution": {"type": "string"},
    },
}


def transaction_json(row, numbers: dict[int, int]) -> dict:
    from shop.messages import BANK_REASONS

    return {
        "id": row.id,
        "provider": row.provider,
        "provider_id": row.provider_id,
        "reference": row.reference,
        "account": row.account,
        "direction": row.direction.value,
        "amount_dong": row.amount_dong,
        "content": row.content,
        "at": row.at.isoformat(),
        "outcome": row.outcome.value,
        "reason": row.reason.value if row.reason else None,
        "why": str(BANK_REASONS[row.reason.value]) if row.reason else None,
        "sale": numbers.get(row.sale_id),
        "pays_sale": row.pays_sale,
        "suggestions": list(row.suggestions or []),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "resolved_by": row.resolved_by.number if row.resolved_by else None,
        "resolution": row.resolution,
    }


@route(
    "/bank/reviews",
    "GET",
    "Bank transactions a coordinator still has to decide (or the decided ones, or all)",
    role="coordinator",
    tag="bank",
    query=(("show", {"type": "string", "enum": list(bank_service.SHOWS)}),),
    responses={"200": {"description": "Newest first", **list_response("BankTransaction")}},
)
def list_bank_reviews():
    require_coordinator()
    show = request.args.get("show") or "review"
    if show not in bank_service.SHOWS:
        raise InvalidInput("choice.invalid", "show", status=400)
    rows = bank_service.transactions(db.session, show=show)
    numbers = bank_service.sale_numbers(db.session, rows)
    return {"items": [transaction_json(row, numbers) for row in rows]}


@route(
    "/bank/transactions/{transaction_id}/decision",
    "POST",
    "Decide a bank transaction on the review list: the sale it pays, or what it is",
    form=BankDecisionForm,
    role="coordinator",
    tag="bank",
    responses={"200": {"description": "The transaction", **ref_response("BankTransaction")}},
)
def decide_bank_transaction(transaction_id: int):
    require_coordinator()
    row = bank_service.get_transaction(db.session, transaction_id)
    form = validated(BankDecisionForm, json_body())
    bank_service.resolve(db.session, row, by=current_member(), at=clock.now(), **form.values())
    answer = transaction_json(row, bank_service.sale_numbers(db.session, [row]))
    return answer
