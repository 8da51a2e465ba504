"""A payout recorded wrong is corrected by a counter-entry with a reason, never an edit.

November of ``test_month``: Hồng (1) is due 64.834 ₫ and Ngọc (2) 105.611 ₫.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from shop.domain.money import format_dong
from shop.models import AuditEvent, PaymentMethod, Payout, PayoutCorrection
from shop.services import counter
from shop.services import month as month_service

from . import test_month
from .test_month import HANOI, english, local, refusal, who

# test_month's fixtures, under their own names: ctx (its stock), closed_november (its month).
ctx = test_month.ctx
closed_november = test_month.closed_november


def pay(session, member, amount, paid_on=date(2026, 12, 2)):
    payout, _new = month_service.record_payout(
        session, member, "2026-11", amount, paid_on, PaymentMethod.CASH, who(session, 1)
    )
    return payout


def correct(session, payout, amount, reason="nhầm người", at=None, by=1, client_id=None):
    return month_service.correct_payout(
        session, payout, amount, reason, by=who(session, by), at=at or local(12, 3),
        tz=HANOI, client_id=client_id,
    )  # fmt: skip


def row(session, number, month="2026-11"):
    figures = month_service.month_figures(session, month, HANOI)
    return next(m for m in figures.members if m.member == number)


def test_a_payout_to_the_wrong_member_is_reversed_and_paid_again(closed_november):
    books = closed_november
    hong, ngoc = who(books, 1), who(books, 2)
    wrong = pay(books, ngoc, 60_000)  # meant for Hồng
    assert (row(books, 2).paid_dong, row(books, 2).carried_forward_dong) == (60_000, 45_611)

    correction, new = correct(books, wrong, 60_000, "  Trả nhầm   cho chị Ngọc ")
    assert new and correction.reason == "Trả nhầm cho chị Ngọc"
    books.commit()
    # The payout is as it was; what it counts for is its amount less the correction.
    assert (wrong.amount_dong, wrong.corrected_dong, wrong.net_dong) == (60_000, 60_000, 0)
    assert (row(books, 2).paid_dong, row(books, 2).carried_forward_dong) == (0, 105_611)
    # December brings her whole balance forward again, as if the payout never counted.
    assert row(books, 2, "2026-12").brought_forward_dong == 105_611
    pay(books, hong, 60_000)
    assert (row(books, 1).paid_dong, row(books, 1).carried_forward_dong) == (60_000, 4_834)
    # Her whole due can be paid once more: the corrected payout no longer takes room.
    pay(books, ngoc, 105_611)
    assert row(books, 2).carried_forward_dong == 0

    event = books.scalar(select(AuditEvent).where(AuditEvent.action == "payout_corrected"))
    assert event.by_id == hong.id and event.subject == "member 2"
    assert event.detail == {
        "month": "2026-11", "payout": wrong.id, "payout_dong": 60_000, "paid_on": "2026-12-02",
        "amount_dong": 60_000, "left_dong": 0, "reason": "Trả nhầm cho chị Ngọc",
    }  # fmt: skip
    assert event.at == local(12, 3)


def test_a_wrong_amount_is_taken_back_in_part_never_past_the_payout(closed_november):
    books = closed_november
    ngoc = who(books, 2)
    payout = pay(books, ngoc, 100_000)  # she was handed 10.000 ₫
    correct(books, payout, 50_000, "gõ nhầm số")
    correct(books, payout, 40_000, "gõ nhầm số")
    assert (row(books, 2).paid_dong, row(books, 2).carried_forward_dong) == (10_000, 95_611)

    above = refusal(lambda: correct(books, payout, 10_001))
    assert above.field == "amount_dong"
    assert english(above) == f"At most {format_dong(10_000)} of this payout can be taken back."
    correct(books, payout, 10_000)
    done = refusal(lambda: correct(books, payout, 1))
    assert english(done) == "This payout has already been taken back in full."
    assert row(books, 2).paid_dong == 0
    assert books.scalar(select(func.count(PayoutCorrection.id))) == 3


@pytest.mark.parametrize(
    ("amount", "reason", "by", "field"),
    [
        (0, "lý do", 1, "amount_dong"),
        (-5_000, "lý do", 1, "amount_dong"),
        (True, "lý do", 1, "amount_dong"),
        (10**16, "lý do", 1, "amount_dong"),
        (1_000, "   ", 1, "reason"),
        (1_000, "x" * 301, 1, "reason"),
        (1_000, "lý do", 2, "payout"),  # Ngọc is not a coordinator
    ],
)
def test_a_correction_that_makes_no_sense_is_refused_at_its_field(
    closed_november, amount, reason, by, field
):
    books = closed_november
    payout = pay(books, who(books, 2), 20_000)
    assert refusal(lambda: correct(books, payout, amount, reason, by=by)).field == field
    assert payout.net_dong == 20_000


def test_a_correction_is_not_dated_before_its_payout_and_is_made_once(closed_november):
    books = closed_november
    payout = pay(books, who(books, 2), 20_000, paid_on=date(2026, 12, 2))
    assert refusal(lambda: correct(books, payout, 1_000, at=local(12, 1, 20))).field == "at"
    first, new = correct(books, payout, 5_000, client_id="fix-payout-0001")
    again, new_again = correct(books, payout, 5_000, client_id="fix-payout-0001")
    assert (new, new_again, again.id) == (True, False, first.id)
    assert payout.net_dong == 15_000


def test_no_correction_once_the_next_month_is_closed(closed_november):
    books = closed_november
    hong = who(books, 1)
    payout = pay(books, who(books, 2), 20_000)
    counter.close_shift(books, books.info["december"], 100_000, at=local(12, 1, 1), by=hong)
    month_service.close_month(books, "2026-12", by=hong, at=local(1, 1, year=2027), tz=HANOI)
    late = refusal(lambda: correct(books, payout, 1_000, at=local(1, 2, year=2027)))
    assert late.field == "payout"
    assert "can no longer be corrected" in english(late)


def _refused(session, sql, **params):
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text(sql), params)


def test_the_database_keeps_payouts_and_corrections_append_only_and_within_the_payout(
    closed_november,
):
    books = closed_november
    payout = pay(books, who(books, 2), 20_000)
    correct(books, payout, 15_000)
    books.flush()
    insert = (
        "INSERT INTO payout_correction (payout_id, amount_dong, reason, at, by_id, created_at) "
        "VALUES (:payout, :amount, :reason, :at, 1, :at)"
    )
    at = local(12, 4).replace(tzinfo=None)
    _refused(books, insert, payout=payout.id, amount=5_001, reason="quá", at=at)
    _refused(books, insert, payout=payout.id, amount=0, reason="không", at=at)
    _refused(books, insert, payout=payout.id, amount=1, reason="  ", at=at)
    _refused(books, "UPDATE payout SET amount_dong = 1 WHERE id = :id", id=payout.id)
    _refused(books, "DELETE FROM payout WHERE id = :id", id=payout.id)
    _refused(books, "UPDATE payout_correction SET amount_dong = 1")
    _refused(books, "DELETE FROM payout_correction")
    # What is left of the payout can still be taken back, to the đồng.
    with books.begin_nested():
        books.execute(
            text(insert), {"payout": payout.id, "amount": 5_000, "reason": "đủ", "at": at}
        )
    assert books.scalar(select(func.sum(PayoutCorrection.amount_dong))) == 20_000
    assert books.scalar(select(Payout.amount_dong)) == 20_000
