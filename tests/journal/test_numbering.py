"""After an import, every number and code the shop hands out carries on from the journal's.

The journal here is the worked example numbered the way the shop numbers things itself
(donors D1, D2, intakes N1…N5, item codes 10008, 10019…): the journal of a shop moved from
one server to another. Each new donor, intake, item, lot, sale, member, expense and payout
must then get a number the journal has not used, through the services and the pages.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shop.domain.codes import item_code
from shop.extensions import db
from shop.journal import JournalInvalid, import_journal
from shop.models import (
    Donor,
    ExpenseCategory,
    Intake,
    IntakeKind,
    Item,
    Member,
    PaymentMethod,
    Role,
    Sale,
    Sequence,
)
from shop.services import counter
from shop.services import expenses as expense_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import stock as stock_service

from ..conftest import DEMO_PIN, sign_in
from .conftest import full_example

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2027, 2, 10, 10, 0, tzinfo=TZ)


def shop_numbered(journal: dict) -> dict:
    """``journal`` with its donors, intakes and codes renamed as the shop names its own."""
    donors = {d["ref"]: f"D{n}" for n, d in enumerate(journal["donors"], 1)}
    intakes = {i["ref"]: f"N{n}" for n, i in enumerate(journal["intakes"], 1)}
    stock = [entry for i in journal["intakes"] for entry in i.get("items", []) + i.get("lots", [])]
    codes = {entry["code"]: item_code(n) for n, entry in enumerate(stock, 1)}
    for donor in journal["donors"]:
        donor["ref"] = donors[donor["ref"]]
    for intake in journal["intakes"]:
        intake["ref"] = intakes[intake["ref"]]
        if "donor" in intake:
            intake["donor"] = donors[intake["donor"]]
    for entry in stock:
        entry["code"] = codes[entry["code"]]
    for line in (line for sale in journal["sales"] for line in sale["lines"]):
        line["code"] = codes[line["code"]]
    for section in ("refunds", "price_changes", "disposals"):
        for entry in journal.get(section, []):
            entry["code"] = codes[entry["code"]]
    for expense in journal["expenses"]:
        if "intake" in expense:
            expense["intake"] = intakes[expense["intake"]]
    return journal


@pytest.fixture
def imported(app, clock):
    """The shop-numbered example imported and committed; Hồng (1) has her PIN again."""
    journal = shop_numbered(full_example())
    with app.app_context():
        import_journal(db.session, journal, app_config=app.config)
        hong = db.session.scalar(select(Member).where(Member.number == 1))
        member_service.set_pin(db.session, hong, DEMO_PIN)
        db.session.commit()
    clock.set(NOW)
    return journal


def used(journal: dict) -> dict[str, set]:
    stock = [entry for i in journal["intakes"] for entry in i.get("items", []) + i.get("lots", [])]
    return {
        "donors": {d["ref"] for d in journal["donors"]},
        "intakes": {i["ref"] for i in journal["intakes"]},
        "codes": {entry["code"] for entry in stock},
        "sales": {s["number"] for s in journal["sales"]},
        "members": {m["number"] for m in journal["members"]},
    }


def test_the_journal_numbers_things_as_the_shop_does(imported):
    assert used(imported)["donors"] == {"D1", "D2"}
    assert used(imported)["intakes"] == {"N1", "N2", "N3", "N4", "N5"}
    assert "10008" in used(imported)["codes"]


def numberings() -> dict[str, int]:
    """The counters that hand out numbers and codes (not the rail's change cursor, which
    counts changes to items rather than naming anything)."""
    return {s.name: s.value for s in db.session.scalars(select(Sequence)) if s.name != "rail"}


def test_every_numbering_carries_on_from_the_journal(app, imported):
    with app.app_context():
        values = numberings()
    # The highest of each the journal used: the next one is new.
    assert values == {"sale": 4, "donor": 2, "intake": 5, "item_code": 6}


def test_everything_new_after_an_import_gets_a_new_number(app, imported):
    taken = used(imported)
    with app.app_context():
        session = db.session
        hong = session.scalar(select(Member).where(Member.number == 1))

        donor = stock_service.create_donor(
            session, stock_service.DonorDetails("Chị Lan"), country_code="84"
        )
        intake = stock_service.receive_intake(
            session,
            stock_service.IntakeDetails(
                IntakeKind.DONATION, NOW, new_donor=stock_service.DonorDetails("Chị Hà")
            ),
            by=hong,
            tz=TZ,
        )
        bale = stock_service.receive_intake(
            session,
            stock_service.IntakeDetails(
                IntakeKind.PURCHASE, NOW, supplier="Ninh Hiệp", cost_dong=900_000
            ),
            by=hong,
            tz=TZ,
        )
        item = stock_service.add_item(session, intake, stock_service.ItemDetails("Áo", 40_000))
        lot = stock_service.add_lot(session, bale, stock_service.LotDetails("Áo", 10_000, 5))
        lan = member_service.create_member(
            session,
            member_service.MemberDetails("Lê Thị Thu", "0912000009", Role.MEMBER, date(2027, 2, 1)),
            None,
            country_code="84",
        )
        counter.open_shift(session, hong, 100_000, at=NOW, tz=TZ)
        sale, _new = counter.record_sale(
            session,
            counter.SaleRequest(lines=(counter.LineRequest(item.code),), tendered_dong=40_000),
            cashier=hong,
            at=NOW,
            tz=TZ,
        )
        expense, _new = expense_service.add_expense(
            session,
            expense_service.ExpenseDetails(
                date(2027, 2, 10), ExpenseCategory.SUPPLIES, 20_000, "túi"
            ),
            by=hong,
        )
        payout, _new = month_service.record_payout(
            session, hong, "2027-01", 19_238, date(2027, 2, 10), PaymentMethod.CASH, hong
        )
        session.commit()

        assert donor.ref == "D3" and intake.donor.ref == "D4"
        assert (intake.ref, bale.ref) == ("N6", "N7")
        assert {item.code, lot.code}.isdisjoint(taken["codes"])
        assert (item.code, lot.code) == (item_code(7), item_code(8))
        assert lan.number == max(taken["members"]) + 1
        assert sale.number == max(taken["sales"]) + 1
        assert expense.id is not None and payout.id is not None
        assert session.scalar(select(Sale.number).order_by(Sale.number.desc()).limit(1)) == 5


def test_a_refused_import_leaves_nothing_to_collide_with(app, clock):
    # The first try is refused and rolled back; the second, of the same journal, goes in and
    # the numbering still carries on.
    journal = shop_numbered(full_example())
    broken = json.loads(json.dumps(journal))
    broken["sales"][0]["cashier"] = 99
    with app.app_context():
        with pytest.raises(JournalInvalid):
            import_journal(db.session, broken, app_config=app.config)
        db.session.rollback()
        import_journal(db.session, journal, app_config=app.config)
        db.session.commit()
        hong = db.session.scalar(select(Member).where(Member.number == 1))
        intake = stock_service.receive_intake(
            db.session,
            stock_service.IntakeDetails(
                IntakeKind.DONATION, NOW, new_donor=stock_service.DonorDetails("Chị Hà")
            ),
            by=hong,
            tz=TZ,
        )
        db.session.commit()
        assert (intake.ref, intake.donor.ref) == ("N6", "D3")


def test_a_new_intake_and_donor_through_the_page_after_an_import(app, client, imported):
    assert sign_in(client, "0912000001").status_code == 303

    first = client.post("/intake/new", data={"kind": "donation", "donor_name": "Chị Lan"})
    second = client.post("/intake/new", data={"kind": "donation", "donor_name": "Chị Hà"})
    bale = client.post(
        "/intake/new", data={"kind": "purchase", "supplier": "Ninh Hiệp", "cost": "900k"}
    )

    assert [r.status_code for r in (first, second, bale)] == [303, 303, 303]
    assert [r.headers["Location"] for r in (first, second, bale)] == [
        "/intake/N6",
        "/intake/N7",
        "/intake/N8",
    ]
    with app.app_context():
        category = stock_service.categories(db.session)[0].id
    added = client.post("/intake/N6", data={"category": category, "price_dong": "40k"})
    assert added.status_code == 303
    with app.app_context():
        refs = {d.name: d.ref for d in db.session.scalars(select(Donor))}
        assert (refs["Chị Lan"], refs["Chị Hà"]) == ("D3", "D4")
        intake = db.session.scalar(select(Intake).where(Intake.ref == "N6"))
        added = db.session.scalars(select(Item.code).where(Item.intake_id == intake.id))
        assert list(added) == [item_code(7)]


def test_names_from_elsewhere_do_not_move_the_counters_out_of_reach(app, clock):
    # Refs and codes no counter makes ("i1", "N007", a ref beyond what a counter holds,
    # letter codes) are someone else's names: the counters carry on from the shop's own.
    journal = shop_numbered(full_example())
    journal["donors"][0]["ref"] = "D00007"
    journal["intakes"][0]["ref"] = "N99999999999"
    journal["intakes"][1]["ref"] = "n40"
    for intake in journal["intakes"][:2]:
        intake.pop("donor", None)
    journal["intakes"][2]["items"][0]["code"] = "A"
    for sale in journal["sales"]:
        for line in sale["lines"]:
            if line["code"] == item_code(4):
                line["code"] = "A"
    for refund in journal["refunds"]:
        if refund["code"] == item_code(4):
            refund["code"] = "A"
    with app.app_context():
        import_journal(db.session, journal, app_config=app.config)
        db.session.commit()
        values = numberings()
    assert values == {"sale": 4, "donor": 2, "intake": 5, "item_code": 6}
