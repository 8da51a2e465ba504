"""Is a journal sound? The schema first, then every reference and every step of its history.

:func:`check_journal` never touches a database: it reads the file alone and reports every
problem it finds, so one run tells the coordinator everything to fix. The checks mirror what
the services refuse (a price change on an item that left, a consigned item written off …),
so that an import that passes them does not stop half way.

The checks read the file defensively: a part that breaks the schema has already been
reported, and is skipped here rather than reported again in other words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shop.config import LANGUAGES
from shop.domain.phone import PhoneError, normalize_phone
from shop.journal.problems import Problem, child, pointer
from shop.journal.schema import schema_problems
from shop.journal.times import DEFAULT_TIMEZONE, parse_day, parse_time, zone
from shop.models import ExpenseCategory, IntakeKind

#: Most pieces a lot may hold (what the stock service accepts).
MAX_LOT_QUANTITY = 100_000

# Longest texts the columns hold, counted after spaces are tidied as the services tidy them.
# A longer text would be cut short (or refused by PostgreSQL), so it is reported instead.
_SHOP_NAME, _ADDRESS, _ACCOUNT_NAME = 120, 250, 120
_MEMBER_NAME = 120
_REF = 40
_DONOR_NAME, _DONOR_PHONE, _ORGANISATION = 120, 20, 120
_SUPPLIER = 120
_CATEGORY, _DESCRIPTION, _SIZE = 60, 200, 20
_REASON, _DISPOSAL_NOTE, _EXPENSE_NOTE = 200, 300, 300

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


@dataclass
class _Member:
    path: str
    joined_on: date | None
    left_on: date | None


@dataclass
class _Intake:
    path: str
    kind: str | None
    received_at: datetime | None
    owner: int | None


@dataclass
class _Stock:
    """An item or lot as the history has left it so far (while the events are replayed)."""

    path: str
    intake_ref: str
    intake: _Intake
    price_dong: int | None
    given_to_group: str | None = None  # path of the disposal that gave it to the group
    left: tuple[str, str] | None = None  # (kind, path) of the disposal that took it away

    @property
    def consigned(self) -> bool:
        return self.intake.kind == "consignment"


@dataclass
class _Checker:
    data: dict
    country_code: str
    problems: list[Problem] = field(default_factory=list)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    members: dict[int, _Member] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    donors: dict[str, str] = field(default_factory=dict)
    intakes: dict[str, _Intake] = field(default_factory=dict)
    stock: dict[str, _Stock] = field(default_factory=dict)
    # Lists with an entry whose number, ref or code is unreadable (the schema said so): a
    # reference to something missing may then be to that entry, and is not reported.
    unreadable: set[str] = field(default_factory=set)

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def run(self) -> list[Problem]:
        self.check_shop()
        self.check_policies()
        self.check_members()
        self.check_donors()
        self.check_intakes()
        self.check_events()
        self.check_expenses()
        return self.problems

    # ------------------------------------------------------------ shop and policies

    def check_shop(self) -> None:
        shop = self.data.get("shop")
        if not isinstance(shop, dict):
            return
        self.text(shop, "/shop", "name", _SHOP_NAME, required=True, tidy=strip)
        self.text(shop, "/shop", "address", _ADDRESS, tidy=strip)
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
            self.text(bank, "/shop/bank", "account_name", _ACCOUNT_NAME, required=True, tidy=raw)

    def check_policies(self) -> None:
        seen: dict[str, str] = {}
        for path, policy in entries(self.data, "policies"):
            month = text_of(policy, "from_month")
            if month is not None:
                if month in seen:
                    self.report(
                        child(path, "from_month"),
                        f"Two policies start in {month} (the other is at {seen[month]}).",
                    )
                else:
                    seen[month] = path
            steps: dict[int, str] = {}
            for step_path, step in entries(policy, "markdown", path):
                days = whole(step, "after_days")
                if days is None:
                    continue
                if days in steps:
                    self.report(
                        child(step_path, "after_days"),
                        f"Two markdown steps start after {days} days "
                        f"(the other is at {steps[days]}).",
                    )
                else:
                    steps[days] = step_path

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
                    self.members[number] = _Member(path, joined_on, left_on)
            if joined_on and left_on and left_on < joined_on:
                self.report(
                    child(path, "left_on"),
                    f"She cannot leave on {left_on} before she joined on {joined_on}.",
                )
            self.text(entry, path, "name", _MEMBER_NAME, required=True, tidy=strip)
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
                self.length(child(path, "ref"), ref, _REF)
            self.text(entry, path, "name", _DONOR_NAME, required=True)
            self.text(entry, path, "phone", _DONOR_PHONE, tidy=strip)
            self.text(entry, path, "organisation", _ORGANISATION, tidy=strip)

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
                self.length(child(path, "ref"), ref, _REF)
            self.member_on(child(path, "by"), whole(entry, "by"), day)
            self.check_parties(entry, path, kind, ref, day)
            for item_path, item in entries(entry, "items", path):
                self.check_stock(item, item_path, intake, ref)
                self.text(item, item_path, "size", _SIZE)
            for lot_path, lot in entries(entry, "lots", path):
                self.check_stock(lot, lot_path, intake, ref)
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
                self.length(child(path, "supplier"), supplier.strip(), _SUPPLIER)
        elif "supplier" in entry and kind is not None:
            self.report(
                child(path, "supplier"), f"Only a purchase names a supplier; {name} is a {kind}."
            )

    def check_stock(self, entry: dict, path: str, intake: _Intake, ref: str | None) -> None:
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
                self.stock[code] = _Stock(path, ref or "?", intake, whole(entry, "price_dong"))
        self.text(entry, path, "category", _CATEGORY, required=True)
        self.text(entry, path, "description", _DESCRIPTION)
        if "consignor_bp" in entry and intake.kind is not None and intake.kind != "consignment":
            self.report(
                child(path, "consignor_bp"),
                f"Only a consigned item has an owner's share; {ref or 'its intake'} is a "
                f"{intake.kind}.",
            )

    # ------------------------------------------------------------ what happened to the stock

    def check_events(self) -> None:
        """Replay price changes and disposals in time order, as the import will apply them.

        At the same moment a price change comes before a disposal; within each list the
        file's order holds.
        """
        timed: list[tuple[datetime, int, int, str, dict]] = []
        for order, section in enumerate(("price_changes", "disposals")):
            for index, (path, entry) in enumerate(entries(self.data, section)):
                at = moment_of(entry, "at")
                stock = self.stock_for(entry, path)
                self.member_on(
                    child(path, "by"),
                    whole(entry, "by"),
                    at.astimezone(self.tz).date() if at else None,
                )
                if section == "price_changes":
                    self.check_reason(entry, path)
                else:
                    self.text(entry, path, "note", _DISPOSAL_NOTE)
                if at is not None and stock is not None:
                    timed.append((at, order, index, path, entry))
        for at, order, _index, path, entry in sorted(timed, key=lambda event: event[:3]):
            stock = self.stock[entry["code"]]
            code = entry["code"]
            received_at = stock.intake.received_at
            if received_at is not None and at < received_at:
                self.report(
                    child(path, "at"),
                    f"{entry['at']} is before item {code} came in with intake "
                    f"{stock.intake_ref} ({received_at.astimezone(self.tz).isoformat()}).",
                )
            if stock.left is not None:
                kind, left_path = stock.left
                self.report(
                    child(path, "at"),
                    f"Item {code} had already left the stock by then ({kind} at {left_path}).",
                )
                continue
            if order == 0:
                self.price_change(stock, code, path, entry)
            else:
                self.disposal(stock, code, path, entry)

    def check_reason(self, entry: dict, path: str) -> None:
        # A reason may be left out (another system may not keep one); it must still fit.
        self.text(entry, path, "reason", _REASON)

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
        group_choice = kind in ("donated_onward", "written_off")
        if group_choice and stock.consigned and stock.given_to_group is None:
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

    # ------------------------------------------------------------ money spent

    def check_expenses(self) -> None:
        for path, entry in entries(self.data, "expenses"):
            self.member_on(child(path, "by"), whole(entry, "by"), day_of(entry, "on"))
            self.text(entry, path, "note", _EXPENSE_NOTE, tidy=raw)
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


def check_journal(data: object, *, country_code: str = "84") -> list[Problem]:
    """Every problem in the journal ``data`` (parsed JSON), or ``[]`` if it is sound.

    First the schema, with every error at its own path; then the file against itself:
    numbers, refs and codes unique; every member, donor, intake and code it names exists;
    each party only on the kind of intake it belongs to; members acting only while they are
    members (joined on or before the local date, not left before it, in the shop's time zone);
    price changes and disposals replayed in time order after the item came in and not after
    it left, a consigned item only going back to its owner or to the group (once), a group
    item only donated onward or written off. ``country_code`` is the shop's calling code, for
    comparing phone numbers as the shop stores them.

    Sections that cannot be imported yet (sales, shifts …) are checked against the schema
    only.
    """
    problems = schema_problems(data)
    if isinstance(data, dict):
        problems += _Checker(data, country_code).run()
    return problems


# ---------------------------------------------------------------- reading values defensively


def entries(container: object, key: str, path: str = "") -> list[tuple[str, dict]]:
    """``(path, entry)`` for each object in the list ``container[key]``; others are skipped."""
    if not isinstance(container, dict) or not isinstance(container.get(key), list):
        return []
    return [
        (child(path, key, index) if path else pointer(key, index), entry)
        for index, entry in enumerate(container[key])
        if isinstance(entry, dict)
    ]


def known(value: str | None, values: set[str]) -> str | None:
    return value if value in values else None


def text_of(entry: dict, key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) else None


def whole(entry: dict, key: str) -> int | None:
    value = entry.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
