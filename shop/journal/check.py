"""Is a journal sound? The schema first, then every reference and every step of its history.

:func:`check_journal` never touches a database: it reads the file alone and reports every
problem it finds, so one run tells the coordinator everything to fix. The checks mirror what
the services refuse (a price change on an item that left, a consigned item written off …),
so that an import that passes them does not stop half way.

The checks read the file defensively: a part that breaks the schema has already been
reported, and is skipped here rather than reported again in other words.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from shop.config import LANGUAGES
from shop.domain import count as count_rules
from shop.domain import sharing
from shop.domain.count import DecisionKind, Difference, LostItemPays
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pricing import (
    Policy,
    days_in_stock,
    effective_price,
    month_key,
    policy_for_month,
)
from shop.domain.sale import Line, SaleError, Totals, owner_split, refund_owner_loss, totals
from shop.domain.text import (
    ADDRESS_LENGTH,
    CATEGORY_LENGTH,
    CODE_LENGTH,
    DESCRIPTION_LENGTH,
    MAX_JSON_DEPTH,
    NAME_LENGTH,
    NOTE_LENGTH,
    PHONE_LENGTH,
    REASON_LENGTH,
    SHORT_REASON_LENGTH,
    SIZE_LENGTH,
    TooDeep,
    check_depth,
)
from shop.journal.policies import policy_of
from shop.journal.problems import Problem, child, pointer
from shop.journal.reader import Section, is_list
from shop.journal.schema import schema_problems
from shop.journal.timeline import Event, Step, timeline
from shop.journal.times import DEFAULT_TIMEZONE, parse_day, parse_time, zone
from shop.models import ExpenseCategory, IntakeKind

#: Most pieces a lot may hold (what the stock service accepts).
MAX_LOT_QUANTITY = 100_000

# Longest texts the columns hold (shop.domain.text's limits), counted after spaces are tidied
# as the services tidy them. A longer text would be cut short (or refused by PostgreSQL), so
# it is reported instead.

# The schema's enums: a value outside them is the schema's to report, and is not used here.
_INTAKE_KINDS = {kind.value for kind in IntakeKind}
_EXPENSE_CATEGORIES = {category.value for category in ExpenseCategory}

# Disposals that take an item out of stock for good (given_to_group keeps it in stock).
_LEAVING = ("returned_to_owner", "donated_onward", "written_off")


def collapse(text: str) -> str:
    """Spaces tidied as most services tidy them: trimmed, runs of white space made one."""
    return " ".join(text.split())


def strip(text: str) -> str:
    return text.strip()


def raw(text: str) -> str:
    return text


@dataclass(slots=True)
class _Member:
    path: str
    joined_on: date | None
    left_on: date | None
    coordinator: bool = False


@dataclass(slots=True)
class _Intake:
    path: str
    kind: str | None
    received_at: datetime | None
    owner: int | None


@dataclass(slots=True)
class _Stock:
    """An item or lot as the history has left it so far (while the events are replayed).

    A unique item is on the rail unless ``sold`` names the sale line that holds it; a lot
    has ``on_hand`` pieces left (``None`` where its quantity is unreadable).
    """

    path: str
    intake_ref: str
    intake: _Intake
    price_dong: int | None
    consignor_bp: int | None = None  # as the journal gives it (None: the policy's)
    is_lot: bool = False
    on_hand: int | None = None
    sold: str | None = None  # path of the sale line that took the unique item
    given_to_group: str | None = None  # path of the disposal that gave it to the group
    left: tuple[str, str] | None = None  # (kind, path) of the disposal that took it away
    category: str | None = None  # its category's name, tidied and casefolded
    # For the stock counts: its latest disposal's moment, whether a count's close paid its
    # owner for it, and the decision that put it back on the rail as the group's for that.
    disposed_at: datetime | None = None
    compensated: bool = False
    owner_paid: str | None = None

    @property
    def consigned(self) -> bool:
        return self.intake.kind == "consignment"

    @property
    def group_since(self) -> str | None:
        """Where a consigned item became the group's: given to it, or back on the rail
        after its owner was paid for it as lost."""
        return self.given_to_group or self.owner_paid

    @property
    def on_rail(self) -> bool:
        """In stock, as the books have it (a lot stays in stock when its pieces run out)."""
        return self.left is None and (self.is_lot or self.sold is None)

    def put_back(self, quantity: int | None) -> None:
        """Back on the rail after a void or a refund that restocks, as the counter does it."""
        if not self.is_lot:
            self.sold = None
        elif self.on_hand is not None and quantity is not None:
            self.on_hand += quantity


@dataclass(slots=True)
class _Shift:
    path: str
    member: int
    opened_at: datetime
    closed_at: datetime | None  # None: still open when the journal was written


@dataclass(slots=True)
class _Line:
    """A sale line, with what has been refunded on it so far (while the events are replayed)."""

    path: str
    code: str | None
    quantity: int | None
    net_dong: int | None = None  # None where the sale's arithmetic cannot be done
    refunded_dong: int = 0
    refunded_pieces: int = 0
    taken: bool = False  # it has taken its item or pieces out of stock
    short: int = 0  # pieces the stock no longer had (a sale rung up with no link)
    owner: int | None = None  # the consigning member when it was sold (None: the group's)
    consignor_bp: int | None = None  # her rate on it then

    def has_room(self, amount: int, quantity: int) -> bool:
        return (self.net_dong is None or self.refunded_dong + amount <= self.net_dong) and (
            self.quantity is None or self.refunded_pieces + quantity <= self.quantity
        )


@dataclass(slots=True)
class _Sale:
    path: str
    number: int | None
    at: datetime | None
    lines: list[_Line]
    void: str | None = None  # path of its void
    transfer_dong: int | None = None  # its transfer part (None where unreadable)
    confirmed_by: int | None = None  # the member who confirmed its transfer by hand
    voided: bool = False  # its void has been replayed


@dataclass(slots=True)
class _Scan:
    """A count's scan as the shop keeps it (``scanned_at`` never after it came in)."""

    path: str
    code: str
    pieces: int
    scanned_at: datetime
    live: bool = False  # taken in and not taken back (while the events are replayed)


@dataclass(slots=True)
class _Count:
    path: str
    number: int | None
    opened_at: datetime
    closed_at: datetime | None
    categories: set[str] | None  # tidied, casefolded; None: the whole rail
    rule: LostItemPays
    pays: bool = False  # a decision says its owner was paid (compensation_dong)
    scans: dict[str, _Scan] = field(default_factory=dict)  # by path
    # Whether its scans can be told as the shop would take them (each readable, once,
    # while it was open) and it opened when it could: otherwise the differences at its
    # close are not worked out (they would be of another count than the file's).
    sound: bool = True


@dataclass
class _Checker:
    data: dict
    country_code: str
    # Whether the schema found nothing wrong: otherwise a month's figures are not worked
    # out (they would be figures of a history that cannot be read as written).
    schema_sound: bool = True
    problems: list[Problem] = field(default_factory=list)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    members: dict[int, _Member] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    donors: dict[str, str] = field(default_factory=dict)
    intakes: dict[str, _Intake] = field(default_factory=dict)
    stock: dict[str, _Stock] = field(default_factory=dict)
    shifts: dict[int, list[_Shift]] = field(default_factory=dict)  # by member number
    # The same, each member's by opening (and the openings alone), for shift_of.
    shift_starts: dict[int, tuple[list[datetime], list[_Shift]]] = field(default_factory=dict)
    sales: dict[int, _Sale] = field(default_factory=dict)  # by number (the first if twice)
    sales_at: dict[str, _Sale] = field(default_factory=dict)  # by path
    # Lists with an entry whose number, ref or code is unreadable (the schema said so): a
    # reference to something missing may then be to that entry, and is not reported.
    unreadable: set[str] = field(default_factory=set)
    policies: list[tuple[str, Policy]] = field(default_factory=list)
    # The month, while the events are replayed: refunds as they were accepted (moment,
    # line, amount, the line's refunds up to it), months closed so far in order, each
    # member's due in a closed month (None where the history is too broken to tell), what
    # has been paid against it, and the loss and balances the latest close carries on.
    refunds_done: list[tuple[datetime, _Line, int, int]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    due: dict[str, dict[int, int] | None] = field(default_factory=dict)
    paid: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    carried: sharing.MonthFigures | None = None
    first_active: str | None = None
    counts: dict[str, _Count] = field(default_factory=dict)  # the readable ones, by path
    # Once a count's close is found wrong (or cannot be judged), the stock after it is in
    # doubt: later closes are no longer judged, only followed as written.
    counts_doubtful: bool = False
    # What the counts' closes paid members for their lost items: (local day, member, đồng).
    # Each is an expense of its month on top of the journal's own ``expenses`` (which hold
    # no compensation), and part of that member's earned. Empty for a journal with no counts.
    compensations: list[tuple[date, int | None, int]] = field(default_factory=list)
    tick: Callable[[], None] | None = None  # after each event replayed
    # Whether the history is replayed (see check_journal's ``replay``).
    replaying: bool = True

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def once(self, seen: dict, key: object, path: str, field: str, twice: str) -> None:
        """``key`` the first time (``seen`` keeps its ``path``); again, reported at its
        ``field``: ``twice``, and where the other is."""
        if key in seen:
            self.report(child(path, field), f"{twice} (the other is at {seen[key]}).")
        else:
            seen[key] = path

    def run(self, replay: bool = True) -> list[Problem]:
        self.replaying = replay
        self.check_shop()
        self.check_policies()
        self.check_members()
        self.check_donors()
        self.check_intakes()
        self.check_events()
        self.check_shifts()
        self.check_sales()
        self.check_refunds()
        self.check_bank_transactions()
        self.check_closed_months()
        self.check_payouts()
        self.check_counts()
        self.first_active = self.first_active_month()
        if replay:
            self.replay()
        self.check_expenses()
        return self.problems

    # ------------------------------------------------------------ shop and policies

    def check_shop(self) -> None:
        shop = self.data.get("shop")
        if not isinstance(shop, dict):
            return
        self.text(shop, "/shop", "name", NAME_LENGTH, required=True, tidy=strip)
        self.text(shop, "/shop", "address", ADDRESS_LENGTH, tidy=strip)
        name = shop.get("timezone", DEFAULT_TIMEZONE)
        if isinstance(name, str):
            tz = zone(name)
            if tz is None:
                self.report("/shop/timezone", f"{name} is not a known time zone.")
            else:
                self.tz = tz
        locale = shop.get("locale")
        if isinstance(locale, str) and locale not in LANGUAGES:
            choices = ", ".join(LANGUAGES)
            self.report("/shop/locale", f"The shop cannot speak {locale}; choose one of {choices}.")
        bank = shop.get("bank")
        if isinstance(bank, dict):
            self.text(bank, "/shop/bank", "account_name", NAME_LENGTH, required=True, tidy=raw)

    def check_policies(self) -> None:
        seen: dict[str, str] = {}
        for path, policy in entries(self.data, "policies"):
            month = text_of(policy, "from_month")
            if month is not None:
                # A policy no shop can have is the schema's, or the markdown check's, to report.
                with suppress(ValueError, TypeError, KeyError, AttributeError):
                    self.policies.append((month, policy_of(policy)))
                self.once(seen, month, path, "from_month", f"Two policies start in {month}")
            steps: dict[int, str] = {}
            for step_path, step in entries(policy, "markdown", path):
                days = whole(step, "after_days")
                if days is None:
                    continue
                twice = f"Two markdown steps start after {days} days"
                self.once(steps, days, step_path, "after_days", twice)

    # ------------------------------------------------------------ people

    def check_members(self) -> None:
        for path, entry in entries(self.data, "members"):
            number = whole(entry, "number")
            if number is None:
                self.unreadable.add("members")
            joined_on = day_of(entry, "joined_on")
            left_on = day_of(entry, "left_on")
            if number is not None:
                if number in self.members:
                    other = self.members[number].path
                    self.report(
                        child(path, "number"),
                        f"Member number {number} is used twice (the other is at {other}).",
                    )
                else:
                    self.members[number] = _Member(
                        path, joined_on, left_on, entry.get("role") == "coordinator"
                    )
            if joined_on and left_on and left_on < joined_on:
                self.report(
                    child(path, "left_on"),
                    f"She cannot leave on {left_on} before she joined on {joined_on}.",
                )
            self.text(entry, path, "name", NAME_LENGTH, required=True, tidy=strip)
            self.check_phone(entry, path)

    def check_phone(self, entry: dict, path: str) -> None:
        phone = text_of(entry, "phone")
        if phone is None or not phone.strip():
            return  # no phone: she signs in at the counter by name
        try:
            clean = normalize_phone(phone, country_code=self.country_code)
        except PhoneError:
            self.report(
                child(path, "phone"),
                f"{phone!r} is not a phone number: use 8 to 15 digits, like 0912 345 678.",
            )
            return
        if clean in self.phones:
            self.report(
                child(path, "phone"),
                f"Phone number {phone} is also member {self.phones[clean]}'s.",
            )
        else:
            self.phones[clean] = str(entry.get("number"))

    def check_donors(self) -> None:
        for path, entry in entries(self.data, "donors"):
            ref = text_of(entry, "ref")
            if ref is None:
                self.unreadable.add("donors")
            if ref is not None:
                if ref in self.donors:
                    self.report(
                        child(path, "ref"),
                        f"Donor ref {ref} is used twice (the other is at {self.donors[ref]}).",
                    )
                else:
                    self.donors[ref] = path
                self.length(child(path, "ref"), ref, CODE_LENGTH)
            self.text(entry, path, "name", NAME_LENGTH, required=True)
            self.text(entry, path, "phone", PHONE_LENGTH, tidy=strip)
            self.text(entry, path, "organisation", NAME_LENGTH, tidy=strip)

    def day(self, entry: dict, key: str) -> date | None:
        """The shop's local date of the time ``entry[key]``, if it is a time."""
        at = moment_of(entry, key)
        return at.astimezone(self.tz).date() if at else None

    def shown(self, moment: datetime) -> str:
        """A moment as the shop's wall-clock time with its offset, for messages."""
        return moment.astimezone(self.tz).isoformat()

    def member_on(self, path: str, number: int | None, day: date | None) -> None:
        """Report at ``path`` unless member ``number`` exists and was a member on ``day``."""
        if number is None:
            return
        member = self.members.get(number)
        if member is None:
            if "members" not in self.unreadable:
                self.report(path, f"There is no member number {number}.")
            return
        if day is None or member.joined_on is None:
            return
        if day < member.joined_on:
            self.report(
                path,
                f"Member {number} was not a member yet on {day}: she joined on {member.joined_on}.",
            )
        elif member.left_on is not None and day > member.left_on:
            self.report(
                path,
                f"Member {number} was no longer a member on {day}: her last day was "
                f"{member.left_on}.",
            )

    # ------------------------------------------------------------ intakes, items and lots

    def check_intakes(self) -> None:
        for path, entry in entries(self.data, "intakes"):
            ref = text_of(entry, "ref")
            if ref is None:
                self.unreadable.add("intakes")
            kind = known(text_of(entry, "kind"), _INTAKE_KINDS)
            received_at = moment_of(entry, "received_at")
            day = received_at.astimezone(self.tz).date() if received_at else None
            intake = _Intake(path, kind, received_at, whole(entry, "owner"))
            if ref is not None:
                if ref in self.intakes:
                    other = self.intakes[ref].path
                    self.report(
                        child(path, "ref"),
                        f"Intake ref {ref} is used twice (the other is at {other}).",
                    )
                else:
                    self.intakes[ref] = intake
                self.length(child(path, "ref"), ref, CODE_LENGTH)
            self.member_on(child(path, "by"), whole(entry, "by"), day)
            self.check_parties(entry, path, kind, ref, day)
            for item_path, item in entries(entry, "items", path):
                self.check_stock(item, item_path, intake, ref)
                self.text(item, item_path, "size", SIZE_LENGTH)
            for lot_path, lot in entries(entry, "lots", path):
                self.check_stock(lot, lot_path, intake, ref, is_lot=True)
                quantity = whole(lot, "quantity")
                if quantity is not None and quantity > MAX_LOT_QUANTITY:
                    self.report(
                        child(lot_path, "quantity"),
                        f"{quantity} pieces is more than a lot can hold ({MAX_LOT_QUANTITY}).",
                    )

    def check_parties(
        self, entry: dict, path: str, kind: str | None, ref: str | None, day: date | None
    ) -> None:
        """A donation names its donor, a consignment its owner, a purchase its supplier."""
        name = ref or "this intake"
        donor = text_of(entry, "donor")
        if "donor" in entry and kind is not None and kind != "donation":
            self.report(child(path, "donor"), f"Only a donation names a donor; {name} is a {kind}.")
        elif donor is not None and donor not in self.donors and "donors" not in self.unreadable:
            self.report(child(path, "donor"), f"There is no donor {donor} among the donors.")
        if kind == "consignment":
            if "owner" not in entry:
                self.report(
                    child(path, "owner"),
                    f"Consignment {name} needs its owner: the number of the member whose "
                    "items these are.",
                )
            else:
                self.member_on(child(path, "owner"), whole(entry, "owner"), day)
        elif "owner" in entry and kind is not None:
            self.report(
                child(path, "owner"), f"Only a consignment has an owner; {name} is a {kind}."
            )
        if kind == "purchase":
            supplier = entry.get("supplier")
            if supplier is None or (isinstance(supplier, str) and not supplier.strip()):
                self.report(
                    child(path, "supplier"),
                    f"Purchase {name} needs its supplier: where the bale was bought.",
                )
            elif isinstance(supplier, str):
                self.length(child(path, "supplier"), supplier.strip(), NAME_LENGTH)
        elif "supplier" in entry and kind is not None:
            self.report(
                child(path, "supplier"), f"Only a purchase names a supplier; {name} is a {kind}."
            )

    def check_stock(
        self, entry: dict, path: str, intake: _Intake, ref: str | None, *, is_lot: bool = False
    ) -> None:
        code = text_of(entry, "code")
        if code is None:
            self.unreadable.add("stock")
        if code is not None:
            if code in self.stock:
                self.report(
                    child(path, "code"),
                    f"Code {code} is used twice (the other is at {self.stock[code].path}).",
                )
            else:
                category = text_of(entry, "category")
                self.stock[code] = _Stock(
                    path,
                    ref or "?",
                    intake,
                    whole(entry, "price_dong"),
                    consignor_bp=whole(entry, "consignor_bp"),
                    is_lot=is_lot,
                    on_hand=whole(entry, "quantity") if is_lot else None,
                    category=_category_key(category) if category is not None else None,
                )
        self.text(entry, path, "category", CATEGORY_LENGTH, required=True)
        self.text(entry, path, "description", DESCRIPTION_LENGTH)
        if "consignor_bp" in entry and intake.kind is not None and intake.kind != "consignment":
            self.report(
                child(path, "consignor_bp"),
                f"Only a consigned item has an owner's share; {ref or 'its intake'} is a "
                f"{intake.kind}.",
            )

    # ------------------------------------------------------------ what happened to the stock

    def check_events(self) -> None:
        """What price changes and disposals say by themselves: their code, member and texts.

        How they fit the history (the item in stock at that moment …) is for :meth:`replay`.
        """
        for section in ("price_changes", "disposals"):
            for path, entry in entries(self.data, section):
                self.stock_for(entry, path)
                self.member_on(child(path, "by"), whole(entry, "by"), self.day(entry, "at"))
                if section == "price_changes":
                    self.check_reason(entry, path)
                else:
                    self.text(entry, path, "note", NOTE_LENGTH)

    def check_reason(self, entry: dict, path: str) -> None:
        # A reason may be left out (another system may not keep one); it must still fit.
        self.text(entry, path, "reason", SHORT_REASON_LENGTH)

    def stock_for(self, entry: dict, path: str) -> _Stock | None:
        code = text_of(entry, "code")
        if code is None:
            return None
        stock = self.stock.get(code)
        if stock is None and "stock" not in self.unreadable:
            self.report(child(path, "code"), f"There is no item or lot with code {code}.")
        return stock

    def price_change(self, stock: _Stock, code: str, path: str, entry: dict) -> None:
        price = whole(entry, "price_dong")
        if price is None:
            return
        if price == stock.price_dong:
            self.report(
                child(path, "price_dong"), f"Item {code} already costs {price} đồng by then."
            )
        stock.price_dong = price

    def disposal(self, stock: _Stock, code: str, path: str, entry: dict) -> None:
        kind = text_of(entry, "kind")
        owners_choice = kind in ("given_to_group", "returned_to_owner")
        if owners_choice and not stock.consigned:
            self.report(
                child(path, "kind"),
                f"Item {code} is not consigned ({stock.intake_ref} is a {stock.intake.kind}): "
                "only a member's consigned item can go back to her or to the group.",
            )
            return
        if owners_choice and stock.given_to_group is not None:
            self.report(
                child(path, "kind"),
                f"Item {code} was already given to the group at {stock.given_to_group}.",
            )
            return
        if owners_choice and stock.owner_paid is not None:
            self.report(
                child(path, "kind"),
                f"Item {code} is the group's since it came back on the rail at "
                f"{stock.owner_paid}, its owner paid for it as lost.",
            )
            return
        group_choice = kind in ("donated_onward", "written_off")
        if group_choice and stock.consigned and stock.group_since is None:
            self.report(
                child(path, "kind"),
                f"Item {code} still belongs to member {stock.intake.owner}: return it to her, "
                "or record first that she gave it to the group.",
            )
            return
        if kind == "given_to_group":
            stock.given_to_group = path
        elif kind in _LEAVING:
            stock.left = (kind, path)
        stock.disposed_at = moment_of(entry, "at")

    # ------------------------------------------------------------ the counter

    def check_shifts(self) -> None:
        """Each shift by a member, closed after it opened and counted (or said to be not
        counted, with a null count); none of one member's
        shifts overlapping another (the minute one closes and the next opens included)."""
        for path, entry in entries(self.data, "shifts"):
            member = whole(entry, "member")
            opened_at = moment_of(entry, "opened_at")
            closed_at = moment_of(entry, "closed_at")
            self.member_on(child(path, "member"), member, self.day(entry, "opened_at"))
            closed, counted = "closed_at" in entry, "counted_cash_dong" in entry
            if closed and not counted:
                self.report(
                    child(path, "counted_cash_dong"),
                    "A closed shift needs the cash counted at its close (null if it was "
                    "closed without a count).",
                )
            elif counted and not closed:
                self.report(
                    child(path, "counted_cash_dong"),
                    "Only a closed shift has its cash counted: give its closed_at too, or leave "
                    "the count out.",
                )
            if "count_note" in entry and entry.get("counted_cash_dong") is None:
                self.report(
                    child(path, "count_note"),
                    "A count note explains a difference in a count: only a closed shift "
                    "counted at its close has one.",
                )
            if opened_at and closed_at and closed_at < opened_at:
                self.report(
                    child(path, "closed_at"),
                    f"The shift cannot close at {self.shown(closed_at)}, before it opened at "
                    f"{self.shown(opened_at)}.",
                )
                closed_at = None
            if member is None or opened_at is None or (closed and closed_at is None):
                # Sales in this shift cannot be told from sales outside any shift.
                self.unreadable.add("shifts")
                continue
            self.shifts.setdefault(member, []).append(_Shift(path, member, opened_at, closed_at))
        for member, shifts in self.shifts.items():
            reaching: _Shift | None = None  # of the shifts so far, the one that ends last
            for shift in sorted(shifts, key=lambda s: s.opened_at):
                if reaching is not None and (
                    reaching.closed_at is None or shift.opened_at <= reaching.closed_at
                ):
                    until = (
                        "still open"
                        if reaching.closed_at is None
                        else f"until {self.shown(reaching.closed_at)}"
                    )
                    self.report(
                        shift.path,
                        f"Member {member}'s shift opening at {self.shown(shift.opened_at)} "
                        f"overlaps her shift at {reaching.path} ({until}): a member has one "
                        "shift at a time.",
                    )
                if reaching is None or (
                    reaching.closed_at is not None
                    and (shift.closed_at is None or shift.closed_at > reaching.closed_at)
                ):
                    reaching = shift

    def shift_of(self, member: int, at: datetime) -> _Shift | None:
        """The shift of ``member`` open at ``at``, its ends included (as the import finds
        it): of those, the last opened (the first written, of two opened at once)."""
        if member not in self.shift_starts:
            written = enumerate(self.shifts.get(member, []))
            shifts = [s for _i, s in sorted(written, key=lambda e: (e[1].opened_at, -e[0]))]
            self.shift_starts[member] = ([shift.opened_at for shift in shifts], shifts)
        starts, shifts = self.shift_starts[member]
        for index in range(bisect_right(starts, at) - 1, -1, -1):
            if shifts[index].closed_at is None or at <= shifts[index].closed_at:
                return shifts[index]
        return None

    def check_sales(self) -> None:
        """Each sale by itself: its number, cashier and shift, discounts, payments and void."""
        for path, entry in entries(self.data, "sales"):
            number = whole(entry, "number")
            name = f"Sale {number}" if number is not None else "This sale"
            at = moment_of(entry, "at")
            cashier = whole(entry, "cashier")
            self.member_on(child(path, "cashier"), cashier, self.day(entry, "at"))
            shift = None
            if cashier is not None and at is not None:
                shift = self.shift_of(cashier, at)
                if shift is None and cashier in self.members and "shifts" not in self.unreadable:
                    self.report(
                        child(path, "at"),
                        f"{name} at {self.shown(at)} is outside any shift of its cashier, "
                        f"member {cashier}.",
                    )
            lines = []
            for line_path, line in entries(entry, "lines", path):
                self.stock_for(line, line_path)
                self.check_discount(line, line_path)
                quantity = whole_or(line, "quantity", 1)
                short = line.get("short_pieces", 0) if isinstance(line, dict) else 0
                lines.append(
                    _Line(line_path, text_of(line, "code"), quantity,
                          short=short if isinstance(short, int) else 0)
                )  # fmt: skip
            self.check_discount(entry, path)
            # What the lines come to is the replay's (a refund's room) and the services' (a
            # discount above its line, payments that do not add up) to work out.
            result = self.sale_totals(entry, path) if self.replaying else None
            if result is not None:
                for line, net in zip(lines, result.nets, strict=True):
                    line.net_dong = net
            self.check_payments(entry, path, result.total_dong if result else None)
            sale = _Sale(path, number, at, lines, transfer_dong=_transfer_of(entry))
            sale.confirmed_by = self.check_confirmation(entry, path, name, at, sale.transfer_dong)
            void = entry.get("void")
            if isinstance(void, dict):
                sale.void = child(path, "void")
                self.check_void(void, sale.void, name, at, shift)
            self.sales_at[path] = sale
            if number is None:
                self.unreadable.add("sales")
            elif number in self.sales:
                self.report(
                    child(path, "number"),
                    f"Sale number {number} is used twice (the other is at "
                    f"{self.sales[number].path}).",
                )
            else:
                self.sales[number] = sale

    def check_confirmation(
        self, entry: dict, path: str, name: str, at: datetime | None, transfer: int | None
    ) -> int | None:
        """A transfer's confirmation: only on a sale with a transfer part, not before the sale,
        by a member then. Returns who confirmed it by hand."""
        keys = [key for key in ("confirmed_at", "confirmed_by") if key in entry]
        if keys and transfer == 0:
            for key in keys:
                self.report(
                    child(path, key), f"{name} has no transfer part: there is nothing to confirm."
                )
            return None
        confirmed_at = moment_of(entry, "confirmed_at")
        if confirmed_at is not None and at is not None and confirmed_at < at:
            self.report(
                child(path, "confirmed_at"),
                f"{name}'s transfer cannot be confirmed at {self.shown(confirmed_at)}, before "
                f"the sale ({self.shown(at)}).",
            )
        by = whole(entry, "confirmed_by")
        day = confirmed_at.astimezone(self.tz).date() if confirmed_at else self.day(entry, "at")
        self.member_on(child(path, "confirmed_by"), by, day)
        return by

    def check_discount(self, entry: dict, path: str) -> None:
        """A discount, of a line or of a whole sale, says why in words that fit."""
        discount = whole(entry, "discount_dong")
        reason = entry.get("discount_reason", "")
        if discount and isinstance(reason, str) and not reason.strip():
            self.report(
                child(path, "discount_reason"), f"A discount of {discount} đồng needs its reason."
            )
        self.text(entry, path, "discount_reason", SHORT_REASON_LENGTH)

    def sale_totals(self, entry: dict, path: str) -> Totals | None:
        """The sale's nets and total (docs/sharing.md step 1), or ``None`` where they cannot be had.

        A discount larger than what it is taken from is reported at the discount.
        """
        lines = entry.get("lines")
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            return None
        values = [
            (
                whole(line, "unit_price_dong"),
                whole_or(line, "quantity", 1),
                whole_or(line, "discount_dong", 0),
            )
            for line in lines
        ]
        sale_discount = whole_or(entry, "discount_dong", 0)
        readable = [value for triple in values for value in triple] + [sale_discount]
        if not lines or any(value is None or value < 0 for value in readable):
            return None  # the schema has said what is wrong
        try:
            return totals([Line(*triple) for triple in values], sale_discount)
        except SaleError as error:
            if error.code == "line_discount" and error.line is not None:
                price, quantity, discount = values[error.line]
                self.report(
                    child(path, "lines", error.line, "discount_dong"),
                    f"A discount of {discount} đồng is more than the line comes to "
                    f"({price * quantity} đồng).",
                )
            elif error.code == "sale_discount":
                after = sum(price * quantity - discount for price, quantity, discount in values)
                self.report(
                    child(path, "discount_dong"),
                    f"A discount of {sale_discount} đồng is more than the lines come to after "
                    f"their own discounts ({after} đồng).",
                )
            return None

    def check_payments(self, entry: dict, path: str, total: int | None) -> None:
        """One cash payment at most, its cash handed over covering it; all add up to ``total``.

        Transfers may come in several parts; the counter keeps their sum.
        """
        paid: int | None = 0
        cash: str | None = None
        payments = entry.get("payments")
        for pay_path, payment in entries(entry, "payments", path):
            method = text_of(payment, "method")
            amount = whole(payment, "amount_dong")
            tendered = whole(payment, "tendered_dong")
            if amount is None or method not in ("cash", "transfer"):
                paid = None
                continue
            if paid is not None:
                paid += amount
            if method == "transfer":
                if "tendered_dong" in payment:
                    self.report(
                        child(pay_path, "tendered_dong"),
                        "Only a cash payment has cash handed over; this one is a transfer.",
                    )
                continue
            if cash is not None:
                self.report(
                    pay_path, f"A sale has one cash payment at most (the other is at {cash})."
                )
            cash = pay_path
            if tendered is None:
                continue
            if tendered < amount:
                self.report(
                    child(pay_path, "tendered_dong"),
                    f"{tendered} đồng handed over does not cover the {amount} đồng paid in cash.",
                )
            elif amount == 0 and tendered > 0:
                self.report(
                    child(pay_path, "tendered_dong"),
                    f"No cash is paid, so no cash ({tendered} đồng) is handed over.",
                )
        if not isinstance(payments, list) or sum(1 for _ in entries(entry, "payments")) != len(
            payments
        ):
            paid = None
        if total is not None and paid is not None and paid != total:
            self.report(
                child(path, "payments"),
                f"The payments add up to {paid} đồng, but the lines come to {total} đồng.",
            )

    def check_void(
        self, void: dict, path: str, name: str, sale_at: datetime | None, shift: _Shift | None
    ) -> None:
        """A void by a member, within the sale's shift, after the sale."""
        at = moment_of(void, "at")
        self.member_on(child(path, "by"), whole(void, "by"), self.day(void, "at"))
        self.text(void, path, "reason", REASON_LENGTH, required=True)
        if at is None or sale_at is None:
            return
        if at < sale_at:
            self.report(
                child(path, "at"),
                f"{name} cannot be voided at {self.shown(at)}, before it was made "
                f"({self.shown(sale_at)}).",
            )
        elif shift is not None and shift.closed_at is not None and at > shift.closed_at:
            self.report(
                child(path, "at"),
                f"{name} is voided at {self.shown(at)}, after its shift ({shift.path}) closed at "
                f"{self.shown(shift.closed_at)}: only a sale of a shift still open can be "
                "voided; refund it instead.",
            )

    def check_refunds(self) -> None:
        """Each refund by a member, with its reason, of a line of a sale that was not voided."""
        for path, entry in entries(self.data, "refunds"):
            self.member_on(child(path, "by"), whole(entry, "by"), self.day(entry, "at"))
            self.text(entry, path, "reason", REASON_LENGTH, required=True)
            number = whole(entry, "sale")
            sale = self.sales.get(number) if number is not None else None
            if sale is None:
                if number is not None and "sales" not in self.unreadable:
                    self.report(child(path, "sale"), f"There is no sale number {number}.")
                continue
            if sale.void is not None:
                self.report(
                    child(path, "sale"),
                    f"Sale {number} was voided ({sale.void}): a voided sale has nothing left to "
                    "refund.",
                )
                continue
            code = text_of(entry, "code")
            if code is not None and all(line.code != code for line in sale.lines):
                self.report(child(path, "code"), f"Sale {number} has no line with code {code}.")
            at = moment_of(entry, "at")
            if at is not None and sale.at is not None and at < sale.at:
                self.report(
                    child(path, "at"),
                    f"The refund at {self.shown(at)} is before sale {number} was made "
                    f"({self.shown(sale.at)}).",
                )

    # ------------------------------------------------------------ the bank inbox

    def check_bank_transactions(self) -> None:
        """Each transaction once per provider id, what it did fitting its direction and
        outcome (a reason only for a review; money in pays a sale, money out a refund or a
        payout), the sale it pays waiting for exactly its amount and paid by no other, the
        refund or payout it paid in the journal, by transfer, of its amount and paid by no
        other; a decision by a member, whole."""
        seen: dict[tuple[str, str], str] = {}
        paying: dict[int, str] = {}  # sale number: the transaction that pays it
        refunds = self.bank_refunds()
        payouts = self.bank_payouts()
        for path, entry in entries(self.data, "bank_transactions"):
            self.bank_once(entry, path, seen)
            direction, outcome = text_of(entry, "direction"), text_of(entry, "outcome")
            amount = whole(entry, "amount_dong")
            reason = text_of(entry, "reason")
            if reason is not None and outcome not in (None, "review"):
                self.report(child(path, "reason"), "Only a transaction on review has a reason.")
            self.bank_sale(entry, path, direction, outcome, amount, paying)
            self.bank_money_out(entry, path, direction, outcome)
            if "refund" in entry and isinstance(entry["refund"], dict):
                refund = entry["refund"]
                key = (whole(refund, "sale"), text_of(refund, "code"), moment_of(refund, "at"))
                self.bank_paid(child(path, "refund"), "refund", refunds, key, amount)
            if "payout" in entry and isinstance(entry["payout"], dict):
                payout = entry["payout"]
                key = (whole(payout, "member"), text_of(payout, "month"),
                       day_of(payout, "paid_on"))  # fmt: skip
                self.bank_paid(child(path, "payout"), "payout", payouts, key, amount)
            self.bank_decision(entry, path, outcome)
            self.bank_suggestions(entry, path)

    def bank_once(self, entry: dict, path: str, seen: dict[tuple[str, str], str]) -> None:
        """A provider's transaction is in the journal once."""
        provider, provider_id = text_of(entry, "provider"), text_of(entry, "provider_id")
        if provider is None or provider_id is None:
            return
        twice = f"{provider} transaction {provider_id} is here twice"
        self.once(seen, (provider, provider_id), path, "provider_id", twice)

    def bank_money_out(
        self, entry: dict, path: str, direction: str | None, outcome: str | None
    ) -> None:
        """Only money out matched as outgoing pays a refund or a payout, and names one."""
        named = [key for key in ("refund", "payout") if key in entry]
        if direction == "in" and named:
            self.report(child(path, named[0]), "Money that came in pays no refund or payout.")
        if outcome == "outgoing" and len(named) != 1:
            self.report(
                child(path, "outcome"),
                "Money out matched to a refund or a payout names one of them.",
            )
        if outcome not in (None, "outgoing") and named:
            self.report(child(path, named[0]), f"A transaction that went to {outcome} paid none.")

    def bank_decision(self, entry: dict, path: str, outcome: str | None) -> None:
        """A decision on a transaction on review: when and by whom, with its words."""
        resolved = [key for key in ("resolved_at", "resolved_by") if key in entry]
        if len(resolved) == 1:
            self.report(
                child(path, resolved[0]),
                "A decision says both when (resolved_at) and who (resolved_by).",
            )
        if resolved and outcome not in (None, "review"):
            self.report(child(path, resolved[0]), "Only a transaction on review is decided.")
        if "resolution" in entry and not resolved:
            self.report(child(path, "resolution"), "Only a decided transaction says this.")
        self.member_on(
            child(path, "resolved_by"),
            whole(entry, "resolved_by"),
            self.day(entry, "resolved_at"),
        )
        self.text(entry, path, "resolution", REASON_LENGTH)

    def bank_suggestions(self, entry: dict, path: str) -> None:
        """The sales a transaction was suggested for are in the journal."""
        if "sales" in self.unreadable:
            return
        suggestions = entry.get("suggestions")
        for index, number in enumerate(suggestions if is_list(suggestions) else []):
            if isinstance(number, int) and number not in self.sales:
                self.report(child(path, "suggestions", index), f"There is no sale number {number}.")

    def bank_sale(
        self,
        entry: dict,
        path: str,
        direction: str | None,
        outcome: str | None,
        amount: int | None,
        paying: dict[int, str],
    ) -> None:
        """The sale a transaction names, and whether it is that sale's transfer."""
        number = whole(entry, "sale")
        pays = entry.get("pays_sale") is True
        if outcome in ("confirmed", "verified") and not pays:
            self.report(child(path, "pays_sale"), f"A transaction that {outcome} a sale pays it.")
        if pays and outcome not in (None, "confirmed", "verified", "review"):
            self.report(child(path, "pays_sale"), "Money matched as outgoing pays no sale.")
        if direction == "out" and number is not None:
            self.report(child(path, "sale"), "Money sent out pays no sale.")
            return
        if pays and "sale" not in entry:
            self.report(child(path, "pays_sale"), "It pays a sale: name it (sale).")
        if number is None:
            return
        sale = self.sales.get(number)
        if sale is None:
            if "sales" not in self.unreadable:
                self.report(child(path, "sale"), f"There is no sale number {number}.")
            return
        if not pays:
            return
        if number in paying:
            self.report(
                child(path, "sale"),
                f"Sale {number} is paid by one bank transaction only (the other is at "
                f"{paying[number]}).",
            )
        else:
            paying[number] = path
        if amount is not None and sale.transfer_dong is not None and amount != sale.transfer_dong:
            self.report(
                child(path, "amount_dong"),
                f"Sale {number} waits for a transfer of {sale.transfer_dong} đồng: "
                f"{amount} đồng does not pay it (a transfer pays a sale only in full).",
            )
        if outcome == "confirmed" and sale.confirmed_by is not None:
            self.report(
                child(path, "sale"),
                f"The bank confirmed sale {number}: no member confirmed it by hand "
                f"(confirmed_by at {sale.path}).",
            )

    def bank_refunds(self) -> dict[tuple, list[int]]:
        """The amounts of the transfer refunds, by the key a transaction names them with."""
        found: dict[tuple, list[int]] = defaultdict(list)
        for _path, entry in entries(self.data, "refunds"):
            if entry.get("method") == "transfer":
                key = (whole(entry, "sale"), text_of(entry, "code"), moment_of(entry, "at"))
                found[key].append(whole(entry, "amount_dong"))
        return found

    def bank_payouts(self) -> dict[tuple, list[int]]:
        """The amounts of the payouts by transfer, by the key a transaction names them with."""
        found: dict[tuple, list[int]] = defaultdict(list)
        for _path, entry in entries(self.data, "payouts"):
            if entry.get("method") == "transfer":
                key = (whole(entry, "member"), text_of(entry, "month"), day_of(entry, "paid_on"))
                found[key].append(whole(entry, "amount_dong"))
        return found

    def bank_paid(
        self, path: str, kind: str, written: dict, key: tuple, amount: int | None
    ) -> None:
        """A refund or payout by transfer of the journal, of ``amount``, that no other
        transaction paid (each taken from ``written`` as it is named)."""
        if None in key or amount is None:
            return  # the schema's to report
        amounts = written.get(key, [])
        if amount in amounts:
            amounts.remove(amount)
            return
        named = "sale, code and time" if kind == "refund" else "member, month and day"
        self.report(
            path,
            f"There is no {kind} by transfer of {amount} đồng with this {named} left for it "
            "to pay.",
        )

    # ------------------------------------------------------------ the history, replayed

    def check_payouts(self) -> None:
        """Each payout to a member; each of its corrections by a coordinator, with a reason,
        not before the day it was paid."""
        for path, entry in entries(self.data, "payouts"):
            self.member_on(child(path, "member"), whole(entry, "member"), None)
            paid_on = day_of(entry, "paid_on")
            corrections = entry.get("corrections")
            for index, correction in enumerate(corrections if is_list(corrections) else []):
                if not isinstance(correction, dict):
                    continue  # the schema's to report
                here = child(path, "corrections", index)
                by = whole(correction, "by")
                self.member_on(child(here, "by"), by, None)
                member = self.members.get(by) if by is not None else None
                if member is not None and not member.coordinator:
                    self.report(
                        child(here, "by"),
                        f"Member {by} is not a coordinator: only a coordinator corrects a payout.",
                    )
                self.text(correction, here, "reason", REASON_LENGTH, required=True)
                day = self.day(correction, "at")
                if day is not None and paid_on is not None and day < paid_on:
                    self.report(
                        child(here, "at"),
                        f"A payout paid on {paid_on} is corrected after it was paid, not on {day}.",
                    )

    def replay(self) -> None:
        """Replay the dated events in the order the import writes them (see ``timeline``):
        what each does to the stock, and what it needs of it."""
        handlers = {
            Step.PRICE_CHANGE: self.replay_stock_event,
            Step.SALE: self.replay_sale,
            Step.VOID: self.replay_void,
            Step.REFUND: self.replay_refund,
            Step.DISPOSAL: self.replay_stock_event,
            Step.COUNT_SCAN: self.replay_scan,
            Step.SCAN_WITHDRAWN: self.replay_scan,
            Step.COUNT_CLOSES: self.replay_count_close,
            Step.MONTH_CLOSES: self.replay_close,
            Step.PAYOUT: self.replay_payout,
        }
        events = timeline(self.data)
        if isinstance(self.tick, _Ticker):
            self.tick.expect(len(events))
        for event in events:
            handler = handlers.get(event.step)
            if handler is not None:
                handler(event)
            if self.tick is not None:
                self.tick()

    def replay_stock_event(self, event: Event) -> None:
        """A price change or a disposal: after the item came in, while it is in stock."""
        entry, path = event.entry, event.path
        code = text_of(entry, "code")
        stock = self.stock.get(code) if code is not None else None
        if stock is None:
            return  # reported by check_events
        received_at = stock.intake.received_at
        if received_at is not None and event.at < received_at:
            self.report(
                child(path, "at"),
                f"{entry['at']} is before item {code} came in with intake "
                f"{stock.intake_ref} ({self.shown(received_at)}).",
            )
        if stock.left is not None:
            kind, left_path = stock.left
            self.report(
                child(path, "at"),
                f"Item {code} had already left the stock by then ({kind} at {left_path}).",
            )
            return
        if stock.sold is not None:
            self.report(
                child(path, "at"),
                f"Item {code} had been sold by then ({stock.sold}) and had not come back.",
            )
            return
        if event.step == Step.DISPOSAL:
            self.disposal(stock, code, path, entry)
        elif stock.is_lot and stock.on_hand == 0:
            self.report(child(path, "at"), f"All of lot {code} had been sold by then.")
        else:
            self.price_change(stock, code, path, entry)

    def replay_sale(self, event: Event) -> None:
        """A sale takes each item (or a lot's pieces) that has come in and is still there."""
        sale = self.sales_at[event.path]
        on_sale: dict[str, str] = {}  # the unique items of this sale: code → line path
        for line in sale.lines:
            stock = self.stock.get(line.code) if line.code is not None else None
            if stock is None:
                continue  # reported by check_sales
            code, where = line.code, child(line.path, "code")
            received_at = stock.intake.received_at
            if received_at is not None and event.at < received_at:
                self.report(
                    where,
                    f"The sale at {self.shown(event.at)} is before item {code} came in with "
                    f"intake {stock.intake_ref} ({self.shown(received_at)}).",
                )
            elif stock.left is not None:
                kind, left_path = stock.left
                self.report(
                    where,
                    f"Item {code} had already left the stock by then ({kind} at {left_path}).",
                )
            elif stock.is_lot:
                self.take_pieces(stock, line)
            elif line.short:  # sold twice with no link: the other sale took the item
                pass
            elif line.quantity != 1:
                if line.quantity is not None:
                    self.report(
                        child(line.path, "quantity"),
                        f"Item {code} is one of a kind: a line sells it once, not "
                        f"{line.quantity} times.",
                    )
            elif code in on_sale:
                self.report(where, f"Item {code} is twice in this sale (also at {on_sale[code]}).")
            elif stock.sold is not None:
                on_sale[code] = line.path
                self.report(
                    where,
                    f"Item {code} was already sold ({stock.sold}) and had not come back by then "
                    "(by a void, or a refund that puts it back in stock).",
                )
            else:
                on_sale[code] = line.path
                stock.sold = line.path
                line.taken = True
            self.owner_then(stock, line)

    def owner_then(self, stock: _Stock, line: _Line) -> None:
        """Who a line's item belongs to as it sells (see :meth:`owner_of`)."""
        line.owner, line.consignor_bp = self.owner_of(stock)

    def owner_of(self, stock: _Stock) -> tuple[int | None, int | None]:
        """Who an item belongs to now, with her rate: its consigning member, unless it
        became the group's (given to it, or back after she was paid for it as lost);
        ``(None, None)``: the group's."""
        if not stock.consigned or stock.group_since is not None:
            return None, None
        bp = stock.consignor_bp
        if bp is None and stock.intake.received_at is not None:
            month = month_key(stock.intake.received_at.astimezone(self.tz).date())
            bp = policy_for_month(self.policies, month).consignor_bp
        return stock.intake.owner, bp

    def take_pieces(self, stock: _Stock, line: _Line) -> None:
        if stock.on_hand is None or line.quantity is None:
            return
        if line.short > line.quantity:
            self.report(
                child(line.path, "short_pieces"),
                f"More pieces missing ({line.short}) than the line sold ({line.quantity}).",
            )
            return
        wanted = line.quantity - line.short  # what the sale took from the stock
        if wanted > stock.on_hand:
            self.report(
                child(line.path, "quantity"),
                f"Only {stock.on_hand} of lot {line.code} were left by then, not {line.quantity}.",
            )
            return
        stock.on_hand -= wanted
        line.taken = True

    def replay_void(self, event: Event) -> None:
        """A void puts everything its sale took back in stock."""
        self.sales_at[event.path].voided = True
        for line in self.sales_at[event.path].lines:
            if line.taken and line.code is not None:
                self.stock[line.code].put_back(line.quantity - line.short)
                line.taken = False

    def replay_refund(self, event: Event) -> None:
        """A refund after its sale, within what is left of its line; restocking if it says so.

        Of several lines with the code (a lot rung up twice in one sale), the refund is of the
        first that has room for it, as the import takes it.
        """
        entry, path = event.entry, event.path
        number, code = whole(entry, "sale"), text_of(entry, "code")
        sale = self.sales.get(number) if number is not None else None
        if sale is None or sale.void is not None or code is None:
            return  # reported by check_refunds
        if sale.at is not None and event.at < sale.at:
            return  # reported by check_refunds
        lines = [line for line in sale.lines if line.code == code]
        amount, quantity = whole(entry, "amount_dong"), whole_or(entry, "quantity", 1)
        if not lines or amount is None or quantity is None:
            return
        line = next((line for line in lines if line.has_room(amount, quantity)), lines[0])
        fits = True
        if line.net_dong is not None and line.refunded_dong + amount > line.net_dong:
            self.report(
                child(path, "amount_dong"),
                f"At most {line.net_dong - line.refunded_dong} đồng can still be refunded on "
                f"{line.path} (it came to {line.net_dong} đồng), not {amount}.",
            )
            fits = False
        if line.quantity is not None and line.refunded_pieces + quantity > line.quantity:
            self.report(
                child(path, "quantity"),
                f"Only {line.quantity - line.refunded_pieces} of the {line.quantity} pieces "
                f"sold on {line.path} can still come back, not {quantity}.",
            )
            fits = False
        if not fits:
            return
        line.refunded_dong += amount
        line.refunded_pieces += quantity
        self.refunds_done.append((event.at, line, amount, line.refunded_dong))
        stock = self.stock.get(code)
        if stock is not None and entry.get("restock", True) is not False:
            stock.put_back(quantity)

    # ------------------------------------------------------------ closed months and payouts

    def check_closed_months(self) -> None:
        """Each closed month named once, and a month the shop can keep (2000 to 2100)."""
        seen: dict[str, str] = {}
        months = self.data.get("closed_months")
        for index, month in enumerate(months if is_list(months) else []):
            if not isinstance(month, str) or _month_bounds(month) is None:
                continue  # the schema's to report
            path = pointer("closed_months", index)
            if month in seen:
                self.report(path, f"{month} is closed twice (also at {seen[month]}).")
            elif not 2000 <= int(month[:4]) <= 2100:
                self.report(path, f"{month} is out of range: the shop keeps 2000 to 2100.")
            seen.setdefault(month, path)

    def first_active_month(self) -> str | None:
        """The first month with a sale, a refund, a shift or an expense: the first to close."""
        moments = [sale.at for sale in self.sales_at.values() if sale.at is not None]
        moments += [
            at
            for section, key in (("refunds", "at"), ("shifts", "opened_at"))
            for _path, entry in entries(self.data, section)
            if (at := moment_of(entry, key)) is not None
        ]
        months = [month_key(at.astimezone(self.tz).date()) for at in moments]
        months += [
            month_key(day)
            for _path, entry in entries(self.data, "expenses")
            if (day := day_of(entry, "on")) is not None
        ]
        # A count's compensation is an expense of the day it closed.
        months += [
            month_key(count.closed_at.astimezone(self.tz).date())
            for count in self.counts.values()
            if count.closed_at is not None and count.pays
        ]
        return min(months, default=None)

    def replay_close(self, event: Event) -> None:
        """A month closes in order (the first month with anything in it, then each next
        one), with no shift of it still open; its figures are worked out as it closes."""
        month, path = event.entry["month"], event.path
        if month in self.closed or not 2000 <= int(month[:4]) <= 2100:
            return  # reported by check_closed_months
        if self.closed:
            expected = _next_month(self.closed[-1])
        else:
            expected = self.first_active
            if expected is None or month < expected:
                self.report(
                    path,
                    f"Nothing happens in {month} or before it, so there is nothing to close"
                    + (f": the first month to close is {expected}." if expected else "."),
                )
                return
        if month != expected:
            self.report(
                path,
                f"{month} cannot be closed before {expected}: months close in order, each "
                "after the one before it.",
            )
        _first, last = _month_bounds(month)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz)
        for shifts in self.shifts.values():
            for shift in shifts:
                if shift.opened_at < end and shift.closed_at is None:
                    self.report(
                        path,
                        f"The shift at {shift.path} is still open, so {month} cannot be "
                        "closed: give the shift its closed_at.",
                    )
        self.closed.append(month)
        self.due[month] = None
        if self.problems or not self.schema_sound:
            self.carried = None  # the history is not sound: its figures would mislead
            return
        figures = sharing.month_figures(self.month_input(month))
        self.due[month] = {m.member: m.due_dong for m in figures.members}
        self.carried = figures

    def month_input(self, month: str) -> sharing.MonthInput:
        """``month``'s totals from the replayed history (what the month service loads from
        the database), with the loss and balances the month before carried on."""
        first, last = _month_bounds(month)
        start = datetime.combine(first, time(0), tzinfo=self.tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz)
        pool, consignment = self.month_sales(start, end)
        refunded_pool = self.month_refunds(start, end, consignment)
        compensation = self.month_compensation(first, last)
        previous = self.carried if self.closed[-2:-1] == [_previous_month(month)] else None
        brought = {m.member: m.due_dong - self.paid[(_previous_month(month), m.member)]
                   for m in previous.members} if previous else {}  # fmt: skip
        members = self.month_members(
            first,
            last,
            consignment=consignment,
            minutes=self.month_minutes(start, end),
            brought=brought,
            compensation=compensation,
        )
        policy = policy_for_month(self.policies, month)
        return sharing.MonthInput(
            pool_sales_dong=pool - refunded_pool,
            expenses_dong=self.month_expenses(first, last),
            brought_loss_dong=previous.carried_loss_dong if previous else 0,
            members=tuple(members),
            settings=sharing.SharingSettings(policy.reserve_bp, policy.equal_bp),
        )

    def month_sales(self, start: datetime, end: datetime) -> tuple[int, dict[int, int]]:
        """The pool's share and each consignor's share of the month's sales not voided."""
        pool = 0
        consignment: dict[int, int] = defaultdict(int)
        for sale in self.sales_at.values():
            if sale.void is not None or sale.at is None or not start <= sale.at < end:
                continue
            for line in sale.lines:
                net = line.net_dong or 0
                if line.owner is None:
                    pool += net
                else:
                    split = owner_split(net, line.consignor_bp or 0)
                    consignment[line.owner] += split
                    pool += net - split
        return pool, consignment

    def month_refunds(self, start: datetime, end: datetime, consignment: dict[int, int]) -> int:
        """What the month's refunds take from the pool; what they take from each consignor
        is taken from ``consignment`` here."""
        pool = 0
        for at, line, amount, after in self.refunds_done:
            if not start <= at < end:
                continue
            loss = 0
            if line.owner is not None:
                loss = refund_owner_loss(after, after - amount, line.consignor_bp or 0)
                consignment[line.owner] -= loss
            pool += amount - loss
        return pool

    def month_expenses(self, first: date, last: date) -> int:
        """The month's expenses, with what the counts' closes paid members for lost items."""
        expenses = sum(
            whole(entry, "amount_dong") or 0
            for _path, entry in entries(self.data, "expenses")
            if (day := day_of(entry, "on")) is not None and first <= day <= last
        )
        return expenses + sum(
            paid for day, _member, paid in self.compensations if first <= day <= last
        )

    def month_compensation(self, first: date, last: date) -> dict[int, int]:
        """What the counts' closes paid each member in the month: part of her earned too."""
        compensation: dict[int, int] = defaultdict(int)
        for day, number, paid in self.compensations:
            if first <= day <= last and number is not None:
                compensation[number] += paid
        return compensation

    def month_minutes(self, start: datetime, end: datetime) -> dict[int, int]:
        """Each member's work minutes in the shifts she opened in the month and closed."""
        minutes: dict[int, int] = defaultdict(int)
        for number, shifts in self.shifts.items():
            for shift in shifts:
                if start <= shift.opened_at < end and shift.closed_at is not None:
                    minutes[number] += sharing.shift_work_minutes(shift.opened_at, shift.closed_at)
        return minutes

    def month_members(
        self,
        first: date,
        last: date,
        *,
        consignment: dict[int, int],
        minutes: dict[int, int],
        brought: dict[int, int],
        compensation: dict[int, int],
    ) -> list[sharing.MemberInput]:
        """The month's members: the eligible, and any other with something in the month."""
        members = []
        for number, member in sorted(self.members.items()):
            is_eligible = member.joined_on is not None and sharing.eligible(
                member.joined_on, member.left_on, first, last
            )
            if not (
                is_eligible
                or number in consignment
                or minutes.get(number)
                or brought.get(number)
                or compensation.get(number)
            ):
                continue
            members.append(
                sharing.MemberInput(
                    member=number,
                    eligible=is_eligible,
                    work_minutes=minutes.get(number, 0),
                    consignment_dong=consignment.get(number, 0),
                    brought_forward_dong=brought.get(number, 0),
                    compensation_dong=compensation.get(number, 0),
                )
            )
        return members

    def replay_payout(self, event: Event) -> None:
        """A payout to a member, against a month closed by then whose next month is not,
        paid after the month ended, never above what is still due to her."""
        entry, path = event.entry, event.path
        number, month = whole(entry, "member"), text_of(entry, "month")
        amount, paid_on = whole(entry, "amount_dong"), day_of(entry, "paid_on")
        if None in (number, month, amount, paid_on) or _month_bounds(month) is None:
            return  # the schema's to report
        if month not in self.closed:
            self.report(
                child(path, "month"),
                f"{month} is not closed by then: a month is paid out after it is closed "
                "(name it in closed_months).",
            )
            return
        following = _next_month(month)
        if following in self.closed:
            self.report(
                child(path, "paid_on"),
                f"{following} is closed by {paid_on} too: a payout against {month} is paid "
                f"before {following} closes.",
            )
            return
        _first, last = _month_bounds(month)
        if paid_on <= last:
            self.report(
                child(path, "paid_on"),
                f"A payout against {month} is paid after the month has ended, not on {paid_on}.",
            )
            return
        due = self.due.get(month)
        if due is not None and number in self.members:
            payable = sharing.payable_dong(due.get(number, 0), self.paid[(month, number)])
            if amount > payable:
                self.report(
                    child(path, "amount_dong"),
                    f"At most {payable} đồng can still be paid to member {number} for {month} "
                    f"(her due is {due.get(number, 0)} đồng), not {amount}."
                    if payable
                    else f"Nothing is due to member {number} for {month} by then "
                    f"(her due is {due.get(number, 0)} đồng).",
                )
                return
        self.paid[(month, number)] += amount
        self.replay_corrections(entry, path, month, number, amount, paid_on)

    def replay_corrections(
        self, entry: dict, path: str, month: str, number: int, amount: int, paid_on: date
    ) -> None:
        """A payout's corrections, as the import makes them right after it: all of them
        together never above the payout; what they take back is no longer paid. (Who made
        each, why and when: :meth:`check_payouts`.)"""
        corrections = entry.get("corrections")
        taken = 0
        for index, correction in enumerate(corrections if is_list(corrections) else []):
            if not isinstance(correction, dict):
                continue  # the schema's to report
            here = child(path, "corrections", index)
            part = whole(correction, "amount_dong")
            if part is None or part <= 0:
                continue  # the schema's to report
            if taken + part > amount:
                self.report(
                    child(here, "amount_dong"),
                    f"At most {amount - taken} đồng of this payout ({amount} đồng) is left to "
                    f"take back, not {part}.",
                )
                continue
            taken += part
            self.paid[(month, number)] -= part

    # ------------------------------------------------------------ stock counts

    def check_counts(self) -> None:
        """Each stock count by itself: its number once, opened and closed by a coordinator
        then, closed after it opened and with whom, decisions only once closed; its
        categories spelt as the items spell them; its scans (:meth:`check_scans`) and its
        decisions (:meth:`check_decisions`). Then, between them: one count open at a time
        (the next opens after the one before closed, and only the last is left open), and
        numbers going up as they open."""
        spellings = self.category_spellings()
        shop = self.data.get("shop")
        shop_rule = shop.get("lost_item_pays") if isinstance(shop, dict) else None
        numbers: dict[int, str] = {}
        for path, entry in entries(self.data, "counts"):
            number = whole(entry, "number")
            if number is not None:
                self.once(numbers, number, path, "number", f"Count number {number} is used twice")
            name = f"Count {number}" if number is not None else "This count"
            opened_at, closed_at = moment_of(entry, "opened_at"), moment_of(entry, "closed_at")
            for key, verb in (("opened", "opens"), ("closed", "closes")):
                doing = f"{verb} a stock count"
                by, day = whole(entry, f"{key}_by"), self.day(entry, f"{key}_at")
                self.coordinator(child(path, f"{key}_by"), by, day, doing)
            closed = self.count_closing(entry, path, name, opened_at, closed_at)
            self.text(entry, path, "note", NOTE_LENGTH)
            categories = self.count_categories(entry, path, spellings)
            if opened_at is None or (closed and closed_at is None):
                self.unreadable.add("counts")
                continue
            rule = text_of(entry, "lost_item_pays") or shop_rule or LostItemPays.OWNER_SPLIT
            rule = LostItemPays(rule) if rule in set(LostItemPays) else LostItemPays.OWNER_SPLIT
            count = _Count(path, number, opened_at, closed_at if closed else None, categories, rule)
            if count.closed_at is not None and count.closed_at <= opened_at:
                # Reported by count_closing; its scans are not judged against it.
                count.closed_at, count.sound = None, False
            self.check_scans(entry, count, name)
            self.check_decisions(entry, count)
            self.counts[path] = count
        self.check_count_order()

    def coordinator(self, path: str, number: int | None, day: date | None, doing: str) -> None:
        """Report at ``path`` unless member ``number`` was a member on ``day`` and is a
        coordinator."""
        self.member_on(path, number, day)
        member = self.members.get(number) if number is not None else None
        if member is not None and not member.coordinator:
            self.report(path, f"Member {number} is not a coordinator: only a coordinator {doing}.")

    def count_closing(
        self,
        entry: dict,
        path: str,
        name: str,
        opened_at: datetime | None,
        closed_at: datetime | None,
    ) -> bool:
        """Whether the count is closed: a close says when and who, after it opened; only a
        closed count has decisions."""
        given = [key for key in ("closed_at", "closed_by") if key in entry]
        if len(given) == 1:
            self.report(
                child(path, given[0]),
                "A count's close says both when (closed_at) and who (closed_by).",
            )
        if not given and "decisions" in entry:
            self.report(
                child(path, "decisions"),
                f"{name} is still open: its differences are decided when it closes "
                "(give its closed_at and closed_by).",
            )
        if opened_at is not None and closed_at is not None and closed_at <= opened_at:
            self.report(
                child(path, "closed_at"),
                f"{name} cannot close at {self.shown(closed_at)}, not after it opened at "
                f"{self.shown(opened_at)}.",
            )
        return bool(given)

    def category_spellings(self) -> dict[str, set[str]]:
        """How the items and lots write each category (by its tidied, casefolded name)."""
        found: dict[str, set[str]] = defaultdict(set)
        for _path, intake in entries(self.data, "intakes"):
            for key in ("items", "lots"):
                for _item_path, item in entries(intake, key):
                    name = text_of(item, "category")
                    if name is not None:
                        found[_category_key(name)].add(name)
        return found

    def count_categories(
        self, entry: dict, path: str, spellings: dict[str, set[str]]
    ) -> set[str] | None:
        """The count's categories (tidied, casefolded), each once, written as the items write
        it (the shop knows a category by one name); ``None`` for the whole rail."""
        names = entry.get("categories")
        if not is_list(names):
            return None
        chosen: dict[str, str] = {}
        for index, name in enumerate(names):
            if not isinstance(name, str):
                continue  # the schema's to report
            where = child(path, "categories", index)
            self.length(where, collapse(name), CATEGORY_LENGTH)
            key = _category_key(name)
            written = spellings.get(key, set())
            if key in chosen:
                self.report(where, f"Category {name!r} is counted twice (also at {chosen[key]}).")
            elif written and name not in written:
                self.report(
                    where,
                    f"Category {name!r} is written {sorted(written)[0]!r} by the items: write "
                    "it the same way.",
                )
            chosen.setdefault(key, where)
        return set(chosen) or None

    def check_scans(self, entry: dict, count: _Count, name: str) -> None:
        """Each scan: its id once in the count, its code as the shop keeps it, pieces only
        of a lot, by a member then, taken in while the count was open and not before the
        phone scanned it, taken back (when and by whom: its scanner or a coordinator) after
        it came in and before the count closed."""
        ids: dict[str, str] = {}
        for path, scan in entries(entry, "scans", count.path):
            client_id = text_of(scan, "client_id")
            if client_id is not None and client_id in ids:
                self.report(
                    child(path, "client_id"),
                    f"Scan id {client_id} is used twice in {name.lower()} (the other is at "
                    f"{ids[client_id]}).",
                )
            elif client_id is not None:
                ids[client_id] = path
            if client_id is None or ids[client_id] != path:
                count.sound = False
            code = self.count_code(scan, path)
            by = whole(scan, "by")
            self.member_on(child(path, "by"), by, self.day(scan, "received_at"))
            pieces = self.scan_pieces(scan, path, code)
            scanned_at = moment_of(scan, "scanned_at")
            received_at = moment_of(scan, "received_at")
            if scanned_at and received_at and scanned_at > received_at:
                self.report(
                    child(path, "scanned_at"),
                    f"The phone scanned it at {self.shown(scanned_at)}, after the shop took it "
                    f"in ({self.shown(received_at)}).",
                )
            if received_at is not None:
                self.within_count(child(path, "received_at"), received_at, count, name, "comes in")
            self.check_withdrawal(scan, path, by, received_at, count, name)
            if None in (code, pieces, scanned_at, received_at):
                count.sound = False
            else:
                count.scans[path] = _Scan(path, code, pieces, min(scanned_at, received_at))

    def count_code(self, entry: dict, path: str) -> str | None:
        """A scan's or a decision's code, if it is written as the shop keeps it."""
        code = text_of(entry, "code")
        if code is not None and collapse(code) != code:
            self.report(
                child(path, "code"),
                f"{code!r} has spaces at its ends or twice in a row: the shop keeps a tag's "
                "text tidied.",
            )
            return None
        return code

    def scan_pieces(self, scan: dict, path: str, code: str | None) -> int | None:
        pieces = whole_or(scan, "pieces", 1)
        stock = self.stock.get(code) if code is not None else None
        if pieces is None or pieces == 1 or code is None or (stock is not None and stock.is_lot):
            return pieces
        if stock is None and "stock" not in self.unreadable:
            self.report(
                child(path, "pieces"), f"{code} is the tag of no item: it counts as one piece."
            )
        elif stock is not None:
            self.report(
                child(path, "pieces"),
                f"Only a lot is counted by pieces: {code} is one item.",
            )
        return None

    def within_count(self, path: str, at: datetime, count: _Count, name: str, happens: str) -> None:
        if at < count.opened_at:
            self.report(
                path,
                f"It {happens} at {self.shown(at)}, before {name.lower()} opened "
                f"({self.shown(count.opened_at)}).",
            )
            count.sound = False
        elif count.closed_at is not None and at > count.closed_at:
            self.report(
                path,
                f"It {happens} at {self.shown(at)}, after {name.lower()} closed "
                f"({self.shown(count.closed_at)}).",
            )
            count.sound = False

    def check_withdrawal(
        self,
        scan: dict,
        path: str,
        by: int | None,
        received_at: datetime | None,
        count: _Count,
        name: str,
    ) -> None:
        given = [key for key in ("withdrawn_at", "withdrawn_by") if key in scan]
        if len(given) == 1:
            self.report(
                child(path, given[0]),
                "A scan taken back says both when (withdrawn_at) and who (withdrawn_by).",
            )
        withdrawn_at = moment_of(scan, "withdrawn_at")
        if withdrawn_at is not None:
            if received_at is not None and withdrawn_at < received_at:
                self.report(
                    child(path, "withdrawn_at"),
                    f"It is taken back at {self.shown(withdrawn_at)}, before it came in "
                    f"({self.shown(received_at)}).",
                )
                count.sound = False
            happens = "is taken back"
            self.within_count(child(path, "withdrawn_at"), withdrawn_at, count, name, happens)
        taker = whole(scan, "withdrawn_by")
        self.member_on(child(path, "withdrawn_by"), taker, self.day(scan, "withdrawn_at"))
        member = self.members.get(taker) if taker is not None else None
        if member is not None and taker != by and not member.coordinator:
            self.report(
                child(path, "withdrawn_by"),
                f"Member {taker} did not scan it and is not a coordinator: only its scanner "
                "or a coordinator takes a scan back.",
            )

    def check_decisions(self, entry: dict, count: _Count) -> None:
        """Each decision by itself: its code once, a kind its difference allows, a note that
        fits. Whether it is one of the close's differences is for :meth:`replay_count_close`."""
        codes: dict[str, str] = {}
        for path, decision in entries(entry, "decisions", count.path):
            code = self.count_code(decision, path)
            if code is None:
                count.sound = False
            else:
                self.once(codes, code, path, "code", f"{code} is decided twice")
            if (whole(decision, "compensation_dong") or 0) > 0:
                count.pays = True
            self.text(decision, path, "note", NOTE_LENGTH)
            difference = known(text_of(decision, "difference"), set(Difference))
            kind = known(text_of(decision, "kind"), set(DecisionKind))
            if difference is not None and kind is not None:
                self.allowed(path, code or "it", Difference(difference), kind)

    def allowed(self, path: str, code: str, difference: Difference, kind: str) -> bool:
        choices = count_rules.CHOICES[difference]
        if kind in choices:
            return True
        self.report(
            child(path, "kind"),
            f"{kind} is not a choice for {code}, a {difference} difference: choose "
            f"{' or '.join(choices)}.",
        )
        return False

    def check_count_order(self) -> None:
        ordered = sorted(self.counts.values(), key=lambda c: c.opened_at)
        for before, after in pairwise(ordered):
            name = f"Count {after.number}" if after.number is not None else "This count"
            other = f"count {before.number} ({before.path})"
            if before.closed_at is None and before.sound:
                self.report(
                    child(after.path, "opened_at"),
                    f"{name} opens at {self.shown(after.opened_at)} while {other} is still "
                    "open: one count is open at a time.",
                )
                after.sound = False
            elif before.closed_at is not None and after.opened_at <= before.closed_at:
                self.report(
                    child(after.path, "opened_at"),
                    f"{name} opens at {self.shown(after.opened_at)}, before {other} closed at "
                    f"{self.shown(before.closed_at)}: one count is open at a time.",
                )
                after.sound = False
            if None not in (before.number, after.number) and after.number < before.number:
                self.report(
                    child(after.path, "number"),
                    f"Count numbers go up as counts open: {name.lower()} opens after {other}.",
                )

    def replay_scan(self, event: Event) -> None:
        """A scan comes in, or is taken back."""
        count = self.counts.get(event.path)
        path, _scan = event.scan
        scan = count.scans.get(path) if count is not None else None
        if scan is not None:
            scan.live = event.step == Step.COUNT_SCAN

    def replay_count_close(self, event: Event) -> None:
        """The close: the differences between the books and the scans as they are then, each
        decided once by a kind it allows, its pieces, value, compensation and owner as the
        shop works them out; then what each decision does to the stock."""
        count = self.counts.get(event.path)
        if count is None:
            return
        if not count.sound or self.counts_doubtful or "stock" in self.unreadable:
            self.counts_doubtful = True
            self.follow_close(count, event)
            return
        name = f"count {count.number}" if count.number is not None else "this count"
        found = {
            f.code: f
            for f in count_rules.differences(self.expected_in(count), self.counted_in(count))
        }
        decided: set[str] = set()
        for path, decision in entries(event.entry, "decisions", event.path):
            code = text_of(decision, "code")
            if code is None or code in decided:
                continue  # the schema's, or check_decisions', to report
            decided.add(code)
            difference = found.get(code)
            if difference is None:
                self.report(
                    child(path, "code"),
                    f"{code} is no difference when {name} closes: the books and its scans "
                    "agree on it then.",
                )
            else:
                self.judge_decision(count, difference, path, decision)
        for code, difference in found.items():
            if code not in decided:
                self.report(
                    child(event.path, "decisions"),
                    f"{code} ({difference.difference}) is left undecided: {name} closes with "
                    "a decision for each difference.",
                )
        # Anything wrong with it (here or in itself) puts the stock after it in doubt.
        inside = count.path + "/"
        if any(problem.path.startswith(inside) for problem in self.problems):
            self.counts_doubtful = True

    def follow_close(self, count: _Count, event: Event) -> None:
        """A close that is not judged, followed as its decisions say (so that what happens
        to their items later is judged as the file has it)."""
        for path, decision in entries(event.entry, "decisions", event.path):
            code = text_of(decision, "code")
            kind = known(text_of(decision, "kind"), set(DecisionKind))
            if code is not None and kind is not None:
                counted = whole(decision, "counted_pieces")
                paid = whole(decision, "compensation_dong") or 0
                self.apply_decision(count, code, path, DecisionKind(kind), counted, paid)

    def expected_in(self, count: _Count) -> list[count_rules.Expected]:
        """What the books have on the rail in the count's scope now, of what had come in
        when it opened."""
        expected = []
        for code, stock in self.stock.items():
            received_at = stock.intake.received_at
            if not stock.on_rail or received_at is None or received_at > count.opened_at:
                continue
            if count.categories is not None and stock.category not in count.categories:
                continue
            pieces = (stock.on_hand or 0) if stock.is_lot else 1
            expected.append(count_rules.Expected(code, stock.is_lot, pieces))
        return expected

    def counted_in(self, count: _Count) -> list[count_rules.Counted]:
        """What its scans (those not taken back) count of each code: a lot's pieces sold
        since its first scan, and when an item off the rail left it."""
        by_code: dict[str, list[_Scan]] = defaultdict(list)
        for scan in count.scans.values():
            if scan.live:
                by_code[scan.code].append(scan)
        firsts = {code: min(scan.scanned_at for scan in scans) for code, scans in by_code.items()}
        asked = {
            code
            for code in by_code
            if code in self.stock and (self.stock[code].is_lot or not self.stock[code].on_rail)
        }
        sold = self.sold_lines(asked, count.closed_at)
        counted = []
        for code, scans in by_code.items():
            stock = self.stock.get(code)
            first = firsts[code]
            sold_since, left_at = 0, None
            if stock is not None and stock.is_lot:
                sold_since = sum(
                    line.quantity or 0 for sale, line in sold.get(code, []) if sale.at > first
                )
            if stock is not None and not stock.on_rail:
                moments = [sale.at for sale, _line in sold.get(code, [])]
                left_at = max([*moments, stock.disposed_at], key=_no_moment_first)
            counted.append(
                count_rules.Counted(
                    code=code,
                    known=stock is not None,
                    is_lot=stock is not None and stock.is_lot,
                    pieces=sum(scan.pieces for scan in scans),
                    first_scan_at=first,
                    last_scan_at=max(scan.scanned_at for scan in scans),
                    sold_since_scan=sold_since,
                    left_at=left_at,
                )
            )
        return counted

    def sold_lines(
        self, codes: set[str], until: datetime | None
    ) -> dict[str, list[tuple[_Sale, _Line]]]:
        """The lines of ``codes`` in sales made by ``until`` and not voided by then (one
        pass over the sales, made only when a count closes: the sales are few next to
        what keeping each item's lines all along would hold)."""
        found: dict[str, list[tuple[_Sale, _Line]]] = defaultdict(list)
        if not codes or until is None:
            return found
        for sale in self.sales_at.values():
            if sale.voided or sale.at is None or sale.at > until:
                continue
            for line in sale.lines:
                if line.code in codes:
                    found[line.code].append((sale, line))
        return found

    def judge_decision(
        self, count: _Count, found: count_rules.Found, path: str, decision: dict
    ) -> None:
        """One decision against the difference it settles; then what it does."""
        code = found.code
        written = text_of(decision, "difference")
        if written in set(Difference) and written != found.difference:
            self.report(
                child(path, "difference"),
                f"{code} is a {found.difference} difference when the count closes, not {written}.",
            )
        kind = known(text_of(decision, "kind"), set(DecisionKind))
        if kind is None:
            return  # the schema's to report
        if kind not in found.choices:
            if written != found.difference:  # else reported by check_decisions already
                self.allowed(path, code, found.difference, kind)
            return
        for key, value in (
            ("expected_pieces", found.expected_pieces),
            ("counted_pieces", found.counted_pieces),
        ):
            given = whole(decision, key) if key in decision else None
            if given != value:
                said = "none" if value is None else value
                self.report(
                    child(path, key),
                    f"{key} of {code} is {said} when the count closes, not "
                    f"{'none' if given is None else given}.",
                )
        paid = self.judge_worth(count, found, path, decision, DecisionKind(kind))
        self.apply_decision(count, code, path, DecisionKind(kind), found.counted_pieces, paid)

    def judge_worth(
        self,
        count: _Count,
        found: count_rules.Found,
        path: str,
        decision: dict,
        kind: DecisionKind,
    ) -> int:
        """Its value, owner and compensation as the close works them out: the item's price
        then (markdown of its days in stock applied) for the pieces short, its owner then,
        and what the count's rule pays her for a loss. Returns the compensation."""
        stock = self.stock.get(found.code)
        value = paid = 0
        owner = None
        assert count.closed_at is not None  # only a closed count is replayed closing
        today = count.closed_at.astimezone(self.tz).date()
        if stock is not None:
            if stock.price_dong is None or stock.intake.received_at is None:
                return 0  # the schema's to report
            received_on = stock.intake.received_at.astimezone(self.tz).date()
            markdown = policy_for_month(self.policies, month_key(today)).markdown
            price = effective_price(stock.price_dong, days_in_stock(received_on, today), markdown)
            short = found.short_pieces
            owner, bp = self.owner_of(stock)
            value = price * short
            if kind in (DecisionKind.LOST, DecisionKind.QUANTITY):
                paid = count_rules.compensation(price, short, bp, count.rule)
        for key, due in (("value_dong", value), ("compensation_dong", paid)):
            given = whole_or(decision, key, 0)
            if given is not None and given != due:
                why = (
                    f"by the count's rule ({count.rule}), its owner is paid"
                    if key == "compensation_dong"
                    else "it is worth"
                )
                self.report(
                    child(path, key),
                    f"When the count closes {why} {due} đồng for {found.code}, not {given}.",
                )
        given_owner = whole(decision, "owner")
        if given_owner != owner and not ("owner" in decision and given_owner is None):
            self.report(
                child(path, "owner"),
                f"{found.code} is "
                + (f"member {owner}'s" if owner is not None else "the group's")
                + " when the count closes"
                + (f", not member {given_owner}'s." if given_owner is not None else "."),
            )
        return paid

    def apply_decision(
        self,
        count: _Count,
        code: str,
        path: str,
        kind: DecisionKind,
        counted: int | None,
        paid: int,
    ) -> None:
        """What a decision does to the stock, as the close does it: ``counted`` pieces of a
        lot, ``paid`` to its owner."""
        stock = self.stock.get(code)
        if stock is None or count.closed_at is None:
            return
        owner, _bp = self.owner_of(stock)
        if kind == DecisionKind.LOST:
            stock.left = ("lost", path)
            stock.disposed_at = count.closed_at
        elif kind == DecisionKind.QUANTITY:
            stock.on_hand = counted
        elif kind == DecisionKind.BACK_ON_RAIL:
            stock.sold = stock.left = None
            if stock.compensated and stock.consigned and stock.group_since is None:
                stock.owner_paid = path
            if stock.is_lot and not stock.on_hand:
                stock.on_hand = 1
        if paid > 0:
            stock.compensated = True
            self.compensations.append((count.closed_at.astimezone(self.tz).date(), owner, paid))

    # ------------------------------------------------------------ money spent

    def check_expenses(self) -> None:
        for path, entry in entries(self.data, "expenses"):
            self.member_on(child(path, "by"), whole(entry, "by"), day_of(entry, "on"))
            self.text(entry, path, "note", NOTE_LENGTH, tidy=raw)
            ref = text_of(entry, "intake")
            if ref is None:
                continue
            category = known(text_of(entry, "category"), _EXPENSE_CATEGORIES)
            intake = self.intakes.get(ref)
            if category is not None and category != "stock_purchase":
                self.report(
                    child(path, "intake"),
                    f"Only a stock_purchase expense names an intake; this one is {category}.",
                )
            elif intake is None:
                if "intakes" not in self.unreadable:
                    self.report(child(path, "intake"), f"There is no intake {ref}.")
            elif intake.kind is not None and intake.kind != "purchase":
                self.report(
                    child(path, "intake"),
                    f"Intake {ref} is a {intake.kind}, not a purchase: only a bought bale "
                    "has a cost.",
                )

    # ------------------------------------------------------------ texts

    def text(
        self,
        entry: dict,
        path: str,
        key: str,
        limit: int,
        *,
        required: bool = False,
        tidy: Callable[[str], str] = collapse,
    ) -> None:
        """Report a text longer than its column, or blank though ``required``.

        ``tidy`` is what the service does to the text before storing it; the limit applies to
        the result. A missing or empty required text is the schema's to report.
        """
        value = text_of(entry, key)
        if value is None:
            return
        tidied = tidy(value)
        if required and value and not tidied:
            self.report(child(path, key), f"{key} is only spaces; write something here.")
        self.length(child(path, key), tidied, limit)

    def length(self, path: str, value: str, limit: int) -> None:
        if len(value) > limit:
            self.report(
                path, f"{value[:20]!r}… is {len(value)} characters long; at most {limit} fit."
            )


#: ``progress(done, total)``: how far a check has got.
Progress = Callable[[int, int], None]


class _Ticker:
    """Counts a check's steps for ``progress(done, total)``: an entry of a list checked
    against the schema, an event replayed. How many events there are is known once the
    timeline is made; until then there are taken to be as many as entries."""

    def __init__(self, progress: Progress | None, entries: int, *, schema: bool):
        self.progress = progress
        self.done = 0
        self.total = entries * (2 if schema else 1)
        if progress is not None:
            progress(0, self.total)

    def __call__(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)

    def expect(self, steps: int) -> None:
        """``steps`` more steps are left (the events, once they are known)."""
        self.total = self.done + steps

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def check_journal(
    data: object,
    *,
    country_code: str = "84",
    progress: Progress | None = None,
    replay: bool = True,
) -> list[Problem]:
    """Every problem in the journal ``data`` (parsed JSON), or ``[]`` if it is sound.

    First the schema, with every error at its own path; then the file against itself:
    numbers, refs and codes unique; every member, donor, intake, sale and code it names
    exists; each party only on the kind of intake it belongs to; members acting only while
    they are members (joined on or before the local date, not left before it, in the shop's
    time zone). At the counter: one member's shifts never overlapping (the minute one closes
    and the next opens counts for both), a closed shift with its count; every sale inside a
    shift of its cashier, each discount with its reason and not above what it is taken from,
    its payments adding up to what its lines come to (Σ unit price × quantity − line
    discounts − sale discount), at most one cash payment, the cash handed over covering it;
    a void by a member, after its sale and before its shift closed; a refund of a line of
    its sale, after the sale, never above what is left of the line's net (its part of the
    whole-sale discount split by the largest remainder) nor its pieces, and never of a
    voided sale.

    Then the history is replayed in the order the import writes it
    (:func:`shop.journal.timeline.timeline`): an item is sold, repriced or disposed of only
    after it came in and while it is in stock (a unique item is in stock again after a void
    or a refund that restocks it; a lot's pieces are counted), a consigned item only goes
    back to its owner or to the group (once), a group item is only donated onward or written
    off. ``country_code`` is the shop's calling code, for comparing phone numbers as the
    shop stores them.

    Closed months and payouts are replayed in the same order (see
    :func:`shop.journal.timeline.timeline`): months close in order, from the first month
    with a sale, refund, shift or expense, each after everything dated in it and with none
    of its shifts still open; a payout is against a month closed by then whose next month is
    not, paid after the month ended, and never more than is still due to the member by
    docs/sharing.md (worked out as the month closes, when the history is otherwise sound).

    The bank inbox holds together: each transaction once per provider id; a reason only on a
    review; money in pays a sale and money out a refund or a payout; the sale a transaction
    pays is in the journal, has a transfer of exactly its amount and is paid by no other
    (and no member confirmed by hand a sale the bank confirmed); the refund or payout it
    paid is a transfer of the journal of its amount, paid by no other; a decision says when
    and who. A sale's ``confirmed_at`` and ``confirmed_by`` are only on a sale with a
    transfer part, not before the sale, by a member then.

    Stock counts (``counts``): each number once, going up as they open; opened and closed
    by a coordinator, the close with when and who, after the opening; one count open at a
    time, and only the last left open, with no decisions; its categories each once, spelt
    as the items spell them. Each scan's phone id once in its count, its tag tidied, pieces
    only of a lot, by a member, taken in while the count was open and not before the phone
    scanned it, taken back (by its scanner or a coordinator) after it came in and before
    the close. At the close, replayed in the timeline's order (sales between the scans
    included), the differences are worked out as the count service works them out
    (:func:`shop.domain.count.differences` over the books and the scans as they are then):
    each is decided exactly once, by a kind its difference allows, with its pieces, its
    value at the close (markdown applied), its owner and the compensation the count's rule
    (its ``lost_item_pays``, else the shop's) pays her; a decision of no difference is
    reported. What the decisions do (lost, pieces corrected, back on the rail, the group's
    if its owner was paid) is then the stock's history, and the compensations are expenses
    of their month. Once a count's close is found wrong, later closes are followed as
    written but not judged, so one fault is not reported again down the history.

    Nothing is looked at in a journal that nests lists and objects deeper than
    :data:`~shop.domain.text.MAX_JSON_DEPTH` (no journal goes past five): one problem says
    under which key.

    ``replay=False`` leaves out what the services refuse themselves when the history is
    written through them (the import's case): the replay, and what a sale's lines come to
    (a discount above what it is taken from, payments that do not add up). What is left is
    what the file shows by itself, which the services are not asked: its schema and texts'
    lengths, references and keys, the fields of each kind of entry, the order within an
    entry, who was a member and which shift was open when.

    ``data`` may be a journal read from a file by :func:`shop.journal.reader.read_journal`
    (its lists are then read back entry by entry); ``progress(done, total)``, if given, is
    called as the entries are checked against the schema (for such a journal) and as the
    history is replayed.
    """
    try:
        check_depth(data)
    except TooDeep as error:
        where = pointer(error.key) if error.key is not None else ""
        return [Problem(where, f"This nests lists and objects deeper than {MAX_JSON_DEPTH}.")]
    stored = isinstance(data, dict) and any(isinstance(v, Section) for v in data.values())
    lists = sum(len(v) for v in data.values() if is_list(v)) if isinstance(data, dict) else 0
    ticker = _Ticker(progress, lists, schema=stored)
    problems = schema_problems(data, tick=ticker if stored else None)
    if isinstance(data, dict):
        checker = _Checker(data, country_code, schema_sound=not problems, tick=ticker)
        problems += checker.run(replay)
    ticker.finish()
    return problems


# ---------------------------------------------------------------- reading values defensively


def entries(container: object, key: str, path: str = "") -> Iterable[tuple[str, dict]]:
    """``(path, entry)`` for each object in the list ``container[key]``; others are skipped.

    A list; for a :class:`~shop.journal.reader.Section` of a journal file, the entries one
    at a time as they are read back.
    """
    values = container.get(key) if isinstance(container, dict) else None
    if not is_list(values):
        return []
    section = child(path, key) if path else pointer(key)  # an index needs no escaping
    found = (
        (f"{section}/{index}", entry)
        for index, entry in enumerate(values)
        if isinstance(entry, dict)
    )
    return found if isinstance(values, Section) else list(found)


@lru_cache(maxsize=4096)  # a shop has tens of categories; a bad file, no more kept
def _category_key(name: str) -> str:
    """A category's name as the shop tells categories apart (one string for all its items)."""
    return collapse(name).casefold()


def _no_moment_first(moment: datetime | None) -> tuple[bool, datetime | None]:
    """A sort key putting ``None`` (no moment) before every moment."""
    return (moment is not None, moment)


def _month_bounds(month: str) -> tuple[date, date] | None:
    try:
        return sharing.month_bounds(month)
    except ValueError:
        return None


def _next_month(month: str) -> str:
    _first, last = sharing.month_bounds(month)
    return month_key(last + timedelta(days=1))


def _previous_month(month: str) -> str:
    first, _last = sharing.month_bounds(month)
    return month_key(first - timedelta(days=1))


def _transfer_of(sale: dict) -> int | None:
    """What a sale's transfer entries come to (``None`` where one is unreadable)."""
    total = 0
    for _path, payment in entries(sale, "payments"):
        if payment.get("method") == "transfer":
            amount = whole(payment, "amount_dong")
            if amount is None:
                return None
            total += amount
    return total


def known(value: str | None, values: set[str]) -> str | None:
    return value if value in values else None


def text_of(entry: dict, key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) else None


def whole(entry: dict, key: str) -> int | None:
    value = entry.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def whole_or(entry: dict, key: str, default: int) -> int | None:
    """``entry[key]`` as a whole number, ``default`` where the key is left out."""
    return whole(entry, key) if key in entry else default


def day_of(entry: dict, key: str) -> date | None:
    value = text_of(entry, key)
    try:
        return parse_day(value) if value is not None else None
    except ValueError:
        return None


def moment_of(entry: dict, key: str) -> datetime | None:
    value = text_of(entry, key)
    try:
        return parse_time(value) if value is not None else None
    except ValueError:
        return None
