import xml.etree.ElementTree as ET

import pytest

from shop.domain.money import short_dong
from shop.month.charts import Point, bar_chart, column_chart

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


def test_the_phone_drawing_has_big_letters_and_labels_that_never_meet():
    """Drawn narrow (340 units for a 360 px screen) every letter is at least 12 units, so
    about 11 px on the phone; twelve months' labels are spaced so none runs into the next,
    the latest month always named; a long title goes onto a second line."""
    months = [Point(f"T{m}/26", 50_000 * m) for m in range(1, 13)]
    root = ET.fromstring(str(column_chart(months, title="Doanh thu", narrow=True)))
    assert root.get("viewBox").split()[2] == "340"
    texts = list(root.iter(f"{SVG}text"))
    assert min(int(t.get("font-size")) for t in texts) >= 12
    labels = [t for t in texts if t.text and t.text.startswith("T") and "/" in t.text]
    assert labels[-1].text == "T12/26" and 3 <= len(labels) < 12
    xs = [float(t.get("x")) for t in labels]
    widest = max(len(t.text) for t in labels) * 12 * 0.62
    assert all(b - a >= widest for a, b in zip(xs, xs[1:], strict=False))
    long_title = "Mỗi thành viên được hưởng trong các tháng này"
    members = [Point("Nguyễn Thị Hồng", 47_100), Point("Trần Thị Lan", -1_000)]
    root = ET.fromstring(str(bar_chart(members, title=long_title, narrow=True)))
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert len(titles) == 2 and " ".join(titles) == long_title
    assert min(int(t.get("font-size")) for t in root.iter(f"{SVG}text")) >= 12


def test_the_page_gets_both_drawings():
    from shop.month.charts import page_column_chart

    html = str(page_column_chart([Point("T1/27", 57_000)], title="Kết quả"))
    assert html.count("<svg") == 2
    assert 'class="chart chart-wide"' in html and 'class="chart chart-narrow"' in html
