"""Money and membership are recorded for today or earlier: an expense, a payout or a joining
day after today is refused beside its field, with what was typed kept (pages), or as a 422
naming the field (API)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.views.test_api_months import november, tokens  # noqa: F401 (fixtures)

FUTURE = "Ngày này chưa tới: hãy ghi ngày hôm nay hoặc trước đó."


def beside(page: str, field: str) -> str:
    """The message shown under ``field`` on a refused page."""
    found = re.search(rf'id="{field}-error"[^>]*>.*?<span>([^<]+)</span>', page, re.S)
    return found.group(1) if found else ""


def test_an_expense_dated_tomorrow_is_refused_beside_its_day(as_coordinator, clock):
    clock.set(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))  # 10:00 on 20 November in Hanoi
    refused = as_coordinator.post(
        "/expenses/",
        data={"spent_on": "21/11/2026", "category": "supplies", "amount_dong": "12k"},
    )
    assert refused.status_code == 422
    assert beside(refused.text, "spent_on") == FUTURE
    assert 'value="12k"' in refused.text and 'value="21/11/2026"' in refused.text
    today = as_coordinator.post(
        "/expenses/",
        data={"spent_on": "20/11/2026", "category": "supplies", "amount_dong": "12k"},
    )
    assert today.status_code == 303


def test_a_member_cannot_join_tomorrow(as_coordinator, clock):
    clock.set(datetime(2026, 11, 20, 16, 59, tzinfo=UTC))  # 23:59 on 20 November in Hanoi
    data = {"name": "Út", "phone": "0912000003", "role": "member", "pin": "3579"}
    refused = as_coordinator.post("/members/new", data=data | {"joined_on": "2026-11-21"})
    assert refused.status_code == 422 and beside(refused.text, "joined_on") == FUTURE
    assert 'value="Út"' in refused.text
    assert (
        as_coordinator.post("/members/new", data=data | {"joined_on": "2026-11-20"}).status_code
        == 303
    )


def test_the_api_names_the_field(client, tokens, november, clock):  # noqa: F811
    token, _ = tokens
    expense = {"spent_on": "2026-11-21", "category": "rent", "amount_dong": 1000}
    answer = client.post("/api/v1/expenses", json=expense, headers=token)
    assert answer.status_code == 422 and list(answer.json["fields"]) == ["spent_on"]
    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    assert client.post("/api/v1/months/2026-11/close", headers=token).status_code < 300
    payout = {"member": 2, "month": "2026-11", "amount_dong": 1000, "paid_on": "2026-12-02"}
    answer = client.post("/api/v1/payouts", json=payout, headers=token)
    assert answer.status_code == 422 and list(answer.json["fields"]) == ["paid_on"]
    member = {"name": "Út", "phone": "0912000003", "role": "member", "pin": "3579",
              "joined_on": "2026-12-02"}  # fmt: skip
    answer = client.post("/api/v1/members", json=member, headers=token)
    assert answer.status_code == 422 and list(answer.json["fields"]) == ["joined_on"]
    answer = client.post("/api/v1/payouts", json=payout | {"paid_on": "2026-12-01"}, headers=token)
    assert answer.status_code == 201, answer.json
