"""The month's pages: its figures and charts, closing it, payouts, statements and the
monthly report, on the phone and as PDF."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from shop import clock
from shop.auth.access import coordinator_required, current_member, current_viewer
from shop.domain import sharing
from shop.domain.money import short_dong
from shop.extensions import db
from shop.forms import ChoiceField, required, select_choices
from shop.i18n import month_label
from shop.month import bp
from shop.month.charts import Point
from shop.month.charts import page_bar_chart as bar_chart
from shop.month.charts import page_column_chart as column_chart
from shop.month.forms import (
    CATEGORY_LABELS,
    PAYOUT_METHOD_LABELS,
    PayoutCorrectionForm,
    PayoutForm,
)
from shop.printing.pdf import PAPER, html_to_pdf, htmls_to_pdf
from shop.printing.tags import month_band
from shop.printing.web import pdf_response
from shop.services import month as month_service
from shop.services import month_report as report_service
from shop.services import statements as statement_service
from shop.services import visibility
from shop.services.errors import InvalidInput, ShopError
from shop.services.members import list_members, shop_profile
from shop.stock.forms import DISPOSAL_SHOWN
from shop.views import save, save_form

PIECES_IN_LABELS = {
    "donation": _l("Pieces donated"),
    "consignment": _l("Pieces consigned"),
    "purchase": _l("Pieces bought in bales"),
}


class PayoutPageForm(PayoutForm):
    """The payout form of the month's page: the month is the page's, the member a choice."""

    month = None
    member = ChoiceField(_l("Member"), [required(_l("Choose the member."))])


def _this_month() -> str:
    return month_service.month_of(clock.today(), clock.shop_tz())


def _month(month: str) -> str:
    try:
        return month_service.parse_month(month)
    except InvalidInput:
        abort(404)


def _pdf(html: str, filename: str):
    """An A4 page of the month (statements, report, payout sheet) as a PDF download."""
    db.session.rollback()  # the data is read; nothing held while WeasyPrint works
    return pdf_response(html_to_pdf(html, stylesheets=(PAPER,)), filename)


@bp.get("/months/")
def list_months():
    """Every month from the shop's first on: open or closed, its result; the next to close."""
    tz = clock.shop_tz()
    current = _this_month()
    first = month_service.first_active_month(db.session, tz) or current
    months = report_service.months_back(current, 1)
    while months[0] > first:
        months.insert(0, month_service.previous_month(months[0]))
    latest = month_service.latest_closed_month(db.session)
    next_to_close = month_service.next_month(latest) if latest else first
    rows = [
        {
            "month": month,
            "label": month_label(month),
            "closed": latest is not None and month <= latest,
        }
        for month in reversed(months)
    ]
    return render_template(
        "month/months.html",
        rows=rows,
        next_to_close=next_to_close if next_to_close < current else None,
        current=current,
    )


@bp.get("/months/current")
def current_month():
    return redirect(url_for("month.show_month", month=_this_month()), code=303)


@bp.get("/months/<month>")
def show_month(month: str):
    """A month's figures (docs/sharing.md), its distribution table and its charts."""
    month = _month(month)
    return render_template("month/month.html", **_report_context(_report_as_seen(month)))


def _report_as_seen(month: str):
    """The month's report as the member asking may read it: the group's totals and the
    members' lines she may see (her own, or everyone's with open books)."""
    rules = visibility.shop_rules(db.session)
    who = current_viewer()
    report = report_service.month_report(db.session, month, clock.shop_tz())
    return report_service.as_seen_by(report, who, rules), visibility.sees_every_member(who, rules)


def _short(amount: int) -> str:
    """An amount on a chart, with the units in her language ("85 k", "1,3 tr")."""
    units = (
        pgettext("short amount", "k"),
        pgettext("short amount", "M"),
        pgettext("short amount", "bn"),
    )
    return short_dong(amount, units)


def _report_context(seen) -> dict:
    report, sees_everyone = seen
    months = [
        Point(_short_month(point.month), point.net_sales_dong - point.refunds_dong)
        for point in report.history
    ]
    charts = {
        "sales": column_chart(months, title=_("Sales after refunds"), short=_short),
        "result": column_chart(
            [Point(_short_month(p.month), p.result_dong) for p in report.history],
            title=_("Result"),
            short=_short,
        ),
        "fund": column_chart(
            [Point(_short_month(p.month), p.fund_dong) for p in report.history],
            title=_("Group fund (reserve so far)"),
            short=_short,
        ),
        "earned": bar_chart(
            [Point(member.name, amount) for member, amount in report.earned_12],
            title=_("Earned by each member over these months")
            if sees_everyone
            else _("What you earned over these months"),
            short=_short,
        ),
    }
    return {
        "expense_categories": CATEGORY_LABELS,
        "intake_kinds": PIECES_IN_LABELS,
        "disposal_kinds": DISPOSAL_SHOWN,
        "report": report,
        "figures": report.figures,
        "sees_everyone": sees_everyone,
        "label": month_label(report.month),
        "charts": charts,
        "previous": month_service.previous_month(report.month),
        "next": month_service.next_month(report.month),
        "this_month": _this_month(),
        "shop": shop_profile(db.session),
        "now": clock.now(),
    }


def _short_month(month: str) -> str:
    """ "T11/26": the month as the price tags' colour band names it."""
    return month_band(sharing.month_bounds(month)[0]).label


@bp.get("/months/<month>/report.pdf")
def report_pdf(month: str):
    """The monthly report on A4 for the group meeting."""
    month = _month(month)
    html = render_template("month/report_pdf.html", **_report_context(_report_as_seen(month)))
    return _pdf(html, f"bao-cao-{month}.pdf")


@bp.route("/months/<month>/close", methods=["GET", "POST"])
@coordinator_required
def close_month(month: str):
    """Every figure first; closing freezes them and the settings they used."""
    month = _month(month)
    tz = clock.shop_tz()
    if (
        request.method == "POST"
        and save(
            lambda: month_service.close_month(
                db.session, month, by=current_member(), at=clock.now(), tz=tz
            )
        ).done
    ):
        flash(_("%(month)s is closed.", month=month_label(month)), "success")
        return redirect(url_for("month.show_month", month=month), code=303)
    preview = month_service.preview_close(db.session, month, at=clock.now(), tz=tz)
    return render_template(
        "month/close.html",
        preview=preview,
        figures=preview.figures,
        label=month_label(month),
        members={m.number: m for m in list_members(db.session)},
    )


@bp.route("/months/<month>/payouts", methods=["GET", "POST"])
@coordinator_required
def payouts(month: str):
    """What each member is paid against a closed month, and what is left to pay."""
    month = _month(month)
    tz = clock.shop_tz()
    figures = month_service.month_figures(db.session, month, tz)
    members = {m.number: m for m in list_members(db.session)}
    form = PayoutPageForm()
    form.member.choices = select_choices(
        (row.member, f"{row.member} · {members[row.member].name}")
        for row in figures.members
        if row.carried_forward_dong > 0  # still owed (due − paid)
    )
    outcome = save_form(
        form,
        lambda: month_service.record_payout(
            db.session,
            statement_service.member_by_number(db.session, int(form.member.data)),
            month,
            form.amount_dong.data,
            form.paid_on.data,
            form.method.data,
            by=current_member(),
            note=form.note.data or "",
            client_id=form.client_id.data,
            today=clock.today(),
        ),
    )
    if outcome.done:
        flash(_("Payout recorded."), "success")
        return redirect(url_for("month.payouts", month=month), code=303)
    if not form.is_submitted() and form.paid_on.data is None:
        form.paid_on.data = clock.today()
    return (
        render_template(
            "month/payouts.html",
            form=form,
            figures=figures,
            members=members,
            label=month_label(month),
            month=month,
            closed=month_service.is_closed(db.session, month),
            paid=month_service.payouts(db.session, month),
            methods=PAYOUT_METHOD_LABELS,
        ),
        outcome.status,
    )


@bp.route("/months/<month>/payouts/<int:payout_id>/correct", methods=["GET", "POST"])
@coordinator_required
def correct_payout(month: str, payout_id: int):
    """Take a payout recorded wrong back (all of it or a part), with the reason: a
    counter-entry; the payout stays on record."""
    month = _month(month)
    try:
        payout = month_service.get_payout(db.session, payout_id)
    except ShopError:
        abort(404)
    if payout.month != month:
        abort(404)
    form = PayoutCorrectionForm()
    outcome = save_form(
        form,
        lambda: month_service.correct_payout(
            db.session,
            payout,
            form.amount_dong.data,
            form.reason.data or "",
            by=current_member(),
            at=clock.now(),
            tz=clock.shop_tz(),
            client_id=form.client_id.data,
        ),
    )
    if outcome.done:
        flash(_("Payout corrected."), "success")
        return redirect(url_for("month.payouts", month=month), code=303)
    if not form.is_submitted():
        form.amount_dong.data = payout.net_dong
    return (
        render_template(
            "month/correct_payout.html",
            form=form,
            payout=payout,
            label=month_label(month),
            month=month,
            methods=PAYOUT_METHOD_LABELS,
        ),
        outcome.status,
    )


@bp.get("/months/<month>/payouts.pdf")
@coordinator_required
def payout_sheet(month: str):
    """A sheet to hand out cash against: each member's due, paid and a signature line."""
    month = _month(month)
    figures = month_service.month_figures(db.session, month, clock.shop_tz())
    html = render_template(
        "month/payout_sheet.html",
        figures=figures,
        members={m.number: m for m in list_members(db.session)},
        label=month_label(month),
        month=month,
        shop=shop_profile(db.session),
        now=clock.now(),
    )
    return _pdf(html, f"chi-tra-{month}.pdf")


def _statement_for(month: str, number: int):
    # A member reads her own statement only (everyone's when the shop keeps open books).
    visibility.check_may_see_member_money(
        current_viewer(), number, visibility.shop_rules(db.session)
    )
    try:
        owner = statement_service.member_by_number(db.session, number)
    except ShopError:
        abort(404)
    return statement_service.statement(db.session, owner, month, clock.shop_tz())


@bp.get("/months/<month>/statement")
def my_statement(month: str):
    month = _month(month)
    return redirect(
        url_for("month.show_statement", month=month, number=current_member().number), code=303
    )


@bp.get("/statement")
def my_latest_statement():
    """Her statement of the latest closed month (else of this month so far)."""
    month = month_service.latest_closed_month(db.session) or _this_month()
    return redirect(
        url_for("month.show_statement", month=month, number=current_member().number), code=303
    )


@bp.get("/months/<month>/statements/<int:number>")
def show_statement(month: str, number: int):
    """Her statement: what she earned in the month and how it was worked out."""
    month = _month(month)
    statement = _statement_for(month, number)
    return render_template(
        "month/statement.html",
        s=statement,
        label=month_label(month),
        settings=month_service.sharing_settings(db.session, month),
    )


@bp.get("/months/<month>/statements/<int:number>.pdf")
def statement_pdf(month: str, number: int):
    month = _month(month)
    statement = _statement_for(month, number)
    html = render_template(
        "month/statements_pdf.html",
        statements=[statement],
        label=month_label(month),
        settings=month_service.sharing_settings(db.session, month),
        shop=shop_profile(db.session),
        now=clock.now(),
    )
    return _pdf(html, f"sao-ke-{month}-{number}.pdf")


@bp.get("/months/<month>/statements.pdf")
@coordinator_required
def all_statements_pdf(month: str):
    """Every member's statement of the month in one PDF, each starting a new page (its page
    numbers its own), made by as many processes as the server allows (PDF_PROCESSES)."""
    from shop.month.batch import statements_html

    month = _month(month)
    statements = statement_service.statements(db.session, month, clock.shop_tz())
    if not statements:
        html = render_template(
            "month/statements_pdf.html",
            statements=[],
            label=month_label(month),
            settings=month_service.sharing_settings(db.session, month),
            shop=shop_profile(db.session),
            now=clock.now(),
        )
        return _pdf(html, f"sao-ke-{month}.pdf")
    pages = statements_html(statements, month=month)
    db.session.rollback()  # the data is read; nothing held while WeasyPrint works
    pdf = htmls_to_pdf(
        pages, stylesheets=(PAPER,), processes=current_app.config.get("PDF_PROCESSES")
    )
    return pdf_response(pdf, f"sao-ke-{month}.pdf")


@bp.route("/settings/sharing", methods=["GET", "POST"])
@coordinator_required
def sharing_settings():
    """docs/sharing.md's numbers, from an open month on; closed months keep theirs."""
    from shop.month.settings_form import SharingSettingsForm

    current = _this_month()
    latest = month_service.latest_closed_month(db.session)
    first_open = month_service.next_month(latest) if latest else current
    months = [min(first_open, current)]
    while months[-1] < month_service.next_month(current):
        months.append(month_service.next_month(months[-1]))
    form = SharingSettingsForm()
    form.from_month.choices = select_choices((m, month_label(m)) for m in months)
    outcome = save_form(
        form,
        lambda: month_service.set_sharing_settings(
            db.session, form.from_month.data, form.policy(), by=current_member()
        ),
    )
    if outcome.done:
        flash(
            _(
                "Saved: these settings apply from %(month)s on.",
                month=month_label(form.from_month.data),
            ),
            "success",
        )
        return redirect(url_for("month.sharing_settings"), code=303)
    if not form.is_submitted():
        form.from_month.data = current if current in months else months[0]
        form.fill(month_service.sharing_settings(db.session, form.from_month.data))
    history = [(m, month_label(m), month_service.sharing_settings(db.session, m)) for m in months]
    return (
        render_template("month/settings.html", form=form, history=history),
        outcome.status,
    )


@bp.post("/months/<month>/statements/render")
@coordinator_required
def start_statements(month: str):
    """Start making every statement of the month as one PDF; the next page shows progress."""
    from shop.month import batch

    month = _month(month)
    render_id = batch.start_statements(
        current_app._get_current_object(), month, member_number=current_member().number
    )
    return redirect(
        url_for("month.statements_progress", month=month, render_id=render_id), code=303
    )


@bp.get("/months/<month>/statements/render/<render_id>")
@coordinator_required
def statements_progress(month: str, render_id: str):
    from shop.month import batch

    month = _month(month)
    state = batch.state(current_app._get_current_object(), render_id)
    if state is None or state.get("month") != month:
        abort(404)
    return render_template(
        "month/progress.html",
        state=state,
        month=month,
        render_id=render_id,
        label=month_label(month),
    )


@bp.get("/months/<month>/statements/render/<render_id>.pdf")
@coordinator_required
def statements_rendered(month: str, render_id: str):
    from shop.month import batch

    month = _month(month)
    state = batch.state(current_app._get_current_object(), render_id)
    path = batch.pdf_path(current_app._get_current_object(), render_id)
    if state is None or state.get("month") != month or path is None:
        abort(404)
    return pdf_response(path.read_bytes(), f"sao-ke-{month}.pdf")
