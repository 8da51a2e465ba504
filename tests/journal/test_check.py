"""check_journal: broken journals and the exact places it reports.

Each case breaks the worked example in one way and names the path(s) reported and a piece
of each message, which must name the offending value. The stock's cases start from the
example without its shifts, sales and refunds; the counter's from the example with them.
"""

from __future__ import annotations

import pytest

from shop.journal import Problem, check_journal

from .conftest import full_example, importable_example, stock_example


def price_change(code="A", at="2026-11-10T09:00:00+07:00", price=45000, **extra):
    return {"code": code, "at": at, "price_dong": price, "by": 1, "reason": "lâu chưa bán"} | extra


def disposal(code, kind, at="2026-11-10T09:00:00+07:00", **extra):
    return {"code": code, "at": at, "kind": kind, "by": 1} | extra


def setter(*steps):
    """A change to the journal: each step is (path as a tuple, value), value None deletes."""

    def change(journal):
        for path, value in steps:
            target = journal
            for key in path[:-1]:
                target = target[key]
            if value is None:
                del target[path[-1]]
            else:
                target[path[-1]] = value

    return change


CASES = {
    # ---- the schema
    "negative price": (
        setter((("intakes", 0, "items", 0, "price_dong"), -5)),
        [("/intakes/0/items/0/price_dong", "-5 is less than 1")],
    ),
    "a written-out fraction": (
        setter((("intakes", 0, "items", 0, "price_dong"), 50000.0)),
        [("/intakes/0/items/0/price_dong", "50000.0 is not of type integer")],
    ),
    "an unreadable number, and not the references to it": (
        setter((("members", 0, "number"), "1")),
        [("/members/0/number", '"1" is not of type integer')],
    ),
    "impossible date": (
        setter((("members", 0, "joined_on"), "2026-02-30")),
        [("/members/0/joined_on", '"2026-02-30" is not a real date')],
    ),
    "date in another form": (
        setter((("members", 1, "joined_on"), "01/10/2026")),
        [("/members/1/joined_on", '"01/10/2026" is not a real date')],
    ),
    "impossible hour": (
        setter((("intakes", 0, "received_at"), "2026-11-01T25:00:00+07:00")),
        [("/intakes/0/received_at", "25:00")],
    ),
    "time without offset": (
        setter((("intakes", 0, "received_at"), "2026-11-01T09:00:00")),
        [("/intakes/0/received_at", "with its UTC offset")],
    ),
    "left_on neither date nor null": (
        setter((("members", 1, "left_on"), "soon")),
        [("/members/1/left_on", '"soon" is not a')],
    ),
    "code with a space": (
        setter((("intakes", 0, "items", 0, "code"), "A 1")),
        [("/intakes/0/items/0/code", '"A 1" is not a code')],
    ),
    "missing required field": (
        setter((("members", 0, "name"), None)),
        [("/members/0/name", "name is required")],
    ),
    "unknown field": (
        setter((("shop", "colour"), "pink")),
        [("/shop/colour", "Unknown field colour")],
    ),
    "another version": (setter((("version",), 2)), [("/version", "must be 1, not 2")]),
    "unknown kind of intake": (
        setter((("intakes", 0, "kind"), "gift")),
        [("/intakes/0/kind", '"gift" is not one of')],
    ),
    # ---- unique numbers, refs and codes
    "duplicate code across intakes": (
        setter((("intakes", 1, "items", 0, "code"), "A")),
        [("/intakes/1/items/0/code", "Code A is used twice")],
    ),
    "duplicate member number": (
        setter((("members", 3, "number"), 3)),
        [("/members/3/number", "Member number 3 is used twice")],
    ),
    "duplicate donor ref": (
        setter((("donors", 1, "ref"), "d1")),
        [("/donors/1/ref", "Donor ref d1 is used twice")]
        + [(f"/intakes/{i}/donor", "no donor d2") for i in (3, 4)],
    ),
    "duplicate intake ref": (
        setter((("intakes", 4, "ref"), "i1")),
        [("/intakes/4/ref", "Intake ref i1 is used twice")],
    ),
    "duplicate phone, as the shop stores it": (
        setter((("members", 1, "phone"), "+84 912 000 001")),
        [("/members/1/phone", "+84 912 000 001")],
    ),
    "not a phone number": (
        setter((("members", 1, "phone"), "12")),
        [("/members/1/phone", "'12' is not a phone number")],
    ),
    "two policies in one month": (
        lambda j: j["policies"].append({"from_month": "2026-10"}),
        [("/policies/1/from_month", "2026-10")],
    ),
    # ---- members who act
    "unknown member receives": (
        setter((("intakes", 0, "by"), 9)),
        [("/intakes/0/by", "no member number 9")],
    ),
    "unknown owner": (
        setter((("intakes", 1, "owner"), 7)),
        [("/intakes/1/owner", "no member number 7")],
    ),
    "member acts before she joined": (
        setter((("expenses", 0, "by"), 4)),
        [("/expenses/0/by", "Member 4 was not a member yet on 2026-11-20")],
    ),
    "owner had left": (
        setter((("members", 2, "left_on"), "2026-10-31")),
        [("/intakes/2/owner", "Member 3 was no longer a member on 2026-11-01")],
    ),
    "left before joining": (
        setter((("members", 3, "left_on"), "2026-12-01")),
        [("/members/3/left_on", "2026-12-01")],
    ),
    # ---- parties of an intake
    "unknown donor": (
        setter((("intakes", 0, "donor"), "d9")),
        [("/intakes/0/donor", "no donor d9")],
    ),
    "donor on a consignment": (
        setter((("intakes", 1, "donor"), "d1")),
        [("/intakes/1/donor", "Only a donation names a donor; i2 is a consignment")],
    ),
    "consignment without owner": (
        setter((("intakes", 1, "owner"), None)),
        [("/intakes/1/owner", "Consignment i2 needs its owner")],
    ),
    "owner on a donation": (
        setter((("intakes", 0, "owner"), 2)),
        [("/intakes/0/owner", "Only a consignment has an owner; i1 is a donation")],
    ),
    "purchase without supplier": (
        setter((("intakes", 0, "kind"), "purchase"), (("intakes", 0, "donor"), None)),
        [("/intakes/0/supplier", "Purchase i1 needs its supplier")],
    ),
    "supplier on a donation": (
        setter((("intakes", 0, "supplier"), "Chợ")),
        [("/intakes/0/supplier", "Only a purchase names a supplier")],
    ),
    "owner's share on a donated item": (
        setter((("intakes", 0, "items", 1, "consignor_bp"), 7000)),
        [("/intakes/0/items/1/consignor_bp", "i1 is a donation")],
    ),
    "blank category": (
        setter((("intakes", 0, "items", 0, "category"), "   ")),
        [("/intakes/0/items/0/category", "only spaces")],
    ),
    "description too long for its column": (
        setter((("intakes", 0, "items", 0, "description"), "x" * 201)),
        [("/intakes/0/items/0/description", "201 characters long; at most 200")],
    ),
    # ---- price changes and disposals
    "price change before the intake": (
        setter((("price_changes",), [price_change("F", at="2026-12-20T09:00:00+07:00")])),
        [("/price_changes/0/at", "before item F came in with intake i5")],
    ),
    "price change of an unknown code": (
        setter((("price_changes",), [price_change("Z")])),
        [("/price_changes/0/code", "no item or lot with code Z")],
    ),
    "price change with a reason too long": (
        setter((("price_changes",), [price_change(reason="x" * 201)])),
        [("/price_changes/0/reason", "")],
    ),
    "price change to the price it has": (
        setter((("price_changes",), [price_change(price=50000)])),
        [("/price_changes/0/price_dong", "Item A already costs 50000")],
    ),
    "price change after the item left": (
        setter(
            (("disposals",), [disposal("A", "written_off")]),
            (("price_changes",), [price_change(at="2026-11-11T09:00:00+07:00")]),
        ),
        [("/price_changes/0/at", "Item A had already left the stock by then (written_off")],
    ),
    "consigned item written off": (
        setter((("disposals",), [disposal("B", "written_off")])),
        [("/disposals/0/kind", "Item B still belongs to member 2")],
    ),
    "donated item given to the group": (
        setter((("disposals",), [disposal("A", "given_to_group")])),
        [("/disposals/0/kind", "Item A is not consigned (i1 is a donation)")],
    ),
    "given to the group twice": (
        setter(
            (
                ("disposals",),
                [
                    disposal("B", "given_to_group"),
                    disposal("B", "given_to_group", at="2026-11-12T09:00:00+07:00"),
                ],
            )
        ),  # fmt: skip
        [("/disposals/1/kind", "Item B was already given to the group at /disposals/0")],
    ),
    "disposal after the item left": (
        setter(
            (
                ("disposals",),
                [
                    disposal("B", "given_to_group", at="2026-11-12T09:00:00+07:00"),
                    disposal("B", "returned_to_owner"),
                ],
            )
        ),  # fmt: skip
        [("/disposals/0/at", "Item B had already left the stock by then (returned_to_owner")],
    ),
    "disposal by an unknown member": (
        setter((("disposals",), [disposal("A", "written_off", by=5)])),
        [("/disposals/0/by", "no member number 5")],
    ),
    # ---- expenses
    "expense names an unknown intake": (
        setter((("expenses", 0, "category"), "stock_purchase"), (("expenses", 0, "intake"), "i9")),
        [("/expenses/0/intake", "no intake i9")],
    ),
    "expense names a donation": (
        setter((("expenses", 0, "category"), "stock_purchase"), (("expenses", 0, "intake"), "i1")),
        [("/expenses/0/intake", "Intake i1 is a donation, not a purchase")],
    ),
    "rent names an intake": (
        setter((("expenses", 0, "intake"), "i1")),
        [("/expenses/0/intake", "Only a stock_purchase expense names an intake")],
    ),
    # ---- the shop
    "unknown time zone": (
        setter((("shop", "timezone"), "Mars/Olympus")),
        [("/shop/timezone", "Mars/Olympus is not a known time zone")],
    ),
    "a language the shop cannot speak": (
        setter((("shop", "locale"), "fr")),
        [("/shop/locale", "cannot speak fr")],
    ),
}


@pytest.mark.parametrize(("change", "expected"), CASES.values(), ids=CASES.keys())
def test_a_broken_journal_is_reported_at_the_exact_place(change, expected):
    journal = stock_example()
    change(journal)

    problems = check_journal(journal)

    assert [p.path for p in problems] == [path for path, _ in expected], problems
    for problem, (_, words) in zip(problems, expected, strict=True):
        assert words in problem.message, problem


@pytest.mark.parametrize(
    "change",
    [
        setter(
            (
                ("disposals",),
                [
                    disposal("B", "written_off", at="2026-11-20T09:00:00+07:00"),
                    disposal("B", "given_to_group"),
                ],
            )
        ),  # fmt: skip
        setter((("disposals",), [disposal("A", "written_off", at="2026-11-01T09:00:00+07:00")])),
        setter(
            (("price_changes",), [price_change(at="2026-11-10T09:00:00+07:00")]),
            (("disposals",), [disposal("A", "donated_onward")]),
        ),
        setter((("intakes", 0, "donor"), None)),  # an anonymous bag
        setter((("members", 3, "left_on"), "2026-12-15"), (("members", 1, "phone"), None)),
    ],
    ids=[
        "events are replayed in time order, not file order",
        "a disposal at the very moment of the intake",
        "a price change and a disposal at the same moment: the change first",
        "a donation without a donor",
        "a member for one day, a member without a phone",
    ],
)
def test_sound_variations_pass(change):
    journal = stock_example()
    change(journal)

    assert check_journal(journal) == []


def test_every_problem_in_one_file_is_reported():
    journal = stock_example()
    setter(
        (("version",), 3),
        (("members", 0, "joined_on"), "2026-13-01"),
        (("intakes", 1, "items", 0, "code"), "A"),
        (("intakes", 2, "owner"), 8),
        (("intakes", 3, "items", 0, "price_dong"), 0),
        (("price_changes",), [price_change("Q")]),
        (("disposals",), [disposal("C", "donated_onward")]),
        (("expenses", 1, "by"), 6),
    )(journal)

    problems = check_journal(journal)

    assert [p.path for p in problems] == [
        # the schema first …
        "/version",
        "/members/0/joined_on",
        "/intakes/3/items/0/price_dong",
        # … then the file against itself
        "/intakes/1/items/0/code",
        "/intakes/2/owner",
        "/price_changes/0/code",
        "/disposals/0/kind",
        "/expenses/1/by",
    ]


def test_what_is_not_a_journal_at_all():
    assert check_journal([]) == [Problem("", "[] is not of type object.")]
    assert [p.path for p in check_journal({})] == [
        "/format",
        "/version",
        "/shop",
        "/members",
    ]
    assert str(Problem("", "x")) == "/: x"


# ---------------------------------------------------------------- the counter
#
# The example's counter, for reading the cases below. Shifts: 0 Hồng 3 Nov 8:00–11:20,
# 1 Ngọc 11:20–13:00, 2 Út 5 Nov 13:00–19:40, 3 Hồng 4 Dec 9:00–10:30, 4 Ngọc 10 Dec
# 9:00–10:00, 5 Hồng 8 Jan 8:00–10:00, 6 Lan 9 Jan 8:00–10:00. Sales: 0 = number 1 (Hồng,
# 3 Nov 10:15: A, and B with a 10.000 discount; cash), 1 = number 2 (Út, 5 Nov 15:30: C and
# D, 6.000 off the whole sale; transfer), 2 = number 3 (Ngọc, 10 Dec 9:30: E; cash),
# 3 = number 4 (Hồng, 8 Jan 9:00: F; cash). Refund 0: B of sale 1, 4 Dec 10:00, by Hồng.


def both(*changes):
    def change(journal):
        for one in changes:
            one(journal)

    return change


def sale(number, at, lines, cashier=1, **extra):
    """A sale paid in cash, exactly."""
    total = sum(line.get("quantity", 1) * line["unit_price_dong"] for line in lines)
    payments = [{"method": "cash", "amount_dong": total}]
    return {"number": number, "at": at, "cashier": cashier, "lines": lines,
            "payments": payments} | extra  # fmt: skip


def refund(number=1, code="B", amount=110000, at="2026-12-04T10:00:00+07:00", **extra):
    return {"at": at, "sale": number, "code": code, "amount_dong": amount, "method": "cash",
            "by": 1, "reason": "khách trả lại"} | extra  # fmt: skip


def void(at="2026-11-03T10:30:00+07:00", by=1, reason="bấm nhầm"):
    return {"at": at, "by": by, "reason": reason}


def socks(*quantities):
    """A lot of 5 pairs of socks in the first bag, sold on 8 January in Hồng's shift:
    sales number 5, 6 … at 9:10, 9:11 … of each quantity, on one line."""

    def change(journal):
        journal["intakes"][0]["lots"] = [
            {"code": "SOCKS", "category": "Tất", "quantity": 5, "price_dong": 10000}
        ]
        for index, quantity in enumerate(quantities):
            line = {"code": "SOCKS", "quantity": quantity, "unit_price_dong": 10000}
            journal["sales"].append(sale(5 + index, f"2027-01-08T09:{10 + index}:00+07:00", [line]))

    return change


def refunds(*added):
    return lambda journal: journal["refunds"].extend(added)


def appended(path, value):
    """A change that appends ``value`` to the list at ``path`` (a tuple)."""

    def change(journal):
        target = journal
        for key in path:
            target = target[key]
        target.append(value)

    return change


COUNTER_CASES = {
    # ---- shifts
    "shift of an unknown member": (
        setter((("shifts", 6, "member"), 8)),
        [("/shifts/6/member", "no member number 8")],
    ),
    "shift closing before it opened": (
        setter((("shifts", 2, "closed_at"), "2026-11-05T12:00:00+07:00")),
        [("/shifts/2/closed_at", "cannot close at 2026-11-05T12:00:00+07:00, before it opened")],
    ),
    "closed shift without its count": (
        setter((("shifts", 0, "counted_cash_dong"), None)),
        [("/shifts/0/counted_cash_dong", "needs the cash counted")],
    ),
    "count note of a shift still open": (
        setter(
            (("shifts", 6, "closed_at"), None),
            (("shifts", 6, "counted_cash_dong"), None),
            (("shifts", 6, "count_note"), "thiếu 5.000"),
        ),
        [("/shifts/6/count_note", "only a closed shift counted at its close has one")],
    ),
    "count of a shift not closed": (
        setter((("shifts", 6, "closed_at"), None)),
        [("/shifts/6/counted_cash_dong", "Only a closed shift has its cash counted")],
    ),
    "one member's shifts touching": (
        setter((("shifts", 1, "member"), 1)),
        [("/shifts/1", "overlaps her shift at /shifts/0 (until 2026-11-03T11:20:00+07:00)")],
    ),
    "a shift left open, and the same member's later shifts": (
        setter((("shifts", 0, "closed_at"), None), (("shifts", 0, "counted_cash_dong"), None)),
        [
            ("/shifts/3", "overlaps her shift at /shifts/0 (still open)"),
            ("/shifts/5", "overlaps her shift at /shifts/0 (still open)"),
        ],
    ),  # fmt: skip
    # ---- a sale's people and shift
    "cashier unknown": (
        setter((("sales", 0, "cashier"), 9)),
        [("/sales/0/cashier", "no member number 9")],
    ),
    "cashier not a member yet, with no shift": (
        setter((("sales", 2, "cashier"), 4)),
        [
            ("/sales/2/cashier", "Member 4 was not a member yet on 2026-12-10"),
            ("/sales/2/at", "outside any shift of its cashier, member 4"),
        ],
    ),  # fmt: skip
    "cashier had left": (
        setter((("members", 1, "left_on"), "2026-12-01")),
        [
            ("/shifts/4/member", "Member 2 was no longer a member on 2026-12-10"),
            ("/sales/2/cashier", "Member 2 was no longer a member on 2026-12-10"),
        ],
    ),  # fmt: skip
    "sale outside any shift of its cashier": (
        setter((("sales", 0, "at"), "2026-11-03T07:30:00+07:00")),
        [("/sales/0/at", "Sale 1 at 2026-11-03T07:30:00+07:00 is outside any shift")],
    ),
    "sale number used twice": (
        setter((("sales", 1, "number"), 1)),
        [("/sales/1/number", "Sale number 1 is used twice (the other is at /sales/0)")],
    ),
    # ---- what a sale takes
    "unknown code": (
        setter((("sales", 2, "lines", 0, "code"), "Z")),
        [("/sales/2/lines/0/code", "no item or lot with code Z")],
    ),
    "item sold twice": (
        setter((("sales", 3, "lines", 0, "code"), "A")),
        [("/sales/3/lines/0/code", "Item A was already sold (/sales/0/lines/0)")],
    ),
    "item sold again after a refund that did not restock it": (
        setter((("refunds", 0, "restock"), False), (("sales", 3, "lines", 0, "code"), "B")),
        [("/sales/3/lines/0/code", "Item B was already sold (/sales/0/lines/1)")],
    ),
    "item twice in one sale": (
        both(
            appended(("sales", 0, "lines"), {"code": "A", "unit_price_dong": 50000}),
            setter(
                (("sales", 0, "payments", 0, "amount_dong"), 210000),
                (("sales", 0, "payments", 0, "tendered_dong"), 210000),
            ),
        ),
        [("/sales/0/lines/2/code", "Item A is twice in this sale (also at /sales/0/lines/0)")],
    ),
    "unique item sold by the piece": (
        setter(
            (("sales", 2, "lines", 0, "quantity"), 2),
            (("sales", 2, "payments", 0, "amount_dong"), 40000),
            (("sales", 2, "payments", 0, "tendered_dong"), 40000),
        ),
        [("/sales/2/lines/0/quantity", "Item E is one of a kind")],
    ),
    "lot sold beyond its quantity": (
        socks(3, 3),
        [("/sales/5/lines/0/quantity", "Only 2 of lot SOCKS were left by then, not 3")],
    ),
    "sale before the item came in": (
        setter((("intakes", 4, "received_at"), "2027-01-08T09:30:00+07:00")),
        [("/sales/3/lines/0/code", "before item F came in with intake i5")],
    ),
    "sale after the item left": (
        setter((("disposals",), [disposal("F", "written_off", at="2027-01-05T09:00:00+07:00")])),
        [("/sales/3/lines/0/code", "Item F had already left the stock by then (written_off")],
    ),
    # ---- what a sale comes to and how it was paid
    "payments that do not add up": (
        setter((("sales", 0, "payments", 0, "amount_dong"), 150000)),
        [("/sales/0/payments", "add up to 150000 đồng, but the lines come to 160000 đồng")],
    ),
    "tendered below the cash": (
        setter((("sales", 3, "payments", 0, "tendered_dong"), 50000)),
        [("/sales/3/payments/0/tendered_dong", "50000 đồng handed over does not cover the 80000")],
    ),
    "two cash payments": (
        setter(
            (
                ("sales", 0, "payments"),
                [
                    {"method": "cash", "amount_dong": 100000},
                    {"method": "cash", "amount_dong": 60000},
                ],
            ),
        ),  # fmt: skip
        [("/sales/0/payments/1", "one cash payment at most (the other is at /sales/0/payments/0)")],
    ),
    "cash handed over for a transfer": (
        setter((("sales", 1, "payments", 0, "tendered_dong"), 54000)),
        [("/sales/1/payments/0/tendered_dong", "Only a cash payment has cash handed over")],
    ),
    "cash handed over when no cash is due": (
        appended(
            ("sales", 1, "payments"), {"method": "cash", "amount_dong": 0, "tendered_dong": 10}
        ),
        [("/sales/1/payments/1/tendered_dong", "No cash is paid")],
    ),
    "line discount without its reason": (
        setter((("sales", 0, "lines", 1, "discount_reason"), None)),
        [("/sales/0/lines/1/discount_reason", "A discount of 10000 đồng needs its reason")],
    ),
    "sale discount with only spaces for a reason": (
        setter((("sales", 1, "discount_reason"), "  ")),
        [("/sales/1/discount_reason", "A discount of 6000 đồng needs its reason")],
    ),
    "line discount above the line": (
        setter((("sales", 0, "lines", 1, "discount_dong"), 130000)),
        [("/sales/0/lines/1/discount_dong", "more than the line comes to (120000 đồng)")],
    ),
    "sale discount above the lines": (
        setter((("sales", 1, "discount_dong"), 70000)),
        [
            (
                "/sales/1/discount_dong",
                "more than the lines come to after their own discounts (60000 đồng)",
            )
        ],
    ),  # fmt: skip
    "discount reason too long": (
        setter((("sales", 0, "lines", 1, "discount_reason"), "x" * 201)),
        [("/sales/0/lines/1/discount_reason", "201 characters long; at most 200")],
    ),
    # ---- voids
    "void by someone who is not a member": (
        setter((("sales", 0, "void"), void(by=7)), (("refunds",), None)),
        [("/sales/0/void/by", "no member number 7")],
    ),
    "void after its shift closed": (
        setter((("sales", 0, "void"), void(at="2026-11-03T11:30:00+07:00")), (("refunds",), None)),
        [("/sales/0/void/at", "after its shift (/shifts/0) closed at 2026-11-03T11:20:00+07:00")],
    ),
    "void before the sale": (
        setter((("sales", 0, "void"), void(at="2026-11-03T10:00:00+07:00")), (("refunds",), None)),
        [("/sales/0/void/at", "Sale 1 cannot be voided at 2026-11-03T10:00:00+07:00, before")],
    ),
    "void without a reason": (
        setter((("sales", 0, "void"), void(reason=" ")), (("refunds",), None)),
        [("/sales/0/void/reason", "only spaces")],
    ),
    "refund of a voided sale": (
        setter((("sales", 0, "void"), void())),
        [("/refunds/0/sale", "Sale 1 was voided (/sales/0/void)")],
    ),
    # ---- refunds
    "refund of an unknown sale": (
        setter((("refunds", 0, "sale"), 9)),
        [("/refunds/0/sale", "no sale number 9")],
    ),
    "refund of a code not in that sale": (
        setter((("refunds", 0, "code"), "C")),
        [("/refunds/0/code", "Sale 1 has no line with code C")],
    ),
    "refund above the line": (
        setter((("refunds", 0, "amount_dong"), 110001)),
        [
            (
                "/refunds/0/amount_dong",
                "At most 110000 đồng can still be refunded on "
                "/sales/0/lines/1 (it came to 110000 đồng), not 110001",
            )
        ],
    ),  # fmt: skip
    "refund above a line's net after its part of the sale's discount": (
        refunds(refund(2, "C", 31501, at="2026-11-06T10:00:00+07:00", method="transfer", by=3)),
        [("/refunds/1/amount_dong", "At most 31500 đồng")],
    ),
    "refunds of a lot adding up to more than its line": (
        both(
            socks(4),
            refunds(
                refund(5, "SOCKS", 20000, at="2027-01-08T09:30:00+07:00", quantity=2),
                refund(5, "SOCKS", 25000, at="2027-01-08T09:40:00+07:00", quantity=2),
            ),
        ),
        [("/refunds/2/amount_dong", "At most 20000 đồng can still be refunded")],
    ),
    "more pieces back than were sold": (
        setter((("refunds", 0, "quantity"), 2)),
        [("/refunds/0/quantity", "Only 1 of the 1 pieces sold on /sales/0/lines/1")],
    ),
    "refund before its sale": (
        setter((("refunds", 0, "at"), "2026-11-03T10:00:00+07:00")),
        [("/refunds/0/at", "is before sale 1 was made (2026-11-03T10:15:00+07:00)")],
    ),
    "refund by someone not a member yet": (
        setter((("refunds", 0, "by"), 4)),
        [("/refunds/0/by", "Member 4 was not a member yet on 2026-12-04")],
    ),
    "refund without a reason": (
        setter((("refunds", 0, "reason"), "   ")),
        [("/refunds/0/reason", "only spaces")],
    ),
    # ---- the stock, with sales in it
    "price change of a sold item": (
        setter((("price_changes",), [price_change(price=40000)])),
        [("/price_changes/0/at", "Item A had been sold by then (/sales/0/lines/0)")],
    ),
    "disposal of a sold item": (
        setter((("disposals",), [disposal("A", "written_off")])),
        [("/disposals/0/at", "Item A had been sold by then (/sales/0/lines/0)")],
    ),
    "price change of a lot sold out": (
        both(
            socks(5),
            setter((("price_changes",), [price_change("SOCKS", "2027-01-08T09:30:00+07:00")])),
        ),
        [("/price_changes/0/at", "All of lot SOCKS had been sold by then")],
    ),
}


@pytest.mark.parametrize(("change", "expected"), COUNTER_CASES.values(), ids=COUNTER_CASES.keys())
def test_a_broken_counter_history_is_reported_at_the_exact_place(change, expected):
    journal = importable_example()
    change(journal)

    problems = check_journal(journal)

    assert [p.path for p in problems] == [path for path, _ in expected], problems
    for problem, (_, words) in zip(problems, expected, strict=True):
        assert words in problem.message, problem


#: Counter histories that are sound though unusual (each is also imported in test_example).
SOUND_COUNTER_HISTORIES = {
    "an item sold again after a refund put it back": setter(
        (("sales", 3, "lines", 0, "code"), "B")
    ),
    "an item given back to its owner after a refund put it back": setter(
        (("disposals",), [disposal("B", "returned_to_owner", "2026-12-05T09:00:00+07:00")])
    ),
    "a voided sale's item sells again": setter(
        (("sales", 2, "void"), void("2026-12-10T09:45:00+07:00", by=2)),
        (("sales", 3, "lines", 0), {"code": "E", "unit_price_dong": 80000}),
    ),
    "a sale and a void at the very minute the shift opens or closes": setter(
        (("sales", 3, "at"), "2027-01-08T08:00:00+07:00"),
        (("sales", 0, "at"), "2026-11-03T11:20:00+07:00"),
        (("sales", 0, "void"), void("2026-11-03T11:20:00+07:00")),
        (("refunds",), None),
    ),
    "a transfer in two parts": setter(
        (
            ("sales", 1, "payments"),
            [
                {"method": "transfer", "amount_dong": 30000},
                {"method": "transfer", "amount_dong": 24000},
            ],
        ),
    ),
    "a free sale": setter(
        (("sales", 2, "lines", 0, "discount_dong"), 20000),
        (("sales", 2, "lines", 0, "discount_reason"), "tặng"),
        (("sales", 2, "payments"), [{"method": "cash", "amount_dong": 0}]),
    ),
    "a cash refund with no shift open": setter((("refunds", 0, "at"), "2026-12-04T11:00:00+07:00")),
    "a lot sold in two sales, refunded in part, put back once": both(
        socks(2, 3),
        refunds(
            refund(5, "SOCKS", 9000, at="2027-01-08T09:30:00+07:00"),
            refund(5, "SOCKS", 9000, at="2027-01-08T09:31:00+07:00", restock=False),
        ),
        appended(
            ("sales",),
            sale(7, "2027-01-08T09:45:00+07:00", [{"code": "SOCKS", "unit_price_dong": 10000}]),
        ),
    ),
    "a lot on two lines of a sale, each refunded": both(
        socks(),
        appended(
            ("sales",),
            sale(
                5,
                "2027-01-08T09:10:00+07:00",
                [
                    {"code": "SOCKS", "quantity": 2, "unit_price_dong": 10000},
                    {"code": "SOCKS", "quantity": 3, "unit_price_dong": 10000},
                ],
            ),
        ),
        refunds(
            refund(5, "SOCKS", 20000, at="2027-01-08T09:30:00+07:00", quantity=2),
            refund(5, "SOCKS", 30000, at="2027-01-08T09:31:00+07:00", quantity=3),
        ),
    ),
}


@pytest.mark.parametrize(
    "change", SOUND_COUNTER_HISTORIES.values(), ids=SOUND_COUNTER_HISTORIES.keys()
)
def test_sound_counter_histories_pass(change):
    journal = importable_example()
    change(journal)

    assert check_journal(journal) == []


# ---------------------------------------------------------------- closed months and payouts
#
# The full example closes November, December and January; Hồng, Ngọc and Út are paid for
# November on 2 December (27.857, 98.429 and 60.000 of Út's 62.764).


def payout(member=3, month="2026-11", amount=2764, paid_on="2026-12-20", **extra):
    return {"member": member, "month": month, "amount_dong": amount, "paid_on": paid_on} | extra


def corrected(index, *corrections):
    """Payout ``index`` of the example with ``corrections`` (amount, and what else)."""

    def change(journal):
        journal["payouts"][index]["corrections"] = [
            {"amount_dong": amount, "reason": "trả nhầm", "at": "2026-12-05T10:00:00+07:00",
             "by": 1} | extra
            for amount, extra in corrections
        ]  # fmt: skip

    return change


MONTH_CASES = {
    "a correction above its payout": (
        corrected(2, (60_001, {})),
        [("/payouts/2/corrections/0/amount_dong", "At most 60000 đồng of this payout")],
    ),
    "corrections adding up to more than their payout": (
        corrected(2, (30_000, {}), (30_001, {})),
        [("/payouts/2/corrections/1/amount_dong", "At most 30000 đồng of this payout")],
    ),
    "a correction by a member who is not a coordinator": (
        corrected(2, (1_000, {"by": 2})),
        [("/payouts/2/corrections/0/by", "Member 2 is not a coordinator")],
    ),
    "a correction by nobody": (
        corrected(2, (1_000, {"by": 9})),
        [("/payouts/2/corrections/0/by", "There is no member number 9")],
    ),
    "a correction before its payout was paid": (
        corrected(2, (1_000, {"at": "2026-12-01T23:00:00+07:00"})),
        [("/payouts/2/corrections/0/at", "corrected after it was paid, not on 2026-12-01")],
    ),
    "a correction with only spaces for its reason": (
        corrected(2, (1_000, {"reason": "   "})),
        [("/payouts/2/corrections/0/reason", "only spaces")],
    ),
    "a correction without a reason": (
        corrected(2, (1_000, {"reason": ""})),
        [("/payouts/2/corrections/0/reason", "")],
    ),
    "a second payout above what is left once a correction is not enough": (
        both(corrected(2, (1_000, {})), appended(("payouts",), payout(amount=3_765))),
        [("/payouts/3/amount_dong", "At most 3764 đồng")],
    ),
    "a payout above what is due": (
        setter((("payouts", 2, "amount_dong"), 62765)),
        [("/payouts/2/amount_dong", "At most 62764 đồng can still be paid to member 3")],
    ),
    "a second payout above what is left": (
        appended(("payouts",), payout(amount=2765)),
        [("/payouts/3/amount_dong", "At most 2764 đồng")],
    ),
    "a payout when nothing is due": (
        appended(("payouts",), payout(member=2, month="2026-12", paid_on="2027-01-02")),
        [("/payouts/3/amount_dong", "Nothing is due to member 2 for 2026-12")],
    ),
    "a payout against a month not closed by then": (
        setter(
            (("closed_months",), ["2026-11"]),
            (("payouts", 0), payout(month="2026-12", paid_on="2027-01-02")),
        ),
        [("/payouts/0/month", "2026-12 is not closed by then")],
    ),
    "a payout dated in its month, against it once it closed": (
        setter((("payouts", 0, "month"), "2026-12")),
        [("/payouts/0/paid_on", "paid after the month has ended, not on 2026-12-02")],
    ),
    "a payout before its month ended": (
        setter((("payouts", 0, "paid_on"), "2026-11-30")),
        [("/payouts/0/paid_on", "paid after the month has ended, not on 2026-11-30")],
    ),
    "a payout after the next month closed": (
        setter((("payouts", 0, "paid_on"), "2027-01-05")),
        [("/payouts/0/paid_on", "2026-12 is closed by 2027-01-05 too")],
    ),
    "a payout to nobody": (
        setter((("payouts", 0, "member"), 9)),
        [("/payouts/0/member", "There is no member number 9")],
    ),
    "months closed out of order": (
        setter((("closed_months",), ["2026-12"]), (("payouts",), [])),
        [("/closed_months/0", "2026-12 cannot be closed before 2026-11")],
    ),
    "a month closed twice": (
        setter((("closed_months",), ["2026-11", "2026-11", "2026-12"])),
        [("/closed_months/1", "2026-11 is closed twice")],
    ),
    "a month before anything happened": (
        setter((("closed_months",), ["2026-10", "2026-11"])),
        [("/closed_months/0", "the first month to close is 2026-11")],
    ),
    "a month the shop cannot keep": (
        setter((("closed_months",), ["2101-01"]), (("payouts",), [])),
        [("/closed_months/0", "2101-01 is out of range")],
    ),
    "a closed month with a shift still open": (
        setter((("shifts", 6, "closed_at"), None), (("shifts", 6, "counted_cash_dong"), None)),
        [("/closed_months/2", "The shift at /shifts/6 is still open")],
    ),
}


@pytest.mark.parametrize(("change", "expected"), MONTH_CASES.values(), ids=MONTH_CASES.keys())
def test_a_broken_month_is_reported_at_the_exact_place(change, expected):
    journal = full_example()
    change(journal)

    problems = check_journal(journal)

    assert [p.path for p in problems] == [path for path, _ in expected], problems
    for problem, (_, words) in zip(problems, expected, strict=True):
        assert words in problem.message, problem


#: Closed months and payouts that are sound though unusual (each is imported in
#: test_trial_months too).
SOUND_MONTH_HISTORIES = {
    "a payout as the next month begins": setter((("payouts", 0, "paid_on"), "2026-12-01")),
    "the rest of a payout later, by transfer": appended(
        ("payouts",), payout(method="transfer", paid_on="2026-12-31")
    ),
    "December paid out in January": appended(
        ("payouts",), payout(month="2026-12", paid_on="2027-01-02")
    ),
    "an empty month closed after the rest": appended(("closed_months",), "2027-02"),
    "payouts listed out of order": lambda journal: journal["payouts"].reverse(),
    "only November closed": setter((("closed_months",), ["2026-11"])),
    "a payout to the wrong member taken back and paid to her again": both(
        corrected(2, (60_000, {"reason": "Trả nhầm cho chị Út"})),
        appended(("payouts",), payout(amount=62_764, paid_on="2026-12-05")),
    ),
    "a payout taken back in two parts, on the day it was paid": both(
        corrected(1, (1_000, {"at": "2026-12-02T09:00:00+07:00"}), (429, {"reason": "gõ nhầm"})),
    ),
}


@pytest.mark.parametrize("change", SOUND_MONTH_HISTORIES.values(), ids=SOUND_MONTH_HISTORIES.keys())
def test_sound_month_histories_pass(change):
    journal = full_example()
    change(journal)

    assert check_journal(journal) == []
