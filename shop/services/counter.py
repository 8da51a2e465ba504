"""The counter: shifts, the cart, sales, transfers waiting for the money, voids and refunds.

A unique item is taken out of stock with one conditional UPDATE (``status = 'in_stock'``
→ ``'sold'``); if another counter got there first the UPDATE changes nothing and the whole
sale is refused, so an item is never sold twice. The (item, round) uniqueness of sale lines
backs that in the database. Lots are taken the same way, by their quantity on hand.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shop.database import adopt_inserted, insert_in_order, insert_rows, run_core, unnested
from shop.domain.calendar import local_date
from shop.domain.pricing import Policy, month_key
from shop.domain.sale import Line, Payment, SaleError, Totals, payment, totals
from shop.domain.text import REASON_LENGTH, SHORT_REASON_LENGTH, tidy
from shop.models import (
    CartDiscount,
    CartLine,
    Intake,
    Item,
    ItemStatus,
    Member,
    PaymentMethod,
    PriceChange,
    Refund,
    ReviewKind,
    Sale,
    SaleLine,
    SaleReview,
    SaleStatus,
    Shift,
    Void,
    next_in_sequence,
)
from shop.models.rail import next_rail_version, reserve_rail_versions
from shop.services import audit
from shop.services import printing as printing_service
from shop.services import stock as stock_service
from shop.services.bank import FEED_WAKE
from shop.services.errors import Dong, InvalidInput, Moment, NotFound
from shop.services.idempotency import earlier, insert_once, recorded_client_ids
from shop.services.month import ensure_month_open, is_closed, month_of
from shop.services.policy import policy_in_force

#: The field each refusal of the sale rule (:class:`~shop.domain.sale.SaleError`) belongs
#: beside; its code is ``sale.`` and the rule's own.
SALE_FIELDS = {
    "empty": "code",
    "quantity": "quantity",
    "price": "price_dong",
    "line_discount": "discount_dong",
    "sale_discount": "sale_discount_dong",
    "transfer": "transfer_dong",
    "payments": "payments",
    "tendered": "tendered_dong",
}


def _refuse(error: SaleError):
    if error.code not in SALE_FIELDS:
        return InvalidInput("sale.impossible")
    return InvalidInput(f"sale.{error.code}", SALE_FIELDS[error.code])


# ---------------------------------------------------------------- shifts


def open_shift(
    session: Session, member: Member, float_dong: int, *, at: datetime, tz: ZoneInfo
) -> Shift:
    """Open a shift for ``member`` with ``float_dong`` in the drawer, at ``at``.

    Not in a closed month (its hours would change the month's work shares); ``tz`` is the
    shop's time zone, the app's when left out.
    """
    if not isinstance(float_dong, int) or float_dong < 0:
        raise InvalidInput("shift.float_negative", "opening_float_dong")
    ensure_month_open(session, at, tz, "shift")
    if current_shift(session, member) is not None:
        raise InvalidInput("shift.already_open", "shift")
    shift = Shift(member_id=member.id, opened_at=at, opening_float_dong=float_dong)
    session.add(shift)
    session.flush()
    return shift


def current_shift(session: Session, member: Member, *, lock: bool = False) -> Shift | None:
    """The member's open shift, if any. ``lock``: locked until the transaction ends (see
    :func:`lock_row`), for a sale or a cash refund going into its drawer; a shift being
    closed at this moment is waited for, and then it is no longer open."""
    return session.scalar(_LOCKED_OPEN_SHIFT if lock else _OPEN_SHIFT, {"member_id": member.id})


# Built once: a shift opening, and each sale at the counter, asks it.
_OPEN_SHIFT = select(Shift).where(
    Shift.member_id == bindparam("member_id"), Shift.closed_at.is_(None)
)
_LOCKED_OPEN_SHIFT = _OPEN_SHIFT.with_for_update().execution_options(populate_existing=True)


def get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("shift.not_found", "shift")
    return shift


@dataclass(frozen=True)
class CashCount:
    """The drawer of a shift: what should be in it."""

    opening_float_dong: int
    cash_sales_dong: int
    cash_refunds_dong: int

    @property
    def expected_dong(self) -> int:
        return self.opening_float_dong + self.cash_sales_dong - self.cash_refunds_dong


def cash_count(session: Session, shift: Shift) -> CashCount:
    """Float + cash taken − change given − cash refunded (voided sales gave it all back)."""
    return _drawer(session, shift).count


@dataclass(frozen=True)
class _Drawer:
    """What a shift's sales and refunds add up to, read in one statement for each."""

    count: CashCount
    waiting: int  # sales not voided whose transfer is not confirmed yet
    last: datetime | None  # the moment of its latest sale or refund (voided or not)


def _drawer(session: Session, shift: Shift) -> _Drawer:
    return _drawers(session, {shift.id: shift.opening_float_dong})[shift.id]


def _drawers(session: Session, floats: dict[int, int]) -> dict[int, _Drawer]:
    """The drawer of each shift, by id (``floats``: each one's opening float), in two
    statements for them all."""
    if not floats:
        return {}
    sales = _sales_of_shifts(session, floats)
    refunds = {
        row[0]: row[1:] for row in session.execute(_REFUNDS_OF_SHIFTS, {"ids": list(floats)})
    }
    drawers = {}
    for shift_id, float_dong in floats.items():
        waiting, cash_sales, last_sale = sales.get(shift_id, (0, 0, None))
        cash_refunds, last_refund = refunds.get(shift_id, (0, None))
        count = CashCount(float_dong, int(cash_sales), int(cash_refunds))
        last = max((m for m in (last_sale, last_refund) if m is not None), default=None)
        drawers[shift_id] = _Drawer(count, int(waiting), last)
    return drawers


def _sales_of_shifts(session: Session, ids) -> dict[int, tuple[int, int, datetime | None]]:
    """(transfers still waiting, cash taken, last sale's moment) of each shift of ``ids``
    that has sales, by id, in one statement."""
    found = session.execute(_SALES_OF_SHIFTS, {"ids": list(ids)})
    return {shift_id: (int(waiting), int(cash), last) for shift_id, waiting, cash, last in found}


# Built once (a shift's close reads them). A sale's money counts unless it is voided (as
# Sale.not_voided keeps it), its moment counts either way.
_COUNTS = Void.id.is_(None)
_SALES_OF_SHIFTS = (
    select(
        Sale.shift_id,
        func.count(case((_COUNTS & Sale.transfer_outstanding, 1))),
        func.coalesce(func.sum(case((_COUNTS, Sale.cash_dong))), 0),
        func.max(Sale.at),
    )
    .outerjoin(Void, Void.sale_id == Sale.id)
    .where(Sale.shift_id.in_(bindparam("ids", expanding=True)))
    .group_by(Sale.shift_id)
)
_REFUNDS_OF_SHIFTS = (
    select(
        Refund.shift_id,
        func.coalesce(func.sum(case((Refund.method == PaymentMethod.CASH, Refund.amount_dong))), 0),
        func.max(Refund.at),
    )
    .where(Refund.shift_id.in_(bindparam("ids", expanding=True)))
    .group_by(Refund.shift_id)
)


def close_shift(
    session: Session, shift: Shift, counted_dong: int | None, *, at: datetime, by: Member
) -> CashCount:
    """Close a shift with the cash counted; the expected cash is kept beside it.
    (``None``: closed without a count, as a journal may say; the counter's forms always
    ask for the count, and a coordinator closes for another member with
    :func:`close_shift_for`.)

    The shift's row is locked first (PostgreSQL; on SQLite every writer runs alone): a sale
    or a cash refund going into the drawer right now finishes before the count is taken,
    and none can go in after it. The shift closes at ``at`` or at its last sale or refund,
    whichever is later, so nothing in it is dated after its close.
    """
    if counted_dong is not None and (not isinstance(counted_dong, int) or counted_dong < 0):
        raise InvalidInput("shift.counted_negative", "counted_cash_dong")
    return _close(session, shift, counted_dong, at=at, by=by)


def close_shift_for(
    session: Session,
    shift: Shift,
    *,
    counted_dong: int | None,
    ended_at: datetime,
    reason: str,
    by: Member,
    at: datetime,
) -> CashCount:
    """A coordinator closes a shift its member forgot to close (one open shift stops the
    month from closing, and only its member could close it).

    ``ended_at`` is when the shift really ended, as she knows it (the member's hours come
    from it, so it is never after ``at`` nor before the shift's last sale or refund);
    ``counted_dong`` the cash she counted in that drawer, or ``None``: not counted (the
    drawer's difference is then unknown, never taken as 0). The reason is kept in the
    audit log with her name, the times and the count.
    """
    if not by.is_coordinator:
        raise InvalidInput("shop.coordinators_only", "shift")
    if shift.member_id == by.id:
        raise InvalidInput("shift.own_at_counter", "shift")
    if counted_dong is not None and (not isinstance(counted_dong, int) or counted_dong < 0):
        raise InvalidInput("shift.counted_negative", "counted_cash_dong")
    reason = tidy(reason)
    if not reason:
        raise InvalidInput("shift.reason_missing", "reason")
    if ended_at > at:
        raise InvalidInput("shift.end_in_future", "ended_at")
    if ended_at < shift.opened_at:
        raise InvalidInput("shift.end_before_open", "ended_at")
    last = last_activity(session, shift)
    if last is not None and ended_at < last:
        raise InvalidInput("shift.end_before_last_sale", "ended_at", time=Moment(last))
    count = _close(session, shift, counted_dong, at=ended_at, by=by)
    audit.record(
        session, "shift_closed_for", by=by, at=at, subject=f"shift {shift.id}",
        member=shift.member.number, ended_at=shift.closed_at, counted_dong=counted_dong,
        count="counted" if counted_dong is not None else "not_counted",
        expected_dong=count.expected_dong, reason=reason[:REASON_LENGTH],
    )  # fmt: skip
    return count


def may_read_count(shift: Shift, member: Member) -> bool:
    """Whether ``member`` may read ``shift``'s count and note on it: its own member, or a
    coordinator (whatever the shop's open books: a drawer is not a member's money)."""
    return shift.member_id == member.id or member.is_coordinator


def note_count(session: Session, shift: Shift, note: str, *, by: Member) -> Shift:
    """Keep what the cashier says about the difference between the cash she counted and the
    cash expected, after her blind count. Written once, on a closed shift whose count differs,
    by its own member or a coordinator; never changes the figures.
    """
    if not may_read_count(shift, by):
        raise InvalidInput("shift.hers_or_coordinators", "note")
    if shift.closed_at is None:
        raise InvalidInput("shift.close_first", "note")
    if shift.counted_cash_dong is None or shift.counted_cash_dong == shift.expected_cash_dong:
        raise InvalidInput("shift.no_difference", "note")
    if shift.count_note:
        raise InvalidInput("shift.note_exists", "note")
    note = tidy(note)
    if not note:
        raise InvalidInput("shift.note_missing", "note")
    if len(note) > 300:
        raise InvalidInput("text.too_long_300", "note")
    shift.count_note = note
    session.flush()
    return shift


def open_shifts(session: Session) -> list[Shift]:
    """Every shift still open, oldest first, with its member."""
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.closed_at.is_(None))
            .options(joinedload(Shift.member))
            .order_by(Shift.opened_at)
        )
    )


def _close(
    session: Session, shift: Shift, counted_dong: int | None, *, at: datetime, by: Member
) -> CashCount:
    lock_row(session, shift)
    if shift.closed_at is not None:
        raise InvalidInput("shift.already_closed", "shift")
    drawer = _drawer(session, shift)
    if drawer.waiting:
        raise InvalidInput("shift.transfer_waiting", "shift")
    shift.closed_at = max(at, shift.opened_at, drawer.last or at)
    shift.counted_cash_dong = counted_dong
    shift.expected_cash_dong = drawer.count.expected_dong
    shift.closed_by_id = by.id
    session.flush()
    return drawer.count


def last_activity(session: Session, shift: Shift) -> datetime | None:
    """The moment of the shift's latest sale or refund, if it has any."""
    return _drawer(session, shift).last


def lock_row(session: Session, row) -> None:
    """Lock ``row`` until the transaction ends and read it again as it is now.

    On PostgreSQL (READ COMMITTED) this is ``SELECT … FOR UPDATE``: a rule that reads
    something and writes on what it read (what a line has had back, whether a sale is
    voided, whether a shift is open) locks it first, so that two counters cannot both read
    the same state and both act on it; the second waits for the first to commit and then
    sees what it did. On SQLite every writing transaction already runs alone (BEGIN
    IMMEDIATE) and the refresh only reads the row again.
    """
    model = type(row)
    session.execute(select(model.id).where(model.id == row.id).with_for_update())
    session.refresh(row)


# ---------------------------------------------------------------- the cart


@dataclass(frozen=True)
class CartRow:
    line: CartLine
    item: Item
    unit_price_dong: int
    percent_off: int
    net_dong: int
    sale_discount_part: int


@dataclass(frozen=True)
class CartView:
    rows: list[CartRow] = field(default_factory=list)
    discount_dong: int = 0
    discount_reason: str = ""
    total_dong: int = 0
    problem: str | None = None  # why the cart cannot be paid as it is


def cart(session: Session, member: Member, *, on: datetime, tz: ZoneInfo) -> CartView:
    """The cashier's cart with today's prices (markdown applied) and its totals."""
    lines = list(
        session.scalars(
            select(CartLine)
            .where(CartLine.member_id == member.id)
            .options(joinedload(CartLine.item).joinedload(Item.category))
            .order_by(CartLine.added_at, CartLine.id)
        )
    )
    discount = session.get(CartDiscount, member.id)
    day = local_date(on, tz)
    policy = policy_in_force(session, month_key(day))
    priced = [stock_service.pricing(line.item, day, policy) for line in lines]
    if not lines:
        return CartView(
            discount_dong=discount.discount_dong if discount else 0,
            discount_reason=discount.reason if discount else "",
        )
    sale_discount = discount.discount_dong if discount else 0
    problem = None
    try:
        result = totals(
            [
                Line(p.charged_dong, line.quantity, line.discount_dong)
                for p, line in zip(priced, lines, strict=True)
            ],
            sale_discount,
        )
        nets, parts = result.nets, result.sale_discount_parts
    except SaleError as error:
        problem = str(_refuse(error).message)
        nets = tuple(
            p.charged_dong * line.quantity - line.discount_dong
            for p, line in zip(priced, lines, strict=True)
        )
        parts = (0,) * len(lines)
    rows = [
        CartRow(line, line.item, p.charged_dong, p.percent_off, net, part)
        for line, p, net, part in zip(lines, priced, nets, parts, strict=True)
    ]
    return CartView(rows, sale_discount, discount.reason if discount else "", sum(nets), problem)


def add_to_cart(session: Session, member: Member, code: str, quantity: int = 1) -> CartLine:
    """Put the item with ``code`` (as scanned or typed) in the cart; a lot by ``quantity``
    (a whole number, at least 1)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("sale.quantity", "quantity")
    item = stock_service.get_item(session, code)
    if not item.in_stock:
        if item.status == ItemStatus.SOLD or (item.is_lot and item.quantity_on_hand == 0):
            raise InvalidInput("sale.item_sold", "code", code=item.code)
        raise InvalidInput("count.item_gone", "code", code=item.code)
    line = session.scalar(
        select(CartLine).where(CartLine.member_id == member.id, CartLine.item_id == item.id)
    )
    if line is not None and not item.is_lot:
        raise InvalidInput("cart.item_there", "code", code=item.code)
    wanted = quantity + (line.quantity if line else 0)
    if item.is_lot and wanted > (item.quantity_on_hand or 0):
        raise InvalidInput("cart.only_left", "quantity", left=item.quantity_on_hand, code=item.code)
    if line is None:
        line = CartLine(member_id=member.id, item_id=item.id, quantity=quantity)
        session.add(line)
    else:
        line.quantity = wanted
    session.flush()
    return line


def _cart_line(session: Session, member: Member, line_id: int) -> CartLine:
    line = session.scalar(
        select(CartLine).where(CartLine.id == line_id, CartLine.member_id == member.id)
    )
    if line is None:
        raise NotFound("cart.line_not_found", "line")
    return line


def change_cart_line(
    session: Session,
    member: Member,
    line_id: int,
    *,
    quantity: int,
    discount_dong: int,
    reason: str,
) -> CartLine:
    """Change a line's quantity (lots) or give it a discount, which needs a reason."""
    line = _cart_line(session, member, line_id)
    reason = tidy(reason)
    if discount_dong and not reason:
        raise InvalidInput("sale.discount_reason_missing", "discount_reason")
    if quantity < 1:
        raise InvalidInput("sale.quantity", "quantity")
    if not line.item.is_lot and quantity != 1:
        raise InvalidInput("cart.one_of_a_kind", "quantity")
    if line.item.is_lot and quantity > (line.item.quantity_on_hand or 0):
        raise InvalidInput(
            "cart.only_left", "quantity", left=line.item.quantity_on_hand, code=line.item.code
        )
    line.quantity = quantity
    line.discount_dong = discount_dong
    line.discount_reason = reason[:SHORT_REASON_LENGTH]
    session.flush()
    return line


def remove_from_cart(session: Session, member: Member, line_id: int) -> None:
    session.delete(_cart_line(session, member, line_id))  # a draft, not the books
    session.flush()


def set_cart_discount(session: Session, member: Member, discount_dong: int, reason: str) -> None:
    reason = tidy(reason)
    if discount_dong and not reason:
        raise InvalidInput("sale.discount_reason_missing", "discount_reason")
    row = session.get(CartDiscount, member.id) or CartDiscount(member_id=member.id)
    row.discount_dong = discount_dong
    row.reason = reason[:SHORT_REASON_LENGTH]
    session.add(row)
    session.flush()


def empty_cart(session: Session, member: Member) -> None:
    for line in session.scalars(select(CartLine).where(CartLine.member_id == member.id)):
        session.delete(line)
    discount = session.get(CartDiscount, member.id)
    if discount is not None:
        session.delete(discount)
    session.flush()


# ---------------------------------------------------------------- sales


@dataclass(frozen=True)
class LineRequest:
    code: str
    quantity: int = 1
    discount_dong: int = 0
    discount_reason: str = ""
    unit_price_dong: int | None = None  # only a journal gives it; the counter works it out
    #: Only a journal gives it: pieces its sale did not take from the stock (see SaleLine).
    short_pieces: int | None = None


@dataclass(frozen=True)
class SaleRequest:
    """A sale as a cashier (or the API, or a journal) asks for it."""

    lines: tuple[LineRequest, ...]
    transfer_dong: int = 0
    tendered_dong: int | None = None
    discount_dong: int = 0
    discount_reason: str = ""
    client_id: str | None = None
    number: int | None = None  # only a journal gives it
    all_by_transfer: bool = False  # the whole total by transfer, whatever it comes to
    #: The cash part as a record of the sale states it (only a journal gives it): the
    #: parts must add up to the total (see :func:`shop.domain.sale.payment`).
    cash_dong: int | None = None


def ring_up(
    session: Session, request: SaleRequest, *, cashier: Member, at: datetime, tz: ZoneInfo
) -> tuple[Sale, bool]:
    """A sale at the counter (the counter page's or the API's), now, into ``cashier``'s open
    shift; returns it and whether it is new (False: the same client id came again).

    Prices are the day's (markdown applied). Every item is taken out of stock by a
    conditional UPDATE; if one is gone the whole sale is refused and nothing of it stays. A
    sale with a transfer part waits for :func:`confirm_transfer`.
    """
    existing = _recorded_before(session, request, at, tz)
    if existing is not None:
        return existing, False
    return _write_sale(
        session, request, cashier=cashier, at=at, tz=tz, entered_by=cashier,
        shift=_open_drawer(session, cashier), transfer_confirmed=False, money_taken=False,
    )  # fmt: skip


def _open_drawer(session: Session, cashier: Member) -> Shift:
    """``cashier``'s open shift, locked until the transaction ends (its close waits for the
    sale going into its drawer), or the refusal."""
    shift = current_shift(session, cashier, lock=True)
    if shift is None:
        raise InvalidInput("shift.open_first", "shift")
    return shift


def record_sale(
    session: Session,
    request: SaleRequest,
    *,
    cashier: Member,
    at: datetime,
    tz: ZoneInfo,
    entered_by: Member | None = None,
    shift: Shift | None = None,
    require_shift: bool = True,
    transfer_confirmed: bool = False,
    money_taken: bool = False,
) -> tuple[Sale, bool]:
    """Record a sale with every choice open; return it and whether it is new (False: the
    same client id came again). The shop's own ways in are :func:`ring_up` (now, in the
    cashier's open shift), :func:`enter_past_sale` (the notebook's past sale, a journal's
    replay) and :func:`record_offline_sale`; this form is for scripts and tests that choose
    the ``shift`` (by default the cashier's open one, required unless not
    ``require_shift``), over the same steps.

    ``money_taken``: the sale was paid before the shop could check it (rung up with no
    link, see :func:`record_offline_sale`): an item no longer in stock does not refuse it;
    its line keeps the pieces the stock did not have as ``short_pieces``.

    Prices are those of the sale's day (markdown applied) unless the request gives them.
    Every item is taken out of stock by a conditional UPDATE; if one is gone the whole sale
    is refused and nothing of it stays. A sale dated in a closed month (a notebook sale
    entered late, say) is refused: corrections go into the current month. A sale with a
    transfer part waits for
    :func:`confirm_transfer` unless ``transfer_confirmed`` (a sale entered afterwards from the
    paper notebook, whose money arrived long ago).
    """
    existing = _recorded_before(session, request, at, tz)
    if existing is not None:
        return existing, False
    if shift is None:
        shift = (
            _open_drawer(session, cashier)
            if require_shift
            else current_shift(session, cashier, lock=True)
        )
    return _write_sale(
        session, request, cashier=cashier, at=at, tz=tz, entered_by=entered_by or cashier,
        shift=shift, transfer_confirmed=transfer_confirmed, money_taken=money_taken,
    )  # fmt: skip


def _recorded_before(
    session: Session, request: SaleRequest, at: datetime, tz: ZoneInfo
) -> Sale | None:
    """The sale ``request``'s client id recorded before, if any; otherwise the sale's month
    must be open (a sale dated in a closed month is refused)."""
    existing = earlier(session, Sale, request.client_id)
    if existing is None:
        ensure_month_open(session, at, tz, "at")
    return existing


def _check_request(request: SaleRequest) -> None:
    """What a sale must say whatever its items: a line at least, a reason for a discount."""
    if not request.lines:
        raise _refuse(SaleError("empty"))
    reasons = [(line.discount_dong, line.discount_reason) for line in request.lines]
    for discount, reason in [*reasons, (request.discount_dong, request.discount_reason)]:
        if discount and not tidy(reason):
            raise InvalidInput("sale.discount_reason_missing", "discount_reason")


def _items_of(session: Session, request: SaleRequest, at: datetime) -> dict[str, Item]:
    """The request's items by code, in one query (see :func:`_checked_items`), with their
    consigning owners (the sale's lines name them)."""
    found = session.execute(_ITEMS_WITH_OWNERS, {"codes": list({ln.code for ln in request.lines})})
    stock = {item.code: (item, received) for item, received in found}
    return _checked_items(request, stock, at)


def _items_by_code(session: Session, codes: set[str]) -> dict[str, tuple[Item, datetime]]:
    """The items of ``codes``, as they are now, each with when it came in; without their
    categories (a run's checks, prices and lines do not name them)."""
    found = session.execute(_BARE_ITEMS, {"codes": list(codes)}).all()
    return {item.code: (item, received) for item, received in found}


# Built once (each sale asks one of them; building the loader options costs more than the
# query takes to run).
_BARE_ITEMS = (
    select(Item, Intake.received_at)
    .join(Intake, Item.intake_id == Intake.id)
    .where(Item.code.in_(bindparam("codes", expanding=True)))
    .execution_options(populate_existing=True)
)
_ITEMS = _BARE_ITEMS.options(joinedload(Item.category))
_ITEMS_WITH_OWNERS = _ITEMS.options(joinedload(Item.owner))


def _checked_items(
    request: SaleRequest, stock: dict[str, tuple[Item, datetime]], at: datetime
) -> dict[str, Item]:
    """The request's items by code from ``stock`` (each item with when it came in): each
    must exist, have come in by ``at``, and a unique item be in the sale once."""
    codes = [line.code for line in request.lines]
    for code in codes:
        if code not in stock:
            raise InvalidInput("item.not_found", "code", code=code)
    for code in codes:
        if stock[code][1] > at:
            raise InvalidInput("sale.item_not_in_yet", "code", code=code)
    unique_codes = [c for c in codes if not stock[c][0].is_lot]
    if len(unique_codes) != len(set(unique_codes)):
        raise InvalidInput("sale.item_twice", "code")
    return {code: stock[code][0] for code in codes}


@dataclass(frozen=True)
class _Priced:
    """A sale's lines priced and its payment split (see :func:`_price`)."""

    prices: list[int]
    totals: Totals
    paid: Payment


def _price(
    session: Session,
    request: SaleRequest,
    items: dict[str, Item],
    at: datetime,
    tz: ZoneInfo,
    policies: dict[str, Policy] | None = None,
) -> _Priced:
    """Each line's unit price (the request's, or the shop's on the sale's day), the totals
    and the payment, or the sale's refusal. ``policies``: those read before, by month."""
    day = local_date(at, tz)
    policies = {} if policies is None else policies
    month = month_key(day)
    if month not in policies:
        policies[month] = policy_in_force(session, month)
    policy = policies[month]
    prices = [
        line.unit_price_dong
        if line.unit_price_dong is not None
        else stock_service.pricing(items[line.code], day, policy).charged_dong
        for line in request.lines
    ]
    try:
        result = totals(
            [
                Line(price, line.quantity, line.discount_dong)
                for price, line in zip(prices, request.lines, strict=True)
            ],
            request.discount_dong,
        )
        transfer = result.total_dong if request.all_by_transfer else request.transfer_dong
        paid = payment(
            result.total_dong,
            transfer_dong=transfer,
            tendered_dong=request.tendered_dong,
            cash_dong=request.cash_dong,
        )
    except SaleError as error:
        raise _refuse(error) from None
    return _Priced(prices, result, paid)


def _write_sale(
    session: Session,
    request: SaleRequest,
    *,
    cashier: Member,
    at: datetime,
    tz: ZoneInfo,
    entered_by: Member,
    shift: Shift | None,
    transfer_confirmed: bool,
    money_taken: bool,
) -> tuple[Sale, bool]:
    """The steps every sale goes through once its shift is known: the request checked, its
    items found, priced, the sale inserted (once per client id), its lines taking their
    items out of stock, a discount audited."""
    _check_request(request)
    items = _items_of(session, request, at)
    priced = _price(session, request, items, at, tz)
    row = {
        "number": request.number or next_in_sequence(session, "sale"),
        **_sale_row(request, priced, cashier=cashier, at=at, entered_by=entered_by,
                    shift=shift, transfer_confirmed=transfer_confirmed),
    }  # fmt: skip
    sale = _insert_sale(session, row)
    # The same sale sent from two places at once (a retry racing the first try) answers
    # with the sale already recorded, as a retry after the fact does.
    if sale is None:
        return earlier(session, Sale, request.client_id), False
    lines = _write_lines(session, sale, request, items, priced, money_taken=money_taken)
    _audit_discounts(session, sale.number, sale.total_dong, request, by=entered_by, at=at)
    session.flush()
    _as_loaded(session, sale, lines, items, cashier)
    return sale, True


def _insert_sale(session: Session, row: dict) -> Sale | None:
    """The sale of ``row``, inserted once (:func:`insert_once`: ``None`` when its client id
    is recorded already). A sale with a transfer part wakes the bank feed's poller after
    the commit, as a flushed one does."""
    sale = insert_once(session, Sale, row)
    if sale is not None and sale.transfer_dong > 0:
        session.info[FEED_WAKE] = True
    return sale


def _as_loaded(
    session: Session, sale: Sale, lines: list[SaleLine], items: dict[str, Item], cashier: Member
) -> None:
    """The new ``sale`` as the database now holds it, without reading it back: its lines
    (persistent, as just inserted) with their items and owners, its cashier, no void and no
    bank payment (nothing can name a sale before it exists). What the answer, the receipt
    job's queueing and an offline sale's review read of it then costs no statement."""
    by_id = {item.id: item for item in items.values()}
    for line in lines:
        adopt_inserted(session, line)
        item = by_id[line.item_id]
        set_committed_value(line, "sale", sale)
        set_committed_value(line, "item", item)
        if "owner" in item.__dict__:  # loaded with the item (None for the shop's own)
            set_committed_value(line, "owner", item.owner)
    set_committed_value(sale, "lines", lines)
    set_committed_value(sale, "cashier", cashier)
    set_committed_value(sale, "void", None)
    set_committed_value(sale, "bank_payment", None)


def _sale_row(
    request: SaleRequest,
    priced: _Priced,
    *,
    cashier: Member,
    at: datetime,
    entered_by: Member,
    shift: Shift | None,
    transfer_confirmed: bool,
) -> dict:
    """A sale's columns but its number (a transfer confirmed at the sale by its cashier when
    ``transfer_confirmed``)."""
    paid = priced.paid
    return {
        "client_id": request.client_id or str(uuid.uuid4()),
        "at": at,
        "cashier_id": cashier.id,
        "shift_id": shift.id if shift else None,
        "entered_by_id": entered_by.id,
        "discount_dong": request.discount_dong,
        "discount_reason": tidy(request.discount_reason, SHORT_REASON_LENGTH),
        "total_dong": priced.totals.total_dong,
        "cash_dong": paid.cash_dong,
        "transfer_dong": paid.transfer_dong,
        "tendered_dong": paid.tendered_dong,
        "confirmed_at": at if paid.transfer_dong == 0 or transfer_confirmed else None,
        "confirmed_by_id": cashier.id if paid.transfer_dong > 0 and transfer_confirmed else None,
    }


def _write_lines(
    session: Session,
    sale: Sale,
    request: SaleRequest,
    items: dict[str, Item],
    priced: _Priced,
    *,
    money_taken: bool,
) -> list[SaleLine]:
    """The sale's lines, each taking its item out of stock, inserted in one statement;
    returned as rows with their ids, for :func:`_as_loaded`.

    The one-of-a-kind items a line takes whole are taken in one UPDATE; the lines are then
    walked in order, so the first line that cannot be sold is the one refused, as if each
    had taken its item in turn.
    """
    # Every change of an item is stamped with a rail number, one a line in the lines' order:
    # those are taken at once; the items taken in one UPDATE take theirs out of the list.
    numbers = reserve_rail_versions(session, len(request.lines))
    versions = {
        items[line.code].id: number
        for line, number in zip(request.lines, list(numbers), strict=True)
        if _plain_unique(items[line.code], line, money_taken=money_taken)
    }
    for number in versions.values():
        numbers.remove(number)
    rounds = _take_unique_items(session, list(items.values()), versions)
    rows = []
    for position, (line, price, part, net) in enumerate(
        zip(
            request.lines, priced.prices, priced.totals.sale_discount_parts, priced.totals.nets,
            strict=True,
        )
    ):  # fmt: skip
        item = items[line.code]
        if not _plain_unique(item, line, money_taken=money_taken):
            stock_round, short = _take_for_line(session, item, line, money_taken=money_taken)
        elif item.id in rounds:
            stock_round, short = rounds[item.id], 0
        else:
            raise InvalidInput("sale.item_sold", "code", code=item.code)
        money = (price, part, net)
        rows.append(_line_row(sale.id, position, item, line, money, stock_round, short))
    ids = dict((position, line_id) for line_id, position in run_core(session, _INSERT_LINES, rows))
    return [SaleLine(id=ids[row["position"]], **row) for row in rows]


# One INSERT for all of a sale's lines (on the table: the ORM's bulk insert splits the rows
# by which columns are None), with their ids by position.
_INSERT_LINES = insert(SaleLine.__table__).returning(
    SaleLine.__table__.c.id, SaleLine.__table__.c.position
)


def _line_row(
    sale_id: int,
    position: int,
    item: Item,
    line: LineRequest,
    money: tuple[int, int, int],
    stock_round: int | None,
    short: int,
    tag_price_dong: int | None = None,
) -> dict:
    """A sale line's columns: ``money`` is its unit price, its part of the sale's discount
    and what it comes to; its tag price the item's, or ``tag_price_dong`` (the item's at
    the sale, in a run that changes it later)."""
    price, part, net = money
    return {
        "sale_id": sale_id,
        "position": position,
        "item_id": item.id,
        "stock_round": stock_round,
        "quantity": line.quantity,
        "tag_price_dong": item.price_dong if tag_price_dong is None else tag_price_dong,
        "unit_price_dong": price,
        "discount_dong": line.discount_dong,
        "discount_reason": tidy(line.discount_reason, SHORT_REASON_LENGTH),
        "sale_discount_dong": part,
        "net_dong": net,
        "owner_id": item.owner_id,
        "consignor_bp": item.consignor_bp if item.owner_id is not None else None,
        "short_pieces": short,
    }


def _plain_unique(item: Item, line: LineRequest, *, money_taken: bool) -> bool:
    """Whether ``line`` takes its one-of-a-kind item whole, as the counter does (not a lot,
    one piece, nothing short, the money not taken before the shop could check)."""
    return not item.is_lot and line.quantity == 1 and not line.short_pieces and not money_taken


_ITEM = Item.__table__.c


def _take_unique_items(
    session: Session, items: list[Item], versions: dict[int, int]
) -> dict[int, int]:
    """Take the one-of-a-kind items of ``versions`` (item id → its rail number) out of stock,
    one conditional UPDATE each in one statement; their stock rounds by item id. An item
    another sale took (or took and had back) since it was read is not in the answer (see
    :func:`_take_from_stock`).

    Each UPDATE holds to the item as it was read (in stock, sold so many times), so its
    stock round is the next one, known without reading it back.
    """
    if not versions:
        return {}
    seen = {item.id: item.times_sold for item in items if item.id in versions}
    # Writers of items already go one at a time (the rail numbers' row is locked first);
    # in the items' order besides, each row keeping its own number.
    rows = [
        {"item_id": item_id, "seen": seen[item_id], "version": versions[item_id]}
        for item_id in sorted(versions)
    ]
    if session.get_bind().dialect.name == "postgresql":  # one statement, not one a row
        arrays = {key: [row[key] for row in rows] for key in _TAKEN_COLUMNS}
        taken = session.execute(_TAKE_UNIQUE_UNNESTED, arrays).rowcount
    else:
        taken = session.execute(_TAKE_UNIQUE, rows).rowcount
    for item in items:
        if item.id in versions:
            session.expire(item, ["status", "times_sold", "rail_version"])
    if taken != len(rows):  # which: those stamped with this sale's own numbers
        stamped = session.execute(_RAIL_VERSIONS, {"ids": list(versions)}).all()
        return {i: seen[i] + 1 for i, version in stamped if version == versions[i]}
    return {item_id: seen[item_id] + 1 for item_id in versions}


_TAKE_UNIQUE = (
    update(Item.__table__)
    .where(
        _ITEM.id == bindparam("item_id"),
        _ITEM.status == ItemStatus.IN_STOCK,
        _ITEM.times_sold == bindparam("seen"),
    )
    .values(
        status=ItemStatus.SOLD,
        times_sold=_ITEM.times_sold + 1,
        rail_version=bindparam("version"),
    )
)
_TAKEN_COLUMNS = ["item_id", "seen", "version"]
_TAKING = unnested(
    Item.__table__, _TAKEN_COLUMNS, dict.fromkeys(_TAKEN_COLUMNS, Integer())
).subquery()
_TAKE_UNIQUE_UNNESTED = (
    update(Item.__table__)
    .where(
        _ITEM.id == _TAKING.c.item_id,
        _ITEM.status == ItemStatus.IN_STOCK,
        _ITEM.times_sold == _TAKING.c.seen,
    )
    .values(status=ItemStatus.SOLD, times_sold=_ITEM.times_sold + 1, rail_version=_TAKING.c.version)
)
_RAIL_VERSIONS = select(_ITEM.id, _ITEM.rail_version).where(
    _ITEM.id.in_(bindparam("ids", expanding=True))
)


def _take_for_line(
    session: Session, item: Item, line: LineRequest, *, money_taken: bool
) -> tuple[int | None, int]:
    """(stock round, pieces the stock did not have) of one line: all taken or refused at the
    counter; what is left for a sale whose money was taken; what a journal says it took."""
    if line.short_pieces is not None:  # a journal says what the stock did not have
        taken = line.quantity - line.short_pieces
        return (_take_from_stock(session, item, taken) if taken > 0 else None), line.short_pieces
    if money_taken:
        return _take_what_is_left(session, item, line.quantity)
    return _take_from_stock(session, item, line.quantity), 0


def _audit_discounts(
    session: Session, number: int, total: int, request: SaleRequest, *, by: Member, at: datetime
) -> None:
    """The discounts of sale ``number`` (which came to ``total``) in the audit log."""
    audit.record_rows(session, _discount_lines(number, total, request, by=by, at=at))


def _discount_lines(
    number: int, total: int, request: SaleRequest, *, by: Member, at: datetime
) -> list[dict]:
    """The audit line of sale ``number``'s discounts, if it has any (none: an empty list)."""
    discounted = [
        {"code": line.code, "discount_dong": line.discount_dong, "reason": line.discount_reason}
        for line in request.lines
        if line.discount_dong
    ]
    if not discounted and not request.discount_dong:
        return []
    return [
        audit.row(
            "discount", by=by, at=at, subject=f"sale {number}",
            lines=discounted, sale_discount_dong=request.discount_dong,
            reason=tidy(request.discount_reason, SHORT_REASON_LENGTH), total_dong=total,
        )
    ]  # fmt: skip


def record_offline_sale(
    session: Session,
    request: SaleRequest,
    *,
    cashier: Member,
    at: datetime,
    received_at: datetime,
    tz: ZoneInfo,
    entered_by: Member,
    transfer_confirmed: bool = False,
) -> tuple[Sale, bool]:
    """Record a sale the counter rang up with no link to the shop: the customer paid, was
    given her change and left, and the sale arrives now (``received_at``), sent by whoever
    is signed in at that counter (``entered_by``). Returns the sale and whether it is new.

    The money was really taken, so what would refuse a sale at the counter does not refuse
    this one; it is recorded and put on the coordinators' review list (:class:`SaleReview`)
    instead: an item another counter sold meanwhile (its line keeps the piece as
    ``short_pieces``, the stock is not taken twice), a lot with fewer pieces left than were
    sold, a price other than the shop's for that day (the price charged is kept), a moment
    in a month closed since (booked at ``received_at``), no open shift of ``cashier`` to
    take the cash. ``at`` is the moment it was rung up on the device (never later than
    ``received_at``); it goes into the cashier's shift that was open then. Everything a
    sale must be otherwise (lines, discounts with reasons, payment covering the total) is
    checked as at the counter.

    ``transfer_confirmed``: the cashier saw its transfer arrive on the customer's phone (as
    she confirms one at the counter with a link). The same client id recorded before (the
    first try's answer was lost) and still waiting for its transfer is confirmed then.
    """
    existing = earlier(session, Sale, request.client_id)
    if existing is not None:
        if transfer_confirmed and existing.awaiting_transfer:
            confirm_transfer(session, existing, at=received_at, by=cashier)
        return existing, False
    reviews: list[tuple[ReviewKind, SaleLine | None, dict]] = []
    at = min(at, received_at)
    if is_closed(session, month_of(at, tz)):
        reviews.append((ReviewKind.LATE, None, {"rung_up_at": at.isoformat()}))
        at = received_at
    shift = shift_at(session, cashier, at) or current_shift(session, cashier)
    if shift is not None:
        lock_row(session, shift)
        at = max(at, shift.opened_at)  # a device clock behind the shop's
    else:
        reviews.append((ReviewKind.NO_DRAWER, None, {"cashier": cashier.number}))
    ensure_month_open(session, at, tz, "at")
    sale, new = _write_sale(
        session, request, cashier=cashier, at=at, tz=tz, entered_by=entered_by, shift=shift,
        money_taken=True, transfer_confirmed=transfer_confirmed,
    )  # fmt: skip
    if not new:
        return sale, False
    day = local_date(at, tz)
    policy = policy_in_force(session, month_key(day))
    for line in sale.lines:
        if line.short_pieces:
            others = session.scalars(
                select(Sale.number)
                .join(SaleLine, SaleLine.sale_id == Sale.id)
                .where(SaleLine.item_id == line.item_id, Sale.id != sale.id)
                .order_by(Sale.number)
            ).all()
            kind = ReviewKind.LOT_SHORT if line.item.is_lot else ReviewKind.SOLD_TWICE
            reviews.append((kind, line, {"code": line.item.code, "short": line.short_pieces,
                                         "other_sales": list(others)}))  # fmt: skip
        shop_price = stock_service.pricing(line.item, day, policy).charged_dong
        if line.unit_price_dong != shop_price:
            detail = {"code": line.item.code, "charged_dong": line.unit_price_dong,
                      "shop_dong": shop_price}  # fmt: skip
            reviews.append((ReviewKind.PRICE, line, detail))
    for kind, line, detail in reviews:
        session.add(
            SaleReview(
                sale_id=sale.id,
                sale_line_id=line.id if line is not None else None,
                kind=kind,
                detail=detail,
                created_at=received_at,
            )
        )
    audit.record(
        session, "offline_sale", by=entered_by, at=received_at, subject=f"sale {sale.number}",
        cashier=cashier.number, rung_up_at=at, reviews=[review[0].value for review in reviews],
    )  # fmt: skip
    session.flush()
    return sale, True


def open_reviews(session: Session) -> list[SaleReview]:
    """What the coordinators still have to look at, oldest first."""
    return list(
        session.scalars(
            select(SaleReview)
            .where(SaleReview.resolved_at.is_(None))
            .options(
                joinedload(SaleReview.sale).joinedload(Sale.cashier),
                joinedload(SaleReview.line).joinedload(SaleLine.item),
            )
            .order_by(SaleReview.created_at, SaleReview.id)
        ).unique()
    )


def open_review_count(session: Session) -> int:
    return session.scalar(select(func.count(SaleReview.id)).where(SaleReview.resolved_at.is_(None)))


def resolve_review(
    session: Session, review_id: int, *, by: Member, at: datetime, note: str
) -> SaleReview:
    """A coordinator has looked at a review and says what was done (a refund, a price
    corrected, the other dress found): it leaves the list, kept with her note."""
    if not by.is_coordinator:
        raise InvalidInput("shop.coordinators_only", "review")
    review = session.get(SaleReview, review_id)
    if review is None:
        raise NotFound("review.not_found", "review")
    note = tidy(note)
    if not note:
        raise InvalidInput("review.note_missing", "resolution")
    if review.resolved_at is not None:
        return review
    review.resolved_at, review.resolved_by_id, review.resolution = at, by.id, note[:REASON_LENGTH]
    audit.record(session, "review_resolved", by=by, at=at, subject=f"sale {review.sale.number}",
                 kind=review.kind, note=review.resolution)  # fmt: skip
    session.flush()
    return review


def _take_from_stock(session: Session, item: Item, quantity: int) -> int | None:
    """Take ``quantity`` of ``item`` out of stock, or refuse if someone else already did.

    The UPDATEs here and in :func:`_put_back` skip SQLAlchemy's in-memory synchronisation
    (``synchronize_session=False``), which would test every object the session holds, and
    expire what they changed on ``item`` instead: the cost stays the same however many
    objects a long session (a journal import) has loaded.
    """
    if item.is_lot:
        _take_pieces(session, [(item, quantity, next_rail_version(session))])
        return None
    if quantity != 1:
        raise InvalidInput("cart.one_of_a_kind", "quantity")
    stock_round = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == ItemStatus.IN_STOCK)
        .values(status=ItemStatus.SOLD, times_sold=Item.times_sold + 1)
        .returning(Item.times_sold)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.expire(item, ["status", "times_sold"])
    if stock_round is None:
        raise InvalidInput("sale.item_sold", "code", code=item.code)
    return stock_round


def _take_pieces(session: Session, takes: list[tuple[Item, int, int]]) -> None:
    """Take pieces of lots, ``(lot, pieces, its rail number)`` each, in one conditional
    UPDATE a take (one statement for them all); refuse if a lot has fewer left than a take
    asks (another sale took them meanwhile)."""
    rows = sorted(  # in the lots' order, as every writer of items goes
        ({"lot_id": lot.id, "pieces": pieces, "version": v} for lot, pieces, v in takes),
        key=lambda row: row["lot_id"],
    )
    changed = session.execute(_TAKE_PIECES, rows).rowcount
    for lot, _pieces, _version in takes:
        session.expire(lot, ["quantity_on_hand", "rail_version"])
    if changed != len(takes):
        short = (lot for lot, pieces, _version in takes if _on_hand(session, lot) < pieces)
        lot = next(short, takes[0][0])
        raise InvalidInput("cart.only_left", "quantity", left=_on_hand(session, lot), code=lot.code)


_TAKE_PIECES = (
    update(Item.__table__)
    .where(
        _ITEM.id == bindparam("lot_id"),
        _ITEM.status == ItemStatus.IN_STOCK,
        _ITEM.quantity_on_hand >= bindparam("pieces"),
    )
    .values(
        quantity_on_hand=_ITEM.quantity_on_hand - bindparam("pieces"),
        rail_version=bindparam("version"),
    )
)


def _take_what_is_left(session: Session, item: Item, quantity: int) -> tuple[int | None, int]:
    """Take ``quantity`` of ``item`` for a sale whose money was already taken: what the
    stock still has is taken as usual; (stock round, pieces it did not have)."""
    if not item.is_lot:
        if quantity != 1:
            raise InvalidInput("cart.one_of_a_kind", "quantity")
        try:
            return _take_from_stock(session, item, 1), 0
        except InvalidInput:  # sold by another sale meanwhile: nothing is taken twice
            return None, 1
    left = session.execute(
        select(Item.quantity_on_hand).where(Item.id == item.id).with_for_update()
    ).scalar()
    available = left if item.status == ItemStatus.IN_STOCK else 0
    taken = min(quantity, max(0, available or 0))
    if taken:
        _take_from_stock(session, item, taken)
    return None, quantity - taken


def _on_hand(session: Session, item: Item) -> int:
    return session.scalar(select(Item.quantity_on_hand).where(Item.id == item.id)) or 0


def checkout(
    session: Session,
    member: Member,
    *,
    transfer_dong: int,
    tendered_dong: int | None,
    client_id: str,
    at: datetime,
    tz: ZoneInfo,
    all_by_transfer: bool = False,
) -> tuple[Sale, bool]:
    """Turn the cashier's cart into a sale with its receipt (see :func:`sell`) and empty the
    cart (``all_by_transfer``: the whole total is paid by transfer, whatever the prices come
    to)."""
    lines = list(
        session.scalars(
            select(CartLine)
            .where(CartLine.member_id == member.id)
            .options(joinedload(CartLine.item))
            .order_by(CartLine.added_at, CartLine.id)
        )
    )
    discount = session.get(CartDiscount, member.id)
    request = SaleRequest(
        lines=tuple(
            LineRequest(line.item.code, line.quantity, line.discount_dong, line.discount_reason)
            for line in lines
        ),
        transfer_dong=transfer_dong,
        tendered_dong=tendered_dong,
        discount_dong=discount.discount_dong if discount else 0,
        discount_reason=discount.reason if discount else "",
        client_id=client_id,
        all_by_transfer=all_by_transfer,
    )
    sale, new = sell(session, request, cashier=member, at=at, tz=tz)
    if new:
        empty_cart(session, member)
    return sale, new


def sale_with_lines():
    """A select of sales with what a sale page or receipt shows loaded at once: the lines,
    their items and categories, the cashier and the void (two queries in all)."""
    return select(Sale).options(
        selectinload(Sale.lines).joinedload(SaleLine.item).joinedload(Item.category),
        joinedload(Sale.cashier),
        joinedload(Sale.void),
    )


def get_sale(session: Session, number: int) -> Sale:
    sale = session.scalar(sale_with_lines().where(Sale.number == number))
    if sale is None:
        raise NotFound("bank.sale_not_found", "number", number=number)
    return sale


def confirm_transfer(
    session: Session, sale: Sale, *, at: datetime, by: Member | None = None
) -> Sale:
    """The cashier (``by``) saw the transfer arrive: the sale is complete. Confirmed by
    hand, it is checked against the bank when a feed shows it (:mod:`shop.services.bank`);
    a transfer the bank confirmed already stays the bank's."""
    if sale.status is SaleStatus.VOIDED:
        raise InvalidInput("bank.sale_voided", "number")
    if sale.status is not SaleStatus.AWAITING_TRANSFER:
        return sale
    sale.confirmed_at = at
    sale.confirmed_by_id = by.id if by is not None else sale.cashier_id
    session.flush()
    return sale


def void_sale(
    session: Session,
    sale: Sale,
    *,
    by: Member,
    at: datetime,
    reason: str,
    tz: ZoneInfo,
    client_id: str | None = None,
) -> tuple[Void, bool]:
    """Cancel a whole sale within its own shift; its items go back on the rail. Returns the
    void and whether it is new (False: ``client_id`` came again and voided it already).

    The cash goes back out of the drawer that took it, so only the sale's own cashier may
    void it, or a coordinator on the day it was sold (the void is booked against the
    sale's shift, whoever voids it).

    Neither the sale's month nor the void's may be closed (``tz``: the shop's time zone,
    the app's when left out).
    """
    reason = _void_reason(reason)
    ensure_month_open(session, sale.at, tz, "number")
    ensure_month_open(session, at, tz, "number")
    lock_row(session, sale)  # a second void or a refund of this sale waits for this one
    repeated = earlier(session, Void, client_id)
    if repeated is not None and repeated.sale_id == sale.id:
        return repeated, False
    if sale.shift is not None:
        lock_row(session, sale.shift)  # the drawer it gives back from stays open meanwhile
    refusal = void_refusal(session, sale, by=by, at=at, tz=tz)
    if refusal is not None:
        raise refusal
    void = Void(sale_id=sale.id, at=at, by_id=by.id, reason=reason, client_id=client_id)
    session.add(void)
    audit.record_rows(session, [_void_audit(sale, by=by, at=at, reason=reason)])
    for line in sale.lines:
        if line.quantity > line.short_pieces:  # what the stock never gave is not put back
            _put_back(session, line.item, line.quantity - line.short_pieces)
    session.flush()
    session.refresh(sale)
    return void, True


def void_refusal(
    session: Session,
    sale: Sale,
    *,
    by: Member | None = None,
    at: datetime | None = None,
    tz: ZoneInfo | None = None,
) -> InvalidInput | None:
    """Why ``sale`` cannot be voided, or ``None`` if it can: voided already, its shift
    closed (refund it instead), part of it refunded; and, with the member ``by`` voiding it
    at ``at``, not her drawer nor a coordinator's on the day it was sold. The void refuses
    with it; the sale's page offers "void" only when there is none (the months' being open
    and the reason are the void's own checks)."""
    return _void_refusal(
        _voided(session, sale), sale.shift, sale.at, by=by, at=at, tz=tz,
        refunded=lambda: session.scalar(
            select(func.count(Refund.id)).join(SaleLine).where(SaleLine.sale_id == sale.id)
        ),
        cashier=lambda: sale.cashier.name,
    )  # fmt: skip


def _void_refusal(
    voided: bool,
    shift,
    sold_at: datetime,
    *,
    by: Member | None,
    at: datetime | None,
    tz: ZoneInfo | None,
    refunded: Callable[[], int],
    cashier: Callable[[], str],
) -> InvalidInput | None:
    """:func:`void_refusal`'s rules on what it read: ``shift`` is the sale's (a row, or a
    run's :class:`_RunShift`), ``refunded()`` how many refunds it has had and ``cashier()``
    its cashier's name, asked only when needed (also :func:`enter_past_run`'s check of a
    journal's void)."""
    if voided:
        return InvalidInput("void.already_voided", "number")
    if shift is None or shift.closed_at is not None:
        return InvalidInput("void.shift_closed", "number")
    # The money goes back out of the drawer that took it (cash_count books the void against
    # the sale's shift): its own cashier voids it, or a coordinator on the day it was sold.
    if by is not None and not by.is_coordinator and shift.member_id != by.id:
        return InvalidInput("void.not_hers", "number", name=cashier())
    if by is not None and by.is_coordinator and local_date(at, tz) != local_date(sold_at, tz):
        return InvalidInput("void.another_day", "number")
    if refunded():
        return InvalidInput("void.refunded", "number")
    return None


def _void_reason(reason: str) -> str:
    """A void's reason, tidied and cut to what is kept; a void must give one."""
    return _given_reason(reason, "void.reason_missing")


def _given_reason(reason: str, missing: str) -> str:
    """``reason`` tidied and cut to what is kept; refused (code ``missing``) if empty."""
    reason = tidy(reason)
    if not reason:
        raise InvalidInput(missing, "reason")
    return reason[:REASON_LENGTH]


def _void_audit(sale, *, by: Member, at: datetime, reason: str) -> dict:
    """The log line of ``sale``'s void (a row, or a run's :class:`_RunSale`)."""
    return audit.row(
        "void", by=by, at=at, subject=f"sale {sale.number}",
        total_dong=sale.total_dong, cash_dong=sale.cash_dong, reason=reason,
    )  # fmt: skip


def _voided(session: Session, sale: Sale) -> bool:
    """Whether ``sale`` is voided, as the database says now (not as loaded earlier)."""
    return session.scalar(select(Void.id).where(Void.sale_id == sale.id)) is not None


def _put_back(session: Session, item: Item, quantity: int) -> None:
    _put_back_all(session, [(item.id, item.is_lot, quantity, next_rail_version(session))])
    session.expire(item)


def _put_back_all(session: Session, backs: list[tuple[int, bool, int, int]]) -> None:
    """Put pieces back on the rail, ``(item id, is a lot, pieces, its rail number)`` each,
    in order: a lot's pieces added, a one-of-a-kind item sold back in stock (one sold
    again since, or never sold, stays as it is). Two statements at most for them all."""
    lots = [{"item_id": i, "pieces": q, "version": v} for i, lot, q, v in backs if lot]
    items = [{"item_id": i, "version": v} for i, lot, _q, v in backs if not lot]
    if lots:
        session.execute(_PUT_BACK_PIECES, lots)
    if items:
        session.execute(_PUT_BACK_ITEM, items)


_PUT_BACK_PIECES = (
    update(Item.__table__)
    .where(_ITEM.id == bindparam("item_id"))
    .values(
        quantity_on_hand=_ITEM.quantity_on_hand + bindparam("pieces"),
        rail_version=bindparam("version"),
    )
)
_PUT_BACK_ITEM = (
    update(Item.__table__)
    .where(_ITEM.id == bindparam("item_id"), _ITEM.status == ItemStatus.SOLD)
    .values(status=ItemStatus.IN_STOCK, rail_version=bindparam("version"))
)


def refunded_so_far(session: Session, line: SaleLine) -> tuple[int, int]:
    """(amount, quantity) already refunded on ``line``."""
    amount, quantity = session.execute(
        select(
            func.coalesce(func.sum(Refund.amount_dong), 0),
            func.coalesce(func.sum(Refund.quantity), 0),
        ).where(Refund.sale_line_id == line.id)
    ).one()
    return int(amount), int(quantity)


def refunded_by_line(session: Session, sale: Sale) -> dict[int, int]:
    """Đồng refunded so far on each line of ``sale`` (lines without refunds left out)."""
    rows = session.execute(
        select(Refund.sale_line_id, func.sum(Refund.amount_dong))
        .join(SaleLine, Refund.sale_line_id == SaleLine.id)
        .where(SaleLine.sale_id == sale.id)
        .group_by(Refund.sale_line_id)
    )
    return {line_id: int(amount) for line_id, amount in rows}


def refund_line(
    session: Session,
    sale: Sale,
    position: int,
    *,
    amount_dong: int,
    quantity: int | None,
    method: PaymentMethod,
    reason: str,
    restock: bool,
    by: Member,
    at: datetime,
    shift: Shift | None,
    tz: ZoneInfo,
    client_id: str | None = None,
) -> tuple[Refund, bool]:
    """Give money back for (part of) one line of a sale; never more than was paid for it.
    Returns the refund and whether it is new (False: ``client_id`` came again).

    ``quantity`` is the pieces that come back: 0 for money only (a discount given
    afterwards, say), which can be given more than once up to what the line was paid.
    ``None`` (not said): on a one-of-a-kind line the piece comes back with the last of its
    money and not with a part of it; on a lot's line one piece.

    A cash refund comes out of the drawer of the refunding member's open shift. The refund
    is booked in the month of ``at`` (the sale's month may be closed), which must be open
    (``tz``: the shop's time zone, the app's when left out).
    """
    reason = _refund_reason(reason)
    ensure_month_open(session, at, tz, "at")
    lock_row(session, sale)  # refunds and a void of one sale go one after another
    repeated = earlier(session, Refund, client_id)
    if repeated is not None:
        if repeated.line.sale_id != sale.id:
            raise InvalidInput("sale.client_id_reused", "client_id")
        return repeated, False
    _check_refundable(voided=_voided(session, sale), awaiting=sale.awaiting_transfer)
    line = next((line for line in sale.lines if line.position == position), None)
    if line is None:
        raise InvalidInput("refund.line_not_found", "line")
    quantity = _refund_pieces(
        line, amount_dong, quantity, is_lot=line.item.is_lot,
        so_far=lambda: refunded_so_far(session, line),
    )  # fmt: skip
    if shift is not None:
        lock_row(session, shift)  # its close waits for this refund, or refuses it
    shift = _refund_drawer(method, shift)
    refund = Refund(
        sale_line_id=line.id,
        at=at,
        by_id=by.id,
        shift_id=shift.id if shift else None,
        quantity=quantity,
        amount_dong=amount_dong,
        method=method,
        reason=reason,
        restock=restock and quantity > 0,
        client_id=client_id,
    )
    session.add(refund)
    audit.record_rows(
        session,
        [_refund_audit(sale.number, line.item.code, by=by, at=at, amount_dong=amount_dong,
                       method=method, reason=reason)],
    )  # fmt: skip
    if refund.restock:
        _put_back(session, line.item, quantity)
    session.flush()
    return refund, True


def _refund_reason(reason: str) -> str:
    """A refund's reason, tidied and cut to what is kept; a refund must give one."""
    return _given_reason(reason, "refund.reason_missing")


def _check_refundable(*, voided: bool, awaiting: bool) -> None:
    """A voided sale gives nothing back, nor one whose transfer has not arrived."""
    if voided:
        raise InvalidInput("bank.sale_voided", "number")
    if awaiting:
        raise InvalidInput("refund.transfer_waiting", "number")


def _refund_drawer(method: PaymentMethod, shift):
    """The shift a refund is booked in: ``shift`` (a row, or a run's :class:`_RunShift`)
    unless it is closed; cash is paid back only from an open drawer."""
    if shift is not None and shift.closed_at is not None:
        shift = None
    if method == PaymentMethod.CASH and shift is None:
        raise InvalidInput("refund.open_shift_first", "shift")
    return shift


def drawerless_cash(method: PaymentMethod, shift_then) -> bool:
    """Whether a journal's refund is cash paid with no shift of hers open then (written down
    on paper, say): it is kept, in no drawer; the refund's own checks still apply to it as
    a transfer's, then it is marked cash."""
    return method == PaymentMethod.CASH and shift_then is None


def _refund_audit(number: int, code: str, *, by: Member, at: datetime, amount_dong: int,
                  method: PaymentMethod, reason: str) -> dict:  # fmt: skip
    """The log line of a refund on sale ``number``'s line of ``code``."""
    return audit.row(
        "refund", by=by, at=at, subject=f"sale {number}",
        code=code, amount_dong=amount_dong, method=method, reason=reason,
    )  # fmt: skip


def refunded_line(lines: list, amount_dong: int, quantity: int, so_far) -> object:
    """Of a sale's lines with a refund's code (rows, or a run's), the one a journal's refund
    of ``amount_dong`` and ``quantity`` is of: almost always the only one; for a lot rung up
    on two lines, the first with room left for it (``so_far(line)``: its (amount, pieces)
    refunded), as check_journal counts it."""
    if len(lines) == 1:
        return lines[0]
    for line in lines:
        refunded, returned = so_far(line)
        if refunded + amount_dong <= line.net_dong and returned + quantity <= line.quantity:
            return line
    return lines[0]


def _refund_pieces(line, amount_dong: int, quantity: int | None, *, is_lot: bool, so_far) -> int:
    """The pieces a refund of ``amount_dong`` on ``line`` (a row, or a run's) brings back
    (``quantity``, or as :func:`refund_line` says when not said), or the refusal: never more
    money or pieces than the line still has (``so_far()``: its (amount, pieces) refunded)."""
    if not isinstance(amount_dong, int) or amount_dong <= 0:
        raise InvalidInput("amount.not_positive", "amount_dong")
    already, returned = so_far()
    if quantity is None:
        whole = already + amount_dong >= line.net_dong and returned < line.quantity
        quantity = 1 if is_lot or whole else 0
    if already + amount_dong > line.net_dong:
        raise InvalidInput("refund.too_much", "amount_dong", left=Dong(line.net_dong - already))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput("refund.pieces_negative", "quantity")
    if returned + quantity > line.quantity:
        raise InvalidInput("refund.pieces_too_many", "quantity")
    return quantity


def recent_sales(
    session: Session, *, shift: Shift | None = None, limit: int = 50, with_lines: bool = False
) -> list[Sale]:
    """The latest sales, newest first; ``with_lines`` loads their lines and items too."""
    options = [joinedload(Sale.void), joinedload(Sale.cashier)]
    if with_lines:
        options.append(selectinload(Sale.lines).joinedload(SaleLine.item).joinedload(Item.category))
    query = select(Sale).options(*options).order_by(Sale.number.desc()).limit(limit)
    if shift is not None:
        query = query.where(Sale.shift_id == shift.id)
    return list(session.scalars(query))


def waiting_transfers(session: Session, shift: Shift, *, limit: int = 20) -> list[Sale]:
    """The sales of ``shift`` still waiting for their transfer, newest first (at most
    ``limit``): each holds the shift's close until it is confirmed or voided, however many
    sales came after it."""
    return list(session.scalars(_WAITING_OF_SHIFT, {"shift_id": shift.id, "limit": limit}))


# Built once: every counter page asks it (building it cost more than its run).
_WAITING_OF_SHIFT = (
    Sale.awaiting(select(Sale))
    .where(Sale.shift_id == bindparam("shift_id"))
    .order_by(Sale.number.desc())
    .limit(bindparam("limit", type_=Integer))
)


def refunds_of(session: Session, sale: Sale) -> list[Refund]:
    return list(
        session.scalars(
            select(Refund)
            .join(SaleLine)
            .where(SaleLine.sale_id == sale.id)
            .options(joinedload(Refund.by))
            .order_by(Refund.at, Refund.id)
        )
    )


def shift_at(session: Session, member: Member, at: datetime) -> Shift | None:
    """The shift of ``member`` that was open at the moment ``at``, if any (see
    :func:`_shift_then`)."""
    return _shift_then(_shifts_over(session, {member.id}, at, at), member.id, at)


_NOTEBOOK_LINE = re.compile(
    r"^(?P<code>[A-Za-z0-9-]{1,32})"
    r"(?:\s*[x×X*]\s*(?P<times>[0-9]{1,6})|\s+(?P<count>[0-9]{1,6}))?$"  # 0-9, not any \d
)


def parse_codes(text: str) -> list[LineRequest]:
    """Lines typed from a paper notebook, one per line: ``10008``, or ``SOCKS 3`` / ``SOCKS x3``
    for three pieces of a lot."""
    lines = []
    for raw in (text or "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        match = _NOTEBOOK_LINE.match(raw)
        if match is None:
            raise InvalidInput("notebook.lines_invalid", "codes")
        quantity = int(match["times"] or match["count"] or 1)
        lines.append(LineRequest(match["code"], max(1, quantity)))
    return lines


# ---------------------------------------------------------------- the counter's actions
#
# What a member does at the counter, one function each, called alike by the page, the API
# and the command line: plain values in (the acting member, the moment ``at``, the shop's
# time zone ``tz``, what she asked for); the slip it owes (receipt, void or refund slip, and
# the drawer for cash) is queued in the action's own transaction, once: the same client id
# again records nothing more and prints nothing more. The rules themselves are the
# functions above, which a journal's import replays without printing anything.


def sell(
    session: Session, request: SaleRequest, *, cashier: Member, at: datetime, tz: ZoneInfo
) -> tuple[Sale, bool]:
    """Ring up ``request`` at the counter, into ``cashier``'s open shift (see
    :func:`ring_up`), with its receipt; returns the sale and whether it is new."""
    sale, new = ring_up(session, request, cashier=cashier, at=at, tz=tz)
    if new:
        printing_service.after_sale(session, sale, by=cashier)
    return sale, new


def sell_offline(
    session: Session, request: SaleRequest, *, entered_by: Member, **asked
) -> tuple[Sale, bool]:
    """Record a sale rung up with no link, sent now by ``entered_by`` (``asked``: the
    cashier, ``at``, ``received_at``, ``tz`` and ``transfer_confirmed``, as
    :func:`record_offline_sale` takes them), with its receipt; returns the sale and whether
    it is new."""
    sale, new = record_offline_sale(session, request, entered_by=entered_by, **asked)
    if new:
        printing_service.after_sale(session, sale, by=entered_by)
    return sale, new


def enter_past_sale(
    session: Session,
    request: SaleRequest,
    *,
    cashier: Member,
    entered_by: Member,
    at: datetime,
    tz: ZoneInfo,
    now: datetime | None = None,
    shiftless: bool = False,
) -> Sale:
    """A sale made earlier, entered now at its real moment ``at`` and cashier: into her shift
    that was open then (every sale belongs to a shift: its drawer and its hours depend on
    it), priced as on that day unless the request gives the prices, its transfer taken as
    arrived long ago. Returns the sale (the one its client id recorded before, if so).

    The paper notebook's sale (a power cut), entered by ``entered_by``, is not after
    ``now`` and refused with no shift open then. A journal's replay gives its number,
    prices and pieces short, and keeps a sale written outside any shift (``shiftless``: the
    journal's check reports it) in no drawer.
    """
    if now is not None and at > now:
        raise InvalidInput("sale.in_future", "time")
    shift = shift_at(session, cashier, at)
    if shift is None and not shiftless:
        raise InvalidInput("sale.no_shift_then", "time", name=cashier.name)
    existing = _recorded_before(session, request, at, tz)
    if existing is not None:
        return existing
    sale, _new = _write_sale(
        session, request, cashier=cashier, at=at, tz=tz, entered_by=entered_by, shift=shift,
        transfer_confirmed=True, money_taken=False,
    )  # fmt: skip
    return sale


@dataclass(frozen=True)
class PastSale:
    """One sale of :func:`enter_past_run`: what :func:`enter_past_sale` takes, and when
    and by whom its transfer was confirmed if not by its cashier at the sale
    (``confirmed_by_id`` ``None``: the bank)."""

    request: SaleRequest
    cashier: Member
    at: datetime
    confirmed: tuple[datetime, int | None] | None = None


@dataclass(frozen=True, eq=False)
class ShiftOpens:
    """A shift opened, in :func:`enter_past_run`: as :func:`open_shift` takes it."""

    member: Member
    float_dong: int
    at: datetime


@dataclass(frozen=True)
class ShiftCloses:
    """A shift closed, in :func:`enter_past_run`: as :func:`close_shift` takes it.
    ``shift`` is an open shift's id, or its opening earlier in the same run."""

    shift: int | ShiftOpens
    counted_dong: int | None
    at: datetime
    by: Member


@dataclass(frozen=True)
class PastPriceChange:
    """An item's price changed, in :func:`enter_past_run`: as
    :func:`shop.services.stock.change_price` takes it, a reason not required (a history
    brought from elsewhere may lack one)."""

    code: str
    price_dong: int
    by: Member
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class PastVoid:
    """Sale ``number`` voided, in :func:`enter_past_run`: as :func:`void_sale` takes it."""

    number: int
    by: Member
    at: datetime
    reason: str


@dataclass(frozen=True)
class PastRefund:
    """A refund, in :func:`enter_past_run`, as a journal's import gives it to
    :func:`refund_line`: of the line of sale ``number`` with ``code`` that has room for it
    (:func:`refunded_line`), in the shift of ``by`` open at ``at``; a cash refund with none
    open then kept in no drawer (:func:`drawerless_cash`)."""

    number: int
    code: str
    amount_dong: int
    quantity: int
    method: PaymentMethod
    reason: str
    restock: bool
    by: Member
    at: datetime


PastEvent = ShiftOpens | PastSale | ShiftCloses | PastPriceChange | PastVoid | PastRefund


def enter_past_sales(session: Session, sales: list[PastSale], *, tz: ZoneInfo) -> list[int]:
    """Sales in a row with nothing else between them: :func:`enter_past_run` of sales."""
    return enter_past_run(session, sales, tz=tz)


def enter_past_run(session: Session, events: list[PastEvent], *, tz: ZoneInfo) -> list[int]:
    """A stretch of a journal's replay in which shifts open and close, prices change, sales
    are made, voided and refunded, one after another in time and nothing else between
    them, entered at once: each as :func:`open_shift`,
    ``enter_past_sale(…, entered_by=its cashier, shiftless=True)``, ``change_price(…,
    reason_required=False)``, :func:`void_sale`, :func:`refund_line` (see
    :class:`PastRefund`) and :func:`close_shift` would have written it in turn (the same
    checks, shifts, prices, stock rounds, rail numbers, drawers and log lines), in a
    handful of statements for them all.

    It takes the events from the first on as long as each passes (a sale must also give its
    number and client id and have no piece short) and returns,
    for each it took, the id of the shift it opened, of the sale, of the item whose price it
    changed, of the sale it voided, of the refund, or of the shift it closed: maybe fewer
    than given, maybe none. The caller writes the next one by itself (each service refuses
    the event at fault) and gives the rest again.

    The items' rows are written a kind of change at a time (prices, then sales, then what
    voids and refunds put back); a sale of an item the run put back, or a price change of
    one it moved, starts a run of its own after the writes so far.
    """
    written: list[int] = []
    while events:
        run = _plan_run(session, events, tz)
        if not run.taken:
            break
        written += _write_run(session, run)
        if not run.again:
            break
        # The rest as a run of its own, which sees what this one wrote; a shift this one
        # opened is closed by its id.
        opened = {s.opening: s.id for s in run.taken if isinstance(s, _RunShift) and s.opening}
        events = [
            replace(e, shift=opened[e.shift])
            if isinstance(e, ShiftCloses) and e.shift in opened
            else e
            for e in events[len(run.taken) :]
        ]
    return written


@dataclass(eq=False)
class _RunShift:
    """A shift as a run sees it at each moment: in the database or opened in the run."""

    id: int | None
    member_id: int
    opened_at: datetime
    closed_at: datetime | None
    opening_float_dong: int
    opening: ShiftOpens | None = None  # when the run opens it
    closing: ShiftCloses | None = None  # when the run closes it


@dataclass(eq=False)
class _RunLine:
    """A sale's line as a run sees it: what a void or a refund of it checks and changes."""

    id: int | None  # None until the run writes it
    position: int
    item_id: int
    code: str
    is_lot: bool
    net_dong: int
    quantity: int
    short_pieces: int
    refunded: int = 0  # đồng given back so far
    returned: int = 0  # pieces back so far


@dataclass(eq=False)
class _RunSale:
    """A sale a run voids or refunds, or makes: in the database or written by the run."""

    id: int | None  # None until the run writes it
    number: int
    at: datetime
    shift: _RunShift | None
    total_dong: int
    cash_dong: int
    awaiting: bool  # its transfer not confirmed yet
    lines: list[_RunLine]
    voided: bool = False
    refunds: int = 0
    month_open: bool = True  # the month it was made in


@dataclass(frozen=True)
class _Planned:
    """A sale of a run checked and priced, ready to be written."""

    sale: PastSale
    items: dict[str, Item]
    priced: _Priced
    shift: _RunShift | None
    made: _RunSale
    tags: dict[str, int]  # each item's price at the sale (a later change of the run moves it)


@dataclass(frozen=True)
class _PlannedChange:
    """A price change of a run, checked."""

    change: PastPriceChange
    item: Item
    old_price_dong: int
    reason: str


@dataclass(frozen=True)
class _PlannedVoid:
    """A void of a run, checked: its pieces to put back, line by line."""

    void: PastVoid
    sale: _RunSale
    reason: str
    back: list[tuple[_RunLine, int]]


@dataclass(frozen=True)
class _PlannedRefund:
    """A refund of a run, checked, as it is written: ``method`` as :func:`refund_line` is
    given it (its log line's), ``kept`` as the row keeps it."""

    refund: PastRefund
    sale: _RunSale
    line: _RunLine
    quantity: int
    method: PaymentMethod
    kept: PaymentMethod
    shift: _RunShift | None
    reason: str
    restock: bool


_Taken = _RunShift | _Planned | _PlannedChange | _PlannedVoid | _PlannedRefund


@dataclass
class _Run:
    """What :func:`_plan_run` found a run's events to be, in order, up to the first it
    would not take; ``again``: that one is for a run of its own after this one."""

    taken: list[_Taken] = field(default_factory=list)
    again: bool = False


class _Again:
    """What the planner says of an event that must wait for the run's writes so far."""


_AGAIN = _Again()


def _plan_run(session: Session, events: list[PastEvent], tz: ZoneInfo) -> _Run:
    """Every check :func:`open_shift`, :func:`enter_past_sale`, ``change_price``,
    :func:`void_sale`, :func:`refund_line` and :func:`close_shift` make, for ``events`` in
    a few reads and in memory, up to the first one it would refuse or that is not for the
    bulk path."""
    run = _Run()
    dated = [e.at for e in events if not isinstance(e, ShiftCloses)]
    try:  # months close in order, and never within a run: its first moment tells
        ensure_month_open(session, min(dated), tz, "at") if dated else None
    except InvalidInput:
        return run
    planner = _RunPlanner(session, events, tz)
    shifts = _RunShifts(session, events, planner.shift_ids())
    planner.found_shifts(shifts)
    for event in events:
        taken = _plan_event(event, planner, shifts)
        if taken is None or taken is _AGAIN:
            run.again = taken is _AGAIN
            break
        run.taken.append(taken)
    return run


def _plan_event(
    event: PastEvent, planner: _RunPlanner, shifts: _RunShifts
) -> _Taken | _Again | None:
    """``event`` planned, ``None`` if it is not for the run, :data:`_AGAIN` if it is for
    the next one."""
    if isinstance(event, ShiftOpens):
        return shifts.open(event)
    if isinstance(event, ShiftCloses):
        return shifts.close(event)
    if isinstance(event, PastSale):
        return planner.plan(event, _shift_then(shifts.known, event.cashier.id, event.at))
    if isinstance(event, PastPriceChange):
        return planner.change(event)
    if isinstance(event, PastVoid):
        return planner.void(event)
    return planner.refund(event, _shift_then(shifts.known, event.by.id, event.at))


class _RunShifts:
    """The shifts of a run's members as each moment of it sees them, read once, and the
    checks of :func:`open_shift` and :func:`close_shift` made on them. ``also``: the ids of
    other shifts the run needs (those of the sales it voids)."""

    def __init__(self, session: Session, events: list[PastEvent], also: set[int]):
        members = {_member_of(e) for e in events} - {None}
        closing = {e.shift for e in events if isinstance(e, ShiftCloses)}
        closing_ids = {shift for shift in closing if isinstance(shift, int)}
        moments = [e.at for e in events]
        self.known = [
            _RunShift(s.id, s.member_id, s.opened_at, s.closed_at, s.opening_float_dong)
            for s in _shifts_over(session, members, min(moments), max(moments), closing_ids | also)
        ]
        self.by_id = {s.id: s for s in self.known}
        self.opened: dict[ShiftOpens, _RunShift] = {}
        # The transfers still waiting in a shift it closes (its own sales are all confirmed).
        sales = _sales_of_shifts(session, closing_ids) if closing_ids else {}
        self.waiting = {shift_id: waiting for shift_id, (waiting, *_) in sales.items()}

    def open(self, event: ShiftOpens) -> _RunShift | None:
        """The shift ``event`` opens, or ``None`` if open_shift would refuse it."""
        if not isinstance(event.float_dong, int) or event.float_dong < 0:
            return None
        member_id = event.member.id
        if any(s.member_id == member_id and s.closed_at is None for s in self.known):
            return None
        shift = _RunShift(None, member_id, event.at, None, event.float_dong, opening=event)
        self.known.append(shift)
        self.opened[event] = shift
        return shift

    def close(self, event: ShiftCloses) -> _RunShift | None:
        """The shift ``event`` closes, or ``None`` if close_shift would refuse it."""
        counted = event.counted_dong
        if counted is not None and (not isinstance(counted, int) or counted < 0):
            return None
        given = event.shift
        shift = self.opened.get(given) if isinstance(given, ShiftOpens) else self.by_id.get(given)
        if shift is None or shift.closed_at is not None or self.waiting.get(shift.id):
            return None
        # Nothing of it is after this moment (see _close), so it closes now.
        shift.closed_at = max(event.at, shift.opened_at)
        shift.closing = event
        return shift


def _member_of(event: PastEvent) -> int | None:
    """The member whose shifts at its moment ``event`` needs, if any."""
    if isinstance(event, ShiftOpens):
        return event.member.id
    if isinstance(event, PastSale):
        return event.cashier.id
    if isinstance(event, PastRefund):
        return event.by.id
    return None


class _RunPlanner:
    """The reads the checks of a run's sales, price changes, voids and refunds need, made
    once, and the checks of each in turn on what the run has done so far."""

    def __init__(self, session: Session, events: list[PastEvent], tz: ZoneInfo):
        self.session, self.tz = session, tz
        sales = [e for e in events if isinstance(e, PastSale)]
        changes = [e for e in events if isinstance(e, PastPriceChange)]
        self.seen = recorded_client_ids(session, Sale, [s.request.client_id for s in sales])
        codes = {line.code for s in sales for line in s.request.lines}
        codes |= {change.code for change in changes}
        self.stock = _items_by_code(session, codes) if codes else {}
        self.left: dict[int, int] = {}
        self.policies: dict[str, Policy] = {}
        self.moved: set[int] = set()  # items the run takes or puts back
        self.put_back: set[int] = set()  # items a void or refund of the run puts back
        changed = {self.stock[c.code][0].id for c in changes if c.code in self.stock}
        self.last_change = stock_service.last_price_changes(session, changed) if changed else {}
        made = {s.request.number for s in sales}
        asked = {e.number for e in events if isinstance(e, PastVoid | PastRefund)} - made
        self.sales: dict[int, _RunSale] = _sales_by_number(session, asked, tz) if asked else {}

    def shift_ids(self) -> set[int]:
        """The shifts of the sales read from the database."""
        return {s.shift for s in self.sales.values() if s.shift is not None}

    def found_shifts(self, shifts: _RunShifts) -> None:
        """Each sale read takes its shift as the run sees it (they were ids till now)."""
        for sale in self.sales.values():
            sale.shift = shifts.by_id.get(sale.shift) if sale.shift is not None else None

    def plan(self, sale: PastSale, shift: _RunShift | None) -> _Planned | _Again | None:
        """``sale`` checked and priced in ``shift``, or ``None`` if it is not for the bulk
        path (refused, or with a lot's pieces short, or taking back what the run put back)."""
        request = sale.request
        if request.number is None or not request.client_id or request.client_id in self.seen:
            return None
        if any(self.stock[ln.code][0].id in self.put_back for ln in request.lines
               if ln.code in self.stock):  # fmt: skip
            return _AGAIN
        items = _bulk_items(sale, self.stock, self.left)
        if items is None:
            return None
        try:
            _check_request(request)
            priced = _price(self.session, request, items, sale.at, self.tz, self.policies)
        except InvalidInput:
            return None
        self.seen.add(request.client_id)
        self.moved.update(item.id for item in items.values())
        made = _RunSale(
            None, request.number, sale.at, shift, priced.totals.total_dong,
            priced.paid.cash_dong, False,
            [_RunLine(None, position, items[line.code].id, line.code, items[line.code].is_lot,
                      net, line.quantity, 0)
             for position, (line, net) in enumerate(zip(request.lines, priced.totals.nets,
                                                        strict=True))],
        )  # fmt: skip
        self.sales[request.number] = made
        tags = {code: item.price_dong for code, item in items.items()}
        return _Planned(sale, items, priced, shift, made, tags)

    def change(self, event: PastPriceChange) -> _PlannedChange | _Again | None:
        """``event`` checked as change_price checks it, or ``None``."""
        item, received_at = self.stock.get(event.code, (None, None))
        if item is not None and item.id in self.moved:
            return _AGAIN
        if item is None:
            return None
        try:
            reason = stock_service.price_reason(event.price_dong, event.reason, required=False)
            stock_service.check_price_change(
                event.price_dong, event.at, received_at=received_at,
                last=self.last_change.get(item.id), in_stock=item.in_stock,
                price_now=item.price_dong,
            )  # fmt: skip
        except InvalidInput:
            return None
        self.last_change[item.id] = event.at
        old = item.price_dong
        set_committed_value(item, "price_dong", event.price_dong)  # the run's later sales
        return _PlannedChange(event, item, old, reason)

    def void(self, event: PastVoid) -> _PlannedVoid | None:
        """``event`` checked as void_sale checks it, or ``None``."""
        sale = self.sales.get(event.number)
        if sale is None or not sale.month_open:
            return None
        try:
            reason = _void_reason(event.reason)
        except InvalidInput:
            return None
        refusal = _void_refusal(
            sale.voided, sale.shift, sale.at, by=event.by, at=event.at, tz=self.tz,
            refunded=lambda: sale.refunds, cashier=str,
        )  # fmt: skip
        if refusal is not None:
            return None
        sale.voided = True
        back = [(ln, ln.quantity - ln.short_pieces) for ln in sale.lines
                if ln.quantity > ln.short_pieces]  # fmt: skip
        self.moved.update(line.item_id for line, _pieces in back)
        self.put_back.update(line.item_id for line, _pieces in back)
        return _PlannedVoid(event, sale, reason, back)

    def refund(self, event: PastRefund, then: _RunShift | None) -> _PlannedRefund | None:
        """``event`` checked as refund_line checks it, in ``then`` (her shift open at its
        moment), or ``None``."""
        sale = self.sales.get(event.number)
        lines = [line for line in sale.lines if line.code == event.code] if sale else []
        if not lines:
            return None
        line = refunded_line(
            lines, event.amount_dong, event.quantity, lambda ln: (ln.refunded, ln.returned)
        )
        method = PaymentMethod.TRANSFER if drawerless_cash(event.method, then) else event.method
        try:
            reason = _refund_reason(event.reason)
            _check_refundable(voided=sale.voided, awaiting=sale.awaiting)
            quantity = _refund_pieces(
                line, event.amount_dong, event.quantity, is_lot=line.is_lot,
                so_far=lambda: (line.refunded, line.returned),
            )  # fmt: skip
            shift = _refund_drawer(method, then)
        except InvalidInput:
            return None
        line.refunded += event.amount_dong
        line.returned += quantity
        sale.refunds += 1
        restock = event.restock and quantity > 0
        if restock:
            self.moved.add(line.item_id)
            self.put_back.add(line.item_id)
        return _PlannedRefund(
            event, sale, line, quantity, method, event.method, shift, reason, restock
        )


def _sales_by_number(session: Session, numbers: set[int], tz: ZoneInfo) -> dict[int, _RunSale]:
    """The sales of ``numbers`` as a run's voids and refunds see them, locked until the
    transaction ends (refunds and a void of one sale go one after another), with their
    lines and what each has had back; their shifts by id for now (see
    :meth:`_RunPlanner.found_shifts`). Two statements, three on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        # Locked first, then read by a statement of its own: one that waited for the lock
        # still reads as of its own start (a void committed meanwhile unseen; as lock_row).
        session.execute(_LOCK_SALES, {"numbers": list(numbers)})
    rows = session.execute(_RUN_SALES, {"numbers": list(numbers)}).all()
    sales = {
        row.id: _RunSale(
            row.id,
            row.number,
            row.at,
            row.shift_id,
            row.total_dong,
            row.cash_dong,
            row.outstanding,
            [],
            voided=row.void_id is not None,
            month_open=not is_closed(session, month_of(row.at, tz)),
        )  # fmt: skip
        for row in rows
    }
    if sales:
        for row in session.execute(_RUN_LINES, {"ids": list(sales)}):
            sale = sales[row.sale_id]
            sale.lines.append(
                _RunLine(row.id, row.position, row.item_id, row.code, row.is_lot, row.net_dong,
                         row.quantity, row.short_pieces, int(row.refunded), int(row.returned))
            )  # fmt: skip
            sale.refunds += row.refunds
    return {sale.number: sale for sale in sales.values()}


_SALE_TABLE = Sale.__table__
_RUN_SALES = (
    select(
        _SALE_TABLE.c.id,
        Sale.number,
        Sale.at,
        Sale.shift_id,
        Sale.total_dong,
        Sale.cash_dong,
        Sale.transfer_outstanding.label("outstanding"),
        Void.id.label("void_id"),
    )  # fmt: skip
    .outerjoin(Void, Void.sale_id == Sale.id)
    .where(Sale.number.in_(bindparam("numbers", expanding=True)))
)
_LOCK_SALES = (
    select(_SALE_TABLE.c.id)
    .where(_SALE_TABLE.c.number.in_(bindparam("numbers", expanding=True)))
    .order_by(_SALE_TABLE.c.id)
    .with_for_update()
)
_RUN_LINES = (
    select(
        SaleLine.id,
        SaleLine.sale_id,
        SaleLine.position,
        SaleLine.item_id,
        Item.code,
        Item.is_lot,
        SaleLine.net_dong,
        SaleLine.quantity,
        SaleLine.short_pieces,
        func.coalesce(func.sum(Refund.amount_dong), 0).label("refunded"),
        func.coalesce(func.sum(Refund.quantity), 0).label("returned"),
        func.count(Refund.id).label("refunds"),
    )  # fmt: skip
    .join(Item, Item.id == SaleLine.item_id)
    .outerjoin(Refund, Refund.sale_line_id == SaleLine.id)
    .where(SaleLine.sale_id.in_(bindparam("ids", expanding=True)))
    .group_by(SaleLine.id, Item.code, Item.is_lot)
    .order_by(SaleLine.sale_id, SaleLine.position)
)


def _bulk_items(
    sale: PastSale, stock: dict[str, tuple[Item, datetime]], left: dict[int, int]
) -> dict[str, Item] | None:
    """The sale's items by code as :func:`_checked_items` finds them, if each is in the
    sale once, with nothing short, and still in stock (one of a kind whole, a lot with the
    pieces); ``None`` if one is not. ``left``: the pieces (1 for an item) each has left,
    taken down."""
    try:
        items = _checked_items(sale.request, stock, sale.at)
    except InvalidInput:
        return None
    lines = sale.request.lines
    if len(items) < len(lines) or any(line.short_pieces for line in lines):
        return None
    for line in lines:
        item = items[line.code]
        if item.id not in left:
            in_stock = item.status == ItemStatus.IN_STOCK
            left[item.id] = (item.quantity_on_hand if item.is_lot else 1) if in_stock else 0
        if not (item.is_lot or line.quantity == 1) or left[item.id] < line.quantity:
            return None
    for line in lines:
        left[items[line.code].id] -= line.quantity
    return items


def _shifts_over(
    session: Session,
    member_ids: set[int],
    first: datetime,
    last: datetime,
    ids: set[int] = frozenset(),
) -> list[Shift]:
    """The shifts of those members open at some moment from ``first`` to ``last``, and
    those of ``ids``."""
    over = (
        Shift.member_id.in_(member_ids)
        & (Shift.opened_at <= last)
        & ((Shift.closed_at.is_(None)) | (Shift.closed_at >= first))
    )
    return list(session.scalars(select(Shift).where(over | Shift.id.in_(ids) if ids else over)))


def _shift_then(shifts, member_id: int, at: datetime):
    """Of ``shifts`` (rows, or a run's :class:`_RunShift`), the member's that was open at
    ``at``, its ends included: the last opened, if two were."""
    open_then = [
        s
        for s in shifts
        if s.member_id == member_id
        and s.opened_at <= at
        and (s.closed_at is None or s.closed_at >= at)
    ]
    return max(open_then, key=lambda s: s.opened_at, default=None)


def _write_run(session: Session, run: _Run) -> list[int]:
    """The planned run: its new shifts in one INSERT (closed already, those it closes),
    the item changes' rail numbers taken in the events' order, its price changes, its sales
    as :func:`_write_past_sales` writes them, its voids and refunds, then each shift it
    closes closed with its drawer worked out as :func:`_close` works it out, in one
    UPDATE."""
    reopen = _open_run_shifts(session, run)
    numbers = _rail_numbers(session, run.taken)
    changes = [p for p in run.taken if isinstance(p, _PlannedChange)]
    if changes:
        _write_price_changes(session, changes, numbers)
    sales = [p for p in run.taken if isinstance(p, _Planned)]
    for planned, sale_id in zip(sales, _write_past_sales(session, sales, numbers), strict=True):
        planned.made.id = sale_id
    undone = [p for p in run.taken if isinstance(p, _PlannedVoid | _PlannedRefund)]
    refund_ids = _write_voids_and_refunds(session, undone, numbers) if undone else {}
    closing = list(dict.fromkeys(s for s in run.taken if isinstance(s, _RunShift) and s.closing))
    if closing:
        _close_run_shifts(session, closing)
    if reopen:
        session.execute(_REOPEN, {"ids": [s.id for s in reopen]})
    return [_written_id(taken, refund_ids) for taken in run.taken]


def _written_id(taken: _Taken, refund_ids: dict[int, int]) -> int:
    """What :func:`enter_past_run` answers for ``taken`` (see there)."""
    if isinstance(taken, _Planned):
        return taken.made.id
    if isinstance(taken, _PlannedChange):
        return taken.item.id
    if isinstance(taken, _PlannedVoid):
        return taken.sale.id
    if isinstance(taken, _PlannedRefund):
        return refund_ids[id(taken)]
    return taken.id


def _rail_numbers(session: Session, taken: list[_Taken]) -> dict[int, list[int]]:
    """The rail numbers of each planned event that changes items (by ``id()``), taken in
    one statement in the run's order, as one at a time they would have been: one a sale's
    line, a price change, a void's line put back, a refund that restocks."""
    wanted = [(id(p), _item_changes(p)) for p in taken]
    numbers = reserve_rail_versions(session, sum(n for _key, n in wanted))
    given, start = {}, 0
    for key, count in wanted:
        given[key], start = numbers[start : start + count], start + count
    numbers[:] = []  # each stamped with its own below
    return given


def _item_changes(planned: _Taken) -> int:
    if isinstance(planned, _Planned):
        return len(planned.sale.request.lines)
    if isinstance(planned, _PlannedChange):
        return 1
    if isinstance(planned, _PlannedVoid):
        return len(planned.back)
    if isinstance(planned, _PlannedRefund):
        return int(planned.restock)
    return 0


def _write_price_changes(
    session: Session, changes: list[_PlannedChange], numbers: dict[int, list[int]]
) -> None:
    """Each item's new price (stamped with its rail number, in order), the changes and
    their log lines in one statement each. First of the run's writes to items: a run
    changes the price only of an item it has not moved before."""
    session.execute(
        _NEW_PRICE,
        [{"item_id": p.item.id, "price": p.change.price_dong, "version": numbers[id(p)][0]}
         for p in changes],
    )  # fmt: skip
    rows = [
        {"item_id": p.item.id, "at": p.change.at, "old_price_dong": p.old_price_dong,
         "price_dong": p.change.price_dong, "by_id": p.change.by.id, "reason": p.reason}
        for p in changes
    ]  # fmt: skip
    session.execute(insert(PriceChange.__table__), rows)
    audit.record_rows(
        session,
        [stock_service.price_change_audit(
            p.item.code, p.old_price_dong, p.change.price_dong,
            by=p.change.by, at=p.change.at, reason=p.reason,
        ) for p in changes],
    )  # fmt: skip
    for p in changes:  # its rail number is stale now
        session.expire(p.item, ["rail_version"])


_NEW_PRICE = (
    update(Item.__table__)
    .where(_ITEM.id == bindparam("item_id"))
    .values(price_dong=bindparam("price"), rail_version=bindparam("version"))
)


def _write_voids_and_refunds(
    session: Session, undone: list[_PlannedVoid | _PlannedRefund], numbers: dict[int, list[int]]
) -> dict[int, int]:
    """The run's voids and refunds in one INSERT each, their log lines in one, what they
    put back on the rail in two UPDATEs at most (after the sales took them: a run sells
    nothing it put back), each stamped with its rail number; the refunds' ids by the
    plan's ``id()``."""
    voids = [p for p in undone if isinstance(p, _PlannedVoid)]
    refunds = [p for p in undone if isinstance(p, _PlannedRefund)]
    if voids:
        session.execute(
            insert(Void.__table__),
            [{"sale_id": p.sale.id, "at": p.void.at, "by_id": p.void.by.id, "reason": p.reason,
              "client_id": None} for p in voids],
        )  # fmt: skip
    refund_ids = _insert_refunds(session, refunds) if refunds else {}
    audit.record_rows(session, [_undone_audit(p) for p in undone])
    backs = [
        (line.item_id, line.is_lot, pieces, number)
        for p in undone
        for (line, pieces), number in zip(_backs(p), numbers[id(p)], strict=True)
    ]
    _put_back_all(session, backs)
    for model, ids in ((Item, {b[0] for b in backs}), (Sale, {p.sale.id for p in undone})):
        for row_id in ids:  # rows read before are stale now
            loaded = session.identity_map.get(identity_key(model, row_id))
            if loaded is not None:
                session.expire(loaded)
    return refund_ids


def _backs(planned: _PlannedVoid | _PlannedRefund) -> list[tuple[_RunLine, int]]:
    if isinstance(planned, _PlannedVoid):
        return planned.back
    return [(planned.line, planned.quantity)] if planned.restock else []


def _undone_audit(planned: _PlannedVoid | _PlannedRefund) -> dict:
    if isinstance(planned, _PlannedVoid):
        void = planned.void
        return _void_audit(planned.sale, by=void.by, at=void.at, reason=planned.reason)
    refund = planned.refund
    return _refund_audit(
        planned.sale.number, planned.line.code, by=refund.by, at=refund.at,
        amount_dong=refund.amount_dong, method=planned.method, reason=planned.reason,
    )  # fmt: skip


def _insert_refunds(session: Session, refunds: list[_PlannedRefund]) -> dict[int, int]:
    """The refunds in one INSERT, their ids by the plan's ``id()``: the lines of the sales
    the run made are read first (one statement). Rows alike in line and amount take their
    ids in order."""
    made = {p.sale.id for p in refunds if p.line.id is None}
    if made:
        ids = {(s, pos): i for i, s, pos in session.execute(_LINE_IDS, {"ids": list(made)})}
        for p in refunds:
            if p.line.id is None:
                p.line.id = ids[p.sale.id, p.line.position]
    rows = [
        {"sale_line_id": p.line.id, "at": p.refund.at, "by_id": p.refund.by.id,
         "shift_id": p.shift.id if p.shift else None, "quantity": p.quantity,
         "amount_dong": p.refund.amount_dong, "method": p.kept, "reason": p.reason,
         "restock": p.restock, "client_id": None}
        for p in refunds
    ]  # fmt: skip
    table = Refund.__table__
    written = session.execute(
        insert(table).returning(table.c.id, table.c.sale_line_id, table.c.amount_dong), rows
    ).all()
    by_key: dict[tuple, list[int]] = {}
    for refund_id, *key in sorted(written):
        by_key.setdefault(tuple(key), []).append(refund_id)
    return {
        id(p): by_key[row["sale_line_id"], row["amount_dong"]].pop(0)
        for p, row in zip(refunds, rows, strict=True)
    }


_LINE_IDS = select(SaleLine.id, SaleLine.sale_id, SaleLine.position).where(
    SaleLine.sale_id.in_(bindparam("ids", expanding=True))
)


def _write_past_sales(
    session: Session, plan: list[_Planned], numbers: dict[int, list[int]]
) -> list[int]:
    """The planned sales in one INSERT, their one-of-a-kind items taken in one conditional
    UPDATE and their lots' pieces in another (as :func:`_write_lines` takes them, each line
    stamped with its own rail number of ``numbers``, in order); their lines, and the audit
    lines of their discounts, in one INSERT each."""
    if not plan:
        return []
    rows = []
    for p in plan:
        row = _sale_row(
            p.sale.request, p.priced, cashier=p.sale.cashier, at=p.sale.at,
            entered_by=p.sale.cashier, shift=p.shift, transfer_confirmed=True,
        )  # fmt: skip
        if p.sale.confirmed is not None and row["transfer_dong"] > 0:
            row["confirmed_at"], row["confirmed_by_id"] = p.sale.confirmed
        rows.append({"number": p.sale.request.number, **row})
    ids = insert_in_order(session, Sale.number, rows, Sale.id)
    placed = [
        (sale_id, p, position, line, numbers[id(p)][position])
        for sale_id, p in zip(ids, plan, strict=True)
        for position, line in enumerate(p.sale.request.lines)
    ]
    # As in _write_lines: the items taken whole in one UPDATE, each lot's pieces in its own.
    versions = {p.items[line.code].id: number for _id, p, _pos, line, number in placed
                if not p.items[line.code].is_lot}  # fmt: skip
    items = [item for p in plan for item in p.items.values()]
    rounds = _take_unique_items(session, items, versions)
    for item in items:  # one another sale took since the checks read it
        if item.id in versions and item.id not in rounds:
            raise InvalidInput("sale.item_sold", "code", code=item.code)
    lots = [(p.items[line.code], line.quantity, number) for _id, p, _pos, line, number in placed
            if p.items[line.code].is_lot]  # fmt: skip
    if lots:
        _take_pieces(session, lots)
    lines = []
    for sale_id, p, position, line, _number in placed:
        item = p.items[line.code]
        amounts = (
            p.priced.prices[position],
            p.priced.totals.sale_discount_parts[position],
            p.priced.totals.nets[position],
        )
        stock_round = None if item.is_lot else rounds[item.id]
        lines.append(
            _line_row(sale_id, position, item, line, amounts, stock_round, 0, p.tags[line.code])
        )
    audit.record_rows(
        session,
        [line for p in plan for line in _discount_lines(
            p.sale.request.number, p.priced.totals.total_dong, p.sale.request,
            by=p.sale.cashier, at=p.sale.at,
        )],
    )  # fmt: skip
    insert_rows(session, SaleLine.__table__, lines)
    return ids


def _open_run_shifts(session: Session, run: _Run) -> list[_RunShift]:
    """Insert the shifts ``run`` opens, in one statement (each given its id), written closed
    at their close when the run closes them; returns those to open again at its end.

    One left open whose member's earlier shift the run closes is written closed for now, as
    it opens, and opened again at the end: that one is still open until then (one open
    shift a member, at every statement).
    """
    new = [s for s in run.taken if isinstance(s, _RunShift) and s.opening is not None]
    new = list(dict.fromkeys(new))  # a shift opened and closed in the run is taken twice
    closes_earlier = {s.member_id for s in run.taken if isinstance(s, _RunShift)
                      and s.closing is not None and s.opening is None}  # fmt: skip
    reopen = [s for s in new if s.closed_at is None and s.member_id in closes_earlier]
    rows = [
        {
            "member_id": s.member_id,
            "opened_at": s.opened_at,
            "opening_float_dong": s.opening_float_dong,
            "closed_at": s.opened_at if s in reopen else s.closed_at,
        }
        for s in new
    ]
    for shift, shift_id in zip(new, _insert_shifts(session, rows), strict=True):
        shift.id = shift_id
    return reopen


def _insert_shifts(session: Session, rows: list[dict]) -> list[int]:
    """New shifts' ids, in order: a member opens one shift at a moment, so (member, moment)
    tells them apart."""
    if not rows:
        return []
    written = session.execute(
        insert(_SHIFT_TABLE).returning(_SHIFT.member_id, _SHIFT.opened_at, _SHIFT.id), rows
    ).all()
    ids = {(member_id, opened_at): shift_id for member_id, opened_at, shift_id in written}
    return [ids[row["member_id"], row["opened_at"]] for row in rows]


def _close_run_shifts(session: Session, closing: list[_RunShift]) -> None:
    """Close each shift as :func:`_close` does, in one UPDATE for them all; a shift another
    counter closed meanwhile stops it (the UPDATE finds it closed: its expected cash is
    set)."""
    drawers = _drawers(session, {s.id: s.opening_float_dong for s in closing})
    rows = []
    for shift in closing:
        drawer, closes = drawers[shift.id], shift.closing
        if drawer.waiting:
            raise InvalidInput("shift.transfer_waiting", "shift")
        rows.append(
            {
                "shift_id": shift.id,
                "at": max(closes.at, shift.opened_at, drawer.last or closes.at),
                "counted": closes.counted_dong,
                "expected": drawer.count.expected_dong,
                "by_id": closes.by.id,
            }
        )
    done = session.execute(_CLOSE_SHIFT, rows).rowcount
    if done != len(rows):
        raise InvalidInput("shift.already_closed", "shift")
    for shift in closing:  # rows read before are stale now
        loaded = session.identity_map.get(identity_key(Shift, shift.id))
        if loaded is not None:
            session.expire(loaded)


_SHIFT_TABLE = Shift.__table__
_SHIFT = _SHIFT_TABLE.c
_REOPEN = (
    update(Shift.__table__)
    .where(_SHIFT.id.in_(bindparam("ids", expanding=True)))
    .values(closed_at=None)
)
# Closes a shift with its count (not one closed already: its expected cash is set when it
# closes, and only then).
_CLOSE_SHIFT = (
    update(Shift.__table__)
    .where(_SHIFT.id == bindparam("shift_id"), _SHIFT.expected_cash_dong.is_(None))
    .values(
        closed_at=bindparam("at"),
        counted_cash_dong=bindparam("counted"),
        expected_cash_dong=bindparam("expected"),
        closed_by_id=bindparam("by_id"),
    )
)


def void(
    session: Session,
    sale: Sale,
    *,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
    reason: str,
    client_id: str | None = None,
) -> Void:
    """Void ``sale`` (see :func:`void_sale`), with its void slip."""
    voided, new = void_sale(session, sale, by=by, at=at, reason=reason, tz=tz, client_id=client_id)
    if new:
        printing_service.after_void(session, sale, by=by)
    return voided


def refund(
    session: Session, sale: Sale, position: int, *, by: Member, at: datetime, tz: ZoneInfo, **asked
) -> Refund:
    """Give money back on the line at ``position`` of ``sale`` (``asked``: the amount, the
    pieces, the method, the reason, restock and the client id, as :func:`refund_line` takes
    them), in ``by``'s shift if she has one open (cash comes out of its drawer), with the
    refund slip."""
    given, new = refund_line(
        session, sale, position, by=by, at=at, tz=tz, shift=current_shift(session, by), **asked
    )
    if new:
        printing_service.after_refund(session, given, by=by)
    return given
