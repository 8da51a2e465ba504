from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shop.domain.sale import Line, totals
from shop.domain.sharing import (
    History,
    Member,
    MemberFigures,
    MemberInput,
    MonthFigures,
    MonthInput,
    RefundEvent,
    SharingSettings,
    SoldLine,
    eligible,
    month_bounds,
    month_check_holds,
    month_figures,
    payable_dong,
    payout_check_holds,
    share_history,
    shift_work_minutes,
)

# --- The worked example of docs/sharing.md (copied here so that the test stands alone) ---

HONG, NGOC, UT, LAN = 1, 2, 3, 4
OCT_1 = date(2026, 10, 1)
EXAMPLE_MEMBERS = (
    Member(HONG, OCT_1),
    Member(NGOC, OCT_1),
    Member(UT, OCT_1),
    Member(LAN, date(2026, 12, 15)),
)


def _example_lines() -> tuple[SoldLine, ...]:
    sale_1 = totals([Line(50_000), Line(120_000, discount_dong=10_000)])
    sale_2 = totals([Line(35_000), Line(25_000)], 6_000)
    a, b = sale_1.nets
    c, d = sale_2.nets
    return (
        SoldLine("2026-11", a, None, 0),
        SoldLine("2026-11", b, NGOC, 7000),
        SoldLine("2026-11", c, UT, 7000),
        SoldLine("2026-11", d, None, 0),
        SoldLine("2026-12", 20_000, None, 0),
        SoldLine("2027-01", 80_000, None, 0),
    )


EXAMPLE = History(
    months=("2026-11", "2026-12", "2027-01"),
    members=EXAMPLE_MEMBERS,
    lines=_example_lines(),
    refunds=(RefundEvent("2026-12", 1, 110_000),),
    expenses={"2026-11": 14_950, "2026-12": 10_000},
    work_minutes={
        ("2026-11", HONG): 200,
        ("2026-11", NGOC): 100,
        ("2026-11", UT): 400,
        ("2026-12", HONG): 90,
        ("2026-12", NGOC): 60,
        ("2027-01", HONG): 120,
        ("2027-01", LAN): 120,
    },
    payouts={("2026-11", HONG): 27_857, ("2026-11", NGOC): 98_429, ("2026-11", UT): 60_000},
)


def _member(member, minutes, consignment, equal, work, brought, paid=0):
    earned = consignment + equal + work
    due = brought + earned
    return MemberFigures(
        member=member,
        work_minutes=minutes,
        consignment_dong=consignment,
        equal_share_dong=equal,
        work_share_dong=work,
        earned_dong=earned,
        brought_forward_dong=brought,
        due_dong=due,
        paid_dong=paid,
        carried_forward_dong=due - paid,
    )


NOVEMBER = MonthFigures(
    pool_sales_dong=114_950,
    expenses_dong=14_950,
    brought_loss_dong=0,
    result_dong=100_000,
    reserve_dong=10_000,
    distributable_dong=90_000,
    carried_loss_dong=0,
    equal_total_dong=45_000,
    work_total_dong=45_000,
    members=(
        #       member minutes consignment equal  work    brought paid
        _member(HONG, 200, 0, 15_000, 12_857, 0, 27_857),
        _member(NGOC, 100, 77_000, 15_000, 6_429, 0, 98_429),
        _member(UT, 400, 22_050, 15_000, 25_714, 0, 60_000),
    ),
)
DECEMBER = MonthFigures(
    pool_sales_dong=-13_000,
    expenses_dong=10_000,
    brought_loss_dong=0,
    result_dong=-23_000,
    reserve_dong=0,
    distributable_dong=0,
    carried_loss_dong=23_000,
    equal_total_dong=0,
    work_total_dong=0,
    members=(
        _member(HONG, 90, 0, 0, 0, 0),
        _member(NGOC, 60, -77_000, 0, 0, 0),
        _member(UT, 0, 0, 0, 0, 2_764),
        _member(LAN, 0, 0, 0, 0, 0),
    ),
)
JANUARY = MonthFigures(
    pool_sales_dong=80_000,
    expenses_dong=0,
    brought_loss_dong=23_000,
    result_dong=57_000,
    reserve_dong=5_700,
    distributable_dong=51_300,
    carried_loss_dong=0,
    equal_total_dong=25_650,
    work_total_dong=25_650,
    members=(
        _member(HONG, 120, 0, 6_413, 12_825, 0),
        _member(NGOC, 0, 0, 6_413, 0, -77_000),
        _member(UT, 0, 0, 6_412, 0, 2_764),
        _member(LAN, 120, 0, 6_412, 12_825, 0),
    ),
)
EXAMPLE_FIGURES = {"2026-11": NOVEMBER, "2026-12": DECEMBER, "2027-01": JANUARY}
# Net sales and refunds of each month, for the check at the end of docs/sharing.md.
EXAMPLE_SALES = {"2026-11": (214_000, 0), "2026-12": (20_000, 110_000), "2027-01": (80_000, 0)}


@pytest.mark.parametrize(
    ("member", "earned", "paid", "carried"),
    [
        (NOVEMBER.members[0], 27_857, 27_857, 0),
        (NOVEMBER.members[1], 98_429, 98_429, 0),
        (NOVEMBER.members[2], 62_764, 60_000, 2_764),
    ],
)
def test_the_expected_tables_read_as_sharing_md_prints_them(member, earned, paid, carried):
    assert (member.earned_dong, member.paid_dong, member.carried_forward_dong) == (
        earned,
        paid,
        carried,
    )


def test_january_dues_as_printed():
    assert [m.due_dong for m in JANUARY.members] == [19_238, -70_587, 9_176, 19_237]
    assert [m.earned_dong for m in JANUARY.members] == [19_238, 6_413, 6_412, 19_237]


def _input_from(expected: MonthFigures, eligible_members: set[int]) -> MonthInput:
    return MonthInput(
        pool_sales_dong=expected.pool_sales_dong,
        expenses_dong=expected.expenses_dong,
        brought_loss_dong=expected.brought_loss_dong,
        # Given in reverse, because the order of the input must not matter.
        members=tuple(
            MemberInput(
                member=m.member,
                eligible=m.member in eligible_members,
                work_minutes=m.work_minutes,
                consignment_dong=m.consignment_dong,
                brought_forward_dong=m.brought_forward_dong,
                paid_dong=m.paid_dong,
            )
            for m in reversed(expected.members)
        ),
        settings=SharingSettings(),
    )


@pytest.mark.parametrize(
    ("expected", "eligible_members"),
    [
        (NOVEMBER, {HONG, NGOC, UT}),
        (DECEMBER, {HONG, NGOC, UT, LAN}),
        (JANUARY, {HONG, NGOC, UT, LAN}),
    ],
    ids=["2026-11", "2026-12", "2027-01"],
)
def test_worked_example_month_by_month(expected, eligible_members):
    assert month_figures(_input_from(expected, eligible_members)) == expected


def test_worked_example_from_the_raw_history():
    assert share_history(EXAMPLE) == EXAMPLE_FIGURES


def test_worked_example_keeps_the_check():
    for month, figures in share_history(EXAMPLE).items():
        assert month_check_holds(figures, *EXAMPLE_SALES[month]), month


def test_november_ngoc_gets_the_left_over_dong():
    # Work quotas 12.857,14 / 6.428,57 / 25.714,29: the largest fraction is Ngọc's.
    assert [m.work_share_dong for m in NOVEMBER.members] == [12_857, 6_429, 25_714]


def test_january_members_one_and_two_get_the_extra_dong():
    # 25.650 over four is 6.412,5 each: a four-way tie, broken by the lower member number.
    figures = share_history(EXAMPLE)["2027-01"]
    assert [m.equal_share_dong for m in figures.members] == [6_413, 6_413, 6_412, 6_412]


def test_as_dict_uses_the_field_names_of_sharing_md():
    data = NOVEMBER.as_dict()
    assert list(data) == [
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
    ]
    assert isinstance(data["members"], list)
    assert data["members"][1] == {
        "member": 2,
        "work_minutes": 100,
        "consignment_dong": 77_000,
        "compensation_dong": 0,
        "equal_share_dong": 15_000,
        "work_share_dong": 6_429,
        "earned_dong": 98_429,
        "brought_forward_dong": 0,
        "due_dong": 98_429,
        "paid_dong": 98_429,
        "carried_forward_dong": 0,
    }


# --- Edge cases ------------------------------------------------------------------------------


def _month(pool, members, *, expenses=0, brought_loss=0, reserve_bp=1000, equal_bp=5000):
    return month_figures(
        MonthInput(
            pool_sales_dong=pool,
            expenses_dong=expenses,
            brought_loss_dong=brought_loss,
            members=tuple(MemberInput(*m) for m in members),
            settings=SharingSettings(reserve_bp=reserve_bp, equal_bp=equal_bp),
        )
    )


def _totals(figures: MonthFigures) -> tuple:
    return (
        figures.result_dong,
        figures.reserve_dong,
        figures.distributable_dong,
        figures.carried_loss_dong,
        figures.equal_total_dong,
        figures.work_total_dong,
    )


# Members as (member, eligible, work_minutes, consignment, brought_forward, paid).
@pytest.mark.parametrize(
    ("case", "month", "expected_totals", "expected_shares"),
    [
        (
            "nobody eligible: the whole result is kept as reserve",
            dict(pool=50_000, members=[(1, False, 0, 3_000, 500, 0), (2, False, 60, 0, 0, 0)]),
            (50_000, 50_000, 0, 0, 0, 0),
            [(0, 0), (0, 0)],
        ),
        (
            "nobody eligible with a loss: the loss is carried",
            dict(pool=1_000, expenses=4_000, members=[(1, False, 0, 0, 0, 0)]),
            (-3_000, 0, 0, 3_000, 0, 0),
            [(0, 0)],
        ),
        (
            "nobody worked: everything is shared equally",
            dict(pool=10_000, members=[(1, True, 0, 0, 0, 0), (2, True, 0, 0, 0, 0)]),
            (10_000, 1_000, 9_000, 0, 9_000, 0),
            [(4_500, 0), (4_500, 0)],
        ),
        (
            "nobody worked, odd total: the lower number gets the đồng",
            dict(pool=10, members=[(3, True, 0, 0, 0, 0), (1, True, 0, 0, 0, 0)]),
            (10, 1, 9, 0, 9, 0),
            [(5, 0), (4, 0)],
        ),
        (
            "result exactly 0",
            dict(pool=5_000, expenses=3_000, brought_loss=2_000, members=[(1, True, 30, 0, 0, 0)]),
            (0, 0, 0, 0, 0, 0),
            [(0, 0)],
        ),
        (
            "negative result",
            dict(pool=-2_000, expenses=1_000, brought_loss=500, members=[(1, True, 30, 0, 0, 0)]),
            (-3_500, 0, 0, 3_500, 0, 0),
            [(0, 0)],
        ),
        (
            "the loss brought is paid off first",
            dict(pool=10_000, brought_loss=3_500, members=[(1, True, 30, 0, 0, 0)]),
            (6_500, 650, 5_850, 0, 2_925, 2_925),
            [(2_925, 2_925)],
        ),
        (
            "a member who left: no equal share, her consignment still counts",
            dict(
                pool=20_000,
                members=[(1, True, 60, 0, 0, 0), (2, True, 0, 0, 0, 0), (5, False, 0, 7_000, 0, 0)],
            ),
            (20_000, 2_000, 18_000, 0, 9_000, 9_000),
            [(4_500, 9_000), (4_500, 0), (0, 0)],
        ),
        (
            "minutes of an ineligible member still earn a work share",
            dict(pool=20_000, members=[(1, True, 0, 0, 0, 0), (2, False, 30, 0, 0, 0)]),
            (20_000, 2_000, 18_000, 0, 9_000, 9_000),
            [(9_000, 0), (0, 9_000)],
        ),
        (
            "rates at their ends",
            dict(pool=999, reserve_bp=0, equal_bp=10_000, members=[(1, True, 10, 0, 0, 0)]),
            (999, 0, 999, 0, 999, 0),
            [(999, 0)],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_edge_cases(case, month, expected_totals, expected_shares):
    figures = _month(**month)
    assert _totals(figures) == expected_totals, case
    assert [(m.equal_share_dong, m.work_share_dong) for m in figures.members] == expected_shares
    assert figures.members == tuple(sorted(figures.members, key=lambda m: m.member))


def test_a_member_who_left_is_listed_while_she_has_a_balance():
    history = History(
        months=("2027-03", "2027-04", "2027-05"),
        members=(Member(1, date(2027, 1, 1)), Member(2, date(2027, 1, 1), date(2027, 3, 10))),
        lines=(SoldLine("2027-03", 100_000, None), SoldLine("2027-04", 30_000, 2, 5000)),
        work_minutes={("2027-03", 1): 60, ("2027-03", 2): 60, ("2027-04", 1): 60},
        payouts={("2027-04", 2): 30_000},
    )
    march, april, may = share_history(history).values()
    # March: she was a member for ten days, so she shares like anyone else.
    assert [m.member for m in march.members] == [1, 2]
    assert [(m.equal_share_dong, m.work_share_dong) for m in march.members] == [
        (22_500, 22_500),
        (22_500, 22_500),
    ]
    # April: not eligible, but her balance and her item sold after she left are hers.
    assert [m.member for m in april.members] == [1, 2]
    left = april.members[1]
    assert (left.equal_share_dong, left.consignment_dong, left.brought_forward_dong) == (
        0,
        15_000,
        45_000,
    )
    assert (left.due_dong, left.paid_dong, left.carried_forward_dong) == (60_000, 30_000, 30_000)
    assert april.members[0].equal_share_dong == april.equal_total_dong
    # May: still owed 30.000, so she is listed until she is paid.
    assert may.members[1].brought_forward_dong == 30_000
    assert may.members[1].earned_dong == 0


def test_negative_result_then_positive():
    history = History(
        months=("2027-06", "2027-07", "2027-08"),
        members=(Member(1, date(2027, 1, 1)),),
        lines=(SoldLine("2027-06", 5_000, None), SoldLine("2027-08", 30_000, None)),
        expenses={"2027-06": 12_000, "2027-07": 1_000},
    )
    june, july, august = share_history(history).values()
    assert (june.result_dong, june.carried_loss_dong) == (-7_000, 7_000)
    assert (july.brought_loss_dong, july.result_dong, july.carried_loss_dong) == (
        7_000,
        -8_000,
        8_000,
    )
    assert (august.brought_loss_dong, august.result_dong, august.carried_loss_dong) == (
        8_000,
        22_000,
        0,
    )
    assert (august.reserve_dong, august.distributable_dong) == (2_200, 19_800)


@pytest.mark.parametrize(
    ("due", "paid"),
    [(1_000, 1_001), (0, 1), (-5_000, 1), (1_000, -1)],
)
def test_a_payout_above_what_is_due_is_refused(due, paid):
    member = MemberInput(1, False, 0, consignment_dong=due, brought_forward_dong=0, paid_dong=paid)
    with pytest.raises(ValueError, match="paid"):
        month_figures(MonthInput(0, 0, 0, (member,), SharingSettings()))


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (MonthInput(0, -1, 0, ()), "expenses"),
        (MonthInput(0, 0, -1, ()), "brought_loss"),
        (
            MonthInput(0, 0, 0, (MemberInput(1, True, 0, 0, 0), MemberInput(1, True, 0, 0, 0))),
            "twice",
        ),
        (MonthInput(0, 0, 0, (MemberInput(1, True, -1, 0, 0),)), "work_minutes"),
    ],
)
def test_impossible_months_are_refused(month, message):
    with pytest.raises(ValueError, match=message):
        month_figures(month)


@pytest.mark.parametrize(("reserve_bp", "equal_bp"), [(-1, 5000), (1000, 10_001), (True, 5000)])
def test_settings_are_basis_points(reserve_bp, equal_bp):
    with pytest.raises(ValueError, match="basis points"):
        SharingSettings(reserve_bp=reserve_bp, equal_bp=equal_bp)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(months=("2026-11", "2027-01")), "does not follow"),
        (dict(months=("2026-13",)), "not a month"),
        (dict(lines=(SoldLine("2026-10", 1_000, None),)), "not one of the history's months"),
        (dict(lines=(SoldLine("2026-11", 1_000, 9, 7000),)), "member 9"),
        (dict(lines=(SoldLine("2026-11", 1_000, 1, 10_001),)), "basis points"),
        (dict(lines=(SoldLine("2026-11", -1, None),)), "net"),
        (dict(lines=(), refunds=(RefundEvent("2026-11", 0, 1),)), "not sold"),
        (dict(lines=EXAMPLE.lines, refunds=(RefundEvent("2026-11", 5, 1),)), "before it was sold"),
        (dict(lines=EXAMPLE.lines, refunds=(RefundEvent("2026-12", 1, 110_001),)), "refund of"),
        (dict(lines=EXAMPLE.lines, refunds=(RefundEvent("2026-12", 1, 0),)), "refund of"),
        (
            dict(
                lines=EXAMPLE.lines,
                refunds=(RefundEvent("2026-12", 1, 1), RefundEvent("2026-11", 2, 1)),
            ),
            "order",
        ),
        (dict(expenses={"2027-02": 1}), "not one of the history's months"),
        (dict(work_minutes={("2026-11", 9): 1}), "member 9"),
        (dict(compensations={("2026-11", 9): 1}), "member 9"),
        (dict(compensations={("2027-02", UT): 1}), "not one of the history's months"),
        (dict(compensations={("2026-11", UT): -1}), "compensation must not be negative"),
        (dict(payouts={("2026-11", UT): 62_765}), "more than due"),
        (dict(members=(Member(1, OCT_1), Member(1, OCT_1))), "twice"),
    ],
)
def test_impossible_histories_are_refused(change, message):
    fields = dict(
        months=EXAMPLE.months,
        members=EXAMPLE.members,
        lines=EXAMPLE.lines,
        expenses=EXAMPLE.expenses,
        work_minutes=EXAMPLE.work_minutes,
    )
    fields.update(change)
    with pytest.raises(ValueError, match=message):
        share_history(History(**fields))


def test_an_empty_history_has_no_months():
    assert share_history(History(months=(), members=())) == {}


# --- Small helpers ---------------------------------------------------------------------------

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("opened_at", "closed_at", "minutes"),
    [
        (
            datetime(2026, 11, 2, 8, 0, tzinfo=SAIGON),
            datetime(2026, 11, 2, 11, 20, tzinfo=SAIGON),
            200,
        ),
        (
            datetime(2026, 11, 2, 8, 0, tzinfo=SAIGON),
            datetime(2026, 11, 2, 8, 0, 59, tzinfo=SAIGON),
            0,
        ),
        (datetime(2026, 11, 2, 8, 0, tzinfo=SAIGON), datetime(2026, 11, 2, 8, 0, tzinfo=SAIGON), 0),
        (datetime(2026, 11, 2, 1, 0, tzinfo=UTC), datetime(2026, 11, 2, 8, 1, tzinfo=SAIGON), 1),
        # A shift over midnight counts whole.
        (
            datetime(2026, 11, 30, 22, 0, tzinfo=SAIGON),
            datetime(2026, 12, 1, 1, 30, 30, tzinfo=SAIGON),
            210,
        ),
    ],
)
def test_shift_work_minutes_round_down(opened_at, closed_at, minutes):
    assert shift_work_minutes(opened_at, closed_at) == minutes


def test_shift_work_minutes_across_a_change_of_offset():
    # Berlin leaves summer time on 25 Oct 2026: 01:30 to 02:30 (second pass) is two hours.
    berlin = ZoneInfo("Europe/Berlin")
    opened = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)
    closed = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)
    assert shift_work_minutes(opened, closed) == 120


@pytest.mark.parametrize(
    ("opened_at", "closed_at"),
    [
        (datetime(2026, 11, 2, 8, 0), datetime(2026, 11, 2, 9, 0, tzinfo=SAIGON)),
        (datetime(2026, 11, 2, 8, 0, tzinfo=SAIGON), datetime(2026, 11, 2, 9, 0)),
        (datetime(2026, 11, 2, 9, 0, tzinfo=SAIGON), datetime(2026, 11, 2, 8, 59, tzinfo=SAIGON)),
    ],
)
def test_shift_work_minutes_refuses(opened_at, closed_at):
    with pytest.raises(ValueError):
        shift_work_minutes(opened_at, closed_at)


DEC_1, DEC_31 = date(2026, 12, 1), date(2026, 12, 31)


@pytest.mark.parametrize(
    ("joined_on", "left_on", "expected"),
    [
        (date(2026, 10, 1), None, True),
        (date(2026, 12, 31), None, True),  # joins on the last day
        (date(2027, 1, 1), None, False),  # joins after the month
        (date(2026, 10, 1), date(2026, 12, 1), True),  # leaves on the first day
        (date(2026, 10, 1), date(2026, 11, 30), False),  # left before the month
        (date(2026, 12, 10), date(2026, 12, 20), True),  # inside the month
        (date(2026, 11, 1), date(2027, 2, 1), True),  # spans it
    ],
)
def test_eligible(joined_on, left_on, expected):
    assert eligible(joined_on, left_on, DEC_1, DEC_31) is expected


def test_eligible_needs_a_month():
    with pytest.raises(ValueError):
        eligible(DEC_1, None, DEC_31, DEC_1)


@pytest.mark.parametrize(
    ("due", "already_paid", "payable"),
    [(62_764, 0, 62_764), (62_764, 60_000, 2_764), (62_764, 62_764, 0), (0, 0, 0), (-77_000, 0, 0)],
)
def test_payable(due, already_paid, payable):
    assert payable_dong(due, already_paid) == payable


@pytest.mark.parametrize(
    ("month", "bounds"),
    [
        ("2026-12", (date(2026, 12, 1), date(2026, 12, 31))),
        ("2027-02", (date(2027, 2, 1), date(2027, 2, 28))),
        ("2028-02", (date(2028, 2, 1), date(2028, 2, 29))),
    ],
)
def test_month_bounds(month, bounds):
    assert month_bounds(month) == bounds


@pytest.mark.parametrize("month", ["2026-1", "2026/01", "26-01", "2026-00", "january"])
def test_month_bounds_refuses(month):
    with pytest.raises(ValueError, match="not a month"):
        month_bounds(month)


def test_the_check_notices_a_missing_dong():
    assert not month_check_holds(NOVEMBER, 214_001, 0)


# --- Compensation for a member's consigned item lost at a stocktake --------------------------


def test_a_month_without_compensation_gives_the_figures_it_always_gave():
    plain = share_history(EXAMPLE)
    with_none = share_history(replace(EXAMPLE, compensations={("2026-11", UT): 0}))
    assert with_none == plain
    assert all(m.compensation_dong == 0 for f in plain.values() for m in f.members)
    assert all(f.compensation_total_dong == 0 for f in plain.values())


def test_a_lost_item_is_an_expense_of_the_pool_and_part_of_her_earned():
    """November of docs/sharing.md, and another item of Út's (35.000) not found at a stocktake
    of 20 November: the group pays her 70 % of it (24.500) as an expense of the month."""
    history = replace(EXAMPLE, compensations={("2026-11", UT): 24_500}, payouts={})
    november = share_history(history)["2026-11"]
    # The pool bears it: expenses 14.950 + 24.500; result 114.950 − 39.450.
    assert (november.expenses_dong, november.result_dong) == (39_450, 75_500)
    assert (november.reserve_dong, november.distributable_dong) == (7_550, 67_950)
    assert (november.equal_total_dong, november.work_total_dong) == (33_975, 33_975)
    assert november.compensation_total_dong == 24_500
    # Work quotas 9.707,14 / 4.853,57 / 19.414,29: the one đồng left goes to Ngọc.
    hong, ngoc, ut = november.members
    assert (hong.compensation_dong, ngoc.compensation_dong) == (0, 0)
    assert (ut.consignment_dong, ut.compensation_dong) == (22_050, 24_500)
    assert (ut.equal_share_dong, ut.work_share_dong) == (11_325, 19_414)
    assert ut.earned_dong == 22_050 + 24_500 + 11_325 + 19_414 == 77_289
    assert ut.due_dong == ut.carried_forward_dong == 77_289
    assert (hong.earned_dong, ngoc.earned_dong) == (11_325 + 9_707, 77_000 + 11_325 + 4_854)
    # Both checks hold with it: the month's sales are still 160.000 + 54.000.
    assert month_check_holds(november, 214_000, 0)
    assert payout_check_holds(november, 214_000, 0)
    assert not payout_check_holds(november, 214_001, 0)
    # In the month's data, beside her consignment.
    data = november.as_dict()["members"][2]
    assert list(data)[2:4] == ["consignment_dong", "compensation_dong"]
    assert data["compensation_dong"] == 24_500
    # The months after carry her balance on as any other.
    assert share_history(history)["2026-12"].members[2].brought_forward_dong == 77_289


def test_the_lost_jacket_of_docs_sharing_md():
    """docs/sharing.md's illustration: Út's jacket G (40.000, in since 1 November) not found
    at a count closed on 20 January, at half price by then: 14.000 paid to her in January."""
    january = share_history(replace(EXAMPLE, compensations={("2027-01", UT): 14_000}))["2027-01"]
    assert (january.expenses_dong, january.result_dong) == (14_000, 80_000 - 14_000 - 23_000)
    assert (january.reserve_dong, january.distributable_dong) == (4_300, 38_700)
    assert (january.equal_total_dong, january.work_total_dong) == (19_350, 19_350)
    # 4.837,5 each: the two đồng left go to members 1 and 2; Hồng and Lan 9.675 for hours.
    assert [(m.equal_share_dong, m.work_share_dong) for m in january.members] == [
        (4_838, 9_675), (4_838, 0), (4_837, 0), (4_837, 9_675),
    ]  # fmt: skip
    ut = january.members[UT - 1]
    assert (ut.compensation_dong, ut.earned_dong) == (14_000, 14_000 + 4_837)
    assert ut.due_dong == 2_764 + 18_837 == 21_601
    assert month_check_holds(january, 80_000, 0) and payout_check_holds(january, 80_000, 0)


def test_a_compensation_lists_a_member_with_nothing_else_in_the_month():
    history = History(
        months=("2027-02",),
        members=(Member(1, OCT_1), Member(2, OCT_1, left_on=date(2027, 1, 31))),
        lines=(SoldLine("2027-02", 100_000, None),),
        compensations={("2027-02", 2): 30_000},
    )
    (february,) = share_history(history).values()
    assert [m.member for m in february.members] == [1, 2]
    left = february.members[1]
    assert (left.equal_share_dong, left.compensation_dong, left.earned_dong) == (0, 30_000, 30_000)
    assert february.expenses_dong == 30_000 and february.result_dong == 70_000
    assert month_check_holds(february, 100_000, 0) and payout_check_holds(february, 100_000, 0)


def test_a_month_with_a_loss_still_pays_her_compensation():
    figures = _month(
        10_000,
        [(1, True, 0, 0, 0, 0, 40_000), (2, True, 0, 0, 0, 0, 0)],
        expenses=40_000,
    )
    assert (figures.result_dong, figures.carried_loss_dong) == (-30_000, 30_000)
    assert [m.earned_dong for m in figures.members] == [40_000, 0]
    assert month_check_holds(figures, 10_000 + 0, 0)
    assert payout_check_holds(figures, 10_000, 0)


@pytest.mark.parametrize(
    ("members", "expenses", "message"),
    [
        ([(1, True, 0, 0, 0, 0, -1)], 0, "compensation_dong must not be negative"),
        ([(1, True, 0, 0, 0, 0, 20_000), (2, True, 0, 0, 0, 0, 1)], 20_000, "more than the"),
    ],
)
def test_impossible_compensations_are_refused(members, expenses, message):
    with pytest.raises(ValueError, match=message):
        _month(0, members, expenses=expenses)


# --- Random histories ------------------------------------------------------------------------

FIRST_MONTH = date(2026, 11, 1)


def _months(count: int) -> tuple[str, ...]:
    months = []
    day = FIRST_MONTH
    for _ in range(count):
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = (day + timedelta(days=32)).replace(day=1)
    return tuple(months)


@st.composite
def histories(draw):
    months = _months(draw(st.integers(1, 4)))
    last_day = month_bounds(months[-1])[1]
    days = st.integers(-60, (last_day - FIRST_MONTH).days + 30).map(
        lambda n: FIRST_MONTH + timedelta(days=n)
    )
    members = []
    for number in draw(st.sets(st.integers(1, 20), min_size=1, max_size=6)):
        joined_on = draw(days)
        stays = draw(st.none() | st.integers(0, 200))
        left_on = None if stays is None else joined_on + timedelta(days=stays)
        members.append(Member(number, joined_on, left_on))
    numbers = sorted(m.number for m in members)
    month_index = st.integers(0, len(months) - 1)

    lines = []
    for _ in range(draw(st.integers(0, 8))):
        lines.append(
            SoldLine(
                months[draw(month_index)],
                draw(st.integers(0, 500_000)),
                draw(st.none() | st.sampled_from(numbers)),
                draw(st.integers(0, 10_000)),
            )
        )
    refunds = []
    for index, line in enumerate(lines):
        left = line.net_dong
        first = months.index(line.month)
        for _ in range(draw(st.integers(0, 2))):
            if left == 0:
                break
            amount = draw(st.integers(1, left) | st.just(left))
            first = draw(st.integers(first, len(months) - 1))
            refunds.append(RefundEvent(months[first], index, amount))
            left -= amount
    refunds.sort(key=lambda refund: refund.month)

    expenses = {month: draw(st.just(0) | st.integers(0, 200_000)) for month in months}
    # Her consigned items lost at a stocktake and paid to her: none in most months.
    compensations = {
        (month, number): draw(st.integers(1, 150_000))
        for month in months
        for number in numbers
        if draw(st.integers(0, 3)) == 0
    }
    nobody_works = draw(st.booleans())
    work_minutes = {
        (month, number): draw(st.integers(0, 3_000))
        for month in months
        for number in numbers
        if not nobody_works and draw(st.booleans())
    }
    # Each (month, member) pays a quarter-multiple of what is then due: 0, some, or all.
    pay_quarters = {
        (month, number): draw(st.integers(0, 4)) for month in months for number in numbers
    }
    settings = SharingSettings(
        reserve_bp=draw(st.integers(0, 10_000) | st.just(1000)),
        equal_bp=draw(st.integers(0, 10_000) | st.just(5000)),
    )
    history = History(
        months=months,
        members=tuple(members),
        lines=tuple(lines),
        refunds=tuple(refunds),
        expenses=expenses,
        work_minutes=work_minutes,
        settings=settings,
        compensations=compensations,
    )
    return _with_payouts(history, pay_quarters)


def _with_payouts(history: History, pay_quarters: dict) -> History:
    # A month's due does not depend on its own or later payouts, so each month's payouts can
    # be chosen from the figures computed with the earlier months' payouts in place.
    payouts: dict = {}
    for month in history.months:
        current = replace(history, payouts=dict(payouts))
        for member in share_history(current)[month].members:
            quarters = pay_quarters.get((month, member.member), 0)
            paid = payable_dong(member.due_dong, 0) * quarters // 4
            if paid:
                payouts[(month, member.member)] = paid
    return replace(history, payouts=payouts)


def _sales_and_refunds(history: History, month: str) -> tuple[int, int]:
    net = sum(line.net_dong for line in history.lines if line.month == month)
    refunded = sum(refund.amount_dong for refund in history.refunds if refund.month == month)
    return net, refunded


@settings(max_examples=200, deadline=None)
@given(histories())
def test_random_histories_keep_every_rule(history):
    shared = share_history(history)
    assert list(shared) == list(history.months)
    members = {m.number: m for m in history.members}
    brought_loss = 0
    balances: dict[int, int] = {}
    for month, figures in shared.items():
        first_day, last_day = month_bounds(month)
        listed = [m.member for m in figures.members]
        assert listed == sorted(listed)
        assert figures.brought_loss_dong == brought_loss
        compensated = {
            number: amount for (when, number), amount in history.compensations.items()
            if when == month
        }  # fmt: skip
        assert figures.expenses_dong == history.expenses[month] + sum(compensated.values())
        assert figures.compensation_total_dong == sum(compensated.values())
        result = figures.pool_sales_dong - figures.expenses_dong - figures.brought_loss_dong
        assert figures.result_dong == result
        if result > 0:
            assert figures.reserve_dong + figures.distributable_dong == result
            assert figures.carried_loss_dong == 0
        else:
            assert (figures.reserve_dong, figures.distributable_dong) == (0, 0)
            assert figures.carried_loss_dong == -result
        assert figures.equal_total_dong + figures.work_total_dong == figures.distributable_dong
        assert sum(m.equal_share_dong for m in figures.members) == figures.equal_total_dong
        assert sum(m.work_share_dong for m in figures.members) == figures.work_total_dong
        assert month_check_holds(figures, *_sales_and_refunds(history, month))
        assert payout_check_holds(figures, *_sales_and_refunds(history, month))
        assert {m.member: m.compensation_dong for m in figures.members if m.compensation_dong} == (
            compensated
        )

        equal_shares = set()
        for m in figures.members:
            member = members[m.member]
            if eligible(member.joined_on, member.left_on, first_day, last_day):
                equal_shares.add(m.equal_share_dong)
            else:
                assert m.equal_share_dong == 0
            assert m.work_minutes == history.work_minutes.get((month, m.member), 0)
            if m.work_minutes == 0:
                assert m.work_share_dong == 0
            assert m.earned_dong == (
                m.consignment_dong + m.compensation_dong + m.equal_share_dong + m.work_share_dong
            )
            assert m.brought_forward_dong == balances.pop(m.member, 0)
            assert m.due_dong == m.brought_forward_dong + m.earned_dong
            assert m.paid_dong == history.payouts.get((month, m.member), 0)
            assert 0 <= m.paid_dong <= max(m.due_dong, 0)
            assert m.carried_forward_dong == m.due_dong - m.paid_dong
        # Equal shares differ by the one đồng left over at most.
        assert not equal_shares or max(equal_shares) - min(equal_shares) <= 1
        # Nobody left out of the list has a balance to carry.
        assert not any(balances.values())
        brought_loss = figures.carried_loss_dong
        balances = {m.member: m.carried_forward_dong for m in figures.members}


@settings(max_examples=100, deadline=None)
@given(histories(), st.data())
def test_random_histories_refuse_a_payout_above_due(history, data):
    shared = share_history(history)
    month = data.draw(st.sampled_from(history.months))
    assume(shared[month].members)
    member = data.draw(st.sampled_from(shared[month].members))
    already = history.payouts.get((month, member.member), 0)
    too_much = max(member.due_dong, 0) + data.draw(st.integers(1, 10_000))
    payouts = {**history.payouts, (month, member.member): too_much}
    assert too_much > already
    with pytest.raises(ValueError, match="more than due"):
        share_history(replace(history, payouts=payouts))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-1_000_000, 1_000_000),
    st.lists(st.tuples(st.booleans(), st.integers(0, 600)), min_size=1, max_size=6),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)
def test_random_months_split_exactly(pool, members, reserve_bp, equal_bp):
    figures = _month(
        pool,
        [(number, ok, minutes, 0, 0, 0) for number, (ok, minutes) in enumerate(members, 1)],
        reserve_bp=reserve_bp,
        equal_bp=equal_bp,
    )
    assert sum(m.equal_share_dong + m.work_share_dong for m in figures.members) == (
        figures.distributable_dong
    )
    assert figures.reserve_dong + figures.distributable_dong - figures.carried_loss_dong == pool
    if not any(ok for ok, _ in members) and pool > 0:
        assert (figures.reserve_dong, figures.distributable_dong) == (pool, 0)
    if all(minutes == 0 for _, minutes in members):
        assert figures.equal_total_dong == figures.distributable_dong


def test_a_refund_in_a_later_month_reverses_the_split_exactly():
    history = History(
        months=("2027-02", "2027-03"),
        members=(Member(1, date(2027, 1, 1)),),
        lines=(SoldLine("2027-02", 33_333, 1, 7000),),
        refunds=(RefundEvent("2027-03", 0, 11_111), RefundEvent("2027-03", 0, 22_222)),
    )
    february, march = share_history(history).values()
    assert february.members[0].consignment_dong == 23_333
    assert march.members[0].consignment_dong == -23_333
    assert march.pool_sales_dong == -10_000
    assert month_check_holds(march, 0, 33_333)


def test_a_utc_offset_shift_counts_the_same():
    plus_seven = timezone(timedelta(hours=7))
    opened = datetime(2026, 11, 2, 8, 0, tzinfo=plus_seven)
    assert shift_work_minutes(opened, opened.astimezone(UTC) + timedelta(minutes=45)) == 45
