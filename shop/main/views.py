import re

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from shop import clock
from shop.auth.access import coordinator_required, current_member, public
from shop.config import LANGUAGES
from shop.database import known_migrations
from shop.extensions import db
from shop.main import bp
from shop.members.forms import SetupForm, ShopSettingsForm
from shop.models import Role
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.views import safe_next, save_form


@bp.get("/")
def index():
    member = current_member()
    from shop.services.bank import review_count
    from shop.services.counter import open_review_count
    from shop.services.counts import current_count

    warnings = {}
    if member.is_coordinator:
        from pathlib import Path

        from shop.services.health import coordinator_warnings

        warnings = coordinator_warnings(Path(current_app.instance_path), clock.now())
    return render_template(
        "main/index.html",
        member=member,
        shop=member_service.shop_profile(db.session),
        reviews=open_review_count(db.session) if member.is_coordinator else 0,
        bank_reviews=review_count(db.session) if member.is_coordinator else 0,
        warnings=warnings,
        open_count=current_count(db.session),
    )


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run: the first coordinator and the shop's name. Closed once anyone exists."""
    if member_service.has_members(db.session):
        abort(404)
    form = SetupForm()

    def set_up():
        member_service.save_shop_profile(db.session, form.shop_name.data, form.shop_address.data)
        stock_service.seed_categories(db.session)
        details = member_service.MemberDetails(
            name=form.name.data,
            phone=form.phone.data,
            role=Role.COORDINATOR,
            joined_on=clock.today(),
        )
        return member_service.create_member(
            db.session,
            details,
            form.pin.data,
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
        )

    outcome = save_form(form, set_up)
    if outcome.done:
        login_user(outcome.value)
        flash(_("Welcome! You are the shop's first coordinator."), "success")
        return redirect(url_for("members.list_members"))
    return render_template("main/setup.html", form=form), outcome.status


@bp.get("/healthz")
@public
def health():
    """For a monitor, a load balancer or systemd's watchdog: 200 when every part is well
    (warnings named), 503 naming the failing parts. States, ages and sizes only."""
    from pathlib import Path

    from shop.errors import UNWRITABLE
    from shop.services import health as health_service

    app = current_app._get_current_object()
    worker = app.extensions.get("print_worker")
    report = health_service.shop_health(
        db.session,
        instance=Path(app.instance_path),
        heads=known_migrations(app)[1],
        worker_enabled=app.config.get("PRINT_WORKER", "thread") == "thread",
        worker_alive=worker is not None and worker.is_alive(),
        worker_last_round=getattr(worker, "last_round", None),
        now=clock.now(),
    )
    body = report.as_json()
    if report.parts["database"].detail.get("problem") in ("read_only", "disk_full"):
        body["message"] = str(UNWRITABLE)
    return body, 503 if report.failing else 200


@bp.post("/language")
@public
def set_language():
    """Change the page's language. From the sign-in page the button sends the sign-in form:
    the phone number she typed is kept (for one page, in the session, never in an address)
    and the PIN is dropped."""
    code = request.form.get("lang", "")
    if code in LANGUAGES:
        session["lang"] = code
    if "phone" in request.form:
        session["typed_phone"] = request.form["phone"][:40]
        after = safe_next() if request.form.get("next") else None
        return redirect(url_for("auth.sign_in", next=after), code=303)
    return redirect(safe_next(), code=303)


@bp.route("/settings/shop", methods=["GET", "POST"])
@coordinator_required
def shop_settings():
    """The shop's name and address, where transfers go, and the receipt's last words."""
    from shop.services import visibility

    profile = member_service.shop_profile(db.session)
    form = ShopSettingsForm(obj=profile)

    def save_settings():
        by = current_member()
        member_service.save_shop_settings(
            db.session,
            name=form.name.data,
            address=form.address.data or "",
            bank_bin=form.bank_bin.data or "",
            bank_account=form.bank_account.data or "",
            bank_account_name=form.bank_account_name.data or "",
            receipt_footer=form.receipt_footer.data or "",
            by=by,
        )
        rules = visibility.ShopRules(
            open_books=bool(form.open_books.data),
            members_record_expenses=bool(form.members_record_expenses.data),
            lost_item_pays=form.lost_item_pays.data or profile.lost_item_pays or "owner_split",
        )
        visibility.set_shop_rules(db.session, rules, by=by, at=clock.now())

    outcome = save_form(form, save_settings)
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for("main.shop_settings"), code=303)
    return render_template("main/settings.html", form=form), outcome.status


@bp.get("/audit")
@coordinator_required
def audit_log():
    """What was done that the money or the members depend on; read only, newest first."""
    from shop.main.bank import KEY_LABELS as BANK_KEY_LABELS
    from shop.members.forms import LOST_ITEM_PAYS_LABELS, ROLE_LABELS
    from shop.messages import (
        AUDIT_ACTIONS,
        AUDIT_FIELDS,
        AUDIT_SUBJECTS,
        BANK_REASONS,
        SIGN_IN_OUTCOMES,
    )
    from shop.month.forms import CATEGORY_LABELS, PAYOUT_METHOD_LABELS
    from shop.services import audit
    from shop.stock.forms import DISPOSAL_LABELS, DISPOSAL_SHOWN

    action = request.args.get("action") or None
    if action is not None and action not in audit.ACTIONS:
        action = None
    # Values kept as codes (cash, rent, returned_to_owner, coordinator) in her words.
    words = {
        **PAYOUT_METHOD_LABELS,
        **DISPOSAL_LABELS,
        **CATEGORY_LABELS,
        **ROLE_LABELS,
        **SIGN_IN_OUTCOMES,
        **BANK_REASONS,
        **LOST_ITEM_PAYS_LABELS,
        **DISPOSAL_SHOWN,
        **BANK_KEY_LABELS,
        "sepay": "SePay",
        "casso": "Casso",
        "not_counted": _("not counted"),
        "counted": _("counted"),
        "on": _("on"),
        "off": _("off"),
    }
    lines = audit.events(db.session, action=action, limit=200)
    return render_template(
        "main/audit.html",
        lines=[
            (
                line,
                _subject_text(line.subject or "", AUDIT_SUBJECTS),
                _detail_parts(line.detail or {}, AUDIT_FIELDS, words),
            )
            for line in lines
        ],
        action=action,
        actions=AUDIT_ACTIONS,
    )


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def _month_name(text: str) -> str | None:
    """The month's name ("tháng 11 năm 2026") if ``text`` is a month written YYYY-MM."""
    from shop.i18n import month_label
    from shop.services.errors import InvalidInput
    from shop.services.month import parse_month

    if not _MONTH.fullmatch(text):
        return None
    try:
        return str(month_label(parse_month(text)))
    except InvalidInput:
        return None


def _subject_text(subject: str, subjects: dict) -> str:
    """What an audit line is about, in her words: "member 3", "sale 12", a month by name."""
    if month := _month_name(subject):
        return month
    kind, _space, rest = subject.partition(" ")
    return f"{subjects.get(kind, kind)} {rest}".strip()


def _detail_parts(detail: dict, fields: dict, words: dict) -> list[tuple[str, str]]:
    """An audit line's details as (label, text) pairs in her words: amounts in đồng, days
    and months as the rest of the shop writes them, codes by their labels."""
    from datetime import date

    from shop.domain.calendar import parse_moment
    from shop.domain.money import format_dong
    from shop.i18n import format_day, format_moment

    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if key.endswith("_dong") and isinstance(value, int) and not isinstance(value, bool):
            text = format_dong(value)
        elif isinstance(value, str) and _DAY.fullmatch(value):
            text = format_day(date.fromisoformat(value))
        elif isinstance(value, str) and _MOMENT.match(value):
            text = format_moment(parse_moment(value))
        elif isinstance(value, str) and (month := _month_name(value)):
            text = month
        elif isinstance(value, str):
            text = str(words.get(value, value))
        elif isinstance(value, dict) and set(value) == {"old", "new"}:  # a setting changed
            old, new = (words.get(value[k], value[k]) for k in ("old", "new"))
            text = f"{old} → {new}"
        elif key == "keys_changed" and isinstance(value, list):  # the bank feed's keys
            text = ", ".join(str(words.get(name, name)) for name in value)
        elif key == "lines" and isinstance(value, list):
            text = ", ".join(
                f"{line.get('code', '')} −{format_dong(int(line.get('discount_dong') or 0))}"
                + (f" ({line['reason']})" if line.get("reason") else "")
                for line in value
                if isinstance(line, dict)
            )
        else:
            text = str(value)
        parts.append((str(fields.get(key, key)), text))
    return parts
