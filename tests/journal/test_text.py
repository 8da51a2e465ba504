"""The journal's text: json.dumps(journal, ensure_ascii=False, indent=2) and a newline,
byte for byte, whatever the journal holds."""

from __future__ import annotations

import enum
import json
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.journal.text import journal_text

from .conftest import full_example


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


#: Every kind of JSON value, texts with quotes, backslashes, control characters, Vietnamese
#: and characters outside the BMP; whole numbers of any size; empty and nested lists and dicts.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=40,
)


@given(JSON)
def test_any_json_value_is_written_as_json_dumps_writes_it(value):
    assert journal_text(value) == dumps(value)


def test_the_worked_example_is_written_as_json_dumps_writes_it():
    example = full_example()
    assert journal_text(example) == dumps(example)


class Kind(enum.StrEnum):
    CASH = "cash"


class Number(enum.IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "value",
    [
        (1, [2, (3,)]),
        OrderedDict([("b", 1), ("a", [])]),
        {"kind": Kind.CASH, "n": Number.ONE, "x": 1.5, "nan": float("nan")},
        {1: "a", 2.5: "b", None: "d", Kind.CASH: "f"},
        {True: "c", False: "e"},
        {Number.ONE: "e"},
        "bare text",
        {},
        [],
        [{}, [], [[]], {"": {}}],
    ],
)
def test_what_the_shop_never_writes_is_still_written_as_json_dumps_writes_it(value):
    assert journal_text(value) == dumps(value)


@pytest.mark.parametrize("value", [{(1, 2): "key"}, {"when": object()}, [b"bytes"]])
def test_what_json_cannot_say_is_refused_as_json_dumps_refuses_it(value):
    with pytest.raises(TypeError):
        dumps(value)
    with pytest.raises(TypeError):
        journal_text(value)
