"""The month on the pages: docs/sharing.md's worked example, read on a phone and printed.

The example journal is imported into a shop whose four members can sign in (their PINs
kept), then every figure of docs/sharing.md's tables is looked for on the pages and in the PDFs.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from tests.conftest import ARTIFACTS, sign_in
from tests.conftest import TRIAL_PINS as PINS


def phone_of(app, number: int):
    client = app.test_client()
    response = sign_in(client, f"091200000{number}", PINS[number])
    assert response.status_code == 303
    return client


def money(text: str) -> str:
    return text.replace("\xa0", " ")


def field(page, name: str) -> str:
    found = re.search(rf'data-field="{name}">(?:<strong>)?([^<]+)<', page.text)
    return money(found.group(1))


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True, check=True
    )
    return money(done.stdout.decode("utf-8"))


def test_the_november_figures_on_the_month_page(app, trial):
    hong = phone_of(app, 1)
    page = hong.get("/months/2026-11")
    assert page.status_code == 200
    assert "Đã chốt sổ" in page.text
    assert field(page, "pool_sales_dong") == "114.950 ₫"
    assert field(page, "expenses_dong") == "-14.950 ₫"
    assert field(page, "result_dong") == "100.000 ₫"
    assert field(page, "reserve_dong") == "10.000 ₫"
    assert field(page, "distributable_dong") == "90.000 ₫"
    assert field(page, "equal_total_dong") == "45.000 ₫"
    assert field(page, "work_total_dong") == "45.000 ₫"
    assert "Chị Mai" in page.text  # donors thanked
    assert page.text.count("<svg") >= 4 + 1  # four charts (and the icons' sprite uses)
    december = hong.get("/months/2026-12")
    assert field(december, "result_dong") == "-23.000 ₫"
    assert field(december, "carried_loss_dong") == "23.000 ₫"


@pytest.mark.parametrize(
    "number, month, due, earned, carried",
    [
        (1, "2026-11", "27.857 ₫", "27.857 ₫", "0 ₫"),
        (2, "2026-11", "98.429 ₫", "98.429 ₫", "0 ₫"),
        (3, "2026-11", "62.764 ₫", "62.764 ₫", "2.764 ₫"),
        # Below zero, said in words, the same on every page (the figures stay exact).
        (
            2,
            "2026-12",
            "Tháng này chị chưa có tiền nhận; còn trừ 77.000 ₫ sang tháng sau.",
            "-77.000 ₫",
            "chưa có tiền nhận; còn trừ 77.000 ₫ sang tháng sau",
        ),
        (1, "2027-01", "19.238 ₫", "19.238 ₫", "19.238 ₫"),
        (
            2,
            "2027-01",
            "Tháng này chị chưa có tiền nhận; còn trừ 70.587 ₫ sang tháng sau.",
            "6.413 ₫",
            "chưa có tiền nhận; còn trừ 70.587 ₫ sang tháng sau",
        ),
        (3, "2027-01", "9.176 ₫", "6.412 ₫", "9.176 ₫"),
        (4, "2027-01", "19.237 ₫", "19.237 ₫", "19.237 ₫"),
    ],
)
def test_each_member_reads_exactly_what_she_earned(app, trial, number, month, due, earned, carried):
    client = phone_of(app, number)
    page = client.get(f"/months/{month}/statements/{number}")
    assert page.status_code == 200

    def testid(name):
        return money(re.search(rf'data-testid="{name}">(?:<strong>)?([^<]+)<', page.text).group(1))

    assert testid("due") == due
    assert testid("earned") == earned
    assert testid("carried") == carried
    assert "Cách tính" in page.text
    if number == 2 and month == "2027-01":  # the month page and the payouts page agree
        hong = phone_of(app, 1)
        text = money(hong.get(f"/months/{month}").text)
        assert "chưa có tiền nhận; còn trừ 70.587 ₫ sang tháng sau" in text
        card = text.split('<li data-member="2">')[1].split("</summary>")[0]
        assert "-70.587" not in card  # its summary line says it in words
        payouts = money(hong.get(f"/months/{month}/payouts").text)
        assert "chưa có tiền nhận; còn trừ 70.587 ₫ sang tháng sau" in payouts


def test_ngoc_sees_her_sold_dress_and_the_refund(app, trial):
    ngoc = phone_of(app, 2)
    november = ngoc.get("/months/2026-11/statements/2").text
    assert "Váy liền hoa nhí" in november and "110.000" in november and "77.000" in november
    december = ngoc.get("/months/2026-12/statements/2").text
    assert "Tiền trả lại trên hàng của chị" in december and "-77.000" in money(december)


def test_a_member_reads_only_her_own_statement(app, trial):
    ngoc = phone_of(app, 2)
    assert ngoc.get("/months/2026-11/statements/3").status_code == 403
    assert ngoc.get("/months/2026-11/statements/3.pdf").status_code == 403
    assert ngoc.get("/months/2026-11/statements.pdf").status_code == 403
    assert ngoc.get("/months/2026-11/close").status_code == 403
    assert ngoc.get("/months/2026-11/payouts").status_code == 403
    mine = ngoc.get("/months/2026-11/statement")
    assert mine.headers["Location"].endswith("/months/2026-11/statements/2")
    latest = ngoc.get("/statement")
    assert latest.headers["Location"].endswith("/months/2027-01/statements/2")
    hong = phone_of(app, 1)
    assert hong.get("/months/2026-11/statements/3").status_code == 200
    assert hong.get("/months/2026-11/statements/99").status_code == 404
    assert hong.get("/months/2026-13").status_code == 404
    stranger = app.test_client()
    assert stranger.get("/months/2026-11").status_code in (302, 303)


def test_statements_pdf_in_plain_vietnamese(app, trial):
    hong = phone_of(app, 1)
    text = pdf_text(hong.get("/months/2026-11/statements.pdf"))
    for name in ("Nguyễn Thị Hồng", "Nguyễn Thị Ngọc", "Nguyễn Thị Út"):
        assert name in text
    assert "27.857 ₫" in text and "98.429 ₫" in text and "62.764 ₫" in text
    assert "Cách tính" in text
    pdf = hong.get("/months/2026-11/statements.pdf").data
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "statements-2026-11.pdf").write_bytes(pdf)
    pages = subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"Pages:\s+(\d+)", pages).group(1) == "3", pages  # one member a page
    names = ("Nguyễn Thị Hồng", "Nguyễn Thị Ngọc", "Nguyễn Thị Út")
    assert sorted(names, key=text.index) == list(names)  # in the members' order
    app.config["PDF_PROCESSES"] = 1  # no workers: made in the web process, the same pages
    alone = pdf_text(hong.get("/months/2026-11/statements.pdf"))
    assert [page.split("\n")[3:] for page in alone.split("\f")] == [
        page.split("\n")[3:] for page in text.split("\f")
    ]
    own = pdf_text(phone_of(app, 3).get("/months/2026-11/statements/3.pdf"))
    assert "Nguyễn Thị Út" in own and "2.764 ₫" in own and "Nguyễn Thị Ngọc" not in own


def _statement_pdf_text(statement) -> str:
    """``statement`` printed as the statements PDF prints it, as text (in a request)."""
    from flask import render_template

    from shop.extensions import db
    from shop.i18n import month_label
    from shop.printing.pdf import PAPER, html_to_pdf
    from shop.services import month as month_service

    html = render_template(
        "month/statements_pdf.html",
        statements=[statement],
        label=month_label("2026-11"),
        settings=month_service.sharing_settings(db.session, "2026-11"),
        shop=None,
        now=datetime(2027, 2, 10, 3, tzinfo=UTC),
    )
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=html_to_pdf(html, stylesheets=(PAPER,)),
        capture_output=True,
        check=True,
    )
    return money(done.stdout.decode("utf-8"))


def _statement_pdf_words(statement) -> list[tuple[float, float, float, str]]:
    """The words of ``statement`` printed on paper, each with where it starts and ends on
    its page (x, y, x at its end, in points): pdftotext's bounding boxes."""
    from flask import render_template

    from shop.extensions import db
    from shop.i18n import month_label
    from shop.printing.pdf import PAPER, html_to_pdf
    from shop.services import month as month_service

    html = render_template(
        "month/statements_pdf.html",
        statements=[statement],
        label=month_label("2026-11"),
        settings=month_service.sharing_settings(db.session, "2026-11"),
        shop=None,
        now=datetime(2027, 2, 10, 3, tzinfo=UTC),
    )
    pdf = html_to_pdf(html, stylesheets=(PAPER,))
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)</word>')
    return [(float(x), float(y), float(end), text) for x, y, end, text in word.findall(boxes)]


@pytest.mark.parametrize("rates", ["one", "two"])
def test_statement_pdf_puts_each_sold_item_under_its_headings(app, trial, rates):
    """On paper each sold item's day is under "Ngày", what it sold for and her part end
    where their headings end (so does her rate under "Tỷ lệ" when the month has two), and
    its code under "Món hàng"; a description too long for one line goes on under the code,
    not under the day."""
    import dataclasses

    from shop.extensions import db
    from shop.i18n import format_day
    from shop.services import statements as statement_service

    long = (
        "Áo khoác dạ dáng dài hai hàng khuy, cổ bẻ, lót lụa, còn mới chín mươi phần trăm, "
        "hàng Hàn Quốc xách tay, vừa người năm mươi đến năm mươi lăm cân"
    )
    with app.test_request_context():
        owner = statement_service.member_by_number(db.session, 2)
        statement = statement_service.statement(db.session, owner, "2026-11", app.config["SHOP_TZ"])
        first = dataclasses.replace(statement.sold[0], description=long)
        sold = (first, *statement.sold[1:])
        if rates == "two":  # settings changed within the month: a line at another rate
            sold += (dataclasses.replace(sold[-1], code="Z", consignor_bp=6000),)
        big = dataclasses.replace(sold[-1], code="BIG", net_dong=9_999_999, split_dong=1_000)
        statement = dataclasses.replace(statement, sold=(*sold, big))
        days = [format_day(line.sold_on) for line in statement.sold]
        words = _statement_pdf_words(statement)
        db.session.rollback()

    def at(text, after=0):
        return next(i for i in range(after, len(words)) if words[i][3] == text)

    day = at("Ngày")
    sold_end = words[at("được", day)][2]  # "Bán được"
    yours_end = words[at("chị", day)][2]  # "Phần của chị"
    item_x = words[at("Món", day)][0]
    for line, day_text in zip(statement.sold, days, strict=True):
        code = at(line.code, day)
        assert abs(words[code][0] - item_x) < 1, (line.code, words[code], item_x)
        on_line = [w for w in words if abs(w[1] - words[code][1]) < 1 and w[0] < item_x]
        assert on_line[0][3] == day_text and abs(on_line[0][0] - words[day][0]) < 1
        amounts = [w for w in on_line if w[3] == "₫"]  # each amount ends with its ₫
        assert len(amounts) == 2, on_line
        assert abs(amounts[0][2] - sold_end) < 1 and abs(amounts[1][2] - yours_end) < 1
        if rates == "two":
            rate = f"{line.consignor_bp / 100:g}%"
            assert any(w[3] == rate and abs(w[2] - words[at("lệ", day)][2]) < 1 for w in on_line)
    # the long description: its words after the code, down to the next line's day
    code = at(first.code, day)
    rest = words[code + 1 : code + 1 + len(first.description.split())]
    assert " ".join(text for _x, _y, _e, text in rest).endswith(long)
    lines = sorted({round(y) for _x, y, _e, _t in rest})
    assert len(lines) >= 2  # it does not fit on one line
    for y in lines[1:]:
        start = min(x for x, wy, _e, _t in rest if round(wy) == y)
        assert abs(start - item_x) < 1, (y, start, item_x)


def _dong(amount: int) -> str:
    return re.escape(f"{amount:,}".replace(",", ".") + " ₫")


@pytest.mark.parametrize("rates", ["one", "two"])
def test_statement_pdf_gives_each_sold_item_one_line(app, trial, rates):
    """On paper each of her sold items is one line: day, what it sold for, her rate when it
    is not the same on every line (else it is said once, by the total), her part, code and
    description; the total once, not repeated at the foot of every page."""
    import dataclasses

    from shop.extensions import db
    from shop.i18n import format_day
    from shop.services import statements as statement_service

    with app.test_request_context():
        owner = statement_service.member_by_number(db.session, 2)
        statement = statement_service.statement(db.session, owner, "2026-11", app.config["SHOP_TZ"])
        assert statement.sold
        line = statement.sold[0]
        if rates == "two":  # settings changed within the month: a second line at another rate
            other = dataclasses.replace(
                line, code="Z", consignor_bp=6000, split_dong=line.net_dong * 6000 // 10000
            )
            statement = dataclasses.replace(statement, sold=(*statement.sold, other))
        days = [format_day(line.sold_on) for line in statement.sold]
        text = _statement_pdf_text(statement)
        db.session.rollback()

    for line, day in zip(statement.sold, days, strict=True):
        rate = rf"\s+{line.consignor_bp / 100:g}%" if rates == "two" else ""
        row = (
            rf"(?m)^\s*{re.escape(day)}\s+{_dong(line.net_dong)}{rate}\s+{_dong(line.split_dong)}"
            rf"\s+{re.escape(line.code)}\s+{re.escape(line.description)}(?: × \d+)?\s*$"
        )
        assert re.search(row, text), (row, text)
    if rates == "one":
        assert f"phần của chị: {line.consignor_bp / 100:g}% giá bán mỗi món" in text  # once
    assert sum("Tổng cộng" in text for text in text.splitlines()) == 1


def test_statement_pdf_has_a_signature_line_for_cash_still_to_pay(app, trial):
    """On paper, a member who is still owed money signs for it when it is paid in cash; one
    with nothing left to pay has no signature line."""
    from shop.extensions import db
    from shop.services import statements as statement_service

    with app.app_context():
        owed = {
            s.member.number: s.mine.due_dong - s.mine.paid_dong
            for s in statement_service.statements(db.session, "2027-01", app.config["SHOP_TZ"])
            if s.mine is not None
        }
        db.session.rollback()
    assert any(left > 0 for left in owed.values()) and any(left <= 0 for left in owed.values())
    hong = phone_of(app, 1)
    for number, left in owed.items():
        text = pdf_text(hong.get(f"/months/2027-01/statements/{number}.pdf"))
        if left > 0:
            amount = f"{left:,}".replace(",", ".") + " ₫"
            assert f"Còn phải trả chị: {amount}" in text, (number, text)
            assert "Chữ ký người nhận" in text and "Chữ ký người chi" in text
        else:
            assert "Chữ ký người nhận" not in text, number
    # the phone page has no signature line
    assert "Chữ ký người nhận" not in hong.get("/months/2027-01/statements/1").text


def test_monthly_report_pdf_has_the_tables_and_the_charts(app, trial):
    hong = phone_of(app, 1)
    response = hong.get("/months/2027-01/report.pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-2027-01.pdf").write_bytes(response.data)
    text = pdf_text(response)
    assert "Báo cáo tháng" in text
    assert "57.000 ₫" in text and "5.700 ₫" in text and "51.300 ₫" in text
    assert "Trần Thị Lan" in text
    assert "T11/26" in text and "T1/27" in text  # the charts' months, drawn as SVG text


def test_payouts_never_more_than_due(app, trial, clock):
    clock.set(datetime(2027, 2, 12, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    page = hong.get("/months/2027-01/payouts")
    assert page.status_code == 200
    too_much = hong.post(
        "/months/2027-01/payouts",
        data={"member": "1", "amount_dong": "20000", "paid_on": "11/02/2027", "method": "cash"},
    )
    assert too_much.status_code == 422 and "19.238" in money(too_much.text)
    nothing_due = hong.post(
        "/months/2027-01/payouts",
        data={"member": "2", "amount_dong": "1000", "paid_on": "11/02/2027", "method": "cash"},
    )
    assert nothing_due.status_code == 422
    paid = hong.post(
        "/months/2027-01/payouts",
        data={"member": "1", "amount_dong": "19.238", "paid_on": "11/02/2027", "method": "cash"},
    )
    assert paid.status_code == 303
    statement = phone_of(app, 1).get("/months/2027-01/statements/1").text
    assert money(re.search(r'data-testid="carried">([^<]+)<', statement).group(1)) == "0 ₫"
    sheet = pdf_text(hong.get("/months/2027-01/payouts.pdf"))
    assert "Ký nhận" in sheet and "Trần Thị Lan" in sheet and "19.237 ₫" in sheet


def test_a_coordinator_corrects_a_payout_on_the_payouts_page(app, trial, clock):
    clock.set(datetime(2027, 2, 12, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    paid = hong.post(  # meant for Lan (4), recorded for Út (3): 9.000 ₫ of her 9.176 ₫
        "/months/2027-01/payouts",
        data={"member": "3", "amount_dong": "9000", "paid_on": "11/02/2027", "method": "cash"},
    )
    assert paid.status_code == 303
    page = hong.get("/months/2027-01/payouts").text
    payout_id = int(re.search(r'data-testid="payout-(\d+)"', page).group(1))
    url = f"/months/2027-01/payouts/{payout_id}/correct"
    form = hong.get(url)
    assert form.status_code == 200 and 'value="9.000"' in form.text  # all of it, offered
    assert phone_of(app, 2).get(url).status_code == 403
    assert hong.get(f"/months/2026-12/payouts/{payout_id}/correct").status_code == 404

    no_reason = hong.post(url, data={"amount_dong": "5000", "reason": " "})
    assert no_reason.status_code == 422
    assert "Hãy ghi lý do sửa khoản chi trả." in no_reason.text
    assert 'value="5000"' in no_reason.text  # what she typed is kept
    too_much = hong.post(url, data={"amount_dong": "9001", "reason": "nhầm người"})
    assert too_much.status_code == 422 and "9.000 ₫" in money(too_much.text)
    assert 'value="nhầm người"' in too_much.text

    done = hong.post(url, data={"amount_dong": "9000", "reason": "Trả nhầm cho chị Út"})
    assert done.status_code == 303
    page = money(hong.get("/months/2027-01/payouts").text)
    assert "Trả nhầm cho chị Út" in page and "<s>9.000 ₫</s> 0 ₫" in page
    statement = phone_of(app, 3).get("/months/2027-01/statements/3").text
    assert money(re.search(r'data-testid="paid">([^<]+)<', statement).group(1)) == "0 ₫"
    assert "Trả nhầm cho chị Út" in statement and "+9.000 ₫" in money(statement)
    pdf = pdf_text(hong.get("/months/2027-01/statements/3.pdf"))
    assert "Trả nhầm cho chị Út" in pdf and "+9.000 ₫" in pdf
    audit = hong.get("/audit?action=payout_corrected").text
    assert "Trả nhầm cho chị Út" in audit
    assert (
        hong.post(
            "/months/2027-01/payouts",
            data={"member": "4", "amount_dong": "19000", "paid_on": "12/02/2027", "method": "cash"},
        ).status_code
        == 303
    )


def test_closing_a_month_from_its_preview(app, trial, clock):
    hong = phone_of(app, 1)
    # February has not ended: the preview says why it cannot close.
    early = hong.get("/months/2027-02/close")
    assert early.status_code == 200 and 'data-testid="refusal"' in early.text
    refused = hong.post("/months/2027-02/close", follow_redirects=True)
    assert "chưa hết" in refused.text
    clock.set(datetime(2027, 3, 2, 3, 0, tzinfo=UTC))
    preview = hong.get("/months/2027-02/close")
    assert 'data-testid="close"' in preview.text
    closed = hong.post("/months/2027-02/close")
    assert closed.status_code == 303
    assert "Đã chốt sổ" in hong.get("/months/2027-02").text
    # Nothing more goes into a closed month.
    late = hong.post(
        "/expenses/", data={"spent_on": "20/02/2027", "category": "supplies", "amount_dong": "5k"}
    )
    assert late.status_code == 422 and "đã chốt: hãy ghi điều chỉnh vào tháng hiện tại" in late.text


def test_expenses_recorded_corrected_and_removed_with_history(app, trial, clock):
    clock.set(datetime(2027, 2, 10, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    added = hong.post(
        "/expenses/",
        data={
            "spent_on": "09/02/2027",
            "category": "supplies",
            "amount_dong": "12k",
            "note": "túi",
        },
    )
    assert added.status_code == 303
    listing = hong.get("/expenses/?month=2027-02")
    assert "12.000" in listing.text and "túi" in listing.text
    expense_id = re.search(r'href="/expenses/(\d+)"', listing.text).group(1)
    bad = hong.post(
        f"/expenses/{expense_id}",
        data={"spent_on": "09/02/2027", "category": "supplies", "amount_dong": "-5"},
    )
    assert bad.status_code == 422
    fixed = hong.post(
        f"/expenses/{expense_id}",
        data={
            "spent_on": "09/02/2027",
            "category": "supplies",
            "amount_dong": "15k",
            "note": "túi",
        },
    )
    assert fixed.status_code == 303
    history = hong.get(f"/expenses/{expense_id}")
    assert 'data-testid="revisions"' in history.text and "12.000" in history.text
    removed = hong.post(f"/expenses/{expense_id}", data={"action": "remove"})
    assert removed.status_code == 303
    assert "đã xóa" in hong.get("/expenses/?month=2027-02").text
    # A closed month's expense is final.
    closed = hong.get("/expenses/?month=2026-11")
    old_id = re.search(r'href="/expenses/(\d+)"', closed.text).group(1)
    assert "đã chốt sổ" in hong.get(f"/expenses/{old_id}").text
    # A member records, but only a coordinator corrects.
    ngoc = phone_of(app, 2)
    assert ngoc.get(f"/expenses/{expense_id}").status_code == 403


def test_sharing_settings_from_an_open_month(app, trial):
    hong = phone_of(app, 1)
    page = hong.get("/settings/sharing")
    assert page.status_code == 200 and 'value="70"' in page.text
    bad = hong.post(
        "/settings/sharing",
        data={
            "from_month": "2027-02",
            "consignor_percent": "120",
            "reserve_percent": "10",
            "equal_percent": "50",
            "first_days": "30",
            "first_percent": "25",
            "clearance_days": "90",
        },
    )
    assert bad.status_code == 422
    saved = hong.post(
        "/settings/sharing",
        data={
            "from_month": "2027-02",
            "consignor_percent": "60",
            "reserve_percent": "20",
            "equal_percent": "40",
            "first_days": "20",
            "first_percent": "30",
            "second_days": "45",
            "second_percent": "60",
            "clearance_days": "80",
        },
    )
    assert saved.status_code == 303
    page = hong.get("/settings/sharing").text
    assert "quỹ 20%" in page
    # A closed month keeps the settings it was closed with.
    closed_month = hong.post(
        "/settings/sharing",
        data={
            "from_month": "2027-01",
            "consignor_percent": "60",
            "reserve_percent": "20",
            "equal_percent": "40",
            "first_days": "20",
            "first_percent": "30",
            "clearance_days": "80",
        },
    )
    assert closed_month.status_code == 422
    assert phone_of(app, 2).get("/settings/sharing").status_code == 403


def test_every_statement_made_in_the_background_with_progress(app, trial):
    import time

    hong = phone_of(app, 1)
    started = hong.post("/months/2026-11/statements/render")
    assert started.status_code == 303
    progress_url = started.headers["Location"]
    deadline = time.monotonic() + 60
    page = hong.get(progress_url)
    while "Đang tạo sao kê" in page.text and time.monotonic() < deadline:
        assert 'http-equiv="refresh"' in page.text and "<progress" in page.text
        time.sleep(0.2)
        page = hong.get(progress_url)
    assert "Xong: 3 bản sao kê." in page.text
    pdf_url = re.search(r'href="([^"]+\.pdf)"', page.text).group(1)
    text = pdf_text(hong.get(pdf_url))
    assert "Nguyễn Thị Út" in text and "62.764 ₫" in text
    assert phone_of(app, 2).get(progress_url).status_code == 403
    assert hong.get("/months/2026-11/statements/render/" + "0" * 32).status_code == 404
    assert hong.get("/months/2026-11/statements/render/../../secret_key").status_code == 404


def test_cli_writes_a_months_statements(app, trial, runner, tmp_path):
    target = tmp_path / "sao-ke.pdf"
    result = runner.invoke(args=["month", "statements", "2027-01", "--to", str(target)])
    assert result.exit_code == 0, result.output
    done = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, check=True)
    text = money(done.stdout.decode())
    assert "Trần Thị Lan" in text and "19.237 ₫" in text
    bad = runner.invoke(args=["month", "statements", "2027-13", "--to", str(target)])
    assert bad.exit_code != 0
    empty = runner.invoke(args=["month", "statements", "2020-01", "--to", str(target)])
    assert empty.exit_code != 0
    assert "error: không thành viên nào có phần trong 2020-01" in empty.output, empty.output


def test_cash_is_offered_in_whole_thousands_and_no_one_signs_for_nothing(app, trial, clock):
    clock.set(datetime(2027, 2, 12, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    page = money(hong.get("/months/2027-01/payouts").text)
    offered = re.search(r'data-testid="cash-1">([^<]+)<', page).group(1)
    assert offered == "trả tiền mặt 19.000 ₫"  # 19.238 ₫ due: no coins below 1.000 ₫
    sheet = pdf_text(hong.get("/months/2027-01/payouts.pdf"))
    assert "Tiền mặt trao" in sheet and "19.000 ₫" in sheet
    # Member 2's due is below zero: nothing to hand over, nothing to sign.
    row = next(line for line in sheet.splitlines() if "Nguyễn Thị Ngọc" in line)
    assert row.rstrip().endswith("không cần ký")
    # The exact amount is still what she is owed: a transfer pays it all.
    paid = hong.post(
        "/months/2027-01/payouts",
        data={"member": "1", "amount_dong": "19.238", "paid_on": "11/02/2027",
              "method": "transfer"},
    )  # fmt: skip
    assert paid.status_code == 303


def test_cash_to_hand_over_is_whole_thousands():
    from shop.domain.money import cash_to_hand_over

    assert [cash_to_hand_over(n) for n in (19_238, 999, 1_000, 0, -70_587, 74_400)] == [
        19_000, 0, 1_000, 0, 0, 74_000,
    ]  # fmt: skip


@pytest.mark.parametrize("month", ["2026-11", "2026-12", "2027-01"])
def test_statement_pdf_keeps_every_word_inside_the_page(app, trial, month):
    """A long balance in words ("nothing to pay; … taken from next month") wraps in its cell
    instead of running off the paper's right edge."""
    pdf = phone_of(app, 1).get(f"/months/{month}/statements.pdf").data
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    words = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', boxes)
    assert words
    margin = 10 / 25.4 * 72  # 10 mm in points: the page's margin is wider than this
    outside = [word for x_max, word in words if float(x_max) > width - margin]
    assert outside == []
