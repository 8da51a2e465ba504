"""Stocktake pages (Kiểm kê): the list of counts and opening one, the scanning page each
member's phone uses, and the coordinator's result page that closes a count.

The scanning page is a small app (static/js/count/app.js): its scans go to the API
(:mod:`shop.api.counts`) in batches. The result page is a plain form that works with no
script. Every rule is :mod:`shop.services.counts`'s.
"""

from __future__ import annotations

import re

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from shop import clock
from shop.auth.access import coordinator_required, current_member, current_role, public
from shop.domain.count import CHOICES, Difference
from shop.extensions import db
from shop.messages import not_found_at_count
from shop.models import Role
from shop.service_worker import worker_response
from shop.services import counts as count_service
from shop.services import stock as stock_service
from shop.services.errors import InvalidInput
from shop.stock import bp
from shop.stock.forms import (
    DECIDED_LABELS,
    DECISION_LABELS,
    DIFFERENCE_LABELS,
    STATUS_LABELS,
    OpenCountForm,
)
from shop.views import int_arg, save_form

#: The files the count pages' service worker keeps, so a count page the phone opened
#: before opens again with no link (its scans wait on the phone until there is one).
COUNT_FILES = (
    "css/shop.css",
    "css/count.css",
    "icons/sprite.svg",
    "favicon.svg",
    "js/shop.js",
    "js/counter/early.js",
    "js/count/app.js",
    "js/counter/net.js",
    "js/counter/scanbox.js",
    "js/counter/dom.js",
    "js/counter/store.js",
)

#: The groups of the result page, in the order it shows them.
GROUPS = (
    Difference.MISSING,
    Difference.FOUND_OFF_BOOKS,
    Difference.UNKNOWN_CODE,
    Difference.LOT_PIECES,
)


def _is_coordinator() -> bool:
    return current_role() == Role.COORDINATOR


def _open_form() -> OpenCountForm:
    form = OpenCountForm()
    form.categories.choices = [(c.id, c.name) for c in stock_service.categories(db.session)]
    return form


def _list_page(form: OpenCountForm, status: int = 200):
    return render_template(
        "stock/counts.html",
        counts=count_service.counts(db.session),
        current=count_service.current_count(db.session),
        form=form if _is_coordinator() else None,
    ), status


@bp.get("/stock/counts/")
def list_counts():
    """Every count, newest first; for a coordinator, the form to open one."""
    return _list_page(_open_form())


@bp.post("/stock/counts/")
@coordinator_required
def open_count():
    form = _open_form()
    outcome = save_form(
        form,
        lambda: count_service.open_count(
            db.session,
            by=current_member(),
            at=clock.now(),
            category_ids=form.categories.data or (),
            note=form.note.data or "",
        ),
    )
    if outcome.done:
        flash(
            _(
                "Stock count %(number)s is open: everyone can scan now.",
                number=outcome.value.number,
            ),
            "success",
        )
        return redirect(url_for("stock.show_count", number=outcome.value.number), code=303)
    return _list_page(form, outcome.status)


def _page_text() -> dict[str, str]:
    _ = get_translations().ugettext  # looked up once for all the words (see counter.app)
    return {
        "connecting": _("Connecting…"),
        "all_sent": _("All sent"),
        "sending": _("Sending %(count)s scans…"),
        "offline": _("No link: %(count)s scans waiting, keep scanning"),
        "offline_copy": _(
            "No link: this page is the copy kept on this phone. %(count)s scans waiting, "
            "keep scanning"
        ),
        "signed_out": _("Signed out: sign in again to send %(count)s scans."),
        "sign_in_again": _("Sign in"),
        "closed": _("This stock count is closed."),
        "waiting": _("Waiting to send"),
        "sent": _("Sent ✓"),
        "refused": _("Refused"),
        "needs_pieces": _("How many pieces?"),
        "withdrawn": _("Taken back"),
        "take_back": _("Take back"),
        "counted": _("Counted %(code)s"),
        "already": _("%(code)s is already counted on this phone."),
        "not_on_copy": _(
            "%(code)s is not in this phone's copy of the rail: it is counted all the same."
        ),
        "lot": _("Lot: %(pieces)s pieces"),
        "lot_of": _("Lot %(name)s (%(code)s): how many pieces did you count?"),
        "pieces_range": _("Enter between 1 and %(n)s pieces."),
        "scans_n": _("%(count)s scans"),
        "unknown_n": _("%(count)s unknown tags"),
    }


@bp.get("/stock/counts/<int:number>")
def show_count(number: int):
    """The scanning page: any member's phone counts into an open count from here."""
    count = count_service.get_count(db.session, number)
    member = current_member()
    progress = count_service.progress(db.session, count, member=member)
    config = {
        "count": count.number,
        "open": count.is_open,
        "member": member.number,
        "csrf_token": generate_csrf(),
        "max_pieces": count_service.MAX_PIECES,
        "batch": count_service.MAX_BATCH,
        "progress_every_ms": 10_000,
        "urls": {
            "scans": url_for("api.send_scans", number=count.number),
            "count": url_for("api.get_count", number=count.number),
            "withdraw": url_for("api.withdraw_scan", number=count.number, client_id="CLIENT"),
            "csrf": url_for("api.csrf_token"),
            "sign_in": url_for("auth.sign_in", next=url_for("stock.show_count", number=number)),
            "worker": url_for("stock.count_service_worker"),
            "scope": url_for("stock.list_counts"),
        },
    }
    response = make_response(
        render_template(
            "stock/count.html",
            count=count,
            progress=progress,
            coordinator=_is_coordinator(),
            text=_page_text(),
            config=config,
        )
    )
    # Whose page this is: the service worker keeps it for her only (it has her name and
    # her session's token), see service_worker.js.
    response.headers["X-Shop-Member"] = str(member.number)
    return response


@bp.get("/stock/counts/sw.js")
@public
def count_service_worker():
    """The count pages' service worker: keeps the scanning pages this phone opened, and
    their files, for when there is no link. Never the API, the list or the result page."""
    return worker_response(
        name="stock-count",
        scope=url_for("stock.list_counts"),
        pages="^" + re.escape(url_for("stock.list_counts")) + r"\d+$",
        files=COUNT_FILES,
        templates=["stock/count.html"],
        per_member=True,
    )


def _choices_sent() -> tuple[dict[str, str], dict[str, str]]:
    """What the coordinator chose (code → kind) and wrote (code → note) in the form sent."""
    kinds, notes = {}, {}
    for index in range(min(int_arg(request.form.get("rows")) or 0, 10_000)):
        code = request.form.get(f"code-{index}")
        if not code:
            continue
        kinds[code] = request.form.get(f"kind-{index}", "")
        notes[code] = request.form.get(f"note-{index}", "")
    return kinds, notes


def _result_page(count, lines, *, kinds=None, notes=None, problem=None, status=200):
    decisions = [] if count.is_open else count_service.decisions_of(db.session, count)
    if decisions:
        kinds = {d.code: d.kind.value for d in decisions}
    kinds = kinds or {}
    chosen = {
        line.code: kinds.get(line.code)
        if kinds.get(line.code) in {k.value for k in CHOICES[line.found.difference]}
        else line.found.choices[0].value
        for line in lines
    }
    loss = count_service.loss(
        lines, {code: CHOICES_BY_VALUE[kind] for code, kind in chosen.items()}
    )
    groups = [
        (difference, [line for line in lines if line.found.difference == difference])
        for difference in GROUPS
    ]
    return render_template(
        "stock/count_result.html",
        count=count,
        groups=[(d, rows) for d, rows in groups if rows],
        rows=len(lines),
        index={line.code: n for n, line in enumerate(lines)},
        chosen=chosen,
        notes=notes or {},
        loss=loss,
        problem=problem,
        difference_labels=DIFFERENCE_LABELS,
        decision_labels=DECISION_LABELS,
        decided_labels=DECIDED_LABELS,
        decided={d.code: d for d in decisions},
        costly={kind.value for kind in count_service.COSTLY},
        statuses=STATUS_LABELS,
    ), status


CHOICES_BY_VALUE = {kind.value: kind for kinds in CHOICES.values() for kind in kinds}


@bp.route("/stock/counts/<int:number>/result", methods=["GET", "POST"])
@coordinator_required
def count_result(number: int):
    """The differences, each with its choices; closing the count decides them all."""
    count = count_service.get_count(db.session, number)
    if not count.is_open:
        if request.method == "POST":  # closed meanwhile (on another phone): nothing to do
            flash(_("This stock count is already closed."), "error")
            return redirect(url_for("stock.count_result", number=number), code=303)
        return _result_page(
            count, count_service.decided_lines(db.session, count, tz=clock.shop_tz())
        )
    if request.method == "GET":
        lines = count_service.result(db.session, count, at=clock.now(), tz=clock.shop_tz())
        return _result_page(count, lines)
    kinds, notes = _choices_sent()
    try:
        decisions = {
            code: count_service.decided(kind, notes.get(code, "")) for code, kind in kinds.items()
        }
        count_service.close_count(
            db.session, count, decisions, by=current_member(), at=clock.now(),
            tz=clock.shop_tz(), lost_reason=not_found_at_count(count.number),
        )  # fmt: skip
    except InvalidInput as refusal:
        # Nothing of it is kept; the list as it is now, with what she chose kept.
        db.session.rollback()
        count = count_service.get_count(db.session, number)
        if not count.is_open:
            flash(str(refusal.message), "error")
            return redirect(url_for("stock.count_result", number=number), code=303)
        lines = count_service.result(db.session, count, at=clock.now(), tz=clock.shop_tz())
        return _result_page(
            count, lines, kinds=kinds, notes=notes, problem=str(refusal.message), status=422
        )
    db.session.commit()
    flash(_("Stock count %(number)s is closed.", number=count.number), "success")
    return redirect(url_for("stock.count_result", number=number), code=303)
