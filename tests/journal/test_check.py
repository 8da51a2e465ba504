"""check_journal: broken journals and the exact places it reports.

Each case breaks the worked example (without its sales) in one way and names the path(s)
reported and a piece of each message, which must name the offending value.
"""

from __future__ import annotations

import pytest

from shop.journal import Problem, check_journal

from .conftest import importable_example


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
    journal = importable_example()
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
    journal = importable_example()
    change(journal)

    assert check_journal(journal) == []


def test_every_problem_in_one_file_is_reported():
    journal = importable_example()
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
