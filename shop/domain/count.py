"""A stocktake's arithmetic: what the books expect on the rail, what the phones counted, and
the differences a coordinator decides when she closes the count.

Pure: codes, ids, piece counts, moments and đồng in; differences out. The service
(:mod:`shop.services.counts`) reads the books and the scans and applies the decisions.

* **Expected**: every item in the count's categories (all, for a whole-rail count) that
  the books have on the rail now and that came in before the count opened. An item sold
  while the count is open is simply no longer expected.
* **Counted**: a single item is found when any phone scanned it (scans taken back do not
  count); a lot's pieces are the sum of its scans, less the pieces sold after it was first
  scanned (they were counted, then left with a customer).
* **Differences**: an expected item not found (``missing``); a lot counted with more or
  fewer pieces than the books hold (``lot_pieces``); a found item the books say had left
  before it was scanned: sold, returned, given away, written off or lost
  (``found_off_books``); a tag of no item (``unknown_code``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


class Difference(enum.StrEnum):
    MISSING = "missing"
    LOT_PIECES = "lot_pieces"
    FOUND_OFF_BOOKS = "found_off_books"
    UNKNOWN_CODE = "unknown_code"


class DecisionKind(enum.StrEnum):
    #: An item expected and not found: out of stock as lost (compensated if a member's).
    LOST = "lost"
    #: Left as the books say (an item known to be elsewhere, a found item that stays off
    #: the rail, a lot's pieces left uncorrected).
    KEEP = "keep"
    #: A found item the books say had left: back in stock.
    BACK_ON_RAIL = "back_on_rail"
    #: A lot's pieces on hand set to what was counted (missing pieces compensated).
    QUANTITY = "quantity"
    #: A tag of no item: noted.
    NOTED = "noted"


#: What may be decided of each difference; the first is what the page offers first.
CHOICES: Mapping[Difference, tuple[DecisionKind, ...]] = {
    Difference.MISSING: (DecisionKind.LOST, DecisionKind.KEEP),
    Difference.LOT_PIECES: (DecisionKind.QUANTITY, DecisionKind.KEEP),
    Difference.FOUND_OFF_BOOKS: (DecisionKind.BACK_ON_RAIL, DecisionKind.KEEP),
    Difference.UNKNOWN_CODE: (DecisionKind.NOTED,),
}


class LostItemPays(enum.StrEnum):
    """The shop's rule for a member's consigned item lost at a stocktake."""

    OWNER_SPLIT = "owner_split"  # her split of its current price (the default)
    FULL_PRICE = "full_price"  # its whole current price
    NOTHING = "nothing"  # the owner bears the loss


class CountError(ValueError):
    """A decision that cannot be taken as given; ``code`` says why, ``subject`` of what."""

    def __init__(self, code: str, subject: str = ""):
        super().__init__(f"{code}: {subject}" if subject else code)
        self.code = code
        self.subject = subject


@dataclass(frozen=True)
class Expected:
    """An item (or lot) the books have on the rail, in the count's scope."""

    code: str
    is_lot: bool
    pieces: int  # on hand: 1 for a single item


@dataclass(frozen=True)
class Counted:
    """What the phones scanned of one code (scans taken back left out)."""

    code: str
    known: bool  # the code is an item's or a lot's
    is_lot: bool
    pieces: int  # summed over its scans
    first_scan_at: datetime
    last_scan_at: datetime
    #: A lot's pieces sold after its first scan (counted, then sold).
    sold_since_scan: int = 0
    #: For an item the books say is no longer on the rail: when it left (its sale,
    #: disposal or loss). ``None`` while the books have it on the rail.
    left_at: datetime | None = None


@dataclass(frozen=True)
class Found:
    """One difference between the books and the rail."""

    difference: Difference
    code: str
    expected_pieces: int | None = None
    counted_pieces: int | None = None

    @property
    def choices(self) -> tuple[DecisionKind, ...]:
        return CHOICES[self.difference]

    @property
    def short_pieces(self) -> int:
        """Pieces lost if it is settled as its first choice: 1 for a missing item, the
        pieces counted short of a lot, none otherwise. Its value and its owner's
        compensation are of these."""
        if self.difference == Difference.MISSING:
            return 1
        if self.difference == Difference.LOT_PIECES:
            return max(0, (self.expected_pieces or 0) - (self.counted_pieces or 0))
        return 0


def differences(expected: Iterable[Expected], counted: Iterable[Counted]) -> list[Found]:
    """Every difference, missing first, then lots, then found items, then unknown tags;
    by code within each."""
    counted_by_code = {c.code: c for c in counted}
    expected_codes = set()
    missing: list[Found] = []
    lots: list[Found] = []
    for item in expected:
        expected_codes.add(item.code)
        seen = counted_by_code.get(item.code)
        if item.is_lot:
            pieces = 0 if seen is None else max(0, seen.pieces - seen.sold_since_scan)
            if pieces != item.pieces:
                lots.append(Found(Difference.LOT_PIECES, item.code, item.pieces, pieces))
        elif seen is None:
            missing.append(Found(Difference.MISSING, item.code, 1, 0))
    off_books: list[Found] = []
    unknown: list[Found] = []
    for seen in counted_by_code.values():
        if seen.code in expected_codes:
            continue
        if not seen.known:
            unknown.append(Found(Difference.UNKNOWN_CODE, seen.code, None, seen.pieces))
        elif seen.left_at is not None and seen.left_at < seen.last_scan_at:
            off_books.append(Found(Difference.FOUND_OFF_BOOKS, seen.code, 0, seen.pieces))
    found = [*missing, *lots, *off_books, *unknown]
    return sorted(found, key=lambda f: listed_order(f.difference, f.code))


_LISTED = (
    Difference.MISSING,
    Difference.LOT_PIECES,
    Difference.FOUND_OFF_BOOKS,
    Difference.UNKNOWN_CODE,
)


def listed_order(difference: Difference, code: str) -> tuple[int, int, int | str]:
    """Where a difference comes in the list :func:`differences` gives (and a count's
    decisions are recorded in): missing items, lots, found items, unknown tags; by code
    within each, numeric codes first by number."""
    return (_LISTED.index(difference), *_code_key(code))


def _code_key(code: str) -> tuple[int, int | str]:
    # isascii: "²" is a digit to str.isdigit, and no number to int().
    return (0, int(code)) if code.isascii() and code.isdigit() else (1, code)


def check_decisions(
    found: Iterable[Found], decisions: Mapping[str, DecisionKind]
) -> dict[str, DecisionKind]:
    """``decisions`` (code → kind) when they settle exactly the differences in ``found``,
    each with a kind its difference allows; :class:`CountError` otherwise:
    ``undecided`` (a difference left without one), ``not_a_difference`` (a code that is no
    difference now: the rail or the books changed since the list was read), or
    ``not_allowed``."""
    by_code = {f.code: f for f in found}
    for code in decisions:
        if code not in by_code:
            raise CountError("not_a_difference", code)
    for code, item in by_code.items():
        kind = decisions.get(code)
        if kind is None:
            raise CountError("undecided", code)
        if kind not in item.choices:
            raise CountError("not_allowed", code)
    return {code: decisions[code] for code in by_code}


def compensation(price_dong: int, pieces: int, consignor_bp: int | None, rule: LostItemPays) -> int:
    """What the group pays the owner of ``pieces`` of a consigned item lost at a count,
    whole đồng rounded down; 0 for a group item (``consignor_bp`` ``None``)."""
    if consignor_bp is None or pieces <= 0:
        return 0
    value = price_dong * pieces
    if rule == LostItemPays.OWNER_SPLIT:
        return value * consignor_bp // 10_000
    if rule == LostItemPays.FULL_PRICE:
        return value
    return 0


def rules_that_pay(paid: Iterable[tuple[int, int | None, int]]) -> tuple[LostItemPays, ...]:
    """The rules under which each ``(value_dong, consignor_bp, compensation_dong)`` of
    ``paid`` (a member's lost item or lot pieces, worth ``value_dong`` at the close) is what
    :func:`compensation` gives, in the enum's order: what a count's recorded decisions say
    about the rule its close applied. Every rule when nothing was lost of a member's."""
    return tuple(
        rule
        for rule in LostItemPays
        if all(compensation(value, 1, bp, rule) == paid_dong for value, bp, paid_dong in paid)
    )


def rule_to_name(
    paid: Iterable[tuple[int, int | None, int]], shop_rule: LostItemPays
) -> LostItemPays | None:
    """The rule a journal names for a count whose close paid ``paid`` (as
    :func:`rules_that_pay` takes it): ``None`` where the shop's rule (or any rule, nothing
    of a member's having been lost) gives those amounts, else the first rule that does
    (``None`` if none does)."""
    rules = rules_that_pay(paid)
    return None if not rules or shop_rule in rules else rules[0]
