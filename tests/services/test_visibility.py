"""Who sees whose money and who records expenses: the rules of shop/services/visibility.py,
table by table, then the settings saved with their audit line and the expense refused in
the service (the page and the API share it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import AuditEvent, Role
from shop.services import expenses as expense_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import visibility as v
from shop.services.errors import Forbidden

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NGOC = v.Viewer(2, Role.MEMBER)
HONG = v.Viewer(1, Role.COORDINATOR)
HONG_AS_MEMBER = v.Viewer(1, Role.MEMBER)  # her token made with the member role
CLOSED, OPEN = v.ShopRules(), v.ShopRules(open_books=True)


@pytest.mark.parametrize(
    "who, whose, rules, sees",
    [
        (NGOC, 2, CLOSED, True),  # her own
        (NGOC, 3, CLOSED, False),  # another member's
        (NGOC, 1, CLOSED, False),  # a coordinator's lines are a member's lines too
        (NGOC, 3, OPEN, True),  # open books
        (HONG, 3, CLOSED, True),  # a coordinator sees everyone's
        (HONG_AS_MEMBER, 3, CLOSED, False),  # the role she acts with counts
        (HONG_AS_MEMBER, 1, CLOSED, True),
    ],
)
def test_can_see_member_money(who, whose, rules, sees):
    assert v.can_see_member_money(who, whose, rules) is sees


@pytest.mark.parametrize(
    "who, rules, sees",
    [
        (NGOC, CLOSED, False),
        (NGOC, v.ShopRules(open_books=True, members_record_expenses=True), False),
        (HONG, CLOSED, True),
        (HONG_AS_MEMBER, OPEN, False),
    ],
)
def test_donors_contacts_are_for_coordinators_whatever_the_settings(who, rules, sees):
    class Donor:
        phone = "0987654321"

    assert v.can_see_donor_contacts(who) is sees
    assert v.donor_phone(who, Donor()) == ("0987654321" if sees else None)


@pytest.mark.parametrize(
    "who, rules, may",
    [
        (NGOC, CLOSED, False),
        (NGOC, OPEN, False),  # open books do not open the expenses
        (NGOC, v.ShopRules(members_record_expenses=True), True),
        (HONG, CLOSED, True),
        (HONG_AS_MEMBER, CLOSED, False),
    ],
)
def test_who_records_expenses(who, rules, may):
    assert v.can_record_expenses(who, rules) is may
    if may:
        v.check_may_record_expenses(who, rules)
    else:
        with pytest.raises(Forbidden) as refused:
            v.check_may_record_expenses(who, rules)
        assert refused.value.status == 403


def test_visible_figures_keep_the_groups_totals_whole(app, trial):
    with app.app_context(), app.test_request_context():
        figures = month_service.month_figures(db.session, "2026-11", HANOI)
        assert [row.member for row in figures.members] == [1, 2, 3]
        hers = v.visible_figures(NGOC, figures, CLOSED)
        assert [row.member for row in hers.members] == [2]
        assert hers.members[0] == figures.members[1]
        assert (hers.result_dong, hers.distributable_dong) == (100_000, 90_000)
        assert hers.equal_total_dong + hers.work_total_dong == figures.distributable_dong
        assert v.visible_figures(NGOC, figures, OPEN) == figures
        assert v.visible_figures(HONG, figures, CLOSED) == figures
        data = month_service.month_data(db.session, "2026-11", HANOI, who=NGOC, rules=CLOSED)
        assert [line["member"] for line in data["members"]] == [2]
        # The command line (no viewer) gets every line.
        whole = month_service.month_data(db.session, "2026-11", HANOI)
        assert [line["member"] for line in whole["members"]] == [1, 2, 3]


def test_the_rules_start_closed_and_each_change_is_logged_old_to_new(app, trial):
    at = datetime(2027, 2, 10, 4, 0, tzinfo=UTC)
    with app.app_context(), app.test_request_context():
        assert v.shop_rules(db.session) == CLOSED  # the migration's default for a shop
        hong = member_service.get_member(db.session, 1)
        v.set_shop_rules(db.session, OPEN, by=hong, at=at)
        v.set_shop_rules(db.session, OPEN, by=hong, at=at)  # the same again: no line
        both = v.ShopRules(open_books=False, members_record_expenses=True)
        v.set_shop_rules(db.session, both, by=hong, at=at)
        db.session.commit()
        assert v.shop_rules(db.session) == both
        lines = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "books_settings")
                .order_by(AuditEvent.id)
            )
        )
        assert [(line.by_id, line.at, line.detail) for line in lines] == [
            (hong.id, at, {"open_books": {"old": "off", "new": "on"}}),
            (
                hong.id,
                at,
                {
                    "open_books": {"old": "on", "new": "off"},
                    "members_record_expenses": {"old": "off", "new": "on"},
                },
            ),
        ]


def test_an_expense_from_a_member_is_refused_unless_the_shop_allows_it(app, trial):
    details = expense_service.ExpenseDetails(date(2027, 2, 9), "supplies", 12_000, "túi")
    with app.app_context(), app.test_request_context():
        ngoc, hong = (member_service.get_member(db.session, n) for n in (2, 1))
        with pytest.raises(Forbidden):
            expense_service.record_expense(db.session, details, by=ngoc, today=date(2027, 2, 10))
        with pytest.raises(Forbidden):  # her token made with the member role
            expense_service.record_expense(
                db.session, details, by=hong, role=Role.MEMBER, today=date(2027, 2, 10)
            )
        expense, new = expense_service.record_expense(
            db.session, details, by=hong, today=date(2027, 2, 10)
        )
        assert new and expense.by_id == hong.id
        v.set_shop_rules(db.session, v.ShopRules(members_record_expenses=True), by=hong)
        expense, new = expense_service.record_expense(
            db.session, details, by=ngoc, today=date(2027, 2, 10)
        )
        assert new and expense.by_id == ngoc.id and expense.amount_dong == 12_000
