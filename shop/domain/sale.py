"""A sale's arithmetic (docs/sharing.md step 1–3): line nets, the whole-sale discount, payment.

Everything is whole đồng. A line's gross is unit price × quantity; its net is gross − its
own discount − its part of the whole-sale discount, which is split over the lines in
proportion to (gross − line discount) by the largest-remainder rule, ties to the earlier
line. The parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shop.domain.money import MAX_DONG, split_largest_remainder


class SaleError(ValueError):
    """A sale that cannot be rung up as given; ``code`` says why, ``line`` which line."""

    def __init__(self, code: str, line: int | None = None):
        super().__init__(code if line is None else f"{code} (line {line})")
        self.code = code
        self.line = line


@dataclass(frozen=True)
class Line:
    """One line of a sale: a unique item (quantity 1) or some pieces of a lot."""

    unit_price_dong: int
    quantity: int = 1
    discount_dong: int = 0

    @property
    def gross_dong(self) -> int:
        return self.unit_price_dong * self.quantity

    @property
    def after_line_discount_dong(self) -> int:
        return self.gross_dong - self.discount_dong


@dataclass(frozen=True)
class Totals:
    """What a sale comes to: per line its share of the sale discount and its net."""

    gross_dong: int
    line_discounts_dong: int
    sale_discount_dong: int
    sale_discount_parts: tuple[int, ...]
    nets: tuple[int, ...]

    @property
    def total_dong(self) -> int:
        return sum(self.nets)


def totals(lines: Sequence[Line], sale_discount_dong: int = 0) -> Totals:
    """Work out a sale's nets. Raises :class:`SaleError` for a sale that makes no sense.

    Codes: ``empty`` (no line), ``quantity`` (below 1), ``price`` (negative or too large),
    ``line_discount`` (negative or above the line's gross), ``sale_discount`` (negative or
    above what the lines come to after their own discounts).
    """
    if not lines:
        raise SaleError("empty")
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or line.quantity < 1:
            raise SaleError("quantity", index)
        if not 0 <= line.unit_price_dong <= MAX_DONG:
            raise SaleError("price", index)
        if not 0 <= line.discount_dong <= line.gross_dong:
            raise SaleError("line_discount", index)
    bases = [line.after_line_discount_dong for line in lines]
    if not 0 <= sale_discount_dong <= sum(bases):
        raise SaleError("sale_discount")
    if sale_discount_dong and sum(bases):
        parts = split_largest_remainder(sale_discount_dong, bases)
    else:
        parts = [0] * len(lines)
    return Totals(
        gross_dong=sum(line.gross_dong for line in lines),
        line_discounts_dong=sum(line.discount_dong for line in lines),
        sale_discount_dong=sale_discount_dong,
        sale_discount_parts=tuple(parts),
        nets=tuple(base - part for base, part in zip(bases, parts, strict=True)),
    )


@dataclass(frozen=True)
class Payment:
    """How a sale is paid: cash due and transfer due add up to the total; ``tendered`` is
    the cash the customer hands over (at least the cash due)."""

    cash_dong: int
    transfer_dong: int
    tendered_dong: int

    @property
    def change_dong(self) -> int:
        return self.tendered_dong - self.cash_dong


def payment(
    total_dong: int,
    *,
    transfer_dong: int = 0,
    tendered_dong: int | None = None,
    cash_dong: int | None = None,
) -> Payment:
    """Split ``total_dong`` into a transfer part and a cash part, and the change to give.

    ``tendered_dong`` defaults to the exact cash due. ``cash_dong`` is the cash part as a
    record of the sale states it (a journal's): the parts must then add up to the total.
    Codes: ``transfer`` (negative or above the total), ``payments`` (the parts stated do
    not add up), ``tendered`` (less than the cash due, or absurdly large).
    """
    if not 0 <= transfer_dong <= total_dong:
        raise SaleError("transfer")
    cash = total_dong - transfer_dong
    if cash_dong is not None and cash_dong != cash:
        raise SaleError("payments")
    tendered = cash if tendered_dong is None else tendered_dong
    if tendered < cash or tendered > MAX_DONG:
        raise SaleError("tendered")
    if cash == 0 and tendered:
        raise SaleError("tendered")
    return Payment(cash_dong=cash, transfer_dong=transfer_dong, tendered_dong=tendered)


def owner_split(net_dong: int, consignor_bp: int) -> int:
    """The consigning member's part of a line's net: floor(net × bp / 10000)."""
    return net_dong * consignor_bp // 10_000


def refund_owner_loss(
    refunded_after_dong: int, refunded_before_dong: int, consignor_bp: int
) -> int:
    """What the owner gives back for a refund (docs/sharing.md step 3).

    For a line whose refunds add up to R after this one and R′ before it, she loses
    floor(R × bp / 10000) − floor(R′ × bp / 10000); a full refund reverses her split exactly.
    """
    if not 0 <= refunded_before_dong <= refunded_after_dong:
        raise SaleError("refund")
    return owner_split(refunded_after_dong, consignor_bp) - owner_split(
        refunded_before_dong, consignor_bp
    )
