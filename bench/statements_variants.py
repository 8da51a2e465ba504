"""Where a statement PDF's time goes: the same statements rendered with one change at a time.

The HTML of the busiest member's statement and of every member's (December 2025 of the main
shop, as ``bench/statements_before_after.py`` prepares it) is taken from the app once, then
rendered by ``shop.printing.pdf`` as it is ("base") and with one change to the markup, the
style or WeasyPrint's options ("variants" below), in alternating rounds in one process. Each
figure is the median processor time of a rendering (what other work on the machine does not
inflate as much as the wall clock); the words and pages of each variant's PDF are compared
with the base's. ``BENCH_PROFILE=1`` also writes a cProfile of the base to bench/profiles/.

    .venv/bin/python -m bench.statements_variants            # the one statement, 7 rounds
    BENCH_VARIANTS_OF=all BENCH_ROUNDS=3 ...                 # every member's
    ... base noborder rows                                   # only these variants
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)
from bench import run
from bench.statements_before_after import closed_month_bench, pdf_words


def _style(html: str, css: str) -> str:
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def _lines_as(html: str, make) -> str:
    """The sold items' lines (``<div>``s in one cell) rewritten by ``make(colspan, texts)``."""

    def one(match: re.Match) -> str:
        texts = re.findall(r"<div>(.*?)</div>", match.group(2), flags=re.S)
        return make(match.group(1), texts)

    return re.sub(r'<tr><td class="lines" colspan="(\d)">(.*?)</td></tr>', one, html, flags=re.S)


def _br(html: str) -> str:
    # one block for all the lines, a <br> between them, no hanging indent nor rules
    def make(n: str, texts: list[str]) -> str:
        return f'<tr><td class="lines" colspan="{n}"><div>{"<br>".join(texts)}</div></td></tr>'

    html = _lines_as(html, make)
    return _style(html, "td.lines > div { padding: .6mm 1.5mm; text-indent: 0; border: 0 }")


def _rows(html: str) -> str:
    # each line a row of one cell (the layout before the lines went into one cell)
    def make(n: str, texts: list[str]) -> str:
        return "".join(f'<tr><td class="line" colspan="{n}">{t}</td></tr>' for t in texts)

    html = _lines_as(html, make)
    return _style(
        html,
        "table.sold td.line { padding: .6mm 1.5mm .6mm calc(1.5mm + 23.5768em);"
        " text-indent: -23.5768em; overflow-wrap: anywhere; }",
    )


#: name: (what it changes, the HTML from the base's, WeasyPrint options)
VARIANTS = {
    "base": ("the statement as it is", lambda h: h, {}),
    "uncompressed": ("uncompressed_pdf=True", lambda h: h, {"uncompressed_pdf": True}),
    "full_fonts": ("full_fonts=True (no subsetting)", lambda h: h, {"full_fonts": True}),
    "noborder": (
        "no rule under each sold item (look changes)",
        lambda h: _style(h, "td.lines > div { border-bottom: 0 }"),
        {},
    ),
    "nocalc": (
        "a line's indents as lengths, not calc()",
        lambda h: _style(
            h, "td.lines > div { padding: .6mm 1.5mm .6mm 288.591px; text-indent: -282.922px }"
        ),
        {},
    ),
    "nokerning": (
        "font-kerning and ligatures off",
        lambda h: _style(h, "html { font-kerning: none; font-variant-ligatures: none }"),
        {},
    ),
    "nopagenumber": (
        "no page number in the foot (words change)",
        lambda h: _style(h, "@page { @bottom-right { content: none } }"),
        {},
    ),
    "noavoid": (
        "cards may break across pages",
        lambda h: _style(h, ".card { break-inside: auto }"),
        {},
    ),
    "br": ("the lines in one block, <br> between (look changes)", _br, {}),
    "rows": ("each line a table row of one cell", _rows, {}),
}


def capture() -> dict[str, str]:
    """The HTML the app hands to WeasyPrint for the one statement and for all members'."""
    from shop.month import views

    _app, _prepared, bench = closed_month_bench()
    seen = {}
    to_pdf = views.html_to_pdf

    def grab(html, **options):
        seen["html"] = html
        return to_pdf(html, **options)

    views.html_to_pdf = grab
    try:
        bench.statement_pdf(0)
        one = seen["html"]
        bench.statements_pdf(0)
        return {"one": one, "all": seen["html"]}
    finally:
        views.html_to_pdf = to_pdf


def render(html: str, options: dict) -> bytes:
    from shop.printing import pdf

    document = pdf._html(html)
    with pdf._rendering():
        data = document.write_pdf(
            font_config=pdf._font_configuration(),
            stylesheets=[pdf._stylesheet(pdf.PAPER)],
            **options,
        )
    assert data is not None
    return data


def main() -> None:
    which = os.environ.get("BENCH_VARIANTS_OF", "one")
    rounds = int(os.environ.get("BENCH_ROUNDS", "7"))
    names = sys.argv[1:] or list(VARIANTS)
    if names[0] != "base":
        names.insert(0, "base")
    html = capture()[which]
    if run.PROFILE:
        import cProfile

        run.PROFILES.mkdir(exist_ok=True)
        cProfile.runctx(
            "render(html, {})", globals(), {"html": html, "render": render},
            str(run.PROFILES / f"statements-{which}.prof"),
        )  # fmt: skip
    htmls = {name: VARIANTS[name][1](html) for name in names}
    pdfs = {name: render(htmls[name], VARIANTS[name][2]) for name in names}  # warm
    cpu: dict[str, list[float]] = {name: [] for name in names}
    loads = []
    for i in range(rounds):
        loads.append(os.getloadavg()[0])
        for name in names if i % 2 == 0 else names[::-1]:
            started = time.process_time()
            render(htmls[name], VARIANTS[name][2])
            cpu[name].append(time.process_time() - started)
        run.log(f"round {i + 1}/{rounds}")
    base = statistics.median(cpu["base"])
    words = pdf_words(pdfs["base"])
    print(f"{which}: {rounds} rounds, load average {min(loads):.2f}–{max(loads):.2f}")
    print("| variant | what | CPU median | to base | pages | same words |")
    print("|---|---|---:|---:|---:|---|")
    for name in names:
        median = statistics.median(cpu[name])
        same = "yes" if pdf_words(pdfs[name]) == words else "no"
        print(
            f"| {name} | {VARIANTS[name][0]} | {median * 1000:,.0f} ms | {median / base:.2f} | "
            f"{run.pdf_pages(pdfs[name])} | {same} |"
        )


if __name__ == "__main__":
    main()
