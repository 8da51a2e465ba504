import unicodedata

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
