"""The bank inbox: every transaction stored once, matched in the same transaction, and only
a valid code of a sale waiting for exactly that amount confirms it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from shop.domain import bank as rules
from shop.domain.bank import Direction, Outcome, Reason
from shop.extensions import db
from shop.models import AuditEvent, BankTransaction, PaymentMethod, Role
from shop.services import bank
from shop.services import counter as svc
from shop.services import members as member_service
from shop.services.errors import InvalidInput
from tests import factories
from tests.conftest import save_shop
from tests.factories import donated

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app, coordinator, member):
    with app.app_context(), app.test_request_context():
        session = db.session
        save_shop(session)
        donated(
            session, datetime(2026, 11, 1, 2, tzinfo=UTC), **dict.fromkeys("ABCDEF", ("Áo", 54_000))
        )
        hong = member_service.get_member(session, 1)
        svc.open_shift(session, hong, 100_000, at=AT, tz=HANOI)
        session.commit()
        yield session


def hong(session):
    return member_service.get_member(session, 1)


def sell(session, code, *, transfer=True, at=AT, client_id=None):
    return factories.sell(session, code, at=at, all_by_transfer=transfer, client_id=client_id)


def tx(content, amount=54_000, *, pid="t1", direction=Direction.IN, account="113366668888",
       at=AT + timedelta(minutes=1)):  # fmt: skip
    return rules.BankTransaction(
        provider="sepay", provider_id=pid, direction=direction, amount_dong=amount,
        content=content, at=at, account=account, reference="FT" + pid, raw="{}",
    )  # fmt: skip


def receive(session, incoming):
    row, new = bank.receive(
        session, incoming, via="webhook", signature_ok=True, at=AT + timedelta(minutes=2)
    )
    session.commit()
    return row, new


def code(sale):
    return rules.sale_code(sale.number)


def test_the_code_of_a_waiting_sale_for_its_exact_amount_confirms_it(ctx):
    sale = sell(ctx, "A")
    ctx.commit()
    row, new = receive(ctx, tx(f"MBVCB.3278907687.{code(sale)}.NEWME.CT tu 0123"))
    assert new and row.outcome == Outcome.CONFIRMED and row.pays_sale
    assert sale.confirmed_at is not None and sale.confirmed_by_id is None
    assert sale.bank_payment.id == row.id
    assert bank.check_of(ctx, sale, now=AT) == rules.Check.BANK
    event = ctx.scalar(select(AuditEvent).where(AuditEvent.action == "bank_confirmed"))
    assert event.subject == f"sale {sale.number}" and event.by_id is None


def test_the_same_transaction_delivered_again_changes_nothing(ctx):
    sale = sell(ctx, "A")
    ctx.commit()
    first, _ = receive(ctx, tx(code(sale)))
    again, new = receive(ctx, tx(code(sale), amount=1))  # even if the feed says otherwise
    assert not new and again.id == first.id and again.amount_dong == 54_000
    assert ctx.scalar(select(func.count(BankTransaction.id))) == 1


@pytest.mark.parametrize(
    ("content", "amount", "reason"),
    [
        ("{code}", 50_000, Reason.AMOUNT_LOW),
        ("{code}", 60_000, Reason.AMOUNT_HIGH),
        ("{bad}", 54_000, Reason.NO_CODE),
        ("chuyen tien", 54_000, Reason.NO_CODE),
        ("{unknown}", 54_000, Reason.UNKNOWN_SALE),
    ],
)
def test_anything_else_goes_to_review_and_leaves_the_sale_waiting(ctx, content, amount, reason):
    sale = sell(ctx, "A")
    other = sell(ctx, "B")
    ctx.commit()
    good = code(sale)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    row, _ = receive(
        ctx, tx(content.format(code=good, bad=bad, unknown=rules.sale_code(999_999)), amount)
    )
    assert (row.outcome, row.reason) == (Outcome.REVIEW, reason)
    assert sale.awaiting_transfer and other.awaiting_transfer
    if reason == Reason.NO_CODE:
        # Two sales wait for 54 000 đ: both suggested, neither confirmed.
        assert sorted(row.suggestions) == sorted([sale.number, other.number])


def test_a_transfer_after_a_void_goes_to_review(ctx):
    sale = sell(ctx, "A")
    svc.void_sale(ctx, sale, by=hong(ctx), at=AT, reason="khách đổi ý", tz=HANOI)
    ctx.commit()
    row, _ = receive(ctx, tx(code(sale)))
    assert (row.outcome, row.reason) == (Outcome.REVIEW, Reason.VOIDED)


def test_a_second_transfer_for_a_sale_the_bank_confirmed_goes_to_review(ctx):
    sale = sell(ctx, "A")
    ctx.commit()
    receive(ctx, tx(code(sale), pid="t1"))
    row, _ = receive(ctx, tx(code(sale), pid="t2"))
    assert (row.outcome, row.reason) == (Outcome.REVIEW, Reason.ALREADY_CONFIRMED)


def test_a_transfer_confirmed_by_hand_is_verified_when_the_bank_shows_it(ctx):
    sale = sell(ctx, "A")
    svc.confirm_transfer(ctx, sale, at=AT, by=hong(ctx))
    ctx.commit()
    assert sale.confirmed_by_id == hong(ctx).id
    row, _ = receive(ctx, tx(code(sale)))
    assert row.outcome == Outcome.VERIFIED
    assert bank.check_of(ctx, sale, now=AT) == rules.Check.VERIFIED
    event = ctx.scalar(select(AuditEvent).where(AuditEvent.action == "bank_verified"))
    assert event.subject == f"sale {sale.number}" and event.by_id is None
    assert event.detail["provider_id"] == "t1"


def test_an_offline_sale_is_found_by_its_reference_code(ctx):
    sale = sell(ctx, "A", client_id="5f1c6a0e-8d3b-4c1e-9f0a-00001a2b3c4d")
    ctx.commit()
    row, _ = receive(ctx, tx("IBFT " + rules.reference_code("1A2B3C4D") + " NEWME"))
    assert row.outcome == Outcome.CONFIRMED and row.sale_id == sale.id


def test_a_transfer_to_another_account_goes_to_review(ctx):
    sale = sell(ctx, "A")
    ctx.commit()
    row, _ = receive(ctx, tx(code(sale), account="999999"))
    assert row.reason == Reason.OTHER_ACCOUNT and sale.awaiting_transfer


def test_money_out_matches_a_transfer_refund_of_that_amount(ctx):
    sale = sell(ctx, "A", transfer=False)
    ctx.commit()
    refund, _ = svc.refund_line(
        ctx, sale, sale.lines[0].position, amount_dong=54_000, quantity=1,
        method=PaymentMethod.TRANSFER, reason="áo rách", restock=True, by=hong(ctx),
        at=AT + timedelta(minutes=1), shift=svc.current_shift(ctx, hong(ctx)), tz=HANOI,
    )  # fmt: skip
    ctx.commit()
    row, _ = receive(ctx, tx("hoan tien", direction=Direction.OUT))
    assert row.outcome == Outcome.OUTGOING and row.refund_id == refund.id
    other, _ = receive(ctx, tx("hoan tien", pid="t2", direction=Direction.OUT))
    assert (other.outcome, other.reason) == (Outcome.REVIEW, Reason.OUTGOING)
    # The automatic match is in the audit log, by nobody; the unmatched one is not.
    [event] = ctx.scalars(select(AuditEvent).where(AuditEvent.action == "bank_outgoing")).all()
    assert (event.subject, event.by_id) == (f"sale {sale.number}", None)
    assert (event.detail["amount_dong"], event.detail["provider_id"]) == (54_000, "t1")


def test_a_coordinator_decides_a_review(ctx):
    sale = sell(ctx, "A")
    ctx.commit()
    row, _ = receive(ctx, tx("chuyen tien ao"))
    with pytest.raises(InvalidInput) as refused:
        bank.resolve(ctx, row, by=hong(ctx), at=AT, sale_number=None, note="")
    assert refused.value.field == "note"
    bank.resolve(ctx, row, by=hong(ctx), at=AT, sale_number=sale.number)
    ctx.commit()
    assert not sale.awaiting_transfer and sale.bank_payment.id == row.id
    with pytest.raises(InvalidInput):
        bank.resolve(ctx, row, by=hong(ctx), at=AT, note="lần hai")
    assert ctx.scalar(select(AuditEvent).where(AuditEvent.action == "bank_review")) is not None


def test_a_member_cannot_decide_a_review(ctx):
    ctx.commit()
    row, _ = receive(ctx, tx("chuyen tien"))
    ngoc = member_service.get_member(ctx, 2)
    assert ngoc.role == Role.MEMBER
    with pytest.raises(Exception) as refused:
        bank.resolve(ctx, row, by=ngoc, at=AT, note="tiền gửi")
    assert refused.value.status == 403


def test_what_was_received_cannot_be_changed_or_deleted(ctx):
    ctx.commit()
    row, _ = receive(ctx, tx("chuyen tien"))
    for statement in (
        "UPDATE bank_transaction SET amount_dong = 1",
        "UPDATE bank_transaction SET content = 'NM21'",
        "DELETE FROM bank_transaction",
    ):
        with pytest.raises((IntegrityError, DBAPIError)):
            ctx.execute(text(statement))
            ctx.flush()
        ctx.rollback()
    assert ctx.get(BankTransaction, row.id).amount_dong == 54_000


def test_hand_confirmed_transfers_not_seen_after_the_set_days(ctx):
    bank.save_settings(ctx, by=hong(ctx), at=AT - timedelta(days=1), provider="sepay")
    sale = sell(ctx, "A")
    svc.confirm_transfer(ctx, sale, at=AT, by=hong(ctx))
    ctx.commit()
    assert bank.not_seen(ctx, now=AT + timedelta(days=1)) == []
    assert bank.not_seen(ctx, now=AT + timedelta(days=4)) == [sale]
    assert bank.check_of(ctx, sale, now=AT + timedelta(days=4)) == rules.Check.NOT_SEEN


def test_the_feeds_settings_are_audited_without_their_keys(ctx):
    keys = {"sepay_api_token": "tok-never-in-the-log", "casso_checksum_key": "sum-never"}
    bank.save_settings(ctx, by=hong(ctx), at=AT, provider="sepay", new_keys=keys)
    ctx.commit()
    event = ctx.scalar(select(AuditEvent).where(AuditEvent.action == "bank_settings"))
    assert event.by_id == hong(ctx).id
    assert event.detail["provider"] == {"old": "", "new": "sepay"}
    assert "code_prefix" not in event.detail  # unchanged: NM as before
    assert event.detail["keys_changed"] == ["casso_checksum_key", "sepay_api_token"]
    assert all(secret not in str(event.detail) for secret in keys.values())


def test_every_key_from_the_environment_wins_over_the_saved_one(ctx):
    saved = {name: f"saved-{name}" for name in bank.ENVIRONMENT}
    bank.save_settings(ctx, by=hong(ctx), at=AT, provider="casso", new_keys=saved)
    ctx.commit()
    assert bank.keys(ctx, {}) == bank.Keys(**saved)
    environ = {variable: f"env-{name}" for name, variable in bank.ENVIRONMENT.items()}
    assert set(environ) == {"SHOP_SEPAY_WEBHOOK_KEY", "SHOP_SEPAY_API_TOKEN",
                            "SHOP_CASSO_API_KEY", "SHOP_CASSO_CHECKSUM_KEY"}  # fmt: skip
    in_force = bank.keys(ctx, environ)
    assert {name: getattr(in_force, name) for name in bank.ENVIRONMENT} == {
        name: f"env-{name}" for name in bank.ENVIRONMENT
    }
    assert in_force.from_environment == frozenset(bank.ENVIRONMENT)
    # One set in the environment, blank ones aside: only that one wins.
    one = bank.keys(ctx, {"SHOP_CASSO_CHECKSUM_KEY": "env-sum", "SHOP_CASSO_API_KEY": " "})
    assert (one.casso_checksum_key, one.casso_api_key) == ("env-sum", "saved-casso_api_key")
    assert one.from_environment == {"casso_checksum_key"}


def test_the_shops_own_prefix_is_in_the_qr_and_the_only_one_read_back(ctx):
    from shop.domain import vietqr
    from shop.services.transfers import transfer_payload

    bank.save_settings(ctx, by=hong(ctx), at=AT, provider="sepay", code_prefix="newme")
    sale = sell(ctx, "A")
    ctx.commit()
    payload, purpose = transfer_payload(ctx, sale)
    assert purpose.startswith(rules.sale_code(sale.number, "NEWME")) and len(purpose) <= 25
    assert vietqr.parse(payload)["purpose"] == purpose and purpose.isascii()
    # The default prefix's code no longer names the sale; the shop's own does.
    old, _ = receive(ctx, tx(rules.sale_code(sale.number), pid="t1"))
    assert (old.outcome, old.reason) == (Outcome.REVIEW, Reason.NO_CODE)
    row, _ = receive(ctx, tx(f"MBVCB.1 {purpose}", pid="t2"))
    assert row.outcome == Outcome.CONFIRMED and row.sale_id == sale.id
