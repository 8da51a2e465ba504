"""Forms for expenses and payouts: the API checks its JSON bodies with them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Regexp

from shop.domain.text import NOTE_LENGTH, REASON_LENGTH
from shop.forms import (
    ChoiceField,
    ClientIdField,
    CountField,
    DayField,
    MoneyField,
    ShopForm,
    at_most,
    required,
    select_choices,
)
from shop.models import ExpenseCategory, PaymentMethod
from shop.services.expenses import ExpenseDetails

CATEGORY_LABELS = {
    ExpenseCategory.RENT.value: _l("Rent"),
    ExpenseCategory.UTILITIES.value: _l("Electricity and water"),
    ExpenseCategory.SUPPLIES.value: _l("Supplies"),
    ExpenseCategory.STOCK_PURCHASE.value: _l("Bale of stock"),
    ExpenseCategory.TRANSPORT.value: _l("Transport"),
    ExpenseCategory.OTHER.value: _l("Other"),
    ExpenseCategory.COMPENSATION.value: _l("Lost consigned items paid to their owners"),
}
#: What a person may choose when she records or corrects an expense: every category but a
#: compensation, which only a stock count's close pays (for the lost item it names).
ENTERED_CATEGORY_LABELS = {
    value: label
    for value, label in CATEGORY_LABELS.items()
    if value != ExpenseCategory.COMPENSATION.value
}
PAYOUT_METHOD_LABELS = {
    PaymentMethod.CASH.value: _l("Cash"),
    PaymentMethod.TRANSFER.value: _l("Transfer"),
}
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class ExpenseForm(ShopForm):
    client_id = ClientIdField()
    spent_on = DayField(_l("Day the money was spent"), [required(_l("Enter the day."))])
    category = ChoiceField(
        _l("What for"),
        [required(_l("Choose what the money was spent on."))],
        choices=select_choices(ENTERED_CATEGORY_LABELS),
    )
    amount_dong = MoneyField(_l("Amount"), [required(_l("Enter the amount."))])
    note = StringField(_l("Note"), [at_most(NOTE_LENGTH)])

    def details(self) -> ExpenseDetails:
        """The expense as :mod:`shop.services.expenses` takes it."""
        return ExpenseDetails(
            spent_on=self.spent_on.data,
            category=self.category.data,
            amount_dong=self.amount_dong.data,
            note=self.note.data or "",
        )


class PayoutForm(ShopForm):
    client_id = ClientIdField()
    member = CountField(_l("Member number"), [required(_l("Choose the member."))])
    month = StringField(
        _l("Month paid out (YYYY-MM)"),
        [
            required(_l("Enter the month.")),
            Regexp(MONTH_PATTERN, message=_l("Write the month as YYYY-MM, for example 2026-11.")),
        ],
    )
    amount_dong = MoneyField(_l("Amount"), [required(_l("Enter the amount."))])
    paid_on = DayField(_l("Day it was paid"), [required(_l("Enter the day."))])
    method = ChoiceField(
        _l("Paid as"),
        [required(_l("Choose cash or transfer."))],
        choices=select_choices(PAYOUT_METHOD_LABELS),
        default="cash",
    )
    note = StringField(_l("Note"), [at_most(NOTE_LENGTH)])


class PayoutCorrectionForm(ShopForm):
    """Taking a payout recorded wrong back, in full or in part, with the reason."""

    client_id = ClientIdField()
    amount_dong = MoneyField(
        _l("Amount taken back"),
        [required(_l("Enter the amount."))],
        description=_l("All of the payout, or the part recorded wrong."),
    )
    reason = StringField(
        _l("Why"),
        [
            required(_l("Say why the payout is corrected.")),
            at_most(REASON_LENGTH),
        ],
        description=_l("For example: paid to the wrong member, or the wrong amount typed."),
    )
