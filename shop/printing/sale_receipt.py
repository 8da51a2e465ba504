"""A sale as a receipt: from the database to :class:`shop.printing.receipt.Receipt`, in her
language, for the thermal printer and for the browser alike."""

from __future__ import annotations

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from shop.printing.receipt import Receipt, ReceiptLabels, ReceiptLine
from shop.services.members import shop_profile


def labels() -> ReceiptLabels:
    return ReceiptLabels(
        sale=_("Sale"),
        cashier=_("Cashier"),
        subtotal=_("Subtotal"),
        discount=_("Discount"),
        total=_("Total"),
        cash=_("Cash"),
        tendered=_("Tendered"),
        change=_("Change to give"),
        transfer=_("Transfer"),
        scan_to_pay=_("Scan to pay"),
    )


def receipt_for_sale(session: Session, sale) -> Receipt:
    """The receipt of ``sale`` (the transfer's VietQR on it while the money is awaited)."""
    from shop.services.transfers import transfer_payload

    profile = shop_profile(session)
    waiting = transfer_payload(session, sale)
    payload = waiting[0] if waiting else None
    lines = tuple(
        ReceiptLine(
            code=line.item.code,
            description=" · ".join(filter(None, [line.item.category.name, line.item.description])),
            quantity=line.quantity,
            unit_price_dong=line.unit_price_dong,
            discount_dong=line.discount_dong,
            discount_reason=line.discount_reason,
            # The receipt shows each line before its share of the whole-sale discount.
            net_dong=line.unit_price_dong * line.quantity - line.discount_dong,
        )
        for line in sale.lines
    )
    title = _("VOIDED SALE") if sale.void is not None else _("RECEIPT")
    return Receipt(
        shop_name=profile.name if profile else _("Shop"),
        shop_address=profile.address if profile else "",
        title=title,
        number=sale.number,
        moment_text=format_datetime(sale.at, "dd/MM/yyyy HH:mm"),
        cashier=sale.cashier.name,
        lines=lines,
        sale_discount_dong=sale.discount_dong,
        sale_discount_reason=sale.discount_reason,
        total_dong=sale.total_dong,
        cash_dong=sale.cash_dong,
        tendered_dong=sale.tendered_dong,
        change_dong=sale.change_dong,
        transfer_dong=sale.transfer_dong,
        vietqr_payload=payload,
        footer=(profile.receipt_footer if profile else "") or "",
        labels=labels(),
    )


def receipt_settings() -> dict:
    """Paper width, printer profile and mode (settings page to come; environment for now)."""
    config = current_app.config
    return {
        "paper_mm": int(config.get("RECEIPT_PAPER_MM", 58)),
        "profile": config.get("RECEIPT_PROFILE", "default"),
        "mode": config.get("RECEIPT_MODE", "raster"),
    }
