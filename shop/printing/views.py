"""The printers' pages: the receipt printer's and the label printer's settings, test
prints, the print log and reprints. URLs under /printer, as before."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member
from shop.extensions import db
from shop.messages import PRINT_JOB_KINDS, PRINT_JOB_STATUSES, PRINT_REASONS
from shop.models import JobKind, JobStatus, Shift
from shop.printing import queue
from shop.printing.forms import CONNECTION_LABELS, label_printer_form, settings_form
from shop.services import counter as counter_service
from shop.services import printing as printing_service
from shop.services import stock as stock_service
from shop.services.errors import ShopError
from shop.views import safe_next, save_form

bp = Blueprint("printing", __name__, url_prefix="/printer")


@bp.route("/", methods=["GET", "POST"])
@coordinator_required
def settings():
    """Where the receipt printer is, its paper and drawer, a test print and the print log."""
    current = printing_service.printer_settings(db.session)
    form = settings_form(current)
    outcome = save_form(
        form,
        lambda: printing_service.save_printer_settings(
            db.session,
            form.values(),
            by=current_member(),
            at=clock.now(),
            place=queue.printer_place(),
        ),
    )
    if outcome.done:
        flash(_("Saved. Print a test page to check."), "success")
        return redirect(url_for("printing.settings"), code=303)
    return (
        render_template(
            "printing/settings.html",
            form=form,
            printer=current,
            printing_on=printing_service.printing_on(current),
            connections=CONNECTION_LABELS,
            jobs=printing_service.recent_jobs(db.session, limit=50),
            reasons=PRINT_REASONS,
            kinds=PRINT_JOB_KINDS,
            statuses=PRINT_JOB_STATUSES,
        ),
        outcome.status,
    )


@bp.post("/test")
@coordinator_required
def test_print():
    """Print a test page now and say at once whether it came out."""
    return _print_test(
        to_label_printer=False,
        missing=_("No printer is set up."),
        sent=_("The test page was sent to the printer."),
        back="printing.settings",
    )


def _print_test(*, to_label_printer: bool, missing: str, sent: str, back: str):
    """A test print sent at once (after its job is committed), and what came of it."""
    from shop.printing.queue import send_job

    job = printing_service.queue_job(
        db.session, JobKind.TEST, by=current_member(), at=clock.now(), claimed=True,
        to_label_printer=to_label_printer,
    )  # fmt: skip
    if job is None:
        flash(missing, "error")
        return redirect(url_for(back), code=303)
    db.session.commit()
    attempt = send_job(db.session, job.id)
    if attempt.ok:
        flash(sent, "success")
    else:
        flash(_("Not printed: %(why)s", why=PRINT_REASONS[attempt.reason]), "error")
    return redirect(url_for(back), code=303)


def _back(default_endpoint: str, **values):
    """Back to the page the form was on (a path on this site only), else ``default``."""
    return redirect(safe_next(default_endpoint, **values), code=303)


@bp.post("/sales/<int:number>/reprint")
def reprint(number: int):
    """Send the receipt of a sale to the printer again (the drawer stays shut)."""
    try:
        sale = counter_service.get_sale(db.session, number)
        printing_service.reprint_sale(db.session, sale, by=current_member())
    except ShopError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The receipt of sale %(number)s is on its way to the printer.", number=number))
    return _back("counter.show_sale", number=number)


@bp.get("/sales/<int:number>/status")
def sale_status(number: int):
    """Where the last receipt of a sale stands, for the sale page to follow as it prints."""
    sale = counter_service.get_sale(db.session, number)
    job = printing_service.latest_receipt_job(db.session, sale)
    if job is None:
        return jsonify({"status": None, "message": ""})
    return jsonify(
        {
            "status": job.status.value,
            "attempts": job.attempts,
            "reason": job.last_reason or None,
            "message": status_message(job),
        }
    )


def status_message(job) -> str:
    """Where a receipt's print job stands, in a few words for the cashier."""
    if job.status == JobStatus.PRINTED:
        return _("Receipt printed.")
    if job.status == JobStatus.FAILED or job.attempts:
        why = PRINT_REASONS.get(job.last_reason, "")
        return _("The receipt did not print. %(why)s", why=why).strip()
    return _("Printing the receipt…")


@bp.post("/shifts/<int:shift_id>/report")
def print_shift_report(shift_id: int):
    """The Z report of a shift on the receipt printer."""
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        abort(404)
    if printing_service.queue_job(db.session, JobKind.Z_REPORT, by=current_member(), shift=shift):
        db.session.commit()
        flash(_("The report is on its way to the printer."), "success")
    else:
        flash(_("No printer is set up."), "error")
    return redirect(url_for("counter.show_shift_report", shift_id=shift_id), code=303)


#: The most labels one tap prints (a whole bale's intake with its lots' copies).
MAX_LABELS = 500


@bp.post("/labels")
def print_labels():
    """Price-tag labels for the codes posted (``codes``, space separated), in the order
    given, on the label printer if the shop has one, else on the receipt printer's roll.

    ``copies`` (optional) is how many labels each lot among them gets: a lot's code is then
    repeated that many times. Unknown codes are refused before anything prints.
    """
    codes = request.form.get("codes", "").split()[:MAX_LABELS]
    copies_text = request.form.get("copies", "").strip() or "1"
    if not (copies_text.isascii() and copies_text.isdigit()) or not 1 <= int(copies_text) <= 200:
        flash(_("Tags for each lot: write a whole number from 1 to 200."), "error")
        return _back("stock.search_stock")
    copies = int(copies_text)
    try:
        items = [stock_service.get_item(db.session, code) for code in codes]
    except ShopError as error:
        flash(str(error.message), "error")
        return _back("stock.search_stock")
    wanted = [item.code for item in items for _ in range(copies if item.is_lot else 1)][:MAX_LABELS]
    if not wanted:
        flash(_("Choose the items first."), "error")
    elif printing_service.queue_labels(db.session, wanted, by=current_member(), at=clock.now()):
        db.session.commit()
        flash(_("%(count)s labels are on their way to the printer.", count=len(wanted)), "success")
    else:
        flash(_("No printer is set up."), "error")
    return _back("stock.search_stock")


@bp.route("/label-printer", methods=["GET", "POST"])
@coordinator_required
def label_printer():
    """The price-tag printer: what it speaks, where it is, its roll, a test label and the
    labels sent to it."""
    current = printing_service.label_printer_settings(db.session)
    form = label_printer_form(current)
    outcome = save_form(
        form,
        lambda: printing_service.save_label_printer_settings(
            db.session,
            form.values(),
            by=current_member(),
            at=clock.now(),
            place=queue.printer_place(),
        ),
    )
    if outcome.done:
        flash(_("Saved. Print a test label to check."), "success")
        return redirect(url_for("printing.label_printer"), code=303)
    receipt = printing_service.printer_settings(db.session)
    return (
        render_template(
            "printing/labels.html",
            form=form,
            label_on=printing_service.label_printer_on(current, receipt),
            jobs=printing_service.recent_jobs(db.session, limit=50, label_printer=True),
            reasons=PRINT_REASONS,
            kinds=PRINT_JOB_KINDS,
            statuses=PRINT_JOB_STATUSES,
        ),
        outcome.status,
    )


@bp.post("/label-printer/test")
@coordinator_required
def test_label():
    """Print a test label now and say at once whether it went out."""
    return _print_test(
        to_label_printer=True,
        missing=_("No label printer is set up."),
        sent=_("The test label was sent to the label printer."),
        back="printing.label_printer",
    )


@bp.post("/jobs/<int:job_id>/reprint")
@coordinator_required
def reprint_job(job_id: int):
    """Print a job that did not come out again (labels, a slip), from the print log."""
    try:
        printing_service.reprint_job(db.session, job_id, by=current_member(), at=clock.now())
    except ShopError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("It is on its way to the printer again."), "success")
    return _back("printing.settings")


@bp.app_template_global()
def label_printer_ready() -> bool:
    """Whether a label printer is set up (the intake's "print the tags" goes to it)."""
    from flask import g

    if "label_printer_ready" not in g:
        g.label_printer_ready = printing_service.label_printer_on(
            printing_service.label_printer_settings(db.session),
            printing_service.printer_settings(db.session),
        )
    return g.label_printer_ready


@bp.app_template_global()
def printer_ready() -> bool:
    """Whether a receipt printer is set up (for the pages' "print on the printer" buttons)."""
    from flask import g

    if "printer_ready" not in g:
        g.printer_ready = printing_service.printing_on(
            printing_service.printer_settings(db.session)
        )
    return g.printer_ready
