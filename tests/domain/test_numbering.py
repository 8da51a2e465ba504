from shop.domain.codes import item_code
from shop.domain.numbering import (
    MAX_SEQUENCE,
    donor_ref,
    intake_ref,
    item_code_number,
    ref_number,
)


def test_a_ref_reads_back_into_the_number_that_made_it():
    assert [ref_number(donor_ref(n), "D") for n in (1, 2, 40, MAX_SEQUENCE)] == [
        1,
        2,
        40,
        MAX_SEQUENCE,
    ]
    assert ref_number(intake_ref(7), "N") == 7


def test_refs_no_counter_makes_have_no_number():
    for ref in ("N", "N07", "n7", "PN-7", "N7a", "N٧", "N𝟕", "D7", "N" + "9" * 40, ""):
        assert ref_number(ref, "N") is None, ref
    assert ref_number(f"N{MAX_SEQUENCE + 1}", "N") is None


def test_an_item_code_reads_back_into_its_number():
    assert [item_code_number(item_code(n)) for n in (1, 2, 999, 123_456)] == [1, 2, 999, 123_456]


def test_codes_the_shop_does_not_make_have_no_number():
    wrong_check_digit = item_code(5)[:-1] + str((int(item_code(5)[-1]) + 1) % 10)
    for code in ("A", "SOCKS", "1000", "09998", wrong_check_digit, "１０００８", "HAT-1"):
        assert item_code_number(code) is None, code
