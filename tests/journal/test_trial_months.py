"""The worked example of docs/sharing.md, imported as a journal: every figure of its three months,
through the service, ``flask month show --json`` and the API, and again after a round trip."""

from __future__ import annotations

import json

import pytest
from flask_babel import force_locale

from shop.domain.sharing import month_check_holds
from shop.extensions import db
from shop.journal import check_journal, export_journal, import_journal, normalise_journal
from shop.models import Role
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import visibility

from .conftest import full_example, wipe
from .test_check import SOUND_MONTH_HISTORIES

MONTHS = ("2026-11", "2026-12", "2027-01")


def member(number, minutes=0, consignment=0, equal=0, work=0, brought=0, paid=0) -> dict:
    """A member's row of the worked example; earned, due and carried forward follow."""
    earned = consignment + equal + work
    due = brought + earned
    return {
        "member": number,
        "work_minutes": minutes,
        "consignment_dong": consignment,
        "compensation_dong": 0,  # nothing lost at a stocktake
        "equal_share_dong": equal,
        "work_share_dong": work,
        "earned_dong": earned,
        "brought_forward_dong": brought,
        "due_dong": due,
        "paid_dong": paid,
        "carried_forward_dong": due - paid,
    }


def month(pool, expenses, brought_loss, result, reserve, distributable, carried_loss, equal,
          work, members) -> dict:  # fmt: skip
    return {
        "pool_sales_dong": pool,
        "expenses_dong": expenses,
        "brought_loss_dong": brought_loss,
        "result_dong": result,
        "reserve_dong": reserve,
        "distributable_dong": distributable,
        "carried_loss_dong": carried_loss,
        "equal_total_dong": equal,
        "work_total_dong": work,
        "members": members,
    }


#: docs/sharing.md's tables, every figure written out (amounts in đồng).
EXPECTED = {
    "2026-11": month(
        114_950, 14_950, 0, 100_000, 10_000, 90_000, 0, 45_000, 45_000,
        [
            member(1, 200, 0, 15_000, 12_857, paid=27_857),
            member(2, 100, 77_000, 15_000, 6_429, paid=98_429),
            member(3, 400, 22_050, 15_000, 25_714, paid=60_000),
        ],
    ),
    "2026-12": month(
        -13_000, 10_000, 0, -23_000, 0, 0, 23_000, 0, 0,
        [
            member(1, 90),
            member(2, 60, consignment=-77_000),
            member(3, brought=2_764),
            member(4),
        ],
    ),
    "2027-01": month(
        80_000, 0, 23_000, 57_000, 5_700, 51_300, 0, 25_650, 25_650,
        [
            member(1, 120, equal=6_413, work=12_825),
            member(2, equal=6_413, brought=-77_000),
            member(3, equal=6_412, brought=2_764),
            member(4, 120, equal=6_412, work=12_825),
        ],
    ),
}  # fmt: skip


def test_the_expected_tables_are_sharing_mds():
    # The few figures docs/sharing.md states outright, against the tables written above.
    rows = {m: {r["member"]: r for r in EXPECTED[m]["members"]} for m in MONTHS}
    assert [rows["2026-11"][n]["earned_dong"] for n in (1, 2, 3)] == [27_857, 98_429, 62_764]
    assert rows["2026-11"][3]["carried_forward_dong"] == 2_764
    assert rows["2026-12"][2]["due_dong"] == -77_000
    assert [rows["2027-01"][n]["due_dong"] for n in (1, 2, 3, 4)] == [
        19_238,
        -70_587,
        9_176,
        19_237,
    ]


@pytest.fixture
def trial(app):
    """The worked example imported into an empty shop and committed; yields its session."""
    with app.app_context():
        summary = import_journal(db.session, full_example(), app_config=app.config)
        assert (summary.payouts, summary.closed_months) == (3, 3)
        db.session.commit()
        yield db.session


def test_importing_the_example_gives_sharing_mds_figures(app, trial):
    tz = app.config["SHOP_TZ"]
    for name in MONTHS:
        assert month_service.month_data(trial, name, tz) == {
            "month": name,
            "closed": True,
            **EXPECTED[name],
        }, name
        assert month_service.month_figures(trial, name, tz).as_dict() == EXPECTED[name]


def test_sharing_mds_check_holds_every_month(app, trial):
    tz = app.config["SHOP_TZ"]
    for name in MONTHS:
        figures = month_service.month_figures(trial, name, tz)
        net_sales, refunds = month_service.net_sales_and_refunds(trial, name, tz)
        assert month_check_holds(figures, net_sales, refunds), name
    # November: 160.000 + 54.000 sold, nothing refunded; December: 20.000 sold, 110.000 back.
    assert month_service.net_sales_and_refunds(trial, "2026-11", tz) == (214_000, 0)
    assert month_service.net_sales_and_refunds(trial, "2026-12", tz) == (20_000, 110_000)


def test_the_frozen_figures_are_those_worked_out_live(app, trial):
    # Recomputing each closed month from its rows gives what was frozen at its close.
    from shop.domain import sharing

    tz = app.config["SHOP_TZ"]
    for name in MONTHS:
        live = sharing.month_figures(month_service.month_input(trial, name, tz))
        assert live.as_dict() == EXPECTED[name], name


def test_the_month_after_carries_every_balance_on(app, trial):
    february = month_service.month_data(trial, "2027-02", app.config["SHOP_TZ"])

    assert february["closed"] is False
    assert (february["brought_loss_dong"], february["result_dong"]) == (0, 0)
    assert [(m["member"], m["brought_forward_dong"]) for m in february["members"]] == [
        (1, 19_238),
        (2, -70_587),
        (3, 9_176),
        (4, 19_237),
    ]


def test_the_cli_shows_the_same_json(app, trial, runner):
    for name in MONTHS:
        result = runner.invoke(args=["month", "show", name, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"month": name, "closed": True, **EXPECTED[name]}


def test_the_cli_shows_a_table_too(trial, runner):
    result = runner.invoke(args=["month", "show", "2026-11"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026-11 (closed), in đồng\n")
    assert "  result               100,000\n" in result.output
    assert "       3" in result.output and "2,764" in result.output


def _only(figures: dict, number: int) -> dict:
    """``figures`` with the members' lines of member ``number`` alone (what she sees)."""
    return {**figures, "members": [m for m in figures["members"] if m["member"] == number]}


def test_any_member_reads_the_months_through_the_api(client, trial):
    # Members of a journal come without PINs: Ngọc gets one and signs in on her phone.
    ngoc = member_service.get_member(trial, 2)
    member_service.set_pin(trial, ngoc, "1357")
    hong = member_service.get_member(trial, 1)
    _row, secret = member_service.create_token(trial, hong, "meeting", Role.MEMBER)
    trial.commit()
    signed_in = client.post("/sign-in", data={"phone": "0912000002", "pin": "1357"})
    assert signed_in.status_code == 303

    # The group's figures and her own line; everyone's once the shop keeps open books.
    for name in MONTHS:
        response = client.get(f"/api/v1/months/{name}")
        assert response.status_code == 200, response.json
        assert response.json == {"month": name, "closed": True, **_only(EXPECTED[name], 2)}
    by_token = client.get("/api/v1/months/2027-01", headers={"Authorization": f"Bearer {secret}"})
    assert by_token.json == {"month": "2027-01", "closed": True, **_only(EXPECTED["2027-01"], 1)}
    visibility.set_shop_rules(trial, visibility.ShopRules(open_books=True), by=hong)
    trial.commit()
    for name in MONTHS:
        response = client.get(f"/api/v1/months/{name}")
        assert response.json == {"month": name, "closed": True, **EXPECTED[name]}


def test_the_exported_journal_is_the_example_and_imports_to_the_same_figures(app, trial):
    tz = app.config["SHOP_TZ"]
    first = export_journal(trial, timezone=tz)
    assert check_journal(first) == []
    assert first == normalise_journal(full_example())
    assert first["closed_months"] == list(MONTHS)
    assert first["payouts"][2] == {
        "member": 3,
        "month": "2026-11",
        "amount_dong": 60_000,
        "paid_on": "2026-12-02",
        "method": "cash",
    }

    wipe(trial)
    import_journal(trial, first, app_config=app.config)

    assert export_journal(trial, timezone=tz) == first
    for name in MONTHS:
        assert month_service.month_figures(trial, name, tz).as_dict() == EXPECTED[name]
    trial.rollback()


def test_a_closed_month_of_the_import_takes_no_more_entries(app, trial):
    from datetime import date

    from shop.services import expenses as expense_service
    from shop.services.errors import InvalidInput

    hong = member_service.get_member(trial, 1)
    details = expense_service.ExpenseDetails(date(2026, 12, 31), "other", 1000)
    with pytest.raises(InvalidInput) as refused:
        expense_service.add_expense(trial, details, by=hong)
    assert refused.value.field == "spent_on"
    with force_locale("en"):
        assert str(refused.value.message) == (
            "December 2026 is closed: enter corrections in the current month."
        )


@pytest.mark.parametrize("change", SOUND_MONTH_HISTORIES.values(), ids=SOUND_MONTH_HISTORIES.keys())
def test_every_sound_month_history_imports_and_exports_as_it_was_read(app, session, change):
    journal = full_example()
    change(journal)

    import_journal(session, journal, app_config=app.config)

    assert export_journal(session, timezone=app.config["SHOP_TZ"]) == normalise_journal(journal)
