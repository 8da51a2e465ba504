"""What the counter app in the page needs from the server: its words (translated here, so
they go through Babel like every other string), its settings, its service worker and its
web manifest."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import get_translations
from flask_babel import gettext as _

from shop.auth.access import public
from shop.counter import bp
from shop.extensions import db
from shop.service_worker import exactly, worker_response
from shop.services.bank import bank_settings
from shop.services.transfers import offline_transfer

#: The files the service worker keeps so the counter opens with no link.
APP_FILES = (
    "css/shop.css",
    "css/counter.css",
    "icons/sprite.svg",
    "favicon.svg",
    "js/shop.js",
    "js/counter/early.js",
    "js/counter/app.js",
    "js/counter/money.js",
    "js/counter/pricing.js",
    "js/counter/sale.js",
    "js/counter/store.js",
    "js/counter/net.js",
    "js/counter/scanbox.js",
    "js/counter/dom.js",
    "js/counter/vietqr.js",
    "js/counter/escpos.js",
    "js/counter/receipt_image.js",
    "js/counter/device_print.js",
    "fonts/DejaVuSans.ttf",
    "fonts/DejaVuSans-Bold.ttf",
    "vendor/qrcode-generator/qrcode.mjs",
    "icons/app-192.png",
    "icons/app-512.png",
)


def page_text() -> dict[str, str]:
    """The counter app's words in the request's language (its placeholders, ``%(count)s``,
    filled in by the app). The translations are looked up once for all of them: flask_babel's
    gettext finds them again for each of its 69 words, on every counter page."""
    _ = get_translations().ugettext
    return {
        "connecting": _("Connecting…"),
        "offline": _("No link: %(count)s sales waiting to be sent"),
        "all_sent": _("All sent"),
        "sending": _("Sending %(count)s sales…"),
        "refused_waiting": _("%(count)s sales refused by the server: show a coordinator"),
        "added": _("Added %(code)s"),
        "unknown": _("There is no item with code %(code)s on the rail."),
        "in_cart": _("Item %(code)s is already in the cart."),
        "only_left": _("Only %(left)s left of %(code)s."),
        "not_ready": _("The rail is still loading: scan again in a moment."),
        "amount": _("Write the amount as digits, for example 45000, 45.000 or 45k."),
        "line_discount": _("A line's discount cannot be more than the line."),
        "sale_discount": _("The discount cannot be more than the sale."),
        "reason": _("Say why there is a discount."),
        "transfer": _("The transfer cannot be more than the total."),
        "tendered": _("The cash handed over must cover the cash part."),
        "empty": _("The cart is empty: scan or add an item first."),
        "transfer_offline": _(
            "No link, and this device does not have the shop's bank account: take cash."
        ),
        "transfer_title": _("Transfer %(amount)s"),
        "transfer_purpose": _("Message: %(purpose)s"),
        "transfer_no_link": _(
            "No link: look at the customer's phone until the money shows as sent to the "
            "shop's account, then tap “The money has arrived”. The sale is sent later."
        ),
        "transfer_no_account": _(
            "The shop has no bank account set, so there is no code to scan: give the "
            "customer the account number."
        ),
        "transfer_received": _("The money has arrived"),
        "transfer_watching": _(
            "The shop's bank tells this page when the money arrives: the sale then "
            "completes by itself."
        ),
        "transfer_voided": _("This sale was voided."),
        "money_received": _("Money received"),
        "confirmed_by_bank": _("The bank confirmed the transfer."),
        "confirmed_by_member": _("Confirmed by %(name)s."),
        "transfer_back": _("Back to the cart"),
        "transfer_void": _("The customer did not pay: cancel the sale"),
        "transfer_void_reason": _("The customer did not make the transfer."),
        "transfer_void_failed": _("The sale could not be cancelled now: try again."),
        "recorded": _("Sale %(number)s recorded."),
        "queued": _("No link: the sale is kept on this device and sent when the link is back."),
        "receipt": _("Receipt"),
        "local_receipt": _("Receipt (on this device)"),
        "remove": _("Take out of the cart"),
        "discount": _("Discount"),
        "discount_reason": _("Reason for the discount"),
        "more": _("One more"),
        "less": _("One less"),
        "server_total": _("The server worked out %(total)s: that is what counts."),
        "signout_question": _(
            "%(count)s sales are not sent yet. They stay on this device and are sent when "
            "the link is back. Sign out anyway?"
        ),
        "receipt_title": _("RECEIPT"),
        "not_sent_yet": _("Not sent yet: number to come"),
        "total": _("Total"),
        "cash": _("Cash"),
        "transfer_part": _("Transfer"),
        "tendered_label": _("Cash handed over"),
        "change": _("Change to give"),
        "print": _("Print"),
        "signed_out": _("Signed out: sign in again to send %(count)s sales."),
        "sign_in_again": _("Sign in"),
        "send_again": _("Send again"),
        "not_printed": _("Receipt not printed"),
        "not_printed_sale": _("Receipt of sale %(number)s not printed."),
        "not_printed_local": _("Receipt of the sale kept on this device (%(ref)s) not printed."),
        "print_again": _("Print again"),
        "print_receipt": _("Print the receipt"),
        "printed": _("Receipt sent to the printer."),
        "printing": _("Printing the receipt…"),
        "choose_usb": _("Choose the USB printer"),
        "no_webusb": _("This browser cannot reach a USB printer: open the counter in Chrome."),
        "no_usb_printer": _("No USB printer chosen: tap “Choose the USB printer”."),
        "usb_failed": _("The USB printer did not take the receipt: check its cable and paper."),
        "browser_failed": _("The receipt page did not open: check the link, then print again."),
        "no_drawer": _("The browser's Print cannot open the cash drawer: open it with its key."),
        "sale_word": _("Sale"),
        "kept_on_device": _("Kept on this device"),
    }


def page_config(member, *, csrf_token: str) -> dict:
    return {
        "member": member.number,
        "member_name": member.name,
        "timezone": current_app.config.get("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "csrf_token": csrf_token,
        "urls": {
            "rail": url_for("api.counter_rail"),
            "sales": url_for("api.create_sale"),
            "csrf": url_for("api.csrf_token"),
            "sale": url_for("counter.show_sale", number=0).rsplit("/", 1)[0] + "/",
            "worker": url_for("counter.service_worker"),
            "sign_in": url_for("auth.sign_in", next=url_for("counter.counter")),
        },
        "transfer": offline_transfer(db.session),
        # The shop has a bank feed: a waiting transfer can complete with no tap.
        "bank_feed": bool(bank_settings(db.session).provider),
        "printer": device_printer(),
        "sale_timeout_ms": 5000,
        "rail_every_ms": 30000,
    }


def device_printer() -> dict:
    """How the counter device prints receipts: the path the printer settings chose, and
    what it needs to make a receipt's bytes itself with no link (the paper, the drawer, the
    shop's name and the receipt's words, as the server's receipts print them)."""
    from dataclasses import asdict

    from shop.printing.escpos_out import has_cutter
    from shop.printing.receipt import printable_width_px
    from shop.printing.slips import labels
    from shop.services import printing as printing_service
    from shop.services.members import shop_profile

    settings = printing_service.printer_settings(db.session)
    profile = shop_profile(db.session)
    return {
        "path": settings.receipt_path.value,
        "auto": settings.auto_receipt,
        "paper_mm": settings.paper_mm,
        "width_px": printable_width_px(settings.paper_mm),
        # The pin of the drawer the device kicks; 0 when its path cannot (the browser).
        "drawer_pin": settings.drawer_pin if printing_service.device_drawer(settings) else 0,
        "drawer_wired": bool(settings.drawer_pin),
        "cutter": has_cutter(settings.profile),
        "shop_name": profile.name if profile else _("Shop"),
        "shop_address": (profile.address if profile else "") or "",
        "footer": (profile.receipt_footer if profile else "") or "",
        "labels": asdict(labels()),
        "fonts": {
            "regular": url_for("static", filename="fonts/DejaVuSans.ttf"),
            "bold": url_for("static", filename="fonts/DejaVuSans-Bold.ttf"),
        },
    }


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker: keeps the counter page and its files for when there is no link."""
    page = url_for("counter.counter")
    return worker_response(
        name="counter",
        scope=page,
        pages=exactly(page),
        files=APP_FILES,
        templates=["counter/app.html"],
        install_pages=[page],
    )


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web manifest, so Android can put the counter on the home screen as an app."""
    body = {
        "name": _("Counter") + " · " + _("Shop"),
        "short_name": _("Counter"),
        "start_url": url_for("counter.counter"),
        "scope": url_for("counter.counter"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6e4f",
        "lang": "vi",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/app-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ],
    }
    response = current_app.response_class(
        current_app.json.dumps(body), mimetype="application/manifest+json"
    )
    return response
