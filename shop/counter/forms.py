from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

from shop.domain.text import (
    CODE_LENGTH,
    CODE_LIST_LENGTH,
    NOTE_LENGTH,
    REASON_LENGTH,
    SHORT_REASON_LENGTH,
)
from shop.forms import (
    ChoiceField,
    ClientIdField,
    CountField,
    DayField,
    LocalTimeField,
    MoneyField,
    ShopForm,
    at_most,
    required,
    select_choices,
)
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


class CountNoteForm(ShopForm):
    """After the blind count: what she says about a difference from the expected cash."""

    note = TextAreaField(
        _l("What happened?"),
        [
            required(_l("Say what happened, in a few words.")),
            at_most(NOTE_LENGTH),
        ],
        description=_l("For example: gave 10.000 too much change to a customer."),
    )


#: What a quantity that is not a whole number of at least 1 is told ("0", "-3", "2,5").
AT_LEAST_ONE = _l("The quantity must be at least 1.")


class CloseShiftForForm(ShopForm):
    """A coordinator closes a shift its member forgot to close."""

    ended_at = LocalTimeField(
        _l("When the shift ended"), [required(_l("Say when the shift ended."))]
    )
    counted_cash_dong = MoneyField(_l("Cash counted in her drawer"))
    reason = StringField(
        _l("Why you are closing it"),
        [
            required(_l("Say why you are closing her shift.")),
            at_most(REASON_LENGTH),
        ],
    )


class ScanForm(ShopForm):
    code = StringField(
        _l("Item code"),
        [required(_l("Scan or type a code.")), at_most(CODE_LENGTH)],
    )
    quantity = CountField(_l("How many"), message=AT_LEAST_ONE)


class LineForm(ShopForm):
    quantity = CountField(_l("How many"), message=AT_LEAST_ONE)
    discount_dong = MoneyField(_l("Discount"))
    discount_reason = StringField(_l("Reason for the discount"), [at_most(SHORT_REASON_LENGTH)])


class SaleDiscountForm(ShopForm):
    sale_discount_dong = MoneyField(_l("Discount on the whole sale"))
    discount_reason = StringField(_l("Reason for the discount"), [at_most(SHORT_REASON_LENGTH)])


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
    client_id = ClientIdField(id="void-client_id")
    # Its own id: the refund form on the same page has a "reason" too.
    reason = StringField(
        _l("Why is the sale voided?"),
        [
            required(_l("Say why the sale is voided.")),
            at_most(REASON_LENGTH),
        ],
        id="void-reason",
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
            at_most(REASON_LENGTH),
        ],
    )
    restock = BooleanField(_l("The item goes back on the rail"), default=True)
    client_id = ClientIdField()

    def values(self) -> dict:
        """What the refund asks for, as :func:`shop.services.counter.refund` takes it (the
        client id aside: a page sends it in the form, the API in the body or a header)."""
        return {
            "position": self.line.data or 0,
            "amount_dong": self.amount_dong.data,
            "quantity": self.quantity.data,
            "method": PaymentMethod(self.method.data),
            "reason": self.reason.data,
            "restock": bool(self.restock.data),
        }


class NotebookSaleForm(ShopForm):
    """A sale written in the paper notebook (a power cut), entered afterwards."""

    day = DayField(_l("Day of the sale"), [required(_l("Enter the day of the sale."))])
    time = StringField(
        _l("Time (hh:mm)"),
        [required(_l("Enter the time of the sale."))],
        render_kw={"type": "time"},
    )
    cashier = ChoiceField(_l("Who sold"), [required(_l("Choose who sold."))], choices=[])
    codes = TextAreaField(
        _l("Item codes, one per line"),
        [
            required(_l("Scan or type a code.")),
            at_most(CODE_LIST_LENGTH),
        ],
        description=_l("For a lot, the number of pieces after the code: SOCKS 3."),
    )
    method = ChoiceField(
        _l("Paid by"),
        [required(_l("Choose cash or transfer."))],
        choices=select_choices(REFUND_METHOD_LABELS),
        default="cash",
    )
    sale_discount_dong = MoneyField(_l("Discount on the whole sale"))
    discount_reason = StringField(_l("Reason for the discount"), [at_most(SHORT_REASON_LENGTH)])
    client_id = HiddenField()

    def validate_time(self, field):
        from datetime import time

        try:
            text = (field.data or "").strip()
            if not text.isascii():  # int() would read "١٤:٣٠" too: digits are 0-9 only
                raise ValueError(text)
            hours, minutes = (int(part) for part in text.split(":")[:2])
            self.moment = time(hours, minutes)
        except (ValueError, TypeError):
            raise ValidationError(str(_l("Write the time as hh:mm, for example 14:30."))) from None


class ResolveReviewForm(ShopForm):
    """A coordinator marks a sale to look at as seen, saying what was done."""

    resolution = StringField(
        _l("What was done"),
        [
            required(_l("Say what was done about it.")),
            at_most(REASON_LENGTH),
        ],
    )


#: A coordinator's two answers on a bank transaction to look at.
BANK_DECISIONS = {
    "sale": _l("This money pays a sale"),
    "other": _l("This is not the money of a sale"),
}


class BankDecisionForm(ShopForm):
    """A coordinator decides a bank transaction on the review list: the sale it pays (by
    its number), or what the money is when it pays none."""

    pays = ChoiceField(
        _l("This money"),
        [required(_l("Choose what this money is."))],
        choices=select_choices(BANK_DECISIONS),
        default="sale",
    )
    sale_number = CountField(
        _l("Sale number"), message=_l("Write the sale's number in digits, for example 125.")
    )
    note = StringField(
        _l("Note"),
        [at_most(NOTE_LENGTH)],
        description=_l("For example: a deposit for a dress kept aside; call the customer back."),
    )

    def validate_sale_number(self, field):
        if self.pays.data == "sale" and field.data is None and not field.errors:
            raise ValidationError(_l("Write the number of the sale this money pays."))

    def values(self) -> dict:
        """The decision as :func:`shop.services.bank.resolve` takes it: the sale's number
        (``None``: the money pays no sale) and the note."""
        return {
            "sale_number": self.sale_number.data if self.pays.data == "sale" else None,
            "note": self.note.data or "",
        }
