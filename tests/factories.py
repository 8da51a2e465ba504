"""Rows for tests, made through the services as the shop makes them: stock received, sales
rung up, shifts opened. One home for what a dozen test files used to build by hand; each
keeps only what its test is about (which items, which prices, when).

    donated(session, at, A=("Áo", 50_000), D=("Quần", 25_000), SOCKS=("Phụ kiện", 10_000, 5))
    consigned(session, at, 2, B=("Váy", 120_000))
    sale = sell(session, "A", line("B", discount_dong=10_000, discount_reason="vết bẩn"),
                at=AT, tendered_dong=200_000)
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shop.models import Intake, IntakeKind, Member, Sale, Shift
from shop.services import counter, stock
from shop.services import members as member_service

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def member(session, number: int) -> Member:
    return member_service.get_member(session, number)


def receive(
    session,
    at: datetime,
    kind: IntakeKind = IntakeKind.DONATION,
    *,
    owner: int | None = None,
    by: int = 1,
    **stocked: tuple,
) -> Intake:
    """An intake received ``at`` by member ``by`` (``owner``'s consignment, or a donation),
    with one row per keyword: ``CODE=(category, price)`` or ``(category, price,
    description)`` for a one-of-a-kind item, ``CODE=(category, price, pieces, description)``
    with an ``int`` third for a lot."""
    intake = stock.receive_intake(
        session, stock.IntakeDetails(kind, at, owner_number=owner), by=member(session, by), tz=HANOI
    )
    for code, row in stocked.items():
        category, price, *rest = row
        if rest and isinstance(rest[0], int):
            pieces, *about = rest
            stock.add_lot(
                session, intake, stock.LotDetails(category, price, pieces, *about, code=code)
            )
        else:
            stock.add_item(session, intake, stock.ItemDetails(category, price, *rest, code=code))
    return intake


def donated(session, at: datetime, **stocked: tuple) -> Intake:
    """Items and lots given to the group (see :func:`receive`)."""
    return receive(session, at, **stocked)


def consigned(session, at: datetime, owner: int, **stocked: tuple) -> Intake:
    """Member ``owner``'s items, sold for her (see :func:`receive`)."""
    return receive(session, at, IntakeKind.CONSIGNMENT, owner=owner, **stocked)


def line(code: str, quantity: int = 1, **discount) -> counter.LineRequest:
    return counter.LineRequest(code, quantity, **discount)


def open_shift(session, number: int, float_dong: int, at: datetime) -> Shift:
    return counter.open_shift(session, member(session, number), float_dong, at=at, tz=HANOI)


def sell(
    session,
    *lines: str | counter.LineRequest,
    at: datetime,
    cashier: int | Member = 1,
    tz: ZoneInfo = HANOI,
    **asked,
) -> Sale:
    """A sale of ``lines`` (codes, or :func:`line` for a quantity or a discount) by
    ``cashier`` (her number, or herself) ``at``, through the counter's one service;
    ``asked`` goes to the sale's request (payment, discount, client id) or to the service
    (``shift``, ``require_shift``)."""
    for_service = {name: asked.pop(name) for name in ("shift", "require_shift") if name in asked}
    request = counter.SaleRequest(
        lines=tuple(counter.LineRequest(item) if isinstance(item, str) else item for item in lines),
        **asked,
    )
    who = cashier if isinstance(cashier, Member) else member(session, cashier)
    return counter.record_sale(session, request, cashier=who, at=at, tz=tz, **for_service)[0]


def varied_sale_bodies(phone: str) -> list[dict]:
    """Three ``POST /sales`` bodies that between them show what a receipt and an answer
    can hold (for a shop stocked with A, B of member 2's, C and the lot SOCKS): a cash sale
    with a line discount, two pieces of the lot, an owner's item and a discount on the whole;
    a sale waiting for its transfer; one piece of the lot for cash. Client ids
    ``{phone}-1`` to ``-3``."""
    return [
        {
            "client_id": f"{phone}-1",
            "lines": [
                {"code": "B", "discount_dong": 10000, "discount_reason": "vết bẩn"},
                {"code": "SOCKS", "quantity": 2},
                {"code": "A"},
            ],
            "discount_dong": 5000,
            "discount_reason": "khách quen",
            "tendered_dong": 500000,
        },
        {"client_id": f"{phone}-2", "lines": [{"code": "C"}], "transfer_dong": 35000},
        {"client_id": f"{phone}-3", "lines": [{"code": "SOCKS"}], "tendered_dong": 10000},
    ]
