"""The poller against the fake bank over HTTP: every transaction stored once whichever way
it came, the cursor kept through 429s and lost connections, the cadence, the claim."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reliability.fakebank import FakeBank
from shop.bank import poller, providers
from shop.domain import bank as rules
from shop.domain.bank import Outcome, Reason
from shop.models import BankFeed, BankTransaction, Sale
from shop.services import counter as svc
from tests.bank.conftest import HANOI, KEYS, NOW, code_of, hong, sell, use

T = NOW + timedelta(minutes=1)


def poll(session, at, **kw):
    return poller.poll_once(session, at=at, **kw)


def rows(session):
    session.rollback()
    return session.scalars(select(BankTransaction).order_by(BankTransaction.id)).all()


@pytest.mark.parametrize("provider", ["sepay", "casso"])
def test_a_webhook_lost_is_found_by_the_poll(shop, fake, provider):
    use(shop, provider, fake.url)
    sale = sell(shop)
    fake.post(54_000, f"MBVCB.3278907687.{code_of(sale)}.NEWME.CT tu 0123", at=T)
    result = poll(shop, T + timedelta(seconds=5))
    assert (result.error, result.new, result.confirmed_sales) == ("", 1, [sale.number])
    [row] = rows(shop)
    assert (row.via, row.provider, row.outcome) == ("poll", provider, Outcome.CONFIRMED)
    assert sale.confirmed_at == T + timedelta(seconds=5) and sale.confirmed_by_id is None
    again = poll(shop, T + timedelta(seconds=30), force=True)
    assert (again.new, again.seen) == (0, 1 if provider == "casso" else 0)


@pytest.mark.parametrize("provider", ["sepay", "casso"])
def test_webhook_then_poll_of_the_same_transaction_changes_nothing(client, shop, fake, provider):
    use(shop, provider, fake.url)
    sale = sell(shop)
    tx = fake.post(54_000, code_of(sale), at=T)
    if provider == "sepay":
        headers, body = FakeBank.sepay_webhook(tx, key=KEYS["sepay_webhook_key"])
        url = "/api/v1/bank/sepay"
    else:
        headers, body = FakeBank.casso_webhook(tx, checksum_key=KEYS["casso_checksum_key"], at=T)
        url = "/api/v1/bank/casso"
    assert client.post(url, data=body, headers=headers).status_code == 200
    [before] = rows(shop)
    result = poll(shop, T + timedelta(seconds=10), force=True)
    assert (result.new, result.seen, result.error) == (0, 1, "")
    [after] = rows(shop)
    assert (after.id, after.via, after.received_at) == (before.id, "webhook", before.received_at)
    assert shop.scalar(select(func.count(BankTransaction.id)).where(BankTransaction.pays_sale)) == 1


@pytest.mark.parametrize("provider", ["sepay", "casso"])
def test_out_of_order_transactions_each_confirm_their_sale(shop, fake, provider):
    use(shop, provider, fake.url)
    first, second = sell(shop), sell(shop)
    fake.post(54_000, code_of(second), at=T + timedelta(minutes=2))
    fake.post(54_000, code_of(first), at=T)  # booked earlier, listed later
    result = poll(shop, T + timedelta(minutes=3))
    assert sorted(result.confirmed_sales) == [first.number, second.number]


def test_what_each_transaction_did_through_the_feed(shop, fake):
    """Extra words around the code, a code altered by the customer, a wrong amount, a
    transfer after a void, two waiting sales of the same amount."""
    use(shop, "sepay", fake.url)
    extra, altered, short, voided, twin_a, twin_b = (sell(shop) for _ in range(6))
    svc.void_sale(shop, voided, by=hong(shop), at=NOW, reason="khách đổi ý", tz=HANOI)
    shop.commit()
    good = code_of(altered)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    fake.post(54_000, f"MBVCB.3278907687.{code_of(extra)}.NEWME.CT tu 0912345678", at=T)
    fake.post(54_000, f"CHUYEN TIEN {wrong} NEW ME", at=T)
    fake.post(50_000, code_of(short), at=T)
    fake.post(54_000, code_of(voided), at=T)
    fake.post(54_000, code_of(twin_a), at=T)
    result = poll(shop, T + timedelta(seconds=5))
    assert result.new == 5
    got = {(r.outcome, r.reason, r.sale_id) for r in rows(shop)}
    assert got == {
        (Outcome.CONFIRMED, None, extra.id),
        (Outcome.REVIEW, Reason.NO_CODE, None),
        (Outcome.REVIEW, Reason.AMOUNT_LOW, short.id),
        (Outcome.REVIEW, Reason.VOIDED, voided.id),
        (Outcome.CONFIRMED, None, twin_a.id),
    }
    for sale in (altered, short, twin_b):
        assert sale.confirmed_at is None  # still waiting, by hand or by the bank
    no_code = next(r for r in rows(shop) if r.reason == Reason.NO_CODE)
    assert altered.number in no_code.suggestions and twin_b.number in no_code.suggestions


def test_429_is_honoured_and_the_cursor_kept(shop, fake):
    use(shop, "sepay", fake.url)
    sale = sell(shop)
    fake.post(20_000, "tien nha", at=T)
    assert poll(shop, T).new == 1
    cursor = shop.get(BankFeed, "sepay").cursor
    assert cursor
    fake.post(54_000, code_of(sale), at=T + timedelta(seconds=20))
    fake.throttle(1, retry_after="40")
    at = T + timedelta(seconds=30)
    limited = poll(shop, at, force=True)
    assert limited.error == "rate_limited" and limited.new == 0
    feed = shop.get(BankFeed, "sepay")
    assert feed.cursor == cursor and feed.next_poll_at == at + timedelta(seconds=40)
    assert feed.last_error and feed.claimed_at is None
    asked = len(fake.list_requests())
    for seconds in (15, 30, 39):  # the sale waits, yet the bank asked to wait 40 s
        assert poll(shop, at + timedelta(seconds=seconds)).skipped == "not_due"
    assert len(fake.list_requests()) == asked
    done = poll(shop, at + timedelta(seconds=40))
    assert done.confirmed_sales == [sale.number]
    assert fake.list_requests()[-1].params["since_id"] == cursor
    assert shop.get(BankFeed, "sepay").last_error == ""


def test_retry_after_as_an_http_date(shop, fake):
    use(shop, "sepay", fake.url)
    sell(shop)
    fake.throttle(1, retry_after="Fri, 20 Nov 2026 03:03:00 GMT")
    assert poll(shop, T).error == "rate_limited"
    assert shop.get(BankFeed, "sepay").next_poll_at == NOW + timedelta(minutes=3)


def test_the_cadence_follows_the_waiting_transfers(shop, fake):
    use(shop, "sepay", fake.url)
    result = poll(shop, T)
    assert result.next_poll_at == T + timedelta(seconds=poller.IDLE_SECONDS)
    assert poll(shop, T + timedelta(seconds=60)).skipped == "not_due"
    sale = sell(shop)  # a transfer is awaited now: the bank is asked at once, then often
    result = poll(shop, T + timedelta(seconds=61))
    assert result.asked and result.next_poll_at == T + timedelta(seconds=61 + 15)
    assert poll(shop, T + timedelta(seconds=70)).skipped == "not_due"
    assert poll(shop, T + timedelta(seconds=76)).asked
    svc.confirm_transfer(shop, sale, at=T + timedelta(seconds=80), by=hong(shop))
    shop.commit()  # confirmed by hand: still asked often, to check it within the days
    result = poll(shop, T + timedelta(seconds=91))
    assert result.next_poll_at == T + timedelta(seconds=91 + 15)
    shop.get(Sale, sale.id).confirmed_at = NOW - timedelta(days=4)  # past its days
    shop.commit()
    result = poll(shop, T + timedelta(seconds=106))
    assert result.next_poll_at == T + timedelta(seconds=106 + poller.IDLE_SECONDS)


def test_a_fresh_claim_keeps_a_second_process_out_and_a_stale_one_is_taken_over(shop, fake):
    use(shop, "sepay", fake.url)
    poll(shop, T)
    shop.get(BankFeed, "sepay").claimed_at = T + timedelta(seconds=50)
    shop.commit()
    assert poll(shop, T + timedelta(seconds=60), force=True).skipped == "busy"
    assert poll(shop, T + timedelta(seconds=50) + poller.STALE_CLAIM + timedelta(seconds=1),
                force=True).asked  # fmt: skip
    assert shop.get(BankFeed, "sepay").claimed_at is None


def test_no_feed_or_no_key_asks_nobody(shop, fake):
    assert poll(shop, T).skipped == "no_provider"
    use(shop, "casso", fake.url, casso_checksum_key="only-the-webhook-key")
    assert poll(shop, T).skipped == "no_key"
    assert fake.requests == []


def test_a_key_the_bank_refuses_is_said_in_her_words(shop, fake):
    use(shop, "sepay", fake.url)
    fake.sepay_token = "another"
    result = poll(shop, T)
    assert result.error == "auth" and "kiểm tra khóa API" in result.message


def test_no_internet_then_a_burst_of_500_transactions(shop, fake):
    use(shop, "sepay", fake.url)
    sales = [sell(shop) for _ in range(30)]
    fake.offline = True
    result = poll(shop, T)
    assert result.error == "network"
    feed = shop.get(BankFeed, "sepay")
    assert feed.last_error and feed.next_poll_at > T + timedelta(seconds=15)
    assert all(s.confirmed_at is None for s in sales)
    # The customers paid meanwhile; the bank also saw other money, and some paid twice.
    randomly = random.Random(17)
    contents = [code_of(s) for s in sales] + [code_of(s) for s in sales[:10]]
    while len(contents) < 500:
        sale = randomly.choice(sales)
        good = code_of(sale)
        contents.append(randomly.choice([
            f"CT {good[:-1]}{(int(good[-1]) + 3) % 10} NEW ME",  # altered
            "chuyen tien an trua", f"MBVCB.{randomly.randrange(10**9)}.tien hang",
            rules.sale_code(10_000 + randomly.randrange(900)),  # a sale that does not exist
        ]))  # fmt: skip
    randomly.shuffle(contents)
    for index, content in enumerate(contents):
        fake.post(54_000, content, at=T + timedelta(seconds=index))
    fake.offline = False
    at = T + timedelta(minutes=10)
    result = poll(shop, at)
    assert (result.error, result.new) == ("", 500)
    assert poll(shop, at + timedelta(seconds=15), force=True).new == 0
    stored = rows(shop)
    assert len(stored) == 500 and len({r.provider_id for r in stored}) == 500
    paid = [r for r in stored if r.pays_sale]
    assert sorted(r.sale_id for r in paid) == sorted(s.id for s in sales)  # each once
    assert all(s.confirmed_at == at and s.confirmed_by_id is None for s in sales)
    again = [r for r in stored if r.reason == Reason.ALREADY_CONFIRMED]
    assert len(again) == 10


def test_casso_pages_through_a_full_list(shop, fake, monkeypatch):
    monkeypatch.setattr(providers, "PAGE_SIZE", 3)
    use(shop, "casso", fake.url)
    sales = [sell(shop) for _ in range(8)]
    for index, sale in enumerate(sales):
        fake.post(54_000, code_of(sale), at=T + timedelta(seconds=index))
    result = poll(shop, T + timedelta(minutes=1))
    assert result.new == 8 and sorted(result.confirmed_sales) == [s.number for s in sales]
    pages = [r.params["page"] for r in fake.list_requests()]
    assert pages == ["1", "2", "3"]


def test_the_cli_polls_now(app, shop, fake, runner):
    use(shop, "sepay", fake.url)
    sale = sell(shop)
    fake.post(54_000, code_of(sale), at=T)
    out = runner.invoke(args=["bank", "poll"])
    assert out.exit_code == 0, out.output
    assert "1 new" in out.output and str(sale.number) in out.output
    fake.offline = True
    out = runner.invoke(args=["bank", "poll"])
    assert out.exit_code == 1 and "network" in out.output


def test_with_no_internet_hand_confirmations_are_checked_when_the_feed_is_back(shop, fake):
    """The link to the bank service is down: the sales wait, the cashier confirms them by
    hand as before. Back online, the poll verifies the one the bank shows; the other is
    "not seen at the bank" once the shop's days have passed."""
    from shop.services import bank

    use(shop, "sepay", fake.url)
    paid, unpaid = sell(shop), sell(shop)
    fake.offline = True
    assert poll(shop, T).error == "network"
    assert paid.awaiting_transfer and unpaid.awaiting_transfer  # nothing confirmed by itself
    for sale in (paid, unpaid):
        svc.confirm_transfer(shop, sale, at=T + timedelta(minutes=1), by=hong(shop))
    shop.commit()
    fake.post(54_000, f"MBVCB.3278907687 {code_of(paid)} NEW ME", at=T)
    fake.offline = False
    back = T + timedelta(minutes=10)
    result = poll(shop, back)
    assert (result.error, result.new, dict(result.outcomes)) == ("", 1, {"verified": 1})
    assert result.next_poll_at == back + timedelta(seconds=15)  # the other is still awaited
    shop.rollback()
    assert paid.confirmed_by_id == hong(shop).id and paid.bank_payment is not None
    assert bank.check_of(shop, paid, now=back) == rules.Check.VERIFIED
    assert bank.check_of(shop, unpaid, now=back) == rules.Check.PENDING
    later = T + timedelta(days=3, minutes=2)
    assert bank.check_of(shop, unpaid, now=later) == rules.Check.NOT_SEEN
    assert bank.not_seen(shop, now=later) == [unpaid]
