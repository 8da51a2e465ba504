from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shop.domain.calendar import local_date, membership_covers
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pin import PinError, check_new_pin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("(024) 3826-1234", "02438261234"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phone_normalised(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("12345", "invalid"),
        ("0912abc678", "invalid"),
        ("٠٩١٢٣٤٥٦٧٨", "invalid"),
    ],
)
def test_phone_refused(text, code):
    with pytest.raises(PhoneError) as caught:
        normalize_phone(text)
    assert caught.value.code == code


def test_other_country_code():
    assert normalize_phone("+66 81 234 5678", country_code="66") == "0812345678"


@pytest.mark.parametrize("pin", ["2468", "1357", "80413", "80413579"])
def test_good_pins(pin):
    assert check_new_pin(pin) == pin


@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("", "empty"),
        ("12a4", "digits"),
        ("１２３４", "digits"),
        ("123", "length"),
        ("123456789", "length"),
        ("1111", "weak"),
        ("1234", "weak"),
        ("9876", "weak"),
    ],
)
def test_bad_pins(pin, code):
    with pytest.raises(PinError) as caught:
        check_new_pin(pin)
    assert caught.value.code == code


def test_local_date_crosses_midnight_in_hanoi():
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    # 17:30 UTC on 31 October is 00:30 on 1 November in Hanoi.
    assert local_date(datetime(2026, 10, 31, 17, 30, tzinfo=UTC), hanoi) == date(2026, 11, 1)
    assert local_date(datetime(2026, 10, 31, 16, 59, tzinfo=UTC), hanoi) == date(2026, 10, 31)
    with pytest.raises(ValueError):
        local_date(datetime(2026, 10, 31, 16, 59), hanoi)  # noqa: DTZ001 naive on purpose


def test_membership_covers_last_day_and_not_after():
    joined, left = date(2026, 10, 1), date(2026, 11, 30)
    assert not membership_covers(joined, left, date(2026, 9, 30))
    assert membership_covers(joined, left, date(2026, 10, 1))
    assert membership_covers(joined, left, date(2026, 11, 30))
    assert not membership_covers(joined, left, date(2026, 12, 1))
    assert membership_covers(joined, None, date(2030, 1, 1))
