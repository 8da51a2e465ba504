from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from shop.forms import PhoneField, PinField, ShopForm, new_pin_check, required


class SignInForm(ShopForm):
    phone = PhoneField(_l("Phone number"), [required(_l("Enter your phone number."))])
    pin = PinField(_l("PIN"), [required(_l("Enter your PIN."))])
    next = HiddenField()


class SwitchForm(ShopForm):
    pin = PinField(_l("PIN"), [required(_l("Enter your PIN."))], autofocus=True)


class ChangePinForm(ShopForm):
    current_pin = PinField(_l("Current PIN"), [required(_l("Enter your current PIN."))])
    new_pin = PinField(
        _l("New PIN"),
        [required(_l("Enter a new PIN.")), new_pin_check],
        autocomplete="new-password",
    )
    confirm_pin = PinField(
        _l("New PIN again"), [required(_l("Type the new PIN again."))], autocomplete="new-password"
    )

    def validate_confirm_pin(self, field):
        if field.data != self.new_pin.data:
            from wtforms.validators import ValidationError

            raise ValidationError(str(_l("The two new PINs are not the same.")))
