"""Intakes recorded together (``stock.receive_intakes``, a journal's replay): each as
``receive_intake`` and ``Placing`` would record it, and the bulk path stops, writing nothing
of it, at the first intake it cannot take."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.models import Intake, IntakeKind, Item
from shop.services import stock
from shop.services.errors import InvalidInput
from tests.factories import HANOI, member
from tests.services.test_stock import ctx  # noqa: F401

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def intake(session, ref, *codes, kind=IntakeKind.DONATION, minutes=0, **details):
    return stock.PastIntake(
        stock.IntakeDetails(kind, AT + timedelta(minutes=minutes), ref=ref, **details),
        member(session, 1),
        tuple(stock.ItemDetails("Áo", 30_000, code=code) for code in codes),
    )


def test_intakes_in_a_row_are_recorded_as_one_by_one(ctx):  # noqa: F811
    given = [
        intake(ctx, "i1", "A1", "A2"),
        intake(ctx, "i2", "B1", kind=IntakeKind.CONSIGNMENT, owner_number=2, minutes=5),
    ]
    entered = stock.receive_intakes(ctx, given, tz=HANOI)
    assert [len(items) for _id, items in entered] == [2, 1]
    consigned = ctx.get(Item, entered[1][1][0])
    assert consigned.owner_id == member(ctx, 2).id and consigned.consignor_bp is not None
    assert [ctx.get(Intake, i).ref for i, _items in entered] == ["i1", "i2"]
    rails = list(ctx.scalars(select(Item.rail_version).order_by(Item.code)))
    assert rails == sorted(rails) and len(set(rails)) == 3 and min(rails) > 0


def test_it_stops_at_the_first_intake_it_cannot_take(ctx):  # noqa: F811
    given = [
        intake(ctx, "i1", "A1"),
        intake(ctx, "i2", "B1", "A1", minutes=1),  # A1 is taken: refused alone, at its item
        intake(ctx, "i3", "C1", minutes=2),
    ]
    entered = stock.receive_intakes(ctx, given, tz=HANOI)
    assert len(entered) == 1
    assert ctx.scalar(select(func.count()).select_from(Item)) == 1
    assert stock.receive_intakes(ctx, [intake(ctx, "i1", "Z1")], tz=HANOI) == []  # ref taken
    unknown_donor = intake(ctx, "i4", "D1", donor_id=999)
    assert stock.receive_intakes(ctx, [unknown_donor], tz=HANOI) == []
    nobody = intake(ctx, "i5", "E1", kind=IntakeKind.CONSIGNMENT, owner_number=99)
    assert stock.receive_intakes(ctx, [nobody], tz=HANOI) == []
    # What the bulk path left, the intake by itself refuses:
    alone = stock.receive_intake(ctx, given[1].details, by=member(ctx, 1), tz=HANOI)
    placing = stock.Placing(ctx, alone, codes=["B1", "A1"]).add(given[1].stocked[0])
    with pytest.raises(InvalidInput) as refused:
        placing.add(given[1].stocked[1])
    assert refused.value.code == "item.code_taken"
