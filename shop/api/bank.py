"""The bank-notification services' webhooks: SePay and Casso post each transaction here
(for a shop server with a public HTTPS address; one behind a home router polls instead).

No sign-in and no token: SePay proves itself by its key (``Authorization: Apikey <key>``),
Casso by its signature (``X-Casso-Signature``). A webhook whose key or signature does not
hold, for a provider the shop does not use or whose key is not set, is answered 401 and
nothing of it is stored. One that holds is stored and matched through
:func:`shop.services.bank.receive` and answered ``{"success": true}`` at once; the same
transaction sent again (SePay retries for about half an hour) changes nothing.
"""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from shop import clock
from shop.api import route
from shop.api.spec import error_response
from shop.bank import providers
from shop.errors import json_error
from shop.extensions import db
from shop.services import bank

SUCCESS = {
    "description": "Stored (or known already): the provider need not send it again",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["success"],
                "properties": {"success": {"type": "boolean", "enum": [True]}},
            }
        }
    },
}
ANY_JSON = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object"}}},
}
REFUSED = {
    "no_provider": _l("This shop does not take this bank service's webhooks."),
    "no_key": _l("No webhook key is set for this bank service."),
    "key": _l("The webhook key does not match."),
    "signature": _l("The signature does not match."),
    "stale": _l("The signature's time is more than 5 minutes from the shop's clock."),
}


def _receive(name: str):
    now = clock.now()
    settings = bank.bank_settings(db.session)
    provider = (
        providers.provider_for(name, bank.keys(db.session), settings.base_url)
        if settings.provider == name
        else None
    )
    try:
        if provider is None:
            raise providers.WebhookRefused("no_provider")
        transactions = provider.webhook(request.headers, request.get_data(), now=now)
    except providers.WebhookRefused as error:
        return json_error(401, REFUSED[error.reason], {"Authorization": [REFUSED[error.reason]]})
    except providers.WebhookInvalid as error:
        message = _l("This field of the body cannot be read: %(field)s.", field=error.field)
        return json_error(400, message, {error.field: [error.detail or str(message)]})
    for transaction in transactions:
        bank.receive(db.session, transaction, via="webhook", signature_ok=True, at=now)
    bank.feed_state(db.session, name).last_webhook_at = now
    return {"success": True}


@route(
    "/bank/sepay",
    "POST",
    "SePay's webhook: one bank transaction (Authorization: Apikey <key>)",
    own_auth=True,
    tag="bank",
    body=ANY_JSON,
    security=[{"sepay": []}],
    responses={"200": SUCCESS, "400": error_response("A field of the body cannot be read")},
)
def sepay_webhook():
    return _receive("sepay")


@route(
    "/bank/casso",
    "POST",
    "Casso's webhook (v2): bank transactions, signed in X-Casso-Signature",
    own_auth=True,
    tag="bank",
    body=ANY_JSON,
    security=[{"casso": []}],
    responses={"200": SUCCESS, "400": error_response("A field of the body cannot be read")},
)
def casso_webhook():
    return _receive("casso")
