"""Every number and code the shop hands out, carried on past the ones already used.

The shop numbers things two ways:

- from a named counter (:func:`shop.models.next_in_sequence`): sales (``sale``), donors
  (``donor``: D1, D2…), intakes (``intake``: N1, N2…) and item codes (``item_code``:
  10008, 10019…);
- as the highest so far plus one (:func:`shop.database.next_number`): members' numbers,
  which therefore carry on by themselves.

Rows written with their own numbers (a journal's import) leave the counters behind: the
next sale, donor, intake or item would take a number already used and fail on its unique
column. :func:`carry_on` is the one place that moves each counter past what is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.domain.numbering import (
    DONOR_PREFIX,
    INTAKE_PREFIX,
    MAX_SEQUENCE,
    item_code_number,
    ref_number,
)
from shop.models import Donor, Intake, Item, Sale, raise_sequence


def _highest(numbers: Iterable[int | None]) -> int:
    return max((n for n in numbers if n is not None), default=0)


def _stream(session: Session, column):
    return session.scalars(select(column).execution_options(yield_per=5000))


def _sales(session: Session) -> int:
    highest = session.scalar(select(func.max(Sale.number))) or 0
    return highest if highest <= MAX_SEQUENCE else 0


def _refs(model, prefix: str) -> Callable[[Session], int]:
    def highest(session: Session) -> int:
        refs = _stream(session, model.ref)
        return _highest(ref_number(ref, prefix) for ref in refs)

    return highest


def _item_codes(session: Session) -> int:
    return _highest(item_code_number(code) for code in _stream(session, Item.code))


#: Each counter and the highest number already used of it.
COUNTERS: dict[str, Callable[[Session], int]] = {
    "sale": _sales,
    "donor": _refs(Donor, DONOR_PREFIX),
    "intake": _refs(Intake, INTAKE_PREFIX),
    "item_code": _item_codes,
}


def carry_on(session: Session) -> dict[str, int]:
    """Set each counter to at least the highest number stored of it; return those numbers.

    Flushes first, so rows still pending count; never lowers a counter, never commits.
    """
    session.flush()
    highest = {name: used(session) for name, used in COUNTERS.items()}
    for name, value in highest.items():
        if value:
            raise_sequence(session, name, value)
    return highest
