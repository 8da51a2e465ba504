from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from shop.domain.text import (
    ACCOUNT_NUMBER_LENGTH,
    ADDRESS_LENGTH,
    FOOTER_LENGTH,
    NAME_LENGTH,
    TOKEN_NAME_LENGTH,
)
from shop.forms import (
    ChoiceField,
    DayField,
    PhoneField,
    PinField,
    ShopForm,
    at_most,
    new_pin_check,
    required,
    select_choices,
)
from shop.models import Role
from shop.services import members as member_service

LOST_ITEM_PAYS_LABELS = {
    "owner_split": _l("Her split of its price"),
    "full_price": _l("Its whole price"),
    "nothing": _l("Nothing (she bears the loss)"),
}

ROLE_LABELS = {Role.MEMBER.value: _l("Member"), Role.COORDINATOR.value: _l("Coordinator")}
ROLE_CHOICES = select_choices(ROLE_LABELS)


def _role_field(label) -> ChoiceField:
    """A member's or a token's role: member (the default) or coordinator."""
    return ChoiceField(
        label,
        [required(_l("Choose member or coordinator."))],
        choices=ROLE_CHOICES,
        default=Role.MEMBER.value,
        invalid_message=_l("Choose member or coordinator."),
    )


def _shop_name_field() -> StringField:
    return StringField(
        _l("Shop name"), [required(_l("Enter the shop's name.")), at_most(NAME_LENGTH)]
    )


class MemberForm(ShopForm):
    name = StringField(
        _l("Name"),
        [required(_l("Enter her name.")), at_most(NAME_LENGTH)],
    )
    phone = PhoneField(_l("Phone number"))
    role = _role_field(_l("Role"))
    joined_on = DayField(_l("Joined on"), [required(_l("Enter the day she joined."))])
    left_on = DayField(_l("Left on (last day)"))

    def details(self) -> member_service.MemberDetails:
        """The member as :mod:`shop.services.members` takes her."""
        return member_service.MemberDetails(
            name=self.name.data or "",
            phone=self.phone.data,
            role=Role(self.role.data),
            joined_on=self.joined_on.data,
            left_on=self.left_on.data,
        )


class NewMemberForm(MemberForm):
    pin = PinField(
        _l("PIN (4 to 8 digits)"),
        [required(_l("Enter a PIN for her.")), new_pin_check],
        autocomplete="new-password",
    )


class ResetPinForm(ShopForm):
    pin = PinField(
        _l("New PIN (4 to 8 digits)"),
        [required(_l("Enter a new PIN.")), new_pin_check],
        autocomplete="new-password",
    )


class SetupForm(ShopForm):
    shop_name = _shop_name_field()
    shop_address = StringField(_l("Address"), [at_most(ADDRESS_LENGTH)])
    name = StringField(
        _l("Your name"),
        [required(_l("Enter your name.")), at_most(NAME_LENGTH)],
    )
    phone = PhoneField(_l("Your phone number"), [required(_l("Enter your phone number."))])
    pin = PinField(
        _l("Choose a PIN (4 to 8 digits)"),
        [required(_l("Enter a PIN.")), new_pin_check],
        autocomplete="new-password",
    )


class TokenForm(ShopForm):
    name = StringField(
        _l("What the token is for"),
        [
            required(_l("Give the token a name that says what it is for.")),
            at_most(TOKEN_NAME_LENGTH),
        ],
    )
    role = _role_field(_l("Permissions"))


class ShopSettingsForm(ShopForm):
    name = _shop_name_field()
    address = StringField(_l("Address"), [at_most(ADDRESS_LENGTH)])
    bank_bin = StringField(
        _l("Bank code (BIN, 6 digits)"),
        [Length(max=6, message=_l("The bank code has 6 digits."))],
        description=_l("For example 970415 for VietinBank, 970436 for Vietcombank."),
        render_kw={"inputmode": "numeric"},
    )
    bank_account = StringField(
        _l("Account number"),
        [at_most(ACCOUNT_NUMBER_LENGTH)],
        render_kw={"inputmode": "numeric"},
    )
    bank_account_name = StringField(_l("Account name"), [at_most(NAME_LENGTH)])
    receipt_footer = StringField(
        _l("Words at the foot of the receipt"),
        [at_most(FOOTER_LENGTH)],
        description=_l("For example the exchange policy and a thank-you."),
    )
    open_books = BooleanField(
        _l("Open books: members see every member's part"),
        description=_l(
            "Off: a member sees the group's totals and her own part (what she earned, her "
            "hours, what she was paid and what is carried forward); only coordinators see "
            "each member's. On: every member sees everyone's. Donors' phone numbers stay "
            "for coordinators either way."
        ),
    )
    members_record_expenses = BooleanField(
        _l("Members may record expenses"),
        description=_l("Off: only coordinators record expenses. On: every member may."),
    )
    lost_item_pays = ChoiceField(
        _l("A member's item lost at a stock count: the group pays her"),
        choices=select_choices(LOST_ITEM_PAYS_LABELS),
        default="owner_split",
        description=_l(
            "Paid as an expense of the month the count is closed in, at the price the "
            "counter would charge that day."
        ),
    )


def member_choices(members) -> list[tuple[int, str]]:
    """``(number, "number · name")`` for a select of members."""
    return [(m.number, f"{m.number} · {m.name}") for m in members]
