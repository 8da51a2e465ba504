"""Who may call what: every registered route, walked by a stranger, a member and a
coordinator, each outcome checked against the table below. A route missing from the table
fails the test, so a new route is never open by accident."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from tests.conftest import TRIAL_PINS, sign_in
from tests.security.walk import SKIPPED, call, member_token, routes

EXPIRED = "Trang này đã hết hạn. Vui lòng thử lại."
#: Open to people who have not signed in.
PUBLIC = {
    "auth.sign_in", "main.setup", "main.health", "main.set_language", "static",
    "counter.manifest", "counter.service_worker", "stock.count_service_worker",
}  # fmt: skip
#: The bank services' webhooks: no sign-in and no token, their own key or signature instead;
#: whoever lacks it (a stranger, a member, a coordinator alike) gets 401, and no CSRF token
#: is asked (SePay and Casso post from their servers).
WEBHOOKS = {"api.sepay_webhook", "api.casso_webhook"}
#: Coordinators only: a member gets 403.
COORDINATOR = {
    "api.close_month", "api.close_count", "api.create_category", "api.create_member",
    "api.open_count",
    "api.create_payout", "api.correct_payout", "api.create_token", "api.edit_expense",
    "api.export", "api.import_",
    "api.list_tokens", "api.remove_expense", "api.reset_member_pin", "api.revoke_token",
    "api.set_price_suggestion", "api.update_member", "api.list_reviews", "api.resolve_review",
    "counter.notebook_sale", "counter.reviews", "counter.resolve_review", "counter.close_shift_for",
    "counter.bank_reviews", "counter.decide_bank_transaction",
    "api.list_bank_reviews", "api.decide_bank_transaction",
    "expenses.edit_expense", "main.audit_log", "main.shop_settings", "main.bank_settings",
    "main.bank_poll",
    "members.edit_member", "members.new_member", "members.reset_pin", "members.revoke_token",
    "members.tokens", "printing.settings", "printing.test_print", "month.all_statements_pdf",
    "printing.label_printer", "printing.test_label", "printing.reprint_job",
    "month.close_month", "month.correct_payout", "month.payout_sheet", "month.payouts",
    "month.sharing_settings",
    "month.start_statements", "month.statements_progress", "month.statements_rendered",
    "stock.price_table", "stock.open_count", "stock.count_result",
}  # fmt: skip
#: A member may read her own only (anyone's when the shop keeps open books): the walk asks
#: for member 1's (the coordinator's).
OWN = {"month.show_statement", "month.statement_pdf"}
#: Her own shift only (or a coordinator), whatever the shop's settings: its blind count's
#: figures and note. The walk asks for a shift of member 1's.
OWN_SHIFT = {"counter.shift_count"}
#: Coordinators, and members too when the shop lets members record expenses (off by
#: default: a member gets 403). By (endpoint, method): the expenses page is read by all.
MEMBERS_IF_THE_SHOP_ALLOWS = {("api.create_expense", "POST"), ("expenses.list_expenses", "POST")}
#: Every member, but she gets the group's totals and her own lines only (every member's
#: when the shop keeps open books); a coordinator gets every member's lines.
HER_OWN_LINES = {"month.show_month", "month.report_pdf", "api.get_month", "api.list_payouts"}
#: Every member, but donors' phone numbers only for coordinators, whatever the settings.
NO_DONOR_CONTACTS = {"stock.donors", "api.list_donors", "api.create_donor"}
#: Every signed-in member, whatever her role.
SIGNED_IN = {
    "api.add_intake_item", "api.change_item_price", "api.change_my_pin", "api.clearance",
    "api.close_shift", "api.confirm_sale", "api.count_differences", "api.counter_rail",
    "api.csrf_token", "api.current_count", "api.get_count", "api.list_counts",
    "api.send_scans", "api.withdraw_scan",
    "api.create_donor", "api.create_expense", "api.create_intake",
    "api.create_sale", "api.current_shift", "api.day_z_report", "api.dispose_item",
    "api.get_expense", "api.get_intake", "api.get_item", "api.get_item_photo", "api.get_member",
    "api.get_month", "api.get_sale", "api.sale_receipt_bytes", "api.get_shift",
    "api.list_categories", "api.list_donors",
    "api.list_expenses", "api.list_intakes", "api.list_members", "api.list_payouts",
    "api.list_price_suggestions", "api.list_sales", "api.me", "api.my_items", "api.open_shift",
    "api.openapi", "api.put_item_photo", "api.refund_sale", "api.search_items",
    "api.shift_z_report", "api.stock_summary", "api.void_sale",
    "auth.change_pin", "auth.switch", "auth.switch_to", "auth.sign_out",
    "counter.add", "counter.basic", "counter.browser_receipt", "counter.change_line",
    "counter.close_shift",
    "counter.confirm", "counter.counter", "counter.empty", "counter.find", "counter.open_shift",
    "counter.pay", "counter.refund", "counter.sale_discount", "counter.sales",
    "counter.show_day_report", "counter.show_sale", "counter.show_shift_report", "counter.void",
    "expenses.list_expenses", "main.index", "members.list_members",
    "printing.print_labels", "printing.print_shift_report", "printing.reprint",
    "printing.sale_status", "month.current_month", "month.list_months",
    "month.my_latest_statement", "month.my_statement", "month.report_pdf",
    "month.show_month", "stock.clearance", "stock.donors", "stock.intake_tags",
    "stock.item_photo", "stock.item_tag", "stock.list_intakes", "stock.my_items",
    "stock.new_intake", "stock.search_stock", "stock.show_intake", "stock.show_item",
    "stock.stock_summary", "stock.upload_photo", "stock.list_counts", "stock.show_count",
}  # fmt: skip


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    tables = [PUBLIC, WEBHOOKS, COORDINATOR, OWN, OWN_SHIFT, SIGNED_IN]
    assert endpoints == set().union(*tables), "classify the new or removed routes"
    assert sum(len(table) for table in tables) == len(endpoints), "a route is in two tables"
    # What a member gets there depends on the shop's settings or on whose lines they are.
    assert {endpoint for endpoint, _method in MEMBERS_IF_THE_SHOP_ALLOWS} <= SIGNED_IN
    assert HER_OWN_LINES | NO_DONOR_CONTACTS <= SIGNED_IN
    methods = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in rule.methods}
    assert methods >= MEMBERS_IF_THE_SHOP_ALLOWS


def _shut_to_members(endpoint: str, method: str) -> bool:
    """Whether a plain member gets 403 there, with the shop's default settings."""
    return (
        endpoint in COORDINATOR | OWN | OWN_SHIFT
        or (endpoint, method) in MEMBERS_IF_THE_SHOP_ALLOWS
    )


@pytest.fixture
def walkers(app, trial):
    from shop.extensions import db
    from shop.models import Role
    from shop.services import members as member_service

    with app.app_context():  # token 1 is the one the walk revokes
        owner = member_service.get_member(db.session, 1)
        member_service.create_token(db.session, owner, "to revoke", Role.MEMBER)
        db.session.commit()
    member = app.test_client()
    assert sign_in(member, "0912000002", TRIAL_PINS[2]).status_code == 303
    boss = app.test_client()
    assert sign_in(boss, "0912000001", TRIAL_PINS[1]).status_code == 303
    return {
        "stranger": (app.test_client(), None),
        "member": (member, member_token(app, "member")),
        "coordinator": (boss, member_token(app, "coordinator")),
    }


def _answer(walkers, who, method, url):
    client, token = walkers[who]
    response = call(client, method, url, token if url.startswith("/api/") and token else None)
    status, location = response.status_code, response.headers.get("Location", "")
    response.close()
    return status, location


def test_each_route_answers_each_caller_as_the_table_says(app, walkers):
    wrong = []
    for endpoint, method, url in routes(app):
        api = url.startswith("/api/")
        if endpoint in WEBHOOKS:
            for who in walkers:
                status, _ = _answer(walkers, who, method, url)
                if status != 401:
                    wrong.append((endpoint, method, f"{who} without the key", status))
            continue
        status, location = _answer(walkers, "stranger", method, url)
        if status >= 500:
            wrong.append((endpoint, method, "stranger", status))
        elif endpoint in PUBLIC:
            if "/sign-in" in location and endpoint != "auth.sign_in":
                wrong.append((endpoint, method, "stranger sent to sign in", status))
        elif api and status != 401:
            wrong.append((endpoint, method, "stranger without a token", status))
        elif not api and (status not in (302, 303) or "/sign-in" not in location):
            wrong.append((endpoint, method, "stranger not sent to sign in", status))

        status, _ = _answer(walkers, "member", method, url)
        if status >= 500 or status == 401:
            wrong.append((endpoint, method, "member", status))
        elif _shut_to_members(endpoint, method) and status != 403:
            wrong.append((endpoint, method, "member let in", status))
        elif not _shut_to_members(endpoint, method) and status == 403:
            wrong.append((endpoint, method, "member shut out", status))

        status, _ = _answer(walkers, "coordinator", method, url)
        if status >= 500 or status in (401, 403):
            wrong.append((endpoint, method, "coordinator", status))
    assert wrong == []
    assert len(routes(app)) > 140  # the walk really walked
    assert set(SKIPPED) == {"auth.sign_out"}


def test_signing_out_ends_the_session(app, trial):
    client = app.test_client()
    sign_in(client, "0912000002", TRIAL_PINS[2])
    assert client.get("/").status_code == 200
    assert client.post("/sign-out").status_code in (302, 303)
    assert client.get("/").status_code in (302, 303)


def test_every_form_needs_its_csrf_token(app, walkers):
    """With CSRF on (as in production), a POST from another site's page is refused: on every
    page that takes a form, and on the API when it is called with the page's session."""
    app.config["WTF_CSRF_ENABLED"] = True
    member, _token = walkers["coordinator"]
    refused, let_through = [], []
    for endpoint, method, url in routes(app):
        if method == "GET" or endpoint in PUBLIC | WEBHOOKS or endpoint == "static":
            continue
        if url.startswith("/api/"):  # the page's session on the API: a JSON 400 naming it
            response = member.open(url, method=method, json={})
            stopped = response.status_code == 400 and "csrf_token" in response.json["fields"]
        else:  # a page: sent back with "this form has expired", nothing done
            response = member.open(url, method=method, data={}, follow_redirects=True)
            stopped = EXPIRED in response.text
        response.close()
        (refused if stopped else let_through).append((endpoint, method, response.status_code))
    assert let_through == []
    assert len(refused) > 60


def test_session_cookie_flags(app, trial):
    client = app.test_client()
    cookies = sign_in(client, "0912000002", TRIAL_PINS[2]).headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    # What SHOP_SECURE_COOKIES=true sets behind HTTPS:
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    cookies = sign_in(app.test_client(), "0912000002", TRIAL_PINS[2]).headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in c for c in cookies)


def test_pin_guessing_locks_on_the_api_too(app, trial):
    """Wrong PINs lock: signing in on a page (the device after three), and changing one's PIN
    through the API (after five)."""
    token = member_token(app, "member")  # acts as member 1
    wrong = {"current_pin": "0000", "new_pin": "8025", "confirm_pin": "8025"}
    client = app.test_client()
    answers = [client.post("/api/v1/me/pin", json=wrong, headers=token) for _ in range(5)]
    assert all("current_pin" in a.json["fields"] for a in answers)
    # Four times "not right", then the fifth locks it: 429 from then on.
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 429]
    right = {**wrong, "current_pin": TRIAL_PINS[1]}
    locked = client.post("/api/v1/me/pin", json=right, headers=token)
    assert locked.status_code == 429 and "khóa" in locked.json["fields"]["current_pin"][0]
    stranger = app.test_client()
    for _ in range(5):  # from one device: it is locked after three
        stranger.post("/sign-in", data={"phone": "0912000002", "pin": "0000"})
    assert sign_in(stranger, "0912000002", TRIAL_PINS[2]).status_code == 429


def _set_rules(app, **rules):
    """Save the shop's rules as its coordinator would on the settings page."""
    from shop.services import visibility

    with app.app_context():
        boss = _member(1)
        visibility.set_shop_rules(db.session, visibility.ShopRules(**rules), by=boss)
        db.session.commit()


def _member(number):
    from shop.services import members as member_service

    return member_service.get_member(db.session, number)


def test_the_shops_settings_open_to_members_what_they_say_and_no_more(app, walkers):
    """With open books and members recording expenses, a member gets every statement and
    records expenses; every coordinator's route, and another's shift count, still answer
    her 403."""
    _set_rules(app, open_books=True, members_record_expenses=True)
    wrong = []
    for endpoint, method, url in routes(app):
        if endpoint in WEBHOOKS:
            continue  # her key is not the bank service's, whatever the shop's rules
        status, _ = _answer(walkers, "member", method, url)
        if (
            status >= 500
            or status == 401
            or (endpoint in COORDINATOR | OWN_SHIFT) != (status == 403)
        ):
            wrong.append((endpoint, method, status))
    assert wrong == []


def _names_seen(app, text):
    from shop.models import Member

    with app.app_context():
        members = list(db.session.scalars(select(Member)))
    return {m.number for m in members if m.name in text}


def _lines_seen(app, client, endpoint) -> set[int]:
    """The members whose lines ``endpoint`` shows ``client`` for November 2026."""
    import re
    import subprocess

    if endpoint == "month.show_month":
        page = client.get("/months/2026-11")
        assert page.status_code == 200
        shown = {int(n) for n in re.findall(r'data-member="(\d+)"', page.text)}
        body = page.text.split("<main", 1)[-1]  # the chart names members too
        charted = _names_seen(app, body.split('class="card charts"', 1)[1])
        assert charted == shown, "the earnings chart shows the same members as the cards"
        return shown
    if endpoint == "month.report_pdf":
        pdf = client.get("/months/2026-11/report.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True, check=True
        ).stdout.decode()
        return _names_seen(app, text)
    if endpoint == "api.get_month":
        answer = client.get("/api/v1/months/2026-11")
        assert answer.status_code == 200 and answer.json["result_dong"] == 100_000
        return {line["member"] for line in answer.json["members"]}
    if endpoint == "api.list_payouts":
        answer = client.get("/api/v1/payouts?month=2026-11")
        assert answer.status_code == 200
        return {payout["member"] for payout in answer.json["items"]}
    raise AssertionError(f"say how {endpoint} shows members' lines")


@pytest.mark.parametrize("endpoint", sorted(HER_OWN_LINES))
def test_a_member_sees_her_own_lines_a_coordinator_everyones(app, trial, endpoint):
    ngoc, hong = app.test_client(), app.test_client()
    sign_in(ngoc, "0912000002", TRIAL_PINS[2])
    sign_in(hong, "0912000001", TRIAL_PINS[1])
    assert _lines_seen(app, ngoc, endpoint) == {2}
    assert _lines_seen(app, hong, endpoint) == {1, 2, 3}
    # The coordinator's own token made for the member role acts as a member.
    if endpoint.startswith("api."):
        token = _TokenClient(app, member_token(app, "member"))
        assert _lines_seen(app, token, endpoint) == {1}
    _set_rules(app, open_books=True)
    assert _lines_seen(app, ngoc, endpoint) == {1, 2, 3}
    assert ngoc.get("/months/2026-11/statements/3").status_code == 200
    _set_rules(app, open_books=False)
    assert _lines_seen(app, ngoc, endpoint) == {2}
    assert ngoc.get("/months/2026-11/statements/3").status_code == 403


class _TokenClient:
    """A client that sends a bearer token with every request (the API's way in)."""

    def __init__(self, app, headers):
        self.client, self.headers = app.test_client(), headers

    def get(self, url):
        return self.client.get(url, headers=self.headers)


def _phone_shown(client, endpoint) -> bool:
    """Whether ``endpoint`` shows the donor's phone number 0987 654 321 to ``client``."""
    if endpoint == "stock.donors":
        page = client.get("/intake/donors")
        assert page.status_code == 200 and "Cô Hạnh" in page.text
        return "0987654321" in page.text
    if endpoint == "api.list_donors":
        answer = client.get("/api/v1/donors").json["items"]
        found = client.get("/api/v1/donors?q=0987654").json["items"]  # a search by phone
        [hanh] = [d for d in answer if d["name"] == "Cô Hạnh"]
        return hanh["phone"] == "0987654321" and [d["name"] for d in found] == ["Cô Hạnh"]
    if endpoint == "api.create_donor":
        answer = client.post("/api/v1/donors", json={"name": "Anh Tú", "phone": "0987000111"})
        assert answer.status_code == 201
        return answer.json["phone"] == "0987000111"
    raise AssertionError(f"say how {endpoint} shows donors' contacts")


@pytest.mark.parametrize("endpoint", sorted(NO_DONOR_CONTACTS))
def test_donors_contacts_are_for_coordinators_even_with_open_books(app, trial, endpoint):
    ngoc, hong = app.test_client(), app.test_client()
    sign_in(ngoc, "0912000002", TRIAL_PINS[2])
    sign_in(hong, "0912000001", TRIAL_PINS[1])
    added = hong.post("/api/v1/donors", json={"name": "Cô Hạnh", "phone": "0987654321"})
    assert added.status_code == 201
    assert _phone_shown(hong, endpoint)
    assert not _phone_shown(ngoc, endpoint)
    _set_rules(app, open_books=True, members_record_expenses=True)
    assert not _phone_shown(ngoc, endpoint)
