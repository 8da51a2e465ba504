"""The sharing settings form: docs/sharing.md's four numbers, as a coordinator types them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from shop.domain.pricing import MarkdownStep, Policy
from shop.forms import ChoiceField, CountField, ShopForm, required


def _percent(form, field):
    if field.data is not None and not 0 <= field.data <= 100:
        raise ValidationError(str(_l("A share is from 0 to 100%.")))


class SharingSettingsForm(ShopForm):
    from_month = ChoiceField(_l("From the month"), [required()])
    consignor_percent = CountField(
        _l("A consigned item's owner gets (%)"),
        [required(), _percent],
        description=_l("Copied onto each item when it comes in; items already in keep theirs."),
    )
    reserve_percent = CountField(_l("To the group fund from a profit (%)"), [required(), _percent])
    equal_percent = CountField(
        _l("Of what is shared, equally (%)"),
        [required(), _percent],
        description=_l("The rest is shared by hours worked."),
    )
    first_days = CountField(_l("First markdown after (days)"), [required()])
    first_percent = CountField(_l("First markdown: off (%)"), [required(), _percent])
    second_days = CountField(_l("Second markdown after (days)"))
    second_percent = CountField(_l("Second markdown: off (%)"), [_percent])
    clearance_days = CountField(_l("Clearance after (days)"), [required()])

    def validate_second_days(self, field):
        if (field.data is None) != (self.second_percent.data is None):
            raise ValidationError(str(_l("Give both the days and the percentage, or neither.")))
        if field.data is not None and self.first_days.data and field.data <= self.first_days.data:
            raise ValidationError(str(_l("The second markdown comes after the first.")))

    def validate_first_days(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(str(_l("At least 1 day.")))

    def validate_clearance_days(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(str(_l("At least 1 day.")))

    def validate_first_percent(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(str(_l("At least 1%.")))

    def validate_second_percent(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(str(_l("At least 1%.")))

    def policy(self) -> Policy:
        steps = [MarkdownStep(self.first_days.data, self.first_percent.data)]
        if self.second_days.data is not None:
            steps.append(MarkdownStep(self.second_days.data, self.second_percent.data))
        return Policy(
            consignor_bp=self.consignor_percent.data * 100,
            reserve_bp=self.reserve_percent.data * 100,
            equal_bp=self.equal_percent.data * 100,
            markdown=tuple(steps),
            clearance_after_days=self.clearance_days.data,
        )

    def fill(self, policy: Policy) -> None:
        self.consignor_percent.data = policy.consignor_bp // 100
        self.reserve_percent.data = policy.reserve_bp // 100
        self.equal_percent.data = policy.equal_bp // 100
        steps = list(policy.markdown)
        if steps:
            self.first_days.data, self.first_percent.data = (
                steps[0].after_days,
                steps[0].percent_off,
            )
        if len(steps) > 1:
            self.second_days.data = steps[1].after_days
            self.second_percent.data = steps[1].percent_off
        self.clearance_days.data = policy.clearance_after_days
