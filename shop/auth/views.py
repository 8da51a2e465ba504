from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from shop import clock
from shop.auth import bp
from shop.auth.access import lock_policy, public
from shop.auth.forms import ChangePinForm, SignInForm, SwitchForm
from shop.database import reads_first
from shop.extensions import db
from shop.services import members as member_service
from shop.services.errors import InvalidInput, ShopError, SignInRefused
from shop.views import client_address, safe_next, show_error_on_form


def retry_after(error: ShopError) -> dict:
    """A ``Retry-After`` header (whole seconds) for a refusal that says until when."""
    until = getattr(error, "locked_until", None)
    if until is None:
        return {}
    return {"Retry-After": str(max(1, int((until - clock.now()).total_seconds()) + 1))}


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@reads_first  # the PIN's hash is checked with no write lock held
def sign_in():
    if not member_service.has_members(db.session):
        return redirect(url_for("main.setup"))
    if current_user.is_authenticated:
        return redirect(safe_next())
    form = SignInForm()
    if not form.is_submitted() and "typed_phone" in session:
        form.phone.data = session.pop("typed_phone")  # kept across the language button
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            member = member_service.sign_in_with_phone(
                db.session,
                form.phone.data,
                form.pin.data,
                now=clock.now(),
                today=clock.today(),
                country_code=current_app.config["SHOP_COUNTRY_CODE"],
                policy=lock_policy(),
                address=client_address(),
            )
        except SignInRefused as error:
            db.session.commit()  # keep the count of wrong PINs
            show_error_on_form(form, error)
            status, headers = error.status, retry_after(error)
        else:
            db.session.commit()
            # On her own phone she stays signed in (until her PIN changes or she signs out).
            login_user(member, remember=True)
            return redirect(safe_next(), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/sign_in.html", form=form), status, headers


@bp.post("/sign-out")
def sign_out():
    """Sign out: every session of hers ends, here and on her other devices, and no copy of
    this one's cookies signs in again."""
    member_service.sign_out(db.session, current_user)
    db.session.commit()
    logout_user()
    flash(_("You have signed out, on this phone and on every other device."), "info")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.get("/switch")
def switch():
    """The counter's "who is selling now?": the names of active members as big buttons."""
    members = member_service.active_members(db.session, clock.today())
    return render_template("auth/switch.html", members=[m for m in members if m.pin_hash])


@bp.route("/switch/<int:number>", methods=["GET", "POST"])
@reads_first
def switch_to(number: int):
    member = member_service.get_member(db.session, number)
    form = SwitchForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            member = member_service.sign_in_by_switch(
                db.session,
                number,
                form.pin.data,
                now=clock.now(),
                today=clock.today(),
                policy=lock_policy(),
            )
        except SignInRefused as error:
            db.session.commit()
            show_error_on_form(form, error)
            status, headers = error.status, retry_after(error)
        else:
            db.session.commit()
            logout_user()
            login_user(member)
            flash(_("%(name)s is selling now.", name=member.name), "success")
            return redirect(url_for("counter.counter"), code=303)  # her shift, or opening it
    elif form.is_submitted():
        status = 422
    return render_template("auth/switch_pin.html", form=form, member=member), status, headers


@bp.route("/account/pin", methods=["GET", "POST"])
@reads_first
def change_pin():
    form = ChangePinForm()
    status = 200
    if form.validate_on_submit():
        try:
            member_service.change_own_pin(
                db.session,
                current_user,
                form.current_pin.data,
                form.new_pin.data,
                now=clock.now(),
                today=clock.today(),
                policy=lock_policy(),
            )
        except InvalidInput as error:
            db.session.commit()  # keep the count of wrong PINs (nothing else was changed)
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            login_user(current_user)  # her session now carries the new PIN's version
            flash(_("Your PIN has been changed."), "success")
            return redirect(url_for("main.index"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/change_pin.html", form=form), status
