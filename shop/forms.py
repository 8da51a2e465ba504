"""Form fields every area shares: money, phone numbers, PINs and dates, in the shop's way."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import PasswordInput, TextInput

from shop import messages
from shop.domain.money import MoneyError, parse_dong
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pin import PinError, check_new_pin
from shop.domain.text import clean, tidy


def _clean_text(value):
    return clean(value) if isinstance(value, str) else value


class ShopForm(FlaskForm):
    """Base form: CSRF on, and the same form reads a JSON body for the API (CSRF off there).

    Every text field is cleaned as it is read (composed Unicode, no control characters).
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                filters = tuple(unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": (*filters, _clean_text)}
            return unbound_field.bind(form=form, **options)

    @classmethod
    def from_json(cls, payload: dict, **kwargs):
        from werkzeug.datastructures import MultiDict

        values = MultiDict()
        for name, value in payload.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "y" if value else ""
            values.add(name, value if isinstance(value, str) else str(value))
        return cls(formdata=values, meta={"csrf": False}, **kwargs)

    def field_errors(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in msgs] for name, msgs in self.errors.items()}


class MoneyField(Field):
    """An amount of đồng typed as 45000, 45.000 or 45k; ``data`` is an int or ``None``."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:,}".replace(",", ".")

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = parse_dong(valuelist[0])
        except MoneyError as error:
            raise ValueError(str(messages.MONEY[error.code])) from None


class CountField(Field):
    """A whole number typed on the number pad; empty gives ``None``. ``message``: what is
    said of anything else ("-3", "2,5"), in the field's own words."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, message=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Write a whole number, for example 12.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = str(valuelist[0]).strip().replace(".", "") if valuelist else ""
        if not text:
            return
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise ValueError(str(self.message))
        self.data = int(text)


class PhoneField(StringField):
    """A phone number; ``data`` is its normalised form (digits) or ``None`` when left empty."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "tel", "autocomplete": "tel"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not sent: keep what the form was given
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = normalize_phone(text, country_code=current_app.config["SHOP_COUNTRY_CODE"])
        except PhoneError as error:
            raise ValueError(str(messages.PHONE[error.code])) from None


class PinField(StringField):
    """A PIN box with the phone's number pad; the value is never written back into the page."""

    widget = PasswordInput(hide_value=True)

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        autocomplete="current-password",
        autofocus=False,
        **kw,
    ):
        attributes = {
            "inputmode": "numeric",
            "autocomplete": autocomplete,
            "maxlength": 8,
            "pattern": "[0-9]*",
            "class": "pin",
        }
        if autofocus:
            attributes["autofocus"] = True
        kw.setdefault("render_kw", attributes)
        super().__init__(label, validators, **kw)

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip()


def select_choices(pairs) -> list[SelectChoice]:
    """Options for a select from ``(value, label)`` pairs or a ``{value: label}`` dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(str(value), label) for value, label in items]


class ChoiceField(SelectField):
    """A select whose "not one of the options" message is the shop's own, translated."""

    def __init__(self, label=None, validators=None, *, invalid_message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or _l("Choose one of the options.")

    def pre_validate(self, form):
        if self.data in (None, "") and not any(isinstance(v, Required) for v in self.validators):
            return  # nothing chosen in an optional select
        if self.data not in {str(choice.value) for choice in self.choices}:
            raise StopValidation(str(self.invalid_message))


class DayField(StringField):
    """A calendar day: the phone's date picker (yyyy-mm-dd) or typed as dd/mm/yyyy."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not sent: keep what the form was given
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        self.data = None
        if not text:
            return
        # strptime would also read full-width and mathematical digits ("２０２６"): 0-9 only.
        patterns = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y") if text.isascii() else ()
        for pattern in patterns:
            try:
                self.data = datetime.strptime(text, pattern).date()  # noqa: DTZ007 a date, no time
                break
            except ValueError:
                continue
        else:
            raise ValueError(str(_l("Write the date as dd/mm/yyyy, for example 01/10/2026.")))
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(str(_l("This date is out of range.")))


class LocalTimeField(StringField):
    """A moment of the shop's day, as the phone's picker gives it (yyyy-mm-ddThh:mm) or
    typed as dd/mm/yyyy hh:mm; ``data`` is a naive local datetime (the view puts it in the
    shop's time zone)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%dT%H:%M") if isinstance(self.data, datetime) else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        super().process_formdata(valuelist)
        text = tidy(self.data)
        self.data = None
        if not text:
            return
        patterns = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M") if text.isascii() else ()
        for pattern in patterns:
            try:
                self.data = datetime.strptime(text, pattern)  # noqa: DTZ007 local, made aware later
                break
            except ValueError:
                continue
        else:
            raise ValueError(str(_l("Write the day and the time, for example 01/10/2026 17:30.")))
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(str(_l("This date is out of range.")))


def new_pin_check(form, field):
    """Validator: the PIN typed can become a member's PIN."""
    try:
        check_new_pin(field.data or "")
    except PinError as error:
        raise ValidationError(str(messages.PIN[error.code])) from None


class Required:
    """Validator like DataRequired, with the shop's message and no HTML ``required`` flag.

    The browser's own "fill in this field" bubble would speak the phone's language, not the
    shop's, so the server's message beside the field is the one she sees.
    """

    field_flags: dict = {}

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()  # the field already says what is wrong with it
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise StopValidation(str(self.message or _l("Please fill this in.")))


required = Required

#: "At most N letters." for each limit in shop.domain.text (each its own text, so each
#: has its own translation).
AT_MOST = {
    19: _l("At most 19 letters."),
    20: _l("At most 20 letters."),
    40: _l("At most 40 letters."),
    60: _l("At most 60 letters."),
    80: _l("At most 80 letters."),
    120: _l("At most 120 letters."),
    200: _l("At most 200 letters."),
    250: _l("At most 250 letters."),
    253: _l("At most 253 letters."),
    300: _l("At most 300 letters."),
    500: _l("At most 500 letters."),
    4000: _l("At most 4000 letters."),
}


def at_most(limit: int, message=None) -> Length:
    """A field's text limit (one of shop.domain.text's), with its message."""
    return Length(max=limit, message=message or AT_MOST[limit])


class ClientIdField(HiddenField):
    """The id a page's form sends with a change (a refund, a payout…), so that sending the
    same form twice (a double tap, a retry after no answer) records it once.

    Drawn with a new id each time the form is shown afresh, and with the same id when it
    comes back refused (nothing was saved under it); ``data`` is the id sent, or ``None``.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        import uuid

        return self.data or uuid.uuid4().hex

    def process_formdata(self, valuelist):
        from shop.services.idempotency import CLIENT_ID

        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = text or None
        if text and not CLIENT_ID.match(text):
            self.data = None
            raise ValueError(str(_l("This form has expired. Please try again.")))
