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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from shop.database import next_number, settings_row
from shop.domain import count as rules
from shop.domain.calendar import local_date, parse_moment
from shop.domain.count import DecisionKind, Difference, LostItemPays
from shop.domain.pricing import days_in_stock, effective_price
from shop.domain.text import CODE_LENGTH, NOTE_LENGTH, tidy
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
)
from shop.models.count import stock_count_category
from shop.services import audit
from shop.services.errors import Forbidden, InvalidInput, NotFound
from shop.services.month import ensure_month_open, month_of
from shop.services.policy import policy_in_force

#: A phone's id for one scan: what the counter's offline queue uses (letters, digits, -_).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PIECES = 100_000
_MAX_PIECES_TEXT = "100.000"


class CountClosed(InvalidInput):
    """A scan or a decision for a count that is no longer open."""

    status = 409


# ---------------------------------------------------------------- opening and finding


def _coordinator(member: Member) -> None:
    if not member.is_coordinator:
        raise Forbidden("count.coordinators_only")


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
        raise InvalidInput("count.category_invalid", "categories")
    if current_count(session) is not None:
        raise InvalidInput("count.already_open", "count")
    count = StockCount(
        number=number if number is not None else next_number(session, StockCount.number),
        status=CountStatus.OPEN,
        opened_at=at,
        opened_by=by,
        note=tidy(note, NOTE_LENGTH),
        categories=chosen,
    )
    try:
        with session.begin_nested():
            session.add(count)
            session.flush()
    except IntegrityError:  # another coordinator opened one at the same moment
        raise InvalidInput("count.already_open", "count") from None
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
        raise NotFound("count.not_found", "count", number=number)
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
    client, text = _checked_scan(client_id, code)
    earlier = _scan_by_client(session, count, client)
    item = None if earlier else session.scalar(select(Item).where(Item.code == text))
    return _take_scan(
        session, count, client, text, pieces, earlier=earlier, item=item, by=by,
        scanned_at=scanned_at, received_at=received_at,
    )  # fmt: skip


def _hold_open(session: Session, count: StockCount, refusal) -> None:
    """Take the count's row for this transaction if it is still open (``refusal`` if not):
    a close waits for it, and what this transaction then writes is in the count it sees."""
    held = session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
        .values(scan_count=StockCount.scan_count)
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        raise CountClosed(refusal, "count")


def _checked_scan(client_id: object, code: object) -> tuple[str, str]:
    """The scan's id and code as kept, or the refusal naming the field."""
    client = str(client_id or "").strip()
    if not _CLIENT_ID.match(client):
        raise InvalidInput("scan.id_invalid", "client_id")
    text = tidy(str(code or ""), 200)
    if not text:
        raise InvalidInput("scan.code_missing", "code")
    if len(text) > CODE_LENGTH:
        raise InvalidInput("scan.code_too_long", "code", n=CODE_LENGTH)
    return client, text


def _take_scan(
    session: Session,
    count: StockCount,
    client: str,
    text: str,
    pieces: object,
    *,
    earlier: CountScan | None,
    item: Item | None,
    by: Member,
    scanned_at: datetime,
    received_at: datetime,
) -> ScanResult:
    """One checked scan: ``earlier`` is the scan already taken with this id (a resend),
    ``item`` the item of its code. Refusals come before anything is written."""
    if earlier is not None:
        return _resent(earlier, text)
    counted = _pieces(pieces, item)
    scan = CountScan(
        count_id=count.id,
        client_id=client,
        code=text,
        item=item,
        pieces=counted,
        by_id=by.id,
        scanned_at=min(scanned_at, received_at),
        received_at=received_at,
    )
    try:
        # The count's scan_count moves in the same savepoint as the row: a resend that
        # loses the race to its first try leaves neither behind.
        with session.begin_nested():
            taken = session.execute(
                update(StockCount)
                .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
                .values(scan_count=StockCount.scan_count + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                raise CountClosed("scan.count_closed", "count")
            session.add(scan)
            session.flush()
    except IntegrityError:  # the same scan sent twice at once: the other one is kept
        earlier = _scan_by_client(session, count, client)
        if earlier is None:
            raise
        return _resent(earlier, text)
    return ScanResult(scan, True, item)


#: The most scans a phone sends in one batch.
MAX_BATCH = 200


@dataclass(frozen=True)
class ScanRequest:
    """One scan as a phone sends it: its id for the scan, what it read, a lot's pieces and
    the phone's clock (ISO 8601 text with an offset, or a datetime; ``None``: unknown)."""

    client_id: object
    code: object
    pieces: object = None
    scanned_at: object = None


@dataclass(frozen=True)
class ScanOutcome:
    """What became of one scan of a batch: ``recorded``, ``resent`` (taken before; nothing
    written) or ``refused`` (``fields`` says why, beside the field at fault)."""

    client_id: object
    outcome: str
    item: Item | None
    scan: CountScan | None = None
    fields: Mapping[str, tuple[str, ...]] | None = None


def record_scans(
    session: Session,
    count: StockCount,
    scans: Iterable[ScanRequest],
    *,
    by: Member,
    received_at: datetime,
) -> list[ScanOutcome]:
    """Take a phone's batch of scans, each one taken or refused on its own (a savepoint
    each): a bad scan never costs the good ones. A closed count takes none
    (:class:`CountClosed`, also when it closes half way: the caller rolls back)."""
    if not count.is_open:
        raise CountClosed("scan.count_closed", "count")
    # The count's row first: it checks the count is open and, held until this transaction
    # ends, keeps out every other writer of this count's scans (they take it first too),
    # so the resends and items read next stay true while the batch is written.
    _hold_open(session, count, "scan.count_closed")
    wanted = list(scans)
    clients = {str(w.client_id or "").strip() for w in wanted}
    taken_before = {
        scan.client_id: scan
        for scan in session.scalars(
            select(CountScan)
            .where(CountScan.count_id == count.id, CountScan.client_id.in_(clients))
            .options(joinedload(CountScan.item))
        )
    }
    codes = {tidy(w.code, CODE_LENGTH + 1) for w in wanted if isinstance(w.code, str)}
    items = {item.code: item for item in session.scalars(select(Item).where(Item.code.in_(codes)))}
    outcomes = []
    for one in wanted:
        try:
            client, text = _checked_scan(one.client_id, one.code)
            taken = _take_scan(
                session, count, client, text, one.pieces,
                earlier=taken_before.get(client), item=items.get(text), by=by,
                scanned_at=_scan_moment(one.scanned_at, count, received_at),
                received_at=received_at,
            )  # fmt: skip
        except CountClosed:
            raise
        except (InvalidInput, NotFound) as refusal:
            code = tidy(one.code, CODE_LENGTH) if isinstance(one.code, str) else ""
            fields = {name: tuple(msgs) for name, msgs in refusal.fields.items()}
            outcomes.append(ScanOutcome(one.client_id, "refused", items.get(code), None, fields))
            continue
        taken_before[client] = taken.scan
        outcomes.append(
            ScanOutcome(
                one.client_id, "recorded" if taken.created else "resent", taken.item, taken.scan
            )
        )
    return outcomes


def _scan_moment(value: object, count: StockCount, received_at: datetime) -> datetime:
    """When the phone says it scanned: its clock, kept between the count's opening and the
    moment the server took the scan in (a phone's clock can be off by hours)."""
    if value is None or value == "":
        return received_at
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            if not isinstance(value, str) or len(value) > 40:
                raise ValueError
            moment = parse_moment(value)
        except ValueError:
            raise InvalidInput("moment.invalid", "scanned_at") from None
    if moment.tzinfo is None:
        raise InvalidInput("moment.invalid", "scanned_at")
    return min(max(moment, count.opened_at), received_at)


def _scan_by_client(session: Session, count: StockCount, client: str) -> CountScan | None:
    return session.scalar(
        select(CountScan)
        .where(CountScan.count_id == count.id, CountScan.client_id == client)
        .options(joinedload(CountScan.item))
    )


def _resent(earlier: CountScan, text: str) -> ScanResult:
    if earlier.code != text:
        raise InvalidInput("scan.id_reused", "client_id")
    return ScanResult(earlier, False, earlier.item)


def _pieces(pieces: object, item: Item | None) -> int:
    if pieces is None or pieces == "":
        if item is not None and item.is_lot:
            raise InvalidInput("count.lot_pieces_missing", "pieces")
        return 1
    if isinstance(pieces, bool):
        raise InvalidInput("scan.pieces_missing", "pieces")
    try:
        number = int(str(pieces).strip())
    except ValueError:
        raise InvalidInput("scan.pieces_missing", "pieces") from None
    if not 1 <= number <= MAX_PIECES:
        raise InvalidInput("scan.pieces_out_of_range", "pieces", n=_MAX_PIECES_TEXT)
    if number != 1 and (item is None or not item.is_lot):
        raise InvalidInput("scan.pieces_of_item", "pieces")
    return number


def withdraw_scan(
    session: Session, count: StockCount, client_id: object, *, by: Member, at: datetime
) -> CountScan:
    """Take back a scan made by mistake (her own, or anyone's for a coordinator) while the
    count is open. The row stays, marked withdrawn; taking it back twice changes nothing."""
    scan = _scan_by_client(session, count, str(client_id or "").strip())
    if scan is None:
        raise NotFound("scan.not_found", "client_id")
    if scan.by_id != by.id and not by.is_coordinator:
        raise Forbidden("scan.not_hers")
    if scan.withdrawn_at is not None:
        return scan
    _hold_open(session, count, "scan.count_closed_stays")
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
    """Counted against expected, by category: a few grouped queries.

    Whether an expected item was found is an EXISTS on the scans' (count, item) index, one
    lookup an item: joining the expected items to the distinct scanned ones instead cost
    SQLite a quarter of a second for a count of 3,000 (and every batch of scans asks)."""
    found = select(CountScan.id).where(_live_scans(count), CountScan.item_id == Item.id).exists()
    rows = session.execute(
        _expected_query(count)
        .join(Category, Category.id == Item.category_id)
        .with_only_columns(
            Category.name,
            Category.position,
            func.count(Item.id),
            func.count(case((found, 1))),
        )
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
    #: A decided line's owner as she was when it was decided (an item compensated and
    #: then found again is the group's since).
    decided_owner: Member | None = None

    @property
    def code(self) -> str:
        return self.found.code

    @property
    def owner(self) -> Member | None:
        if self.decided_owner is not None:
            return self.decided_owner
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
    """What the live scans counted, by code, with what the books say of each item (read in
    the same grouped query: a count of 3,000 loaded as 3,000 items cost a tenth of a
    second of the close)."""
    rows = session.execute(
        select(
            CountScan.code,
            CountScan.item_id,
            Item.is_lot,
            Item.status,
            func.sum(CountScan.pieces),
            func.min(CountScan.scanned_at),
            func.max(CountScan.scanned_at),
        )
        .outerjoin(Item, Item.id == CountScan.item_id)
        .where(_live_scans(count))
        .group_by(CountScan.code, CountScan.item_id, Item.is_lot, Item.status)
    ).all()
    gone = [r.item_id for r in rows if r.item_id is not None and r.status != ItemStatus.IN_STOCK]
    left = _left_at(session, gone)
    lots_first = {r.item_id: r[5] for r in rows if r.item_id is not None and r.is_lot}
    sold_since = _lot_pieces_sold_since(session, lots_first)
    out = []
    for code, item_id, is_lot, _status, pieces, first, last in rows:
        out.append(
            rules.Counted(
                code=code,
                known=item_id is not None,
                is_lot=bool(is_lot),
                pieces=int(pieces),
                first_scan_at=first,
                last_scan_at=last,
                sold_since_scan=sold_since.get(item_id, 0),
                left_at=left.get(item_id) if item_id is not None else None,
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
        Sale.not_voided(
            select(SaleLine.item_id, func.max(Sale.at)).join(Sale, Sale.id == SaleLine.sale_id)
        )
        .where(SaleLine.item_id.in_(item_ids))
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
        Sale.not_voided(
            select(SaleLine.item_id, func.sum(SaleLine.quantity)).join(
                Sale, Sale.id == SaleLine.sale_id
            )
        )
        .where(or_(*conditions))
        .group_by(SaleLine.item_id)
    )
    return {item_id: int(pieces) for item_id, pieces in rows}


def lost_item_rule(session: Session) -> LostItemPays:
    profile = settings_row(session, ShopProfile)
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


def decided(kind: object, note: object = "", *, field: str = "decisions") -> Decided:
    """A decision as a page or a phone sends it (its kind's name and a note), or a refusal
    naming ``field``."""
    try:
        chosen = DecisionKind(kind) if isinstance(kind, str) else None
    except ValueError:
        chosen = None
    if chosen is None:
        raise InvalidInput("choice.invalid", field)
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > NOTE_LENGTH:
        raise InvalidInput("text.too_long_300", field)
    return Decided(chosen, note)


@dataclass(frozen=True)
class Loss:
    """What the differences settled as chosen cost: the value that leaves the books and
    what the group pays owners, in đồng."""

    value_dong: int
    compensation_dong: int


#: The decisions that take something off the books: a missing item marked lost, a lot's
#: missing pieces written off (what :func:`loss` adds up).
COSTLY = frozenset({DecisionKind.LOST, DecisionKind.QUANTITY})


def loss(lines: Iterable[Line], kinds: Mapping[str, DecisionKind]) -> Loss:
    """The loss if each line is decided as ``kinds`` says (its first choice when absent)."""
    value = compensation = 0
    for line in lines:
        kind = kinds.get(line.code) or line.found.choices[0]
        if kind in COSTLY:
            value += line.value_dong
            compensation += line.compensation_dong
    return Loss(value, compensation)


def decided_lines(session: Session, count: StockCount, *, tz: ZoneInfo) -> list[Line]:
    """A closed count's differences as they were when she decided them."""
    lines = []
    for decision in decisions_of(session, count):
        item = decision.item
        days = None
        if item is not None:
            days = days_in_stock(item.received_on, local_date(decision.at, tz))
        found = rules.Found(
            decision.difference, decision.code, decision.expected_pieces, decision.counted_pieces
        )
        lines.append(
            Line(
                found, item, decision.value_dong, decision.compensation_dong, days,
                decided_owner=decision.owner,
            )
        )  # fmt: skip
    return lines


def close_count(
    session: Session,
    count: StockCount,
    decisions: Mapping[str, Decided],
    *,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
    lost_reason: str,
    rule: LostItemPays | None = None,
) -> list[CountDecision]:
    """Close ``count`` with a decision for each of its differences, all in this transaction.

    Dated ``at``, or the latest scan it counts if that came later (see
    :func:`_after_every_scan`).

    Refused, writing nothing, when a difference is left undecided or a decided code is no
    longer a difference (a sale or a late scan changed the list since it was read).
    ``lost_reason``: the words kept with what the close found missing, in the shop's
    language, chosen by the caller (``shop.messages.not_found_at_count``: "Not found at stock
    count 3"): a lost item's disposal and a compensation's expense note begin with them.
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
        raise CountClosed("count.already_closed", "count")
    at = _after_every_scan(session, count, at, tz)
    rule = rule or lost_item_rule(session)
    lines = result(session, count, at=at, tz=tz, rule=rule)
    try:
        kinds = rules.check_decisions(
            [line.found for line in lines], {code: d.kind for code, d in decisions.items()}
        )
    except rules.CountError as refusal:
        raise InvalidInput(f"count.{refusal.code}", "decisions", code=refusal.subject) from None
    written = _apply(
        session, count, lines, kinds, decisions, by=by, at=at, tz=tz, lost_reason=lost_reason
    )
    session.flush()
    session.refresh(count)
    audit.record(
        session, "count_closed", by=by, at=at, subject=f"count {count.number}",
        differences=len(lines), scans=count.scan_count,
        lost=sum(1 for d in written if d.kind == DecisionKind.LOST),
        compensation_dong=sum(d.compensation_dong for d in written),
    )  # fmt: skip
    return written


def _after_every_scan(session: Session, count: StockCount, at: datetime, tz: ZoneInfo) -> datetime:
    """The close's moment: ``at``, or the latest scan's if one was taken in after ``at``
    was read and before the close took the count (two requests racing: the scan's clock
    read later, its transaction first). The close counts that scan, so it is dated with
    it: no scan of a closed count comes after its ``closed_at``."""
    latest = session.scalar(
        select(func.max(CountScan.received_at)).where(CountScan.count_id == count.id)
    )
    if latest is None or latest <= at:
        return at
    ensure_month_open(session, latest, tz, "at")
    session.execute(
        update(StockCount)
        .where(StockCount.id == count.id)
        .values(closed_at=latest)
        .execution_options(synchronize_session=False)
    )
    return latest


def _apply(
    session: Session,
    count: StockCount,
    lines: list[Line],
    kinds: Mapping[str, DecisionKind],
    decisions: Mapping[str, Decided],
    *,
    by: Member,
    at: datetime,
    tz: ZoneInfo,
    lost_reason: str,
) -> list[CountDecision]:
    """Write every decision in a handful of statements however many there are: the lost
    items taken off the rail by one conditional UPDATE, their disposals and the owners'
    compensations inserted together, then the decisions with their audit lines. (One
    decision at a time, flushed each, cost about 8 ms a decision on a busy machine: a
    first count with 300 differences would have closed in two or three seconds.)"""
    lost = [line.item for line in lines if kinds[line.code] == DecisionKind.LOST]
    _take_off(session, lost, ItemStatus.LOST)
    planned: list[tuple[CountDecision, Disposal | None, Expense | None]] = []
    for line in lines:
        item, found, kind = line.item, line.found, kinds[line.code]
        note = tidy(decisions[line.code].note, NOTE_LENGTH)
        reason = tidy(f"{lost_reason}. {note}" if note else lost_reason, NOTE_LENGTH)
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
        disposal = expense = None
        if kind == DecisionKind.LOST:
            disposal = Disposal(item_id=item.id, kind=DisposalKind.LOST, at=at, by=by, note=reason)
            session.add(disposal)
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
                note=tidy(f"{found.code}: {reason}", NOTE_LENGTH),
                member_id=item.owner_id,
                by_id=by.id,
            )
            session.add(expense)
        planned.append((decision, disposal, expense))
    session.flush()  # the disposals and the expenses, each kind in one INSERT
    for decision, disposal, expense in planned:
        decision.disposal_id = disposal.id if disposal is not None else None
        decision.expense_id = expense.id if expense is not None else None
        session.add(decision)
        audit.record(
            session, "count_decision", by=by, at=at, subject=f"item {decision.code}",
            count=count.number, difference=decision.difference, kind=decision.kind,
            expected_pieces=decision.expected_pieces, counted_pieces=decision.counted_pieces,
            compensation_dong=decision.compensation_dong, note=decision.note,
        )  # fmt: skip
    return [decision for decision, _disposal, _expense in planned]


def _take_off(session: Session, items: list[Item], status: ItemStatus) -> None:
    """Take ``items`` off the rail as ``status`` with one conditional UPDATE; refused if
    any of them is no longer in stock (sold a moment ago: a sale racing the close)."""
    if not items:
        return
    ids = [item.id for item in items]
    changed = session.execute(
        update(Item)
        .where(Item.id.in_(ids), Item.status == ItemStatus.IN_STOCK)
        .values(status=status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != len(ids):
        gone = session.scalar(select(Item.code).where(Item.id.in_(ids), Item.status != status))
        raise InvalidInput("count.item_gone", "decisions", code=gone or items[0].code)
    # The rows changed behind the session's back: read them again when next asked (a later
    # count in the same session, as a journal's import has, must see them lost).
    for item in items:
        session.expire(item, ["status"])


def _set_pieces(session: Session, item: Item, expected: int, counted: int) -> None:
    changed = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.quantity_on_hand == expected)
        .values(quantity_on_hand=counted)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidInput("count.lot_changed", "decisions", code=item.code)
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


@dataclass(frozen=True)
class Compensation:
    """What the group paid a member for one of her consigned items (or some pieces of her
    lot) lost at a stocktake: one compensation expense, with the decision it paid for."""

    expense_id: int
    member_id: int
    paid_on: date  # the expense's day: the local day the count closed
    amount_dong: int
    count_number: int | None  # None: an expense no decision names (not written by a count)
    kind: DecisionKind | None
    code: str
    description: str  # "category · description" of the item, as on her statement
    pieces: int  # pieces of a lot found missing; 1 for a single item
    note: str  # the coordinator's note on the decision (the expense's own without one)

    @property
    def reason(self) -> str | tuple[str, dict]:
        """Why she was paid: the note typed with it, or the code and values of the words
        the page chooses (``shop.messages.in_words``: "Lost at stock count 3")."""
        if self.count_number is None:
            return self.note
        if self.kind == DecisionKind.QUANTITY:
            return ("count.pieces_missing", {"pieces": self.pieces, "number": self.count_number})
        return ("count.lost", {"number": self.count_number})


def compensations(
    session: Session, first_day: date, last_day: date, *, member_ids: Iterable[int] | None = None
) -> list[Compensation]:
    """The compensations paid from ``first_day`` to ``last_day`` (local days; to the
    members ``member_ids``, or to all), removed expenses aside, oldest first: exactly the
    expenses the month's figures add up as her ``compensation_dong``
    (:func:`shop.services.month.month_figures`), one query."""
    query = (
        select(Expense, CountDecision, StockCount.number, Item.description, Category.name)
        .outerjoin(CountDecision, CountDecision.expense_id == Expense.id)
        .outerjoin(StockCount, StockCount.id == CountDecision.count_id)
        .outerjoin(Item, Item.id == CountDecision.item_id)
        .outerjoin(Category, Category.id == Item.category_id)
        .where(
            Expense.category == ExpenseCategory.COMPENSATION,
            Expense.removed_at.is_(None),
            Expense.spent_on >= first_day,
            Expense.spent_on <= last_day,
        )
        .order_by(Expense.spent_on, Expense.id)
    )
    if member_ids is not None:
        query = query.where(Expense.member_id.in_(list(member_ids)))
    found = []
    for expense, decision, number, description, category in session.execute(query):
        pieces = 1
        if decision is not None and decision.kind == DecisionKind.QUANTITY:
            pieces = max(0, (decision.expected_pieces or 0) - (decision.counted_pieces or 0))
        found.append(
            Compensation(
                expense_id=expense.id,
                member_id=expense.member_id,
                paid_on=expense.spent_on,
                amount_dong=expense.amount_dong,
                count_number=number,
                kind=decision.kind if decision is not None else None,
                code=decision.code if decision is not None else "",
                description=" · ".join(filter(None, [category or "", description or ""])),
                pieces=pieces,
                note=decision.note if decision is not None else expense.note,
            )
        )
    return found
