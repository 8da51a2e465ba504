"""The API for intake and stock: the same forms and services as the pages."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import json_body, list_response, ref_response, validated
from shop.api.spec import COMPONENTS, error_response
from shop.auth.access import current_member, current_role, current_viewer
from shop.database import reads_first
from shop.domain.text import NAME_LENGTH, PHONE_LENGTH
from shop.extensions import db
from shop.forms import ChoiceField, MoneyField, ShopForm, at_most, required, select_choices
from shop.models import Condition, ItemStatus
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.services import visibility
from shop.services.errors import InvalidInput
from shop.stock.forms import (
    CONDITION_LABELS,
    CategoryForm,
    DisposalForm,
    IntakeForm,
    ItemForm,
    PriceChangeForm,
    prepare_intake_form,
    prepare_item_form,
)
from shop.views import int_arg, photo_folder, photo_response, today_policy

COMPONENTS["Item"] = {
    "type": "object",
    "required": ["code", "category", "price_dong", "charged_dong", "status", "received_on"],
    "properties": {
        "code": {"type": "string"},
        "is_lot": {"type": "boolean"},
        "category": {"type": "string"},
        "description": {"type": "string"},
        "size": {"type": "string", "nullable": True},
        "condition": {
            "type": "string",
            "nullable": True,
            "enum": [c.value for c in Condition] + [None],
        },
        "price_dong": {"type": "integer", "description": "the price on the tag"},
        "charged_dong": {"type": "integer", "description": "today's price after markdown"},
        "percent_off": {"type": "integer"},
        "days_in_stock": {"type": "integer"},
        "clearance": {"type": "boolean"},
        "status": {"type": "string", "enum": [s.value for s in ItemStatus]},
        "quantity_received": {"type": "integer"},
        "quantity_on_hand": {"type": "integer", "nullable": True},
        "owner": {
            "type": "integer",
            "nullable": True,
            "description": "number of the member who consigned it, while it is hers",
        },
        "consignor_bp": {"type": "integer", "nullable": True},
        "received_on": {"type": "string", "format": "date"},
        "intake": {"type": "string"},
        "photo": {"type": "boolean", "description": "whether it has a photo"},
    },
}
COMPONENTS["Intake"] = {
    "type": "object",
    "required": ["ref", "kind", "received_at", "by"],
    "properties": {
        "ref": {"type": "string"},
        "kind": {"type": "string", "enum": ["donation", "consignment", "purchase"]},
        "received_at": {"type": "string", "format": "date-time"},
        "by": {"type": "integer"},
        "donor": {"type": "string", "nullable": True},
        "owner": {"type": "integer", "nullable": True},
        "supplier": {"type": "string", "nullable": True},
        "note": {"type": "string"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
    },
}
COMPONENTS["Category"] = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
COMPONENTS["Donor"] = {
    "type": "object",
    "required": ["ref", "name"],
    "properties": {
        "ref": {"type": "string"},
        "name": {"type": "string"},
        "phone": {
            "type": "string",
            "nullable": True,
            "description": "for coordinators only: null for a member",
        },
        "organisation": {"type": "string", "nullable": True},
    },
}
COMPONENTS["PriceSuggestion"] = {
    "type": "object",
    "required": ["category", "condition", "price_dong"],
    "properties": {
        "category": {"type": "integer"},
        "condition": {"type": "string", "enum": [c.value for c in Condition]},
        "price_dong": {"type": "integer", "minimum": 1},
    },
}
PAGE_QUERY = (
    ("page", {"type": "integer", "minimum": 1}),
    ("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
)


def item_json(item, today, policy) -> dict:
    pricing = stock_service.pricing(item, today, policy)
    return {
        "code": item.code,
        "is_lot": item.is_lot,
        "category": item.category.name,
        "description": item.description,
        "size": item.size,
        "condition": item.condition.value if item.condition else None,
        "price_dong": item.price_dong,
        "charged_dong": pricing.charged_dong,
        "percent_off": pricing.percent_off,
        "days_in_stock": pricing.days,
        "clearance": pricing.clearance,
        "status": item.status.value,
        "quantity_received": item.quantity_received,
        "quantity_on_hand": item.quantity_on_hand,
        "owner": item.owner.number if item.owner else None,
        "consignor_bp": item.consignor_bp,
        "received_on": item.received_on.isoformat(),
        "intake": item.intake.ref,
        "photo": item.photo is not None,
    }


def intake_json(intake, *, with_items: bool = False) -> dict:
    data = {
        "ref": intake.ref,
        "kind": intake.kind.value,
        "received_at": intake.received_at.isoformat(),
        "by": intake.by.number,
        "donor": intake.donor.ref if intake.donor else None,
        "owner": intake.owner.number if intake.owner else None,
        "supplier": intake.supplier,
        "note": intake.note,
    }
    if with_items:
        today, policy = today_policy()
        data["items"] = [item_json(item, today, policy) for item in intake.items]
    return data


def page_json(page, today, policy) -> dict:
    return {
        "items": [item_json(item, today, policy) for item in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    }


def _page_args() -> tuple[int, int]:
    page = int_arg(request.args.get("page")) or 1
    per_page = min(200, int_arg(request.args.get("per_page")) or 30)
    return max(1, page), per_page


PAGE_RESPONSE = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["items", "total", "page", "per_page"],
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                },
            }
        }
    }
}


# ---------------------------------------------------------------- categories, prices, donors


@route(
    "/categories",
    "GET",
    "The shop's categories",
    tag="stock",
    responses={"200": {"description": "Categories", **list_response("Category")}},
)
def list_categories():
    return {"items": [{"id": c.id, "name": c.name} for c in stock_service.categories(db.session)]}


@route(
    "/categories",
    "POST",
    "Add a category",
    form=CategoryForm,
    role="coordinator",
    tag="stock",
    responses={"201": {"description": "Added", **ref_response("Category")}},
)
def create_category():
    require_coordinator()
    form = validated(CategoryForm, json_body())
    category = stock_service.ensure_category(db.session, form.name.data)
    return {"id": category.id, "name": category.name}, 201


class PriceSuggestionForm(ShopForm):
    category = ChoiceField(
        _l("Category"),
        [required(_l("Choose a category."))],
        choices=[],
        invalid_message=_l("Choose a category."),
    )
    condition = ChoiceField(
        _l("Condition"),
        [required(_l("Choose one of the options."))],
        choices=select_choices(CONDITION_LABELS),
    )
    price_dong = MoneyField(_l("Price"), description=_l("empty or null removes the suggestion"))


@route(
    "/price-suggestions",
    "GET",
    "Suggested prices by category and condition",
    tag="stock",
    responses={"200": {"description": "Suggestions", **list_response("PriceSuggestion")}},
)
def list_price_suggestions():
    return {
        "items": [
            {"category": category, "condition": condition, "price_dong": price}
            for (category, condition), price in sorted(
                stock_service.price_suggestions(db.session).items()
            )
        ]
    }


@route(
    "/price-suggestions",
    "PUT",
    "Set or remove one suggested price",
    form=PriceSuggestionForm,
    role="coordinator",
    tag="stock",
    responses={"204": {"description": "Saved"}},
)
def set_price_suggestion():
    require_coordinator()

    def prepare(form):
        form.category.choices = select_choices(
            [(c.id, c.name) for c in stock_service.categories(db.session)]
        )

    form = validated(PriceSuggestionForm, json_body(), prepare=prepare)
    if form.price_dong.data == 0:
        raise InvalidInput("price.not_positive", "price_dong")
    stock_service.set_price_suggestion(
        db.session, int(form.category.data), Condition(form.condition.data), form.price_dong.data
    )
    return "", 204


class DonorForm(ShopForm):
    name = StringField(
        _l("Donor"),
        [
            required(_l("Enter the donor's name.")),
            at_most(NAME_LENGTH),
        ],
    )
    phone = StringField(_l("Donor's phone"), [at_most(PHONE_LENGTH)])
    organisation = StringField(_l("Organisation"), [at_most(NAME_LENGTH)])


def donor_json(donor) -> dict:
    return {
        "ref": donor.ref,
        "name": donor.name,
        "phone": visibility.donor_phone(current_viewer(), donor),  # for coordinators
        "organisation": donor.organisation,
    }


@route(
    "/donors",
    "GET",
    "Donors, by name (q filters by name, organisation or phone)",
    tag="stock",
    query=(("q", {"type": "string"}),),
    description="Donors' phone numbers are for coordinators: a member gets `phone` null and "
    "`q` does not search phone numbers for her, whatever the shop's settings.",
    responses={"200": {"description": "Donors", **list_response("Donor")}},
)
def list_donors():
    found = stock_service.find_donors(
        db.session,
        request.args.get("q", ""),
        500,
        by_phone=visibility.can_see_donor_contacts(current_viewer()),
    )
    return {"items": [donor_json(d) for d in found]}


@route(
    "/donors",
    "POST",
    "Add a donor",
    form=DonorForm,
    tag="stock",
    responses={"201": {"description": "Added", **ref_response("Donor")}},
)
def create_donor():
    form = validated(DonorForm, json_body())
    donor = stock_service.create_donor(
        db.session,
        stock_service.DonorDetails(form.name.data, form.phone.data, form.organisation.data),
        country_code=current_app.config["SHOP_COUNTRY_CODE"],
        fields="",
    )
    return donor_json(donor), 201


# ---------------------------------------------------------------- intake


@route(
    "/intakes",
    "GET",
    "The latest drop-offs",
    tag="stock",
    responses={"200": {"description": "Intakes", **list_response("Intake")}},
)
def list_intakes():
    return {
        "items": [
            intake_json(intake) for intake, _count in stock_service.recent_intakes(db.session, 200)
        ]
    }


@route(
    "/intakes",
    "POST",
    "Record a drop-off (donation, consignment or bale)",
    form=IntakeForm,
    tag="stock",
    responses={"201": {"description": "Recorded", **ref_response("Intake")}},
)
def create_intake():
    form = validated(IntakeForm, json_body(), prepare=prepare_intake_form)
    intake = stock_service.receive_drop_off(
        db.session,
        form.details(),
        by=current_member(),
        role=current_role(),
        now=clock.now(),
        tz=clock.shop_tz(),
        country_code=current_app.config["SHOP_COUNTRY_CODE"],
    )
    return intake_json(intake, with_items=True), 201


@route(
    "/intakes/{ref}",
    "GET",
    "One drop-off with its items",
    tag="stock",
    responses={"200": {"description": "The intake", **ref_response("Intake")}},
)
def get_intake(ref: str):
    return intake_json(stock_service.get_intake(db.session, ref), with_items=True)


@route(
    "/intakes/{ref}/items",
    "POST",
    "Add an item, or a lot (is_lot, quantity), to a drop-off",
    form=ItemForm,
    tag="stock",
    responses={"201": {"description": "Added", **ref_response("Item")}},
)
def add_intake_item(ref: str):
    intake = stock_service.get_intake(db.session, ref)
    form = validated(ItemForm, json_body(), prepare=prepare_item_form)
    item = stock_service.add_to_intake(db.session, intake, form.details())
    today, policy = today_policy()
    return item_json(item, today, policy), 201


# ---------------------------------------------------------------- items


@route(
    "/items",
    "GET",
    "Search the stock (in stock unless status says otherwise)",
    tag="stock",
    query=(
        ("q", {"type": "string"}),
        ("category", {"type": "integer"}),
        ("size", {"type": "string"}),
        ("status", {"type": "string", "enum": [s.value for s in ItemStatus] + ["any"]}),
        ("owner", {"type": "integer"}),
        *PAGE_QUERY,
    ),
    responses={"200": {"description": "A page of items", **PAGE_RESPONSE}},
)
def search_items():
    status_text = request.args.get("status", ItemStatus.IN_STOCK.value)
    if status_text != "any" and status_text not in {s.value for s in ItemStatus}:
        raise InvalidInput("choice.invalid", "status")
    owner_id = None
    if request.args.get("owner"):
        number = int_arg(request.args.get("owner"))
        if number is None:
            raise InvalidInput("choice.invalid", "owner")
        owner_id = member_service.get_member(db.session, number).id
    if request.args.get("category") and int_arg(request.args.get("category")) is None:
        raise InvalidInput("item.category_missing", "category")
    query = stock_service.StockQuery(
        text=request.args.get("q", ""),
        category_id=int_arg(request.args.get("category")),
        size=request.args.get("size") or None,
        status=None if status_text == "any" else ItemStatus(status_text),
        owner_id=owner_id,
    )
    page, per_page = _page_args()
    today, policy = today_policy()
    return page_json(
        stock_service.search_items(db.session, query, page=page, per_page=per_page), today, policy
    )


@route(
    "/items/{code}",
    "GET",
    "One item or lot, with today's price",
    tag="stock",
    responses={"200": {"description": "The item", **ref_response("Item")}},
)
def get_item(code: str):
    today, policy = today_policy()
    return item_json(stock_service.get_item(db.session, code), today, policy)


@route(
    "/items/{code}/price",
    "POST",
    "Change an item's price (the reason is kept)",
    form=PriceChangeForm,
    tag="stock",
    responses={"200": {"description": "The item with its new price", **ref_response("Item")}},
)
def change_item_price(code: str):
    item = stock_service.get_item(db.session, code)
    form = validated(PriceChangeForm, json_body())
    stock_service.change_price(
        db.session,
        item,
        form.price_dong.data,
        by=current_member(),
        at=clock.now(),
        reason=form.reason.data,
        tz=clock.shop_tz(),
    )
    today, policy = today_policy()
    return item_json(item, today, policy)


@route(
    "/items/{code}/disposals",
    "POST",
    "Take an item out of stock, or give a consigned item to the group",
    form=DisposalForm,
    tag="stock",
    responses={"200": {"description": "The item afterwards", **ref_response("Item")}},
)
def dispose_item(code: str):
    item = stock_service.get_item(db.session, code)
    form = validated(DisposalForm, json_body())
    stock_service.take_out_of_stock(
        db.session,
        item,
        by=current_member(),
        role=current_role(),
        at=clock.now(),
        tz=clock.shop_tz(),
        **form.values(),
    )
    today, policy = today_policy()
    return item_json(stock_service.get_item(db.session, code), today, policy)


@route(
    "/stock/summary",
    "GET",
    "Pieces in stock and their value by category",
    tag="stock",
    responses={
        "200": {
            "description": "Counts",
            **list_response(
                {
                    "type": "object",
                    "properties": {
                        "category": {"type": "string"},
                        "count": {"type": "integer"},
                        "value_dong": {"type": "integer"},
                    },
                }
            ),
        }
    },
)
def stock_summary():
    return {
        "items": [
            {"category": r.category, "count": r.count, "value_dong": r.value_dong}
            for r in stock_service.stock_summary(db.session)
        ]
    }


@route(
    "/stock/clearance",
    "GET",
    "Items due for clearance",
    tag="stock",
    query=PAGE_QUERY,
    responses={"200": {"description": "A page of items", **PAGE_RESPONSE}},
)
def clearance():
    today, policy = today_policy()
    page, per_page = _page_args()
    return page_json(
        stock_service.search_items(
            db.session, stock_service.clearance_query(today, policy), page=page, per_page=per_page
        ),
        today,
        policy,
    )


@route(
    "/me/items",
    "GET",
    "My consigned items, wherever they are now",
    tag="stock",
    responses={"200": {"description": "Her items", **list_response("Item")}},
)
def my_items():
    today, policy = today_policy()
    return {
        "items": [
            item_json(item, today, policy)
            for item in stock_service.consigned_by(db.session, current_member())
        ]
    }


PHOTO_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["photo"],
                "properties": {"photo": {"type": "string", "format": "binary"}},
            }
        }
    },
}


@route(
    "/items/{code}/photo",
    "PUT",
    "Add or replace an item's photo (any picture; kept as JPEG)",
    tag="stock",
    body=PHOTO_BODY,
    responses={
        "200": {"description": "The item", **ref_response("Item")},
        "503": error_response("Another photo is being saved: try again in a moment"),
    },
)
@reads_first  # the picture is decoded with no write lock held
def put_item_photo(code: str):
    item = stock_service.get_item(db.session, code)
    upload = request.files.get("photo")
    if upload is None:
        raise InvalidInput("photo.missing", "photo")
    stock_service.save_photo(db.session, item, upload.read(), photo_folder())
    today, policy = today_policy()
    return item_json(item, today, policy)


@route(
    "/items/{code}/photo",
    "GET",
    "An item's photo",
    tag="stock",
    responses={
        "200": {
            "description": "The photo",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def get_item_photo(code: str):
    return photo_response(code)
