"""The whole shop written out as one journal (schema "shop-journal", version 1).

:func:`export_journal` writes it section by section, each by its own writer below, in the
journal's order. A writer reads its table with one query of the columns the journal needs
(rows, not ORM objects: a three-year shop has tens of thousands of items, sales and sale
lines) and groups child rows in Python; what several sections name (members by number,
items by code, sales by number, …) is read once, by :class:`_Shop`.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable
from functools import cache, cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import collector
from shop.domain import count as count_rules
from shop.domain.count import DecisionKind
from shop.domain.pricing import Policy, month_key, policy_for_month
from shop.journal.policies import policy_entry
from shop.journal.problems import JournalError
from shop.journal.times import time_text
from shop.models import (
    BankSettings,
    BankTransaction,
    Category,
    ClosedMonth,
    CountDecision,
    CountScan,
    Disposal,
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
    PayoutCorrection,
    PolicyRow,
    PriceChange,
    Refund,
    Sale,
    SaleLine,
    Shift,
    ShopProfile,
    StockCount,
    Void,
)
from shop.models.count import stock_count_category
from shop.services.policy import policy_from_row

FORMAT = "shop-journal"
VERSION = 1

Entry = dict[str, Any]
#: A row of one of the queries below, as :meth:`_Shop.rows` gives it: a named tuple.
Row = Any


def export_journal(session: Session, *, timezone: ZoneInfo) -> dict[str, Any]:
    """The shop's whole history as a journal dict that passes :func:`check_journal`.

    Times are written in ``timezone`` (the shop's) with their offset, amounts in whole đồng,
    members by number, donors and intakes by ref, items and lots by code. Everything comes
    in a fixed order (policies by month, members by number, donors as they were added,
    intakes by ``received_at``, items and lots as they were tagged, price changes and
    disposals by ``at``, counts by number, shifts by ``opened_at``, sales by number,
    refunds by ``at``, expenses by date, payouts by the day they were paid, closed months
    oldest first, bank transactions as they were received; ties by the order they were
    recorded), and
    optional keys with nothing to say are left out, so exporting the same shop twice, or
    exporting what an import of this journal made, gives an equal dict.

    An expense is written as it stands now: the versions a correction replaced, and
    expenses that were removed, are the shop's own record and not part of the history a
    journal carries. A closed month is only named: its figures follow from the history.

    An item's ``price_dong`` is its price at intake; later prices are its price changes.
    A sale's payments are a cash entry (its cash part and the cash handed over) when it has
    a cash part or comes to nothing, and a transfer entry when it has a transfer part. A
    transfer sale still waiting for its confirmation is written like any other: the journal
    has no word for "waiting", so an import of it takes the transfer as arrived. A confirmed
    transfer says when (``confirmed_at``, where not at the sale's own moment) and which
    member confirmed it by hand (``confirmed_by``; none when the bank confirmed it).

    The stock counts are ``counts``, by number: each with its scans (as the shop took them
    in) and, once closed, its decisions. What a close wrote besides (an item's disposal of
    kind lost, a member's compensation as an expense) is said by its decisions alone, and
    left out of ``disposals`` and ``expenses``; the shop's rule for such a loss is
    ``shop.lost_item_pays``, and a count whose decisions show another rule (the setting
    changed since) names it.

    The bank inbox is ``bank_transactions``: each transaction as it was received and what it
    did, naming sales by number, a refund by its sale, code and moment, a payout by its
    member, month and day. The feed's settings go with the shop (``bank_feed``), never its
    keys nor its address. Raises
    :class:`JournalError` for a shop that has no profile (no name) yet. Only reads.
    """
    profile = session.get(ShopProfile, 1)
    if profile is None:
        raise JournalError("The shop has no name yet: set it up before exporting its journal.")
    shop = _Shop(session, profile, timezone)
    journal: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "shop": _shop_entry(profile, session.get(BankSettings, 1), timezone),
    }
    with collector.paused():
        for key, write in SECTIONS:
            entries = write(shop)
            if entries or key == "members":  # the one list the schema asks for, even empty
                journal[key] = entries
    return journal


class _Shop:
    """What the sections share, each read once when first needed: who a member id is (her
    number), an item id (its code), a sale id (its number), …; and the rows of the tables
    whose entries other sections name (intakes, items, sales, refunds, payouts)."""

    def __init__(self, session: Session, profile: ShopProfile, timezone: ZoneInfo):
        session.flush()  # what the session holds, as its own queries would see it
        self.session, self.profile, self.tz = session, profile, timezone

    def rows(self, query) -> list[Any]:
        """The rows of ``query`` as named tuples of its columns (``row.number``): run on the
        session's connection, without the ORM's work per row, and read by name several
        times faster than SQLAlchemy's own rows."""
        result = self.session.connection().execute(query)
        return list(map(_row_type(tuple(result.keys()))._make, result.all()))

    @cached_property
    def numbers(self) -> dict[int, int]:
        return dict(self.rows(select(Member.id, Member.number)))

    @cached_property
    def policies(self) -> list[tuple[str, Policy]]:
        rows = self.session.scalars(select(PolicyRow).order_by(PolicyRow.from_month))
        return [(row.from_month, policy_from_row(row)) for row in rows]

    @cached_property
    def donor_refs(self) -> dict[int, str]:
        return dict(self.rows(select(Donor.id, Donor.ref)))

    @cached_property
    def intakes(self) -> list[Row]:
        return self.rows(_INTAKES)

    @cached_property
    def intake_refs(self) -> dict[int, str]:
        return {intake.id: intake.ref for intake in self.intakes}

    @cached_property
    def items(self) -> list[Row]:
        """Every item and lot, as they were tagged."""
        return self.rows(_ITEMS)

    @cached_property
    def codes(self) -> dict[int, str]:
        return {item.id: item.code for item in self.items}

    @cached_property
    def sales(self) -> list[Row]:
        return self.rows(_SALES)

    @cached_property
    def sale_numbers(self) -> dict[int, int]:
        return {sale.id: sale.number for sale in self.sales}

    @cached_property
    def refunds(self) -> list[Row]:
        return self.rows(_REFUNDS)

    @cached_property
    def closed_months(self) -> list[Row]:
        return self.rows(select(ClosedMonth.id, ClosedMonth.month).order_by(ClosedMonth.month))

    @cached_property
    def months(self) -> dict[int, str]:
        return dict(self.closed_months)

    @cached_property
    def payouts(self) -> list[Row]:
        return self.rows(_PAYOUTS)


# ---------------------------------------------------------------- the sections, in order


def _policies(shop: _Shop) -> list[Entry]:
    return [policy_entry(month, policy) for month, policy in shop.policies]


def _members(shop: _Shop) -> list[Entry]:
    return [_member_entry(member) for member in shop.rows(_MEMBERS)]


def _donors(shop: _Shop) -> list[Entry]:
    return [_donor_entry(donor) for donor in shop.rows(_DONORS)]


def _intakes(shop: _Shop) -> list[Entry]:
    """Each intake with its items and lots, in the order they were tagged. An item's
    ``price_dong`` is its price at intake: the old price of its first change (in the order
    the changes were made), or its price now if it never changed."""
    categories = dict(shop.rows(select(Category.id, Category.name)))
    first_price: dict[int, int] = {}
    for item_id, old_price in shop.rows(_FIRST_PRICES):
        first_price.setdefault(item_id, old_price)
    stock: dict[int, list[Row]] = defaultdict(list)
    for item in shop.items:
        stock[item.intake_id].append(item)
    entries = []
    for intake in shop.intakes:
        entry = _intake_entry(intake, shop)
        tagged = stock.get(intake.id, ())
        for key, lots in (("items", False), ("lots", True)):
            _put(entry, key, [
                _item_entry(item, intake, categories, first_price, shop.policies)
                for item in tagged if item.is_lot == lots
            ])  # fmt: skip
        entries.append(entry)
    return entries


def _price_changes(shop: _Shop) -> list[Entry]:
    codes, numbers, tz = shop.codes, shop.numbers, shop.tz
    return [_price_change_entry(c, codes, numbers, tz) for c in shop.rows(_PRICE_CHANGES)]


def _shifts(shop: _Shop) -> list[Entry]:
    return [_shift_entry(shift, shop.numbers, shop.tz) for shift in shop.rows(_SHIFTS)]


def _sales(shop: _Shop) -> list[Entry]:
    codes, numbers, tz = shop.codes, shop.numbers, shop.tz
    lines: dict[int, list[Entry]] = defaultdict(list)
    for line in shop.rows(_LINES):
        lines[line.sale_id].append(_line_entry(line, codes))
    voids = {void.sale_id: void for void in shop.rows(_VOIDS)}
    entries = []
    for sale in shop.sales:
        entry = _sale_entry(sale, lines[sale.id], numbers, tz)
        void = voids.get(sale.id)
        if void is not None:
            entry["void"] = {
                "at": time_text(void.at, tz),
                "by": numbers[void.by_id],
                "reason": void.reason,
            }
        entries.append(entry)
    return entries


def _refunds(shop: _Shop) -> list[Entry]:
    return [_refund_entry(refund, shop) for refund in shop.refunds]


def _disposals(shop: _Shop) -> list[Entry]:
    codes, numbers, tz = shop.codes, shop.numbers, shop.tz
    return [_disposal_entry(d, codes, numbers, tz) for d in shop.rows(_DISPOSALS)]


def _counts(shop: _Shop) -> list[Entry]:
    """The stock counts, by number: each with its scans in the order the shop took them in
    and its decisions in the order its close listed them.

    A close's disposals (kind lost) and compensations (expenses of category compensation)
    are not written elsewhere: the decisions say them, and an import's close writes them
    again. The rule a close paid a member's loss by is the shop's, unless its decisions
    show another (the setting was changed since): then the count says it."""
    counts = shop.rows(_COUNTS)
    if not counts:
        return []
    categories: dict[int, list[str]] = defaultdict(list)
    for count_id, name in shop.rows(_COUNT_CATEGORIES):
        categories[count_id].append(name)
    scans: dict[int, list[Entry]] = defaultdict(list)
    for scan in shop.rows(_SCANS):
        scans[scan.count_id].append(_scan_entry(scan, shop.numbers, shop.tz))
    decisions: dict[int, list[Row]] = defaultdict(list)
    for decision in shop.rows(_DECISIONS):
        decisions[decision.count_id].append(decision)
    consignor_bp = {item.id: item.consignor_bp for item in shop.items}
    shop_rule = count_rules.LostItemPays(shop.profile.lost_item_pays)
    entries = []
    for count in counts:
        entry = _count_entry(count, sorted(categories[count.id]), shop.numbers, shop.tz)
        rule = _rule_of(decisions[count.id], consignor_bp, shop_rule)
        if rule is not None:
            entry["lost_item_pays"] = rule.value
        _put(entry, "scans", scans[count.id])
        _put(entry, "decisions", [_decision_entry(d, shop.numbers) for d in decisions[count.id]])
        entries.append(entry)
    return entries


def _expenses(shop: _Shop) -> list[Entry]:
    return [_expense_entry(e, shop.intake_refs, shop.numbers) for e in shop.rows(_EXPENSES)]


def _payouts(shop: _Shop) -> list[Entry]:
    corrections: dict[int, list[Entry]] = defaultdict(list)
    for correction in shop.rows(_CORRECTIONS):
        corrections[correction.payout_id].append(
            {
                "amount_dong": correction.amount_dong,
                "reason": correction.reason,
                "at": time_text(correction.at, shop.tz),
                "by": shop.numbers[correction.by_id],
            }
        )
    entries = []
    for payout in shop.payouts:
        entry = _payout_entry(payout, shop.months, shop.numbers)
        _put(entry, "corrections", corrections.get(payout.id, []))
        entries.append(entry)
    return entries


def _closed_months(shop: _Shop) -> list[str]:
    return [closed.month for closed in shop.closed_months]


def _bank_transactions(shop: _Shop) -> list[Entry]:
    """The bank inbox as it was received, naming a sale by number, a refund by its sale,
    code and moment, a payout by its member, month and day."""
    refunds = {refund.id: refund for refund in shop.refunds}
    payouts = {payout.id: payout for payout in shop.payouts}
    entries = []
    for row in shop.rows(_BANK_TRANSACTIONS):
        entry = _bank_entry(row, shop.sale_numbers, shop.numbers, shop.tz)
        if row.refund_id is not None:
            entry["refund"] = _refund_key(refunds[row.refund_id], shop)
        if row.payout_id is not None:
            entry["payout"] = _payout_key(payouts[row.payout_id], shop.months, shop.numbers)
        if row.resolved_at is not None:
            entry["resolved_at"] = time_text(row.resolved_at, shop.tz)
            entry["resolved_by"] = shop.numbers[row.resolved_by_id]
        entries.append(_put(entry, "resolution", row.resolution))
    return entries


#: The journal's lists after ``shop``, in its order, each with its writer.
SECTIONS: tuple[tuple[str, Callable[[_Shop], list]], ...] = (
    ("policies", _policies),
    ("members", _members),
    ("donors", _donors),
    ("intakes", _intakes),
    ("price_changes", _price_changes),
    ("shifts", _shifts),
    ("sales", _sales),
    ("refunds", _refunds),
    ("disposals", _disposals),
    ("counts", _counts),
    ("expenses", _expenses),
    ("payouts", _payouts),
    ("closed_months", _closed_months),
    ("bank_transactions", _bank_transactions),
)


# ---------------------------------------------------------------- the queries


@cache
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Row", columns)


_MEMBERS = select(
    Member.number, Member.name, Member.phone, Member.role, Member.joined_on, Member.left_on
).order_by(Member.number)
_DONORS = select(Donor.ref, Donor.name, Donor.phone, Donor.organisation).order_by(Donor.id)
_INTAKES = select(
    Intake.id, Intake.ref, Intake.kind, Intake.received_at, Intake.received_on, Intake.by_id,
    Intake.donor_id, Intake.owner_id, Intake.supplier, Intake.note,
).order_by(Intake.received_at, Intake.id)  # fmt: skip
_ITEMS = select(
    Item.id, Item.code, Item.intake_id, Item.is_lot, Item.category_id, Item.description,
    Item.size, Item.condition, Item.price_dong, Item.consignor_bp, Item.quantity_received,
).order_by(Item.id)  # fmt: skip
_FIRST_PRICES = select(PriceChange.item_id, PriceChange.old_price_dong).order_by(PriceChange.id)
_PRICE_CHANGES = select(
    PriceChange.item_id, PriceChange.at, PriceChange.price_dong, PriceChange.by_id,
    PriceChange.reason,
).order_by(PriceChange.at, PriceChange.id)  # fmt: skip
_SHIFTS = select(
    Shift.member_id, Shift.opened_at, Shift.closed_at, Shift.opening_float_dong,
    Shift.counted_cash_dong, Shift.count_note,
).order_by(Shift.opened_at, Shift.id)  # fmt: skip
_SALES = select(
    Sale.id, Sale.number, Sale.at, Sale.cashier_id, Sale.discount_dong, Sale.discount_reason,
    Sale.total_dong, Sale.cash_dong, Sale.transfer_dong, Sale.tendered_dong, Sale.confirmed_at,
    Sale.confirmed_by_id,
).order_by(Sale.number)  # fmt: skip
_LINES = select(
    SaleLine.sale_id, SaleLine.item_id, SaleLine.quantity, SaleLine.unit_price_dong,
    SaleLine.discount_dong, SaleLine.discount_reason, SaleLine.short_pieces,
).order_by(SaleLine.sale_id, SaleLine.position)  # fmt: skip
_VOIDS = select(Void.sale_id, Void.at, Void.by_id, Void.reason)
_REFUNDS = (
    select(
        Refund.id,
        Refund.at,
        SaleLine.sale_id,
        SaleLine.item_id,
        Refund.quantity,
        Refund.amount_dong,
        Refund.method,
        Refund.by_id,
        Refund.reason,
        Refund.restock,
    )  # fmt: skip
    .join(SaleLine, Refund.sale_line_id == SaleLine.id)
    .order_by(Refund.at, Refund.id)
)
# A stock count's close is written once, in its decisions (see _counts).
_DISPOSALS = (
    select(Disposal.item_id, Disposal.at, Disposal.kind, Disposal.by_id, Disposal.note)
    .where(Disposal.kind != DisposalKind.LOST)
    .order_by(Disposal.at, Disposal.id)
)
_COUNTS = select(
    StockCount.id, StockCount.number, StockCount.opened_at, StockCount.opened_by_id,
    StockCount.note, StockCount.closed_at, StockCount.closed_by_id,
).order_by(StockCount.number)  # fmt: skip
_COUNT_CATEGORIES = select(stock_count_category.c.count_id, Category.name).join(
    Category, Category.id == stock_count_category.c.category_id
)
_SCANS = select(
    CountScan.count_id, CountScan.client_id, CountScan.code, CountScan.pieces, CountScan.by_id,
    CountScan.scanned_at, CountScan.received_at, CountScan.withdrawn_at,
    CountScan.withdrawn_by_id,
).order_by(CountScan.received_at, CountScan.id)  # fmt: skip
_DECISIONS = select(
    CountDecision.count_id, CountDecision.code, CountDecision.item_id, CountDecision.difference,
    CountDecision.kind, CountDecision.expected_pieces, CountDecision.counted_pieces,
    CountDecision.value_dong, CountDecision.compensation_dong, CountDecision.owner_id,
    CountDecision.note,
).order_by(CountDecision.id)  # fmt: skip
_EXPENSES = (
    select(
        Expense.spent_on,
        Expense.category,
        Expense.amount_dong,
        Expense.note,
        Expense.intake_id,
        Expense.by_id,
    )  # fmt: skip
    .where(Expense.removed_at.is_(None), Expense.category != ExpenseCategory.COMPENSATION)
    .order_by(Expense.spent_on, Expense.id)
)
_PAYOUTS = select(
    Payout.id, Payout.member_id, Payout.closed_month_id, Payout.amount_dong, Payout.paid_on,
    Payout.method,
).order_by(Payout.paid_on, Payout.id)  # fmt: skip
_CORRECTIONS = select(
    PayoutCorrection.payout_id, PayoutCorrection.amount_dong, PayoutCorrection.reason,
    PayoutCorrection.at, PayoutCorrection.by_id,
).order_by(PayoutCorrection.id)  # fmt: skip
_BANK_TRANSACTIONS = select(
    BankTransaction.provider, BankTransaction.provider_id, BankTransaction.reference,
    BankTransaction.account, BankTransaction.direction, BankTransaction.amount_dong,
    BankTransaction.content, BankTransaction.at, BankTransaction.received_at,
    BankTransaction.via, BankTransaction.signature_ok, BankTransaction.raw,
    BankTransaction.outcome, BankTransaction.reason, BankTransaction.suggestions,
    BankTransaction.sale_id, BankTransaction.pays_sale, BankTransaction.refund_id,
    BankTransaction.payout_id, BankTransaction.resolved_at, BankTransaction.resolved_by_id,
    BankTransaction.resolution,
).order_by(BankTransaction.received_at, BankTransaction.id)  # fmt: skip


# ---------------------------------------------------------------- one entry each


def _shop_entry(profile: ShopProfile, feed: BankSettings | None, timezone: ZoneInfo) -> Entry:
    entry: Entry = {"name": profile.name}
    _put(entry, "address", profile.address)
    entry["currency"] = "VND"
    entry["timezone"] = timezone.key
    entry["locale"] = profile.locale or "vi"
    if profile.bank_bin and profile.bank_account and profile.bank_account_name:
        entry["bank"] = {
            "bin": profile.bank_bin,
            "account": profile.bank_account,
            "account_name": profile.bank_account_name,
        }
    _put(entry, "receipt_footer", profile.receipt_footer)
    entry["lost_item_pays"] = profile.lost_item_pays
    if feed is not None:  # its keys never leave the shop
        feed_entry: Entry = {}
        _put(feed_entry, "provider", feed.provider)
        feed_entry["code_prefix"] = feed.code_prefix
        feed_entry["check_days"] = feed.check_days
        if feed.feed_since is not None:
            feed_entry["feed_since"] = time_text(feed.feed_since, timezone)
        entry["bank_feed"] = feed_entry
    return entry


def _member_entry(member: Row) -> Entry:
    entry: Entry = {"number": member.number, "name": member.name}
    _put(entry, "phone", member.phone)
    entry["role"] = member.role.value
    entry["joined_on"] = member.joined_on.isoformat()
    _put(entry, "left_on", member.left_on.isoformat() if member.left_on else None)
    return entry


def _donor_entry(donor: Row) -> Entry:
    entry: Entry = {"ref": donor.ref, "name": donor.name}
    _put(entry, "phone", donor.phone)
    _put(entry, "organisation", donor.organisation)
    return entry


def _intake_entry(intake: Row, shop: _Shop) -> Entry:
    """An intake without its items and lots (see :func:`_intakes`)."""
    entry: Entry = {
        "ref": intake.ref,
        "kind": intake.kind.value,
        "received_at": time_text(intake.received_at, shop.tz),
        "by": shop.numbers[intake.by_id],
    }
    if intake.donor_id is not None:
        entry["donor"] = shop.donor_refs[intake.donor_id]
    if intake.owner_id is not None:
        entry["owner"] = shop.numbers[intake.owner_id]
    _put(entry, "supplier", intake.supplier)
    return _put(entry, "note", intake.note)


def _item_entry(
    item: Row,
    intake: Row,
    categories: dict[int, str],
    first_price: dict[int, int],
    policies: list[tuple[str, Policy]],
) -> Entry:
    """An item, or a lot (its ``quantity`` instead of a size and a condition)."""
    entry: Entry = {"code": item.code, "category": categories[item.category_id]}
    _put(entry, "description", item.description)
    if item.is_lot:
        entry["quantity"] = item.quantity_received
    else:
        _put(entry, "size", item.size)
        _put(entry, "condition", item.condition.value if item.condition else None)
    entry["price_dong"] = first_price.get(item.id, item.price_dong)
    if intake.kind == IntakeKind.CONSIGNMENT:
        entry["consignor_bp"] = _consignor_bp(item, intake, policies)
    return entry


def _price_change_entry(
    change: Row, codes: dict[int, str], numbers: dict[int, int], timezone: ZoneInfo
) -> Entry:
    entry: Entry = {
        "code": codes[change.item_id],
        "at": time_text(change.at, timezone),
        "price_dong": change.price_dong,
        "by": numbers[change.by_id],
    }
    return _put(entry, "reason", change.reason)


def _disposal_entry(
    disposal: Row, codes: dict[int, str], numbers: dict[int, int], timezone: ZoneInfo
) -> Entry:
    entry: Entry = {
        "code": codes[disposal.item_id],
        "at": time_text(disposal.at, timezone),
        "kind": disposal.kind.value,
        "by": numbers[disposal.by_id],
    }
    return _put(entry, "note", disposal.note)


def _shift_entry(shift: Row, numbers: dict[int, int], timezone: ZoneInfo) -> Entry:
    entry: Entry = {
        "member": numbers[shift.member_id],
        "opened_at": time_text(shift.opened_at, timezone),
    }
    if shift.closed_at is not None:
        entry["closed_at"] = time_text(shift.closed_at, timezone)
    entry["opening_float_dong"] = shift.opening_float_dong
    if shift.closed_at is not None:  # null: closed without a count
        entry["counted_cash_dong"] = shift.counted_cash_dong
    return _put(entry, "count_note", shift.count_note)


def _sale_entry(
    sale: Row, lines: list[Entry], numbers: dict[int, int], timezone: ZoneInfo
) -> Entry:
    """A sale without its void (see :func:`_sales`)."""
    entry: Entry = {
        "number": sale.number,
        "at": time_text(sale.at, timezone),
        "cashier": numbers[sale.cashier_id],
        "lines": lines,
    }
    if sale.discount_dong:
        entry["discount_dong"] = sale.discount_dong
        entry["discount_reason"] = sale.discount_reason
    payments: list[Entry] = []
    if sale.cash_dong > 0 or sale.total_dong == 0:
        payments.append(
            {
                "method": PaymentMethod.CASH.value,
                "amount_dong": sale.cash_dong,
                "tendered_dong": sale.tendered_dong,
            }
        )
    if sale.transfer_dong > 0:
        payments.append({"method": PaymentMethod.TRANSFER.value, "amount_dong": sale.transfer_dong})
    entry["payments"] = payments
    if sale.transfer_dong > 0:
        if sale.confirmed_at is not None and sale.confirmed_at != sale.at:
            entry["confirmed_at"] = time_text(sale.confirmed_at, timezone)
        if sale.confirmed_by_id is not None:
            entry["confirmed_by"] = numbers[sale.confirmed_by_id]
    return entry


def _line_entry(line: Row, codes: dict[int, str]) -> Entry:
    entry: Entry = {"code": codes[line.item_id]}
    if line.quantity != 1:
        entry["quantity"] = line.quantity
    entry["unit_price_dong"] = line.unit_price_dong
    if line.discount_dong:
        entry["discount_dong"] = line.discount_dong
        entry["discount_reason"] = line.discount_reason
    if line.short_pieces:
        entry["short_pieces"] = line.short_pieces
    return entry


def _refund_entry(refund: Row, shop: _Shop) -> Entry:
    entry: Entry = {
        "at": time_text(refund.at, shop.tz),
        "sale": shop.sale_numbers[refund.sale_id],
        "code": shop.codes[refund.item_id],
    }
    if refund.quantity != 1:
        entry["quantity"] = refund.quantity
    entry["amount_dong"] = refund.amount_dong
    entry["method"] = refund.method.value
    entry["by"] = shop.numbers[refund.by_id]
    entry["reason"] = refund.reason
    entry["restock"] = refund.restock
    return entry


def _refund_key(refund: Row, shop: _Shop) -> Entry:
    """How a bank transaction names the refund it paid: its sale, code and moment."""
    return {
        "sale": shop.sale_numbers[refund.sale_id],
        "code": shop.codes[refund.item_id],
        "at": time_text(refund.at, shop.tz),
    }


def _payout_key(payout: Row, months: dict[int, str], numbers: dict[int, int]) -> Entry:
    """How a bank transaction names the payout it paid: its member, month and day."""
    return {
        "member": numbers[payout.member_id],
        "month": months[payout.closed_month_id],
        "paid_on": payout.paid_on.isoformat(),
    }


def _bank_entry(
    row: Row, sale_numbers: dict[int, int], numbers: dict[int, int], timezone: ZoneInfo
) -> Entry:
    """A bank transaction up to the sale it names (see :func:`_bank_transactions`)."""
    entry: Entry = {"provider": row.provider, "provider_id": row.provider_id}
    _put(entry, "reference", row.reference)
    _put(entry, "account", row.account)
    entry["direction"] = row.direction.value
    entry["amount_dong"] = row.amount_dong
    _put(entry, "content", row.content)
    entry["at"] = time_text(row.at, timezone)
    entry["received_at"] = time_text(row.received_at, timezone)
    entry["via"] = row.via
    entry["signature_ok"] = row.signature_ok
    _put(entry, "raw", row.raw)
    entry["outcome"] = row.outcome.value
    _put(entry, "reason", row.reason.value if row.reason else None)
    _put(entry, "suggestions", list(row.suggestions or []))
    if row.sale_id is not None:
        entry["sale"] = sale_numbers[row.sale_id]
    if row.pays_sale:
        entry["pays_sale"] = True
    return entry


def _count_entry(
    count: Row, categories: list[str], numbers: dict[int, int], timezone: ZoneInfo
) -> Entry:
    """A stock count up to its rule (see :func:`_counts`)."""
    entry: Entry = {
        "number": count.number,
        "opened_at": time_text(count.opened_at, timezone),
        "opened_by": numbers[count.opened_by_id],
    }
    _put(entry, "categories", categories)
    _put(entry, "note", count.note)
    if count.closed_at is not None:
        entry["closed_at"] = time_text(count.closed_at, timezone)
        entry["closed_by"] = numbers[count.closed_by_id]
    return entry


def _rule_of(
    decisions: list[Row],
    consignor_bp: dict[int, int | None],
    shop_rule: count_rules.LostItemPays,
) -> count_rules.LostItemPays | None:
    """The rule a close applied, where its decisions show it was not the shop's."""
    paid = [
        (d.value_dong, consignor_bp.get(d.item_id), d.compensation_dong)
        for d in decisions
        if d.owner_id is not None and d.kind in (DecisionKind.LOST, DecisionKind.QUANTITY)
    ]
    return count_rules.rule_to_name(paid, shop_rule)


def _scan_entry(scan: Row, numbers: dict[int, int], timezone: ZoneInfo) -> Entry:
    entry: Entry = {"client_id": scan.client_id, "code": scan.code}
    if scan.pieces != 1:
        entry["pieces"] = scan.pieces
    entry["by"] = numbers[scan.by_id]
    entry["scanned_at"] = time_text(scan.scanned_at, timezone)
    entry["received_at"] = time_text(scan.received_at, timezone)
    if scan.withdrawn_at is not None:
        entry["withdrawn_at"] = time_text(scan.withdrawn_at, timezone)
        entry["withdrawn_by"] = numbers[scan.withdrawn_by_id]
    return entry


def _decision_entry(decision: Row, numbers: dict[int, int]) -> Entry:
    entry: Entry = {
        "code": decision.code,
        "difference": decision.difference.value,
        "kind": decision.kind.value,
    }
    _put(entry, "expected_pieces", decision.expected_pieces)
    _put(entry, "counted_pieces", decision.counted_pieces)
    if decision.value_dong:
        entry["value_dong"] = decision.value_dong
    if decision.compensation_dong:
        entry["compensation_dong"] = decision.compensation_dong
    if decision.owner_id is not None:
        entry["owner"] = numbers[decision.owner_id]
    return _put(entry, "note", decision.note)


def _expense_entry(expense: Row, intake_refs: dict[int, str], numbers: dict[int, int]) -> Entry:
    entry: Entry = {
        "on": expense.spent_on.isoformat(),
        "category": expense.category.value,
        "amount_dong": expense.amount_dong,
    }
    _put(entry, "note", expense.note)
    if expense.intake_id is not None:
        entry["intake"] = intake_refs[expense.intake_id]
    entry["by"] = numbers[expense.by_id]
    return entry


def _payout_entry(payout: Row, months: dict[int, str], numbers: dict[int, int]) -> Entry:
    """A payout without its corrections (see :func:`_payouts`)."""
    return {
        "member": numbers[payout.member_id],
        "month": months[payout.closed_month_id],
        "amount_dong": payout.amount_dong,
        "paid_on": payout.paid_on.isoformat(),
        "method": payout.method.value,
    }


def _consignor_bp(item: Row, intake: Row, policies: list[tuple[str, Policy]]) -> int:
    """The owner's share of a consigned item, in basis points.

    The item keeps its rate when its owner gives it to the group. Should a row ever lack it,
    the rate of the policy in force in the intake's month is the best that can be said.
    """
    if item.consignor_bp is not None:
        return item.consignor_bp
    return policy_for_month(policies, month_key(intake.received_on)).consignor_bp


def _put(entry: Entry, key: str, value: Any) -> Entry:
    """Set ``entry[key]`` unless ``value`` says nothing (``None``, ``""``, ``[]``)."""
    if value not in (None, "", []):
        entry[key] = value
    return entry
