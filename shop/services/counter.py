"""The counter: shifts, the cart, sales, transfers waiting for the money, voids and refunds.

A unique item is taken out of stock with one conditional UPDATE (``status = 'in_stock'``
→ ``'sold'``); if another counter got there first the UPDATE changes nothing and the whole
sale is refused, so an item is never sold twice. The (item, round) uniqueness of sale lines
backs that in the database. Lots are taken the same way, by their quantity on hand.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from shop.domain.calendar import local_date
from shop.domain.money import format_dong
from shop.domain.pricing import month_key
from shop.domain.sale import Line, SaleError, payment, totals
from shop.models import (
    CartDiscount,
    CartLine,
    Intake,
    Item,
    ItemStatus,
    Member,
    PaymentMethod,
    Refund,
    Sale,
    SaleLine,
    Shift,
    Void,
    next_in_sequence,
)
from shop.services import audit
from shop.services import stock as stock_service
from shop.services.errors import InvalidInput, NotFound
from shop.services.month import ensure_month_open
from shop.services.policy import policy_in_force

SALE_ERRORS = {
    "empty": (_l("The cart is empty: scan or add an item first."), "code"),
    "quantity": (_l("The quantity must be at least 1."), "quantity"),
    "price": (_l("The price is not possible."), "price_dong"),
    "line_discount": (_l("A line's discount cannot be more than the line."), "discount_dong"),
    "sale_discount": (_l("The discount cannot be more than the sale."), "sale_discount_dong"),
    "transfer": (_l("The transfer cannot be more than the total."), "transfer_dong"),
    "tendered": (_l("The cash handed over must cover the cash part."), "tendered_dong"),
}


def _refuse(error: SaleError):
    message, field_name = SALE_ERRORS.get(error.code, (_l("The sale is not possible."), None))
    return InvalidInput(message, field_name)


# ---------------------------------------------------------------- shifts


def open_shift(
    session: Session, member: Member, float_dong: int, *, at: datetime, tz: ZoneInfo | None = None
) -> Shift:
    """Open a shift for ``member`` with ``float_dong`` in the drawer, at ``at``.

    Not in a closed month (its hours would change the month's work shares); ``tz`` is the
    shop's time zone, the app's when left out.
    """
    if not isinstance(float_dong, int) or float_dong < 0:
        raise InvalidInput(_l("The opening float cannot be negative."), "opening_float_dong")
    ensure_month_open(session, at, tz or _shop_tz(), "shift")
    if current_shift(session, member) is not None:
        raise InvalidInput(_l("Your shift is already open."), "shift")
    shift = Shift(member_id=member.id, opened_at=at, opening_float_dong=float_dong)
    session.add(shift)
    session.flush()
    return shift


def _shop_tz() -> ZoneInfo:
    from flask import current_app

    return current_app.config["SHOP_TZ"]


def current_shift(session: Session, member: Member) -> Shift | None:
    return session.scalar(
        select(Shift).where(Shift.member_id == member.id, Shift.closed_at.is_(None))
    )


def get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(_l("There is no such shift."), "shift")
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
    cash_sales = session.scalar(
        select(func.coalesce(func.sum(Sale.cash_dong), 0))
        .outerjoin(Void, Void.sale_id == Sale.id)
        .where(Sale.shift_id == shift.id, Void.id.is_(None))
    )
    cash_refunds = session.scalar(
        select(func.coalesce(func.sum(Refund.amount_dong), 0)).where(
            Refund.shift_id == shift.id, Refund.method == PaymentMethod.CASH
        )
    )
    return CashCount(shift.opening_float_dong, int(cash_sales), int(cash_refunds))


def close_shift(
    session: Session, shift: Shift, counted_dong: int, *, at: datetime, by: Member
) -> CashCount:
    """Close a shift with the cash counted; the expected cash is kept beside it."""
    if shift.closed_at is not None:
        raise InvalidInput(_l("This shift is already closed."), "shift")
    if not isinstance(counted_dong, int) or counted_dong < 0:
        raise InvalidInput(_l("The counted cash cannot be negative."), "counted_cash_dong")
    waiting = session.scalar(
        select(func.count(Sale.id))
        .outerjoin(Void, Void.sale_id == Sale.id)
        .where(
            Sale.shift_id == shift.id,
            Sale.transfer_dong > 0,
            Sale.confirmed_at.is_(None),
            Void.id.is_(None),
        )
    )
    if waiting:
        raise InvalidInput(
            _l(
                "A transfer is still waiting: confirm it or cancel the sale "
                "before closing the shift."
            ),
            "shift",
        )
    count = cash_count(session, shift)
    shift.closed_at = max(at, shift.opened_at)
    shift.counted_cash_dong = counted_dong
    shift.expected_cash_dong = count.expected_dong
    shift.closed_by_id = by.id
    session.flush()
    return count


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
    """Put the item with ``code`` (as scanned or typed) in the cart; a lot by ``quantity``."""
    item = stock_service.get_item(session, code)
    if not item.in_stock:
        if item.status == ItemStatus.SOLD or (item.is_lot and item.quantity_on_hand == 0):
            raise InvalidInput(_l("Item %(code)s is already sold.", code=item.code), "code")
        raise InvalidInput(_l("Item %(code)s is no longer in stock.", code=item.code), "code")
    line = session.scalar(
        select(CartLine).where(CartLine.member_id == member.id, CartLine.item_id == item.id)
    )
    if line is not None and not item.is_lot:
        raise InvalidInput(_l("Item %(code)s is already in the cart.", code=item.code), "code")
    wanted = quantity + (line.quantity if line else 0)
    if item.is_lot and wanted > (item.quantity_on_hand or 0):
        raise InvalidInput(
            _l("Only %(left)s left of %(code)s.", left=item.quantity_on_hand, code=item.code),
            "quantity",
        )
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
        raise NotFound(_l("This line is not in your cart."), "line")
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
    reason = " ".join((reason or "").split())
    if discount_dong and not reason:
        raise InvalidInput(_l("Say why there is a discount."), "discount_reason")
    if quantity < 1:
        raise InvalidInput(_l("The quantity must be at least 1."), "quantity")
    if not line.item.is_lot and quantity != 1:
        raise InvalidInput(_l("This item is one of a kind."), "quantity")
    if line.item.is_lot and quantity > (line.item.quantity_on_hand or 0):
        raise InvalidInput(
            _l(
                "Only %(left)s left of %(code)s.",
                left=line.item.quantity_on_hand,
                code=line.item.code,
            ),
            "quantity",
        )
    line.quantity = quantity
    line.discount_dong = discount_dong
    line.discount_reason = reason[:200]
    session.flush()
    return line


def remove_from_cart(session: Session, member: Member, line_id: int) -> None:
    session.delete(_cart_line(session, member, line_id))  # a draft, not the books
    session.flush()


def set_cart_discount(session: Session, member: Member, discount_dong: int, reason: str) -> None:
    reason = " ".join((reason or "").split())
    if discount_dong and not reason:
        raise InvalidInput(_l("Say why there is a discount."), "discount_reason")
    row = session.get(CartDiscount, member.id) or CartDiscount(member_id=member.id)
    row.discount_dong = discount_dong
    row.reason = reason[:200]
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
) -> tuple[Sale, bool]:
    """Record a sale; return it and whether it is new (False: the same client id came again).

    Prices are those of the sale's day (markdown applied) unless the request gives them.
    Every item is taken out of stock by a conditional UPDATE; if one is gone the whole sale
    is refused and nothing of it stays. A sale dated in a closed month (a notebook sale
    entered late, say) is refused: corrections go into the current month. A sale with a
    transfer part waits for
    :func:`confirm_transfer` unless ``transfer_confirmed`` (a sale entered afterwards from the
    paper notebook, whose money arrived long ago).
    """
    if request.client_id:
        existing = session.scalar(select(Sale).where(Sale.client_id == request.client_id))
        if existing is not None:
            return existing, False
    ensure_month_open(session, at, tz, "at")
    if shift is None:
        shift = current_shift(session, cashier)
    if shift is None and require_shift:
        raise InvalidInput(_l("Open your shift first."), "shift")
    if not request.lines:
        raise _refuse(SaleError("empty"))
    for line in request.lines:
        if line.discount_dong and not " ".join(line.discount_reason.split()):
            raise InvalidInput(_l("Say why there is a discount."), "discount_reason")
    if request.discount_dong and not " ".join(request.discount_reason.split()):
        raise InvalidInput(_l("Say why there is a discount."), "discount_reason")
    codes = [line.code for line in request.lines]
    items = {
        item.code: item
        for item in session.scalars(
            select(Item).where(Item.code.in_(codes)).options(joinedload(Item.category))
        )
    }
    for code in codes:
        if code not in items:
            raise InvalidInput(_l("There is no item with code %(code)s.", code=code), "code")
    came_in = dict(
        session.execute(
            select(Item.code, Intake.received_at)
            .join(Intake, Item.intake_id == Intake.id)
            .where(Item.code.in_(codes))
        ).all()
    )
    for code in codes:
        if came_in[code] > at:
            raise InvalidInput(
                _l("Item %(code)s had not come in yet at that time.", code=code), "code"
            )
    unique_codes = [c for c in codes if not items[c].is_lot]
    if len(unique_codes) != len(set(unique_codes)):
        raise InvalidInput(_l("One item is twice in the sale."), "code")
    day = local_date(at, tz)
    policy = policy_in_force(session, month_key(day))
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
        )
    except SaleError as error:
        raise _refuse(error) from None
    sale = Sale(
        number=request.number or next_in_sequence(session, "sale"),
        client_id=request.client_id or str(uuid.uuid4()),
        at=at,
        cashier_id=cashier.id,
        shift_id=shift.id if shift else None,
        entered_by_id=(entered_by or cashier).id,
        discount_dong=request.discount_dong,
        discount_reason=" ".join(request.discount_reason.split())[:200],
        total_dong=result.total_dong,
        cash_dong=paid.cash_dong,
        transfer_dong=paid.transfer_dong,
        tendered_dong=paid.tendered_dong,
        confirmed_at=at if paid.transfer_dong == 0 or transfer_confirmed else None,
    )
    if request.client_id and session.get_bind().dialect.name == "postgresql":
        # The same sale sent from two places at once (a retry racing the first try): the
        # second insert waits for the first to commit, then meets the unique client id.
        # It answers with the sale already recorded, as a retry after the fact does.
        # (On SQLite the write transactions run one at a time: the check above suffices.)
        try:
            with session.begin_nested():
                session.add(sale)
                session.flush()
        except IntegrityError:
            if sale in session:
                session.expunge(sale)
            with session.no_autoflush:
                existing = session.scalar(select(Sale).where(Sale.client_id == request.client_id))
            if existing is None:
                raise
            return existing, False
    else:
        session.add(sale)
    session.flush()
    for position, (line, price, part, net) in enumerate(
        zip(request.lines, prices, result.sale_discount_parts, result.nets, strict=True)
    ):
        item = items[line.code]
        stock_round = _take_from_stock(session, item, line.quantity)
        session.add(
            SaleLine(
                sale_id=sale.id,
                position=position,
                item_id=item.id,
                stock_round=stock_round,
                quantity=line.quantity,
                tag_price_dong=item.price_dong,
                unit_price_dong=price,
                discount_dong=line.discount_dong,
                discount_reason=" ".join(line.discount_reason.split())[:200],
                sale_discount_dong=part,
                net_dong=net,
                owner_id=item.owner_id,
                consignor_bp=item.consignor_bp if item.owner_id is not None else None,
            )
        )
    discounted = [
        {"code": line.code, "discount_dong": line.discount_dong, "reason": line.discount_reason}
        for line in request.lines
        if line.discount_dong
    ]
    if discounted or request.discount_dong:
        audit.record(
            session, "discount", by=entered_by or cashier, at=at, subject=f"sale {sale.number}",
            lines=discounted, sale_discount_dong=request.discount_dong,
            reason=sale.discount_reason, total_dong=sale.total_dong,
        )  # fmt: skip
    session.flush()
    return sale, True


def _take_from_stock(session: Session, item: Item, quantity: int) -> int | None:
    """Take ``quantity`` of ``item`` out of stock, or refuse if someone else already did.

    The UPDATEs here and in :func:`_put_back` skip SQLAlchemy's in-memory synchronisation
    (``synchronize_session=False``), which would test every object the session holds, and
    expire what they changed on ``item`` instead: the cost stays the same however many
    objects a long session (a journal import) has loaded.
    """
    if item.is_lot:
        changed = session.execute(
            update(Item)
            .where(
                Item.id == item.id,
                Item.status == ItemStatus.IN_STOCK,
                Item.quantity_on_hand >= quantity,
            )
            .values(quantity_on_hand=Item.quantity_on_hand - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.expire(item, ["quantity_on_hand"])
        if changed != 1:
            raise InvalidInput(
                _l("Only %(left)s left of %(code)s.", left=_on_hand(session, item), code=item.code),
                "quantity",
            )
        return None
    if quantity != 1:
        raise InvalidInput(_l("This item is one of a kind."), "quantity")
    stock_round = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == ItemStatus.IN_STOCK)
        .values(status=ItemStatus.SOLD, times_sold=Item.times_sold + 1)
        .returning(Item.times_sold)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.expire(item, ["status", "times_sold"])
    if stock_round is None:
        raise InvalidInput(_l("Item %(code)s is already sold.", code=item.code), "code")
    return stock_round


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
    """Turn the cashier's cart into a sale and empty the cart (``all_by_transfer``: the
    whole total is paid by transfer, whatever the prices come to)."""
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
    sale, new = record_sale(session, request, cashier=member, at=at, tz=tz)
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
        raise NotFound(_l("There is no sale number %(number)s.", number=number), "number")
    return sale


def confirm_transfer(session: Session, sale: Sale, *, at: datetime) -> Sale:
    """The cashier saw the transfer arrive: the sale is complete."""
    if sale.void is not None:
        raise InvalidInput(_l("This sale was voided."), "number")
    if sale.transfer_dong == 0 or sale.confirmed_at is not None:
        return sale
    sale.confirmed_at = at
    session.flush()
    return sale


def void_sale(
    session: Session,
    sale: Sale,
    *,
    by: Member,
    at: datetime,
    reason: str,
    tz: ZoneInfo | None = None,
) -> Void:
    """Cancel a whole sale within its own shift; its items go back on the rail.

    Neither the sale's month nor the void's may be closed (``tz``: the shop's time zone,
    the app's when left out).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(_l("Say why the sale is voided."), "reason")
    ensure_month_open(session, sale.at, tz or _shop_tz(), "number")
    ensure_month_open(session, at, tz or _shop_tz(), "number")
    if sale.void is not None:
        raise InvalidInput(_l("This sale is already voided."), "number")
    if sale.shift is None or sale.shift.closed_at is not None:
        raise InvalidInput(
            _l("Only a sale of a shift that is still open can be voided; refund it instead."),
            "number",
        )
    refunded = session.scalar(
        select(func.count(Refund.id)).join(SaleLine).where(SaleLine.sale_id == sale.id)
    )
    if refunded:
        raise InvalidInput(_l("Part of this sale was refunded: refund the rest instead."), "number")
    void = Void(sale_id=sale.id, at=at, by_id=by.id, reason=reason[:300])
    session.add(void)
    audit.record(
        session, "void", by=by, at=at, subject=f"sale {sale.number}",
        total_dong=sale.total_dong, cash_dong=sale.cash_dong, reason=void.reason,
    )  # fmt: skip
    for line in sale.lines:
        _put_back(session, line.item, line.quantity)
    session.flush()
    session.refresh(sale)
    return void


def _put_back(session: Session, item: Item, quantity: int) -> None:
    if item.is_lot:
        session.execute(
            update(Item)
            .where(Item.id == item.id)
            .values(quantity_on_hand=Item.quantity_on_hand + quantity)
            .execution_options(synchronize_session=False)
        )
    else:
        session.execute(
            update(Item)
            .where(Item.id == item.id, Item.status == ItemStatus.SOLD)
            .values(status=ItemStatus.IN_STOCK)
            .execution_options(synchronize_session=False)
        )
    session.expire(item)


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
    quantity: int,
    method: PaymentMethod,
    reason: str,
    restock: bool,
    by: Member,
    at: datetime,
    shift: Shift | None,
    tz: ZoneInfo | None = None,
) -> Refund:
    """Give money back for (part of) one line of a sale; never more than was paid for it.

    A cash refund comes out of the drawer of the refunding member's open shift. The refund
    is booked in the month of ``at`` (the sale's month may be closed), which must be open
    (``tz``: the shop's time zone, the app's when left out).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(_l("Say why the money is given back."), "reason")
    ensure_month_open(session, at, tz or _shop_tz(), "at")
    if sale.void is not None:
        raise InvalidInput(_l("This sale was voided."), "number")
    if sale.awaiting_transfer:
        raise InvalidInput(_l("This sale is still waiting for its transfer."), "number")
    line = next((line for line in sale.lines if line.position == position), None)
    if line is None:
        raise InvalidInput(_l("This sale has no such line."), "line")
    if not isinstance(amount_dong, int) or amount_dong <= 0:
        raise InvalidInput(_l("The amount must be more than 0 đồng."), "amount_dong")
    already, returned = refunded_so_far(session, line)
    if already + amount_dong > line.net_dong:
        raise InvalidInput(
            _l(
                "At most %(left)s can still be refunded on this line.",
                left=format_dong(line.net_dong - already),
            ),
            "amount_dong",
        )
    if quantity < 1 or returned + quantity > line.quantity:
        raise InvalidInput(_l("More pieces than were sold on this line."), "quantity")
    if method == PaymentMethod.CASH and shift is None:
        raise InvalidInput(_l("Open your shift first: the cash comes out of its drawer."), "shift")
    refund = Refund(
        sale_line_id=line.id,
        at=at,
        by_id=by.id,
        shift_id=shift.id if shift else None,
        quantity=quantity,
        amount_dong=amount_dong,
        method=method,
        reason=reason[:300],
        restock=restock,
    )
    session.add(refund)
    audit.record(
        session, "refund", by=by, at=at, subject=f"sale {sale.number}",
        code=line.item.code, amount_dong=amount_dong, method=method, reason=refund.reason,
    )  # fmt: skip
    if restock:
        _put_back(session, line.item, quantity)
    session.flush()
    return refund


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
    """The shift of ``member`` that was open at the moment ``at``, if any."""
    return session.scalar(
        select(Shift)
        .where(
            Shift.member_id == member.id,
            Shift.opened_at <= at,
            (Shift.closed_at.is_(None)) | (Shift.closed_at >= at),
        )
        .order_by(Shift.opened_at.desc())
        .limit(1)
    )


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
            raise InvalidInput(
                _l(
                    "Write one code per line, with the number of pieces after "
                    "it for a lot: SOCKS 3."
                ),
                "codes",
            )
        quantity = int(match["times"] or match["count"] or 1)
        lines.append(LineRequest(match["code"], max(1, quantity)))
    return lines
