from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member
from shop.database import reads_first
from shop.extensions import db
from shop.members import bp
from shop.members.forms import (
    ROLE_LABELS,
    MemberForm,
    NewMemberForm,
    ResetPinForm,
    TokenForm,
)
from shop.messages import in_words
from shop.models import Role
from shop.services import members as member_service
from shop.views import save_form


def add_book_problems(form: MemberForm, member=None) -> None:
    """When the form itself was refused, add what only the books can tell (a phone number
    another member has, a leaving day before the joining day, a joining day to come), so
    she sees every problem at once instead of one more after each try."""
    if not form.is_submitted() or not form.errors:
        return
    clean = {name: getattr(form, name).data if not getattr(form, name).errors else None
             for name in ("phone", "joined_on", "left_on")}  # fmt: skip
    problems = member_service.detail_problems(
        db.session,
        name=form.name.data if not form.name.errors else "-",
        member=member,
        today=clock.today(),
        **clean,
    )
    for name, messages in problems.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [str(in_words(m)) for m in messages]


@bp.get("/")
def list_members():
    show_left = request.args.get("left") == "1"
    members = member_service.list_members(db.session, include_left=show_left)
    return render_template(
        "members/list.html",
        members=members,
        show_left=show_left,
        today=clock.today(),
        roles=ROLE_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@reads_first  # her PIN is hashed with no write lock held
@coordinator_required
def new_member():
    form = NewMemberForm()
    if not form.is_submitted():
        form.joined_on.data = clock.today()
    outcome = save_form(
        form,
        lambda: member_service.create_member(
            db.session,
            form.details(),
            form.pin.data,
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
            by=current_member(),
            today=clock.today(),
        ),
    )
    if outcome.done:
        member = outcome.value
        flash(
            _("%(name)s is member number %(number)s.", name=member.name, number=member.number),
            "success",
        )
        return redirect(url_for("members.list_members"), code=303)
    add_book_problems(form)
    return render_template("members/form.html", form=form, member=None), outcome.status


@bp.route("/<int:number>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_member(number: int):
    member = member_service.get_member(db.session, number)
    form = MemberForm(obj=member)
    if not form.is_submitted():
        form.role.data = member.role.value
    outcome = save_form(
        form,
        lambda: member_service.update_member(
            db.session,
            member,
            form.details(),
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
            acting=current_member(),
            today=clock.today(),
        ),
    )
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for("members.list_members"), code=303)
    add_book_problems(form, member)
    return render_template("members/form.html", form=form, member=member), outcome.status


@bp.route("/<int:number>/pin", methods=["GET", "POST"])
@reads_first  # the PIN is hashed with no write lock held
@coordinator_required
def reset_pin(number: int):
    member = member_service.get_member(db.session, number)
    form = ResetPinForm()
    status = 200
    if form.validate_on_submit():
        member_service.set_pin(db.session, member, form.pin.data, by=current_member())
        db.session.commit()
        flash(_("New PIN set for %(name)s. Tell it to her in person.", name=member.name), "success")
        return redirect(url_for("members.list_members"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("members/reset_pin.html", form=form, member=member), status


@bp.route("/tokens", methods=["GET", "POST"])
@coordinator_required
def tokens():
    """API tokens for scripts: create (the secret is shown once), list and revoke."""
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        _token, secret = member_service.create_token(
            db.session, current_member(), form.name.data, Role(form.role.data)
        )
        db.session.commit()
        form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    return render_template(
        "members/tokens.html",
        form=form,
        secret=secret,
        tokens=member_service.list_tokens(db.session),
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@coordinator_required
def revoke_token(token_id: int):
    member_service.revoke_token(db.session, token_id, now=clock.now(), by=current_member())
    db.session.commit()
    flash(_("The token is revoked: scripts using it are shut out."), "success")
    return redirect(url_for("members.tokens"), code=303)
