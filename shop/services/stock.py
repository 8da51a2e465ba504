"""Intake and stock: drop-offs, items and lots, prices, disposals, search and counts."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from shop.database import begin_writing, insert_if_absent, insert_in_order
from shop.domain.calendar import local_date, local_moment
from shop.domain.codes import item_code
from shop.domain.money import MAX_DONG
from shop.domain.numbering import donor_ref, intake_ref
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pricing import (
    Policy,
    days_in_stock,
    effective_price,
    is_clearance,
    markdown_step,
    month_key,
)
from shop.domain.text import SHORT_REASON_LENGTH, clean, fold, search_text, search_words, tidy
from shop.models import (
    Category,
    Condition,
    Disposal,
    DisposalKind,
    Donor,
    Expense,
    ExpenseCategory,
    Intake,
    IntakeKind,
    Item,
    ItemStatus,
    Member,
    PriceChange,
    PriceSuggestion,
    Role,
    next_in_sequence,
)
from shop.models.rail import reserve_rail_versions
from shop.services import audit, visibility
from shop.services.errors import Forbidden, InvalidInput, NotFound, ShopError
from shop.services.month import ensure_month_open
from shop.services.policy import policy_in_force

CODE_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,32}$")

#: Categories a new shop starts with (its own words; a coordinator can add more).
DEFAULT_CATEGORIES = [
    "Áo",
    "Quần",
    "Váy, đầm",
    "Áo khoác",
    "Đồ trẻ em",
    "Giày dép",
    "Túi",
    "Phụ kiện",
]


@dataclass(frozen=True)
class DonorDetails:
    name: str
    phone: str | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class IntakeDetails:
    """A drop-off as recorded. ``received_at`` is an aware moment."""

    kind: IntakeKind
    received_at: datetime
    donor_id: int | None = None
    new_donor: DonorDetails | None = None
    owner_number: int | None = None
    supplier: str | None = None
    cost_dong: int | None = None
    note: str = ""
    ref: str | None = None  # given by a journal; made up otherwise
    #: A journal books a bale's cost as an expense of its own (stock_purchase, naming the
    #: intake): then none is asked for here. A bale recorded otherwise needs its cost.
    cost_as_expense: bool = False


@dataclass(frozen=True)
class DropOff:
    """A drop-off as a member enters it (page or API), for :func:`receive_drop_off`: the day
    it came in (today when left out), and who it came from as she typed it. Only what its
    kind asks for counts (the donor of a donation, the owner of a consignment, the supplier
    and cost of a bale)."""

    kind: IntakeKind
    received_on: date | None = None
    donor_name: str = ""
    donor_phone: str | None = None
    donor_organisation: str | None = None
    owner_number: int | None = None
    supplier: str | None = None
    cost_dong: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ItemDetails:
    category: str
    price_dong: int
    description: str = ""
    size: str | None = None
    condition: Condition = Condition.GOOD
    code: str | None = None  # given by a journal; a new code with a check digit otherwise
    consignor_bp: int | None = None  # given by a journal; the policy's otherwise


@dataclass(frozen=True)
class LotDetails:
    category: str
    price_dong: int
    quantity: int
    description: str = ""
    code: str | None = None
    consignor_bp: int | None = None


@dataclass(frozen=True)
class StockQuery:
    """What the stock pages search for; every part is optional."""

    text: str = ""
    category_id: int | None = None
    size: str | None = None
    status: ItemStatus | None = ItemStatus.IN_STOCK
    owner_id: int | None = None
    clearance_before: date | None = None  # received on or before this day


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Pricing:
    """An item's price today: its price, days in stock, the markdown and what is charged."""

    price_dong: int
    days: int
    percent_off: int
    charged_dong: int
    clearance: bool


# ---------------------------------------------------------------- categories and prices


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


def ensure_category(session: Session, name: str) -> Category:
    """The category called ``name`` (spaces tidied), created if the shop has none yet."""
    clean = _category_name(name)
    # Compared in Python: SQLite's lower() leaves letters like "Á" as they are.
    wanted = clean.casefold()
    found = next((c for c in categories(session) if c.name.casefold() == wanted), None)
    if found is not None:
        return found
    position = (session.scalar(select(func.max(Category.position))) or 0) + 1
    insert_if_absent(session, Category, name=clean, position=position)
    return session.scalar(select(Category).where(Category.name == clean))


def _category_name(name: str) -> str:
    """``name`` with its spaces tidied, refused when empty or too long."""
    clean = tidy(name)
    if not clean:
        raise InvalidInput("item.category_missing", "category")
    if len(clean) > 60:
        raise InvalidInput("text.too_long_60", "category")
    return clean


def seed_categories(session: Session) -> None:
    """Give a new shop its starting categories (does nothing if it has any)."""
    if session.scalar(select(func.count(Category.id))):
        return
    for name in DEFAULT_CATEGORIES:
        ensure_category(session, name)


def price_suggestions(session: Session) -> dict[tuple[int, str], int]:
    """``{(category id, condition): price}`` for the intake form."""
    rows = session.scalars(select(PriceSuggestion))
    return {(row.category_id, row.condition.value): row.price_dong for row in rows}


def set_price_suggestion(
    session: Session, category_id: int, condition: Condition, price_dong: int | None
) -> None:
    """Set (or with ``None`` remove) the suggested price for a category in a condition."""
    if session.get(Category, category_id) is None:
        raise NotFound("item.category_not_found", "category")
    row = session.get(PriceSuggestion, (category_id, condition))
    if price_dong is None:
        if row is not None:
            session.delete(row)  # a suggestion is a setting, not part of the books
        return
    _check_price(price_dong, "price_dong")
    if row is None:
        session.add(
            PriceSuggestion(category_id=category_id, condition=condition, price_dong=price_dong)
        )
    else:
        row.price_dong = price_dong
    session.flush()


# ---------------------------------------------------------------- donors


def find_donors(
    session: Session, text: str = "", limit: int = 50, *, by_phone: bool = False
) -> list[Donor]:
    """Donors whose name or organisation holds ``text`` (and phone, with ``by_phone``: only
    for someone who may see donors' contacts, or a search would give them away)."""
    text = search_text(text)
    query = select(Donor).order_by(Donor.name).limit(limit)
    if text.strip():
        pattern = f"%{text.strip()}%"
        columns = [Donor.name, Donor.organisation, *([Donor.phone] if by_phone else [])]
        query = query.where(or_(*(column.ilike(pattern) for column in columns)))
    return list(session.scalars(query))


def create_donor(
    session: Session,
    details: DonorDetails,
    *,
    country_code: str | None,
    ref: str | None = None,
    fields: str = "donor_",
) -> Donor:
    """Add a donor. Her phone, if given, must be a phone number (stored in national form,
    refused at ``donor_phone`` otherwise); ``country_code`` is the shop's calling code, or
    ``None`` for a donor of a journal, whose phone is kept as it was written. Refusals name
    ``fields`` + ``name`` / ``phone`` (the intake form's names; ``""`` for the donor's own)."""
    name = tidy(details.name)
    if not name:
        raise InvalidInput("donor.name_missing", f"{fields}name")
    phone = (details.phone or "").strip() or None
    if phone is not None and country_code is not None:
        try:
            phone = normalize_phone(phone, country_code=country_code)
        except PhoneError as error:
            raise InvalidInput(f"phone.{error.code}", f"{fields}phone") from None
    donor = Donor(
        ref=ref or _new_ref(session, Donor, "donor", donor_ref),
        name=name[:120],
        phone=phone,
        organisation=(details.organisation or "").strip() or None,
    )
    session.add(donor)
    session.flush()
    return donor


# ---------------------------------------------------------------- intake


@dataclass(frozen=True)
class _Lookups:
    """What the rules of a drop-off (:func:`_intake_parties`) ask the shop: one row at a
    time for :func:`receive_intake`, read ahead for many by :func:`receive_intakes`."""

    donor_exists: Callable[[int], bool]
    owner: Callable[[int], Member | None]  # by number
    may_spend: Callable[[], bool]  # whoever records it may spend the group's money
    ref_taken: Callable[[str], bool]


def _intake_parties(details: IntakeDetails, received_on: date, found: _Lookups) -> dict:
    """Who a drop-off comes from, as its columns (``donor_id``, ``owner_id``, ``supplier``;
    a new donor is the caller's to make), or its refusal: every rule of it in one place."""
    columns: dict = {"donor_id": None, "owner_id": None, "supplier": None}
    if details.kind == IntakeKind.DONATION:
        if details.new_donor is None and details.donor_id is not None:
            if not found.donor_exists(details.donor_id):
                raise InvalidInput("donor.not_found", "donor_id")
            columns["donor_id"] = details.donor_id
    elif details.kind == IntakeKind.CONSIGNMENT:
        if details.owner_number is None:
            raise InvalidInput("intake.owner_missing", "owner")
        owner = found.owner(details.owner_number)
        if owner is None:
            raise InvalidInput("member.no_such_number", "owner", number=details.owner_number)
        if owner.has_left_by(received_on):
            raise InvalidInput("intake.owner_left", "owner")
        columns["owner_id"] = owner.id
    else:
        if not details.cost_as_expense and not found.may_spend():
            raise Forbidden("intake.bale_coordinators_only", "kind")
        supplier = (details.supplier or "").strip()
        if not supplier:
            raise InvalidInput("intake.supplier_missing", "supplier")
        columns["supplier"] = supplier[:120]
        if not details.cost_dong and not details.cost_as_expense:
            raise InvalidInput("intake.cost_missing", "cost")
        if details.cost_dong is not None:
            _check_price(details.cost_dong, "cost")
    if details.ref is not None and found.ref_taken(details.ref):
        raise InvalidInput("intake.exists", "ref", ref=details.ref)
    return columns


def receive_intake(
    session: Session,
    details: IntakeDetails,
    *,
    by: Member,
    tz: ZoneInfo,
    country_code: str | None = None,
    role: Role | None = None,
) -> Intake:
    """Record a drop-off. A purchase's cost (> 0, asked for unless
    ``details.cost_as_expense``) becomes a stock-purchase expense that names it: spending
    the group's money, so refused (403) to someone who may not record expenses, acting
    with ``role`` (her own when ``None``). A new donor's phone is checked with
    ``country_code`` (see :func:`create_donor`).

    Not dated in a closed month.
    """
    if details.received_at.tzinfo is None:
        raise ValueError("received_at must be aware")
    received_on = local_date(details.received_at, tz)
    ensure_month_open(session, received_on, field="received_on")
    intake = Intake(
        kind=details.kind,
        received_at=details.received_at,
        received_on=received_on,
        by=by,
        note=(details.note or "").strip(),
    )
    if details.kind == IntakeKind.DONATION and details.new_donor is not None:
        intake.donor = create_donor(session, details.new_donor, country_code=country_code)
    found = _Lookups(
        donor_exists=lambda donor_id: session.get(Donor, donor_id) is not None,
        owner=lambda number: session.scalar(select(Member).where(Member.number == number)),
        may_spend=lambda: visibility.may_record_expenses(session, by, role),
        ref_taken=lambda ref: (
            session.scalar(select(Intake.id).where(Intake.ref == ref)) is not None
        ),
    )
    for column, value in _intake_parties(details, received_on, found).items():
        if value is not None:
            setattr(intake, column, value)
    intake.ref = (
        details.ref if details.ref is not None else _new_ref(session, Intake, "intake", intake_ref)
    )
    session.add(intake)
    session.flush()
    if details.kind == IntakeKind.PURCHASE and details.cost_dong:
        from shop.services.expenses import ExpenseDetails, add_expense

        add_expense(
            session,
            ExpenseDetails(
                spent_on=received_on,
                category=ExpenseCategory.STOCK_PURCHASE,
                amount_dong=details.cost_dong,
                note=intake.supplier or "",
            ),
            by=by,
            intake=intake,
        )
    return intake


def receive_drop_off(
    session: Session,
    drop_off: DropOff,
    *,
    by: Member,
    role: Role | None,
    now: datetime,
    tz: ZoneInfo,
    country_code: str | None,
) -> Intake:
    """Record a drop-off as ``by`` enters it, acting with ``role`` (see
    :func:`receive_intake`). Not on a day after today; it came in at ``now`` when that is
    today, at noon of its day otherwise (entered afterwards from a paper notebook). A donor
    whose name is the one typed (letter case aside) is that donor; another name is a new
    donor, with the phone and organisation typed."""
    today = local_date(now, tz)
    day = drop_off.received_on
    if day is not None and day > today:
        raise InvalidInput("day.in_future", "received_on")
    kind = drop_off.kind
    new_donor = donor_id = None
    name = (drop_off.donor_name or "").strip()
    if kind == IntakeKind.DONATION and name:
        known = (d for d in find_donors(session, name) if d.name.lower() == name.lower())
        match = next(known, None)
        if match is not None:
            donor_id = match.id
        else:
            new_donor = DonorDetails(name, drop_off.donor_phone, drop_off.donor_organisation)
    purchase = kind == IntakeKind.PURCHASE
    details = IntakeDetails(
        kind=kind,
        received_at=now if day is None or day == today else local_moment(day, time(12), tz),
        donor_id=donor_id,
        new_donor=new_donor,
        owner_number=drop_off.owner_number if kind == IntakeKind.CONSIGNMENT else None,
        supplier=drop_off.supplier if purchase else None,
        cost_dong=drop_off.cost_dong if purchase else None,
        note=drop_off.note or "",
    )
    return receive_intake(session, details, by=by, tz=tz, country_code=country_code, role=role)


def bale_cost(session: Session, intake: Intake) -> int | None:
    """What a bale cost, in đồng: its stock-purchase expense as corrected (``None`` if it
    has none, or it was removed)."""
    amount = session.scalar(
        select(func.sum(Expense.amount_dong)).where(
            Expense.intake_id == intake.id, Expense.removed_at.is_(None)
        )
    )
    return int(amount) if amount is not None else None


#: Labels on an A4 sheet (shop.printing.tags.TAGS_PER_PAGE), and the most tags one lot
#: may ask for at once.
LABELS_ON_A_SHEET = 24
MOST_COPIES = 500


def tags_to_print(items: list[Item], *, copies: int | None = 1, start: int | None = 1):
    """The items whose tags an A4 sheet prints, in order, and the label it starts at.

    A lot's tag comes ``copies`` times (one for each piece, or as many as wanted, 1 to
    500); a unique item's once. ``start`` (1 to 24) is the first free label of a half-used
    sheet. Refusals name ``copies`` or ``start``. Returns ``(items, start)``.
    """
    copies = 1 if copies is None else copies
    start = 1 if start is None else start
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= 24:
        raise InvalidInput("tags.label_out_of_range", "start", last=LABELS_ON_A_SHEET)
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 500:
        raise InvalidInput("tags.count_out_of_range", "copies", most=MOST_COPIES)
    printed = [item for item in items for _ in range(copies if item.is_lot else 1)]
    return printed, start


def get_intake(session: Session, ref: str) -> Intake:
    if not CODE_PATTERN.match(ref or "") and not re.fullmatch(r"[A-Za-z0-9-]{1,40}", ref or ""):
        raise NotFound("intake.not_found", "ref", ref=clean(ref or ""))
    intake = session.scalar(select(Intake).where(Intake.ref == ref))
    if intake is None:
        raise NotFound("intake.not_found", "ref", ref=ref)
    return intake


def recent_intakes(session: Session, limit: int = 30) -> list[tuple[Intake, int]]:
    """The latest drop-offs with how many items each brought."""
    counts = (
        select(Item.intake_id, func.count(Item.id).label("n")).group_by(Item.intake_id).subquery()
    )
    query = (
        select(Intake, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.intake_id == Intake.id)
        .options(joinedload(Intake.donor), joinedload(Intake.owner))
        .order_by(Intake.received_at.desc(), Intake.id.desc())
        .limit(limit)
    )
    return [(intake, count) for intake, count in session.execute(query)]


def add_item(session: Session, intake: Intake, details: ItemDetails) -> Item:
    """Add one tagged item to a drop-off; its code is new unless the details give one."""
    return session.get(Item, Placing(session, intake).add(details).done()[0])


def add_lot(session: Session, intake: Intake, details: LotDetails) -> Item:
    """Add a lot of alike cheap things (one code, a quantity, a price each)."""
    return session.get(Item, Placing(session, intake).add(details).done()[0])


def add_to_intake(session: Session, intake: Intake, details: ItemDetails | LotDetails) -> Item:
    """Add the item, or the lot, that ``details`` describe to a drop-off (page or API)."""
    return (
        add_lot(session, intake, details)
        if isinstance(details, LotDetails)
        else add_item(session, intake, details)
    )


class Placing:
    """Items and lots added to one drop-off, checked one by one as :func:`add_item` and
    :func:`add_lot` check them, written together by :meth:`done` in one flush.

    ``codes`` are the codes the caller is about to give (a journal's intake): whether any
    is already in use is then asked once, not once an item. A refusal raised by
    :meth:`add` is that entry's; the entries added before it are still pending.
    """

    def __init__(self, session: Session, intake: Intake, codes: Iterable[str] = ()):
        self.session = session
        self.intake = intake
        self.rows: list[dict] = []  # the items' columns, to be written by done()
        self.categories: dict[str, Category] | None = None  # by their names, casefolded
        self.consignor_bp: dict[str, int] = {}  # the policy's share, by month
        wanted = {code.strip() for code in codes}
        self.checked = set(wanted)  # codes whose use in the shop is known
        self.taken: set[str] = set()  # of those, the ones in use, and the ones placed
        wanted_in_order = sorted(wanted)
        for start in range(0, len(wanted_in_order), 500):
            chunk = wanted_in_order[start : start + 500]
            codes_in_use = select(_ITEM.code).where(_ITEM.code.in_(chunk))
            self.taken.update(session.scalars(codes_in_use))

    def add(self, details: ItemDetails | LotDetails) -> Placing:
        _check_price(details.price_dong, "price_dong")
        lot = isinstance(details, LotDetails)
        if lot and (not isinstance(details.quantity, int) or not 1 <= details.quantity <= 100_000):
            raise InvalidInput("lot.quantity_out_of_range", "quantity")
        # The shop's categories read once: asking again would flush each item on its own.
        if self.categories is None:
            self.categories = {}
            for known in categories(self.session):  # the first of a name, as ensure_category
                self.categories.setdefault(known.name.casefold(), known)
        wanted = _category_name(details.category).casefold()
        category = self.categories.get(wanted)
        if category is None:
            category = self.categories[wanted] = ensure_category(self.session, details.category)
        intake = self.intake
        row = {
            "intake_id": intake.id,
            "is_lot": lot,
            "category_id": category.id,
            "condition": None if lot else details.condition,
            "description": tidy(details.description, 200),
            "size": None if lot else tidy(details.size, 20) or None,
            "price_dong": details.price_dong,
            "received_on": intake.received_on,
            "quantity_received": details.quantity if lot else 1,
            "quantity_on_hand": details.quantity if lot else None,
            "owner_id": None,
            "consignor_bp": None,
        }
        consignor_bp = details.consignor_bp
        if intake.kind == IntakeKind.CONSIGNMENT:
            row["owner_id"] = intake.owner_id
            if consignor_bp is None:
                consignor_bp = self._policy_consignor_bp()
            if not 0 <= consignor_bp <= 10_000:
                raise InvalidInput("item.share_out_of_range", "consignor_bp")
            row["consignor_bp"] = consignor_bp
        elif consignor_bp is not None:
            raise InvalidInput("item.share_not_consigned", "consignor_bp")
        code = details.code
        if code is None:
            code = _new_code(self.session, self.taken)
        else:
            code = code.strip()
            if not CODE_PATTERN.match(code):
                raise InvalidInput("item.code_invalid", "code")
            if self._in_use(code):
                raise InvalidInput("item.code_taken", "code", code=code)
        self.taken.add(code)
        row["code"] = code
        row["search_text"] = fold(
            " ".join(filter(None, [code, category.name, row["description"], row["size"]]))
        )[:400]
        self.rows.append(row)
        return self

    def done(self) -> list[int]:
        """Write the items added, in one INSERT, each stamped with its rail number (see
        :mod:`shop.models.rail`), and return their ids in order."""
        if not self.rows:
            return []
        numbers = reserve_rail_versions(self.session, len(self.rows))
        for row, number in zip(self.rows, numbers, strict=True):
            row["rail_version"] = number
        numbers[:] = []
        items = insert_in_order(self.session, Item.code, self.rows, Item.id)
        self.rows = []
        return items

    def _in_use(self, code: str) -> bool:
        if code in self.taken:
            return True
        if code in self.checked:
            return False
        return bool(self.session.scalar(select(Item.id).where(Item.code == code)))

    def _policy_consignor_bp(self) -> int:
        month = month_key(self.intake.received_on)
        if month not in self.consignor_bp:
            self.consignor_bp[month] = policy_in_force(self.session, month).consignor_bp
        return self.consignor_bp[month]

    def take_back(self, count: int) -> None:
        """Forget the rows added after the first ``count`` (their codes free again)."""
        for row in self.rows[count:]:
            self.taken.discard(row["code"])
        del self.rows[count:]


_ITEM = Item.__table__.c


@dataclass(frozen=True)
class PastIntake:
    """One drop-off of :func:`receive_intakes`: as :func:`receive_intake` takes it, who
    received it, and its items and lots as :class:`Placing` adds them."""

    details: IntakeDetails
    by: Member
    stocked: tuple[ItemDetails | LotDetails, ...]


def receive_intakes(
    session: Session, intakes: list[PastIntake], *, tz: ZoneInfo
) -> list[tuple[int, list[int]]]:
    """Drop-offs recorded after the fact, one after another (a journal's), each as
    :func:`receive_intake` and :class:`Placing` would record it in turn (the same checks,
    categories, shares and rail numbers), in a handful of statements for them all.

    It takes them from the first on, as long as each gives its ref and its items' codes,
    names a donor already recorded (or none), and passes every check, and returns each
    one's id and its items' ids: maybe fewer than given, maybe none. The caller records the next
    one by itself (which refuses it, at its item if that is where it fails) and gives the
    rest again.
    """
    if not intakes or any(i.details.received_at.tzinfo is None for i in intakes):
        return []
    days = [local_date(i.details.received_at, tz) for i in intakes]
    try:
        ensure_month_open(session, min(days), field="received_on")
    except InvalidInput:
        return []
    known = _known_for_intakes(session, intakes)
    placing = Placing(
        session, Intake(), codes=[d.code for i in intakes for d in i.stocked if d.code]
    )
    rows, counts = [], []
    for intake, day in zip(intakes, days, strict=True):
        row = _intake_row(intake, day, known)
        if row is None or any(stocked.code is None for stocked in intake.stocked):
            break
        placed = len(placing.rows)
        placing.intake = Intake(kind=row["kind"], received_on=day, owner_id=row["owner_id"])
        try:
            for stocked in intake.stocked:
                placing.add(stocked)
        except InvalidInput:
            placing.take_back(placed)
            break
        known.refs.add(row["ref"])
        rows.append(row)
        counts.append(len(placing.rows) - placed)
    if not rows:
        return []
    ids = insert_in_order(session, Intake.ref, rows, Intake.id)
    owners = [intake_id for intake_id, count in zip(ids, counts, strict=True) for _ in range(count)]
    for row, intake_id in zip(placing.rows, owners, strict=True):
        row["intake_id"] = intake_id
    items = placing.done()
    out, start = [], 0
    for intake_id, count in zip(ids, counts, strict=True):
        out.append((intake_id, items[start : start + count]))
        start += count
    return out


@dataclass
class _Known:
    """What the drop-offs of :func:`receive_intakes` name, read at once."""

    refs: set[str]  # taken
    donors: set[int]
    owners: dict[int, Member]  # by number


def _known_for_intakes(session: Session, intakes: list[PastIntake]) -> _Known:
    details = [i.details for i in intakes]
    refs = [d.ref for d in details if d.ref]
    donors = {d.donor_id for d in details if d.donor_id is not None}
    numbers = {d.owner_number for d in details if d.owner_number is not None}
    return _Known(
        set(session.scalars(select(Intake.ref).where(Intake.ref.in_(refs)))),
        set(session.scalars(select(Donor.id).where(Donor.id.in_(donors)))),
        {m.number: m for m in session.scalars(select(Member).where(Member.number.in_(numbers)))},
    )


def _intake_row(intake: PastIntake, day: date, known: _Known) -> dict | None:
    """The drop-off's columns, if :func:`receive_intake` would take it as it is and it is
    for :func:`receive_intakes` (its ref given, no new donor, no cost to book); else
    ``None``."""
    d = intake.details
    if not d.ref or d.new_donor is not None or d.cost_dong is not None:
        return None
    found = _Lookups(
        donor_exists=known.donors.__contains__,
        owner=known.owners.get,
        may_spend=lambda: False,  # a bale's cost booked by the caller, or not for this path
        ref_taken=known.refs.__contains__,
    )
    try:
        parties = _intake_parties(d, day, found)
    except ShopError:
        return None
    return {
        "ref": d.ref, "kind": d.kind, "received_at": d.received_at, "received_on": day,
        "by_id": intake.by.id, "note": (d.note or "").strip(), **parties,
    }  # fmt: skip


def _new_ref(session: Session, model, sequence: str, make) -> str:
    """The next ref of ``sequence`` that no ``model`` row has (as :func:`_new_code`)."""
    while True:
        ref = make(next_in_sequence(session, sequence))
        if not session.scalar(select(model.id).where(model.ref == ref)):
            return ref


def _new_code(session: Session, placed: Collection[str] = ()) -> str:
    """The next item code that no item has, nor any of ``placed`` (not yet flushed)."""
    while True:  # skips numbers that an imported history already used as codes
        code = item_code(next_in_sequence(session, "item_code"))
        if code not in placed and not session.scalar(select(Item.id).where(Item.code == code)):
            return code


# ---------------------------------------------------------------- one item


def get_item(session: Session, code: str) -> Item:
    if not CODE_PATTERN.match((code or "").strip()):
        raise NotFound("item.not_found", "code", code=clean(code or ""))
    item = session.scalar(_ITEM_BY_CODE, {"code": (code or "").strip()})
    if item is None:
        raise NotFound("item.not_found", "code", code=code)
    return item


#: An item by its code with its category, owner and intake, in one query (every scan and
#: lookup comes here), made once.
_ITEM_BY_CODE = (
    select(Item)
    .where(Item.code == bindparam("code"))
    .options(joinedload(Item.category), joinedload(Item.owner), joinedload(Item.intake))
)


def find_code(session: Session, text: str) -> str | None:
    """``text`` if it is exactly an item's or a lot's code (what a scanner types)."""
    code = (text or "").strip()
    if not CODE_PATTERN.match(code):
        return None
    return session.scalar(select(Item.code).where(Item.code == code))


def consigned_by(session: Session, member: Member, limit: int = 500) -> list[Item]:
    """A member's consigned items, wherever they are now, newest first."""
    return list(
        session.scalars(
            select(Item)
            .join(Intake, Item.intake_id == Intake.id)
            .where(Intake.owner_id == member.id)
            .options(joinedload(Item.category))
            .order_by(Item.received_on.desc(), Item.id.desc())
            .limit(limit)
        )
    )


def pricing(item: Item, today: date, policy: Policy) -> Pricing:
    """What the item costs today under ``policy`` (the markdown by days in stock)."""
    days = days_in_stock(item.received_on, today)
    step = markdown_step(days, policy.markdown)
    return Pricing(
        price_dong=item.price_dong,
        days=days,
        percent_off=step.percent_off if step else 0,
        charged_dong=effective_price(item.price_dong, days, policy.markdown),
        clearance=is_clearance(days, policy),
    )


def change_price(
    session: Session,
    item: Item,
    price_dong: int,
    *,
    by: Member,
    at: datetime,
    reason: str,
    reason_required: bool = True,
    tz: ZoneInfo,
) -> PriceChange:
    """Give an item a new price; the change is kept with who, when and why.

    Changes are kept in time order: one dated before the item came in, or before its last
    change, or in a closed month (``tz``: the shop's time zone, the app's when left out),
    is refused. A history brought from elsewhere may lack reasons
    (``reason_required=False``); the pages and the API always ask for one.
    """
    reason = price_reason(price_dong, reason, required=reason_required)
    ensure_month_open(session, at, tz, "at")
    last = last_price_changes(session, [item.id]).get(item.id)
    received_at = session.scalar(select(Intake.received_at).where(Intake.id == item.intake_id))
    check_price_change(
        price_dong, at, received_at=received_at, last=last, in_stock=item.in_stock,
        price_now=item.price_dong,
    )  # fmt: skip
    change = PriceChange(
        item=item,
        at=at,
        old_price_dong=item.price_dong,
        price_dong=price_dong,
        by=by,
        reason=reason[:SHORT_REASON_LENGTH],
    )
    item.price_dong = price_dong
    session.add(change)
    audit.record_rows(
        session,
        [price_change_audit(item.code, change.old_price_dong, price_dong, by=by, at=at,
                            reason=change.reason)],
    )  # fmt: skip
    session.flush()
    return change


def price_reason(price_dong: int, reason: str, *, required: bool) -> str:
    """A price change's new price checked and its reason tidied (one it must give)."""
    _check_price(price_dong, "price_dong")
    reason = tidy(reason)
    if not reason and required:
        raise InvalidInput("price.reason_missing", "reason")
    return reason


def check_price_change(
    price_dong: int,
    at: datetime,
    *,
    received_at: datetime,
    last: datetime | None,
    in_stock: bool,
    price_now: int,
) -> None:
    """Refuse a price change at ``at`` of an item that came in at ``received_at`` and was
    last changed at ``last``: changes are kept in time order, of an item in stock, to
    another price than ``price_now``. (Also :func:`shop.services.counter.enter_past_run`'s
    check of a journal's price change.)"""
    if at < received_at or (last is not None and at < last):
        raise InvalidInput("price.too_early", "at")
    if not in_stock:
        raise InvalidInput("item.not_in_stock", "code")
    if price_dong == price_now:
        raise InvalidInput("price.unchanged", "price_dong")


def last_price_changes(session: Session, item_ids) -> dict[int, datetime]:
    """The moment of each item's latest price change, by id (those never changed left out)."""
    return dict(
        session.execute(
            select(PriceChange.item_id, func.max(PriceChange.at))
            .where(PriceChange.item_id.in_(list(item_ids)))
            .group_by(PriceChange.item_id)
        ).all()
    )


def price_change_audit(
    code: str, old_price_dong: int, price_dong: int, *, by: Member, at: datetime, reason: str
) -> dict:
    """The log line of a price change of item ``code``."""
    return audit.row(
        "price_change", by=by, at=at, subject=f"item {code}",
        old_price_dong=old_price_dong, price_dong=price_dong, reason=reason,
    )  # fmt: skip


def price_history(session: Session, item: Item) -> list[PriceChange]:
    return list(
        session.scalars(
            select(PriceChange)
            .where(PriceChange.item_id == item.id)
            .options(joinedload(PriceChange.by))
            .order_by(PriceChange.at, PriceChange.id)
        )
    )


def disposals_of(session: Session, item: Item) -> list[Disposal]:
    return list(
        session.scalars(
            select(Disposal)
            .where(Disposal.item_id == item.id)
            .options(joinedload(Disposal.by))
            .order_by(Disposal.at, Disposal.id)
        )
    )


_LEAVES_STOCK = {
    DisposalKind.RETURNED_TO_OWNER: ItemStatus.RETURNED_TO_OWNER,
    DisposalKind.DONATED_ONWARD: ItemStatus.DONATED_ONWARD,
    DisposalKind.WRITTEN_OFF: ItemStatus.WRITTEN_OFF,
}


def dispose(
    session: Session,
    item: Item,
    kind: DisposalKind,
    *,
    by: Member,
    at: datetime,
    note: str = "",
    owner_consents: bool = False,
    tz: ZoneInfo,
) -> Disposal:
    """Take an item out of stock without a sale, or pass a consigned item to the group.

    Not dated in a closed month (``tz``: the shop's time zone, the app's when left out).

    A consigned item can only go back to its owner or, with her consent, to the group; a
    group item can be donated onward or written off. The status changes with one
    conditional UPDATE, so two people doing it at once cannot both succeed.
    """
    if kind == DisposalKind.LOST:  # only a stock count's close (shop.services.counts)
        raise InvalidInput("choice.invalid", "kind")
    ensure_month_open(session, at, tz, "at")
    refusal = _disposal_refusal(kind, item.owner_id is not None, owner_consents)
    if refusal is not None:
        raise refusal
    if kind == DisposalKind.GIVEN_TO_GROUP:
        changed = session.execute(
            update(Item)
            .where(
                Item.id == item.id, Item.status == ItemStatus.IN_STOCK, Item.owner_id.is_not(None)
            )
            .values(owner_id=None)  # her rate stays on record; the owner is what counts
            .execution_options(synchronize_session=False)  # item is refreshed below
        ).rowcount
    else:
        changed = session.execute(
            update(Item)
            .where(Item.id == item.id, Item.status == ItemStatus.IN_STOCK)
            .values(status=_LEAVES_STOCK[kind])
            .execution_options(synchronize_session=False)  # item is refreshed below
        ).rowcount
    if changed != 1:
        raise InvalidInput("item.not_in_stock", "code")
    disposal = Disposal(item_id=item.id, kind=kind, at=at, by=by, note=_disposal_note(note))
    session.add(disposal)
    audit.record_rows(session, [_disposal_audit(item.code, kind, by, at, disposal.note)])
    session.flush()
    session.refresh(item)
    return disposal


def _disposal_refusal(
    kind: DisposalKind, consigned: bool, owner_consents: bool
) -> InvalidInput | None:
    """Why ``kind`` may not be done with an item (``consigned``: a member's), if so."""
    if kind in (DisposalKind.RETURNED_TO_OWNER, DisposalKind.GIVEN_TO_GROUP) and not consigned:
        return InvalidInput("disposal.not_consigned", "kind")
    if kind in (DisposalKind.DONATED_ONWARD, DisposalKind.WRITTEN_OFF) and consigned:
        return InvalidInput("disposal.members_item", "kind")
    if kind == DisposalKind.GIVEN_TO_GROUP and not owner_consents:
        return InvalidInput("disposal.consent_missing", "owner_consents")
    return None


def _disposal_note(note: str) -> str:
    return tidy(note, 300)


def _disposal_audit(code: str, kind: DisposalKind, by: Member, at: datetime, note: str) -> dict:
    return audit.row("disposal", by=by, at=at, subject=f"item {code}", kind=kind, note=note)


@dataclass(frozen=True)
class PastDisposal:
    """One disposal of :func:`dispose_all`: what :func:`dispose` takes, the item by its id."""

    item_id: int
    kind: DisposalKind
    by: Member
    at: datetime
    note: str = ""
    owner_consents: bool = False


def dispose_all(session: Session, disposals: list[PastDisposal], *, tz: ZoneInfo) -> list[int]:
    """Disposals one after another with nothing else between them (a journal's clearance
    day), each as :func:`dispose` would have made it in turn (the same checks, rail numbers
    and log lines), in a handful of statements for them all.

    It takes them from the first on as long as each passes, and returns the ids of the
    items it disposed of: maybe fewer than given, maybe none. The caller makes the next one
    by itself with :func:`dispose` (which refuses it at fault) and gives the rest again.
    """
    if not disposals:
        return []
    try:  # months close in order, and never between two disposals given together
        ensure_month_open(session, min(d.at for d in disposals), tz, "at")
    except InvalidInput:
        return []
    ids = {d.item_id for d in disposals}
    now = {i: (code, status, owner) for i, code, status, owner in session.execute(
        select(_ITEM.id, _ITEM.code, _ITEM.status, _ITEM.owner_id).where(_ITEM.id.in_(ids))
    )}  # fmt: skip
    taken: list[PastDisposal] = []
    for d in disposals:
        code, status, owner = now.get(d.item_id, (None, None, None))
        if status != ItemStatus.IN_STOCK or d.kind == DisposalKind.LOST:
            break
        if _disposal_refusal(d.kind, owner is not None, d.owner_consents) is not None:
            break
        given = d.kind == DisposalKind.GIVEN_TO_GROUP
        now[d.item_id] = (code, status, None) if given else (code, _LEAVES_STOCK[d.kind], owner)
        taken.append(d)
    if not taken:
        return []
    _write_disposals(session, taken, {i: code for i, (code, _s, _o) in now.items()})
    return [d.item_id for d in taken]


def _write_disposals(session: Session, taken: list[PastDisposal], codes: dict[int, str]) -> None:
    """Each item's change in one conditional UPDATE a kind (stamped with its rail number, in
    order), the disposals and their log lines in one INSERT each."""
    numbers = reserve_rail_versions(session, len(taken))
    given, leaving = [], []
    for d, number in zip(taken, list(numbers), strict=True):
        if d.kind == DisposalKind.GIVEN_TO_GROUP:
            given.append({"item_id": d.item_id, "version": number})
        else:
            leaving.append(
                {"item_id": d.item_id, "version": number, "leaves": _LEAVES_STOCK[d.kind]}
            )
    numbers[:] = []  # stamped here
    changed = session.execute(_GIVE_TO_GROUP, given).rowcount if given else 0
    changed += session.execute(_LEAVE_STOCK, leaving).rowcount if leaving else 0
    if changed != len(taken):  # another counter took one meanwhile
        raise InvalidInput("item.not_in_stock", "code")
    for d in taken:  # rows read before are stale now
        loaded = session.identity_map.get(identity_key(Item, d.item_id))
        if loaded is not None:
            session.expire(loaded)
    rows = [
        {"item_id": d.item_id, "kind": d.kind, "at": d.at, "by_id": d.by.id,
         "note": _disposal_note(d.note)}
        for d in taken
    ]  # fmt: skip
    session.execute(insert(Disposal.__table__), rows)
    audit.record_rows(
        session,
        [_disposal_audit(codes[r["item_id"]], r["kind"], d.by, r["at"], r["note"])
         for r, d in zip(rows, taken, strict=True)],
    )  # fmt: skip


# As dispose() changes one item: in stock still, its owner gone; or out of stock.
_GIVE_TO_GROUP = (
    update(Item.__table__)
    .where(
        _ITEM.id == bindparam("item_id"),
        _ITEM.status == ItemStatus.IN_STOCK,
        _ITEM.owner_id.is_not(None),
    )
    .values(owner_id=None, rail_version=bindparam("version"))
)
_LEAVE_STOCK = (
    update(Item.__table__)
    .where(_ITEM.id == bindparam("item_id"), _ITEM.status == ItemStatus.IN_STOCK)
    .values(status=bindparam("leaves"), rail_version=bindparam("version"))
)


#: What only a coordinator does with an item: a group item given onward or written off.
_COORDINATORS_ONLY = (DisposalKind.DONATED_ONWARD, DisposalKind.WRITTEN_OFF)


def disposal_kinds(item: Item, *, by: Member, role: Role | None) -> list[DisposalKind]:
    """What ``by``, acting with ``role`` (her own when ``None``), may do with ``item`` (see
    :func:`take_out_of_stock`): a member's consigned item goes back to her or to the group;
    a group item is given onward or written off, by a coordinator; nothing once it left."""
    if not item.in_stock:
        return []
    if item.owner_id is not None:
        return [DisposalKind.RETURNED_TO_OWNER, DisposalKind.GIVEN_TO_GROUP]
    if visibility.viewer(by, role).is_coordinator:
        return list(_COORDINATORS_ONLY)
    return []


def take_out_of_stock(
    session: Session,
    item: Item,
    kind: DisposalKind,
    *,
    by: Member,
    role: Role | None,
    at: datetime,
    tz: ZoneInfo,
    note: str = "",
    owner_consents: bool = False,
) -> Disposal:
    """Take ``item`` out of stock as ``by`` asks, acting with ``role`` (her own when
    ``None``), page or API alike (see :func:`dispose`): giving a group item onward or
    writing it off is for coordinators (403 to anyone else)."""
    if kind in _COORDINATORS_ONLY and not visibility.viewer(by, role).is_coordinator:
        raise Forbidden("shop.no_permission", "kind")
    return dispose(
        session, item, kind, by=by, at=at, note=note, owner_consents=owner_consents, tz=tz
    )


# ---------------------------------------------------------------- many items


def search_items(session: Session, query: StockQuery, *, page: int = 1, per_page: int = 30) -> Page:
    """Items matching ``query``, newest intake first, one page at a time."""
    page = min(max(1, page), 1_000_000)  # a typed-in page number can be anything
    statement = _filtered(select(Item), query)
    total = session.scalar(_filtered(select(func.count(Item.id)), query))
    rows = session.scalars(
        statement.options(
            joinedload(Item.category), joinedload(Item.owner), joinedload(Item.intake)
        )
        .order_by(Item.received_on.desc(), Item.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(rows), total or 0, page, per_page)


def _filtered(statement: Select, query: StockQuery) -> Select:
    conditions = []
    for word in search_words(query.text):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Item.search_text.like(f"%{escaped}%", escape="\\"))
    if query.category_id is not None:
        conditions.append(Item.category_id == query.category_id)
    if query.size:
        conditions.append(func.lower(Item.size) == query.size.strip().lower())
    if query.status is not None:
        conditions.append(Item.status == query.status)
        if query.status == ItemStatus.IN_STOCK:
            conditions.append(or_(Item.quantity_on_hand.is_(None), Item.quantity_on_hand > 0))
    if query.owner_id is not None:
        conditions.append(Item.owner_id == query.owner_id)
    if query.clearance_before is not None:
        conditions.append(Item.received_on <= query.clearance_before)
    return statement.where(and_(*conditions)) if conditions else statement


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int
    value_dong: int


def stock_summary(session: Session) -> list[CategoryCount]:
    """Pieces in stock and their value at current price (before markdown), by category."""
    pieces = func.coalesce(Item.quantity_on_hand, 1)
    rows = session.execute(
        select(Category.name, func.sum(pieces), func.sum(pieces * Item.price_dong))
        .join(Item, Item.category_id == Category.id)
        .where(
            Item.status == ItemStatus.IN_STOCK,
            or_(Item.quantity_on_hand.is_(None), Item.quantity_on_hand > 0),
        )
        .group_by(Category.id, Category.name)
        .order_by(Category.position, Category.name)
    )
    return [CategoryCount(name, int(count or 0), int(value or 0)) for name, count, value in rows]


def clearance_query(today: date, policy: Policy, **kwargs) -> StockQuery:
    """Items in stock for at least the policy's clearance days."""
    return StockQuery(
        clearance_before=today - timedelta(days=policy.clearance_after_days), **kwargs
    )


def _check_price(amount: int, field: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput("price.not_positive", field)
    if amount > MAX_DONG:
        raise InvalidInput("amount.too_large", field)


# ---------------------------------------------------------------- photos

PHOTO_MAX_SIDE = 1600  # pixels: enough to recognise a garment, small on a weak connection
#: The most pixels a picture may have: twice a 12-megapixel phone photo. A small file can
#: say far more (a 155 kB PNG of 40 million pixels takes seconds and 480 MB to decode), so
#: the size is read from its header and refused before anything is decoded.
PHOTO_MAX_PIXELS = 24_000_000
#: One picture decoded at a time in each web process, always by the same thread (memory
#: freed by one thread is not reused by the others: four request threads taking turns kept
#: four decodes' worth), and one more waiting its turn: others are asked to try again, so
#: uploads never hold all of a process's threads and memory while the counter waits.
_IN_LINE = threading.BoundedSemaphore(2)
_DECODER: tuple[int, ThreadPoolExecutor] | None = None
_DECODER_LOCK = threading.Lock()
PHOTO_WAIT_SECONDS = 30


def _decoder() -> ThreadPoolExecutor:
    """This process's photo decoder (made on first use: a web worker is a fork of the
    process that loaded the app, and threads do not cross a fork)."""
    global _DECODER
    with _DECODER_LOCK:
        if _DECODER is None or _DECODER[0] != os.getpid():
            decoder = ThreadPoolExecutor(1, "photo", initializer=_yield_to_the_counter)
            _DECODER = (os.getpid(), decoder)
        return _DECODER[1]


def _yield_to_the_counter() -> None:
    """Run the decoder thread at a lower CPU priority (Linux: per thread), so that a photo
    being decoded slows the counter's sales as little as it can."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def save_photo(session: Session, item: Item, data: bytes, folder) -> str:
    """Keep a photo of ``item`` as a JPEG at most 1600 px a side in ``folder``; return its name.

    The picture is decoded, turned upright by its EXIF orientation and written anew, so
    whatever was uploaded (any format Pillow reads) is never served as it came. Decoding is
    the slow part: it runs before the write transaction (in a request that
    :func:`~shop.database.reads_first`, with none open), one picture at a time.
    """
    from pathlib import Path

    item_id = item.id
    begin_writing(session)
    jpeg = photo_jpeg(data)
    item = session.get(Item, item_id)
    name = f"item-{item.id}.jpg"
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{name}.part"
    temporary.write_bytes(jpeg)
    temporary.replace(target / name)
    item.photo = name
    session.flush()
    return name


def photo_jpeg(data: bytes) -> bytes:
    """``data`` (a picture in any format Pillow reads) as the JPEG the shop keeps, or
    :class:`InvalidInput` saying why not (503 while another picture is being decoded)."""
    with _opened_photo(data):
        pass  # too many pixels, or not a picture: refused at once, without queueing
    busy = "photo.busy"
    if not _IN_LINE.acquire(blocking=False):
        raise InvalidInput(busy, "photo", status=503)
    try:
        job = _decoder().submit(_decode_photo, data)
    except BaseException:
        _IN_LINE.release()
        raise
    job.add_done_callback(lambda _job: _IN_LINE.release())  # its place, once it is done
    try:
        return job.result(timeout=PHOTO_WAIT_SECONDS)
    except FuturesTimeout:
        raise InvalidInput(busy, "photo", status=503) from None


@contextlib.contextmanager
def _opened_photo(data: bytes):
    """The picture in ``data`` opened: its header read, nothing decoded yet. Too many
    pixels, or anything Pillow cannot read (then or while decoding), is an InvalidInput."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    # Pillow's own check when it opens a picture: a warning above this, an error at twice.
    Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS
    too_large = InvalidInput("photo.too_many_pixels", "photo", limit=PHOTO_MAX_PIXELS // 1_000_000)
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise too_large
            yield image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput("photo.unreadable", "photo") from None


def _decode_photo(data: bytes) -> bytes:
    from io import BytesIO

    from PIL import ImageOps

    with _opened_photo(data) as image:
        width, height = image.size
        scale = min(1.0, PHOTO_MAX_SIDE / max(width, height, 1))
        # A JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size when that is still
        # large enough: a fraction of the work and the memory.
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        _load_whole(image)  # a file cut short is refused, not kept half black
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        buffer = BytesIO()
        image.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def _load_whole(image) -> None:
    """Decode all of ``image``, or raise OSError if its file is cut short.

    WeasyPrint switches Pillow's ``LOAD_TRUNCATED_IMAGES`` on for the whole process once a
    PDF has been made, and a cut-off upload would then be kept as a black (or half) picture.
    """
    from PIL import ImageFile

    allowed = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = allowed


@dataclass(frozen=True)
class DonorSummary:
    donor: Donor
    intakes: int
    items: int
    last_on: date | None


def donor_summaries(session: Session, text: str = "", limit: int = 200) -> list[DonorSummary]:
    """Donors with how often they gave and how many pieces, latest giver first (thank-yous)."""
    text = search_text(text)
    pieces = func.coalesce(Item.quantity_received, 1)
    query = (
        select(
            Donor,
            func.count(func.distinct(Intake.id)),
            func.coalesce(func.sum(pieces), 0),
            func.max(Intake.received_on),
        )
        .outerjoin(Intake, Intake.donor_id == Donor.id)
        .outerjoin(Item, Item.intake_id == Intake.id)
        .group_by(Donor.id)
        .order_by(func.max(Intake.received_on).desc().nulls_last(), Donor.name)
        .limit(limit)
    )
    if text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(or_(Donor.name.ilike(pattern), Donor.organisation.ilike(pattern)))
    return [
        DonorSummary(donor, int(n), int(p), last) for donor, n, p, last in session.execute(query)
    ]
