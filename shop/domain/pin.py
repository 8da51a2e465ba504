"""PINs: short numbers a member remembers, checked here before they are hashed; and how
wrong PINs are counted and lock a phone or an address."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8


class PinError(ValueError):
    """A PIN that cannot be used. ``code`` says why, for a translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_new_pin(pin: str) -> str:
    """Return ``pin`` if it can be a member's PIN: 4 to 8 ASCII digits, not all the same.

    Raises :class:`PinError` with code ``empty``, ``digits``, ``length`` or ``weak``.
    """
    if not pin:
        raise PinError("empty")
    if not (pin.isascii() and pin.isdigit()):
        raise PinError("digits")
    if not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise PinError("length")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise PinError("weak")
    return pin


# ---------------------------------------------------------------- wrong PINs and locks


@dataclass(frozen=True)
class LockPolicy:
    """How many wrong PINs in a row lock a phone or an address, and for how long.

    A phone (or a member at the counter's switch) is locked after ``max_failures`` wrong
    PINs in a row, wherever they came from; an address after ``address_max_failures``,
    whichever phones were tried from it. The address limit is the lower one, so that a
    stranger guessing from one place has her address locked before the phone she guesses:
    the member can still sign in from her own phone. Each further lock of the same phone or
    address lasts twice as long as the one before (15 minutes, 30, 60, …, at most
    ``max_lock_minutes``) until a good sign-in, or a day without a lock, starts it over.
    """

    max_failures: int = 5
    lock_minutes: int = 15
    address_max_failures: int = 3
    max_lock_minutes: int = 24 * 60

    def limit(self, key: str) -> int:
        """Wrong PINs in a row that lock ``key`` (a phone, a member, or an address key)."""
        return self.address_max_failures if key.startswith(ADDRESS_PREFIX) else self.max_failures

    def lock_length(self, earlier_locks: int) -> timedelta:
        """How long the lock after ``earlier_locks`` locks in a row lasts."""
        minutes = self.lock_minutes * 2 ** min(max(earlier_locks, 0), 20)
        return timedelta(minutes=min(minutes, self.max_lock_minutes))


@dataclass(frozen=True)
class LockState:
    """The wrong PINs counted for one key: in a row, the lock if any, and locks in a row."""

    failures: int = 0
    locked_until: datetime | None = None
    locks: int = 0

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def after_wrong_pin(self, limit: int, policy: LockPolicy, now: datetime) -> LockState:
        """The count after one more wrong PIN: locked once it reaches ``limit``."""
        locks = self.locks
        if self.locked_until is not None and now - self.locked_until >= timedelta(
            minutes=policy.max_lock_minutes
        ):
            locks = 0  # a day and more since the last lock ended: it is forgotten
        if self.failures + 1 < limit:
            return LockState(self.failures + 1, self.locked_until, locks)
        return LockState(0, now + policy.lock_length(locks), locks + 1)


#: After a good sign-in nothing is counted any more.
CLEAR = LockState()

ADDRESS_PREFIX = "ip:"


def clean_address(text: str | None) -> str | None:
    """The address a request came from as the shop keeps it, or ``None`` if it is none."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def address_key(text: str | None) -> str | None:
    """The key that counts wrong PINs from the address ``text``; ``None`` for no address.

    An IPv4 address counts alone; an IPv6 address by its /64 network, which one phone or
    one home gets whole (its owner can pick any address in it).
    """
    address = clean_address(text)
    if address is None:
        return None
    if ":" in address:
        address = str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ADDRESS_PREFIX + address
