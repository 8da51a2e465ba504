"""The counter through the API: shifts, sales (idempotent by client id), transfers, voids
and refunds. A phone app or a script rings up sales exactly as the counter page does."""

from __future__ import annotations

import re
from datetime import UTC

from flask import request
from flask_babel import lazy_gettext as _l

from shop import clock
from shop.api import body, require_coordinator, route
from shop.api.common import (
    client_key,
    json_body,
    list_response,
    ref_response,
    refuse,
    validated,
)
from shop.api.spec import COMPONENTS
from shop.auth.access import current_member
from shop.counter.forms import (
    CloseShiftForm,
    OpenShiftForm,
    RefundForm,
    ResolveReviewForm,
    VoidForm,
)
from shop.domain.bank import Check
from shop.domain.text import SHORT_REASON_LENGTH
from shop.extensions import db
from shop.forms import AT_MOST
from shop.models import ReviewKind
from shop.services import bank as bank_service
from shop.services import counter as counter_service
from shop.services import members as member_service
from shop.services import printing as printing_service
from shop.services.errors import InvalidInput, NotFound
from shop.services.idempotency import CLIENT_ID

COMPONENTS["Shift"] = {
    "type": "object",
    "required": ["id", "member", "opened_at", "opening_float_dong", "expected_cash_dong"],
    "properties": {
        "id": {"type": "integer"},
        "member": {"type": "integer"},
        "opened_at": {"type": "string", "format": "date-time"},
        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
        "opening_float_dong": {"type": "integer"},
        "cash_sales_dong": {"type": "integer"},
        "cash_refunds_dong": {"type": "integer"},
        "expected_cash_dong": {"type": "integer"},
        "counted_cash_dong": {"type": "integer", "nullable": True},
        "difference_dong": {"type": "integer", "nullable": True},
    },
}
COMPONENTS["SaleLine"] = {
    "type": "object",
    "required": ["position", "code", "quantity", "unit_price_dong", "net_dong"],
    "properties": {
        "position": {"type": "integer"},
        "code": {"type": "string"},
        "quantity": {"type": "integer"},
        "tag_price_dong": {"type": "integer"},
        "unit_price_dong": {"type": "integer", "description": "markdown applied"},
        "discount_dong": {"type": "integer"},
        "discount_reason": {"type": "string"},
        "sale_discount_dong": {"type": "integer"},
        "net_dong": {"type": "integer"},
        "owner": {"type": "integer", "nullable": True},
        "refunded_dong": {"type": "integer"},
        "sold_twice": {
            "type": "boolean",
            "description": "pieces the stock no longer had when the sale arrived (offline)",
        },
        "short_pieces": {"type": "integer"},
    },
}
COMPONENTS["Sale"] = {
    "type": "object",
    "required": [
        "number",
        "client_id",
        "at",
        "cashier",
        "total_dong",
        "lines",
        "status",
        "transfer",
    ],
    "properties": {
        "number": {"type": "integer"},
        "client_id": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "cashier": {"type": "integer"},
        "shift": {"type": "integer", "nullable": True},
        "status": {"type": "string", "enum": ["complete", "awaiting_transfer", "voided"]},
        "discount_dong": {"type": "integer"},
        "discount_reason": {"type": "string"},
        "total_dong": {"type": "integer"},
        "cash_dong": {"type": "integer"},
        "transfer_dong": {"type": "integer"},
        "tendered_dong": {"type": "integer"},
        "change_dong": {"type": "integer"},
        "vietqr": {
            "type": "string",
            "nullable": True,
            "description": "the payload to show as a QR code while the transfer waits",
        },
        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/SaleLine"}},
        "transfer": {"$ref": "#/components/schemas/Transfer"},
    },
}
COMPONENTS["Transfer"] = {
    "type": "object",
    "description": "Who or what confirmed the sale's transfer, and how it stands against the bank",
    "required": ["check", "confirmed_by", "confirmed_by_name", "confirmed_at"],
    "properties": {
        "check": {
            "type": "string",
            "enum": [c.value for c in Check],
            "description": "none: no transfer; waiting; bank: confirmed by the bank; "
            "verified: confirmed by hand, then seen at the bank; pending: confirmed by hand, "
            "not seen at the bank yet; not_seen: not seen after the shop's set days; "
            "unchecked: confirmed by hand with no bank feed; voided",
        },
        "confirmed_by": {"type": "string", "enum": ["bank", "member"], "nullable": True},
        "confirmed_by_name": {
            "type": "string",
            "nullable": True,
            "description": "the member who confirmed it by hand",
        },
        "confirmed_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}
#: A line's or a sale's discount reason, as the counter's form takes it.
_DISCOUNT_REASON = body.Text(
    max_length=SHORT_REASON_LENGTH,
    nullable=True,
    default="",
    message=AT_MOST[SHORT_REASON_LENGTH],
)
#: A line of a sale as the API takes it.
SALE_LINE = body.Object(
    fields={
        "code": body.Text(
            pattern=re.compile(r"^\s*[A-Za-z0-9-]{1,32}\s*$"),
            strip=True,
            message=_l("Scan or type a code."),
        ),
        "quantity": body.Integer(
            minimum=1, maximum=100_000, default=1, message=_l("The quantity must be at least 1.")
        ),
        "discount_dong": body.Money(default=0),
        "discount_reason": _DISCOUNT_REASON,
        "unit_price_dong": body.Money(
            nullable=True, description="offline only: the price the page charged"
        ),
    },
    required=("code",),
)
#: A sale as the API takes it: checks the body of ``POST /sales`` and is its schema.
SALE = body.Object(
    fields={
        "client_id": body.Text(
            pattern=CLIENT_ID,
            nullable=True,
            description="made by the device; the same id again returns the same sale (or "
            "send an Idempotency-Key header)",
            message=_l(
                "Send a client_id (8 to 64 letters, digits or - _ . :) or "
                "an Idempotency-Key header, so a retry cannot sell twice."
            ),
        ),
        "lines": body.ListOf(
            items=SALE_LINE,
            min_items=1,
            max_items=200,
            message=_l("The cart is empty: scan or add an item first."),
        ),
        "offline": body.Boolean(
            default=False,
            description="rung up with no link: the customer has paid and left, so an item "
            "sold meanwhile does not refuse it (its line is marked sold_twice and the sale "
            "goes on the review list)",
        ),
        "at": body.Moment(
            nullable=True, description="offline only: when it was rung up on the device"
        ),
        "cashier": body.Integer(
            minimum=1,
            nullable=True,
            description="offline only: the member who rang it up (default: the one sending it)",
            message=lambda number: _l("There is no member number %(number)s.", number=number),
        ),
        "transfer_confirmed": body.Boolean(
            default=False,
            description="offline only: the cashier saw the transfer arrive on the customer's "
            "phone, as she confirms one with a link; a sale already recorded under this client "
            "id and waiting for its transfer is confirmed",
        ),
        "discount_dong": body.Money(default=0),
        "discount_reason": _DISCOUNT_REASON,
        "transfer_dong": body.Money(default=0),
        "tendered_dong": body.Money(nullable=True),
    },
    required=("lines",),
)
#: What only a sale rung up with no link may say (and each of its lines' unit_price_dong).
OFFLINE_ONLY = ("at", "cashier", "transfer_confirmed")


def shift_json(shift) -> dict:
    count = counter_service.cash_count(db.session, shift)
    expected = shift.expected_cash_dong if shift.closed_at else count.expected_dong
    return {
        "id": shift.id,
        "member": shift.member.number,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "opening_float_dong": shift.opening_float_dong,
        "cash_sales_dong": count.cash_sales_dong,
        "cash_refunds_dong": count.cash_refunds_dong,
        "expected_cash_dong": expected,
        "counted_cash_dong": shift.counted_cash_dong,
        "difference_dong": (shift.counted_cash_dong - expected)
        if shift.counted_cash_dong is not None
        else None,
    }


def sale_json(sale, *, refunded: dict[int, int] | None = None) -> dict:
    """The API's sale (``refunded``: đồng refunded by line, when known: none for a sale
    just rung up)."""
    status = sale.status.value
    from shop.services.transfers import transfer_payload

    waiting = transfer_payload(db.session, sale)
    payload = waiting[0] if waiting else None
    if refunded is None:
        refunded = counter_service.refunded_by_line(db.session, sale)
    return {
        "number": sale.number,
        "client_id": sale.client_id,
        "at": sale.at.astimezone(UTC).isoformat(),
        "cashier": sale.cashier.number,
        "shift": sale.shift_id,
        "status": status,
        "discount_dong": sale.discount_dong,
        "discount_reason": sale.discount_reason,
        "total_dong": sale.total_dong,
        "cash_dong": sale.cash_dong,
        "transfer_dong": sale.transfer_dong,
        "tendered_dong": sale.tendered_dong,
        "change_dong": sale.change_dong,
        "vietqr": payload,
        "transfer": (
            bank_service.transfer_of(db.session, sale, now=clock.now())
            if sale.transfer_dong > 0
            else bank_service.Transfer(Check.NONE)  # no transfer: nothing to read
        ).as_json(),
        "lines": [
            {
                "position": line.position,
                "code": line.item.code,
                "quantity": line.quantity,
                "tag_price_dong": line.tag_price_dong,
                "unit_price_dong": line.unit_price_dong,
                "discount_dong": line.discount_dong,
                "discount_reason": line.discount_reason,
                "sale_discount_dong": line.sale_discount_dong,
                "net_dong": line.net_dong,
                "owner": line.owner.number if line.owner else None,
                "refunded_dong": refunded.get(line.id, 0),
                "sold_twice": line.short_pieces > 0,
                "short_pieces": line.short_pieces,
            }
            for line in sale.lines
        ],
    }


def _my_shift():
    shift = counter_service.current_shift(db.session, current_member())
    if shift is None:
        raise NotFound("shift.none_open", "shift")
    return shift


@route(
    "/shifts",
    "POST",
    "Open my shift with the cash in the drawer",
    form=OpenShiftForm,
    tag="counter",
    responses={"201": {"description": "Opened", **ref_response("Shift")}},
)
def open_shift():
    form = validated(OpenShiftForm, json_body())
    shift = counter_service.open_shift(
        db.session,
        current_member(),
        form.opening_float_dong.data,
        at=clock.now(),
        tz=clock.shop_tz(),
    )
    return shift_json(shift), 201


@route(
    "/shifts/current",
    "GET",
    "My open shift and the cash it should hold",
    tag="counter",
    responses={
        "200": {"description": "The shift", **ref_response("Shift")},
        "404": {"description": "No open shift"},
    },
)
def current_shift():
    return shift_json(_my_shift())


@route(
    "/shifts/current/close",
    "POST",
    "Close my shift with the cash counted",
    form=CloseShiftForm,
    tag="counter",
    responses={"200": {"description": "Closed", **ref_response("Shift")}},
)
def close_shift():
    shift = _my_shift()
    form = validated(CloseShiftForm, json_body())
    counter_service.close_shift(
        db.session, shift, form.counted_cash_dong.data, at=clock.now(), by=current_member()
    )
    return shift_json(shift)


@route(
    "/shifts/{shift_id}",
    "GET",
    "One shift",
    tag="counter",
    responses={"200": {"description": "The shift", **ref_response("Shift")}},
)
def get_shift(shift_id: int):
    return shift_json(counter_service.get_shift(db.session, shift_id))


def _sale_request(payload: dict):
    """A sale body checked by :data:`SALE`, naming each fault like ``lines[1].quantity``:
    the sale asked for, and (when, cashier's number, transfer confirmed) if it was rung up
    with no link, else ``None``."""
    values, problems = body.checked(SALE, payload)
    if not values["offline"]:
        problems |= _offline_only(payload)
    client_id = values["client_id"] or request.headers.get("Idempotency-Key")
    if "client_id" not in problems and not CLIENT_ID.match(client_id or ""):
        problems["client_id"] = [SALE.fields["client_id"].message]
    if problems:
        refuse(problems)
    sale = counter_service.SaleRequest(
        lines=tuple(counter_service.LineRequest(**line) for line in values["lines"]),
        transfer_dong=values["transfer_dong"],
        tendered_dong=values["tendered_dong"],
        discount_dong=values["discount_dong"],
        discount_reason=values["discount_reason"],
        client_id=client_id,
    )
    if not values["offline"]:
        return sale, None
    return sale, (values["at"], values["cashier"], values["transfer_confirmed"])


def _offline_only(payload: dict) -> dict:
    """The problems of a sale rung up with a link that says what only one with no link
    says (see :data:`OFFLINE_ONLY`)."""
    problems = {
        name: [_l("Only a sale rung up with no link says this.")]
        for name in OFFLINE_ONLY
        if name in payload
    }
    lines = payload.get("lines")
    for index, line in enumerate(lines if isinstance(lines, list) else ()):
        if isinstance(line, dict) and "unit_price_dong" in line:
            problems[f"lines[{index}].unit_price_dong"] = [_l("Unknown field.")]
    return problems


@route(
    "/sales",
    "POST",
    "Ring up a sale (a retry with the same client id changes nothing)",
    tag="counter",
    body=SALE.body(),
    responses={
        "201": {"description": "Recorded", **ref_response("Sale")},
        "200": {"description": "Recorded before (same client id)", **ref_response("Sale")},
    },
)
def create_sale():
    sale_request, offline = _sale_request(json_body())
    if offline is None:
        sale, new = counter_service.sell(
            db.session, sale_request, cashier=current_member(), at=clock.now(), tz=clock.shop_tz()
        )
    else:
        moment, number, confirmed = offline
        sender = current_member()
        cashier = sender
        if number is not None and number != sender.number:
            try:
                cashier = member_service.get_member(db.session, number)
            except NotFound:
                raise InvalidInput("member.no_such_number", "cashier", number=number) from None
        now = clock.now()
        sale, new = counter_service.sell_offline(
            db.session, sale_request, cashier=cashier, at=moment or now, received_at=now,
            tz=clock.shop_tz(), entered_by=sender, transfer_confirmed=confirmed,
        )  # fmt: skip
    # The answer is made from the transaction that records the sale, before its commit: a
    # failure after the commit can then never answer "nothing was saved" for a saved sale.
    # A new sale is answered as it was written (the service leaves it loaded, lines and
    # all); one recorded before is read back whole.
    if new:
        answer = sale_json(sale, refunded={})
    else:
        answer = sale_json(counter_service.get_sale(db.session, sale.number))
    return answer, 201 if new else 200


@route(
    "/sales",
    "GET",
    "The latest sales, newest first",
    tag="counter",
    query=(("shift", {"type": "integer", "minimum": 1}),),
    responses={"200": {"description": "Sales", **list_response("Sale")}},
)
def list_sales():
    from shop.views import int_arg

    shift = None
    if request.args.get("shift"):
        shift_id = int_arg(request.args.get("shift"))
        if shift_id is None:
            raise InvalidInput("shift.not_found", "shift")
        shift = counter_service.get_shift(db.session, shift_id)
    sales = counter_service.recent_sales(db.session, shift=shift, limit=100, with_lines=True)
    return {"items": [sale_json(sale) for sale in sales]}


@route(
    "/sales/{number}",
    "GET",
    "One sale",
    tag="counter",
    responses={"200": {"description": "The sale", **ref_response("Sale")}},
)
def get_sale(number: int):
    return sale_json(counter_service.get_sale(db.session, number))


@route(
    "/sales/{number}/receipt.bin",
    "GET",
    "The sale's receipt as ESC/POS bytes, exactly as the print queue sends them",
    tag="counter",
    query=(("drawer", {"type": "boolean", "description": "add the cash drawer's kick"}),),
    responses={
        "200": {
            "description": "ESC/POS bytes for the shop's printer (its paper, model and mode)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def sale_receipt_bytes(number: int):
    """For a counter device that sends receipts to the printer itself (RawBT, WebUSB)."""
    from flask import Response

    from shop.printing.slips import sale_receipt_bytes as receipt_bytes

    sale = counter_service.get_sale(db.session, number)
    settings = printing_service.printer_settings(db.session)
    drawer = request.args.get("drawer", "").lower() in ("1", "true", "yes")
    data = receipt_bytes(db.session, sale.id, settings, open_drawer=drawer)
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="receipt-{sale.number}.bin"',
        },
    )


@route(
    "/sales/{number}/confirm",
    "POST",
    "The transfer has arrived: complete the sale",
    tag="counter",
    responses={"200": {"description": "The sale", **ref_response("Sale")}},
)
def confirm_sale(number: int):
    sale = counter_service.get_sale(db.session, number)
    counter_service.confirm_transfer(db.session, sale, at=clock.now(), by=current_member())
    answer = sale_json(counter_service.get_sale(db.session, number))  # before the commit
    return answer


@route(
    "/sales/{number}/void",
    "POST",
    "Void a sale of a shift that is still open",
    form=VoidForm,
    tag="counter",
    responses={"200": {"description": "The voided sale", **ref_response("Sale")}},
)
def void_sale(number: int):
    sale = counter_service.get_sale(db.session, number)
    form = validated(VoidForm, json_body())
    counter_service.void(
        db.session,
        sale,
        by=current_member(),
        at=clock.now(),
        tz=clock.shop_tz(),
        reason=form.reason.data,
        client_id=client_key(form),
    )
    answer = sale_json(counter_service.get_sale(db.session, number))  # before the commit
    return answer


@route(
    "/sales/{number}/refunds",
    "POST",
    "Give money back for (part of) one line",
    form=RefundForm,
    tag="counter",
    responses={"201": {"description": "The sale afterwards", **ref_response("Sale")}},
)
def refund_sale(number: int):
    sale = counter_service.get_sale(db.session, number)
    payload = json_body()
    payload.setdefault("restock", True)  # as in the journal: back on the rail unless said
    form = validated(RefundForm, payload)
    counter_service.refund(
        db.session,
        sale,
        by=current_member(),
        at=clock.now(),
        tz=clock.shop_tz(),
        client_id=client_key(form),
        **form.values(),
    )
    answer = sale_json(counter_service.get_sale(db.session, number))  # before the commit
    return answer, 201


REPORT_FIGURES = (
    "sales_count",
    "awaiting_transfer_count",
    "awaiting_transfer_dong",
    "voids_count",
    "voids_total_dong",
    "gross_dong",
    "line_discounts_dong",
    "sale_discounts_dong",
    "net_dong",
    "cash_dong",
    "transfer_dong",
    "refunds_count",
    "refunds_cash_dong",
    "refunds_transfer_dong",
    "net_after_refunds_dong",
    "consignment_dong",
    "pieces",
)
COMPONENTS["ZReport"] = {
    "type": "object",
    "required": ["kind", "day", "sales_count", "net_dong", "cash_dong", "transfer_dong"],
    "properties": {
        "kind": {"type": "string", "enum": ["shift", "day"]},
        "day": {"type": "string", "format": "date"},
        "shift": {"type": "integer", "nullable": True},
        "member": {"type": "integer", "nullable": True},
        **{name: {"type": "integer"} for name in REPORT_FIGURES},
        "cash_difference_dong": {"type": "integer", "nullable": True},
        "categories": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "category": {"type": "string"},
                    "pieces": {"type": "integer"},
                    "net_dong": {"type": "integer"},
                },
            },
        },
        "drawers": {"type": "array", "items": {"$ref": "#/components/schemas/Shift"}},
    },
}


def report_json(report) -> dict:
    drawers = [report.drawer.shift] if report.drawer else [d.shift for d in report.shifts]
    return {
        "kind": str(getattr(report.kind, "value", report.kind)),
        "day": report.day.isoformat(),
        "shift": report.shift.id if report.shift else None,
        "member": report.member.number if report.member else None,
        **{name: getattr(report, name) for name in REPORT_FIGURES},
        "cash_difference_dong": report.drawer.difference_dong
        if report.drawer
        else report.cash_difference_dong,
        "categories": [
            {"category": c.category, "pieces": c.pieces, "net_dong": c.net_dong}
            for c in report.categories
        ],
        "drawers": [shift_json(shift) for shift in drawers],
    }


@route(
    "/reports/shifts/{shift_id}",
    "GET",
    "The Z report of a shift",
    tag="counter",
    responses={"200": {"description": "The report", **ref_response("ZReport")}},
)
def shift_z_report(shift_id: int):
    from shop.services import reports

    shift = counter_service.get_shift(db.session, shift_id)
    return report_json(reports.shift_report(db.session, shift, tz=clock.shop_tz()))


@route(
    "/reports/days/{day}",
    "GET",
    "The Z report of a day (YYYY-MM-DD, the shop's time zone)",
    tag="counter",
    responses={"200": {"description": "The report", **ref_response("ZReport")}},
)
def day_z_report(day: str):
    from shop.services import reports

    wanted = reports.report_day(day, clock.today())
    if wanted is None:
        raise NotFound("report.not_found", "day")
    return report_json(reports.day_report(db.session, wanted, tz=clock.shop_tz()))


COMPONENTS["SaleReview"] = {
    "type": "object",
    "required": ["id", "sale", "kind", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "sale": {"type": "integer", "description": "the sale's number"},
        "cashier": {"type": "integer"},
        "kind": {"type": "string", "enum": [kind.value for kind in ReviewKind]},
        "what": {"type": "string", "description": "the kind in words"},
        "code": {"type": "string", "nullable": True},
        "detail": {"type": "object"},
        "created_at": {"type": "string", "format": "date-time"},
        "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
        "resolution": {"type": "string"},
    },
}
COMPONENTS["RailItem"] = {
    "type": "object",
    "required": ["code", "name", "price_dong", "received_on", "is_lot"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string", "description": "category · description"},
        "size": {"type": "string", "nullable": True},
        "price_dong": {"type": "integer", "description": "the tag price, before markdown"},
        "received_on": {"type": "string", "format": "date"},
        "is_lot": {"type": "boolean"},
        "on_hand": {"type": "integer", "nullable": True, "description": "lots only"},
        "owner": {"type": "integer", "nullable": True, "description": "consignor's number"},
    },
}
COMPONENTS["Rail"] = {
    "type": "object",
    "required": ["cursor", "full", "today", "policy", "items", "gone"],
    "properties": {
        "cursor": {"type": "string", "description": "send it back as ?since= next time"},
        "full": {"type": "boolean", "description": "a whole copy: forget what you had"},
        "today": {"type": "string", "format": "date"},
        "policy": {
            "type": "object",
            "properties": {
                "markdown": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "after_days": {"type": "integer"},
                            "percent_off": {"type": "integer"},
                        },
                    },
                },
                "clearance_after_days": {"type": "integer"},
            },
        },
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/RailItem"}},
        "gone": {"type": "array", "items": {"type": "string"}},
    },
}


def review_json(review) -> dict:
    from shop.messages import REVIEW_KINDS

    return {
        "id": review.id,
        "sale": review.sale.number,
        "cashier": review.sale.cashier.number,
        "kind": review.kind.value,
        "what": str(REVIEW_KINDS[review.kind.value]),
        "code": review.line.item.code if review.line is not None else None,
        "detail": review.detail,
        "created_at": review.created_at.isoformat(),
        "resolved_at": review.resolved_at.isoformat() if review.resolved_at else None,
        "resolution": review.resolution,
    }


@route(
    "/counter/rail",
    "GET",
    "The items on the rail for the counter's own copy: all, or what changed since a cursor",
    tag="counter",
    query=(("since", {"type": "string", "maxLength": 40}),),
    responses={"200": {"description": "The rail, or its changes", **ref_response("Rail")}},
)
def counter_rail():
    from shop.services import rail as rail_service

    copy = rail_service.rail_copy(
        db.session, since=request.args.get("since"), on=clock.now(), tz=clock.shop_tz()
    )
    return {
        "cursor": copy.cursor,
        "full": copy.full,
        "today": copy.today.isoformat(),
        "policy": {
            "markdown": [
                {"after_days": s.after_days, "percent_off": s.percent_off}
                for s in copy.policy.markdown
            ],
            "clearance_after_days": copy.policy.clearance_after_days,
        },
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "size": i.size,
                "price_dong": i.price_dong,
                "received_on": i.received_on.isoformat(),
                "is_lot": i.is_lot,
                "on_hand": i.on_hand,
                "owner": i.owner,
            }
            for i in copy.items
        ],
        "gone": copy.gone,
    }


@route(
    "/reviews",
    "GET",
    "Sales rung up with no link that a coordinator still has to look at",
    role="coordinator",
    tag="counter",
    responses={"200": {"description": "Open reviews", **list_response("SaleReview")}},
)
def list_reviews():
    require_coordinator()
    return {"items": [review_json(r) for r in counter_service.open_reviews(db.session)]}


@route(
    "/reviews/{review_id}/resolve",
    "POST",
    "Mark a review seen, saying what was done",
    form=ResolveReviewForm,
    role="coordinator",
    tag="counter",
    responses={"200": {"description": "The review", **ref_response("SaleReview")}},
)
def resolve_review(review_id: int):
    require_coordinator()
    form = validated(ResolveReviewForm, json_body())
    review = counter_service.resolve_review(
        db.session, review_id, by=current_member(), at=clock.now(), note=form.resolution.data
    )
    answer = review_json(review)
    return answer


@route(
    "/csrf-token",
    "GET",
    "A fresh CSRF token for a signed-in page (send it as the X-CSRFToken header)",
    tag="counter",
    responses={
        "200": {
            "description": "The token",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["csrf_token"],
                        "properties": {"csrf_token": {"type": "string"}},
                    }
                }
            },
        }
    },
)
def csrf_token():
    from flask_wtf.csrf import generate_csrf

    return {"csrf_token": generate_csrf()}
