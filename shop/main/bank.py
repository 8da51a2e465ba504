"""The coordinator's "Ngân hàng" settings: which bank-notification service tells the shop
about transfers, its keys (never shown again once saved), the payment code's prefix, how
long the bank has to show a transfer confirmed by hand; the webhook addresses to paste
into SePay or Casso; how the feed stands; and "Kiểm tra giao dịch", which asks now."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import Length, NumberRange

from shop import clock
from shop.auth.access import coordinator_required, current_member
from shop.domain.text import KEY_LENGTH
from shop.extensions import db
from shop.forms import ChoiceField, CountField, ShopForm, at_most, select_choices
from shop.main import bp
from shop.models import BankFeed
from shop.services import bank
from shop.services.members import shop_profile
from shop.views import save_form

PROVIDER_LABELS = {"": _l("No bank feed"), "sepay": "SePay", "casso": "Casso"}
KEY_LABELS = {
    "sepay_api_token": _l("SePay API token (to ask for transactions)"),
    "sepay_webhook_key": _l("SePay webhook key (API Key of the webhook)"),
    "casso_api_key": _l("Casso API key (to ask for transactions)"),
    "casso_checksum_key": _l("Casso webhook checksum key"),
}
KEYS_OF = {
    "sepay": ("sepay_api_token", "sepay_webhook_key"),
    "casso": ("casso_api_key", "casso_checksum_key"),
}


def _key_field(name: str):
    return PasswordField(
        KEY_LABELS[name],
        [at_most(KEY_LENGTH, _l("A key has at most 200 characters."))],
        render_kw={"autocomplete": "new-password", "spellcheck": "false"},
    )


class BankSettingsForm(ShopForm):
    provider = ChoiceField(
        _l("Bank-notification service"),
        choices=select_choices(PROVIDER_LABELS),
        description=_l(
            "The service that reads the shop's bank account and tells the shop about each "
            "transfer. Register there first and link the account below."
        ),
    )
    sepay_api_token = _key_field("sepay_api_token")
    sepay_webhook_key = _key_field("sepay_webhook_key")
    casso_api_key = _key_field("casso_api_key")
    casso_checksum_key = _key_field("casso_checksum_key")
    code_prefix = StringField(
        _l("Payment code starts with"),
        [Length(max=6, message=_l("The code's prefix is 2 to 6 letters A to Z."))],
        description=_l("2 to 6 letters; the sale number and a check digit follow (NM13)."),
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )
    check_days = CountField(
        _l("Days the bank has to show a transfer confirmed by hand"),
        [NumberRange(min=1, max=60, message=_l("Between 1 and 60 days."))],
        description=_l("After that it is marked “not seen at the bank”."),
    )
    base_url = StringField(
        _l("Service address (advanced)"),
        [at_most(KEY_LENGTH)],
        description=_l("Leave empty to use the service's own address."),
        render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )


@bp.route("/settings/bank", methods=["GET", "POST"])
@coordinator_required
def bank_settings():
    current = bank.bank_settings(db.session)
    in_force = bank.keys(db.session)
    form = BankSettingsForm(
        data={
            "provider": current.provider,
            "code_prefix": current.code_prefix,
            "check_days": current.check_days,
            "base_url": current.base_url,
        }
    )

    def save():
        return bank.save_settings(
            db.session,
            by=current_member(),
            at=clock.now(),
            provider=form.provider.data or "",
            base_url=form.base_url.data or "",
            code_prefix=form.code_prefix.data or "",
            check_days=form.check_days.data if form.check_days.data is not None else 0,
            new_keys={
                name: form[name].data or ""
                for name in KEY_LABELS
                if name not in in_force.from_environment
            },
        )

    outcome = save_form(form, save)
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for("main.bank_settings"), code=303)
    feed = db.session.get(BankFeed, current.provider) if current.provider else None
    return (
        render_template(
            "main/bank_settings.html",
            form=form,
            settings=current,
            keys=in_force,
            saved={name: bool(getattr(current, name)) for name in KEY_LABELS},
            keys_of=KEYS_OF,
            feed=feed,
            profile=shop_profile(db.session),
            webhooks={
                "sepay": url_for("api.sepay_webhook", _external=True),
                "casso": url_for("api.casso_webhook", _external=True),
            },
        ),
        outcome.status,
    )


@bp.post("/settings/bank/poll")
@coordinator_required
def bank_poll():
    """ "Kiểm tra giao dịch": ask the service now and say what came."""
    from shop.bank.poller import poll_once

    result = poll_once(db.session, at=clock.now(), force=True)
    if result.skipped == "no_provider":
        flash(_("Choose a bank-notification service first."), "error")
    elif result.skipped or result.error:
        flash(result.message, "error")
    else:
        words = [_("New transactions: %(num)s.", num=result.new)]
        if result.confirmed_sales:
            words.append(
                _("Confirmed by the bank: sale %(numbers)s.",
                  numbers=", ".join(map(str, result.confirmed_sales)))
            )  # fmt: skip
        review = result.outcomes.get("review", 0)
        if review:
            words.append(_("To look at on the review list: %(num)s.", num=review))
        flash(" ".join(words), "success")
    return redirect(url_for("main.bank_settings"), code=303)
