"""Disposals made together (``stock.dispose_all``, a journal's clearance day): each as
``dispose`` would have made it in turn, and the bulk path stops, writing nothing of it, at
the first disposal it cannot make."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from shop.models import AuditEvent, Disposal, DisposalKind, IntakeKind, Item, ItemStatus
from shop.services import stock
from shop.services.errors import InvalidInput
from tests.factories import HANOI, member, receive
from tests.services.test_stock import ctx  # noqa: F401

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
DONATED, RETURNED, GIVEN = (
    DisposalKind.DONATED_ONWARD,
    DisposalKind.RETURNED_TO_OWNER,
    DisposalKind.GIVEN_TO_GROUP,
)


def stocked(session):
    """Group items G1, G2; member 2's M1, M2, M3; a lot of socks."""
    receive(session, AT, G1=("Áo", 30_000), G2=("Quần", 40_000), SOCKS=("Tất", 5_000, 6))
    receive(session, AT, IntakeKind.CONSIGNMENT, owner=2, M1=("Áo", 90_000),
            M2=("Váy", 70_000), M3=("Áo", 60_000))  # fmt: skip
    return {item.code: item.id for item in session.scalars(select(Item))}


def clearance(session, ids, *asked):
    return [
        stock.PastDisposal(ids[code], kind, member(session, 1), AT + timedelta(days=1, minutes=i),
                           note=f"  dọn   kho {i} ", owner_consents=kind == GIVEN)
        for i, (code, kind) in enumerate(asked)
    ]  # fmt: skip


def books(session):
    items = session.execute(
        select(Item.code, Item.status, Item.owner_id, Item.rail_version).order_by(Item.code)
    )
    disposals = session.execute(
        select(Item.code, Disposal.kind, Disposal.at, Disposal.by_id, Disposal.note)
        .join(Item, Item.id == Disposal.item_id)
        .order_by(Disposal.at)
    )
    log = session.execute(
        select(AuditEvent.action, AuditEvent.subject, AuditEvent.at, AuditEvent.detail)
        .where(AuditEvent.action == "disposal")
        .order_by(AuditEvent.at)
    )
    return [list(map(tuple, rows)) for rows in (items, disposals, log)]


def test_disposals_in_a_row_are_made_as_one_by_one(ctx):  # noqa: F811
    ids = stocked(ctx)
    # M1 given to the group, then donated onward as a group item; M2 back to its owner;
    # G2 donated onward; the lot written off whole.
    asked = [("M1", GIVEN), ("M2", RETURNED), ("G2", DONATED), ("M1", DONATED),
             ("SOCKS", DisposalKind.WRITTEN_OFF)]  # fmt: skip
    taken = stock.dispose_all(ctx, clearance(ctx, ids, *asked), tz=HANOI)
    assert taken == [ids[code] for code, _kind in asked]
    together = books(ctx)
    assert [(code, status, owner is None) for code, status, owner, _v in together[0]] == [
        ("G1", ItemStatus.IN_STOCK, True),
        ("G2", ItemStatus.DONATED_ONWARD, True),
        ("M1", ItemStatus.DONATED_ONWARD, True),
        ("M2", ItemStatus.RETURNED_TO_OWNER, False),
        ("M3", ItemStatus.IN_STOCK, False),
        ("SOCKS", ItemStatus.WRITTEN_OFF, True),
    ]
    assert together[1][0][4] == "dọn kho 0"
    ctx.rollback()
    ids = stocked(ctx)
    for d in clearance(ctx, ids, *asked):
        stock.dispose(
            ctx, ctx.get(Item, d.item_id), d.kind, by=d.by, at=d.at, note=d.note,
            owner_consents=d.owner_consents, tz=HANOI,
        )  # fmt: skip
    assert books(ctx) == together


def test_it_stops_at_the_first_disposal_it_cannot_make(ctx):  # noqa: F811
    ids = stocked(ctx)
    cases = [
        [("G1", DONATED), ("G1", DONATED)],  # gone already
        [("G1", DONATED), ("M3", DONATED)],  # a member's item is not the group's to give
        [("G1", DONATED), ("G2", RETURNED)],  # a group item has no owner to go back to
        [("G1", DONATED), ("G2", DisposalKind.LOST)],  # only a stock count loses an item
    ]
    for asked in cases:
        assert stock.dispose_all(ctx, clearance(ctx, ids, *asked), tz=HANOI) == [ids["G1"]]
        ctx.rollback()
        ids = stocked(ctx)
    no_consent = clearance(ctx, ids, ("M1", GIVEN))[0]
    no_consent = stock.PastDisposal(no_consent.item_id, GIVEN, no_consent.by, no_consent.at)
    assert stock.dispose_all(ctx, [no_consent], tz=HANOI) == []
    assert ctx.scalar(select(Item.owner_id).where(Item.code == "M1")) is not None
    # The one it left, dispose refuses by itself, at its field.
    with pytest.raises(InvalidInput) as refused:
        stock.dispose(ctx, ctx.get(Item, ids["M1"]), GIVEN, by=no_consent.by, at=no_consent.at,
                      tz=HANOI)  # fmt: skip
    assert refused.value.field == "owner_consents"


def test_an_item_taken_between_the_checks_and_the_write_refuses_them(ctx):  # noqa: F811
    ids = stocked(ctx)
    asked = clearance(ctx, ids, ("G1", DONATED), ("G2", DONATED))
    # Another counter sells G2 while the disposals are being written: the conditional
    # UPDATE changes fewer rows than asked, and they are refused (the caller rolls back).
    ctx.execute(update(Item).where(Item.code == "G2").values(status=ItemStatus.SOLD))
    with pytest.raises(InvalidInput) as refused:
        stock._write_disposals(ctx, asked, {ids["G1"]: "G1", ids["G2"]: "G2"})
    assert refused.value.code == "item.not_in_stock"
