"""The payment code and the matching rule, with no database."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain import bank as rules
from shop.domain.bank import Check, Outcome, Reason, SaleState, SaleView


def test_damm_check_digit_of_the_published_example():
    # Damm's own worked example: 572 gets check digit 4, and 5724 checks.
    assert rules.damm_digit("572") == "4"
    assert rules.damm_valid("5724")
    assert not rules.damm_valid("5725")


def test_sale_code_is_prefix_number_and_check_digit():
    assert rules.sale_code(1234) == "NM12340"  # the Damm digit of 1234 is 0
    assert rules.sale_code(12345) == "NM123459"
    assert rules.sale_code(572, "SHOP") == "SHOP5724"
    for bad in (0, -1, True, "12"):
        with pytest.raises(rules.CodeError):
            rules.sale_code(bad)
    with pytest.raises(rules.CodeError):
        rules.sale_code(1, "nm")


@given(st.integers(min_value=1, max_value=10**9))
def test_every_single_digit_error_and_neighbour_swap_is_caught(number):
    code = rules.sale_code(number)
    digits = code[2:]
    for i, char in enumerate(digits):
        for other in "0123456789":
            if other != char:
                altered = digits[:i] + other + digits[i + 1 :]
                assert not rules.damm_valid(altered)
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            assert not rules.damm_valid(swapped)


def test_purpose_puts_the_shop_name_after_the_code_when_there_is_room():
    assert rules.purpose("NM12340", "NEW ME – Đồ cũ") == "NM12340 NEW ME Do cu"
    long = rules.purpose("NM12340", "Cửa hàng đồ cũ của nhóm chị em")
    assert long.startswith("NM12340 ") and len(long) <= 25
    assert rules.purpose("NM12340", "") == "NM12340"


def test_codes_are_found_among_the_banks_own_words():
    content = "MBVCB.3278907687.NM12340.NEW ME Do cu.CT tu 0123456789 NGUYEN VAN A"
    assert rules.codes_in(content) == [rules.Code(number=1234)]
    assert rules.codes_in("nm12340newme") == [rules.Code(number=1234)]
    assert rules.codes_in("NM12341") == []  # one digit altered: no code at all
    assert rules.codes_in("NM12430") == []  # two digits swapped
    assert rules.codes_in("chuyen tien 12345") == []
    assert rules.codes_in("NM12340 NM12340") == [rules.Code(number=1234)]
    # A longer run with a wrong check digit is never shortened into a valid code.
    assert rules.codes_in("NM123401") == []


def test_an_offline_reference_code_round_trips():
    code = rules.reference_code("1A2B3C4D")
    assert code.startswith("NM0") and len(code) == 2 + 1 + 10 + 1
    assert rules.codes_in(f"IBFT {code} NEWME") == [
        rules.Code(reference_digits=f"{0x1A2B3C4D:010d}")
    ]
    assert rules.reference_of("5f1c6a0e-8d3b-4c1e-9f0a-1a2b3c4d") == "1A2B3C4D"
    with pytest.raises(rules.CodeError):
        rules.reference_code("NOTHEX!!")


def waiting(amount=54_000, state=SaleState.WAITING):
    return SaleView(number=2, transfer_dong=amount, state=state)


@pytest.mark.parametrize(
    ("amount", "sales", "own", "expected"),
    [
        (54_000, [waiting()], True, (Outcome.CONFIRMED, None)),
        (54_000, [waiting(state=SaleState.HAND)], True, (Outcome.VERIFIED, None)),
        (50_000, [waiting()], True, (Outcome.REVIEW, Reason.AMOUNT_LOW)),
        (60_000, [waiting()], True, (Outcome.REVIEW, Reason.AMOUNT_HIGH)),
        (50_000, [waiting(state=SaleState.HAND)], True, (Outcome.REVIEW, Reason.AMOUNT_LOW)),
        (54_000, [waiting(state=SaleState.BANK)], True, (Outcome.REVIEW, Reason.ALREADY_CONFIRMED)),
        (54_000, [waiting(state=SaleState.VOIDED)], True, (Outcome.REVIEW, Reason.VOIDED)),
        (
            54_000,
            [waiting(state=SaleState.NO_TRANSFER)],
            True,
            (Outcome.REVIEW, Reason.NO_TRANSFER),
        ),
        (54_000, [], True, (Outcome.REVIEW, Reason.NO_CODE)),
        (54_000, [None], True, (Outcome.REVIEW, Reason.UNKNOWN_SALE)),
        (54_000, [waiting(), waiting()], True, (Outcome.REVIEW, Reason.SEVERAL_CODES)),
        (54_000, [rules.AMBIGUOUS_SALE], True, (Outcome.REVIEW, Reason.AMBIGUOUS)),
        (54_000, [waiting()], False, (Outcome.REVIEW, Reason.OTHER_ACCOUNT)),
    ],
)
def test_decide(amount, sales, own, expected):
    decision = rules.decide(amount, sales, own_account=own)
    assert (decision.outcome, decision.reason) == expected


def test_check_of_a_hand_confirmed_transfer_turns_not_seen_after_the_days():
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    base = dict(transfer_dong=54_000, voided=False, by_hand=True, days=3, now=now)
    since = now - timedelta(days=30)
    hour_ago = now - timedelta(hours=1)
    assert (
        rules.check(**base, confirmed_at=hour_ago, by_bank=False, feed_since=since) == Check.PENDING
    )
    old = now - timedelta(days=4)
    assert rules.check(**base, confirmed_at=old, by_bank=False, feed_since=since) == Check.NOT_SEEN
    assert rules.check(**base, confirmed_at=old, by_bank=True, feed_since=since) == Check.VERIFIED
    assert rules.check(**base, confirmed_at=old, by_bank=False, feed_since=None) == Check.UNCHECKED
    assert rules.check(**base, confirmed_at=None, by_bank=False, feed_since=since) == Check.WAITING


@given(
    st.integers(min_value=1, max_value=10**17),
    st.text(max_size=80),
    st.sampled_from(["NM", "SHOPVN"]),
)
def test_the_purpose_always_keeps_the_whole_code_and_reads_back(number, shop_name, prefix):
    from shop.domain import vietqr

    code = rules.sale_code(number, prefix)
    text = rules.purpose(code, shop_name)
    assert text.startswith(code) and len(text) <= vietqr.MAX_PURPOSE
    assert vietqr.ascii_purpose(text) == text
    account = vietqr.BankAccount("970415", "113366668888")
    read = vietqr.parse(vietqr.payload(account, 45_000, text))["purpose"]
    assert read == text and rules.codes_in(read, prefix)[0] == rules.Code(number=number)
    # A bank that drops the spaces still leaves the code readable.
    assert rules.codes_in(read.replace(" ", ""), prefix)[0] == rules.Code(number=number)


def test_a_code_too_long_for_the_purpose_is_refused():
    with pytest.raises(rules.CodeError):
        rules.purpose(rules.sale_code(10**20, "SHOPVN"))
