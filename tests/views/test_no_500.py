"""Whatever arrives, the answer is a page or a JSON 4xx, never a 500 (nor a crash)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.extensions import db

FIELDS = [
    "name",
    "phone",
    "role",
    "joined_on",
    "left_on",
    "pin",
    "current_pin",
    "new_pin",
    "confirm_pin",
    "shop_name",
    "number",
    "csrf_token",
    "lang",
    "next",
    "kind",
    "received_on",
    "donor_name",
    "donor_phone",
    "donor_organisation",
    "owner",
    "supplier",
    "cost",
    "category",
    "description",
    "size",
    "condition",
    "price_dong",
    "is_lot",
    "quantity",
    "reason",
    "note",
    "owner_consents",
    "action",
    "price-price_dong",
    "price-reason",
    "out-kind",
    "out-note",
    "out-owner_consents",
    "opening_float_dong",
    "counted_cash_dong",
    "code",
    "sale_discount_dong",
    "discount_dong",
    "discount_reason",
    "method",
    "tendered_dong",
    "transfer_dong",
    "client_id",
    "bank_bin",
    "bank_account",
    "lines",
    "line",
    "amount_dong",
    "restock",
    "spent_on",
    "paid_on",
    "member",
    "month",
    "expense",
    "connection",
    "host",
    "port",
    "usb_vendor_id",
    "usb_product_id",
    "serial_device",
    "baudrate",
    "path",
    "cups_queue",
    "paper_mm",
    "profile",
    "mode",
    "drawer_pin",
    "auto_receipt",
    "codes",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=300),
    st.sampled_from(
        [
            "0912000001",
            "2026-02-30",
            "31/12/2026",
            "coordinator",
            "member",
            "2468",
            "\x00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "١٢٣٤",
        ]
    ),
)
json_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def token(app, coordinator, member):
    """A coordinator's token on a shop with intake N1 (item 10008) and N2 (consigned 10019)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from shop.models import IntakeKind, Role
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        stock.seed_categories(db.session)
        boss = svc.get_member(db.session, coordinator)
        at, tz = datetime(2026, 11, 1, 2, tzinfo=UTC), ZoneInfo("Asia/Ho_Chi_Minh")
        donation = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, at), by=boss, tz=tz
        )
        stock.add_item(db.session, donation, stock.ItemDetails("Áo", 50_000))
        consignment = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.CONSIGNMENT, at, owner_number=2),
            by=boss,
            tz=tz,
        )
        stock.add_item(db.session, consignment, stock.ItemDetails("Váy", 120_000))
        from datetime import date

        from shop.services import expenses

        expenses.add_expense(
            db.session, expenses.ExpenseDetails(date(2026, 11, 2), "supplies", 14_950), by=boss
        )
        _row, secret = svc.create_token(db.session, boss, "fuzz", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@FUZZ
@given(
    body=st.one_of(json_values, st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=7)),
    target=st.sampled_from(
        [
            ("post", "/api/v1/members"),
            ("patch", "/api/v1/members/1"),
            ("put", "/api/v1/members/1/pin"),
            ("post", "/api/v1/tokens"),
            ("post", "/api/v1/me/pin"),
            ("post", "/api/v1/intakes"),
            ("post", "/api/v1/intakes/N1/items"),
            ("post", "/api/v1/items/10008/price"),
            ("post", "/api/v1/items/10019/disposals"),
            ("put", "/api/v1/price-suggestions"),
            ("post", "/api/v1/categories"),
            ("post", "/api/v1/donors"),
            ("post", "/api/v1/shifts"),
            ("post", "/api/v1/shifts/current/close"),
            ("post", "/api/v1/sales"),
            ("post", "/api/v1/sales/1/void"),
            ("post", "/api/v1/sales/1/refunds"),
            ("post", "/api/v1/expenses"),
            ("patch", "/api/v1/expenses/1"),
            ("post", "/api/v1/payouts"),
            ("post", "/api/v1/months/2026-10/close"),
            ("post", "/api/v1/months/2026-11/close"),
        ]
    ),
)
def test_api_answers_any_json_with_a_4xx_or_success(client, token, body, target):
    method, path = target
    response = getattr(client, method)(path, json=body, headers=token)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.is_json and response.json["error"]
        named = {name for name in response.json["fields"] if not name.startswith("lines[")}
        assert named <= set(FIELDS) | {"body", "shift"} | (
            set(body) if isinstance(body, dict) else set()
        )


@FUZZ
@given(
    form=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=200), max_size=8),
    path=st.sampled_from(
        [
            "/sign-in",
            "/members/new",
            "/members/1/edit",
            "/members/1/pin",
            "/account/pin",
            "/switch/1",
            "/members/tokens",
            "/language",
            "/intake/new",
            "/intake/N1",
            "/stock/10008",
            "/stock/10019",
            "/stock/prices",
            "/counter/shift/open",
            "/counter/add",
            "/counter/discount",
            "/counter/pay",
            "/counter/shift/close",
            "/settings/shop",
            "/printer/",
            "/printer/labels",
            "/printer/sales/1/reprint",
            "/printer/shifts/1/report",
        ]
    ),
)
def test_pages_answer_any_form_without_a_500(as_coordinator, token, form, path):
    response = as_coordinator.post(path, data=form)
    assert response.status_code < 500


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ]
    ),
)
def test_api_answers_garbage_bodies_with_a_4xx(client, token, raw, content_type):
    response = client.post(
        "/api/v1/members", data=raw, headers={**token, "Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500


@FUZZ
@given(
    args=st.dictionaries(
        st.sampled_from(
            ["q", "category", "size", "status", "owner", "page", "per_page", "month", "removed"]
        ),
        st.text(max_size=40),
        max_size=5,
    ),
    path=st.sampled_from(
        [
            "/stock/",
            "/stock/clearance",
            "/api/v1/items",
            "/api/v1/donors",
            "/api/v1/stock/clearance",
            "/api/v1/expenses",
            "/api/v1/payouts",
            "/api/v1/months/2026-11",
        ]
    ),
)
def test_searches_answer_any_query_string_without_a_500(as_coordinator, token, args, path):
    response = as_coordinator.get(path, query_string=args)
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/stock/?q=%00ao", {}),
        ("get", "/stock/A%00", {}),
        ("get", "/intake/N%001", {}),
        ("get", "/intake/donors?q=%00", {}),
        ("get", "/api/v1/items?q=%00", {}),
        ("get", "/api/v1/donors?q=%00", {}),
        ("get", "/api/v1/items/A%00", {}),
        ("post", "/intake/new", {"data": {"kind": "donation", "donor_name": "Chị\x00 Mai"}}),
        ("post", "/api/v1/donors", {"json": {"name": "\x00"}}),
        (
            "post",
            "/api/v1/sales",
            {"json": {"client_id": "abcdefgh1", "lines": [{"code": "\x00"}]}},
        ),
    ],
)
def test_nul_bytes_are_cleaned_or_refused_never_a_500(as_coordinator, token, method, path, kwargs):
    """PostgreSQL refuses NUL characters in text; they must never reach it."""
    kwargs = dict(kwargs)
    if path.startswith("/api/"):
        kwargs["headers"] = token
    response = getattr(as_coordinator, method)(path, **kwargs)
    assert response.status_code < 500
