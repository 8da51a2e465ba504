"""Transfers the bank saw: the payment code a sale's transfer carries, and what a
transaction from the bank's feed means for the sale it names. Pure: ints, strings, dates.

**The payment code.** A transfer's purpose (VietQR tag 62-08) starts with the shop's prefix
(``NM`` unless the shop chose another), the sale number and one Damm check digit:
``NM12340`` is sale 1234 (the Damm digit of ``1234`` is ``0``). The Damm algorithm catches
every single wrong digit and every swap of two neighbouring digits, so a code the customer
mistyped or altered names no sale at all rather than another one. The shop's name follows
when there is room (25 ASCII characters in all).

A sale rung up with no link has no number yet: its code is the prefix, ``0`` (no sale
number starts with 0), the ten-digit decimal value of its reference (the last eight hex
characters of its client id, as its receipt on the device shows them) and the Damm digit of
those ten digits: ``NM0`` + 11 digits.

**Reading a bank's content.** Banks add their own words around the purpose
("MBVCB.3278907687.NM12340.NEWME.CT tu 0123…"), upper-case it, change spaces to dots or
drop them. :func:`codes_in` finds every run of digits right after the prefix (in any case)
and keeps those whose Damm digit holds; it never tries a shorter run, which would let a
wrong code pass as another.

**Matching.** :func:`decide` says what one incoming transaction does, given the sale its
code names: confirm a waiting sale of exactly that amount, verify a transfer the cashier
confirmed by hand, or go to the coordinators' review list with a reason. Amount and time
alone never confirm a sale.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from shop.domain import vietqr
from shop.domain.codes import damm_digit, has_valid_check_digit

#: The prefix a shop's codes start with unless it chose another.
DEFAULT_PREFIX = "NM"
_PREFIX = re.compile(r"[A-Z]{2,6}")

#: Digits of an offline sale's reference in its code: 8 hex characters are at most
#: 4 294 967 295, ten decimal digits.
REFERENCE_DIGITS = 10
REFERENCE_HEX = 8


class CodeError(ValueError):
    """A code that cannot be made. ``code`` says why: ``prefix``, ``number``, ``reference``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def damm_valid(digits: str) -> bool:
    """Whether ``digits`` (check digit last) is a valid Damm number: the same check digit as
    the items' codes (:func:`shop.domain.codes.damm_digit`)."""
    return has_valid_check_digit(digits)


def valid_prefix(prefix: str) -> bool:
    """A prefix is 2 to 6 upper-case ASCII letters (banks keep letters and digits only)."""
    return isinstance(prefix, str) and bool(_PREFIX.fullmatch(prefix))


def _check_prefix(prefix: str) -> None:
    if not valid_prefix(prefix):
        raise CodeError("prefix")


def sale_code(number: int, prefix: str = DEFAULT_PREFIX) -> str:
    """The payment code of sale ``number`` (an int ≥ 1): ``NM`` + number + Damm digit."""
    _check_prefix(prefix)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise CodeError("number")
    digits = str(number)
    return f"{prefix}{digits}{damm_digit(digits)}"


def reference_of(client_id: str) -> str:
    """An offline sale's reference: the last 8 letters or digits of its client id, upper
    case (the same as the counter page's ``reference()``)."""
    plain = re.sub(r"[^0-9A-Za-z]", "", client_id or "")
    return plain[-REFERENCE_HEX:].upper()


def reference_digits(reference: str) -> str | None:
    """The ten digits standing for an 8-character hex ``reference`` in a code, or ``None``
    when it is not hex (a client id that is not a UUID has no offline code)."""
    if not re.fullmatch(r"[0-9A-F]{8}", reference or ""):
        return None
    return f"{int(reference, 16):0{REFERENCE_DIGITS}d}"


def reference_code(reference: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The payment code of a sale rung up with no link: ``NM0`` + ten digits + Damm."""
    _check_prefix(prefix)
    digits = reference_digits(reference)
    if digits is None:
        raise CodeError("reference")
    body = "0" + digits
    return f"{prefix}{body}{damm_digit(body)}"


def purpose(code: str, shop_name: str = "") -> str:
    """The transfer's purpose: the code, then the shop's name in plain ASCII when there is
    room (at most :data:`~shop.domain.vietqr.MAX_PURPOSE` characters, cut at a word)."""
    if len(code) > vietqr.MAX_PURPOSE:
        raise CodeError("number")
    room = vietqr.MAX_PURPOSE - len(code) - 1
    # Banks may drop the spaces: a name that began with a digit would run into the code's
    # digits and spoil its check digit, so such leading words are left out.
    name = re.sub(r"^[0-9 ]+", "", vietqr.ascii_purpose(shop_name))
    if room <= 0 or not name:
        return code
    if len(name) > room:
        cut = name[:room]
        if name[room] != " " and " " in cut:
            cut = cut[: cut.rindex(" ")]
        name = cut.rstrip()
    return f"{code} {name}" if name else code


def purpose_before_reference(prefix: str = DEFAULT_PREFIX) -> str:
    """What an offline code says before its ten reference digits (the counter page adds
    the digits and their Damm digit itself)."""
    _check_prefix(prefix)
    return prefix + "0"


@dataclass(frozen=True)
class Code:
    """A valid code found in a transfer's content: a sale number, or an offline reference
    (as its ten digits)."""

    number: int | None = None
    reference_digits: str | None = None


def codes_in(content: str, prefix: str = DEFAULT_PREFIX) -> list[Code]:
    """Every valid code in a bank's ``content``, in order, without repeats. A run of digits
    after the prefix whose Damm digit does not hold is no code."""
    if not content or not valid_prefix(prefix):
        return []
    found: list[Code] = []
    text = vietqr.ascii_purpose(content).upper() if not content.isascii() else content.upper()
    for match in re.finditer(re.escape(prefix) + r"([0-9]+)", text):
        digits = match.group(1)
        if not damm_valid(digits):
            continue
        body = digits[:-1]
        if body.startswith("0"):
            if len(body) != 1 + REFERENCE_DIGITS:
                continue
            code = Code(reference_digits=body[1:])
        else:
            code = Code(number=int(body))
        if code not in found:
            found.append(code)
    return found


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class BankTransaction:
    """One transaction as a bank feed reports it, before the shop stores it.

    ``provider_id`` is the feed's own id for it (unique per provider); ``reference`` the
    bank's reference; ``account`` the shop's account it moved on; ``amount_dong`` a positive
    int; ``content`` the words the sender wrote, as the bank passed them on; ``at`` when the
    bank booked it (UTC, aware). ``raw`` is the body the feed sent, kept as evidence.
    """

    provider: str
    provider_id: str
    direction: Direction
    amount_dong: int
    content: str
    at: datetime
    account: str = ""
    reference: str = ""
    raw: str = ""


class SaleState(enum.StrEnum):
    """Where the sale a code names stands, as matching needs it."""

    WAITING = "waiting"  # its transfer is awaited
    HAND = "hand"  # a member confirmed it, the bank has not shown it yet
    BANK = "bank"  # a bank transaction confirmed or verified it already
    VOIDED = "voided"
    NO_TRANSFER = "no_transfer"  # paid in cash only


@dataclass(frozen=True)
class SaleView:
    """The sale a code names: its number, what it waits for by transfer, its state."""

    number: int
    transfer_dong: int
    state: SaleState


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # confirmed a waiting sale
    VERIFIED = "verified"  # the bank shows a transfer a member confirmed by hand
    OUTGOING = "outgoing"  # money out, matched to a refund or a payout by transfer
    REVIEW = "review"  # for the coordinators, with a reason


class Reason(enum.StrEnum):
    """Why a transaction is on the review list."""

    NO_CODE = "no_code"
    UNKNOWN_SALE = "unknown_sale"
    SEVERAL_CODES = "several_codes"
    AMOUNT_LOW = "amount_low"
    AMOUNT_HIGH = "amount_high"
    ALREADY_CONFIRMED = "already_confirmed"
    VOIDED = "voided"
    NO_TRANSFER = "no_transfer"
    OTHER_ACCOUNT = "other_account"
    OUTGOING = "outgoing"  # money out that matches no refund or payout
    AMBIGUOUS = "ambiguous"  # an offline reference that two sales share


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason | None = None


def same_account(reported: str, shop_account: str) -> bool:
    """Whether the account a feed reported is the shop's (letters and digits compared,
    case aside; a feed that reports none is taken as the shop's, since it only reads it)."""
    plain = re.sub(r"[^0-9A-Za-z]", "", reported or "").upper()
    return not plain or plain == re.sub(r"[^0-9A-Za-z]", "", shop_account or "").upper()


def decide(
    amount_dong: int,
    sales: list[SaleView | None],
    *,
    own_account: bool = True,
) -> Decision:
    """What an incoming transaction does. ``sales`` holds one entry per valid code found in
    its content: the sale the code names, or ``None`` for a code of no sale (an offline
    reference that two sales share is passed as :data:`AMBIGUOUS_SALE`)."""
    if not own_account:
        return Decision(Outcome.REVIEW, Reason.OTHER_ACCOUNT)
    if not sales:
        return Decision(Outcome.REVIEW, Reason.NO_CODE)
    if len(sales) > 1:
        return Decision(Outcome.REVIEW, Reason.SEVERAL_CODES)
    sale = sales[0]
    if sale is None:
        return Decision(Outcome.REVIEW, Reason.UNKNOWN_SALE)
    if sale is AMBIGUOUS_SALE:
        return Decision(Outcome.REVIEW, Reason.AMBIGUOUS)
    if sale.state == SaleState.VOIDED:
        return Decision(Outcome.REVIEW, Reason.VOIDED)
    if sale.state == SaleState.BANK:
        return Decision(Outcome.REVIEW, Reason.ALREADY_CONFIRMED)
    if sale.state == SaleState.NO_TRANSFER:
        return Decision(Outcome.REVIEW, Reason.NO_TRANSFER)
    if amount_dong < sale.transfer_dong:
        return Decision(Outcome.REVIEW, Reason.AMOUNT_LOW)
    if amount_dong > sale.transfer_dong:
        return Decision(Outcome.REVIEW, Reason.AMOUNT_HIGH)
    if sale.state == SaleState.HAND:
        return Decision(Outcome.VERIFIED)
    return Decision(Outcome.CONFIRMED)


#: Stands for "this offline reference names more than one sale" in :func:`decide`.
AMBIGUOUS_SALE = SaleView(number=0, transfer_dong=0, state=SaleState.NO_TRANSFER)


class Check(enum.StrEnum):
    """How a sale's transfer stands against the bank, for the sale page and the reports."""

    NONE = "none"  # no transfer in this sale
    WAITING = "waiting"  # the transfer is awaited
    BANK = "bank"  # confirmed by the bank itself
    VERIFIED = "verified"  # confirmed by hand, then seen at the bank
    PENDING = "pending"  # confirmed by hand, not seen at the bank yet
    NOT_SEEN = "not_seen"  # confirmed by hand and not seen at the bank after the set days
    UNCHECKED = "unchecked"  # confirmed by hand with no bank feed to check it against
    VOIDED = "voided"


def check(
    *,
    transfer_dong: int,
    confirmed_at: datetime | None,
    voided: bool,
    by_bank: bool,
    by_hand: bool,
    feed_since: datetime | None,
    now: datetime,
    days: int,
) -> Check:
    """Where a sale's transfer stands. ``by_bank``: a bank transaction is linked to it;
    ``by_hand``: a member (or the device, with no link) confirmed it; ``feed_since``: since
    when the shop has a bank feed (``None``: none), so that a hand confirmation from before
    is not called unseen; ``days``: how long the bank has to show it."""
    if transfer_dong <= 0:
        return Check.NONE
    if voided:
        return Check.VOIDED
    if confirmed_at is None:
        return Check.WAITING
    if by_bank:
        return Check.VERIFIED if by_hand else Check.BANK
    if feed_since is None or confirmed_at < feed_since:
        return Check.UNCHECKED
    if (now - confirmed_at).total_seconds() > days * 86400:
        return Check.NOT_SEEN
    return Check.PENDING
