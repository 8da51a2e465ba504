"""A stocktake raced as phones and counters race it: one session (one connection) per
phone, released together at a barrier, several rounds, on SQLite and PostgreSQL.

What is raced: three phones sending the same scans at once (a phone that lost the answer
sends its batch again, maybe to the other gunicorn worker while the first is still being
written); a late scan against the close; a sale of a missing item against the close that
marks it lost; two coordinators opening a count at the same moment. Each test fails when
the guard it tests is taken away: the count's conditional UPDATE that a scan and the close
both go through, the conditional UPDATEs that take an item off the rail, the one-open-count
index, and SQLite's ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.domain.count import DecisionKind, Difference
from shop.extensions import db
from shop.messages import not_found_at_count
from shop.models import (
    AuditEvent,
    CountDecision,
    CountScan,
    Disposal,
    DisposalKind,
    Expense,
    IntakeKind,
    ItemStatus,
    Role,
    Sale,
    SaleLine,
    StockCount,
    Void,
)
from shop.services import counter, stock
from shop.services import counts as svc
from shop.services.errors import InvalidInput
from tests.services.test_money_races import race, unexpected, who

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ROUNDS = 8
#: Single items on the rail: the group's, and Ngọc's (member 2) consigned dresses.
GROUP_ITEMS = 24
HER_ITEMS = 12


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def shop(app, coordinator, member, make_member):
    """Hồng (1) and Lan (3) coordinators, Ngọc (2) a member; the group's ÁO0.., Ngọc's
    VAY0.. and a lot of 40 socks received yesterday; Hồng's shift open."""
    make_member(name="Trần Thị Lan", phone="0912000003", pin="3579", role=Role.COORDINATOR)
    received = now() - timedelta(days=1)
    with app.app_context(), app.test_request_context():
        session = db.session
        hong = who(session, 1)
        given = stock.receive_intake(
            session, stock.IntakeDetails(IntakeKind.DONATION, received), by=hong, tz=HANOI
        )
        for n in range(GROUP_ITEMS):
            stock.add_item(session, given, stock.ItemDetails("Áo", 40_000, code=f"AO{n}"))
        stock.add_lot(session, given, stock.LotDetails("Tất", 10_000, 40, code="SOCKS"))
        hers = stock.receive_intake(
            session,
            stock.IntakeDetails(IntakeKind.CONSIGNMENT, received, owner_number=2),
            by=hong,
            tz=HANOI,
        )
        for n in range(HER_ITEMS):
            stock.add_item(session, hers, stock.ItemDetails("Váy", 120_000, code=f"VAY{n}"))
        counter.open_shift(session, hong, 500_000, at=received, tz=HANOI)
        session.commit()
    return app


def committed(app, work):
    """``work(session)`` in a transaction of its own, committed; what it returned."""
    with app.app_context(), app.test_request_context():
        out = work(db.session)
        db.session.commit()
        return out


def open_count(app) -> int:
    return committed(app, lambda s: svc.open_count(s, by=who(s, 1), at=now()).number)


def scan_one(session, number, code, client_id, *, by=2, pieces=None):
    """One scan as the API takes it: in a savepoint of its own, refused on its own."""
    count = svc.get_count(session, number)
    at = now()
    with session.begin_nested():
        return svc.record_scan(
            session, count, code=code, client_id=client_id, by=who(session, by),
            scanned_at=at, received_at=at, pieces=pieces,
        )  # fmt: skip


def scan_all_but(app, number, missing: set[str], tag: str) -> None:
    """Scan the whole rail except ``missing`` (the lot: all 40 of what is left)."""

    def work(session):
        for code in [f"AO{n}" for n in range(GROUP_ITEMS)] + [f"VAY{n}" for n in range(HER_ITEMS)]:
            if code not in missing and stock.get_item(session, code).status == ItemStatus.IN_STOCK:
                scan_one(session, number, code, f"{tag}-{code}")
        socks = stock.get_item(session, "SOCKS")
        scan_one(session, number, "SOCKS", f"{tag}-SOCKS", pieces=socks.quantity_on_hand)

    committed(app, work)


def decide(app, number) -> dict[str, svc.Decided]:
    """What the coordinator decides on the list as she reads it: each difference's first
    choice (a missing item lost)."""
    with app.app_context(), app.test_request_context():
        count = svc.get_count(db.session, number)
        lines = svc.result(db.session, count, at=now(), tz=HANOI)
        db.session.rollback()
        return {line.code: svc.Decided(line.found.choices[0]) for line in lines}


def close(number, decisions):
    def attempt(session):
        count = svc.get_count(session, number)
        return svc.close_count(
            session,
            count,
            decisions,
            by=who(session, 1),
            at=now(),
            tz=HANOI,
            lost_reason=not_found_at_count(count.number),
        )

    return attempt


def scans_of(session, number) -> list[CountScan]:
    count = svc.get_count(session, number)
    return list(session.scalars(select(CountScan).where(CountScan.count_id == count.id)))


# ---------------------------------------------------------------- (a) the same scans at once


def test_three_phones_sending_overlapping_batches_at_once_record_each_scan_once(shop):
    """Each round, three phones each send a batch: its own new scans mixed with another
    phone's batch of the same round (a resend arriving while the first is being written),
    in its own order, through :func:`record_scans` as the API takes a batch. Every client
    id becomes one row, "recorded" once and "resent" every other time; the count's
    ``scan_count`` is the number of rows."""
    number = open_count(shop)
    per_batch = 4
    items = [f"AO{n}" for n in range(GROUP_ITEMS)] + [f"VAY{n}" for n in range(HER_ITEMS)]
    tags = [f"TAG{n}" for n in range(3 * ROUNDS * per_batch - len(items))]  # unknown tags
    codes = items + tags
    rng = random.Random(21)
    sent: dict[str, str] = {}
    taken: dict[str, int] = {}
    for r in range(ROUNDS):
        batches = [
            [(f"p{phone}-{code}", code) for code in codes[start : start + per_batch]]
            for phone in range(3)
            for start in [(r * 3 + phone) * per_batch]
        ]
        attempts = []
        for phone in range(3):
            mixed = batches[phone] + batches[(phone + 1) % 3]  # the neighbour's, resent
            rng.shuffle(mixed)
            sent.update(mixed)

            def attempt(session, mixed=mixed, phone=phone):
                outcomes = svc.record_scans(
                    session,
                    svc.get_count(session, number),
                    [svc.ScanRequest(cid, code) for cid, code in mixed],
                    by=who(session, 1 + phone % 2),
                    received_at=now(),
                )
                return [(o.client_id, o.outcome) for o in outcomes]

            attempts.append(attempt)
        outcomes = race(shop, *attempts)
        assert not any(isinstance(o, Exception) for o in outcomes), (r, outcomes)
        for outcome in outcomes:
            assert len(outcome) == 2 * per_batch, (r, outcome)
            for cid, said in outcome:
                assert said in ("recorded", "resent"), (r, cid, said)
                taken[cid] = taken.get(cid, 0) + (said == "recorded")
    assert len(sent) == len(codes)
    assert taken == dict.fromkeys(sent, 1)
    with shop.app_context():
        rows = scans_of(db.session, number)
        assert sorted(s.client_id for s in rows) == sorted(sent)
        assert {s.client_id: s.code for s in rows} == sent
        count = svc.get_count(db.session, number)
        assert count.scan_count == len(rows) == len(sent)
        seen = svc.progress(db.session, count)
        assert (seen.scans, seen.counted, seen.unknown) == (len(sent), len(items), len(tags))


# ---------------------------------------------------------------- (b) a scan and the close


def test_a_scan_racing_the_close_is_in_the_close_or_refused_as_closed(shop):
    """Each round: the whole rail scanned but one group item; the coordinator decides it
    lost. Then a phone's scan of that item (or, every other round, a second scan of an
    item already found) races her close. Either the scan was taken before the close, and
    the close saw it (refused because the list changed, or, for a second scan, closed
    with it counted), or the close came first and the scan is refused as closed; never a
    closed count with a scan it did not see or a scan after it closed."""
    seen = {"scan first": 0, "close first": 0}
    for r in range(ROUNDS):
        number = open_count(shop)
        missing = f"AO{r}"
        scan_all_but(shop, number, {missing}, f"r{r}")
        decisions = decide(shop, number)
        assert decisions == {missing: svc.Decided(DecisionKind.LOST)}, decisions
        late_code = missing if r % 2 == 0 else f"VAY{r % HER_ITEMS}"

        def late(session, late_code=late_code, number=number, r=r):
            return scan_one(session, number, late_code, f"late-{r}", by=2)

        outcomes = race(shop, late, close(number, decisions))
        assert unexpected(outcomes) == [], outcomes
        scanned, closed = outcomes
        with shop.app_context(), shop.test_request_context():
            session = db.session
            count = svc.get_count(session, number)
            rows = scans_of(session, number)
            late_rows = [s for s in rows if s.client_id == f"late-{r}"]
            assert count.scan_count == len(rows), (r, count.scan_count, len(rows))
            item = stock.get_item(session, missing)
            if isinstance(scanned, svc.CountClosed):  # the close came first
                seen["close first"] += 1
                assert isinstance(closed, list), (r, outcomes)
                assert late_rows == [] and item.status == ItemStatus.LOST
            else:  # the scan came first: in, and the close saw it
                seen["scan first"] += 1
                assert scanned.created and len(late_rows) == 1, (r, outcomes)
                if late_code == missing:  # found after all: the decided list is stale
                    assert isinstance(closed, InvalidInput) and closed.field == "decisions"
                    assert count.is_open and item.status == ItemStatus.IN_STOCK
                    assert (
                        session.scalar(
                            select(func.count(CountDecision.id)).where(
                                CountDecision.count_id == count.id
                            )
                        )
                        == 0
                    )
                    svc.close_count(
                        session,
                        count,
                        {},
                        by=who(session, 1),
                        at=now(),
                        tz=HANOI,
                        lost_reason=not_found_at_count(count.number),
                    )  # read again: nothing is missing now
                    session.commit()
                else:
                    assert isinstance(closed, list), (r, outcomes)
                    assert item.status == ItemStatus.LOST
            session.refresh(count)
            assert not count.is_open
            # The close's own record of what it saw is every scan the count holds.
            audit = session.scalar(
                select(AuditEvent).where(
                    AuditEvent.action == "count_closed",
                    AuditEvent.subject == f"count {number}",
                )
            )
            assert audit.detail["scans"] == len(rows) == count.scan_count, (r, audit.detail)
            assert all(s.received_at <= count.closed_at for s in rows), r
            lost = item.status == ItemStatus.LOST
            found = any(s.code == missing and s.withdrawn_at is None for s in rows)
            assert lost != found, (r, lost, found)
    assert sum(seen.values()) == ROUNDS


def test_a_close_whose_clock_was_read_before_a_scan_it_counted_is_dated_after_it(shop):
    """What the race above can leave on PostgreSQL, made certain: the close's request read
    the clock, then a phone's scan (its clock read a moment later) took the count first and
    committed; the close then saw the scan. The close is dated at that scan, not before it
    (no scan after ``closed_at``), and its decisions and its audit line with it."""
    number = open_count(shop)
    scan_all_but(shop, number, set(), "all")
    asked = now()  # the close's request read the clock here ...
    late = committed(shop, lambda s: scan_one(s, number, "AO1", "late", by=2).scan.received_at)
    assert late > asked  # ... and the scan, read after, was taken in first
    with shop.app_context(), shop.test_request_context():
        session = db.session
        count = svc.get_count(session, number)
        svc.close_count(
            session,
            count,
            {},
            by=who(session, 1),
            at=asked,
            tz=HANOI,
            lost_reason=not_found_at_count(count.number),
        )
        session.commit()
        count = svc.get_count(session, number)
        assert count.closed_at == late
        assert max(s.received_at for s in scans_of(session, number)) <= count.closed_at
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "count_closed"))
        assert audit.at == late and audit.detail["scans"] == count.scan_count


# ---------------------------------------------------------------- (c) a sale and the close


def sale_of(code):
    def attempt(session):
        return counter.record_sale(
            session,
            counter.SaleRequest((counter.LineRequest(code),), tendered_dong=500_000),
            cashier=who(session, 1),
            at=now(),
            tz=HANOI,
        )[0]

    return attempt


def test_a_sale_racing_the_close_that_marks_the_item_lost_lets_only_one_through(shop):
    """Each round: one of Ngọc's dresses and one of the group's shirts are not scanned
    and the coordinator decides both lost (disposals, and Ngọc's compensation); a customer
    buys the dress at the counter at the same moment. The dress ends sold or lost, never
    both; a refused close leaves nothing of itself (the shirt still on the rail, no
    decision, disposal, expense or audit line; the count still open), a refused sale
    leaves no sale."""
    seen = {"sold": 0, "lost": 0}
    for r in range(ROUNDS):
        number = open_count(shop)
        dress, shirt = f"VAY{r}", f"AO{r}"
        scan_all_but(shop, number, {dress, shirt}, f"r{r}")
        decisions = decide(shop, number)
        assert decisions == dict.fromkeys((dress, shirt), svc.Decided(DecisionKind.LOST))
        expenses_before = committed(shop, lambda s: s.scalar(select(func.count(Expense.id))))
        outcomes = race(shop, sale_of(dress), close(number, decisions))
        assert unexpected(outcomes) == [], outcomes
        sold, closed = outcomes
        assert isinstance(sold, InvalidInput) != isinstance(closed, InvalidInput), (r, outcomes)
        with shop.app_context(), shop.test_request_context():
            session = db.session
            count = svc.get_count(session, number)
            item = stock.get_item(session, dress)
            other = stock.get_item(session, shirt)
            lines = session.scalar(
                select(func.count(SaleLine.id))
                .join(Sale, Sale.id == SaleLine.sale_id)
                .outerjoin(Void, Void.sale_id == Sale.id)
                .where(SaleLine.item_id == item.id, Void.id.is_(None))
            )
            disposals = session.scalar(
                select(func.count(Disposal.id)).where(
                    Disposal.item_id == item.id, Disposal.kind == DisposalKind.LOST
                )
            )
            all_disposals = session.scalar(
                select(func.count(Disposal.id)).where(
                    Disposal.item_id.in_([item.id, other.id]),
                    Disposal.kind == DisposalKind.LOST,
                )
            )
            decided = session.scalars(
                select(CountDecision).where(CountDecision.count_id == count.id)
            ).all()
            expenses = session.scalar(select(func.count(Expense.id))) - expenses_before
            closed_lines = session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "count_closed",
                    AuditEvent.subject == f"count {number}",
                )
            )
            if isinstance(closed, InvalidInput):  # sold first: the close wrote nothing
                seen["sold"] += 1
                assert closed.field == "decisions", closed
                assert item.status == ItemStatus.SOLD and lines == 1 and all_disposals == 0
                assert other.status == ItemStatus.IN_STOCK
                assert count.is_open and decided == [] and expenses == 0 and closed_lines == 0
                # Read again, only the shirt is missing: the count closes.
                session.rollback()  # (SQLite: this session's write lock let go)
                again = decide(shop, number)
                assert again == {shirt: svc.Decided(DecisionKind.LOST)}, again
                committed(shop, lambda s, n=number, d=again: close(n, d)(s))
            else:  # lost first: the sale refused, the close whole
                seen["lost"] += 1
                assert item.status == ItemStatus.LOST and lines == 0 and all_disposals == 2
                assert other.status == ItemStatus.LOST
                assert sorted((d.code, d.kind) for d in decided) == sorted(
                    (code, DecisionKind.LOST) for code in (dress, shirt)
                )
                paid = [d for d in decided if d.compensation_dong > 0]
                assert [d.code for d in paid] == [dress] and expenses == 1
                assert paid[0].expense_id is not None
                assert all(d.disposal_id is not None for d in decided)
                assert not count.is_open and closed_lines == 1
            assert (lines == 1) != (disposals == 1), (r, lines, disposals)
    assert sum(seen.values()) == ROUNDS


# ---------------------------------------------------------------- (d) two coordinators open


def test_two_coordinators_opening_a_count_at_once_open_one(shop):
    """Hồng and Lan press "open" at the same moment, several times over: one count opens,
    the other is told one is already open (never a 500, never two open counts)."""
    for r in range(ROUNDS):

        def opening(by):
            def attempt(session):
                return svc.open_count(session, by=who(session, by), at=now()).number

            return attempt

        outcomes = race(shop, opening(1), opening(3), opening(1))
        assert unexpected(outcomes) == [], (r, outcomes)
        numbers = [o for o in outcomes if isinstance(o, int)]
        refused = [o for o in outcomes if isinstance(o, InvalidInput)]
        assert len(numbers) == 1 and len(refused) == 2, (r, outcomes)
        assert all(o.field == "count" for o in refused), refused
        with shop.app_context():
            open_ones = db.session.scalar(
                select(func.count(StockCount.id)).where(StockCount.status == "open")
            )
            assert open_ones == 1, r
        # Closed again (every item kept as it is) for the next round.
        decisions = {code: svc.Decided(DecisionKind.KEEP) for code in decide(shop, numbers[0])}
        committed(shop, lambda s, n=numbers[0], d=decisions: close(n, d)(s))
    with shop.app_context():
        assert db.session.scalar(select(func.count(StockCount.id))) == ROUNDS
        differences = {d.difference for d in db.session.scalars(select(CountDecision))}
        assert differences <= {Difference.MISSING, Difference.LOT_PIECES}
