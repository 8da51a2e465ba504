"""A journal read into an empty shop, through the same services the pages use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop import collector
from shop.domain import bank as bank_rules
from shop.domain.count import DecisionKind, LostItemPays
from shop.journal.check import check_journal
from shop.journal.policies import policy_of
from shop.journal.problems import JournalInvalid, Problem, ShopNotEmpty, child, pointer
from shop.journal.reader import is_list
from shop.journal.timeline import Event, Step, timeline
from shop.journal.times import DEFAULT_TIMEZONE, parse_day, parse_time, zone
from shop.messages import not_found_at_count
from shop.models import (
    BankTransaction,
    ClosedMonth,
    Condition,
    DisposalKind,
    Donor,
    Expense,
    ExpenseCategory,
    Intake,
    IntakeKind,
    Item,
    Member,
    PaymentMethod,
    Payout,
    PolicyRow,
    Refund,
    Role,
    Sale,
    SaleLine,
    Shift,
    ShopProfile,
    StockCount,
)
from shop.services import bank as bank_service
from shop.services import counter, numbering
from shop.services import counts as count_service
from shop.services import expenses as expense_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import stock as stock_service
from shop.services.errors import ShopError
from shop.services.policy import record_policy


@dataclass(frozen=True)
class ImportSummary:
    """How many entries of each section an import wrote."""

    policies: int = 0
    members: int = 0
    donors: int = 0
    intakes: int = 0
    items: int = 0
    lots: int = 0
    price_changes: int = 0
    disposals: int = 0
    shifts: int = 0
    sales: int = 0
    voids: int = 0
    refunds: int = 0
    expenses: int = 0
    payouts: int = 0
    closed_months: int = 0
    bank_transactions: int = 0
    stock_counts: int = 0

    def __str__(self) -> str:
        return (
            f"{_count(self.members, 'member')}, {_count(self.donors, 'donor')}, "
            f"{_count(self.intakes, 'intake')} ({_count(self.items, 'item')}, "
            f"{_count(self.lots, 'lot')}), {_count(self.price_changes, 'price change')}, "
            f"{_count(self.disposals, 'disposal')}, {_count(self.shifts, 'shift')}, "
            f"{_count(self.sales, 'sale')} ({self.voids} voided), "
            f"{_count(self.refunds, 'refund')}, {_count(self.expenses, 'expense')}, "
            f"{_count(self.payouts, 'payout')}, "
            f"{_count(self.closed_months, 'closed month')}, "
            f"{_count(self.policies, 'policy', 'policies')}, "
            f"{_count(self.bank_transactions, 'bank transaction')}, "
            f"{_count(self.stock_counts, 'stock count')}"
        )


def _count(number: int, word: str, words: str | None = None) -> str:
    return f"{number} {word if number == 1 else words or word + 's'}"


def import_journal(
    session: Session,
    data: object,
    *,
    app_config: Mapping[str, Any],
    keep_members: bool = False,
    progress: Progress | None = None,
    checking: Progress | None = None,
) -> ImportSummary:
    """Write the history in journal ``data`` into this empty shop; flush, never commit.

    Raises :class:`ShopNotEmpty` if the shop has any members, donors, stock, shifts, sales,
    expenses, policies or bank transactions, and :class:`JournalInvalid` with every problem
    :func:`check_journal` finds, plus one if the journal's time zone is not the shop's
    (``app_config["SHOP_TIMEZONE"]``): days and months would fall differently. Then nothing
    has been written.

    Otherwise it writes, through the services: the shop's profile, policies, members (with
    their numbers, without PINs), donors, intakes in ``received_at`` order with their items
    and lots, expenses by day; then the history replayed in time order
    (:func:`shop.journal.timeline.timeline`): shifts and stock counts opening, price
    changes, sales, voids, refunds, disposals, count scans, counts and shifts closing,
    months closing and payouts. The replay is what the counter would have done at each
    moment:

    - a shift is opened at its ``opened_at`` and closed at its ``closed_at`` with
      :func:`~shop.services.counter.close_shift`, so its expected cash is worked out from
      the sales and refunds written in it, as the counter works it out;
    - a sale keeps its number and prices, goes into the cashier's shift open at that moment
      (:func:`~shop.services.counter.shift_at`) and counts as paid: a transfer that was still
      waiting for its confirmation when the journal was written comes in confirmed. Its
      transfer is confirmed at the journal's ``confirmed_at`` (else at the sale's moment) by
      its ``confirmed_by`` (else by no member: the bank, or no one recorded);
    - a void goes through :func:`~shop.services.counter.void_sale` while its shift is still
      open (the journal's void lies within it, which :func:`check_journal` makes sure of);
    - a refund is of the first line of its sale with its code that has room for it, from
      the refunding member's shift open then. A cash refund by a member who had no shift
      open then is kept (a journal from paper may hold one) without a drawer;
    - a stock count is opened with :func:`~shop.services.counts.open_count` at its
      ``opened_at`` under its number, takes each scan through
      :func:`~shop.services.counts.record_scan` at the scan's ``received_at`` (and gives it
      back through :func:`~shop.services.counts.withdraw_scan` at its ``withdrawn_at``),
      and is closed with :func:`~shop.services.counts.close_count` at its ``closed_at``
      with the journal's decision (kind and note) for each code: the service finds the
      differences again from what the books hold then, and writes each lost item's
      disposal, each lot's pieces, each item back on the rail and each compensation
      itself, by the count's ``lost_item_pays`` or else the shop's. A count the journal
      leaves open stays open;
    - a closed month is closed with :func:`~shop.services.month.close_month` once
      everything dated in it is written: as its next month begins, or when the last shift
      that opened in it closes (see :func:`~shop.journal.timeline.month_closes`), by the
      lowest-numbered coordinator (a journal does not say who closed it);
    - a payout goes through :func:`~shop.services.month.record_payout` as its day begins
      (or as its month closes, if later), recorded by that coordinator too; so it is
      refused against a month that is not closed, or whose next month is closed by then,
      or above what is still due.

    Then the bank inbox (``bank_transactions``) is stored as it was, each transaction with
    what it did then (:func:`shop.services.bank.restore`), never matched again; the feed's
    settings come with the shop (``shop.bank_feed``), its keys are set again on this server.
    Then every counter the shop numbers things from (sales, donors, intakes, item codes)
    stands at the highest number imported (:func:`shop.services.numbering.carry_on`), so
    the next sale, donor, intake or item takes a number the journal did not use. Should a
    service still refuse something, the refusal is raised as :class:`JournalInvalid` at the
    entry's path; part of the journal has then been flushed, so the caller must roll back (it
    always commits or rolls back once, anyway).

    With ``keep_members`` the shop may already have members (the coordinator who set it up
    and imports through the API, say): each must be in the journal under her number and
    name; she keeps her PIN and takes the journal's details.

    ``data`` is parsed JSON, or a journal read from a file by
    :func:`shop.journal.reader.read_journal`, whose lists are read back entry by entry and
    never held whole. ``checking(done, total)``, if given, follows the check (see
    :func:`check_journal`); ``progress``, if given, is called as ``progress(done, total)``
    while the history is written: ``total`` entries (policies, members, donors, intakes,
    items, lots, expenses and the replay's events), ``done`` of them written so far. The
    session is flushed and emptied every :data:`BATCH` entries, so a long history does not
    pile up in memory.
    """
    if keep_members:
        problems = _member_mismatches(session, data)
        if problems:
            raise JournalInvalid(problems)
    if _has_history(session, ignore_members=keep_members):
        raise ShopNotEmpty(
            "The shop already has a history (members, stock, expenses or policies): "
            "a journal can only be imported into an empty shop."
        )
    shop_timezone = app_config["SHOP_TIMEZONE"]
    country_code = app_config["SHOP_COUNTRY_CODE"]
    with collector.older_objects_set_aside():  # the journal itself, above all
        problems = check_journal(data, country_code=country_code, progress=checking, replay=False)
        problems += _timezone_problems(data, shop_timezone)
        if problems:
            raise JournalInvalid(problems)
        assert isinstance(data, dict)  # check_journal has made sure
        return _Writer(session, ZoneInfo(shop_timezone), country_code, progress).write(data)


def _has_history(session: Session, *, ignore_members: bool = False) -> bool:
    models = (Donor, Intake, Item, Shift, Sale, Expense, PolicyRow, ClosedMonth, BankTransaction)
    models += (StockCount,)
    models += () if ignore_members else (Member,)
    return any(session.scalar(select(model.id).limit(1)) is not None for model in models)


def _member_mismatches(session: Session, data: object) -> list[Problem]:
    """Members of the shop that the journal does not hold under the same number and name."""
    entries = data.get("members") if isinstance(data, dict) else None
    named = {
        entry.get("number"): str(entry.get("name", "")).casefold().strip()
        for entry in (entries if is_list(entries) else [])
        if isinstance(entry, dict)
    }
    return [
        Problem(
            "/members",
            f"member {member.number} ({member.name}) of this shop is not in the journal "
            "under the same number and name",
        )
        for member in session.scalars(select(Member).order_by(Member.number))
        if named.get(member.number) != member.name.casefold().strip()
    ]


def _timezone_problems(data: object, shop_timezone: str) -> list[Problem]:
    shop = data.get("shop") if isinstance(data, dict) else None
    if not isinstance(shop, dict):
        return []
    name = shop.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(name, str) or name == shop_timezone or zone(name) is None:
        return []  # the same zone, or none at all (check_journal reports that)
    return [
        Problem(
            "/shop/timezone",
            f"The journal counts days in {name}, but this shop counts them in "
            f"{shop_timezone} (SHOP_TIMEZONE): its days and months would shift.",
        )
    ]


#: ``progress(done, total)``: how far an import has got.
Progress = Callable[[int, int], None]
#: Entries written between two flushes that empty the session.
BATCH = 2000
#: Events of a run (shifts opening and closing, price changes, sales, voids, refunds) written
#: together (:func:`counter.enter_past_run`), at most.
RUN_AT_ONCE = 500
#: What a run is made of: anything else is written by itself, between two runs.
RUN_STEPS = frozenset(
    {Step.SHIFT_OPENS, Step.SALE, Step.SHIFT_CLOSES, Step.PRICE_CHANGE, Step.VOID, Step.REFUND}
)
#: Intakes written together (:func:`stock.receive_intakes`), at most.
INTAKES_AT_ONCE = 100


class _Writer:
    """Writes a checked journal, section after section, keeping what later ones refer to.

    What later entries refer to is kept by id, not as loaded rows: every :data:`BATCH`
    entries the session is flushed and emptied (``expunge_all``), and a row is loaded again
    when it is needed, so a history of years does not keep every item and sale in memory.
    """

    def __init__(
        self, session: Session, tz: ZoneInfo, country_code: str, progress: Progress | None
    ):
        self.session = session
        self.tz = tz
        self.country_code = country_code
        self.progress = progress
        self.done = self.total = 0
        self.members: dict[int, int] = {}  # member id by number
        self.loaded: dict[int, Member] = {}  # the few members, held until the session empties
        self.keeper_number: int | None = None
        self.donors: dict[str, int] = {}  # ids by ref
        self.intakes: dict[str, int] = {}
        self.stock: dict[str, int] = {}  # item id by code
        self.shifts: dict[int, int] = {}  # shift id by index in the journal's shifts
        self.sales: dict[int, int] = {}  # sale id by number
        # Refunds and payouts by the key a bank transaction names them with: (id, amount)
        # of each, in the order they were written.
        self.refunds: dict[tuple, list[tuple[int, int]]] = {}
        self.payouts: dict[tuple, list[tuple[int, int]]] = {}
        self.paid_by_bank: set[tuple[str, int]] = set()  # ("refund"/"payout", id) taken
        self.stock_counts: dict[int, int] = {}  # count id by index in the journal's counts
        self.counts: dict[str, int] = dict.fromkeys(ImportSummary.__dataclass_fields__, 0)

    def member(self, number: int) -> Member:
        member = self.loaded.get(number)
        if member is None:
            member = self.session.get(Member, self.members[number])
            assert member is not None
            self.loaded[number] = member
        return member

    def advance(self, entries: int = 1) -> None:
        """Count ``entries`` as written; empty the session after each batch of them."""
        before, self.done = self.done, self.done + entries
        if before // BATCH != self.done // BATCH:
            self.session.flush()
            self.session.expunge_all()
            self.loaded.clear()
        if self.progress is not None:
            self.progress(self.done, self.total)

    def write(self, data: dict[str, Any]) -> ImportSummary:
        events = timeline(data)
        self.total = len(events) + sum(
            len(data.get(section, []))
            for section in ("policies", "members", "donors", "expenses", "bank_transactions")
        )
        self.total += sum(_size(intake) for intake in data.get("intakes", []))
        if self.progress is not None:
            self.progress(0, self.total)
        self.write_shop(data["shop"])
        for path, entry in _sorted(data, "policies", lambda e: e["from_month"]):
            with _refusal(path, entry):
                record_policy(self.session, entry["from_month"], policy_of(entry))
            self.counts["policies"] += 1
            self.advance()
        for path, entry in _sorted(data, "members", lambda e: e["number"]):
            self.write_member(path, entry)
            self.advance()
        self.keeper_number = self.keeper()
        for index, entry in enumerate(data.get("donors", [])):
            self.write_donor(pointer("donors", index), entry)
            self.advance()
        _together(
            list(_sorted(data, "intakes", lambda e: parse_time(e["received_at"]))),
            lambda batch: stock_service.receive_intakes(
                self.session, [self.past_intake(entry) for _path, entry in batch], tz=self.tz
            ),
            wrote=lambda place, written: self.wrote_intake(place[1], *written),
            alone=lambda place: self.write_intake(*place),
            at_once=INTAKES_AT_ONCE,
        )
        # Before the replay: an expense is dated by a day, and must be in before its month
        # closes.
        for path, entry in _sorted(data, "expenses", lambda e: parse_day(e["on"])):
            self.write_expense(path, entry)
            self.advance()
        writers = {
            Step.COUNT_OPENS: self.open_count,
            Step.COUNT_SCAN: self.write_scan,
            Step.SCAN_WITHDRAWN: self.withdraw_scan,
            Step.COUNT_CLOSES: self.close_count,
            Step.MONTH_CLOSES: self.close_month,
            Step.PAYOUT: self.write_payout,
        }
        # Events in a row that a service takes together: shifts, price changes, sales, voids
        # and refunds; disposals.
        together = {step: self.write_run for step in RUN_STEPS}
        together[Step.DISPOSAL] = self.write_disposals
        pending: list[Event] = []
        for event in events:
            bulk = together.get(event.step)
            if pending and (bulk != together[pending[0].step] or len(pending) >= RUN_AT_ONCE):
                together[pending[0].step](pending)
            if bulk is not None:
                pending.append(event)
                continue
            writers[event.step](event)
            self.advance()
        if pending:
            together[pending[0].step](pending)
        # After the history: what each transaction paid (sales, refunds, payouts) is in.
        for index, entry in enumerate(data.get("bank_transactions", [])):
            self.write_bank_transaction(pointer("bank_transactions", index), entry)
            self.advance()
        numbering.carry_on(self.session)
        self.session.flush()
        return ImportSummary(**self.counts)

    def write_shop(self, shop: dict[str, Any]) -> None:
        with _refusal("/shop", shop, {"shop_name": "name", "shop_address": "address"}):
            member_service.save_shop_profile(self.session, shop["name"], shop.get("address", ""))
        profile = self.session.get(ShopProfile, 1)
        assert profile is not None
        profile.locale = shop.get("locale", "vi")
        bank = shop.get("bank")
        profile.bank_bin = bank["bin"] if bank else None
        profile.bank_account = bank["account"] if bank else None
        profile.bank_account_name = bank["account_name"] if bank else None
        profile.receipt_footer = shop.get("receipt_footer", "")
        profile.lost_item_pays = LostItemPays(shop.get("lost_item_pays", "owner_split")).value
        feed = shop.get("bank_feed")
        if feed is not None:  # the keys are set again on this server, never in a journal
            settings = bank_service.bank_settings(self.session)
            settings.provider = feed.get("provider", "")
            settings.code_prefix = feed["code_prefix"]
            settings.check_days = feed["check_days"]
            since = feed.get("feed_since")
            settings.feed_since = parse_time(since) if since else None
            self.session.add(settings)
        self.session.flush()

    def write_member(self, path: str, entry: dict[str, Any]) -> None:
        details = member_service.MemberDetails(
            name=entry["name"],
            phone=entry.get("phone"),
            role=Role(entry.get("role", Role.MEMBER.value)),
            joined_on=parse_day(entry["joined_on"]),
            left_on=parse_day(entry["left_on"]) if entry.get("left_on") else None,
        )
        existing = self.session.scalar(select(Member).where(Member.number == entry["number"]))
        if existing is not None:  # kept with her PIN (see import_journal's keep_members)
            with _refusal(path, entry):
                member_service.update_member(
                    self.session, existing, details, country_code=self.country_code
                )
            self.members[existing.number] = existing.id
            self.counts["members"] += 1
            return
        with _refusal(path, entry):
            # No PIN travels in a journal: a coordinator sets each one after the import.
            member = member_service.create_member(
                self.session,
                details,
                None,
                country_code=self.country_code,
                number=entry["number"],
            )
        self.members[member.number] = member.id
        self.counts["members"] += 1

    def write_donor(self, path: str, entry: dict[str, Any]) -> None:
        details = stock_service.DonorDetails(
            name=entry["name"], phone=entry.get("phone"), organisation=entry.get("organisation")
        )
        with _refusal(path, entry, {"donor_name": "name"}):
            # Her phone as it was written: the history is taken as it is.
            donor = stock_service.create_donor(
                self.session, details, ref=entry["ref"], country_code=None
            )
        self.donors[donor.ref] = donor.id
        self.counts["donors"] += 1

    def intake_details(self, entry: dict[str, Any]) -> stock_service.IntakeDetails:
        return stock_service.IntakeDetails(
            kind=IntakeKind(entry["kind"]),
            received_at=parse_time(entry["received_at"]),
            donor_id=self.donors[entry["donor"]] if "donor" in entry else None,
            owner_number=entry.get("owner"),
            supplier=entry.get("supplier"),
            # No cost here: a bale's cost is the journal's own stock_purchase expense.
            cost_dong=None,
            cost_as_expense=True,
            note=entry.get("note", ""),
            ref=entry["ref"],
        )

    def stocked(self, entry: dict[str, Any]) -> list:
        """The intake's items, then its lots, as the stock service takes them."""
        return [
            stock_service.ItemDetails(
                category=item["category"],
                price_dong=item["price_dong"],
                description=item.get("description", ""),
                size=item.get("size"),
                condition=Condition(item.get("condition", Condition.GOOD.value)),
                code=item["code"],
                consignor_bp=item.get("consignor_bp"),
            )
            for item in entry.get("items", [])
        ] + [
            stock_service.LotDetails(
                category=lot["category"],
                price_dong=lot["price_dong"],
                quantity=lot["quantity"],
                description=lot.get("description", ""),
                code=lot["code"],
                consignor_bp=lot.get("consignor_bp"),
            )
            for lot in entry.get("lots", [])
        ]

    def past_intake(self, entry: dict[str, Any]) -> stock_service.PastIntake:
        return stock_service.PastIntake(
            self.intake_details(entry), self.member(entry["by"]), tuple(self.stocked(entry))
        )

    def write_intake(self, path: str, entry: dict[str, Any]) -> None:
        """One intake by itself, each refusal at its place in the file."""
        with _refusal(path, entry, {"donor_id": "donor"}):
            intake = stock_service.receive_intake(
                self.session, self.intake_details(entry), by=self.member(entry["by"]), tz=self.tz
            )
        items, lots = entry.get("items", []), entry.get("lots", [])
        # Checked one by one, written in one flush; the codes in use asked for at once.
        placing = stock_service.Placing(
            self.session, intake, codes=[e["code"] for e in (*items, *lots)]
        )
        places = [child(path, "items", i) for i in range(len(items))]
        places += [child(path, "lots", i) for i in range(len(lots))]
        for place, stocked, details in zip(
            places, (*items, *lots), self.stocked(entry), strict=True
        ):
            with _refusal(place, stocked):
                placing.add(details)
        with _refusal(path, entry):
            placed = placing.done()
        self.wrote_intake(entry, intake.id, placed)

    def wrote_intake(self, entry: dict[str, Any], intake_id: int, placed: list[int]) -> None:
        items, lots = entry.get("items", []), entry.get("lots", [])
        self.intakes[entry["ref"]] = intake_id
        self.counts["intakes"] += 1
        for entry_of_item, item_id in zip((*items, *lots), placed, strict=True):
            self.stock[entry_of_item["code"]] = item_id
        self.counts["items"] += len(items)
        self.counts["lots"] += len(lots)
        self.advance(_size(entry))

    def write_price_change(self, event: Event) -> None:
        path, entry = event.path, event.entry
        with _refusal(path, entry, {"code": "at"}):
            stock_service.change_price(
                self.session,
                self.item(entry["code"]),
                entry["price_dong"],
                by=self.member(entry["by"]),
                at=event.at,
                reason=entry.get("reason", ""),
                reason_required=False,
                tz=self.tz,
            )
        self.wrote_change(event)

    def write_disposals(self, events: list[Event]) -> None:
        """Disposals in a row, as many at once as :func:`stock.dispose_all` takes (see
        :func:`_together`); ``events`` is emptied."""
        _together(
            events,
            lambda batch: stock_service.dispose_all(
                self.session, [self.past_disposal(event) for event in batch], tz=self.tz
            ),
            wrote=self.wrote_disposal,
            alone=self.write_disposal,
            at_once=len(events),
        )

    def past_disposal(self, event: Event) -> stock_service.PastDisposal:
        entry = event.entry
        kind = DisposalKind(entry["kind"])
        return stock_service.PastDisposal(
            self.stock[entry["code"]],
            kind,
            by=self.member(entry["by"]),
            at=event.at,
            note=entry.get("note", ""),
            # The journal records that she gave it; her consent was asked back then.
            owner_consents=kind == DisposalKind.GIVEN_TO_GROUP,
        )

    def wrote_disposal(self, _event: Event, _item_id: int) -> None:
        self.counts["disposals"] += 1
        self.advance()

    def write_disposal(self, event: Event) -> None:
        path, entry = event.path, event.entry
        kind = DisposalKind(entry["kind"])
        with _refusal(path, entry, {"code": "at", "owner_consents": "kind"}):
            stock_service.dispose(
                self.session,
                self.item(entry["code"]),
                kind,
                by=self.member(entry["by"]),
                at=event.at,
                note=entry.get("note", ""),
                # The journal records that she gave it; her consent was asked back then.
                owner_consents=kind == DisposalKind.GIVEN_TO_GROUP,
                tz=self.tz,
            )
        self.wrote_disposal(event, 0)

    def stock_count(self, event: Event) -> StockCount:
        count = self.session.get(StockCount, self.stock_counts[event.index])
        assert count is not None
        return count

    def open_count(self, event: Event) -> None:
        entry = event.entry
        with _refusal(event.path, entry, {"count": "opened_at"}):
            categories = [
                stock_service.ensure_category(self.session, name).id
                for name in entry.get("categories", [])
            ]
            self.stock_counts[event.index] = count_service.open_count(
                self.session,
                by=self.member(entry["opened_by"]),
                at=event.at,
                category_ids=categories,
                note=entry.get("note", ""),
                number=entry["number"],
            ).id
        self.counts["stock_counts"] += 1

    def write_scan(self, event: Event) -> None:
        path, scan = event.scan
        with _refusal(path, scan, {"count": "received_at"}):
            count_service.record_scan(
                self.session,
                self.stock_count(event),
                code=scan["code"],
                client_id=scan["client_id"],
                by=self.member(scan["by"]),
                scanned_at=parse_time(scan["scanned_at"]),
                received_at=event.at,
                pieces=scan.get("pieces", 1),
            )

    def withdraw_scan(self, event: Event) -> None:
        path, scan = event.scan
        with _refusal(path, scan, {"count": "withdrawn_at"}):
            count_service.withdraw_scan(
                self.session,
                self.stock_count(event),
                scan["client_id"],
                by=self.member(scan["withdrawn_by"]),
                at=event.at,
            )

    def close_count(self, event: Event) -> None:
        """The count's close with its decisions as the journal has them: the service works
        out the differences again and writes each decision with its disposal, stock change
        and compensation, as the close did."""
        entry = event.entry
        decisions = {
            decision["code"]: count_service.Decided(
                DecisionKind(decision["kind"]), decision.get("note", "")
            )
            for decision in entry.get("decisions", [])
        }
        rule = entry.get("lost_item_pays")
        count = self.stock_count(event)
        with _refusal(event.path, entry, {"count": "closed_at"}):
            count_service.close_count(
                self.session,
                count,
                decisions,
                by=self.member(entry["closed_by"]),
                at=event.at,
                tz=self.tz,
                lost_reason=not_found_at_count(count.number),
                rule=LostItemPays(rule) if rule is not None else None,
            )

    def open_shift(self, event: Event) -> None:
        entry = event.entry
        with _refusal(event.path, entry, {"shift": "opened_at"}):
            self.shifts[event.index] = counter.open_shift(
                self.session,
                self.member(entry["member"]),
                entry["opening_float_dong"],
                at=event.at,
                tz=self.tz,
            ).id
        self.counts["shifts"] += 1

    def close_shift(self, event: Event) -> None:
        # After everything at or before its closed_at: the expected cash is worked out from
        # the sales and refunds written in it, as the counter works it out at the close.
        entry = event.entry
        with _refusal(event.path, entry, {"shift": "closed_at"}):
            counter.close_shift(
                self.session,
                self.session.get(Shift, self.shifts[event.index]),
                entry["counted_cash_dong"],
                at=event.at,
                by=self.member(entry["member"]),  # the journal does not say; she, most likely
            )
        self.note_count(event)

    def note_count(self, event: Event) -> None:
        """What she said about her count, once the shift is closed."""
        entry = event.entry
        if entry.get("count_note"):
            with _refusal(event.path, entry, {"note": "count_note"}):
                counter.note_count(
                    self.session,
                    self.session.get(Shift, self.shifts[event.index]),
                    entry["count_note"],
                    by=self.member(entry["member"]),
                )

    def write_run(self, events: list[Event]) -> None:
        """Shifts opening and closing, price changes, sales, voids and refunds in a row, as
        many at once as :func:`counter.enter_past_run` takes (see :func:`_together`);
        ``events`` is emptied."""

        def bulk(batch: list[Event]) -> list[int]:
            opening: dict[int, counter.ShiftOpens] = {}  # by the shift's index, in this batch
            return counter.enter_past_run(
                self.session, [self.past_event(event, opening) for event in batch], tz=self.tz
            )

        _together(events, bulk, wrote=self.wrote_run, alone=self.write_alone, at_once=len(events))

    def past_event(self, event: Event, opening: dict[int, counter.ShiftOpens]):
        """``event`` of a run as :func:`counter.enter_past_run` takes it."""
        if event.step == Step.SALE:
            return self.past_sale(event)
        entry = event.entry
        if event.step in (Step.PRICE_CHANGE, Step.VOID, Step.REFUND):
            return self.past_change(event)
        if event.step == Step.SHIFT_OPENS:
            opens = counter.ShiftOpens(
                self.member(entry["member"]), entry["opening_float_dong"], event.at
            )
            opening[event.index] = opens
            return opens
        return counter.ShiftCloses(
            self.shifts.get(event.index) or opening[event.index],
            entry["counted_cash_dong"],
            event.at,
            by=self.member(entry["member"]),  # the journal does not say; she, most likely
        )

    def past_change(self, event: Event):
        """A price change, void or refund of a run as :func:`counter.enter_past_run` takes
        it: as :meth:`write_price_change`, :meth:`write_void` and :meth:`write_refund` give
        it to the services."""
        entry = event.entry
        if event.step == Step.PRICE_CHANGE:
            return counter.PastPriceChange(
                entry["code"], entry["price_dong"], self.member(entry["by"]), event.at,
                entry.get("reason", ""),
            )  # fmt: skip
        if event.step == Step.VOID:
            void = entry["void"]
            by = self.member(void["by"])
            return counter.PastVoid(entry["number"], by, event.at, void["reason"])
        return counter.PastRefund(
            entry["sale"], entry["code"], entry["amount_dong"], entry.get("quantity", 1),
            PaymentMethod(entry["method"]), entry["reason"], entry.get("restock", True),
            self.member(entry["by"]), event.at,
        )  # fmt: skip

    def wrote_run(self, event: Event, written: int) -> None:
        if event.step == Step.SALE:
            self.wrote_sale(event, written)
            return
        if event.step == Step.SHIFT_OPENS:
            self.shifts[event.index] = written
            self.counts["shifts"] += 1
        elif event.step == Step.SHIFT_CLOSES:
            self.note_count(event)
        else:
            self.wrote_change(event, written)
        self.advance()

    def wrote_change(self, event: Event, written: int | None = None) -> None:
        """A price change, void or refund written, by a run or by itself (``written``: the
        refund's id; the others' is not kept)."""
        if event.step == Step.REFUND:
            assert written is not None
            self.wrote_refund(event, written)
        else:
            self.counts["price_changes" if event.step == Step.PRICE_CHANGE else "voids"] += 1

    def write_alone(self, event: Event) -> None:
        """An event of a run by itself, each refusal at its place in the file."""
        alone = {
            Step.SHIFT_OPENS: self.open_shift,
            Step.SHIFT_CLOSES: self.close_shift,
            Step.PRICE_CHANGE: self.write_price_change,
            Step.VOID: self.write_void,
            Step.REFUND: self.write_refund,
        }
        if event.step == Step.SALE:
            self.write_sale(event)
            return
        alone[event.step](event)
        self.advance()

    def past_sale(self, event: Event) -> counter.PastSale:
        entry = event.entry
        number = entry["number"]
        payments = entry["payments"]
        cash = next((p for p in payments if p["method"] == "cash"), None)
        request = counter.SaleRequest(
            lines=tuple(
                counter.LineRequest(
                    code=line["code"],
                    quantity=line.get("quantity", 1),
                    discount_dong=line.get("discount_dong", 0),
                    discount_reason=line.get("discount_reason", ""),
                    unit_price_dong=line["unit_price_dong"],
                    short_pieces=line.get("short_pieces", 0),
                )
                for line in entry["lines"]
            ),
            transfer_dong=sum(p["amount_dong"] for p in payments if p["method"] == "transfer"),
            tendered_dong=cash.get("tendered_dong", cash["amount_dong"]) if cash else None,
            cash_dong=cash["amount_dong"] if cash else 0,
            discount_dong=entry.get("discount_dong", 0),
            discount_reason=entry.get("discount_reason", ""),
            client_id=f"journal-{number}",
            number=number,
        )
        # A journal has no waiting transfers (see export): when and by whom, as it says; no
        # member when the bank confirmed it.
        confirmed_at, by = entry.get("confirmed_at"), entry.get("confirmed_by")
        return counter.PastSale(
            request,
            self.member(entry["cashier"]),
            event.at,
            confirmed=(
                parse_time(confirmed_at) if confirmed_at else event.at,
                self.member(by).id if by is not None else None,
            ),
        )

    def write_sale(self, event: Event) -> None:
        past = self.past_sale(event)
        with _refusal(event.path, event.entry, _SALE_FIELDS):
            # A sale outside any shift is kept in no drawer, as check_journal has reported.
            sale = counter.enter_past_sale(
                self.session,
                past.request,
                cashier=past.cashier,
                entered_by=past.cashier,
                at=event.at,
                tz=self.tz,
                shiftless=True,
            )
        if sale.transfer_dong > 0 and past.confirmed is not None:
            sale.confirmed_at, sale.confirmed_by_id = past.confirmed
        self.wrote_sale(event, sale.id)

    def wrote_sale(self, event: Event, sale_id: int) -> None:
        self.sales[event.entry["number"]] = sale_id
        self.counts["sales"] += 1
        self.advance()

    def write_void(self, event: Event) -> None:
        void = event.entry["void"]
        with _refusal(child(event.path, "void"), void, {"number": "at"}):
            counter.void_sale(
                self.session,
                self.sale(event.entry["number"]),
                by=self.member(void["by"]),
                at=event.at,
                reason=void["reason"],
                tz=self.tz,
            )
        self.wrote_change(event)

    def write_refund(self, event: Event) -> None:
        entry = event.entry
        sale = self.sale(entry["sale"])
        amount, quantity = entry["amount_dong"], entry.get("quantity", 1)
        by = self.member(entry["by"])
        shift = counter.shift_at(self.session, by, event.at)
        method = PaymentMethod(entry["method"])
        # The counter pays cash back only from an open drawer. A journal may hold a cash refund
        # made with no shift open (written down on paper, say): it is kept, in no drawer. The
        # service's own checks still apply; it is recorded as a transfer, then marked cash.
        drawerless = counter.drawerless_cash(method, shift)
        with _refusal(event.path, entry, {"number": "sale", "line": "code", "shift": "by"}):
            refund, _new = counter.refund_line(
                self.session,
                sale,
                self._line_of(sale, entry["code"], amount, quantity).position,
                amount_dong=amount,
                quantity=quantity,
                method=PaymentMethod.TRANSFER if drawerless else method,
                reason=entry["reason"],
                restock=entry.get("restock", True),
                by=by,
                at=event.at,
                shift=shift,
                tz=self.tz,
            )
        if drawerless:
            refund.method = PaymentMethod.CASH
        self.wrote_change(event, refund.id)

    def wrote_refund(self, event: Event, refund_id: int) -> None:
        entry = event.entry
        key = (entry["sale"], entry["code"], event.at)
        self.refunds.setdefault(key, []).append((refund_id, entry["amount_dong"]))
        self.counts["refunds"] += 1

    def write_bank_transaction(self, path: str, entry: dict[str, Any]) -> None:
        """A transaction of the inbox, stored as it was with what it did then: never matched
        again (see :func:`shop.services.bank.restore`)."""
        incoming = bank_rules.BankTransaction(
            provider=entry["provider"],
            provider_id=entry["provider_id"],
            direction=bank_rules.Direction(entry["direction"]),
            amount_dong=entry["amount_dong"],
            content=entry.get("content", ""),
            at=parse_time(entry["at"]),
            account=entry.get("account", ""),
            reference=entry.get("reference", ""),
            raw=entry.get("raw", ""),
        )
        amount = entry["amount_dong"]
        refund = payout = None
        if "refund" in entry:
            named = entry["refund"]
            key = (named["sale"], named["code"], parse_time(named["at"]))
            refund = self.session.get(Refund, self.paid(path, "refund", self.refunds, key, amount))
        if "payout" in entry:
            named = entry["payout"]
            key = (named["member"], named["month"], parse_day(named["paid_on"]))
            payout = self.session.get(Payout, self.paid(path, "payout", self.payouts, key, amount))
        resolved_at = entry.get("resolved_at")
        with _refusal(path, entry):
            bank_service.restore(
                self.session,
                incoming,
                via=entry["via"],
                signature_ok=entry["signature_ok"],
                received_at=parse_time(entry["received_at"]),
                outcome=bank_rules.Outcome(entry["outcome"]),
                reason=bank_rules.Reason(entry["reason"]) if "reason" in entry else None,
                suggestions=entry.get("suggestions", []),
                sale=self.sale(entry["sale"]) if "sale" in entry else None,
                pays_sale=entry.get("pays_sale", False),
                refund=refund,
                payout=payout,
                resolved_at=parse_time(resolved_at) if resolved_at else None,
                resolved_by=self.member(entry["resolved_by"]) if resolved_at else None,
                resolution=entry.get("resolution", ""),
            )
        self.counts["bank_transactions"] += 1

    def paid(self, path: str, kind: str, written: dict, key: tuple, amount: int) -> int:
        """The id of the first refund or payout written under ``key``, of ``amount``, that no
        other transaction paid (two alike are the same to the bank)."""
        for row_id, row_amount in written.get(key, []):
            if row_amount == amount and (kind, row_id) not in self.paid_by_bank:
                self.paid_by_bank.add((kind, row_id))
                return row_id
        raise JournalInvalid([Problem(child(path, kind), f"There is no such {kind} left to pay.")])

    def item(self, code: str) -> Item:
        item = self.session.get(Item, self.stock[code])
        assert item is not None
        return item

    def sale(self, number: int) -> Sale:
        # With its lines and their items: a refund looks for its line by the item's code.
        sale = self.session.get(Sale, self.sales[number], options=_SALE_WITH_LINES)
        assert sale is not None
        return sale

    def _line_of(self, sale: Sale, code: str, amount: int, quantity: int) -> SaleLine:
        """The line of ``sale`` with ``code`` that a refund of ``amount`` and ``quantity`` is of.

        Almost always the one line with that code. A lot rung up on two lines of one sale has
        two: the first with room left for the refund (as check_journal counts it).
        """
        lines = [line for line in sale.lines if line.item.code == code]
        return counter.refunded_line(
            lines, amount, quantity, lambda line: counter.refunded_so_far(self.session, line)
        )

    def write_expense(self, path: str, entry: dict[str, Any]) -> None:
        intake = (
            self.session.get(Intake, self.intakes[entry["intake"]]) if "intake" in entry else None
        )
        details = expense_service.ExpenseDetails(
            spent_on=parse_day(entry["on"]),
            category=ExpenseCategory(entry["category"]),
            amount_dong=entry["amount_dong"],
            note=entry.get("note", ""),
        )
        with _refusal(path, entry, {"spent_on": "on"}):
            expense_service.add_expense(
                self.session, details, by=self.member(entry["by"]), intake=intake
            )
        self.counts["expenses"] += 1

    def keeper(self) -> int | None:
        """Who closes the months and records the payouts of a journal, which does not say:
        the lowest-numbered coordinator, or the lowest-numbered member if there is none."""
        members = [self.member(number) for number in sorted(self.members)]
        coordinators = [m for m in members if m.role == Role.COORDINATOR]
        return min(coordinators or members, key=lambda m: m.number).number if members else None

    def close_month(self, event: Event) -> None:
        month = event.entry["month"]
        with _refusal(event.path, {}):  # the entry is the month itself: point at it
            month_service.close_month(
                self.session, month, by=self.member(self.keeper_number), at=event.at, tz=self.tz
            )
        self.counts["closed_months"] += 1

    def write_payout(self, event: Event) -> None:
        entry = event.entry
        with _refusal(event.path, entry):
            payout, _new = month_service.record_payout(
                self.session,
                self.member(entry["member"]),
                entry["month"],
                entry["amount_dong"],
                parse_day(entry["paid_on"]),
                PaymentMethod(entry.get("method", PaymentMethod.CASH.value)),
                self.member(self.keeper_number),
            )
        self.counts["payouts"] += 1
        key = (entry["member"], entry["month"], parse_day(entry["paid_on"]))
        self.payouts.setdefault(key, []).append((payout.id, entry["amount_dong"]))
        # Right after it: a correction only ever gives back room to pay, so making it
        # early never refuses a later payout, and it is in before the next month closes.
        for index, correction in enumerate(entry.get("corrections", [])):
            with _refusal(child(event.path, "corrections", index), correction):
                month_service.correct_payout(
                    self.session,
                    payout,
                    correction["amount_dong"],
                    correction["reason"],
                    by=self.member(correction["by"]),
                    at=parse_time(correction["at"]),
                    tz=self.tz,
                )


_SALE_WITH_LINES = (selectinload(Sale.lines).joinedload(SaleLine.item),)

# A sale refused by record_sale: its form's fields, as the journal's keys.
_SALE_FIELDS = {
    "code": "lines",
    "quantity": "lines",
    "price_dong": "lines",
    "discount_dong": "lines",
    "sale_discount_dong": "discount_dong",
    "transfer_dong": "payments",
    "tendered_dong": "payments",
    "shift": "at",
}


def _together(entries: list, bulk: Callable[[list], list], *, wrote, alone, at_once: int) -> None:
    """Write ``entries`` in order, ``at_once`` at most to a service's bulk entry, which takes
    them from the first on as long as it can (``wrote(entry, what it wrote)`` for each); the
    one it does not take is written ``alone`` (so a refusal names its own place in the file),
    and so on. ``entries`` is emptied."""
    while entries:
        batch = entries[:at_once]
        taken = bulk(batch)
        for entry, written in zip(batch, taken, strict=False):
            wrote(entry, written)
        done = len(taken)
        if done < len(batch):
            alone(batch[done])
            done += 1
        del entries[:done]


def _size(intake: dict[str, Any]) -> int:
    """An intake counts as one entry, and each of its items and lots as one more."""
    return 1 + len(intake.get("items", [])) + len(intake.get("lots", []))


def _sorted(data: dict[str, Any], section: str, key) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(path, entry)`` of a section ordered by ``key`` (ties in the file's order).

    Only the keys are held to sort them; each entry is fetched again as its turn comes
    (from the store, for a journal read from a file).
    """
    entries = data.get(section, [])
    keys = [key(entry) for entry in entries]
    for index in sorted(range(len(keys)), key=keys.__getitem__):
        yield pointer(section, index), entries[index]


@contextmanager
def _refusal(
    path: str, entry: dict[str, Any], fields: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Turn a service's refusal inside the block into :class:`JournalInvalid` at ``path``.

    The service names its form field; ``fields`` maps that to the journal's key where the
    two differ, and the problem points at the key when the entry has it.
    """
    try:
        yield
    except ShopError as error:
        key = (fields or {}).get(error.field or "", error.field)
        at = child(path, key) if key and key in entry else path
        raise JournalInvalid([Problem(at, _english(error.message))]) from error
    except ValueError as error:
        raise JournalInvalid([Problem(path, str(error))]) from error


def _english(message: object) -> str:
    # Services speak the shop's language; the journal's problems are all in English.
    with force_locale("en"):
        return str(message)
