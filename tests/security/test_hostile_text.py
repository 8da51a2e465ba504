"""Hostile text typed into every free-text field comes back as text: on the pages, in the
PDFs and on the receipt printer, never as markup, never as a 500."""

from __future__ import annotations

import subprocess

import pytest

from shop.extensions import db
from tests.conftest import TRIAL_PINS, sign_in
from tests.printing.escpos_decoder import decode

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = [
    SCRIPT,
    IMAGE,
    "'; DROP TABLE sale; --",
    "{{ 7*7 }} {% if 1 %}x{% endif %} %(name)s",
    "\u202eeman\u202c z\u200bero w\u2060j",  # right-to-left override, zero-width spaces
    "a" + "\u0301" * 40,  # a letter drowned in combining marks
    "🧥👗🧦" * 10,
    "Nguyễn\tThị\x0bHồng",
    "x" * 2000,
]


def phone_of(app, number):
    client = app.test_client()
    assert sign_in(client, f"091200000{number}", TRIAL_PINS[number]).status_code == 303
    return client


def safe(html: str) -> None:
    """No hostile markup got through as markup."""
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


@pytest.fixture
def hostile_shop(app, trial, clock):
    """The worked example with hostile text in names, notes, reasons and the shop's own."""
    from datetime import UTC, datetime

    clock.set(datetime(2027, 2, 10, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    answers = []
    for text in HOSTILE:
        answers.append(hong.post("/expenses/", data={"spent_on": "09/02/2027",
                                                     "category": "other", "amount_dong": "1k",
                                                     "note": text}).status_code)  # fmt: skip
        member = {"name": text, "phone": "0912000003", "role": "member", "joined_on": "01/10/2026"}
        answers.append(hong.post("/members/3/edit", data=member).status_code)
    # What the fields take (the shortest hostile texts) is saved; the rest is refused, never a 500.
    assert all(code < 500 for code in answers)
    hong.post("/members/3/edit", data={"name": SCRIPT, "phone": "0912000003", "role": "member",
                                        "joined_on": "01/10/2026"})  # fmt: skip
    hong.post("/settings/shop", data={"name": IMAGE, "address": SCRIPT, "bank_bin": "970415",
                                       "bank_account": "113366668888",
                                       "receipt_footer": SCRIPT + "\n" + HOSTILE[4]})  # fmt: skip
    where = hong.post("/intake/new", data={"kind": "donation", "donor_name": SCRIPT})
    assert where.status_code == 303
    with app.app_context():
        from shop.services import stock

        category = next(c.id for c in stock.categories(db.session) if c.name == "Áo")
    item = hong.post(
        where.headers["Location"],
        data={"category": category, "price_dong": "30k", "description": IMAGE + HOSTILE[4]},
    )
    assert item.status_code in (200, 303)
    return hong


def test_pages_show_it_as_text(app, hostile_shop):
    hong = hostile_shop
    pages = ["/", "/members/", "/expenses/?month=2027-02", "/audit", "/months/2027-02",
             "/months/2026-11", "/months/2026-11/statements/3", "/stock/", "/intake/",
             "/intake/donors", "/settings/shop", "/counter/sales/1"]  # fmt: skip
    for url in pages:
        response = hong.get(url)
        assert response.status_code == 200, url
        safe(response.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hong.get("/members/").text


def test_pdfs_print_it_as_text(app, hostile_shop):
    hong = hostile_shop
    for url in ("/months/2026-11/statements/3.pdf", "/months/2026-11/report.pdf",
                "/months/2027-01/payouts.pdf"):  # fmt: skip
        response = hong.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), url
        assert SCRIPT in pdf_text(response.data).replace("\n", "") or url.endswith("report.pdf")
    statement = pdf_text(hong.get("/months/2026-11/statements/3.pdf").data)
    assert SCRIPT in statement  # her name, printed as the letters she typed


def test_receipts_and_labels_print_it(app, hostile_shop):
    from shop.printing.escpos_out import receipt_bytes
    from shop.printing.slips import receipt_for_sale
    from shop.services import counter

    with app.test_request_context():
        sale = counter.get_sale(db.session, 1)
        slip = receipt_for_sale(db.session, sale)
        assert slip.shop_name == IMAGE and SCRIPT in slip.footer
        for mode in ("raster", "text"):
            events = decode(receipt_bytes(slip, mode=mode))
            assert events and events[-1] == ("cut",)
        text = "".join(e[1] for e in decode(receipt_bytes(slip, mode="text")) if e[0] == "text")
        # Format characters (a right-to-left override) never reach the printer's own font.
        assert "\u202e" not in text and "\u200b" not in text
    assert hostile_shop.get("/counter/sales/1/receipt?paper=58").status_code == 200


def test_odd_text_at_the_edges_is_refused_or_cleaned_never_a_500(app, trial):
    """Found by `make reliability`: a very long search, a lone surrogate in JSON and a NUL."""
    from shop.domain.text import clean, search_words

    assert clean("a\ud800b\x00c") == "abc"
    assert search_words("x" * 100_000 + " y") == ["x" * 40, "y"]
    hong = phone_of(app, 1)
    token_client = app.test_client()
    assert hong.get("/stock/?text=" + "x" * 100_000).status_code == 200
    assert hong.get("/intake/donors?q=" + "x" * 100_000).status_code == 200
    assert hong.get("/stock/A%00").status_code == 400
    assert hong.get("/stock/?text=a%00b").status_code == 400
    from tests.security.walk import member_token

    headers = {**member_token(app, "coordinator"), "Content-Type": "application/json"}
    body = '{"name": "bad \\ud800 name"}'
    created = token_client.post("/api/v1/categories", data=body, headers=headers)
    assert created.status_code < 500
    nul = '{"name": "nul\\u0000name"}'
    assert token_client.post("/api/v1/categories", data=nul, headers=headers).status_code < 500
    assert (
        token_client.get("/api/v1/items?query=" + "x" * 100_000, headers=headers).status_code < 500
    )
