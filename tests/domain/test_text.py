import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.text import clean, fold


def test_decomposed_vietnamese_becomes_composed():
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Ngữ")
    assert typed != "Nguyễn Thị Ngữ"
    assert clean(typed) == "Nguyễn Thị Ngữ"


def test_control_characters_go_but_lines_and_tabs_stay():
    assert clean("Chị\x00 Mai\x07\x7f") == "Chị Mai"
    assert clean("a\tb\nc\r\n") == "a\tb\nc\r\n"


def test_fold_for_search():
    assert fold("  ÁO   Khoác\x00 GIÓ  ") == "ao khoac gio"
    assert fold("Đầm đỏ") == "dam do"


@given(st.text())
def test_clean_leaves_no_nul_and_is_idempotent(text):
    once = clean(text)
    assert "\x00" not in once and clean(once) == once


def _deep(depth: int, leaf: object = "x") -> object:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_clean_tree_cleans_every_text_and_keeps_the_shape():
    from shop.domain.text import clean_tree

    value = {"a\x00": ["Nguyê\u0303n\x00", {"b": [1, None, True, "x\ud800"]}], "n": 2.5}
    assert clean_tree(value) == {"a\x00": ["Nguyễn", {"b": [1, None, True, "x"]}], "n": 2.5}
    assert list(clean_tree({"z": 1, "a": 2, "m": 3})) == ["z", "a", "m"]
    assert clean_tree("\x00ok") == "ok" and clean_tree(7) == 7


def test_json_too_deep_is_refused_naming_the_outer_key_without_recursing():
    from shop.domain.text import MAX_JSON_DEPTH, TooDeep, check_depth, clean_tree

    fits = {"lines": _deep(MAX_JSON_DEPTH - 1)}
    check_depth(fits)
    assert clean_tree(fits) == fits
    for walk in (check_depth, clean_tree):
        for depth in (MAX_JSON_DEPTH, 500, 200_000):  # far past Python's recursion limit
            with pytest.raises(TooDeep) as raised:
                walk({"ok": 1, "lines": _deep(depth)})
            assert raised.value.key == "lines"
        with pytest.raises(TooDeep) as raised:
            walk([_deep(MAX_JSON_DEPTH)])
        assert raised.value.key is None
