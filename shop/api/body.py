"""JSON bodies that no page form describes (a sale's lines are a list of objects): one
definition that both checks a body and writes its schema in the OpenAPI document, as
:func:`shop.api.spec.form_schema` does for the bodies a page's form checks.

A definition is built from the field types here. :meth:`Field.schema` gives its JSON Schema
(OpenAPI 3.0: ``nullable``, no ``null`` type); :meth:`Field.check` takes what was sent and
gives the value to use, recording what is wrong in ``problems`` (field → messages) under
the field's name, ``lines[1].quantity`` style. Each field's ``message`` is what is said of
any wrong value; ``null`` is read as "not sent" where the field is ``nullable`` (and
refused elsewhere); a field not sent takes its ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from shop.api.common import unknown_fields
from shop.domain.calendar import parse_moment
from shop.domain.money import MAX_DONG

#: Said of an amount that is not a whole number of đồng from 0 to the shop's largest.
AMOUNT = _l("Write the amount as a whole number of đồng, for example 45000.")
NOT_AN_OBJECT = _l("Expected a single value, not a list or an object.")


@dataclass(frozen=True, kw_only=True)
class Field:
    """One value of a body. ``message``: what is said of a wrong value (or a function of
    the value sent that says it); ``default``: the value when it is not sent."""

    message: Any = None
    description: str = ""
    nullable: bool = False
    default: Any = None

    def schema(self) -> dict:
        schema = self._schema()
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        if self.nullable:
            schema["nullable"] = True
        return schema

    def check(self, value, name: str, problems: dict) -> Any:
        if value is None and self.nullable:
            return self.default
        checked = self._check(value, name, problems)
        if checked is _WRONG:
            said = self.message(value) if callable(self.message) else self.message
            problems[name] = [said]
            return self.default
        return checked

    def _schema(self) -> dict:
        raise NotImplementedError

    def _check(self, value, name: str, problems: dict) -> Any:
        """The value to use, or :data:`_WRONG` (then ``message`` is said of it)."""
        raise NotImplementedError


_WRONG = object()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class Integer(Field):
    """A JSON integer (not ``true``, not ``1.0``) from ``minimum`` to ``maximum``."""

    minimum: int | None = None
    maximum: int | None = None

    def _schema(self) -> dict:
        schema: dict = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def _check(self, value, name, problems):
        if not _is_int(value):
            return _WRONG
        if self.minimum is not None and value < self.minimum:
            return _WRONG
        if self.maximum is not None and value > self.maximum:
            return _WRONG
        return value


@dataclass(frozen=True, kw_only=True)
class Money(Integer):
    """Whole đồng as a JSON integer, from 0 to :data:`~shop.domain.money.MAX_DONG`."""

    message: Any = AMOUNT
    minimum: int | None = 0
    maximum: int | None = MAX_DONG
    description: str = "whole đồng"


@dataclass(frozen=True, kw_only=True)
class Boolean(Field):
    message: Any = _l("Expected true or false.")

    def _schema(self) -> dict:
        return {"type": "boolean"}

    def _check(self, value, name, problems):
        return value if isinstance(value, bool) else _WRONG


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """A JSON string of at most ``max_length`` letters that matches ``pattern``;
    ``strip``: the value used has no spaces around it."""

    max_length: int | None = None
    pattern: re.Pattern | None = None
    strip: bool = False

    def _schema(self) -> dict:
        schema: dict = {"type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern.pattern
        return schema

    def _check(self, value, name, problems):
        if not isinstance(value, str):
            return _WRONG
        if self.max_length is not None and len(value) > self.max_length:
            return _WRONG
        if self.pattern is not None and not self.pattern.match(value):
            return _WRONG
        return value.strip() if self.strip else value


#: RFC 3339's date-time (OpenAPI's ``format: date-time``): a moment with its UTC offset.
DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True, kw_only=True)
class Moment(Field):
    """A moment as RFC 3339 text, with its UTC offset (``Z`` or ``+07:00``): an aware
    datetime. (A leap second, ``:60``, is the one such text it cannot read.)"""

    message: Any = _l("Write the moment as ISO 8601 with its offset, e.g. 2026-12-01T03:00:00Z.")
    max_length: int = 40

    def _schema(self) -> dict:
        return {"type": "string", "format": "date-time", "maxLength": self.max_length}

    def _check(self, value, name, problems):
        if not isinstance(value, str) or len(value) > self.max_length:
            return _WRONG
        if not DATE_TIME.fullmatch(value):
            return _WRONG
        try:
            return parse_moment(value.upper())
        except ValueError:
            return _WRONG


@dataclass(frozen=True, kw_only=True)
class Object(Field):
    """A JSON object with these ``fields`` and no others; ``required`` must be sent. Its
    value is a dict of every field's value (its default when not sent)."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    message: Any = NOT_AN_OBJECT

    def _schema(self) -> dict:
        schema: dict = {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: kind.schema() for name, kind in self.fields.items()},
        }
        if self.required:
            schema["required"] = list(self.required)
        return schema

    def _check(self, value, name, problems):
        if not isinstance(value, dict):
            return _WRONG
        prefix = f"{name}." if name else ""
        problems |= unknown_fields(value, set(self.fields), prefix)
        values = {}
        for key, kind in self.fields.items():
            where = prefix + key
            if key in value:
                values[key] = kind.check(value[key], where, problems)
            elif key in self.required:
                values[key] = kind.check(_MISSING, where, problems)
            else:
                values[key] = kind.default
        return values

    def body(self) -> dict:
        """The OpenAPI ``requestBody`` of a JSON body of this shape."""
        return {"required": True, "content": {"application/json": {"schema": self.schema()}}}


#: What a required field that was not sent is checked as: wrong for every type.
_MISSING = object()


@dataclass(frozen=True, kw_only=True)
class ListOf(Field):
    """A JSON array of ``min_items`` to ``max_items`` values of one type, each named
    ``name[index]``. ``message`` is said of the array itself."""

    items: Field
    min_items: int = 0
    max_items: int | None = None

    def _schema(self) -> dict:
        schema: dict = {"type": "array", "items": self.items.schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        return schema

    def _check(self, value, name, problems):
        if not isinstance(value, list) or len(value) < self.min_items:
            return _WRONG
        if self.max_items is not None and len(value) > self.max_items:
            return _WRONG
        return [self.items.check(entry, f"{name}[{index}]", problems)
                for index, entry in enumerate(value)]  # fmt: skip


def checked(definition: Object, payload: dict) -> tuple[dict, dict]:
    """``payload`` checked by ``definition``: (its values, the problems found)."""
    problems: dict[str, list] = {}
    values = definition.check(payload, "", problems)
    return values, problems
