"""The bank inbox raced as the feeds race it: the same transaction by webhook and by poll at
the same moment, and two transactions naming one sale at once, each in its own session
(its own connection), on SQLite and PostgreSQL. Stored once, paid once, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.domain import bank as rules
from shop.domain.bank import Direction, Outcome, Reason
from shop.extensions import db
from shop.models import BankTransaction, IntakeKind, Sale
from shop.services import bank, stock
from shop.services import counter as svc
from tests.conftest import save_shop
from tests.services.test_money_races import AT, HANOI, race, unexpected, who

ROUNDS = 6


@pytest.fixture
def shop(app, coordinator, member):
    """The shop's bank account and ROUNDS × 2 sales of 50 000 đ waiting for their transfer."""
    with app.app_context(), app.test_request_context():
        session = db.session
        save_shop(session)
        hong = who(session, 1)
        intake = stock.receive_intake(
            session, stock.IntakeDetails(IntakeKind.DONATION, AT - timedelta(days=1)),
            by=hong, tz=HANOI,
        )  # fmt: skip
        svc.open_shift(session, hong, 500_000, at=AT - timedelta(hours=1), tz=HANOI)
        for n in range(ROUNDS * 2):
            stock.add_item(session, intake, stock.ItemDetails("Váy", 50_000, code=f"DRESS{n}"))
            request = svc.SaleRequest((svc.LineRequest(f"DRESS{n}"),), all_by_transfer=True)
            svc.record_sale(session, request, cashier=hong, at=AT, tz=HANOI)
        session.commit()
    return app


def arrives(number: int, provider_id: str, via: str):
    def attempt(session):
        incoming = rules.BankTransaction(
            provider="sepay", provider_id=provider_id, direction=Direction.IN,
            amount_dong=50_000, content=f"MBVCB.3278907687 {rules.sale_code(number)} NEW ME",
            at=AT + timedelta(minutes=1), account="113366668888", reference="FT" + provider_id,
        )  # fmt: skip
        row, new = bank.receive(
            session, incoming, via=via, signature_ok=True, at=AT + timedelta(minutes=2)
        )
        return row.id, new, row.outcome, row.reason

    return attempt


def inbox(app, number: int) -> tuple[int, int, bool]:
    """(transactions naming sale ``number``, those paying it, whether it is confirmed)."""
    with app.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        named = select(func.count(BankTransaction.id)).where(BankTransaction.sale_id == sale.id)
        return (
            db.session.scalar(named),
            db.session.scalar(named.where(BankTransaction.pays_sale)),
            sale.confirmed_at is not None,
        )


def test_one_transaction_by_webhook_and_by_poll_at_once_is_stored_once(shop):
    for number in range(1, ROUNDS + 1):
        outcomes = race(
            shop,
            arrives(number, f"sp-{number}", "webhook"),
            arrives(number, f"sp-{number}", "poll"),
        )
        assert unexpected(outcomes) == []
        assert sorted(new for _id, new, *_ in outcomes) == [False, True]
        assert len({row_id for row_id, *_ in outcomes}) == 1
        assert {outcome for _id, _new, outcome, _reason in outcomes} == {Outcome.CONFIRMED}
        assert inbox(shop, number) == (1, 1, True)


def test_two_transactions_for_one_sale_at_once_pay_it_once(shop):
    for number in range(ROUNDS + 1, 2 * ROUNDS + 1):
        outcomes = race(
            shop, arrives(number, f"a-{number}", "webhook"), arrives(number, f"b-{number}", "poll")
        )
        assert unexpected(outcomes) == []
        assert sorted((o, r or "") for _id, _new, o, r in outcomes) == [
            (Outcome.CONFIRMED, ""), (Outcome.REVIEW, Reason.ALREADY_CONFIRMED),
        ]  # fmt: skip
        assert inbox(shop, number) == (2, 1, True)
