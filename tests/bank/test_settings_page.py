"""The coordinator's "Ngân hàng" page: keys never shown again, what she typed kept beside
a refusal, the environment's keys named, the webhook addresses, "Kiểm tra giao dịch"."""

from shop.models import BankSettings
from tests.bank.conftest import KEYS, code_of, sell, use
from tests.conftest import DEMO_PIN, sign_in

URL = "/settings/bank"


def as_coordinator(client):
    sign_in(client, "0912000001", DEMO_PIN)


def form(**given):
    return {"provider": "sepay", "code_prefix": "NM", "check_days": "3", "base_url": "",
            **dict.fromkeys(KEYS, ""), **given}  # fmt: skip


def test_only_a_coordinator_sees_the_page(client, shop):
    sign_in(client, "0912000002", "1357")
    assert client.get(URL).status_code == 403


def test_keys_are_saved_and_never_shown_again(client, shop):
    as_coordinator(client)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/api/v1/bank/sepay" in text and "/api/v1/bank/casso" in text
    assert "113366668888" in text  # the shop's account, from the shop settings
    answer = client.post(URL, data=form(sepay_api_token="tok-secret-1", sepay_webhook_key="wh-2"))
    assert answer.status_code == 303
    saved = shop.get(BankSettings, 1)
    shop.refresh(saved)
    assert (saved.provider, saved.sepay_api_token, saved.sepay_webhook_key) == (
        "sepay", "tok-secret-1", "wh-2",
    )  # fmt: skip
    text = client.get(URL).get_data(as_text=True)
    assert "tok-secret-1" not in text and "wh-2" not in text
    assert "đã lưu" in text
    # Saved again with the key fields left empty: the keys stay.
    assert client.post(URL, data=form(check_days="5")).status_code == 303
    shop.refresh(saved)
    assert (saved.sepay_api_token, saved.check_days) == ("tok-secret-1", 5)


def test_bad_input_is_refused_beside_its_field_and_kept(client, shop):
    as_coordinator(client)
    answer = client.post(URL, data=form(code_prefix="N1", base_url="ftp://bank", check_days="99"))
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'value="N1"' in text and 'value="99"' in text
    assert "Từ 1 đến 60 ngày." in text
    assert shop.get(BankSettings, 1) is None
    answer = client.post(URL, data=form(code_prefix="N1"))
    assert answer.status_code == 422 and 'value="N1"' in answer.get_data(as_text=True)
    answer = client.post(URL, data=form(base_url="ftp://bank"))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'value="ftp://bank"' in text and "https://" in text
    assert shop.get(BankSettings, 1) is None


def test_a_key_from_the_environment_is_named_and_cannot_be_typed(client, shop, monkeypatch):
    monkeypatch.setenv("SHOP_SEPAY_API_TOKEN", "from-env")
    as_coordinator(client)
    text = client.get(URL).get_data(as_text=True)
    assert 'data-testid="sepay_api_token-env"' in text
    assert "đặt trong môi trường máy chủ" in text and "from-env" not in text


def test_check_transactions_polls_now_and_says_what_came(client, shop, fake):
    use(shop, "sepay", fake.url)
    sale = sell(shop)
    fake.post(54_000, f"MBVCB.1 {code_of(sale)} NEW ME")
    fake.post(70_000, "tien hang")
    as_coordinator(client)
    answer = client.post(URL + "/poll", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "Giao dịch mới: 2." in text
    assert f"đơn {sale.number}" in text
    fake.offline = True
    text = client.post(URL + "/poll", follow_redirects=True).get_data(as_text=True)
    assert "Không kết nối được" in text
    assert 'data-testid="bank-last-error"' in text


def test_the_shop_settings_page_links_here(client, shop):
    as_coordinator(client)
    assert 'href="/settings/bank"' in client.get("/settings/shop").get_data(as_text=True)
