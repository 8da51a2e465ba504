"""Stocktake (Kiểm kê): open a count, take phones' scans, read its progress and its
differences, and close it by deciding each one. The page, the API and the journal's import
all come through here; the arithmetic is :mod:`shop.domain.count`.

Sales go on while a count is open: an item sold after it opened is no longer expected, a
lot's pieces sold after it was scanned are taken off what was counted. Scans are appended
only (a phone's scan id makes a resend one row); each one moves the count's ``scan_count``
with an UPDATE that also checks the count is open, so a scan and the close cannot both win.
Closing is one transaction: it re-reads the differences, refuses if they are not the ones
the coordinator decided, then records every decision with its disposal, stock change,
compensation expense and audit line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from shop.database import next_number
from shop.domain import count as rules
from shop.domain.calendar import local_date
from shop.domain.count import DecisionKind, Difference, LostItemPays
from shop.domain.pricing import days_in_stock, effective_price
from shop.models import (
    Category,
    CountDecision,
    CountScan,
    CountStatus,
    Disposal,
    DisposalKind,
    Expense,
    ExpenseCategory,
    Intake,
    Item,
    ItemStatus,
    Member,
    Sale,
    SaleLine,
    ShopProfile,
    StockCount,
    Void,
)
from shop.models.count import stock_count_category
from shop.services import audit
from shop.services.errors import Forbidden, InvalidInput, NotFound
from shop.services.month import ensure_month_open, month_of
from shop.services.policy import policy_in_force

#: A phone's id for one scan: what the counter's offline queue uses (letters, digits, -_).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PIECES = 100_000
MAX_CODE = 40
MAX_NOTE = 300


class CountClosed(InvalidInput):
    """A scan or a decision for a count that is no longer open."""

    status = 409


# ---------------------------------------------------------------- opening and finding


def _coordinator(member: Member) -> None:
    if not member.is_coordinator:
        raise Forbidden(_l("Only a coordinator can open or close a stock count."))


def open_count(
    session: Session,
    *,
    by: Member,
    at: datetime,
    category_ids: Iterable[int] = (),
    note: str = "",
    number: int | None = None,
) -> StockCount:
    """Open a count of the whole rail (no categories) or of some categories.

    ``number``: the count's number as a journal gives it (the next one otherwise)."""
    _coordinator(by)
    ids = sorted({int(i) for i in category_ids})
    chosen = list(session.scalars(select(Category).where(Category.id.in_(ids)))) if ids else []
    if len(chosen) != len(ids):
        raise InvalidInput(_l("Choose categories from the list."), "categories")
    if current_count(session) is not None:
        raise InvalidInput(
            _l("A stock count is already open: close it before opening another."), "count"
        )
    count = StockCount(
        number=number if number is not None else next_number(session, StockCount.number),
        status=CountStatus.OPEN,
        opened_at=at,
        opened_by=by,
        note=_tidy(note, MAX_NOTE),
        categories=chosen,
    )
    try:
        with session.begin_nested():
            session.add(count)
            session.flush()
    except IntegrityError:  # another coordinator opened one at the same moment
        raise InvalidInput(
            _l("A stock count is already open: close it before opening another."), "count"
        ) from None
    audit.record(
        session, "count_opened", by=by, at=at, subject=f"count {count.number}",
        categories=[c.name for c in chosen], note=count.note,
    )  # fmt: skip
    return count


def current_count(session: Session) -> StockCount | None:
    """The open count, if there is one."""
    return session.scalar(
        select(StockCount)
        .where(StockCount.status == CountStatus.OPEN)
        .options(joinedload(StockCount.categories))
    )


def get_count(session: Session, number: object) -> StockCount:
    try:
        wanted = int(str(number))
    except ValueError:
        wanted = None
    count = (
        session.scalar(
            select(StockCount)
            .where(StockCount.number == wanted)
            .options(joinedload(StockCount.categories))
        )
        if wanted is not None
        else None
    )
    if count is None:
        raise NotFound(_l("There is no stock count %(number)s.", number=number), "count")
    return count


def counts(session: Session, limit: int = 50) -> list[StockCount]:
    """The latest counts, newest first."""
    return list(
        session.scalars(
            select(StockCount)
            .options(joinedload(StockCount.categories), joinedload(StockCount.opened_by))
            .order_by(StockCount.number.desc())
            .limit(limit)
        ).unique()
    )


# ---------------------------------------------------------------- scanning


@dataclass(frozen=True)
class ScanResult:
    scan: CountScan
    #: False when this scan id had already been taken in (a resend): nothing was written.
    created: bool
    item: Item | None


def record_scan(
    session: Session,
    count: StockCount,
    *,
    code: object,
    client_id: object,
    by: Member,
    scanned_at: datetime,
    received_at: datetime,
    pieces: object = None,
) -> ScanResult:
    """Take one scan into an open count; the same ``client_id`` again writes nothing.

    ``pieces``: how many pieces of a lot were counted at this scan (required for a lot;
    a single item is one piece). A tag of no item is kept as scanned, for the result.
    ``scanned_at`` is the phone's clock, never later than when the server took it in.
    """
    client = str(client_id or "").strip()
    if not _CLIENT_ID.match(client):
        raise InvalidInput(_l("This scan has no valid id from the phone."), "client_id")
    text = _tidy(str(code or ""), 200)
    if not text:
        raise InvalidInput(_l("Scan or type a code."), "code")
    if len(text) > MAX_CODE:
        raise InvalidInput(_l("A code is at most %(n)s characters.", n=MAX_CODE), "code")
    earlier = _scan_by_client(session, count, client)
    if earlier is not None:
        return _resent(earlier, text)
    item = session.scalar(select(Item).where(Item.code == text))
    counted = _pieces(pieces, item)
    taken = session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
        .values(scan_count=StockCount.scan_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise CountClosed(_l("This stock count is closed: the scan was not added."), "count")
    scan = CountScan(
        count_id=count.id,
        client_id=client,
        code=text,
        item_id=item.id if item is not None else None,
        pieces=counted,
        by_id=by.id,
        scanned_at=min(scanned_at, received_at),
        received_at=received_at,
    )
    try:
        with session.begin_nested():
            session.add(scan)
            session.flush()
    except IntegrityError:  # the same scan sent twice at once: the other one is kept
        earlier = _scan_by_client(session, count, client)
        if earlier is None:
            raise
        return _resent(earlier, text)
    return ScanResult(scan, True, item)


def _scan_by_client(session: Session, count: StockCount, client: str) -> CountScan | None:
    return session.scalar(
        select(CountScan)
        .where(CountScan.count_id == count.id, CountScan.client_id == client)
        .options(joinedload(CountScan.item))
    )


def _resent(earlier: CountScan, text: str) -> ScanResult:
    if earlier.code != text:
        raise InvalidInput(_l("This scan id was already used for another code."), "client_id")
    return ScanResult(earlier, False, earlier.item)


def _pieces(pieces: object, item: Item | None) -> int:
    if pieces is None or pieces == "":
        if item is not None and item.is_lot:
            raise InvalidInput(_l("Count the pieces of this lot and enter how many."), "pieces")
        return 1
    if isinstance(pieces, bool):
        raise InvalidInput(_l("Enter the number of pieces."), "pieces")
    try:
        number = int(str(pieces).strip())
    except ValueError:
        raise InvalidInput(_l("Enter the number of pieces."), "pieces") from None
    if not 1 <= number <= MAX_PIECES:
        raise InvalidInput(
            _l("Enter between 1 and %(n)s pieces.", n=f"{MAX_PIECES:,}".replace(",", ".")),
            "pieces",
        )
    if number != 1 and (item is None or not item.is_lot):
        raise InvalidInput(_l("Only a lot is counted by pieces: this is one item."), "pieces")
    return number


def withdraw_scan(
    session: Session, count: StockCount, client_id: object, *, by: Member, at: datetime
) -> CountScan:
    """Take back a scan made by mistake (her own, or anyone's for a coordinator) while the
    count is open. The row stays, marked withdrawn; taking it back twice changes nothing."""
    scan = _scan_by_client(session, count, str(client_id or "").strip())
    if scan is None:
        raise NotFound(_l("There is no such scan in this count."), "client_id")
    if scan.by_id != by.id and not by.is_coordinator:
        raise Forbidden(_l("Only the member who scanned it or a coordinator can take it back."))
    if scan.withdrawn_at is not None:
        return scan
    still_open = session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
        .values(scan_count=StockCount.scan_count)
        .execution_options(synchronize_session=False)
    ).rowcount
    if still_open != 1:
        raise CountClosed(_l("This stock count is closed: the scan stays."), "count")
    scan.withdrawn_at = at
    scan.withdrawn_by_id = by.id
    session.flush()
    return scan


def scans_of(
    session: Session, count: StockCount, *, by: Member | None = None, limit: int = 200
) -> list[CountScan]:
    """The count's latest scans (one member's when ``by`` is given), newest first."""
    query = (
        select(CountScan)
        .where(CountScan.count_id == count.id)
        .options(joinedload(CountScan.item).joinedload(Item.category), joinedload(CountScan.by))
        .order_by(CountScan.id.desc())
        .limit(limit)
    )
    if by is not None:
        query = query.where(CountScan.by_id == by.id)
    return list(session.scalars(query))


# ---------------------------------------------------------------- progress and result


def _in_scope(count: StockCount):
    """Conditions on :class:`Item` for "in this count's categories"."""
    if not count.categories:
        return ()
    return (
        Item.category_id.in_(
            select(stock_count_category.c.category_id).where(
                stock_count_category.c.count_id == count.id
            )
        ),
    )


def _expected_query(count: StockCount):
    """Items on the rail in scope that came in before the count opened (by their intake's
    moment, which a journal keeps, unlike the row's own creation time)."""
    return (
        select(Item)
        .join(Intake, Intake.id == Item.intake_id)
        .where(
            Item.status == ItemStatus.IN_STOCK,
            Intake.received_at <= count.opened_at,
            *_in_scope(count),
        )
    )


def _live_scans(count: StockCount):
    return and_(CountScan.count_id == count.id, CountScan.withdrawn_at.is_(None))


@dataclass(frozen=True)
class CategoryProgress:
    name: str
    expected: int
    counted: int


@dataclass(frozen=True)
class Progress:
    expected: int  # items and lots the books have on the rail in scope
    counted: int  # of those, found (a lot once any of it is scanned)
    scans: int  # scans taken in, taken-back ones included
    unknown: int  # scanned tags of no item
    categories: tuple[CategoryProgress, ...]
    mine: int | None = None  # scans by the member asking


def progress(session: Session, count: StockCount, *, member: Member | None = None) -> Progress:
    """Counted against expected, by category: a few grouped queries."""
    expected = _expected_query(count).subquery()
    found = (
        select(CountScan.item_id).where(_live_scans(count), CountScan.item_id.is_not(None))
    ).distinct().subquery()  # fmt: skip
    rows = session.execute(
        select(
            Category.name,
            Category.position,
            func.count(expected.c.id),
            func.count(found.c.item_id),
        )
        .join(expected, expected.c.category_id == Category.id)
        .outerjoin(found, found.c.item_id == expected.c.id)
        .group_by(Category.id, Category.name, Category.position)
        .order_by(Category.position, Category.name)
    ).all()
    unknown = session.scalar(
        select(func.count(func.distinct(CountScan.code))).where(
            _live_scans(count), CountScan.item_id.is_(None)
        )
    )
    mine = None
    if member is not None:
        mine = session.scalar(
            select(func.count()).where(_live_scans(count), CountScan.by_id == member.id)
        )
    return Progress(
        expected=sum(r[2] for r in rows),
        counted=sum(r[3] for r in rows),
        scans=int(session.scalar(select(StockCount.scan_count).where(StockCount.id == count.id))),
        unknown=int(unknown or 0),
        categories=tuple(CategoryProgress(r[0], int(r[2]), int(r[3])) for r in rows),
        mine=mine,
    )


@dataclass(frozen=True)
class Line:
    """A difference with what the page and the API show of it."""

    found: rules.Found
    item: Item | None
    #: What it (or a lot's missing pieces) is worth at today's price; what the owner
    #: would be paid if it is lost (0 for the group's items).
    value_dong: int
    compensation_dong: int
    days_in_stock: int | None
    scanned_by: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.found.code

    @property
    def owner(self) -> Member | None:
        return self.item.owner if self.item is not None else None


def result(
    session: Session,
    count: StockCount,
    *,
    at: datetime,
    tz: ZoneInfo,
    rule: LostItemPays | None = None,
) -> list[Line]:
    """Every difference between the books and the rail as of ``at``; what a member's lost
    item would be made good with by ``rule`` (the shop's, :func:`lost_item_rule`, when
    left out)."""
    expected = [
        rules.Expected(code, is_lot, (on_hand or 0) if is_lot else 1)
        for code, is_lot, on_hand in session.execute(
            _expected_query(count)
            .with_only_columns(Item.code, Item.is_lot, Item.quantity_on_hand)
            .order_by(None)
        )
    ]
    counted = _counted(session, count)
    found = rules.differences(expected, counted)
    return _lines(session, found, at=at, tz=tz, rule=rule or lost_item_rule(session))


def _counted(session: Session, count: StockCount) -> list[rules.Counted]:
    rows = session.execute(
        select(
            CountScan.code,
            CountScan.item_id,
            func.sum(CountScan.pieces),
            func.min(CountScan.scanned_at),
            func.max(CountScan.scanned_at),
        )
        .where(_live_scans(count))
        .group_by(CountScan.code, CountScan.item_id)
    ).all()
    item_ids = [r[1] for r in rows if r[1] is not None]
    books = {
        item.id: item
        for item in session.scalars(select(Item).where(Item.id.in_(item_ids)))
    } if item_ids else {}  # fmt: skip
    gone = [i for i, item in books.items() if item.status != ItemStatus.IN_STOCK]
    left = _left_at(session, gone)
    lots_first = {
        r[1]: r[3] for r in rows if r[1] is not None and books[r[1]].is_lot
    }  # fmt: skip
    sold_since = _lot_pieces_sold_since(session, lots_first)
    out = []
    for code, item_id, pieces, first, last in rows:
        item = books.get(item_id)
        out.append(
            rules.Counted(
                code=code,
                known=item is not None,
                is_lot=bool(item and item.is_lot),
                pieces=int(pieces),
                first_scan_at=first,
                last_scan_at=last,
                sold_since_scan=sold_since.get(item_id, 0),
                left_at=left.get(item_id) if item is not None else None,
            )
        )
    return out


def _left_at(session: Session, item_ids: list[int]) -> dict[int, datetime]:
    """When the books say each of these items left the rail (its latest sale not voided,
    or its latest disposal)."""
    if not item_ids:
        return {}
    left: dict[int, datetime] = {}
    sold = session.execute(
        select(SaleLine.item_id, func.max(Sale.at))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .outerjoin(Void, Void.sale_id == Sale.id)
        .where(SaleLine.item_id.in_(item_ids), Void.id.is_(None))
        .group_by(SaleLine.item_id)
    )
    disposed = session.execute(
        select(Disposal.item_id, func.max(Disposal.at))
        .where(Disposal.item_id.in_(item_ids))
        .group_by(Disposal.item_id)
    )
    for item_id, at in [*sold, *disposed]:
        if at is not None and (item_id not in left or at > left[item_id]):
            left[item_id] = at
    return left


def _lot_pieces_sold_since(session: Session, first_scan: Mapping[int, datetime]) -> dict[int, int]:
    if not first_scan:
        return {}
    conditions = [
        and_(SaleLine.item_id == item_id, Sale.at > at) for item_id, at in first_scan.items()
    ]
    rows = session.execute(
        select(SaleLine.item_id, func.sum(SaleLine.quantity))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .outerjoin(Void, Void.sale_id == Sale.id)
        .where(Void.id.is_(None), or_(*conditions))
        .group_by(SaleLine.item_id)
    )
    return {item_id: int(pieces) for item_id, pieces in rows}


def lost_item_rule(session: Session) -> LostItemPays:
    profile = session.get(ShopProfile, 1)
    return LostItemPays(profile.lost_item_pays if profile is not None else "owner_split")


def _lines(
    session: Session, found: list[rules.Found], *, at: datetime, tz: ZoneInfo, rule: LostItemPays
) -> list[Line]:
    codes = [f.code for f in found if f.difference != Difference.UNKNOWN_CODE]
    items = {
        item.code: item
        for item in session.scalars(
            select(Item)
            .where(Item.code.in_(codes))
            .options(joinedload(Item.owner), joinedload(Item.category))
        )
    } if codes else {}  # fmt: skip
    today = local_date(at, tz)
    policy = policy_in_force(session, month_of(at, tz))
    lines = []
    for f in found:
        item = items.get(f.code)
        if item is None:
            lines.append(Line(f, None, 0, 0, None))
            continue
        days = days_in_stock(item.received_on, today)
        price = effective_price(item.price_dong, days, policy.markdown)
        short = f.short_pieces
        bp = item.consignor_bp if item.owner_id is not None else None
        lines.append(
            Line(
                found=f,
                item=item,
                value_dong=price * short,
                compensation_dong=rules.compensation(price, short, bp, rule),
                days_in_stock=days,
            )
        )
    return lines


# ---------------------------------------------------------------- closing


@dataclass(frozen=True)
class Decided:
    kind: DecisionKind
    note: str = ""


_COUNT_ERRORS = {
    "undecided": _l("Decide every difference before closing the count (%(code)s)."),
    "not_a_difference": _l(
        "The rail or the books changed while you decided (%(code)s): read the list again."
    ),
    "not_allowed": _l("That is not a choice for %(code)s."),
}


def close_count(
    session: Session,
    count: StockCount,
    decisions: Mapping[str, Decided],
    *,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
    rule: LostItemPays | None = None,
) -> list[CountDecision]:
    """Close ``count`` with a decision for each of its differences, all in this transaction.

    Refused, writing nothing, when a difference is left undecided or a decided code is no
    longer a difference (a sale or a late scan changed the list since it was read).
    ``rule``: how a member's lost item is made good, where a journal says its close
    applied another rule than the shop's now (:func:`lost_item_rule`).
    """
    _coordinator(by)
    ensure_month_open(session, at, tz, "at")
    closed = session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
        .values(status=CountStatus.CLOSED, closed_at=at, closed_by_id=by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise CountClosed(_l("This stock count is already closed."), "count")
    rule = rule or lost_item_rule(session)
    lines = result(session, count, at=at, tz=tz, rule=rule)
    try:
        kinds = rules.check_decisions(
            [line.found for line in lines], {code: d.kind for code, d in decisions.items()}
        )
    except rules.CountError as refusal:
        raise InvalidInput(
            _l(_COUNT_ERRORS[refusal.code], code=refusal.subject), "decisions"
        ) from None
    written = []
    for line in lines:
        decided = decisions[line.code]
        written.append(
            _apply(session, count, line, kinds[line.code], _tidy(decided.note, MAX_NOTE),
                   rule=rule, by=by, at=at, tz=tz)
        )  # fmt: skip
    session.flush()
    session.refresh(count)
    audit.record(
        session, "count_closed", by=by, at=at, subject=f"count {count.number}",
        differences=len(lines), scans=count.scan_count,
        lost=sum(1 for d in written if d.kind == DecisionKind.LOST),
        compensation_dong=sum(d.compensation_dong for d in written),
    )  # fmt: skip
    return written


def _apply(
    session: Session,
    count: StockCount,
    line: Line,
    kind: DecisionKind,
    note: str,
    *,
    rule: LostItemPays,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
) -> CountDecision:
    item, found = line.item, line.found
    decision = CountDecision(
        count_id=count.id,
        difference=found.difference,
        code=found.code,
        item_id=item.id if item is not None else None,
        kind=kind,
        expected_pieces=found.expected_pieces,
        counted_pieces=found.counted_pieces,
        value_dong=line.value_dong,
        compensation_dong=0,
        owner_id=item.owner_id if item is not None else None,
        note=note,
        by_id=by.id,
        at=at,
    )
    reason = _reason(count, note)
    if kind == DecisionKind.LOST:
        _take_off(session, item, ItemStatus.LOST)
        disposal = Disposal(item_id=item.id, kind=DisposalKind.LOST, at=at, by=by, note=reason)
        session.add(disposal)
        session.flush()
        decision.disposal_id = disposal.id
        decision.compensation_dong = line.compensation_dong
    elif kind == DecisionKind.QUANTITY:
        _set_pieces(session, item, found.expected_pieces or 0, found.counted_pieces or 0)
        decision.compensation_dong = line.compensation_dong
    elif kind == DecisionKind.BACK_ON_RAIL:
        _back_on_rail(session, item)
    if decision.compensation_dong > 0:
        expense = Expense(
            spent_on=local_date(at, tz),
            category=ExpenseCategory.COMPENSATION,
            amount_dong=decision.compensation_dong,
            note=_tidy(f"{found.code}: {reason}", MAX_NOTE),
            member_id=item.owner_id,
            by_id=by.id,
        )
        session.add(expense)
        session.flush()
        decision.expense_id = expense.id
    session.add(decision)
    audit.record(
        session, "count_decision", by=by, at=at, subject=f"item {found.code}",
        count=count.number, difference=found.difference, kind=kind,
        expected_pieces=found.expected_pieces, counted_pieces=found.counted_pieces,
        compensation_dong=decision.compensation_dong, note=note,
    )  # fmt: skip
    return decision


def _reason(count: StockCount, note: str) -> str:
    reason = str(_l("Not found at stock count %(number)s", number=count.number))
    return _tidy(f"{reason}. {note}" if note else reason, MAX_NOTE)


def _take_off(session: Session, item: Item, status: ItemStatus) -> None:
    changed = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == ItemStatus.IN_STOCK)
        .values(status=status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # result() read it in stock in this transaction: cannot happen
        raise InvalidInput(_l("Item %(code)s is no longer in stock.", code=item.code), "decisions")
    # The row changed behind the session's back: read it again when next asked (a later
    # count in the same session, as a journal's import has, must see it lost).
    session.expire(item, ["status"])


def _set_pieces(session: Session, item: Item, expected: int, counted: int) -> None:
    changed = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.quantity_on_hand == expected)
        .values(quantity_on_hand=counted)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidInput(
            _l("Lot %(code)s changed while you decided.", code=item.code), "decisions"
        )
    session.expire(item, ["quantity_on_hand"])


def _back_on_rail(session: Session, item: Item) -> None:
    """A found item back in stock. One its owner was paid for when it was lost is the
    group's now: selling it again must not pay her twice."""
    compensated = session.scalar(
        select(func.count())
        .select_from(CountDecision)
        .where(CountDecision.item_id == item.id, CountDecision.compensation_dong > 0)
    )
    values: dict = {"status": ItemStatus.IN_STOCK}
    if compensated:
        values["owner_id"] = None
    if item.is_lot and not item.quantity_on_hand:
        values["quantity_on_hand"] = 1
    session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status != ItemStatus.IN_STOCK)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.expire(item, list(values))


def decisions_of(session: Session, count: StockCount) -> list[CountDecision]:
    return list(
        session.scalars(
            select(CountDecision)
            .where(CountDecision.count_id == count.id)
            .options(
                joinedload(CountDecision.item).joinedload(Item.category),
                joinedload(CountDecision.owner),
                joinedload(CountDecision.by),
            )
            .order_by(CountDecision.id)
        )
    )


def lost_compensations(
    session: Session, member: Member, *, start: datetime, end: datetime
) -> list[CountDecision]:
    """A member's compensated lost items decided in [start, end) (for her statement)."""
    return list(
        session.scalars(
            select(CountDecision)
            .where(
                CountDecision.owner_id == member.id,
                CountDecision.compensation_dong > 0,
                CountDecision.at >= start,
                CountDecision.at < end,
            )
            .options(joinedload(CountDecision.item))
            .order_by(CountDecision.at, CountDecision.id)
        )
    )


def _tidy(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def by_owner(lines: Iterable[Line]) -> dict[int | None, list[Line]]:
    grouped: dict[int | None, list[Line]] = defaultdict(list)
    for line in lines:
        grouped[line.item.owner_id if line.item is not None else None].append(line)
    return grouped
