import xml.etree.ElementTree as ET

import pytest

from shop.domain.money import short_dong
from shop.sharing.charts import Point, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    "amount, text",
    [
        (0, "0"),
        (950, "950"),
        (85_000, "85 k"),
        (1_250_000, "1,3 tr"),
        (1_240_000, "1,2 tr"),
        (-23_000, "−23 k"),
        (999_999, "1000 k"),
        (150_000_000, "150 tr"),
        (2_000_000_000, "2 tỷ"),
    ],
)
def test_short_amounts(amount, text):
    assert short_dong(amount) == text


def bars(svg) -> list[ET.Element]:
    return ET.fromstring(str(svg)).findall(f"{SVG}rect")


def test_columns_scale_to_the_values_and_losses_hang_below_zero():
    points = [Point("T11/26", 100_000), Point("T12/26", -23_000), Point("T1/27", 57_000)]
    svg = column_chart(points, title="Kết quả")
    rects = bars(svg)
    assert len(rects) == 3
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == pytest.approx(heights[2] * 100 / 57, rel=0.02)
    assert rects[1].get("fill") != rects[0].get("fill")  # a loss is drawn apart
    tops = [float(r.get("y")) for r in rects]
    assert tops[1] > tops[0] and tops[1] > tops[2]  # below the zero line
    texts = [t.text for t in ET.fromstring(str(svg)).iter(f"{SVG}text")]
    assert "Kết quả" in texts and "T12/26" in texts and "−23 k" in texts


def test_hostile_names_are_text_and_nothing_is_fetched():
    points = [Point('<script>alert(1)</script>"&', 5_000), Point("Lan", -1_000)]
    svg = str(bar_chart(points, title='a "title" <b>'))
    root = ET.fromstring(svg)  # well-formed: the name did not break out
    assert root.find(f".//{SVG}script") is None and "<script>" not in svg
    assert "href" not in svg and "url(" not in svg and "style" not in svg
    assert len(root.findall(f"{SVG}rect")) == 2


def test_an_empty_chart_is_still_a_chart():
    svg = column_chart([], title="Doanh thu")
    assert bars(svg) == [] and "Doanh thu" in svg
