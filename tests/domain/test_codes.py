"""Item codes and their Damm check digit (shop.domain.codes)."""

from hypothesis import given
from hypothesis import strategies as st

from shop.domain.codes import damm_digit, has_valid_check_digit, item_code


def test_item_codes_carry_a_check_digit():
    assert [item_code(n) for n in (1, 2, 3)] == ["10008", "10019", "10024"]
    assert all(has_valid_check_digit(item_code(n)) for n in range(1, 2000))
    assert not has_valid_check_digit("10009")


@given(st.integers(min_value=1, max_value=10**7), st.data())
def test_check_digit_catches_single_typos_and_swaps(n, data):
    code = item_code(n)
    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    typo = code[:position] + wrong + code[position + 1 :]
    assert not has_valid_check_digit(typo)
    if position < len(code) - 1 and code[position] != code[position + 1]:
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        assert not has_valid_check_digit(swapped)


def test_damm_reference_value():
    # The textbook example: 572 has check digit 4.
    assert damm_digit("572") == "4"
