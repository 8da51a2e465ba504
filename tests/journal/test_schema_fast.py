"""The journal's schema checked in two steps (shop/journal/schema.py): fastjsonschema says
whether anything is wrong, jsonschema then finds each problem. A journal the fast step
passes must be one jsonschema passes too, whatever is changed in it."""

from __future__ import annotations

import copy
import json

import pytest

from shop.journal import schema
from shop.journal.schema import schema_problems

from .conftest import full_example

#: Keywords that mean the same in JSON Schema draft 7 (what fastjsonschema knows) and in
#: draft 2020-12 (the journal's).
SAME_IN_DRAFT_7 = {
    "$defs", "$id", "$ref", "$schema", "additionalProperties", "anyOf", "const", "default",
    "description", "enum", "format", "items", "maxLength", "maximum", "minItems", "minLength",
    "minimum", "oneOf", "pattern", "properties", "required", "title", "type",
}  # fmt: skip

BAD_VALUES = [
    None, "", "x", " ", 1.5, 5.0, 0, -1, True, [], {}, "2026-13-01", "2026-02-30",
    "2026-11-01T09:00:00", "2026-11-01T25:00:00+07:00", "a" * 400, 10**12,
]  # fmt: skip


def keywords(node, parent=None) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if parent not in ("properties", "$defs"):
                found.add(key)
            found |= keywords(value, key)
    elif isinstance(node, list):
        for value in node:
            found |= keywords(value)
    return found


def test_the_schema_uses_only_keywords_both_drafts_share():
    assert keywords(schema.journal_schema()) <= SAME_IN_DRAFT_7


def places(node, path=()):
    """Every place in ``node``: (path, value)."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, (*path, index))


def changed(journal, path, how):
    copied = copy.deepcopy(journal)
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    how(parent, path[-1])
    return copied


def variants(journal):
    """The journal with one thing changed: each value replaced by each bad value, each
    field removed, an unknown field added to each object."""
    for path, value in places(journal):
        if not path:
            continue
        for bad in BAD_VALUES:
            if bad != value or type(bad) is not type(value):
                yield changed(
                    journal, path, lambda parent, key, bad=bad: parent.__setitem__(key, bad)
                )
        if isinstance(path[-1], str):
            yield changed(journal, path, lambda parent, key: parent.pop(key))
        if isinstance(value, dict):
            yield changed(journal, path, lambda parent, key: parent[key].__setitem__("zz", 1))


def test_what_the_fast_step_passes_jsonschema_passes(monkeypatch):
    journal = full_example()
    assert schema._surely_valid(journal) and schema_problems(journal) == []
    passed = failed = 0
    for variant in variants(journal):
        if schema._surely_valid(variant):
            passed += 1
            assert list(schema._validator().iter_errors(variant)) == [], json.dumps(variant)[:300]
        else:
            failed += 1
            # (not needed for the problems to be right, only for the fast step to pay)
            assert next(schema._validator().iter_errors(variant), None), json.dumps(variant)[:300]
    assert failed > 1000 and passed > 50  # both ways taken, many times


@pytest.mark.parametrize("value", [5.0, 50_000.0])
def test_a_fraction_is_looked_at_by_jsonschema(value):
    journal = full_example()
    journal["sales"][0]["lines"][0]["unit_price_dong"] = value
    assert not schema._surely_valid(journal)
    assert [p.path for p in schema_problems(journal)] == ["/sales/0/lines/0/unit_price_dong"]
