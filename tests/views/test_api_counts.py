"""The stocktake API: open a count, send scans in batches from several phones, read the
differences, close it. The rail is ``stocked``: A and C (the group's Áo), B (Ngọc's
consigned dress, 120.000 ₫) and the lot SOCKS of 5 pieces."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from tests.conftest import sign_in


@pytest.fixture
def boss(app, stocked, clock):
    """The coordinator's bearer token."""
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        _row, secret = svc.create_token(
            db.session, svc.get_member(db.session, 1), "t", Role.COORDINATOR
        )
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def ngoc(app, stocked):
    """Ngọc (a member) signed in on her own phone."""
    phone = app.test_client()
    assert sign_in(phone, "0912000002", "1357").status_code == 303
    return phone


def _open(client, boss, **body):
    return client.post("/api/v1/counts", headers=boss, json=body)


def _scan(client_id, code, **extra):
    return {"client_id": client_id, "code": code, **extra}


def _rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_opening_a_count_and_reading_it(client, boss, ngoc):
    assert client.get("/api/v1/counts/current", headers=boss).status_code == 404
    none = client.get("/api/v1/counts/current", headers=boss)
    assert "count" in none.json["fields"]
    categories = client.get("/api/v1/categories", headers=boss).json["items"]
    ao = next(c["id"] for c in categories if c["name"] == "Áo")

    opened = _open(client, boss, categories=[ao], note="Kiểm kê áo")
    assert opened.status_code == 201, opened.json
    count = opened.json
    assert (count["number"], count["status"], count["opened_by"]) == (1, "open", 1)
    assert count["categories"] == [{"id": ao, "name": "Áo"}] and count["note"] == "Kiểm kê áo"
    assert count["closed_at"] is None and count["closed_by"] is None and count["scan_count"] == 0
    assert count["progress"] == {
        "expected": 2, "counted": 0, "scans": 0, "unknown": 0, "mine": 0,
        "categories": [{"name": "Áo", "expected": 2, "counted": 0}],
    }  # fmt: skip
    assert "decisions" not in count

    assert ngoc.get("/api/v1/counts/current").json["number"] == 1
    assert ngoc.get("/api/v1/counts/1").json["categories"][0]["name"] == "Áo"
    assert [c["number"] for c in ngoc.get("/api/v1/counts").json["items"]] == [1]
    missing = ngoc.get("/api/v1/counts/7")
    assert missing.status_code == 404 and "count" in missing.json["fields"]


def test_opening_is_refused_naming_the_field(client, boss, ngoc):
    for body, field in [
        ({"categories": [999]}, "categories"),
        ({"categories": "Áo"}, "categories"),
        ({"categories": [True]}, "categories"),
        ({"note": "x" * 301}, "note"),
        ({"note": 5}, "note"),
        ({"colour": "red"}, "colour"),
    ]:
        refused = _open(client, boss, **body)
        assert refused.status_code == 422 and field in refused.json["fields"], (body, refused.json)
    assert _open(client, boss).status_code == 201
    again = _open(client, boss)
    assert again.status_code == 422 and "count" in again.json["fields"]
    assert "đợt kiểm kê mở" in again.json["fields"]["count"][0]  # said in Vietnamese


def test_a_member_scans_but_neither_opens_nor_closes(client, boss, ngoc):
    assert ngoc.post("/api/v1/counts", json={}).status_code == 403
    assert _open(client, boss).status_code == 201
    assert ngoc.post("/api/v1/counts/1/close", json={"decisions": {}}).status_code == 403
    sent = ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-1", "A")]})
    assert sent.status_code == 200 and sent.json["scans"][0]["outcome"] == "recorded"


def test_a_batch_takes_the_good_scans_and_refuses_the_bad_ones_each_naming_its_field(
    app, client, boss, ngoc
):
    from shop.models import CountScan

    assert _open(client, boss).status_code == 201
    batch = [
        _scan("n-1", "A", scanned_at="2026-11-20T10:01:00+07:00"),
        _scan("n-2", "SOCKS"),  # a lot without its pieces
        _scan("n-3", "C", pieces=2),  # one item counted as two
        _scan("n-4", "", pieces=None),
        _scan("n 5", "B"),  # not a phone's id
        _scan("n-6", "ZZZ-404"),  # no such item: kept as a tag of an unknown code
        _scan("n-7", "SOCKS", pieces=4),
        _scan("n-8", "B", scanned_at="yesterday"),
        _scan("n-9", "B", colour="red"),
        _scan({"not": "text"}, "B"),  # answered with what was sent, written as JSON
    ]
    answer = ngoc.post("/api/v1/counts/1/scans", json={"scans": batch})
    assert answer.status_code == 200, answer.json
    by_id = {s["client_id"]: s for s in answer.json["scans"]}
    assert [s["client_id"] for s in answer.json["scans"]] == [
        s["client_id"] for s in batch[:-1]
    ] + ['{"not": "text"}']
    outcomes = {k: v["outcome"] for k, v in by_id.items()}
    assert outcomes == {
        "n-1": "recorded", "n-2": "refused", "n-3": "refused", "n-4": "refused",
        "n 5": "refused", "n-6": "recorded", "n-7": "recorded", "n-8": "refused",
        "n-9": "refused", '{"not": "text"}': "refused",
    }  # fmt: skip
    assert list(by_id["n-2"]["fields"]) == ["pieces"]
    assert by_id["n-2"]["item"] == {
        "code": "SOCKS",
        "category": "Phụ kiện",
        "description": "Tất",
        "is_lot": True,
    }  # fmt: skip: the phone asks for the lot's pieces with its name
    assert list(by_id["n-3"]["fields"]) == ["pieces"]
    assert list(by_id["n-4"]["fields"]) == ["code"]
    assert list(by_id["n 5"]["fields"]) == ["client_id"]
    assert list(by_id["n-8"]["fields"]) == ["scanned_at"]
    assert list(by_id["n-9"]["fields"]) == ["colour"]
    assert by_id["n-1"]["item"]["code"] == "A" and "fields" not in by_id["n-1"]
    assert by_id["n-6"]["item"] is None
    assert answer.json["progress"]["counted"] == 2  # A and the lot
    assert answer.json["progress"]["unknown"] == 1 and answer.json["progress"]["mine"] == 3
    assert _rows(app, CountScan) == 3

    # The link dropped before the answer: the phone sends the same batch again.
    again = ngoc.post("/api/v1/counts/1/scans", json={"scans": batch})
    outcomes = {s["client_id"]: s["outcome"] for s in again.json["scans"]}
    assert [outcomes[k] for k in ("n-1", "n-6", "n-7")] == ["resent"] * 3
    assert outcomes["n-2"] == "refused"
    assert _rows(app, CountScan) == 3
    assert again.json["progress"]["scans"] == 3
    reused = ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-1", "C")]})
    assert reused.json["scans"][0]["fields"].keys() == {"client_id"}

    # The lot's pieces sent after the refusal, under a new id, as the phone does.
    pieces = ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-2b", "SOCKS", pieces=1)]})
    assert pieces.json["scans"][0]["outcome"] == "recorded"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "scans"),
        ({"scans": []}, "scans"),
        ({"scans": "A"}, "scans"),
        ({"scans": [_scan(f"x-{i}", "A") for i in range(201)]}, "scans"),
        ({"scans": ["A"]}, "scans[0]"),
        ({"scans": [_scan("x-1", "A")], "count": 2}, "count"),
    ],
)
def test_a_batch_that_cannot_be_read_is_refused_whole(app, client, boss, body, field):
    from shop.models import CountScan

    assert _open(client, boss).status_code == 201
    refused = client.post("/api/v1/counts/1/scans", headers=boss, json=body)
    assert refused.status_code == 422 and field in refused.json["fields"], refused.json
    assert _rows(app, CountScan) == 0


def test_taking_back_a_scan(client, boss, ngoc):
    assert _open(client, boss).status_code == 201
    ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-1", "A")]})
    client.post("/api/v1/counts/1/scans", headers=boss, json={"scans": [_scan("h-1", "C")]})
    assert ngoc.get("/api/v1/counts/1").json["progress"]["counted"] == 2

    others = ngoc.post("/api/v1/counts/1/scans/h-1/withdraw")
    assert others.status_code == 403
    taken_back = ngoc.post("/api/v1/counts/1/scans/n-1/withdraw")
    assert taken_back.status_code == 200 and taken_back.json["client_id"] == "n-1"
    assert taken_back.json["withdrawn_at"].startswith("2026-11-20T03:00")
    twice = ngoc.post("/api/v1/counts/1/scans/n-1/withdraw")
    assert twice.json == taken_back.json
    progress = ngoc.get("/api/v1/counts/1").json["progress"]
    assert (progress["counted"], progress["mine"]) == (1, 0)
    unknown = ngoc.post("/api/v1/counts/1/scans/nope/withdraw")
    assert unknown.status_code == 404 and "client_id" in unknown.json["fields"]
    # A coordinator takes back anyone's.
    assert client.post("/api/v1/counts/1/scans/h-1/withdraw", headers=boss).status_code == 200


def test_differences_and_closing_record_the_loss_and_the_owners_compensation(
    app, client, boss, ngoc
):
    from shop.models import Expense, Item, ItemStatus

    assert _open(client, boss).status_code == 201
    split = client.get("/api/v1/items/B", headers=boss).json["consignor_bp"]
    scans = [_scan("n-1", "A"), _scan("n-2", "SOCKS", pieces=3), _scan("n-3", "OLD-TAG")]
    ngoc.post("/api/v1/counts/1/scans", json={"scans": scans})
    # Hồng, on another phone, finds C. B (Ngọc's dress) is nowhere.
    client.post("/api/v1/counts/1/scans", headers=boss, json={"scans": [_scan("h-1", "C")]})

    found = ngoc.get("/api/v1/counts/1/differences")
    assert found.status_code == 200
    lines = {d["code"]: d for d in found.json["items"]}
    assert [d["code"] for d in found.json["items"]] == ["B", "SOCKS", "OLD-TAG"]
    assert lines["B"] == {
        "difference": "missing", "code": "B", "choices": ["lost", "keep"],
        "expected_pieces": 1, "counted_pieces": 0, "value_dong": 120_000,
        "compensation_dong": 120_000 * split // 10_000, "days_in_stock": 5, "owner": 2,
        "category": "Váy", "description": "Váy hoa",
    }  # fmt: skip
    assert lines["SOCKS"]["difference"] == "lot_pieces"
    assert (lines["SOCKS"]["expected_pieces"], lines["SOCKS"]["counted_pieces"]) == (5, 3)
    assert lines["SOCKS"]["value_dong"] == 20_000 and lines["SOCKS"]["owner"] is None
    assert lines["OLD-TAG"]["choices"] == ["noted"] and lines["OLD-TAG"]["category"] is None

    undecided = client.post(
        "/api/v1/counts/1/close", headers=boss, json={"decisions": {"B": {"kind": "lost"}}}
    )
    assert undecided.status_code == 422 and "decisions" in undecided.json["fields"]
    bad = client.post(
        "/api/v1/counts/1/close",
        headers=boss,
        json={"decisions": {"B": {"kind": "stolen"}, "SOCKS": "quantity"}},
    )
    assert bad.status_code == 422
    assert set(bad.json["fields"]) == {"decisions.B", "decisions.SOCKS"}
    not_a_choice = client.post(
        "/api/v1/counts/1/close",
        headers=boss,
        json={"decisions": {"B": {"kind": "noted"}, "SOCKS": {"kind": "quantity"},
                            "OLD-TAG": {"kind": "noted"}}},
    )  # fmt: skip
    assert not_a_choice.status_code == 422 and "decisions" in not_a_choice.json["fields"]
    assert client.get("/api/v1/counts/1", headers=boss).json["status"] == "open"

    decisions = {
        "B": {"kind": "lost", "note": "Không thấy trên giá"},
        "SOCKS": {"kind": "quantity"},
        "OLD-TAG": {"kind": "noted", "note": ""},
    }
    closed = client.post("/api/v1/counts/1/close", headers=boss, json={"decisions": decisions})
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed" and closed.json["closed_by"] == 1
    decided = {d["code"]: d for d in closed.json["decisions"]}
    assert decided["B"]["kind"] == "lost" and decided["B"]["owner"] == 2
    assert decided["B"]["compensation_dong"] == 120_000 * split // 10_000
    assert decided["B"]["note"] == "Không thấy trên giá"
    with app.app_context():
        dress = db.session.scalar(select(Item).where(Item.code == "B"))
        assert dress.status == ItemStatus.LOST
        paid = db.session.scalars(select(Expense)).all()
        assert [(e.category.value, e.amount_dong, e.member_id) for e in paid] == [
            ("compensation", 120_000 * split // 10_000, dress.owner_id)
        ]
    # Once closed, the differences are the ones decided.
    after = ngoc.get("/api/v1/counts/1/differences").json["items"]
    assert [(d["code"], d["owner"]) for d in after] == [
        ("B", 2),
        ("SOCKS", None),
        ("OLD-TAG", None),
    ]
    assert ngoc.get("/api/v1/counts/1").json["decisions"] == closed.json["decisions"]


def test_a_closed_count_takes_no_scan_and_no_second_close(app, client, boss, ngoc):
    from shop.models import CountScan

    assert _open(client, boss).status_code == 201
    everything = [_scan(f"n-{c}", c) for c in ("A", "B", "C")] + [_scan("n-s", "SOCKS", pieces=5)]
    ngoc.post("/api/v1/counts/1/scans", json={"scans": everything})
    closed = client.post("/api/v1/counts/1/close", headers=boss, json={"decisions": {}})
    assert closed.status_code == 200 and closed.json["decisions"] == []

    late = ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-9", "A")]})
    assert late.status_code == 409 and "count" in late.json["fields"]
    resent = ngoc.post("/api/v1/counts/1/scans", json={"scans": everything[:1]})
    assert resent.status_code == 409
    assert _rows(app, CountScan) == 4
    again = client.post("/api/v1/counts/1/close", headers=boss, json={"decisions": {}})
    assert again.status_code == 409 and "count" in again.json["fields"]
    withdraw = ngoc.post("/api/v1/counts/1/scans/n-A/withdraw")
    assert withdraw.status_code == 409
    assert client.get("/api/v1/counts/current", headers=boss).status_code == 404


def test_closing_is_refused_when_the_list_changed_since_it_was_read(client, boss, ngoc):
    assert _open(client, boss).status_code == 201
    ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-1", "A"), _scan("n-2", "C")]})
    read = client.get("/api/v1/counts/1/differences", headers=boss).json["items"]
    decisions = {d["code"]: {"kind": d["choices"][0]} for d in read}
    assert set(decisions) == {"B", "SOCKS"}
    # Meanwhile another phone finds the dress.
    ngoc.post("/api/v1/counts/1/scans", json={"scans": [_scan("n-3", "B")]})
    refused = client.post("/api/v1/counts/1/close", headers=boss, json={"decisions": decisions})
    assert refused.status_code == 422 and "decisions" in refused.json["fields"]
    assert "B" in refused.json["fields"]["decisions"][0]
    fresh = client.get("/api/v1/counts/1/differences", headers=boss).json["items"]
    assert [d["code"] for d in fresh] == ["SOCKS"]
    closed = client.post(
        "/api/v1/counts/1/close", headers=boss, json={"decisions": {"SOCKS": {"kind": "keep"}}}
    )
    assert closed.status_code == 200


def test_the_openapi_document_describes_the_counts(client, boss):
    paths = client.get("/api/v1/openapi.json", headers=boss).json["paths"]
    assert set(paths["/api/v1/counts"]) == {"get", "post"}
    withdraw = paths["/api/v1/counts/{number}/scans/{client_id}/withdraw"]["post"]
    assert [p["name"] for p in withdraw["parameters"]] == ["number", "client_id"]
    assert paths["/api/v1/counts/{number}/close"]["post"]["responses"].keys() >= {"403", "409"}
    scans = paths["/api/v1/counts/{number}/scans"]["post"]["requestBody"]["content"]
    assert scans["application/json"]["schema"]["properties"]["scans"]["maxItems"] == 200
