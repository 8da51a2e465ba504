"""The journal's JSON Schema ("shop-journal", version 1) and what it finds wrong in a file.

The schema ships inside the package (``shop/journal/journal.schema.json``). Formats
``date`` and ``date-time`` are checked by our own functions, so the result does not depend on
which optional format libraries happen to be installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from shop.journal.problems import Problem, child, pointer
from shop.journal.times import parse_day, parse_time

SCHEMA_FILE = "journal.schema.json"

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_day(value: object) -> bool:
    if isinstance(value, str):
        parse_day(value)
    return True


@_FORMATS.checks("date-time", raises=ValueError)
def _is_time(value: object) -> bool:
    if isinstance(value, str):
        parse_time(value)
    return True


#: What each format and each shared definition means, in words for the messages.
_FORMAT_WORDS = {
    "date": "a real date like 2026-11-01",
    "date-time": "a real time with its UTC offset, like 2026-11-01T09:00:00+07:00",
}
_DEFINITION_WORDS = {
    "code": "a code of 1 to 32 letters, digits or dashes",
    "month": "a month like 2026-11",
    "date": "a date like 2026-11-01",
    "time": "a time with its UTC offset, like 2026-11-01T09:00:00+07:00",
}
_PATTERN_WORDS = {
    "^[0-9]{6}$": "a bank BIN of 6 digits",
    "^[0-9A-Za-z]{1,19}$": "an account number of 1 to 19 letters or digits",
    "^[A-Z]{2,6}$": "a code prefix of 2 to 6 capital letters A to Z",
    "^[a-z0-9_-]{1,16}$": "a feed's name of 1 to 16 small letters, digits, dashes or _",
    "^[a-z]{1,8}$": "a way it came (webhook, poll) of 1 to 8 small letters",
    "^[A-Za-z0-9_-]{1,64}$": "a scan's id of 1 to 64 letters, digits, dashes or _",
}


@cache
def journal_schema() -> dict[str, Any]:
    """The schema as a dict (read once from the package)."""
    text = resources.files("shop.journal").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _is_whole_number(_checker, instance: object) -> bool:
    # JSON Schema counts 50000.0 as an integer; the shop's amounts and numbers are Python
    # ints all the way into the columns, so a written-out fraction is refused here.
    return isinstance(instance, int) and not isinstance(instance, bool)


_JournalValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


@cache
def _validator() -> Validator:
    schema = journal_schema()
    Draft202012Validator.check_schema(schema)
    return _JournalValidator(_inlined(schema, schema["$defs"]), format_checker=_FORMATS)


@cache
def _entry_validator(section: str) -> Validator:
    """The validator of one entry of the journal's list ``section``."""
    return _validator().evolve(schema=_validator().schema["properties"][section]["items"])


# jsonschema walks a journal of three years in seconds (most of a check's time): the same
# schema compiled to Python by fastjsonschema says in a fraction of that whether anything
# is wrong at all, and only then does jsonschema look, for every problem in its own words.
# fastjsonschema knows JSON Schema up to draft 7: the journal's schema uses only keywords
# that mean the same there (tests/journal/test_schema_fast.py keeps it so). It takes 5.0
# for an integer, which the shop does not; a journal holding any fraction is looked at.


def _fast_format(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def valid(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return valid


@cache
def _fast(section: str | None = None) -> Callable[[object], object]:
    """The whole journal's check (or one entry's of list ``section``), compiled."""
    schema = _validator().schema
    if section is not None:
        schema = schema["properties"][section]["items"]
    schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    return fastjsonschema.compile(
        schema,
        formats={"date": _fast_format(parse_day), "date-time": _fast_format(parse_time)},
        use_default=False,  # never fill anything in
    )


def _surely_valid(data: object, section: str | None = None) -> bool:
    """True when ``data`` (or an entry of ``section``) has no problem; False: look closer."""
    if _has_fraction(data):
        return False
    try:
        _fast(section)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _has_fraction(data: object) -> bool:
    """Whether a float is anywhere in ``data`` (the journal has integers only)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float):
            return True
    return False


def _inlined(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/name"}`` replaced by that definition.

    The same checks and errors (an error's ``schema`` is still the definition itself, which
    :func:`_definition_words` recognises), without jsonschema resolving a reference for
    every value of a large journal: that took about half the time of checking one.
    Annotations beside a ``$ref`` (``default``, ``description``) stay, with the definition
    under ``allOf``.
    """
    if isinstance(node, list):
        return [_inlined(value, definitions) for value in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        definition = _inlined(definitions[reference.removeprefix("#/$defs/")], definitions)
        siblings = {k: _inlined(v, definitions) for k, v in node.items() if k != "$ref"}
        return {**siblings, "allOf": [definition]} if siblings else definition
    return {
        key: value if key == "$defs" else _inlined(value, definitions)
        for key, value in node.items()
    }


def schema_problems(data: object, *, tick: Callable[[], None] | None = None) -> list[Problem]:
    """Every place where ``data`` breaks the schema, one problem each, in the schema's order.

    For a journal read from a file (:func:`shop.journal.reader.read_journal`) each entry of
    its lists is checked as it is read back, and ``tick()`` is called after each.

    A missing required field and an unknown field are reported at the field's own path
    (``/members/0/name``), not at the object that lacks or has it. Where a value fails both
    its pattern and its format (``"26-11-01"``), only the format is reported.
    """
    from shop.journal.reader import Section  # the reader needs this module's schema

    found: list[_Found] = []
    if isinstance(data, dict) and any(isinstance(v, Section) for v in data.values()):
        # A journal read from a file: its lists are checked entry by entry as they are
        # read back, each against its list's schema, in the schema's order.
        skeleton = {key: [] if isinstance(v, Section) else v for key, v in data.items()}
        if not _surely_valid(skeleton):
            for error in _validator().iter_errors(skeleton):
                found.extend(_found_in(error))
        for key in journal_schema()["properties"]:
            section = data.get(key)
            if isinstance(section, Section):
                validator = _entry_validator(key)
                for index, entry in enumerate(section):
                    if not _surely_valid(entry, key):
                        for error in validator.iter_errors(entry):
                            found.extend(_found_in(error, (key, index)))
                    if tick is not None:
                        tick()
    elif not _surely_valid(data):
        for error in _validator().iter_errors(data):
            found.extend(_found_in(error))
    formatted = {f.path for f in found if f.is_format}
    problems: dict[tuple[str, str], Problem] = {}
    for f in found:
        if f.path in formatted and not f.is_format:
            continue
        problems.setdefault((f.path, f.message), Problem(f.path, f.message))
    return list(problems.values())


@dataclass(frozen=True)
class _Found:
    path: str
    message: str
    is_format: bool = False


def _found_in(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[_Found]:
    """What ``error`` found, at its path (under ``prefix``, the place of the entry that was
    checked on its own)."""
    path = pointer(*prefix, *error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [_Found(child(path, name), f"{name} is required here.") for name in missing]
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [
            _Found(child(path, key), f"Unknown field {key}: the journal has no such field here.")
            for key in instance
            if key not in known
        ]
    if error.validator in ("oneOf", "anyOf") and error.context:
        # left_on is "a date or null": say what was wrong with it as a date.
        inner = [
            found
            for sub in error.context
            if not (sub.validator == "type" and sub.validator_value == "null")
            for found in _found_in(sub, prefix)
        ]
        if inner:
            best = next((f for f in inner if f.is_format), inner[0])
            return [_Found(best.path, best.message.removesuffix(".") + ", nor null.")]
    return [_Found(path, _message(error), error.validator == "format")]


def _message(error: ValidationError) -> str:
    value = _shown(error.instance)
    if error.validator == "format":
        words = _FORMAT_WORDS.get(error.validator_value, f"a {error.validator_value}")
        return f"{value} is not {words}."
    if error.validator == "pattern":
        words = _PATTERN_WORDS.get(error.validator_value) or _definition_words(error.schema)
        if words:
            return f"{value} is not {words}."
        return f"{value} does not match the pattern {error.validator_value}."
    if error.validator == "const":
        return f"This must be {_shown(error.validator_value)}, not {value}."
    if error.validator == "enum":
        choices = ", ".join(_shown(choice) for choice in error.validator_value)
        return f"{value} is not one of {choices}."
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{value} is not of type {wanted}."
    if error.validator == "minLength":
        return f"{value} is empty; write something here."
    if error.validator == "maxLength":
        return f"{value} is longer than {error.validator_value} characters."
    if error.validator == "minimum":
        return f"{value} is less than {error.validator_value}."
    if error.validator == "maximum":
        return f"{value} is more than {error.validator_value}."
    if error.validator == "minItems":
        return f"The list needs at least {error.validator_value} entry."
    return error.message


def _definition_words(schema: dict[str, Any]) -> str | None:
    definitions = journal_schema()["$defs"]
    for name, words in _DEFINITION_WORDS.items():
        if schema == definitions[name]:
            return words
    return None


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"
