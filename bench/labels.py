"""Price tags for a TSPL roll label printer: how long the shop takes to make the bytes of
one 40×30 mm tag (draw the 1-bit image, pack it into ``BITMAP``), in process. The target
is absolute, not a ratio: the printer itself takes about a second a label, so < 20 ms
means a label prints in the time the printer takes."""

from __future__ import annotations

import time
from datetime import date

#: The issue's target for one 40×30 mm tag's bytes, milliseconds.
TARGET_MS = 20.0


def run_label_bytes(repeats: int) -> dict:
    """Make one 40×30 tag's TSPL bytes ``repeats`` times, each a different tag (price and
    code change, so no drawing is reused); the fonts are loaded once first, as a running
    shop has them."""
    from shop.printing.tags import Tag, TagLabels
    from shop.printing.tspl import ROLLS, tspl_bytes

    labels = TagLabels(size="Cỡ", each="mỗi cái")
    roll = ROLLS["40x30"]

    def tag(n: int) -> Tag:
        return Tag(
            code=f"1{n:05d}", price_dong=10_000 + 1_000 * n, category="Áo dài",
            description="Lụa tơ tằm thêu tay hoa sen trắng", size="M",
            intake_month=date(2026, 11, 1), shop_name="NEW ME – Đồ cũ",
        )  # fmt: skip

    size = len(tspl_bytes([tag(0)], roll, labels=labels))  # fonts loaded once
    times = []
    for n in range(1, repeats + 1):
        started = time.perf_counter()
        tspl_bytes([tag(n)], roll, labels=labels)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"ms": times, "bytes": size}


def label_section(result: dict, yes) -> list[str]:
    out = ["", "## A price tag for a TSPL label printer", ""]
    if not result:
        return out + ["Not measured."]
    times = result["ms"]
    median = times[len(times) // 2]
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return out + [
        "In process: one 40×30 mm tag drawn as a 1-bit image and packed into TSPL `BITMAP` "
        f"(`shop/printing/tspl.py`), a different tag each time; {result['bytes']:,} bytes a tag.",
        "",
        "| figure | measured | target | holds? |",
        "|---|---:|---|---|",
        f"| one 40×30 tag's bytes, median of {len(times)} | {median:.1f} ms | "
        f"< {TARGET_MS:.0f} ms | {yes(median < TARGET_MS, f'p95 {p95:.1f} ms')} |",
    ]
