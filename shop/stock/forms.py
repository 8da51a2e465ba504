from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from shop import clock
from shop.domain.text import (
    CATEGORY_LENGTH,
    DESCRIPTION_LENGTH,
    INTAKE_NOTE_LENGTH,
    NAME_LENGTH,
    NOTE_LENGTH,
    PHONE_LENGTH,
    SHORT_REASON_LENGTH,
    SIZE_LENGTH,
)
from shop.extensions import db
from shop.forms import (
    ChoiceField,
    CountField,
    DayField,
    MoneyField,
    ShopForm,
    at_most,
    required,
    select_choices,
)
from shop.members.forms import member_choices
from shop.models import Condition, DisposalKind, IntakeKind
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.services.stock import DropOff, ItemDetails, LotDetails

KIND_LABELS = {
    IntakeKind.DONATION.value: _l("Donated"),
    IntakeKind.CONSIGNMENT.value: _l("Consigned"),
    IntakeKind.PURCHASE.value: _l("Bought as a bale"),
}
CONDITION_LABELS = {
    Condition.NEW.value: _l("New"),
    Condition.LIKE_NEW.value: _l("Like new"),
    Condition.GOOD.value: _l("Good"),
    Condition.FAIR.value: _l("Fair"),
}
DISPOSAL_LABELS = {
    DisposalKind.RETURNED_TO_OWNER.value: _l("Returned to the owner"),
    DisposalKind.GIVEN_TO_GROUP.value: _l("Given to the group"),
    DisposalKind.DONATED_ONWARD.value: _l("Donated onward"),
    DisposalKind.WRITTEN_OFF.value: _l("Written off"),
}
#: Every kind as the item's page shows it; a loss is only recorded by a stock count's close.
DISPOSAL_SHOWN = {**DISPOSAL_LABELS, DisposalKind.LOST.value: _l("Lost at a stock count")}
STATUS_LABELS = {
    "in_stock": _l("In stock"),
    "sold": _l("Sold"),
    "returned_to_owner": _l("Returned to the owner"),
    "donated_onward": _l("Donated onward"),
    "written_off": _l("Written off"),
    "lost": _l("Lost"),
}
SIZES = ["XS", "S", "M", "L", "XL", "XXL", "Free size"]


class IntakeForm(ShopForm):
    kind = ChoiceField(
        _l("What came in"),
        [required(_l("Choose donated, consigned or bought."))],
        choices=select_choices(KIND_LABELS),
        default=IntakeKind.DONATION.value,
        invalid_message=_l("Choose donated, consigned or bought."),
    )
    received_on = DayField(_l("Day it came in"))
    donor_name = StringField(
        _l("Donor"),
        [at_most(NAME_LENGTH)],
        description=_l("A person or an office; leave empty if unknown."),
        render_kw={"list": "donors", "autocomplete": "off"},
    )
    donor_phone = StringField(
        _l("Donor's phone"),
        [at_most(PHONE_LENGTH)],
        render_kw={"inputmode": "tel"},
    )
    donor_organisation = StringField(_l("Organisation"), [at_most(NAME_LENGTH)])
    owner = ChoiceField(
        _l("Whose items (consignment)"),
        choices=[],
        invalid_message=_l("Choose the member whose items these are."),
    )
    supplier = StringField(_l("Bought from"), [at_most(NAME_LENGTH)])
    cost = MoneyField(_l("Cost of the bale"))
    note = StringField(_l("Note"), [at_most(INTAKE_NOTE_LENGTH)])

    def details(self) -> DropOff:
        """The drop-off as :func:`shop.services.stock.receive_drop_off` takes it."""
        return DropOff(
            kind=IntakeKind(self.kind.data),
            received_on=self.received_on.data,
            donor_name=self.donor_name.data or "",
            donor_phone=self.donor_phone.data,
            donor_organisation=self.donor_organisation.data,
            owner_number=int(self.owner.data) if self.owner.data else None,
            supplier=self.supplier.data,
            cost_dong=self.cost.data,
            note=self.note.data or "",
        )


class ItemForm(ShopForm):
    category = ChoiceField(
        _l("Category"),
        [required(_l("Choose a category."))],
        choices=[],
        invalid_message=_l("Choose a category."),
    )
    description = StringField(_l("Description"), [at_most(DESCRIPTION_LENGTH)])
    size = StringField(
        _l("Size"),
        [at_most(SIZE_LENGTH)],
        render_kw={"list": "sizes", "autocomplete": "off"},
    )
    condition = ChoiceField(
        _l("Condition"),
        [required(_l("Choose one of the options."))],
        choices=select_choices(CONDITION_LABELS),
        default=Condition.GOOD.value,
    )
    price_dong = MoneyField(_l("Price"), [required(_l("Enter the price."))])
    is_lot = BooleanField(_l("Many alike (a lot with one code)"))
    quantity = CountField(_l("How many"))

    def validate_quantity(self, field):
        if not self.is_lot.data:
            return
        if field.data is None:
            raise ValidationError(str(_l("Enter how many there are.")))
        if not 1 <= field.data <= 100_000:
            raise ValidationError(str(_l("The quantity must be a whole number from 1 to 100000.")))

    def details(self) -> ItemDetails | LotDetails:
        """The item, or the lot, as :func:`shop.services.stock.add_to_intake` takes it (the
        category by its name, from the choices :func:`prepare_item_form` filled in)."""
        category = next(c.label for c in self.category.choices if c.value == self.category.data)
        if self.is_lot.data:
            return LotDetails(
                category=category,
                price_dong=self.price_dong.data,
                quantity=self.quantity.data,
                description=self.description.data or "",
            )
        return ItemDetails(
            category=category,
            price_dong=self.price_dong.data,
            description=self.description.data or "",
            size=self.size.data,
            condition=Condition(self.condition.data or Condition.GOOD.value),
        )


class PriceChangeForm(ShopForm):
    price_dong = MoneyField(_l("New price"), [required(_l("Enter the price."))])
    reason = StringField(
        _l("Why"),
        [
            required(_l("Say why the price changes.")),
            at_most(SHORT_REASON_LENGTH),
        ],
    )


class DisposalForm(ShopForm):
    kind = ChoiceField(
        _l("What happens to it"),
        [required(_l("Choose one of the options."))],
        choices=select_choices(DISPOSAL_LABELS),
        invalid_message=_l("Choose one of the options."),
    )
    note = StringField(_l("Note"), [at_most(NOTE_LENGTH)])
    owner_consents = BooleanField(_l("The owner agrees to give it to the group"))

    def values(self) -> dict:
        """What to do with the item, as :func:`shop.services.stock.take_out_of_stock` takes
        it."""
        return {
            "kind": DisposalKind(self.kind.data),
            "note": self.note.data or "",
            "owner_consents": bool(self.owner_consents.data),
        }


def prepare_intake_form(form: IntakeForm) -> IntakeForm:
    """Fill in the members a consignment can belong to (the page's form and the API's)."""
    members = member_service.active_members(db.session, clock.today())
    form.owner.choices = select_choices([("", _("— choose —")), *member_choices(members)])
    return form


def prepare_item_form(form: ItemForm, categories=None) -> ItemForm:
    """Fill in the shop's categories (the page's form and the API's)."""
    categories = categories if categories is not None else stock_service.categories(db.session)
    form.category.choices = select_choices([(c.id, c.name) for c in categories])
    return form


class CategoryForm(ShopForm):
    name = StringField(
        _l("New category"),
        [
            required(_l("Enter the category's name.")),
            at_most(CATEGORY_LENGTH),
        ],
    )


class SearchForm(ShopForm):
    """The stock search (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Code or words"))
    category = ChoiceField(_l("Category"), choices=[])
    size = StringField(_l("Size"))
    status = ChoiceField(_l("Status"), choices=[])
    owner = ChoiceField(_l("Owner"), choices=[])


class TagSheetForm(ShopForm):
    """How to print an A4 sheet of tags (a GET form: nothing is written)."""

    class Meta:
        csrf = False

    copies = CountField(
        _l("Tags for each lot"),
        message=_l("Write a whole number, for example 10."),
        default=1,
    )
    start = CountField(
        _l("Start at label"),
        message=_l("Write a whole number from 1 to 24."),
        default=1,
    )


class CategoryChecks(SelectMultipleField):
    """Categories ticked as checkboxes: their ids (the service refuses an id it has not)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError:
            self.data = []
            raise ValueError(str(_l("Choose categories from the list."))) from None


class OpenCountForm(ShopForm):
    """A coordinator opens a stock count: the whole rail, or the categories ticked."""

    categories = CategoryChecks(
        _l("Categories to count"), choices=[], description=_l("Tick none to count the whole rail.")
    )
    note = StringField(
        _l("Note"),
        [at_most(NOTE_LENGTH)],
        description=_l("For example: the end of the month, or the back shelf only."),
    )


#: A difference between the books and the rail, as the result page heads its group.
DIFFERENCE_LABELS = {
    "missing": _l("Not found on the rail"),
    "found_off_books": _l("Found, though the books say it left"),
    "unknown_code": _l("Tags of unknown codes"),
    "lot_pieces": _l("Lots with more or fewer pieces"),
}
#: What a coordinator may decide of a difference, as its button says.
DECISION_LABELS = {
    "lost": _l("Mark lost"),
    "keep": _l("Leave as the books say"),
    "back_on_rail": _l("Put back on the rail"),
    "quantity": _l("Set the pieces counted"),
    "noted": _l("Noted"),
}
#: What was decided of a difference, as a closed count shows it.
DECIDED_LABELS = {
    "lost": _l("Marked lost"),
    "keep": _l("Left as the books say"),
    "back_on_rail": _l("Put back on the rail"),
    "quantity": _l("Pieces set to the count"),
    "noted": _l("Noted"),
}
