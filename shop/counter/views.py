from __future__ import annotations

import uuid

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member
from shop.counter import bp
from shop.counter.forms import (
    REFUND_METHOD_LABELS,
    CloseShiftForForm,
    CloseShiftForm,
    CountNoteForm,
    LineForm,
    NotebookSaleForm,
    OpenShiftForm,
    PayForm,
    RefundForm,
    ResolveReviewForm,
    SaleDiscountForm,
    ScanForm,
    VoidForm,
)
from shop.domain import vietqr
from shop.domain.calendar import local_moment, wall_clock
from shop.extensions import db
from shop.forms import select_choices
from shop.members.forms import member_choices
from shop.messages import PRINT_REASONS
from shop.printing.views import printer_ready, status_message
from shop.security import CONTENT_SECURITY_POLICY
from shop.services import counter as counter_service
from shop.services import printing as printing_service
from shop.services import stock as stock_service
from shop.services.errors import ShopError
from shop.services.transfers import shop_bank, transfer_payload
from shop.views import flash_form_errors, safe_next, save, save_form


def _tz():
    return current_app.config["SHOP_TZ"]


@bp.route("/", methods=["GET"])
def counter():
    """The counter as an app in the page: the cart lives in the browser (and in its
    IndexedDB), a scan adds its line from the page's copy of the rail, and only the sale
    goes to the server (through the API), or waits in the page's outbox while the link is
    down. Without JavaScript, :func:`basic` is the same counter served by the server."""
    from flask_wtf.csrf import generate_csrf

    from shop.counter.app import page_config, page_text

    member = current_member()
    shift = counter_service.current_shift(db.session, member)
    if shift is None:
        return render_template("counter/open_shift.html", form=OpenShiftForm())
    return render_template(
        "counter/app.html",
        shift=shift,
        pay=PayForm(formdata=None),
        discount_form=SaleDiscountForm(formdata=None),
        text=page_text(),
        config=page_config(member, csrf_token=generate_csrf()),
        **_notices(member, shift),
    )


@bp.route("/basic", methods=["GET"])
def basic():
    """The counter without JavaScript: each scan is a form the server answers with the page."""
    return _basic_page()


def _basic_page(*, line_id: int | None = None, line_form=None, discount_form=None):
    """The basic counter; after a refused line change (``line_id``, ``line_form``) or sale
    discount, with that form as she sent it and its message beside the field (422)."""
    member = current_member()
    shift = counter_service.current_shift(db.session, member)
    if shift is None:
        return render_template("counter/open_shift.html", form=OpenShiftForm())
    view = counter_service.cart(db.session, member, on=clock.now(), tz=_tz())
    pay = PayForm(formdata=None)
    pay.client_id.data = str(uuid.uuid4())
    return render_template(
        "counter/counter.html",
        shift=shift,
        cart=view,
        scan=ScanForm(formdata=None),
        discount_form=discount_form
        or SaleDiscountForm(
            formdata=None,
            sale_discount_dong=view.discount_dong,
            discount_reason=view.discount_reason,
        ),
        pay=pay,
        bank=shop_bank(db.session),
        refused_line=line_id,
        line_form=line_form,
        **_notices(member, shift),
    ), (422 if line_form is not None or discount_form is not None else 200)


def _notices(member, shift) -> dict:
    """What the counter shows above the scan box: receipts that did not print, transfers
    still awaited."""
    unprinted = (
        printing_service.not_printed(
            db.session, since=printing_service.recently(clock.now()), by=member
        )
        if printer_ready()  # a shop without a printer has nothing to look for
        else []
    )
    return {
        "unprinted": unprinted,
        "print_reasons": PRINT_REASONS,
        "waiting": counter_service.waiting_transfers(db.session, shift),
    }


@bp.post("/shift/open")
def open_shift():
    form = OpenShiftForm()
    outcome = save_form(
        form,
        lambda: counter_service.open_shift(
            db.session,
            current_member(),
            form.opening_float_dong.data,
            at=clock.now(),
            tz=clock.shop_tz(),
        ),
    )
    if outcome.done:
        flash(_("Your shift is open. Good selling!"), "success")
        return redirect(url_for("counter.counter"), code=303)
    return render_template("counter/open_shift.html", form=form), 422


@bp.route("/shift/close", methods=["GET", "POST"])
def close_shift():
    member = current_member()
    shift = counter_service.current_shift(db.session, member)
    if shift is None:
        flash(_("You have no open shift."), "info")
        return redirect(url_for("counter.counter"), code=303)
    form = CloseShiftForm()
    outcome = save_form(
        form,
        lambda: counter_service.close_shift(
            db.session, shift, form.counted_cash_dong.data, at=clock.now(), by=member
        ),
    )
    if outcome.done:
        flash(_("Your shift is closed."), "success")
        return redirect(url_for("counter.shift_count", shift_id=shift.id), code=303)
    # Blind: what the drawer should hold is shown only after she has entered her count.
    return render_template("counter/close_shift.html", form=form, shift=shift), outcome.status


@bp.route("/shifts/<int:shift_id>/count", methods=["GET", "POST"])
def shift_count(shift_id: int):
    """After her blind count: what she counted, what was expected and the difference, with
    a note for the difference (kept with the shift). Her own shift's, or a coordinator's."""
    member = current_member()
    shift = counter_service.get_shift(db.session, shift_id)
    if not counter_service.may_read_count(shift, member):
        abort(403)
    if shift.closed_at is None:  # nothing counted yet: the figures so far
        return redirect(url_for("counter.show_shift_report", shift_id=shift.id), code=303)
    form = CountNoteForm()
    outcome = save_form(
        form, lambda: counter_service.note_count(db.session, shift, form.note.data, by=member)
    )
    if outcome.done:
        flash(_("Your note is kept with the shift."), "success")
        return redirect(url_for("counter.show_shift_report", shift_id=shift.id), code=303)
    count = counter_service.cash_count(db.session, shift)
    return render_template(
        "counter/shift_count.html", form=form, shift=shift, count=count
    ), outcome.status


@bp.route("/shifts/<int:shift_id>/close", methods=["GET", "POST"])
@coordinator_required
def close_shift_for(shift_id: int):
    """A coordinator closes a shift its member forgot to close: when it ended, the cash
    counted in it (or not counted), and why; then back to where she came from."""
    shift = counter_service.get_shift(db.session, shift_id)
    if shift.closed_at is not None:
        flash(_("This shift is already closed."), "info")
        return redirect(safe_next("counter.show_shift_report", shift_id=shift.id), code=303)
    tz = current_app.config["SHOP_TZ"]
    last = counter_service.last_activity(db.session, shift)
    form = CloseShiftForForm()
    if not form.is_submitted():
        form.ended_at.data = wall_clock(last or shift.opened_at, tz)
    outcome = save_form(
        form,
        lambda: counter_service.close_shift_for(
            db.session,
            shift,
            counted_dong=form.counted_cash_dong.data,
            ended_at=local_moment(form.ended_at.data.date(), form.ended_at.data.time(), tz),
            reason=form.reason.data,
            by=current_member(),
            at=clock.now(),
        ),
    )
    if outcome.done:
        flash(_("The shift of %(name)s is closed.", name=shift.member.name), "success")
        return redirect(safe_next("counter.show_shift_report", shift_id=shift.id), code=303)
    count = counter_service.cash_count(db.session, shift)
    return render_template(
        "counter/close_shift_for.html", form=form, shift=shift, count=count, last=last
    ), outcome.status


def _back_to_counter():
    # No "#scan" fragment: jumping to it would take the focus away from the code box.
    return redirect(url_for("counter.basic"), code=303)


@bp.post("/add")
def add():
    """A scanned or typed code (or a lot picked with its quantity) goes into the cart."""
    form = ScanForm()
    if not form.validate():
        flash_form_errors(form)
        return _back_to_counter()
    try:
        quantity = form.quantity.data
        counter_service.add_to_cart(
            db.session, current_member(), form.code.data, 1 if quantity is None else quantity
        )
    except ShopError as error:  # an unknown code too: say so, stay at the counter
        db.session.rollback()
        flash(str(error.message), "error")
        return _back_to_counter()
    db.session.commit()
    return _back_to_counter()


@bp.get("/find")
def find():
    """Find by words on a phone, then add with a tap (a lot with its quantity)."""
    text = request.args.get("q", "")
    page = None
    if text.strip():
        page = stock_service.search_items(
            db.session, stock_service.StockQuery(text=text), per_page=30
        )
    return render_template("counter/find.html", q=text, page=page)


@bp.post("/line/<int:line_id>")
def change_line(line_id: int):
    form = LineForm()
    if request.form.get("action") == "remove":
        counter_service.remove_from_cart(db.session, current_member(), line_id)
        db.session.commit()
        return _back_to_counter()
    outcome = save_form(
        form,
        lambda: counter_service.change_cart_line(
            db.session,
            current_member(),
            line_id,
            quantity=form.quantity.data or 1,
            discount_dong=form.discount_dong.data or 0,
            reason=form.discount_reason.data or "",
        ),
    )
    if not outcome.done:
        return _basic_page(line_id=line_id, line_form=form)
    return _back_to_counter()


@bp.post("/discount")
def sale_discount():
    form = SaleDiscountForm()
    outcome = save_form(
        form,
        lambda: counter_service.set_cart_discount(
            db.session,
            current_member(),
            form.sale_discount_dong.data or 0,
            form.discount_reason.data or "",
        ),
    )
    if not outcome.done:
        return _basic_page(discount_form=form)
    return _back_to_counter()


@bp.post("/empty")
def empty():
    counter_service.empty_cart(db.session, current_member())
    db.session.commit()
    return _back_to_counter()


@bp.post("/pay")
def pay():
    """Turn the cart into a sale: cash (with change), a transfer (with its QR) or both."""
    form = PayForm()
    if not form.validate():
        flash_form_errors(form)
        return _back_to_counter()
    member = current_member()
    # The prices are worked out once, by the sale itself; "transfer" pays all of it.
    by_transfer = form.method.data == "transfer"
    if by_transfer:
        transfer, tendered = 0, 0
    elif form.method.data == "both":
        transfer = form.transfer_dong.data or 0
        tendered = form.tendered_dong.data
    else:
        transfer, tendered = 0, form.tendered_dong.data
    if (transfer or by_transfer) and shop_bank(db.session) is None:
        flash(
            _(
                "The shop's bank account is not set yet: ask a coordinator to enter it "
                "under Shop settings."
            ),
            "error",
        )
        return _back_to_counter()

    # The receipt is queued in the sale's own transaction and sent after it commits: the
    # printer can never hold up or undo the sale.
    outcome = save(
        lambda: counter_service.checkout(
            db.session,
            member,
            transfer_dong=transfer,
            tendered_dong=tendered,
            client_id=form.client_id.data or str(uuid.uuid4()),
            at=clock.now(),
            tz=_tz(),
            all_by_transfer=by_transfer,
        )[0]
    )
    if not outcome.done:
        return _back_to_counter()
    return redirect(url_for("counter.show_sale", number=outcome.value.number), code=303)


@bp.get("/sales/")
def sales():
    member = current_member()
    shift = counter_service.current_shift(db.session, member)
    every = request.args.get("all") == "1"
    return render_template(
        "counter/sales.html",
        every=every,
        shift=shift,
        sales=counter_service.recent_sales(db.session, shift=None if every else shift, limit=100),
    )


@bp.route("/sales/<int:number>", methods=["GET"])
def show_sale(number: int):
    return _sale_page(counter_service.get_sale(db.session, number))


def _sale_page(sale, *, refund_form=None, void_form=None, status: int = 200):
    """The sale's page; after a refused refund or void, with that form as she sent it (its
    panel opened by the message in it, see static/js/shop.js) and ``status`` 422."""
    qr = None
    waiting = transfer_payload(db.session, sale)
    if waiting is not None:
        code, purpose = waiting
        qr = {
            "svg": vietqr.qr_svg(code),
            "purpose": purpose,
            "bank": shop_bank(db.session),
        }
    refunds = counter_service.refunds_of(db.session, sale)
    refunded = counter_service.refunded_by_line(db.session, sale)
    print_job = printing_service.latest_receipt_job(db.session, sale)
    from shop.services import bank as bank_service

    return render_template(
        "counter/sale.html",
        sale=sale,
        transfer=bank_service.transfer_of(db.session, sale, now=clock.now()),
        print_job=print_job,
        print_message=status_message(print_job) if print_job else "",
        qr=qr,
        refunds=refunds,
        refunded=refunded,
        void_form=void_form or VoidForm(formdata=None),
        refund_form=refund_form or RefundForm(formdata=None),
        refund_methods=REFUND_METHOD_LABELS,
        can_void=counter_service.void_refusal(db.session, sale) is None,
    ), status


def _to_sale(number: int, anchor: str | None = None):
    return redirect(url_for("counter.show_sale", number=number, _anchor=anchor), code=303)


@bp.post("/sales/<int:number>/confirm")
def confirm(number: int):
    sale = counter_service.get_sale(db.session, number)
    if save(
        lambda: counter_service.confirm_transfer(
            db.session, sale, at=clock.now(), by=current_member()
        )
    ).done:
        flash(_("Transfer received: sale %(number)s is complete.", number=number), "success")
    return _to_sale(number)


@bp.post("/sales/<int:number>/void")
def void(number: int):
    sale = counter_service.get_sale(db.session, number)
    form = VoidForm()
    outcome = save_form(
        form,
        lambda: counter_service.void(
            db.session,
            sale,
            by=current_member(),
            at=clock.now(),
            tz=_tz(),
            reason=form.reason.data,
            client_id=form.client_id.data,
        ),
    )
    if not outcome.done:
        return _sale_page(sale, void_form=form, status=outcome.status)
    flash(_("Sale %(number)s is voided; its items are back in stock.", number=number), "success")
    return _to_sale(number)


@bp.post("/sales/<int:number>/refund")
def refund(number: int):
    sale = counter_service.get_sale(db.session, number)
    form = RefundForm()
    outcome = save_form(
        form,
        lambda: counter_service.refund(
            db.session,
            sale,
            by=current_member(),
            at=clock.now(),
            tz=_tz(),
            client_id=form.client_id.data,
            **form.values(),
        ),
    )
    if not outcome.done:
        return _sale_page(sale, refund_form=form, status=outcome.status)
    flash(_("Money given back and recorded."), "success")
    return _to_sale(number)


@bp.route("/notebook", methods=["GET", "POST"])
@coordinator_required
def notebook_sale():
    """Enter a sale from the paper notebook kept during a power cut, at its real time."""

    from shop.services import members as member_service

    form = NotebookSaleForm()
    members = member_service.list_members(db.session)
    form.cashier.choices = select_choices(member_choices(members))
    if not form.is_submitted():
        form.client_id.data = str(uuid.uuid4())
        form.day.data = clock.today()

    def enter():
        return counter_service.enter_past_sale(
            db.session,
            counter_service.SaleRequest(
                lines=tuple(counter_service.parse_codes(form.codes.data)),
                discount_dong=form.sale_discount_dong.data or 0,
                discount_reason=form.discount_reason.data or "",
                client_id=form.client_id.data or None,
                all_by_transfer=form.method.data == "transfer",
            ),
            cashier=next(m for m in members if str(m.number) == form.cashier.data),
            entered_by=current_member(),
            at=local_moment(form.day.data, form.moment, _tz()),
            now=clock.now(),
            tz=_tz(),
        )

    outcome = save_form(form, enter)
    if outcome.done:
        number = outcome.value.number
        flash(_("Sale %(number)s entered from the notebook.", number=number), "success")
        return redirect(url_for("counter.show_sale", number=number), code=303)
    return render_template("counter/notebook.html", form=form), outcome.status


@bp.get("/sales/<int:number>/receipt")
def browser_receipt(number: int):
    """The receipt as a page to print from the browser (58 mm, 80 mm or A4 paper)."""
    from shop.printing.slips import receipt_for_sale

    sale = counter_service.get_sale(db.session, number)
    paper = request.args.get("paper", "80")
    if paper not in ("58", "80", "a4"):
        paper = "80"
    receipt = receipt_for_sale(db.session, sale)
    qr = vietqr.qr_svg(receipt.vietqr_payload) if receipt.vietqr_payload else None
    response = make_response(
        render_template("counter/receipt.html", receipt=receipt, sale=sale, paper=paper, qr=qr)
    )
    # The counter page prints it from a frame of its own (this site's pages only).
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/reviews")
@coordinator_required
def reviews():
    """Sales rung up with no link that arrived with something to look at (an item sold
    twice, a lot short, another price), for a coordinator to settle and mark seen."""
    from shop.messages import REVIEW_KINDS

    return render_template(
        "counter/reviews.html",
        reviews=counter_service.open_reviews(db.session),
        kinds=REVIEW_KINDS,
        form=ResolveReviewForm(formdata=None),
    )


@bp.post("/reviews/<int:review_id>/resolve")
@coordinator_required
def resolve_review(review_id: int):
    form = ResolveReviewForm()
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("counter.reviews", _anchor=f"review-{review_id}"), code=303)
    outcome = save(
        lambda: counter_service.resolve_review(
            db.session, review_id, by=current_member(), at=clock.now(), note=form.resolution.data
        )
    )
    if outcome.done:
        flash(_("Marked as seen."), "success")
    return redirect(url_for("counter.reviews"), code=303)
