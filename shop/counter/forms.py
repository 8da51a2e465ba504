from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

from shop.forms import ChoiceField, CountField, MoneyField, ShopForm, required, select_choices
from shop.models import PaymentMethod

METHOD_LABELS = {
    "cash": _l("Cash"),
    "transfer": _l("Transfer"),
    "both": _l("Both"),
}
REFUND_METHOD_LABELS = {
    PaymentMethod.CASH.value: _l("Cash"),
    PaymentMethod.TRANSFER.value: _l("Transfer"),
}


class OpenShiftForm(ShopForm):
    opening_float_dong = MoneyField(
        _l("Opening float"), [required(_l("Count the cash in the drawer and enter it."))]
    )


class CloseShiftForm(ShopForm):
    counted_cash_dong = MoneyField(
        _l("Counted cash"), [required(_l("Count the cash in the drawer and enter it."))]
    )


class ScanForm(ShopForm):
    code = StringField(
        _l("Item code"),
        [required(_l("Scan or type a code.")), Length(max=40, message=_l("At most 40 letters."))],
    )
    quantity = CountField(_l("How many"))


class LineForm(ShopForm):
    quantity = CountField(_l("How many"))
    discount_dong = MoneyField(_l("Discount"))
    discount_reason = StringField(
        _l("Reason for the discount"), [Length(max=200, message=_l("At most 200 letters."))]
    )


class SaleDiscountForm(ShopForm):
    sale_discount_dong = MoneyField(_l("Discount on the whole sale"))
    discount_reason = StringField(
        _l("Reason for the discount"), [Length(max=200, message=_l("At most 200 letters."))]
    )


class PayForm(ShopForm):
    client_id = HiddenField()
    method = ChoiceField(
        _l("Payment"),
        [required(_l("Choose cash, transfer or both."))],
        choices=select_choices(METHOD_LABELS),
        default="cash",
    )
    tendered_dong = MoneyField(_l("Cash handed over"))
    transfer_dong = MoneyField(_l("Part paid by transfer"))


class VoidForm(ShopForm):
    reason = StringField(
        _l("Why is the sale voided?"),
        [
            required(_l("Say why the sale is voided.")),
            Length(max=300, message=_l("At most 300 letters.")),
        ],
    )


class RefundForm(ShopForm):
    line = CountField(_l("Line"))
    amount_dong = MoneyField(_l("Amount to give back"), [required(_l("Enter the amount."))])
    quantity = CountField(_l("How many pieces come back"))
    method = ChoiceField(
        _l("Given back as"),
        [required(_l("Choose cash or transfer."))],
        choices=select_choices(REFUND_METHOD_LABELS),
        default="cash",
    )
    reason = StringField(
        _l("Why"),
        [
            required(_l("Say why the money is given back.")),
            Length(max=300, message=_l("At most 300 letters.")),
        ],
    )
    restock = BooleanField(_l("The item goes back on the rail"), default=True)
