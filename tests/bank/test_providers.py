"""SePay's and Casso's words read as the shop's: fixed signature vectors published by Casso
and payOS, keys, time windows, and each field mapped."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from shop.bank import providers
from shop.bank.providers import Casso, FeedError, SePay, WebhookInvalid, WebhookRefused
from shop.domain.bank import Direction

# Casso's own sample (developer.casso.vn, webhook v2, "Lập trình webhook"): its checksum
# key, its test body and the signature it sent with them.
CASSO_KEY = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs"
CASSO_BODY = {
    "error": 0,
    "data": {
        "id": 0,
        "reference": "MA_GIAO_DICH_THU_NGHIEM",
        "description": "giao dich thu nghiem",
        "amount": 599000,
        "runningBalance": 25000000,
        "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888",
        "bankName": "VPBank",
        "bankAbbreviation": "VPB",
        "virtualAccountNumber": "",
        "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "8888888888",
        "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank",
    },
}
CASSO_SIGNATURE = (
    "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7"
    "dde0868fc667faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3"
)
CASSO_SIGNED_AT = datetime.fromtimestamp(1727948258788 / 1000, tz=UTC)


def keys(**given):
    values = dict.fromkeys(
        ("sepay_webhook_key", "sepay_api_token", "casso_api_key", "casso_checksum_key"), ""
    )
    return SimpleNamespace(**{**values, **given})


def casso(**given):
    return Casso(keys(casso_checksum_key=CASSO_KEY, **given))


def test_casso_published_sample_signature_holds():
    body = json.dumps(CASSO_BODY).encode()
    # Its id 0 is Casso's "try the webhook" call: signed, but no money moved.
    found = casso().webhook({"X-Casso-Signature": CASSO_SIGNATURE}, body, now=CASSO_SIGNED_AT)
    assert found == []
    assert (
        providers.sign(CASSO_KEY, "1727948258788." + providers.canonical_json(CASSO_BODY))
        == CASSO_SIGNATURE.split("v1=")[1]
    )


def test_casso_sample_with_a_real_id_becomes_a_transaction_in_utc():
    body = {**CASSO_BODY, "data": {**CASSO_BODY["data"], "id": 7}}
    from reliability.fakebank import casso_signature

    header = casso_signature(CASSO_KEY, body, CASSO_SIGNED_AT)
    [tx] = casso().webhook(
        {"x-casso-signature": header}, json.dumps(body).encode(), now=CASSO_SIGNED_AT
    )
    assert (tx.provider, tx.provider_id, tx.direction, tx.amount_dong) == (
        "casso", "7", Direction.IN, 599_000,
    )  # fmt: skip
    assert tx.at == datetime(2024, 10, 3, 8, 6, 37, tzinfo=UTC)  # 15:06:37 in Hanoi
    assert (tx.account, tx.reference, tx.content) == (
        "88888888", "MA_GIAO_DICH_THU_NGHIEM", "giao dich thu nghiem",
    )  # fmt: skip
    assert json.loads(tx.raw)["runningBalance"] == 25_000_000


def test_payos_published_sample_signature_with_the_shared_helper():
    # payOS (payos.vn, "Kiểm tra dữ liệu với signature"): HMAC-SHA256 over key=value&… sorted.
    data = {
        "orderCode": 123, "amount": 3000, "description": "VQRIO123", "accountNumber": "12345678",
        "reference": "TF230204212323", "transactionDateTime": "2023-02-04 18:25:00",
        "currency": "VND", "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18", "code": "00",
        "desc": "Thành công", "counterAccountBankId": "", "counterAccountBankName": "",
        "counterAccountName": "", "counterAccountNumber": "", "virtualAccountName": "",
        "virtualAccountNumber": "",
    }  # fmt: skip
    message = "&".join(f"{key}={data[key]}" for key in sorted(data))
    key = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675"
    assert providers.sign(key, message, "sha256") == (
        "412e915d2871504ed31be63c8f62a149a4410d34c4c42affc9006ef9917eaa03"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h, b: ({}, b), "signature"),
        (lambda h, b: ({"X-Casso-Signature": "v1=abc"}, b), "signature"),
        (lambda h, b: (h, b.replace(b"599000", b"599001")), "signature"),
        (lambda h, b: ({"X-Casso-Signature": h["X-Casso-Signature"][:-1] + "0"}, b), "signature"),
    ],
)
def test_casso_refuses_a_missing_wrong_or_altered_signature(change, reason):
    headers, body = change({"X-Casso-Signature": CASSO_SIGNATURE}, json.dumps(CASSO_BODY).encode())
    with pytest.raises(WebhookRefused) as refused:
        casso().webhook(headers, body, now=CASSO_SIGNED_AT)
    assert refused.value.reason == reason


@pytest.mark.parametrize("minutes", [-5.1, 5.1, 60 * 24])
def test_casso_refuses_a_signature_older_or_newer_than_five_minutes(minutes):
    with pytest.raises(WebhookRefused) as refused:
        casso().webhook(
            {"X-Casso-Signature": CASSO_SIGNATURE},
            json.dumps(CASSO_BODY).encode(),
            now=CASSO_SIGNED_AT + timedelta(minutes=minutes),
        )
    assert refused.value.reason == "stale"


def test_casso_within_five_minutes_holds():
    casso().webhook(
        {"X-Casso-Signature": CASSO_SIGNATURE},
        json.dumps(CASSO_BODY).encode(),
        now=CASSO_SIGNED_AT + timedelta(minutes=4, seconds=59),
    )


def test_no_checksum_key_refuses_every_casso_webhook():
    with pytest.raises(WebhookRefused) as refused:
        Casso(keys()).webhook(
            {"X-Casso-Signature": CASSO_SIGNATURE}, json.dumps(CASSO_BODY).encode(),
            now=CASSO_SIGNED_AT,
        )  # fmt: skip
    assert refused.value.reason == "no_key"


SEPAY_BODY = {
    "id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-03-25 14:02:37",
    "accountNumber": "0123499999", "code": None, "content": "MBVCB.3278907687 NM13 NEW ME",
    "transferType": "in", "transferAmount": 2277000, "accumulated": 19077000,
    "subAccount": None, "referenceCode": "MBVCB.3278907687", "description": "",
}  # fmt: skip


def sepay():
    return SePay(keys(sepay_webhook_key="k-123"))


def test_sepay_webhook_with_its_key_becomes_a_transaction():
    [tx] = sepay().webhook(
        {"Authorization": "Apikey k-123"}, json.dumps(SEPAY_BODY).encode(), now=datetime.now(UTC)
    )
    assert (tx.provider, tx.provider_id, tx.direction, tx.amount_dong) == (
        "sepay", "92704", Direction.IN, 2_277_000,
    )  # fmt: skip
    assert tx.at == datetime(2023, 3, 25, 7, 2, 37, tzinfo=UTC)
    assert tx.account == "0123499999" and tx.reference == "MBVCB.3278907687"
    assert json.loads(tx.raw) == SEPAY_BODY


@pytest.mark.parametrize(
    "header", ["", "Apikey", "Apikey k-12", "Apikey k-1234", "Bearer k-123", "k-123"]
)
def test_sepay_refuses_a_missing_or_wrong_key(header):
    with pytest.raises(WebhookRefused):
        sepay().webhook(
            {"Authorization": header}, json.dumps(SEPAY_BODY).encode(), now=datetime.now(UTC)
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({**SEPAY_BODY, "transferType": "sideways"}).encode(), "transferType"),
        (json.dumps({**SEPAY_BODY, "transferAmount": "lots"}).encode(), "transferAmount"),
        (json.dumps({**SEPAY_BODY, "transferAmount": 10.5}).encode(), "transferAmount"),
        (json.dumps({**SEPAY_BODY, "transactionDate": "yesterday"}).encode(), "transactionDate"),
        (json.dumps({k: v for k, v in SEPAY_BODY.items() if k != "id"}).encode(), "id"),
    ],
)
def test_a_body_that_cannot_be_read_names_its_field(body, field):
    with pytest.raises(WebhookInvalid) as invalid:
        sepay().webhook({"Authorization": "Apikey k-123"}, body, now=datetime.now(UTC))
    assert invalid.value.field == field


def test_money_out_and_casso_negative_amounts():
    out = {**SEPAY_BODY, "transferType": "out"}
    [tx] = sepay().webhook(
        {"Authorization": "Apikey k-123"}, json.dumps(out).encode(), now=datetime.now(UTC)
    )
    assert tx.direction == Direction.OUT and tx.amount_dong == 2_277_000
    record = {"id": 5, "tid": "TF1", "description": "x", "amount": -193000, "when": "2021-04-15"}
    listed = Casso(keys())._record(record)
    assert listed.direction == Direction.OUT and listed.amount_dong == 193_000
    assert listed.at == datetime(2021, 4, 14, 17, 0, tzinfo=UTC)


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert providers.retry_after("7", now) == 7
    assert providers.retry_after("Fri, 20 Nov 2026 03:00:30 GMT", now) == 30
    assert providers.retry_after("Fri, 20 Nov 2026 02:59:00 GMT", now) == 0
    assert providers.retry_after("soon", now) is None


def answering(status, body=None, headers=None):
    def handler(request):
        return httpx.Response(status, json=body or {}, headers=headers or {})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("status", "headers", "reason", "wait"),
    [
        (429, {"Retry-After": "12"}, "rate_limited", 12),
        (429, {"x-sepay-userapi-retry-after": "2"}, "rate_limited", 2),
        (401, {}, "auth", None),
        (503, {}, "server", None),
        (404, {}, "answer", None),
    ],
)
def test_list_failures_are_named(status, headers, reason, wait):
    provider = SePay(keys(sepay_api_token="t"), transport=answering(status, headers=headers))
    now = datetime.now(UTC)
    with pytest.raises(FeedError) as failed:
        provider.fetch("", since=now, now=now)
    assert failed.value.reason == reason and failed.value.retry_after == wait


def test_no_connection_is_a_network_failure():
    def handler(request):
        raise httpx.ConnectError("no route to host")

    provider = SePay(keys(sepay_api_token="t"), transport=httpx.MockTransport(handler))
    now = datetime.now(UTC)
    with pytest.raises(FeedError) as failed:
        provider.fetch("5", since=now, now=now)
    assert failed.value.reason == "network"


def test_the_base_url_setting_points_the_provider_elsewhere():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"status": 200, "transactions": []})

    provider = SePay(keys(sepay_api_token="t"), "https://proxy.example/sepay/",
                     transport=httpx.MockTransport(handler))  # fmt: skip
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    page = provider.fetch("", since=now, now=now)
    assert page.cursor == "" and not page.more
    assert str(seen[0].url).startswith("https://proxy.example/sepay/userapi/transactions/list")
    assert seen[0].url.params["transaction_date_min"] == "2026-11-20 10:00:00"
    assert seen[0].headers["Authorization"] == "Bearer t"
    assert SePay(keys()).base_url == "https://my.sepay.vn"
    assert Casso(keys()).base_url == "https://oauth.casso.vn"
