from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from shop import clock
from shop.auth.access import coordinator_required, current_member, current_role, current_viewer
from shop.database import reads_first
from shop.extensions import db
from shop.forms import select_choices
from shop.members.forms import member_choices
from shop.models import Condition, IntakeKind, ItemStatus
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.services import visibility
from shop.services.errors import InvalidInput
from shop.stock import bp
from shop.stock.forms import (
    CONDITION_LABELS,
    DISPOSAL_SHOWN,
    KIND_LABELS,
    SIZES,
    STATUS_LABELS,
    CategoryForm,
    DisposalForm,
    IntakeForm,
    ItemForm,
    PriceChangeForm,
    SearchForm,
    TagSheetForm,
    prepare_intake_form,
    prepare_item_form,
)
from shop.views import (
    int_arg,
    photo_folder,
    photo_response,
    save,
    save_form,
    show_error_on_form,
    today_policy,
)

PER_PAGE = 30


def _labels():
    return {
        "kinds": KIND_LABELS,
        "conditions": CONDITION_LABELS,
        "statuses": STATUS_LABELS,
        "disposal_labels": DISPOSAL_SHOWN,
    }


# ---------------------------------------------------------------- intake


@bp.get("/intake/")
def list_intakes():
    return render_template(
        "stock/intakes.html", intakes=stock_service.recent_intakes(db.session), **_labels()
    )


@bp.route("/intake/new", methods=["GET", "POST"])
def new_intake():
    form = prepare_intake_form(IntakeForm())
    today = clock.today()
    if not form.is_submitted():
        form.received_on.data = today
        form.kind.data = request.args.get("kind", IntakeKind.DONATION.value)

    outcome = save_form(
        form,
        lambda: stock_service.receive_drop_off(
            db.session,
            form.details(),
            by=current_member(),
            role=current_role(),
            now=clock.now(),
            tz=clock.shop_tz(),
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
        ),
    )
    if outcome.done:
        return redirect(url_for("stock.show_intake", ref=outcome.value.ref), code=303)
    donors = stock_service.find_donors(db.session, limit=200)
    return render_template(
        "stock/intake_new.html", form=form, donors=donors, **_labels()
    ), outcome.status


@bp.route("/intake/<ref>", methods=["GET", "POST"])
def show_intake(ref: str):
    """One drop-off: its items, and the form that adds the next one (it stays open)."""
    intake = stock_service.get_intake(db.session, ref)
    categories = stock_service.categories(db.session)
    form = prepare_item_form(ItemForm(), categories)
    if not form.is_submitted():
        form.category.data = request.args.get("category") or (
            str(categories[0].id) if categories else None
        )
        form.condition.data = request.args.get("condition", Condition.GOOD.value)
    outcome = save_form(
        form, lambda: stock_service.add_to_intake(db.session, intake, form.details())
    )
    if outcome.done:
        flash(_("Saved with code %(code)s.", code=outcome.value.code), "success")
        return redirect(
            url_for(
                "stock.show_intake",
                ref=ref,
                category=form.category.data,
                condition=form.condition.data,
                _anchor="add",
            ),
            code=303,
        )
    today, policy = today_policy()
    suggestions = {
        f"{cat}:{cond}": price
        for (cat, cond), price in stock_service.price_suggestions(db.session).items()
    }
    return render_template(
        "stock/intake.html",
        intake=intake,
        form=form,
        items=list(intake.items),
        tag_form=TagSheetForm(formdata=None),
        cost=stock_service.bale_cost(db.session, intake)
        if intake.kind == IntakeKind.PURCHASE
        else None,
        suggestions=suggestions,
        sizes=SIZES,
        policy=policy,
        today=today,
        **_labels(),
    ), outcome.status


@bp.get("/intake/<ref>/tags.pdf")
def intake_tags(ref: str):
    intake = stock_service.get_intake(db.session, ref)
    return _tag_pdf(
        list(intake.items),
        f"tem-{intake.ref}.pdf",
        url_for("stock.show_intake", ref=intake.ref),
        any(item.is_lot for item in intake.items),
    )


# ---------------------------------------------------------------- stock


@bp.get("/stock/")
def search_stock():
    form = SearchForm(request.args)
    categories = stock_service.categories(db.session)
    form.category.choices = select_choices([("", _("All"))] + [(c.id, c.name) for c in categories])
    form.status.choices = select_choices([("", _("Any"))] + list(STATUS_LABELS.items()))
    members = member_service.list_members(db.session)
    form.owner.choices = select_choices([("", _("Anyone")), *member_choices(members)])
    if "status" not in request.args:
        form.status.data = ItemStatus.IN_STOCK.value
    form.validate()
    owner = next((m for m in members if str(m.number) == form.owner.data), None)
    query = stock_service.StockQuery(
        text=form.q.data or "",
        category_id=int_arg(form.category.data),
        size=form.size.data or None,
        status=ItemStatus(form.status.data) if form.status.data in STATUS_LABELS else None,
        owner_id=owner.id if owner else None,
    )
    if query.text and not any([query.category_id, query.size, query.owner_id]):
        # A scanned or typed code goes straight to its item.
        exact = stock_service.find_code(db.session, query.text)
        if exact:
            return redirect(url_for("stock.show_item", code=exact))
    page = stock_service.search_items(
        db.session, query, page=int_arg(request.args.get("page")) or 1, per_page=PER_PAGE
    )
    today, policy = today_policy()
    return render_template(
        "stock/search.html",
        form=form,
        page=page,
        today=today,
        policy=policy,
        pricing=stock_service.pricing,
        **_labels(),
    )


@bp.get("/intake/donors")
def donors():
    """Who gave clothes, how often and how much: for thank-you notes and partners' reports."""
    text = request.args.get("q", "")
    return render_template(
        "stock/donors.html",
        q=text,
        donors=stock_service.donor_summaries(db.session, text),
        contacts=visibility.can_see_donor_contacts(current_viewer()),
    )


@bp.get("/stock/summary")
def stock_summary():
    rows = stock_service.stock_summary(db.session)
    return render_template(
        "stock/summary.html",
        rows=rows,
        total_count=sum(r.count for r in rows),
        total_value=sum(r.value_dong for r in rows),
    )


@bp.get("/stock/clearance")
def clearance():
    today, policy = today_policy()
    query = stock_service.clearance_query(today, policy)
    page = stock_service.search_items(
        db.session, query, page=int_arg(request.args.get("page")) or 1, per_page=PER_PAGE
    )
    return render_template(
        "stock/clearance.html",
        page=page,
        today=today,
        policy=policy,
        pricing=stock_service.pricing,
        **_labels(),
    )


@bp.get("/stock/mine")
def my_items():
    """Her consigned items, wherever they are now (on the rail, sold, returned, given)."""
    member = current_member()
    items = stock_service.consigned_by(db.session, member)
    today, policy = today_policy()
    return render_template(
        "stock/mine.html",
        items=items,
        today=today,
        policy=policy,
        pricing=stock_service.pricing,
        **_labels(),
    )


@bp.route("/stock/<code>", methods=["GET", "POST"])
def show_item(code: str):
    item = stock_service.get_item(db.session, code)
    price_form = PriceChangeForm(prefix="price")
    disposal_form = DisposalForm(prefix="out")
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "price":
            message = _("New price saved.")
            outcome = save_form(
                price_form,
                lambda: stock_service.change_price(
                    db.session,
                    item,
                    price_form.price_dong.data,
                    by=current_member(),
                    at=clock.now(),
                    reason=price_form.reason.data,
                    tz=clock.shop_tz(),
                ),
            )
        elif action == "dispose":
            message = _("Saved.")
            outcome = save_form(
                disposal_form,
                lambda: stock_service.take_out_of_stock(
                    db.session,
                    item,
                    by=current_member(),
                    role=current_role(),
                    at=clock.now(),
                    tz=clock.shop_tz(),
                    **disposal_form.values(),
                ),
            )
        else:
            abort(400)
        if outcome.done:
            flash(message, "success")
            return redirect(url_for("stock.show_item", code=code), code=303)
        item = stock_service.get_item(db.session, code)
        status = outcome.status
    today, policy = today_policy()
    return render_template(
        "stock/item.html",
        item=item,
        price_form=price_form,
        disposal_form=disposal_form,
        pricing=stock_service.pricing(item, today, policy),
        policy=policy,
        history=stock_service.price_history(db.session, item),
        disposals=stock_service.disposals_of(db.session, item),
        disposal_choices=_disposal_choices(item),
        tag_form=TagSheetForm(formdata=None),
        **_labels(),
    ), status


def _disposal_choices(item) -> list[str]:
    kinds = stock_service.disposal_kinds(item, by=current_member(), role=current_role())
    return [kind.value for kind in kinds]


@bp.post("/stock/<code>/photo")
@reads_first  # the picture is decoded with no write lock held
def upload_photo(code: str):
    """Add or replace the item's photo (taken with the phone's camera)."""
    item = stock_service.get_item(db.session, code)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        flash(_("Choose a picture first."), "error")
        return redirect(url_for("stock.show_item", code=code), code=303)
    data = upload.read()
    if save(lambda: stock_service.save_photo(db.session, item, data, photo_folder())).done:
        flash(_("Photo saved."), "success")
    return redirect(url_for("stock.show_item", code=code), code=303)


@bp.get("/stock/<code>/photo.jpg")
def item_photo(code: str):
    return photo_response(code)


@bp.get("/stock/<code>/tag.pdf")
def item_tag(code: str):
    item = stock_service.get_item(db.session, code)
    return _tag_pdf(
        [item], f"tem-{item.code}.pdf", url_for("stock.show_item", code=item.code), item.is_lot
    )


@bp.route("/stock/prices", methods=["GET", "POST"])
@coordinator_required
def price_table():
    """Suggested prices by category and condition, and the list of categories."""
    categories = stock_service.categories(db.session)
    category_form = CategoryForm(prefix="cat")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "category":
            if category_form.validate():
                stock_service.ensure_category(db.session, category_form.name.data)
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("stock.price_table"), code=303)
            status = 422
        else:
            errors = _save_suggestions(categories)
            if not errors:
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("stock.price_table"), code=303)
            db.session.rollback()
            status = 422
    return render_template(
        "stock/prices.html",
        categories=categories,
        suggestions=stock_service.price_suggestions(db.session),
        category_form=category_form,
        errors=errors,
        values=request.form if request.method == "POST" else {},
        **_labels(),
    ), status


def _save_suggestions(categories) -> dict[str, str]:
    from shop import messages
    from shop.domain.money import MoneyError, parse_dong

    errors = {}
    for category in categories:
        for condition in Condition:
            name = f"p-{category.id}-{condition.value}"
            text = request.form.get(name, "").strip()
            try:
                price = parse_dong(text) if text else None
                if price == 0:
                    raise MoneyError("empty")
            except MoneyError as error:
                errors[name] = str(messages.MONEY[error.code])
                continue
            stock_service.set_price_suggestion(db.session, category.id, condition, price)
    return errors


def _tag_pdf(items, filename: str, back: str, lots: bool):
    """The A4 sheet of tags the GET form asked for (how many of each lot, from which
    label); a choice that makes no sense comes back on a page, beside its field."""
    from shop.printing.web import tag_pdf_response

    form = TagSheetForm(request.args)
    if form.validate():
        try:
            printed, start = stock_service.tags_to_print(
                items, copies=form.copies.data, start=form.start.data
            )
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            return tag_pdf_response(printed, filename, start=start)
    return render_template(
        "stock/tag_sheet_form.html", form=form, back=back, lots=lots, action=request.path
    ), 422
