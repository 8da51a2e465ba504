"""The webhooks: SePay's key and Casso's signature checked, 200 at once and stored once,
401 and nothing stored otherwise, 400 naming what cannot be read."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reliability.fakebank import FakeBank, Transaction
from shop.domain.bank import Outcome
from shop.models import BankFeed, BankTransaction
from tests.bank.conftest import KEYS, NOW, code_of, sell, use

SEPAY = "/api/v1/bank/sepay"
CASSO = "/api/v1/bank/casso"


def stored(session):
    session.rollback()
    return session.scalar(select(func.count(BankTransaction.id)))


def paying(sale, amount=54_000, number=501):
    return Transaction(number, amount, f"MBVCB.3278907687 {code_of(sale)} NEW ME",
                       NOW - timedelta(seconds=30))  # fmt: skip


def post(client, url, headers_body):
    headers, body = headers_body
    return client.post(url, data=body, headers=headers)


def test_sepay_webhook_with_its_key_confirms_the_sale_at_once(client, shop):
    use(shop, "sepay")
    sale = sell(shop)
    answer = post(
        client, SEPAY, FakeBank.sepay_webhook(paying(sale), key=KEYS["sepay_webhook_key"])
    )
    assert answer.status_code == 200 and answer.get_json() == {"success": True}
    shop.rollback()
    row = shop.scalar(select(BankTransaction))
    assert (row.via, row.signature_ok, row.outcome, row.sale_id) == (
        "webhook", True, Outcome.CONFIRMED, sale.id,
    )  # fmt: skip
    assert sale.confirmed_at is not None and sale.confirmed_by_id is None
    assert shop.get(BankFeed, "sepay").last_webhook_at == NOW


def test_the_same_webhook_twice_is_stored_once(client, shop):
    use(shop, "sepay")
    sale = sell(shop)
    sent = FakeBank.sepay_webhook(paying(sale), key=KEYS["sepay_webhook_key"])
    assert post(client, SEPAY, sent).status_code == 200
    assert post(client, SEPAY, sent).status_code == 200
    assert stored(shop) == 1
    assert shop.scalar(select(BankTransaction)).outcome == Outcome.CONFIRMED


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Apikey wrong", f"Apikey {KEYS['sepay_webhook_key']}x",
     f"Bearer {KEYS['sepay_webhook_key']}"],
)  # fmt: skip
def test_sepay_webhook_without_its_key_is_refused_and_nothing_stored(client, shop, authorization):
    use(shop, "sepay")
    sale = sell(shop)
    headers, body = FakeBank.sepay_webhook(paying(sale), key="x")
    headers.pop("Authorization")
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = client.post(SEPAY, data=body, headers=headers)
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
    assert stored(shop) == 0 and sale.confirmed_at is None


def test_a_provider_the_shop_does_not_use_gets_401(client, shop):
    sale = sell(shop)
    sent = FakeBank.sepay_webhook(paying(sale), key=KEYS["sepay_webhook_key"])
    assert post(client, SEPAY, sent).status_code == 401  # no feed at all
    use(shop, "casso")
    assert post(client, SEPAY, sent).status_code == 401  # the shop uses Casso
    assert stored(shop) == 0


def test_without_a_webhook_key_every_sepay_webhook_is_refused(client, shop, monkeypatch):
    from shop.models import BankSettings

    use(shop, "sepay")
    shop.get(BankSettings, 1).sepay_webhook_key = ""
    shop.commit()
    sale = sell(shop)
    answer = post(client, SEPAY, FakeBank.sepay_webhook(paying(sale), key=""))
    assert answer.status_code == 401 and stored(shop) == 0
    # The environment's key wins over the saved one.
    monkeypatch.setenv("SHOP_SEPAY_WEBHOOK_KEY", "from-the-environment")
    answer = post(client, SEPAY, FakeBank.sepay_webhook(paying(sale), key="from-the-environment"))
    assert answer.status_code == 200 and stored(shop) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b'"text"', "body"),
        (json.dumps({"id": 9, "transferType": "in", "transactionDate": "2026-11-20 10:00:00"}),
         "transferAmount"),
        (json.dumps({"id": 9, "transferType": "in", "transferAmount": 54000}), "transactionDate"),
    ],
)  # fmt: skip
def test_a_body_that_cannot_be_read_is_400_naming_the_field(client, shop, body, field):
    use(shop, "sepay")
    answer = client.post(
        SEPAY, data=body, headers={"Authorization": f"Apikey {KEYS['sepay_webhook_key']}",
                                   "Content-Type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert list(answer.get_json()["fields"]) == [field]
    assert stored(shop) == 0


def test_casso_webhook_signed_now_confirms_the_sale(client, shop):
    use(shop, "casso")
    sale = sell(shop)
    sent = FakeBank.casso_webhook(paying(sale), checksum_key=KEYS["casso_checksum_key"], at=NOW)
    answer = post(client, CASSO, sent)
    assert answer.status_code == 200 and answer.get_json() == {"success": True}
    shop.rollback()
    row = shop.scalar(select(BankTransaction))
    assert (row.provider, row.provider_id, row.outcome) == ("casso", "501", Outcome.CONFIRMED)
    assert shop.get(BankFeed, "casso").last_webhook_at == NOW


@pytest.mark.parametrize(
    ("key", "signed", "tamper"),
    [
        ("wrong-key", NOW, False),
        (KEYS["casso_checksum_key"], NOW - timedelta(minutes=6), False),
        (KEYS["casso_checksum_key"], NOW + timedelta(minutes=6), False),
        (KEYS["casso_checksum_key"], NOW, True),
    ],
)
def test_casso_webhook_with_a_bad_or_stale_signature_is_refused(client, shop, key, signed, tamper):
    use(shop, "casso")
    sale = sell(shop)
    headers, body = FakeBank.casso_webhook(paying(sale), checksum_key=key, at=signed)
    if tamper:  # the amount changed on the way: the signature no longer holds
        body = body.replace(b'"amount": 54000', b'"amount": 5400')
    answer = client.post(CASSO, data=body, headers=headers)
    assert answer.status_code == 401
    assert stored(shop) == 0 and sale.confirmed_at is None
    assert (
        shop.get(BankFeed, "casso") is None or shop.get(BankFeed, "casso").last_webhook_at is None
    )


def test_webhooks_are_in_the_api_document(app):
    from shop.api.spec import document as build

    with app.test_request_context():
        document = build("Shop API", "1")
    for path, scheme in ((SEPAY, "sepay"), (CASSO, "casso")):
        operation = document["paths"][path]["post"]
        assert operation["security"] == [{scheme: []}]
        assert {"200", "400", "401"} <= set(operation["responses"])


def test_webhooks_need_no_csrf_token_where_every_form_does(app, client, shop):
    """With CSRF on, as in production: the providers' servers post with no page and no
    token, and are answered 200; a form posted the same way is refused."""
    from tests.conftest import DEMO_PIN, sign_in

    app.config["WTF_CSRF_ENABLED"] = True
    use(shop, "sepay")
    sale = sell(shop)
    sent = FakeBank.sepay_webhook(paying(sale), key=KEYS["sepay_webhook_key"])
    assert post(client, SEPAY, sent).status_code == 200
    use(shop, "casso")
    other = sell(shop)
    sent = FakeBank.casso_webhook(
        paying(other, number=502), checksum_key=KEYS["casso_checksum_key"], at=NOW
    )
    assert post(client, CASSO, sent).status_code == 200
    assert stored(shop) == 2
    # Even from a browser signed in as a coordinator, a form without its token is refused.
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, "0912000001", DEMO_PIN)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/settings/bank/poll", follow_redirects=True)
    assert "Trang này đã hết hạn" in refused.get_data(as_text=True)


def test_casso_checksum_key_from_the_environment_wins(client, shop, monkeypatch):
    use(shop, "casso")
    sale = sell(shop)
    monkeypatch.setenv("SHOP_CASSO_CHECKSUM_KEY", "casso-key-from-the-environment")
    saved = FakeBank.casso_webhook(paying(sale), checksum_key=KEYS["casso_checksum_key"], at=NOW)
    assert post(client, CASSO, saved).status_code == 401  # the saved key no longer holds
    env = FakeBank.casso_webhook(
        paying(sale), checksum_key="casso-key-from-the-environment", at=NOW
    )
    assert post(client, CASSO, env).status_code == 200 and stored(shop) == 1
