"""The month through the API: figures, closing, expenses and payouts."""

from datetime import UTC, datetime

import pytest

from shop.extensions import db


@pytest.fixture
def tokens(app, stocked):
    """(coordinator's token, a member-role token) on :func:`stocked`'s shop."""
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, boss_secret = svc.create_token(db.session, boss, "books", Role.COORDINATOR)
        _row, member_secret = svc.create_token(db.session, boss, "meeting", Role.MEMBER)
        db.session.commit()
    return (
        {"Authorization": f"Bearer {boss_secret}"},
        {"Authorization": f"Bearer {member_secret}"},
    )


@pytest.fixture
def november(client, tokens, clock):
    """Hồng's shift of 20 November (200 minutes) sells A and Ngọc's B; bags for 14.950."""
    token, _ = tokens
    assert (
        client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token).status_code
        < 300
    )
    sale = {"client_id": "phone-1-0001", "lines": [{"code": "A"}, {"code": "B"}]}
    assert client.post("/api/v1/sales", json=sale, headers=token).status_code == 201
    clock.advance(minutes=200)
    closed = client.post(
        "/api/v1/shifts/current/close", json={"counted_cash_dong": 170000}, headers=token
    )
    assert closed.status_code == 200, closed.json
    bags = {"spent_on": "2026-11-20", "category": "supplies", "amount_dong": "14.950"}
    added = client.post("/api/v1/expenses", json=bags, headers=token)
    assert added.status_code == 201, added.json
    return added.json


def test_any_member_reads_an_open_month_with_her_own_line(client, tokens, november):
    """The group's totals for every member; the members' lines: hers (the member-role token
    acts as member 1), everyone's for a coordinator (who sees all)."""
    boss_token, member_token = tokens

    response = client.get("/api/v1/months/2026-11", headers=member_token)

    assert response.status_code == 200, response.json
    month = response.json
    assert (month["month"], month["closed"]) == ("2026-11", False)
    assert (month["pool_sales_dong"], month["expenses_dong"], month["result_dong"]) == (
        86_000,
        14_950,
        71_050,
    )
    assert [(m["member"], m["work_minutes"], m["due_dong"]) for m in month["members"]] == [
        (1, 200, 15_986 + 31_973),
    ]
    everyone = client.get("/api/v1/months/2026-11", headers=boss_token).json
    assert [(m["member"], m["work_minutes"], m["due_dong"]) for m in everyone["members"]] == [
        (1, 200, 15_986 + 31_973),
        (2, 0, 84_000 + 15_986),
    ]
    assert set(month) == {
        "month",
        "closed",
        "pool_sales_dong",
        "expenses_dong",
        "brought_loss_dong",
        "result_dong",
        "reserve_dong",
        "distributable_dong",
        "carried_loss_dong",
        "equal_total_dong",
        "work_total_dong",
        "members",
    }


def test_closing_a_month_through_the_api(client, tokens, november, clock):
    token, member_token = tokens
    assert client.post("/api/v1/months/2026-11/close", headers=member_token).status_code == 403
    early = client.post("/api/v1/months/2026-11/close", headers=token)
    assert early.status_code == 422 and list(early.json["fields"]) == ["month"]

    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    closed = client.post("/api/v1/months/2026-11/close", headers=token)

    assert closed.status_code == 200, closed.json
    assert closed.json["closed"] is True
    assert closed.json == client.get("/api/v1/months/2026-11", headers=token).json
    again = client.post("/api/v1/months/2026-11/close", headers=token)
    assert again.status_code == 422 and "month" in again.json["fields"]
    late = client.post(
        "/api/v1/expenses",
        json={"spent_on": "30/11/2026", "category": "other", "amount_dong": 1000},
        headers=token,
    )
    assert late.status_code == 422 and list(late.json["fields"]) == ["spent_on"]


def test_payouts_through_the_api(client, tokens, november, clock):
    token, member_token = tokens
    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    assert client.post("/api/v1/months/2026-11/close", headers=token).status_code < 300
    clock.set(datetime(2026, 12, 3, 2, tzinfo=UTC))  # the payouts below are paid by then

    def pay(**body):
        payout = {"member": 2, "month": "2026-11", "amount_dong": 99_986, "paid_on": "2026-12-02"}
        return client.post("/api/v1/payouts", json=payout | body, headers=token)

    above = pay(amount_dong=99_987)
    assert above.status_code == 422 and list(above.json["fields"]) == ["amount_dong"]
    assert pay(member=9).json["fields"].keys() == {"member"}
    assert pay(month="2026-13").json["fields"].keys() == {"month"}
    assert pay(month="2026-12").json["fields"].keys() == {"month"}
    assert pay(paid_on="2026-11-30").json["fields"].keys() == {"paid_on"}
    assert pay(method="gold").json["fields"].keys() == {"method"}
    assert client.post("/api/v1/payouts", json={}, headers=token).json["fields"].keys() == {
        "member",
        "month",
        "amount_dong",
        "paid_on",
    }
    assert pay(member=1, amount_dong=1).status_code == 201
    refused = client.post(
        "/api/v1/payouts",
        json={"member": 2, "month": "2026-11", "amount_dong": 1, "paid_on": "2026-12-02"},
        headers=member_token,
    )
    assert refused.status_code == 403

    paid = pay(method="transfer", note="chuyển khoản")

    assert paid.status_code == 201, paid.json
    assert {k: v for k, v in paid.json.items() if k not in ("id", "created_at")} == {
        "member": 2,
        "month": "2026-11",
        "amount_dong": 99_986,
        "paid_on": "2026-12-02",
        "method": "transfer",
        "note": "chuyển khoản",
        "by": 1,
        "net_dong": 99_986,
        "corrections": [],
    }
    listed = client.get("/api/v1/payouts?month=2026-11", headers=token).json["items"]
    assert [(p["member"], p["amount_dong"]) for p in listed] == [(1, 1), (2, 99_986)]
    month = client.get("/api/v1/months/2026-11", headers=token).json
    assert [(m["paid_dong"], m["carried_forward_dong"]) for m in month["members"]] == [
        (1, 47_958),
        (99_986, 0),
    ]
    # The member-role token (member 1's) gets her own payouts and line only.
    hers = client.get("/api/v1/payouts?month=2026-11", headers=member_token).json["items"]
    assert [(p["member"], p["amount_dong"]) for p in hers] == [(1, 1)]
    month = client.get("/api/v1/months/2026-11", headers=member_token).json
    assert [(m["member"], m["paid_dong"]) for m in month["members"]] == [(1, 1)]
    assert pay(amount_dong=1).json["fields"].keys() == {"amount_dong"}  # nothing left
    assert client.get("/api/v1/payouts?month=11-2026", headers=token).status_code == 422


def test_a_payout_is_corrected_through_the_api(client, tokens, november, clock):
    token, member_token = tokens
    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    assert client.post("/api/v1/months/2026-11/close", headers=token).status_code < 300
    clock.set(datetime(2026, 12, 3, 2, tzinfo=UTC))
    wrong = client.post(
        "/api/v1/payouts",
        json={"member": 2, "month": "2026-11", "amount_dong": 50_000, "paid_on": "2026-12-02"},
        headers=token,
    ).json

    def correct(payout_id=wrong["id"], headers=token, **body):
        body = {"amount_dong": 20_000, "reason": "gõ nhầm số tiền"} | body
        return client.post(f"/api/v1/payouts/{payout_id}/corrections", json=body, headers=headers)

    assert correct(headers=member_token).status_code == 403
    assert correct(payout_id=999).status_code == 404
    assert correct(reason="  ").json["fields"].keys() == {"reason"}
    assert correct(amount_dong=50_001).json["fields"].keys() == {"amount_dong"}
    assert correct(amount_dong="nhiều").json["fields"].keys() == {"amount_dong"}
    assert client.post(f"/api/v1/payouts/{wrong['id']}/corrections", json={}, headers=token).json[
        "fields"
    ].keys() == {"amount_dong", "reason"}

    done = correct(client_id="fix-0000-0001")
    assert done.status_code == 201, done.json
    assert done.json["amount_dong"] == 50_000 and done.json["net_dong"] == 30_000
    [entry] = done.json["corrections"]
    assert {k: v for k, v in entry.items() if k not in ("id", "at")} == {
        "amount_dong": 20_000,
        "reason": "gõ nhầm số tiền",
        "by": 1,
    }
    again = correct(client_id="fix-0000-0001")  # sent twice: made once
    assert again.status_code == 201 and len(again.json["corrections"]) == 1
    month = client.get("/api/v1/months/2026-11", headers=token).json  # everyone's lines
    ngoc = next(m for m in month["members"] if m["member"] == 2)
    assert ngoc["paid_dong"] == 30_000
    assert ngoc["carried_forward_dong"] == ngoc["due_dong"] - 30_000
    listed = client.get("/api/v1/payouts?month=2026-11", headers=token).json["items"]
    assert [(p["amount_dong"], p["net_dong"]) for p in listed] == [(50_000, 30_000)]


def test_expenses_through_the_api(client, tokens, november, clock):
    token, member_token = tokens
    clock.set(datetime(2026, 11, 25, 3, tzinfo=UTC))
    refused = client.post(
        "/api/v1/expenses",
        json={"spent_on": "2026-11-21", "category": "rent", "amount_dong": 1},
        headers=member_token,
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/expenses",
        json={"spent_on": "2026-02-30", "category": "bribes", "amount_dong": "x", "by": 3},
        headers=token,
    )
    assert bad.status_code == 422
    assert bad.json["fields"].keys() == {"by"}  # unknown fields first
    bad = client.post(
        "/api/v1/expenses",
        json={"spent_on": "2026-02-30", "category": "bribes", "amount_dong": "x"},
        headers=token,
    )
    assert bad.json["fields"].keys() == {"spent_on", "category", "amount_dong"}
    zero = client.post(
        "/api/v1/expenses",
        json={"spent_on": "2026-11-21", "category": "rent", "amount_dong": 0},
        headers=token,
    )
    assert zero.status_code == 422 and zero.json["fields"].keys() == {"amount_dong"}

    bags = november
    assert (bags["revision"], bags["amount_dong"], bags["by"], bags["revisions"]) == (
        1,
        14_950,
        1,
        [],
    )
    clock.advance(hours=1)
    fixed = client.patch(
        f"/api/v1/expenses/{bags['id']}", json={"amount_dong": 15_950}, headers=token
    )
    assert fixed.status_code == 200, fixed.json
    assert (fixed.json["revision"], fixed.json["amount_dong"], fixed.json["note"]) == (
        2,
        15_950,
        "",
    )
    assert [
        (r["revision"], r["amount_dong"], r["replaced_by"]) for r in fixed.json["revisions"]
    ] == [(1, 14_950, 1)]
    same = client.patch(
        f"/api/v1/expenses/{bags['id']}", json={"amount_dong": 15_950}, headers=token
    )
    assert same.status_code == 422 and same.json["fields"].keys() == {"expense"}
    assert client.get("/api/v1/months/2026-11", headers=token).json["expenses_dong"] == 15_950

    removed = client.delete(f"/api/v1/expenses/{bags['id']}", headers=token)
    assert removed.status_code == 200 and removed.json["removed_by"] == 1
    assert client.get("/api/v1/expenses?month=2026-11", headers=member_token).json["items"] == []
    with_removed = client.get("/api/v1/expenses?month=2026-11&removed=1", headers=token).json
    assert [e["id"] for e in with_removed["items"]] == [bags["id"]]
    assert client.get("/api/v1/months/2026-11", headers=token).json["expenses_dong"] == 0
    one = client.get(f"/api/v1/expenses/{bags['id']}", headers=member_token)
    assert one.status_code == 200 and len(one.json["revisions"]) == 1
    assert client.get("/api/v1/expenses/999", headers=token).status_code == 404
    assert client.delete(f"/api/v1/expenses/{bags['id']}", headers=token).status_code == 422


def test_a_month_that_is_not_one_is_refused_naming_it(client, tokens):
    token, _ = tokens
    for path in ("/api/v1/months/2026-13", "/api/v1/months/november", "/api/v1/months/1999-12"):
        response = client.get(path, headers=token)
        assert response.status_code == 422, path
        assert list(response.json["fields"]) == ["month"]
    assert client.get("/api/v1/months/2026-11").status_code == 401


def test_the_openapi_document_says_who_sees_what(client, tokens):
    token, _ = tokens
    paths = client.get("/api/v1/openapi.json", headers=token).json["paths"]
    for path, method in (("/api/v1/months/{month}", "get"), ("/api/v1/payouts", "get")):
        assert "her own only" in paths[path][method]["description"]
        assert "open books" in paths[path][method]["description"]
    recording = paths["/api/v1/expenses"]["post"]
    assert "403" in recording["responses"] and "members record" in recording["description"]
    assert "for coordinators" in paths["/api/v1/donors"]["get"]["description"]


def test_a_member_records_an_expense_through_the_api_only_when_the_shop_allows(
    app, client, tokens, clock
):
    from shop.services import members as member_service
    from shop.services import visibility

    _, member_token = tokens
    clock.set(datetime(2026, 11, 25, 3, tzinfo=UTC))
    rent = {"spent_on": "2026-11-21", "category": "rent", "amount_dong": 1_000_000}
    refused = client.post("/api/v1/expenses", json=rent, headers=member_token)
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert "trưởng nhóm" in refused.json["message"]
    with app.app_context():
        boss = member_service.get_member(db.session, 1)
        rules = visibility.ShopRules(members_record_expenses=True)
        visibility.set_shop_rules(db.session, rules, by=boss)
        db.session.commit()
    added = client.post("/api/v1/expenses", json=rent, headers=member_token)
    assert added.status_code == 201 and added.json["amount_dong"] == 1_000_000
    bad = client.post("/api/v1/expenses", json={**rent, "amount_dong": "x"}, headers=member_token)
    assert bad.status_code == 422 and list(bad.json["fields"]) == ["amount_dong"]
