from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shop.domain.calendar import local_date, membership_covers
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pin import (
    LockPolicy,
    LockState,
    PinError,
    address_key,
    check_new_pin,
    clean_address,
)


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


# ---------------------------------------------------------------- wrong PINs and locks

POLICY = LockPolicy()  # 5 for a phone, 3 for an address, 15 minutes first, 24 hours at most
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_a_phone_locks_after_five_an_address_after_three():
    assert POLICY.limit("0912000001") == POLICY.limit("member:3") == 5
    assert POLICY.limit("ip:10.0.0.7") == 3
    state = LockState()
    for failures in range(1, 5):
        state = state.after_wrong_pin(5, POLICY, T0)
        assert (state.failures, state.is_locked(T0)) == (failures, False)
    state = state.after_wrong_pin(5, POLICY, T0)
    assert state == LockState(0, T0 + timedelta(minutes=15), 1)
    assert state.is_locked(T0 + timedelta(minutes=14, seconds=59))
    assert not state.is_locked(T0 + timedelta(minutes=15))


def test_each_further_lock_lasts_twice_as_long_up_to_a_day():
    lengths = [POLICY.lock_length(locks) for locks in range(9)]
    assert [int(length.total_seconds() // 60) for length in lengths] == [
        15, 30, 60, 120, 240, 480, 960, 1440, 1440,
    ]  # fmt: skip
    assert POLICY.lock_length(10_000) == timedelta(hours=24)
    state, now = LockState(), T0
    for expected in (15, 30, 60):
        for _ in range(3):
            state = state.after_wrong_pin(3, POLICY, now)
        assert state.locked_until == now + timedelta(minutes=expected)
        now = state.locked_until


def test_a_lock_a_day_old_is_forgotten():
    state = LockState(failures=0, locked_until=T0, locks=4)  # the next would last 4 hours
    tomorrow = T0 + timedelta(hours=24)
    for _ in range(5):
        state = state.after_wrong_pin(5, POLICY, tomorrow)
    assert state.locked_until == tomorrow + timedelta(minutes=15) and state.locks == 1


@pytest.mark.parametrize(
    ("remote", "key", "kept"),
    [
        ("10.0.0.7", "ip:10.0.0.7", "10.0.0.7"),
        (" 192.168.1.20 ", "ip:192.168.1.20", "192.168.1.20"),
        ("::ffff:10.0.0.7", "ip:10.0.0.7", "10.0.0.7"),
        (
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
            "ip:2001:db8:1:2::/64",
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
        ),
        ("2001:db8:1:2::99", "ip:2001:db8:1:2::/64", "2001:db8:1:2::99"),
        ("", None, None),
        (None, None, None),
        ("not an address", None, None),
    ],
)
def test_addresses_are_counted_by_host_and_ipv6_by_its_64_network(remote, key, kept):
    assert address_key(remote) == key
    assert clean_address(remote) == kept
    if key:
        assert len(key) <= 32  # the lock table's key column
