"""Any small history made through the services goes through a journal and comes back equal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.journal import check_journal, export_journal, import_journal
from shop.models import Condition, IntakeKind, Role
from shop.services import members as member_service
from shop.services import stock as stock_service

from .conftest import wipe

START = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi, the day they all join

names = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠỆỨ ", min_size=1, max_size=24).filter(
    str.strip
)
prices = st.integers(min_value=1, max_value=2_000_000)
minutes = st.integers(min_value=0, max_value=60 * 24 * 120)  # within about four months

members = st.lists(st.tuples(names, st.booleans(), st.sampled_from(Role)), min_size=1, max_size=4)
items = st.tuples(
    st.sampled_from(["Áo", "Quần", "Váy, đầm", "Túi"]),
    prices,
    st.sampled_from(Condition),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),  # consigned: her rate
    st.one_of(st.none(), st.integers(min_value=1, max_value=50)),  # a lot's quantity
)
intakes = st.lists(
    st.tuples(st.sampled_from(IntakeKind), minutes, st.lists(items, max_size=3)), max_size=4
)
changes = st.lists(st.tuples(st.integers(min_value=0), prices, minutes), max_size=5)


def build(session, tz, people, drops, reprices) -> None:
    member_service.save_shop_profile(session, "Shop thử")
    made = []
    for index, (name, has_phone, role) in enumerate(people):
        details = member_service.MemberDetails(
            name=name,
            phone=f"09120000{index:02d}" if has_phone else None,
            role=role,
            joined_on=date(2026, 10, 1),
        )
        made.append(member_service.create_member(session, details, None, country_code="84"))
    stock = []
    for number, (kind, offset, things) in enumerate(drops):
        received_at = START + timedelta(minutes=offset)
        details = stock_service.IntakeDetails(
            kind=kind,
            received_at=received_at,
            owner_number=made[number % len(made)].number
            if kind == IntakeKind.CONSIGNMENT
            else None,
            supplier="Chợ" if kind == IntakeKind.PURCHASE else None,
        )
        intake = stock_service.receive_intake(session, details, by=made[0], tz=tz)
        for category, price, condition, rate, quantity in things:
            rate = rate if kind == IntakeKind.CONSIGNMENT else None
            if quantity is None:
                item_details = stock_service.ItemDetails(
                    category=category, price_dong=price, condition=condition, consignor_bp=rate
                )
                item = stock_service.add_item(session, intake, item_details)
            else:
                lot_details = stock_service.LotDetails(
                    category=category, price_dong=price, quantity=quantity, consignor_bp=rate
                )
                item = stock_service.add_lot(session, intake, lot_details)
            stock.append((item, received_at))
    # Prices change as time goes on (the service stamps each change "now"), so each change
    # comes after the one before and after its item came in.
    clock = START
    for which, price, offset in reprices:
        if not stock:
            break
        item, received_at = stock[which % len(stock)]
        clock = max(clock, received_at) + timedelta(minutes=offset)
        if price == item.price_dong:
            continue  # the service refuses a "change" to the price it has
        stock_service.change_price(
            session,
            item,
            price,
            by=made[which % len(made)],
            at=clock,
            reason="thử",
        )
    session.flush()


@settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=members, drops=intakes, reprices=changes)
def test_any_small_history_round_trips(app, session, people, drops, reprices):
    tz = app.config["SHOP_TZ"]
    wipe(session)
    build(session, tz, people, drops, reprices)
    first = export_journal(session, timezone=tz)
    assert check_journal(first) == []

    wipe(session)
    import_journal(session, first, app_config=app.config)

    assert export_journal(session, timezone=tz) == first
    session.rollback()
