"""The counter through the API: shifts, sales (idempotent by client id), transfers, voids
and refunds. A phone app or a script rings up sales exactly as the counter page does."""

from __future__ import annotations

import re

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from shop import clock
from shop.api import route
from shop.api.common import json_body, ref_response, validated
from shop.api.spec import COMPONENTS
from shop.auth.access import current_member
from shop.counter.forms import CloseShiftForm, OpenShiftForm, RefundForm, VoidForm
from shop.counter.views import refund_from_form
from shop.domain.money import MoneyError, parse_dong
from shop.extensions import db
from shop.services import counter as counter_service
from shop.services import printing as printing_service
from shop.services.errors import InvalidInput, NotFound

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
CODE = re.compile(r"^[A-Za-z0-9-]{1,32}$")

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
    },
}
COMPONENTS["Sale"] = {
    "type": "object",
    "required": ["number", "client_id", "at", "cashier", "total_dong", "lines", "status"],
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
    },
}
SALE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["lines"],
                "additionalProperties": False,
                "properties": {
                    "client_id": {
                        "type": "string",
                        "pattern": CLIENT_ID.pattern,
                        "description": "made by the device; the same id again returns the "
                        "same sale (or send an Idempotency-Key header)",
                    },
                    "lines": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 200,
                        "items": {
                            "type": "object",
                            "required": ["code"],
                            "additionalProperties": False,
                            "properties": {
                                "code": {"type": "string"},
                                "quantity": {"type": "integer", "minimum": 1, "maximum": 100000},
                                "discount_dong": {"type": "integer", "minimum": 0},
                                "discount_reason": {"type": "string", "maxLength": 200},
                            },
                        },
                    },
                    "discount_dong": {"type": "integer", "minimum": 0},
                    "discount_reason": {"type": "string", "maxLength": 200},
                    "transfer_dong": {"type": "integer", "minimum": 0},
                    "tendered_dong": {"type": "integer", "minimum": 0, "nullable": True},
                },
            }
        }
    },
}


def _tz():
    return current_app.config["SHOP_TZ"]


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


def sale_json(sale) -> dict:
    status = (
        "voided"
        if sale.void is not None
        else "awaiting_transfer"
        if sale.awaiting_transfer
        else "complete"
    )
    from shop.services.transfers import transfer_payload

    waiting = transfer_payload(db.session, sale)
    payload = waiting[0] if waiting else None
    refunded = counter_service.refunded_by_line(db.session, sale)
    return {
        "number": sale.number,
        "client_id": sale.client_id,
        "at": sale.at.isoformat(),
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
            }
            for line in sale.lines
        ],
    }


def _my_shift():
    shift = counter_service.current_shift(db.session, current_member())
    if shift is None:
        raise NotFound(_l("You have no open shift."), "shift")
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
        db.session, current_member(), form.opening_float_dong.data, at=clock.now()
    )
    db.session.commit()
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
    db.session.commit()
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


def _sale_request(payload: dict) -> counter_service.SaleRequest:
    """Check a sale body field by field, naming each fault like ``lines[1].quantity``."""
    problems: dict[str, list] = {}
    allowed = {
        "client_id",
        "lines",
        "discount_dong",
        "discount_reason",
        "transfer_dong",
        "tendered_dong",
    }
    for name in sorted(set(payload) - allowed):
        problems[name] = [_l("Unknown field.")]

    def amount(value, name, *, optional=False):
        if value is None and optional:
            return None
        try:
            if isinstance(value, float) or value is None:
                raise MoneyError("invalid")
            return parse_dong(value)
        except MoneyError:
            problems[name] = [_l("Write the amount as digits, for example 45000, 45.000 or 45k.")]
            return 0

    def text(value, name, limit=200):
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > limit:
            problems[name] = [_l("At most 200 letters.")]
            return ""
        return value

    client_id = payload.get("client_id") or request.headers.get("Idempotency-Key")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        problems["client_id"] = [
            _l(
                "Send a client_id (8 to 64 letters, digits or - _ . :) or "
                "an Idempotency-Key header, so a retry cannot sell twice."
            )
        ]
    lines_in = payload.get("lines")
    lines = []
    if not isinstance(lines_in, list) or not lines_in or len(lines_in) > 200:
        problems["lines"] = [_l("The cart is empty: scan or add an item first.")]
    else:
        for index, entry in enumerate(lines_in):
            where = f"lines[{index}]"
            if not isinstance(entry, dict):
                problems[where] = [_l("Expected a single value, not a list or an object.")]
                continue
            for name in sorted(
                set(entry) - {"code", "quantity", "discount_dong", "discount_reason"}
            ):
                problems[f"{where}.{name}"] = [_l("Unknown field.")]
            code = entry.get("code")
            if not isinstance(code, str) or not CODE.match(code.strip()):
                problems[f"{where}.code"] = [_l("Scan or type a code.")]
                code = ""
            quantity = entry.get("quantity", 1)
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int)
                or not 1 <= quantity <= 100_000
            ):
                problems[f"{where}.quantity"] = [_l("The quantity must be at least 1.")]
                quantity = 1
            lines.append(
                counter_service.LineRequest(
                    code=code.strip(),
                    quantity=quantity,
                    discount_dong=amount(entry.get("discount_dong", 0), f"{where}.discount_dong"),
                    discount_reason=text(entry.get("discount_reason"), f"{where}.discount_reason"),
                )
            )
    request_ = counter_service.SaleRequest(
        lines=tuple(lines),
        transfer_dong=amount(payload.get("transfer_dong", 0), "transfer_dong"),
        tendered_dong=amount(payload.get("tendered_dong"), "tendered_dong", optional=True),
        discount_dong=amount(payload.get("discount_dong", 0), "discount_dong"),
        discount_reason=text(payload.get("discount_reason"), "discount_reason"),
        client_id=client_id if isinstance(client_id, str) else None,
    )
    if problems:
        raise InvalidInput(
            _l("Some of what you entered needs fixing."), next(iter(problems)), fields=problems
        )
    return request_


@route(
    "/sales",
    "POST",
    "Ring up a sale (a retry with the same client id changes nothing)",
    tag="counter",
    body=SALE_BODY,
    responses={
        "201": {"description": "Recorded", **ref_response("Sale")},
        "200": {"description": "Recorded before (same client id)", **ref_response("Sale")},
    },
)
def create_sale():
    sale_request = _sale_request(json_body())
    sale, new = counter_service.record_sale(
        db.session, sale_request, cashier=current_member(), at=clock.now(), tz=_tz()
    )
    if new:  # the receipt is owed in the sale's transaction and printed after it
        printing_service.after_sale(db.session, sale, by=current_member())
    db.session.commit()
    sale = counter_service.get_sale(db.session, sale.number)
    return sale_json(sale), 201 if new else 200


@route(
    "/sales",
    "GET",
    "The latest sales, newest first",
    tag="counter",
    query=(("shift", {"type": "integer", "minimum": 1}),),
    responses={
        "200": {
            "description": "Sales",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["items"],
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Sale"},
                            }
                        },
                    }
                }
            },
        }
    },
)
def list_sales():
    from shop.views import int_arg

    shift = None
    if request.args.get("shift"):
        shift_id = int_arg(request.args.get("shift"))
        if shift_id is None:
            raise InvalidInput(_l("There is no such shift."), "shift")
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
    "/sales/{number}/confirm",
    "POST",
    "The transfer has arrived: complete the sale",
    tag="counter",
    responses={"200": {"description": "The sale", **ref_response("Sale")}},
)
def confirm_sale(number: int):
    sale = counter_service.get_sale(db.session, number)
    counter_service.confirm_transfer(db.session, sale, at=clock.now())
    db.session.commit()
    return sale_json(counter_service.get_sale(db.session, number))


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
    counter_service.void_sale(
        db.session, sale, by=current_member(), at=clock.now(), reason=form.reason.data
    )
    printing_service.after_void(db.session, sale, by=current_member())
    db.session.commit()
    return sale_json(counter_service.get_sale(db.session, number))


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
    refund_from_form(sale, form, by=current_member())
    db.session.commit()
    return sale_json(counter_service.get_sale(db.session, number)), 201


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
    return report_json(reports.shift_report(db.session, shift, tz=_tz()))


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
        raise NotFound(_l("There is no report for this day."), "day")
    return report_json(reports.day_report(db.session, wanted, tz=_tz()))
