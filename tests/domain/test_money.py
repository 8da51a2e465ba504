import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.money import (
    MAX_DONG,
    MoneyError,
    format_dong,
    format_dong_padded,
    format_rate,
    format_rate_padded,
    parse_dong,
    split_largest_remainder,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45000", 45_000),
        ("45.000", 45_000),
        ("45,000", 45_000),
        ("45k", 45_000),
        ("45K", 45_000),
        (" 45 k ", 45_000),
        ("45.000 ₫", 45_000),
        ("45.000₫", 45_000),
        ("45000đ", 45_000),
        ("45000 đồng", 45_000),
        ("45000 VND", 45_000),
        ("1,5k", 1_500),
        ("1.5k", 1_500),
        ("2tr", 2_000_000),
        ("1.2tr", 1_200_000),
        ("1tr2", 1_200_000),
        ("1tr25", 1_250_000),
        ("1.250.000", 1_250_000),
        ("0", 0),
        ("10 nghìn", 10_000),
        (45_000, 45_000),
    ],
)
def test_parse_accepts_what_people_type(text, expected):
    assert parse_dong(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "invalid"),
        ("45.5", "fraction"),
        ("45,50", "fraction"),
        ("1,2345k", "fraction"),
        ("0.5k5", "invalid"),
        ("4.50.000", "invalid"),
        ("-5000", "negative"),
        ("-45k", "negative"),
        ("12e3", "invalid"),
        ("1.2.3k", "invalid"),
        ("100.000.000.001", "too_large"),
        ("9999999999999999999", "too_large"),
        (-1, "negative"),
        ("₫", "invalid"),
        # Past Python's 4,300-digit limit of int(): refused by length, long before int().
        ("1tr" + "5" * 5000, "too_large"),
        ("1k" + "0" * 4301, "too_large"),
        ("1" * 5000, "too_large"),
        ("1," + "5" * 5000 + "k", "too_large"),
        ("-" + "1" * 5000, "too_large"),
        # Digits other than 0-9 are not what the number pad types: not an amount.
        ("٤٥k", "invalid"),
        ("𝟒𝟓k", "invalid"),
        ("４５０００", "invalid"),
        ("4٥.000", "invalid"),
        ("1tr٥", "invalid"),
    ],
)
def test_parse_refuses_with_a_reason(text, code):
    with pytest.raises(MoneyError) as caught:
        parse_dong(text)
    assert caught.value.code == code


def test_parse_refuses_a_boolean():
    with pytest.raises(MoneyError):
        parse_dong(True)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0 ₫"),
        (500, "500 ₫"),
        (45_000, "45.000 ₫"),
        (1_250_000, "1.250.000 ₫"),
        (-1_500, "-1.500 ₫"),
    ],
)
def test_format(amount, text):
    assert format_dong(amount).replace("\u00a0", " ") == text


@given(st.integers(min_value=0, max_value=9_999_999))
def test_padded_amounts_of_up_to_seven_digits_are_all_as_wide(amount):
    """Padded, every amount under ten million has the places of seven digits and two full
    stops (digits or figure spaces, full stops or punctuation spaces), blanks first: printed
    in a font with digits of one width, they all end at the same place."""
    text = format_dong_padded(amount)
    blanks = len(text) - len(text.lstrip("\u2007\u2008"))
    assert text[blanks:] == format_dong(amount)
    assert sum(c.isdigit() or c == "\u2007" for c in text) == 7
    assert sum(c in ".\u2008" for c in text) == 2


def test_padded_amounts_too_long_are_printed_whole():
    assert format_dong_padded(12_345_678) == format_dong(12_345_678)
    assert format_dong_padded(4_500, digits=5) == "\u2007" + format_dong(4_500)
    assert format_dong_padded(500, digits=4) == "\u2007\u2008" + format_dong(500)


@pytest.mark.parametrize("basis_points", [500, 1250, 725, 7000, 6550, 10000])
def test_padded_rates_are_as_wide_as_99_99_percent(basis_points):
    text = format_rate_padded(basis_points)
    assert text.lstrip("\u2007\u2008") == format_rate(basis_points)
    assert sum(c.isdigit() or c == "\u2007" for c in text) == 4
    assert sum(c in ".\u2008" for c in text) == 1


def test_format_refuses_non_integers():
    with pytest.raises(TypeError):
        format_dong(45000.0)


@given(st.integers(min_value=0, max_value=MAX_DONG))
def test_formatted_amount_parses_back(amount):
    assert parse_dong(format_dong(amount)) == amount
    assert parse_dong(format_dong(amount, symbol=False)) == amount
    assert parse_dong(str(amount)) == amount


@given(st.integers(min_value=0, max_value=MAX_DONG // 1000))
def test_thousands_with_k(thousands):
    assert parse_dong(f"{thousands}k") == thousands * 1000


@given(
    st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda head, unit, digits: f"{head}{unit}{'7' * digits}",
            st.integers(min_value=1, max_value=999),
            st.sampled_from(["k", "tr", ""]),
            st.integers(min_value=4290, max_value=4400),
        ),
    )
)
def test_parse_never_fails_with_anything_but_money_error(text):
    try:
        value = parse_dong(text)
    except MoneyError as error:
        assert error.code in {"empty", "invalid", "negative", "fraction", "too_large"}
    else:
        assert isinstance(value, int)
        assert 0 <= value <= MAX_DONG


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        # docs/sharing.md, November: work shares of 45.000 over 200/100/400 minutes.
        (45_000, [200, 100, 400], [12_857, 6_429, 25_714]),
        # January: 25.650 equally over four members; the two đồng left go to 1 and 2.
        (25_650, [1, 1, 1, 1], [6_413, 6_413, 6_412, 6_412]),
        # The whole-sale discount of sale 2: 6.000 over C 35.000 and D 25.000.
        (6_000, [35_000, 25_000], [3_500, 2_500]),
        (10, [0, 1], [0, 10]),
        (0, [3, 4], [0, 0]),
        (-7, [1, 1], [-4, -3]),
    ],
)
def test_split_examples(total, weights, parts):
    assert split_largest_remainder(total, weights) == parts


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40).filter(any),
)
def test_split_adds_up_and_is_fair(total, weights):
    parts = split_largest_remainder(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert abs(part - exact) < 1 + 1e-6 * abs(exact)


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_split_refuses_bad_weights(weights):
    with pytest.raises(ValueError):
        split_largest_remainder(100, weights)


@pytest.mark.parametrize(
    ("basis_points", "shown"), [(7000, "70%"), (1250, "12.5%"), (0, "0%"), (10000, "100%")]
)
def test_rates_in_basis_points_are_shown_as_percent(basis_points, shown):
    assert format_rate(basis_points) == shown


def test_a_rate_must_be_whole_basis_points():
    with pytest.raises(TypeError):
        format_rate(70.0)
