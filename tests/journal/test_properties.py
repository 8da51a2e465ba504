"""Any small history made through the services goes through a journal and comes back equal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shop.journal import Problem, check_journal, export_journal, import_journal, normalise_journal
from shop.models import Condition, IntakeKind, PaymentMethod, Role
from shop.services import counter
from shop.services import members as member_service
from shop.services import stock as stock_service
from tests.factories import HANOI

from .conftest import full_example, importable_example, wipe

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
sales = st.lists(
    st.tuples(
        st.integers(min_value=0),  # which item
        st.sampled_from(PaymentMethod),
        st.sampled_from(["kept", "voided", "refunded", "refunded and restocked"]),
    ),
    max_size=4,
)


def build(session, tz, people, drops, reprices, selling=()) -> None:
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
            cost_as_expense=True,  # a history with no bale costs booked
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
            session, item, price, by=made[which % len(made)], at=clock, reason="thử", tz=HANOI
        )
    if selling and stock:
        sell(session, tz, made[0], stock, selling, clock)
    session.flush()


def sell(session, tz, cashier, stock, selling, clock) -> None:
    """A shift after everything came in: one piece of an item still there per sale, paid in
    cash or by transfer, then kept, voided, or refunded in part (back in stock or not)."""
    when = max([clock] + [received_at for _item, received_at in stock])
    shift = counter.open_shift(session, cashier, 100_000, at=when, tz=HANOI)
    for which, method, fate in selling:
        item, _received_at = stock[which % len(stock)]
        session.refresh(item)
        if not item.in_stock:
            continue
        when += timedelta(minutes=1)
        request = counter.SaleRequest(
            lines=(counter.LineRequest(item.code),),
            all_by_transfer=method == PaymentMethod.TRANSFER,
        )
        sale, _new = counter.record_sale(session, request, cashier=cashier, at=when, tz=tz)
        counter.confirm_transfer(session, sale, at=when)
        net = sale.lines[0].net_dong
        if fate == "voided":
            counter.void_sale(session, sale, by=cashier, at=when, reason="thử", tz=HANOI)
        elif fate != "kept" and net > 0:
            counter.refund_line(
                session, sale, 0, amount_dong=max(1, net // 2), quantity=1, method=method,
                reason="thử", restock=fate == "refunded and restocked", by=cashier, at=when,
                shift=shift, tz=HANOI)  # fmt: skip
    counter.close_shift(session, shift, 0, at=when, by=cashier)


@settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=members, drops=intakes, reprices=changes, selling=sales)
def test_any_small_history_round_trips(app, session, people, drops, reprices, selling):
    tz = app.config["SHOP_TZ"]
    wipe(session)
    build(session, tz, people, drops, reprices, selling)
    first = export_journal(session, timezone=tz)
    assert check_journal(first) == []

    wipe(session)
    import_journal(session, first, app_config=app.config)

    assert export_journal(session, timezone=tz) == first
    session.rollback()


# ---------------------------------------------------------------- the worked example, broken


def places(value, found=None) -> list[tuple[object, object]]:
    """Every (container, key) of a parsed JSON value: each place a value can be changed."""
    found = [] if found is None else found
    keys = value.keys() if isinstance(value, dict) else range(len(value))
    for key in keys:
        found.append((value, key))
        if isinstance(value[key], dict | list):
            places(value[key], found)
    return found


# Values close to the example's, so that a change is now and then still a sound history.
# Texts here are tidy: the services tidy spaces away, which normalise_journal does not undo.
tidy_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1, max_value=4),
    st.sampled_from([0, 1000, 6000, 20000, 54000, 110000, 160000, 200000, 10**12]),
    st.sampled_from(["", "A", "B", "F", "Z", "cash", "transfer", "returned_to_owner"]),
    st.sampled_from(
        [
            "2026-11-03T10:00:00+07:00",
            "2026-11-03T11:20:00+07:00",
            "2026-12-04T10:15:00+07:00",
            "2027-01-08T09:30:00+07:00",
            "2026-11-03T03:15:00Z",
            "2026-13-01T00:00:00+07:00",
        ]
    ),
    st.just([]),
    st.just({}),
)
odd_values = st.one_of(tidy_values, st.sampled_from(["  ", " x ", "x" * 301]))


@st.composite
def broken_examples(draw, values=odd_values, base=importable_example, keep=()) -> dict:
    """The worked example (by default its history alone, payouts and closed months aside)
    with one to three places changed to one of ``values`` or removed; keys in ``keep`` stay
    as they are."""
    journal = base()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        changeable = [(container, key) for container, key in places(journal) if key not in keep]
        container, key = draw(st.sampled_from(changeable))
        if draw(st.booleans()) and isinstance(container, dict):
            del container[key]
        else:
            container[key] = draw(values)
    return journal


@settings(max_examples=300, deadline=None, database=None)
@given(journal=broken_examples())
def test_the_check_reads_any_broken_journal_without_failing(journal):
    problems = check_journal(journal)

    assert all(isinstance(p, Problem) and p.message for p in problems)
    assert all(p.path == "" or p.path.startswith("/") for p in problems)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,  # most changes break the history, as they should
    ],
)
@given(journal=broken_examples(tidy_values))
def test_what_the_check_passes_imports_and_comes_back_the_same(app, session, journal):
    assume(check_journal(journal) == [])
    wipe(session)

    import_journal(session, journal, app_config=app.config)

    assert export_journal(session, timezone=app.config["SHOP_TZ"]) == normalise_journal(journal)
    session.rollback()


# Months close after everything in them, and payouts come after; a change that moves a sale,
# a shift or an expense, or alters an amount, must be caught by the check exactly when the
# import would refuse it (a payout above the due it makes, a shift left open in a closed
# month, a month closed out of order). A date is also a phone number the shop would write
# as digits, so phones are left alone.
closing_values = st.one_of(
    tidy_values,
    st.sampled_from(["2026-11", "2026-12", "2027-01", "2027-02", "2026-12-01", "2027-01-02"]),
    st.sampled_from([27857, 62764, 62765, 98430]),
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(journal=broken_examples(closing_values, base=full_example, keep=("phone",)))
def test_what_the_check_passes_of_the_closed_example_imports_and_comes_back_the_same(
    app, session, journal
):
    assume(check_journal(journal) == [])
    wipe(session)

    import_journal(session, journal, app_config=app.config)

    assert export_journal(session, timezone=app.config["SHOP_TZ"]) == normalise_journal(journal)
    session.rollback()


@settings(max_examples=200, deadline=None, database=None)
@given(journal=broken_examples(closing_values, base=full_example))
def test_the_check_reads_any_broken_closed_example_without_failing(journal):
    problems = check_journal(journal)

    assert all(isinstance(p, Problem) and p.message for p in problems)
    assert all(p.path == "" or p.path.startswith("/") for p in problems)
